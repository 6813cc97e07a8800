// gwsim's UPnP IGD: the description at any GET path, WANIPConnection:1 actions at the control URL (with
// --dslforum, a TR-064 WANPPPConnection:1 in an IGD of that domain), through the same SOAP codec the
// client uses; honest, or playing one http, description or soap attack.
#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "gwsim.hpp"
#include "natpunch/soap/envelope.hpp"

namespace natpunch::gwsim {
namespace {

using asio::ip::tcp;

constexpr std::size_t max_request_head = 64 * 1024;
constexpr std::size_t max_request_body = 256 * 1024;
constexpr std::uint64_t max_endless_bytes = 64ull << 20;  // what an endless attack sends at most
constexpr std::string_view service_type = "urn:schemas-upnp-org:service:WANIPConnection:1";
// Huawei HG531 V1's connection (tailscale/tailscale#10911): its whole IGD is in TR-064's domain.
constexpr std::string_view dslforum_service_type = "urn:dslforum-org:service:WANPPPConnection:1";

std::string_view connection_type(const settings& s) { return s.dslforum ? dslforum_service_type : service_type; }

std::string framed(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

std::string fault_answer(std::uint16_t code, std::string_view text) {
  return framed(500, "Internal Server Error", *soap::build_fault(code, text));
}

std::string device(const settings& s, std::string_view type, std::string_view inner) {
  const std::string domain = s.dslforum ? "urn:dslforum-org:" : "urn:schemas-upnp-org:";
  return "<device><deviceType>" + domain + "device:" + std::string(type) + ":1" +
         "</deviceType><friendlyName>gwsim " + std::string(type) + "</friendlyName><UDN>uuid:6a7c1f2e-0000-4000-8000-" +
         std::string(type.size() < 12 ? 12 - type.size() : 0, '0') + std::string(type.substr(0, 12)) + "</UDN>" +
         std::string(inner) + "</device>";
}

std::string description(const settings& s, std::string_view friendly = "gwsim") {
  const std::string id = s.dslforum ? "urn:dslforum-org:serviceId:WANPPPConnection1" : "urn:upnp-org:serviceId:WANIPConn1";
  const std::string service = "<serviceList><service><serviceType>" + std::string(connection_type(s)) +
                              "</serviceType><serviceId>" + id + "</serviceId><controlURL>" + s.control_url +
                              "</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL>"
                              "</service></serviceList>";
  const std::string connection = device(s, "WANConnectionDevice", service);
  const std::string wan = device(s, "WANDevice", "<deviceList>" + connection + "</deviceList>");
  std::string root = device(s, "InternetGatewayDevice", "<deviceList>" + wan + "</deviceList>");
  root.replace(root.find("gwsim InternetGatewayDevice"), 27, friendly);
  return R"(<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>)" +
         root + "</root>";
}

std::string nested(std::size_t depth, std::string_view inner) {
  std::string out;
  out.reserve(depth * 7 + inner.size());
  for (std::size_t i = 0; i < depth; ++i) out += "<a>";
  out += inner;
  for (std::size_t i = 0; i < depth; ++i) out += "</a>";
  return out;
}

constexpr std::string_view laughs =
    "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
    "<!ENTITY lol9 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">]>";

std::string envelope(std::string_view body_inner) {
  return R"(<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" )"
         R"(s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>)" +
         std::string(body_inner) + "</s:Body></s:Envelope>";
}

class igd_server final : public part {
 public:
  igd_server(asio::io_context& io, const settings& s, std::string& location)
      : config_(s), acceptor_(io, tcp::endpoint(s.address, *s.http_port)) {
    const auto port = std::to_string(acceptor_.local_endpoint().port());
    const std::string host = s.address.is_v6() ? "[" + s.address.to_string() + "]" : s.address.to_string();
    location = "http://" + host + ":" + port + "/rootDesc.xml";
    log_json(R"({"http":")" + host + ":" + port + R"(","location":)" + json_string(location) + "}");
    asio::co_spawn(io, accept(), asio::detached);
  }

  void stop() override {
    stopped_ = true;
    std::error_code ignored;
    acceptor_.close(ignored);
    for (auto* c : open_) c->close(ignored);
  }

 private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  // Registered while it lives (stop() closes it), whichever way the coroutine ends.
  struct registration {
    std::vector<tcp::socket*>& open;
    tcp::socket* socket;
    registration(std::vector<tcp::socket*>& o, tcp::socket* s) : open(o), socket(s) { open.push_back(s); }
    ~registration() { std::erase(open, socket); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
  };

  asio::awaitable<void> serve(tcp::socket socket) {
    if (stopped_) co_return;  // accepted just before stop(): never served
    const registration registered(open_, &socket);
    std::error_code ec;
    const auto from = socket.remote_endpoint(ec);
    for (bool more = true; more && socket.is_open();) more = co_await exchange(socket, from);
  }

  // One request and its answer; false when the connection is done.
  asio::awaitable<bool> exchange(tcp::socket& socket, const tcp::endpoint& from) {
    std::string in;
    auto [ec, head_end] = co_await asio::async_read_until(socket, asio::dynamic_buffer(in, max_request_head), "\r\n\r\n", use_tuple);
    if (ec) co_return false;
    const std::string head = in.substr(0, head_end);
    std::string body = in.substr(head_end);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      const std::size_t length = std::min<std::size_t>(std::strtoull(lower.c_str() + at + 17, nullptr, 10), max_request_body);
      if (body.size() < length) {
        const std::size_t have = body.size();
        body.resize(length);
        auto [rec, n] = co_await asio::async_read(socket, asio::buffer(body.data() + have, length - have), use_tuple);
        if (rec) co_return false;
      }
    }
    const bool get = head.starts_with("GET ");
    const std::string request_line = head.substr(0, head.find("\r\n"));
    log_json(R"({"http":)" + json_string(request_line) + R"(,"from":)" + json_string(from.address().to_string()) + "}");

    std::string honest;
    if (get) {
      honest = description_answer();
    } else {
      honest = control_answer(lower, body);
    }
    const bool http_attack = attacking(config_, layer::http) && get != config_.attack_on_control;
    if (!http_attack) {
      co_await asio::async_write(socket, asio::buffer(honest), use_tuple);
      co_return false;  // Connection: close
    }
    co_await play(socket, honest);
    co_return false;
  }

  std::string description_answer() {
    if (!attacking(config_, layer::description)) return framed(200, "OK", description(config_));
    const std::string_view name = config_.hostile->name;
    log_json(R"({"attack":)" + json_string(name) + "}");
    if (name == "xml-deep") return framed(200, "OK", "<?xml version=\"1.0\"?>" + nested(attack_count(config_, 5000), ""));
    if (name == "xml-doctype") {
      return framed(200, "OK", "<?xml version=\"1.0\"?>" + std::string(laughs) + "<root><friendlyName>&lol9;</friendlyName></root>");
    }
    if (name == "xml-huge") {
      std::string doc = description(config_);
      doc.insert(doc.find("<root"), "<!--" + std::string(10u << 20, 'x') + "-->");
      return framed(200, "OK", doc);
    }
    if (name == "xml-many-devices") {
      std::string many;
      for (std::uint64_t i = 0; i < attack_count(config_, 2000); ++i) {
        many += "<device><deviceType>urn:x:device:Thing:1</deviceType></device>";
      }
      std::string doc = description(config_);
      doc.insert(doc.find("</deviceList>"), many);
      return framed(200, "OK", doc);
    }
    if (name == "xml-long-field") return framed(200, "OK", description(config_, std::string(100 * 1024, 'n')));
    // xml-no-igd: a printer.
    return framed(200, "OK", R"(<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>)"
                             "<deviceType>urn:schemas-upnp-org:device:Printer:1</deviceType><friendlyName>printer</friendlyName>"
                             "<UDN>uuid:00000000-0000-4000-8000-000000000001</UDN></device></root>");
  }

  // `head` is the request's header block in lower case.
  std::string control_answer(const std::string& head, const std::string& body) {
    auto call = soap::parse_request(body);
    if (!call) {
      log_json(R"({"soap_refused":)" + json_string(call.error().message()) + "}");
      return fault_answer(402, "Invalid Args");
    }
    std::string args;
    for (const auto& a : call->args) args += (args.empty() ? "" : ",") + json_string(a.name) + ":" + json_string(a.value);
    log_json(R"({"soap":)" + json_string(call->action) + R"(,"service":)" + json_string(call->service_type) +
             R"(,"args":{)" + args + "}}");
    // A TR-064 router knows its actions by its own type only, in SOAPAction and in the body alike.
    if (config_.dslforum) {
      std::string expected = "\r\nsoapaction: \"" + std::string(dslforum_service_type) + "#" + call->action + "\"\r\n";
      std::transform(expected.begin(), expected.end(), expected.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (call->service_type != dslforum_service_type || (head + "\r\n").find(expected) == std::string::npos) {
        log_json(R"({"soap_refused":"not the TR-064 service type in SOAPAction and the body"})");
        return fault_answer(401, "Invalid Action");
      }
    }
    if (attacking(config_, layer::soap)) return hostile_soap(*call);
    const auto arg = [&](std::string_view n) {
      const auto it = std::find_if(call->args.begin(), call->args.end(), [&](const soap::argument& a) { return a.name == n; });
      return it == call->args.end() ? std::string() : it->value;
    };
    const auto ok = [&](std::vector<soap::argument> out) { return framed(200, "OK", *soap::build_response(call->service_type, call->action, out)); };
    const std::string key = arg("NewProtocol") + " " + arg("NewExternalPort");
    if (call->action == "GetExternalIPAddress") return ok({{"NewExternalIPAddress", config_.external.to_string()}});
    if (call->action == "GetStatusInfo") {
      // TR-064 spells the uptime NewUpTime (see soap::decode_status_info).
      return ok({{"NewConnectionStatus", "Connected"}, {"NewLastConnectionError", "ERROR_NONE"},
                 {config_.dslforum ? "NewUpTime" : "NewUptime", "100"}});
    }
    if (call->action == "AddPortMapping") {
      mappings_[key] = arg("NewInternalClient") + ":" + arg("NewInternalPort");
      return ok({});
    }
    if (call->action == "DeletePortMapping") {
      if (mappings_.erase(key) == 0) return fault_answer(714, "NoSuchEntryInArray");
      return ok({});
    }
    return fault_answer(401, "Invalid Action");
  }

  std::string hostile_soap(const soap::soap_call& call) {
    const std::string_view name = config_.hostile->name;
    log_json(R"({"attack":)" + json_string(name) + "}");
    const std::string action = "<u:" + call.action + "Response xmlns:u=\"" + call.service_type + "\">";
    const std::string end = "</u:" + call.action + "Response>";
    if (name == "soap-garbage") return framed(200, "OK", "this is not XML \x01\x02\xff");
    if (name == "soap-deep") return framed(200, "OK", envelope(action + nested(attack_count(config_, 5000), "") + end));
    if (name == "soap-doctype") {
      return framed(200, "OK", "<?xml version=\"1.0\"?>" + std::string(laughs) + envelope(action + "<NewExternalIPAddress>&lol9;</NewExternalIPAddress>" + end));
    }
    if (name == "soap-huge-fault") {
      return framed(500, "Internal Server Error",
                    envelope("<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
                             "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>718</errorCode><errorDescription>" +
                             std::string(100 * 1024, 'e') + "</errorDescription></UPnPError></detail></s:Fault>"));
    }
    if (name == "soap-many-args") {
      std::string args;
      for (std::uint64_t i = 0; i < attack_count(config_, 10000); ++i) args += "<A>1</A>";
      return framed(200, "OK", envelope(action + args + end));
    }
    if (name == "soap-wrong-action") {
      return framed(200, "OK", *soap::build_response(call.service_type, "GetStatusInfo", std::vector<soap::argument>{{"NewConnectionStatus", "Connected"}}));
    }
    // soap-bad-address
    if (call.action == "AddAnyPortMapping") return framed(200, "OK", envelope(action + "<NewReservedPort>0</NewReservedPort>" + end));
    return framed(200, "OK", envelope(action + "<NewExternalIPAddress>256.1.2.3</NewExternalIPAddress>" + end));
  }

  // Writes `chunk` repeatedly until the client stops reading, the run ends or max_endless_bytes.
  static asio::awaitable<std::uint64_t> endless(tcp::socket& socket, const std::string& chunk) {
    std::uint64_t sent = 0;
    while (sent < max_endless_bytes) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(chunk), use_tuple);
      sent += n;
      if (ec) break;
    }
    co_return sent;
  }

  asio::awaitable<void> play(tcp::socket& socket, const std::string& honest) {
    const std::string_view name = config_.hostile->name;
    const std::string body = honest.substr(honest.find("\r\n\r\n") + 4);
    const std::string ok = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n";
    std::string head;
    std::uint64_t sent = 0;
    if (name == "length-overflow") head = ok + "Content-Length: 184467440737095516160\r\n\r\n" + body;
    if (name == "chunk-overflow") head = ok + "Transfer-Encoding: chunked\r\n\r\n1000000000000000a\r\n" + body;
    if (name == "chunk-negative") head = ok + "Transfer-Encoding: chunked\r\n\r\n-10\r\n" + body;
    if (name == "smuggle-cl-te") {
      head = ok + "Content-Length: " + std::to_string(body.size()) + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
    }
    if (name == "smuggle-two-lengths") {
      head = ok + "Content-Length: " + std::to_string(body.size()) + "\r\nContent-Length: 5\r\n\r\n" + body;
    }
    if (name == "status-garbage") head = "HTTP/1.1 2000000000000 OK\r\nContent-Length: 0\r\n\r\n";
    if (name == "redirect") head = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n";
    if (name == "truncate") head = honest.substr(0, std::min<std::uint64_t>(attack_arg(config_, honest.size() / 2), honest.size()));
    if (!head.empty()) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(head), use_tuple);
      sent = n;
    } else if (name == "length-huge") {
      co_await asio::async_write(socket, asio::buffer(ok + "Content-Length: 1099511627776\r\n\r\n"), use_tuple);
      sent = co_await endless(socket, std::string(16 * 1024, 'A'));
    } else if (name == "chunk-endless") {
      co_await asio::async_write(socket, asio::buffer(ok + "Transfer-Encoding: chunked\r\n\r\n"), use_tuple);
      sent = co_await endless(socket, "4000\r\n" + std::string(16 * 1024, 'A') + "\r\n");
    } else if (name == "header-flood") {
      co_await asio::async_write(socket, asio::buffer(ok), use_tuple);
      std::string lines;
      for (int i = 0; i < 256; ++i) lines += "X-Flood: " + std::string(50, 'f') + "\r\n";
      sent = co_await endless(socket, lines);
    } else if (name == "line-endless") {
      co_await asio::async_write(socket, asio::buffer(std::string_view("HTTP/1.1 200 ")), use_tuple);
      sent = co_await endless(socket, std::string(16 * 1024, 'L'));
    } else if (name == "drip") {
      asio::steady_timer timer(socket.get_executor());
      for (const char c : honest) {
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(&c, 1), use_tuple);
        if (ec) break;
        sent += n;
        timer.expires_after(std::chrono::milliseconds(attack_arg(config_, 100)));
        co_await timer.async_wait(use_tuple);
      }
    } else if (name == "stall") {
      // Hold the connection until the client gives up (its read ends) or gwsim stops.
      char c = 0;
      co_await socket.async_read_some(asio::buffer(&c, 1), use_tuple);
    }
    log_json(R"({"attack":)" + json_string(name) + R"(,"bytes_sent":)" + std::to_string(sent) + "}");
    std::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  }

  settings config_;
  tcp::acceptor acceptor_;
  std::vector<tcp::socket*> open_;
  bool stopped_ = false;
  std::map<std::string, std::string> mappings_;  // "TCP 2222" -> "192.168.86.250:2222"
};

}  // namespace

std::unique_ptr<part> start_igd(asio::io_context& io, const settings& s, std::string& location) {
  return std::make_unique<igd_server>(io, s, location);
}

}  // namespace natpunch::gwsim
