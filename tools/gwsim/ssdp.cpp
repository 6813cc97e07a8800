// gwsim's SSDP responder (UDA 1.1 §1.3): joins 239.255.255.250 on the interface of its address and
// answers every M-SEARCH at once (faster than a router) from that address, naming each --location;
// honest, or playing ssdp-flood or ssdp-garbage.
#include <algorithm>
#include <memory>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/multicast.hpp>
#include <asio/ip/udp.hpp>

#include "gwsim.hpp"
#include "natpunch/ssdp/message.hpp"

namespace natpunch::gwsim {
namespace {

using asio::ip::udp;
constexpr std::uint16_t ssdp_port = 1900;

// The ST header's value of an M-SEARCH, or empty. Only what a test responder needs: a line that
// starts with "ST:" in any case, up to 256 characters.
std::string search_target(std::string_view m) {
  for (std::size_t at = 0; at < m.size();) {
    const auto end = std::min(m.find("\r\n", at), m.size());
    const auto line = m.substr(at, end - at);
    if (line.size() > 3 && (line[0] == 'S' || line[0] == 's') && (line[1] == 'T' || line[1] == 't') && line[2] == ':') {
      auto v = line.substr(3);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return std::string(v.substr(0, 256));
    }
    at = end + 2;
  }
  return {};
}

class ssdp_responder final : public part {
 public:
  ssdp_responder(asio::io_context& io, const settings& s, std::vector<std::string> locations)
      : config_(s), locations_(std::move(locations)), listen_(io), send_(io, udp::endpoint(s.address, 0)) {
    const auto group = asio::ip::make_address_v4("239.255.255.250");
    listen_.open(udp::v4());
    listen_.set_option(udp::socket::reuse_address(true));
    listen_.bind(udp::endpoint(group, ssdp_port));
    listen_.set_option(asio::ip::multicast::join_group(group, s.address.to_v4()));
    log_json(R"({"ssdp":")" + s.address.to_string() + R"(:1900","locations":)" + std::to_string(locations_.size()) + "}");
    asio::co_spawn(io, serve(), asio::detached);
  }

  void stop() override {
    std::error_code ignored;
    listen_.close(ignored);
    send_.close(ignored);
  }

 private:
  std::vector<std::string> answers(const std::string& st) const {
    std::vector<std::string> out;
    // A TR-064 IGD (--dslforum) is found only by a search for its own type, or ssdp:all answered with it:
    // libupnp matches the search target's domain too (Huawei HG531 V1, tailscale/tailscale#10911).
    std::string answered = st;
    if (config_.dslforum && !attacking(config_, layer::ssdp)) {
      if (st == "ssdp:all") answered = std::string(ssdp::dslforum_igd1);
      if (answered != ssdp::dslforum_igd1) return out;
    }
    std::size_t i = 0;
    for (const auto& location : locations_) {
      ssdp::search_response r{location, answered,
                              "uuid:6a7c1f2e-0000-4000-8000-" + std::string(11, '0') + std::to_string(i++ % 10) + "::" + answered,
                              "Linux/6 UPnP/1.1 gwsim/1", std::chrono::seconds(120), std::nullopt, std::nullopt};
      out.push_back(ssdp::format_search_response(r));
    }
    if (!attacking(config_, layer::ssdp)) return out;
    std::vector<std::string> hostile;
    if (config_.hostile->name == "ssdp-flood") {
      const std::string base = locations_.empty() ? "http://" + config_.address.to_string() + ":1/d" : locations_.front();
      for (std::uint64_t n = 0; n < attack_count(config_, 5000); ++n) {
        ssdp::search_response r{base + "?" + std::to_string(n), st,
                                "uuid:f100d000-0000-4000-8000-" + std::to_string(100000000000 + n) + "::" + st, "", std::nullopt,
                                std::nullopt, std::nullopt};
        hostile.push_back(ssdp::format_search_response(r));
      }
    } else {  // ssdp-garbage
      const std::string good = out.empty() ? ssdp::format_search_response({"http://1.2.3.4/", st, "uuid:x::" + st, "", {}, {}, {}}) : out.front();
      hostile = {"", std::string("\x00\x01\x02\xff", 4), "HTTP/1.1 200 OK\r\n\r\n", std::string(9000, 'A'),
                 "HTTP/1.1 200 OK\r\nST: " + st + "\r\nUSN: uuid:x\r\n\r\n",  // no LOCATION
                 "HTTP/1.1 200 OK\r\nLOCATION: http://a b/\r\nST: " + st + "\r\nUSN: uuid:x\r\n\r\n",
                 "HTTP/1.1 200 OK\r\nLOCATION: http://127.0.0.1:1/\r\nST: " + st + "\r\nUSN: uuid:y::" + st + "\r\n\r\n",
                 "HTTP/1.1 200 OK\r\nLOCATION: http://[fe80::1]:1/\r\nST: " + st + "\r\nUSN: uuid:z::" + st + "\r\n\r\n",
                 "HTTP/1.1 200 OK\r\nLOCATION: http://router.invalid:1/\r\nST: " + st + "\r\nUSN: uuid:w::" + st + "\r\n\r\n",
                 "HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\nST: " + st + "\r\nUSN: uuid:v::" + st + "\r\n\r\n"};
      std::string headers = "HTTP/1.1 200 OK\r\n";
      for (int h = 0; h < 200; ++h) headers += "X-" + std::to_string(h) + ": v\r\n";
      hostile.push_back(headers + "\r\n");
      for (std::size_t n = 0; n < good.size(); n += 7) hostile.push_back(good.substr(0, n));  // truncations
    }
    hostile.insert(hostile.end(), out.begin(), out.end());
    return hostile;
  }

  asio::awaitable<void> serve() {
    std::string buffer(2048, '\0');
    for (;;) {
      udp::endpoint from;
      auto [ec, n] = co_await listen_.async_receive_from(asio::buffer(buffer), from, use_tuple);
      if (ec) co_return;
      const std::string_view m(buffer.data(), n);
      if (!m.starts_with("M-SEARCH ")) continue;
      const std::string st = search_target(m);
      if (st.empty()) continue;
      const auto replies = answers(st);
      log_json(R"({"ssdp":"M-SEARCH","st":)" + json_string(st) + R"(,"from":)" + json_string(from.address().to_string()) +
               R"(,"answers":)" + std::to_string(replies.size()) + "}");
      for (const auto& r : replies) co_await send_.async_send_to(asio::buffer(r), from, use_tuple);
    }
  }

  settings config_;
  std::vector<std::string> locations_;
  udp::socket listen_;
  udp::socket send_;  // bound to our address: answers come from it, not from whatever the route picks
};

}  // namespace

std::unique_ptr<part> start_ssdp(asio::io_context& io, const settings& s, std::vector<std::string> locations) {
  return std::make_unique<ssdp_responder>(io, s, std::move(locations));
}

}  // namespace natpunch::gwsim
