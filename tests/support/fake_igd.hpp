// A scripted IGD on loopback for tests: its description at /rootDesc.xml, each SOAP call answered by a
// handler. Used by the SOAP client's tests and the CLI's IGD choice.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "loopback.hpp"
#include "natpunch/soap/envelope.hpp"
#include "natpunch/soap/igd.hpp"
#include "natpunch/soap/url.hpp"

namespace natpunch::test {

inline std::string http_answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Internal Server Error") +
         "\r\nContent-Type: text/xml\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

inline std::string description(int version, const std::string& control = "/ctl/IPConn") {
  const std::string v = std::to_string(version);
  return R"(<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:)" + v + R"(</deviceType><friendlyName>sim</friendlyName>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:)" + v + R"(</deviceType>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:)" + v + R"(</deviceType>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:)" + v + R"(</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>)" + control + R"(</controlURL>
<eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>)";
}

// A tiny IGD: the description at /rootDesc.xml, then each SOAP call answered by `on_call`, which
// returns the HTTP status and the envelope; calls are recorded.
struct fake_igd {
  using handler = std::function<std::pair<int, std::string>(const soap::soap_call&)>;
  fake_igd(asio::io_context& io, int version, handler h, std::string control = "/ctl/IPConn")
      : peer(io, [this, version, control](const std::string& req, unsigned) {
          if (req.starts_with("GET ")) return test::reply(http_answer(200, description(version, control)), true);
          const auto body = req.substr(req.find("\r\n\r\n") + 4);
          auto call = soap::parse_request(body);
          REQUIRE(call.has_value());
          calls.push_back(*call);
          const auto [status, envelope] = on_call(*call);
          return test::reply(http_answer(status, envelope), true);
        }),
        on_call(std::move(h)) {}

  soap::url location() const {
    return *soap::parse_url("http://127.0.0.1:" + std::to_string(peer.endpoint().port()) + "/rootDesc.xml");
  }

  test::tcp_peer peer;
  handler on_call;
  std::vector<soap::soap_call> calls;
};

inline std::pair<int, std::string> ok(const soap::soap_call& c, std::vector<soap::argument> args = {}) {
  return {200, *soap::build_response(c.service_type, c.action, args)};
}
inline std::pair<int, std::string> fault(std::uint16_t code, const char* text) { return {500, *soap::build_fault(code, text)}; }

}  // namespace natpunch::test
