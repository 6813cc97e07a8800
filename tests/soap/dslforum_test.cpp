// Routers that publish their IGD in the DSL Forum's TR-064 domain (urn:dslforum-org:): Huawei HG531 V1
// (tailscale/tailscale#10911, tests/data/upnp/huawei_hg531_v1.xml). The connection service is found
// there when the UPnP Forum's is absent, and every request names it exactly as the description does, in
// the SOAPAction header and the body's namespace; checked on the bytes a scripted loopback IGD receives.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <string>

#include "../support/fake_igd.hpp"
#include "natpunch/soap/client.hpp"
#include "natpunch/soap/description.hpp"
#include "natpunch/soap/envelope.hpp"
#include "natpunch/soap/igd.hpp"

using namespace natpunch;

namespace {

const std::filesystem::path upnp_data = std::filesystem::path(NATPUNCH_TEST_DATA) / "upnp";
const std::string ppp = "urn:dslforum-org:service:WANPPPConnection:1";
const std::string ip = "urn:dslforum-org:service:WANIPConnection:1";
const std::string cif = "urn:dslforum-org:service:WANCommonInterfaceConfig:1";

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing " << path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string huawei() { return read(upnp_data / "huawei_hg531_v1.xml"); }

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

soap::igd_services choose(const std::string& xml) {
  const auto desc = soap::parse_description(xml);
  REQUIRE(desc.has_value());
  const auto chosen = soap::choose_services(*desc);
  REQUIRE(chosen.has_value());
  return *chosen;
}

// The Huawei tree with one more service in its WANConnectionDevice, before the WANPPPConnection.
std::string huawei_with(const std::string& type, const std::string& control) {
  std::string xml = huawei();
  const std::string extra = "<service><serviceType>" + type + "</serviceType><serviceId>urn:x:serviceId:x1</serviceId>"
                            "<controlURL>" + control + "</controlURL></service>\n";
  const auto at = xml.find("<service>\n                <serviceType>" + ppp);
  REQUIRE(at != std::string::npos);
  xml.insert(at, extra);
  return xml;
}

// The body of a captured miniupnpd request.
std::string captured_body(const std::string& name) {
  const std::string request = read(upnp_data / "miniupnpd_2.3.1_igd1" / (name + ".request"));
  return request.substr(request.find("\r\n\r\n") + 4);
}

soap::port_mapping capture_mapping() {  // what tests/data/upnp/miniupnpd_2.3.1_igd1/AddPortMapping.ok asked
  soap::port_mapping m;
  m.external_port = 8080;
  m.internal_port = 8080;
  m.internal_client = "192.168.86.250";
  m.description = "natpunch capture";
  m.lease_duration = 3600;
  return m;
}

std::string header(const std::string& request, const std::string& name) {
  const auto at = request.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "<absent>";
  const auto from = at + 4 + name.size();
  return request.substr(from, request.find("\r\n", from) - from);
}

}  // namespace

TEST_CASE("soap dslforum: the Huawei HG531 V1 description gives its TR-064 WANPPPConnection") {
  const auto desc = soap::parse_description(huawei());
  REQUIRE(desc.has_value());
  CHECK(desc->root.type == "urn:dslforum-org:device:InternetGatewayDevice:1");
  CHECK(desc->root.friendly_name == "HG531 V1");
  const soap::igd_services chosen = choose(huawei());
  CHECK(chosen.connection.type == ppp);
  CHECK(chosen.connection.control_url == "/ctrlt/WANPPPConnection_1");
  CHECK(chosen.ppp);
  CHECK(chosen.dslforum());
  CHECK(chosen.connection_version == 1);
  CHECK(chosen.igd_version == 1);
  REQUIRE(chosen.common_interface.has_value());
  CHECK(chosen.common_interface->type == cif);
  CHECK(chosen.common_interface->control_url == "/ctrlt/WANCommonInterfaceConfig_1");
  CHECK_FALSE(chosen.ipv6_firewall.has_value());  // TR-064 has none
}

TEST_CASE("soap dslforum: the order of choice") {
  SUBCASE("TR-064's WANIPConnection before its WANPPPConnection, as in the UPnP Forum's domain") {
    const auto chosen = choose(huawei_with(ip, "/ctrlt/WANIPConnection_1"));
    CHECK(chosen.connection.type == ip);
    CHECK_FALSE(chosen.ppp);
    CHECK(chosen.dslforum());
  }
  SUBCASE("the UPnP Forum's services first, WANPPPConnection:1 included") {
    for (const std::string standard : {"urn:schemas-upnp-org:service:WANIPConnection:1",
                                       "urn:schemas-upnp-org:service:WANPPPConnection:1",
                                       "urn:schemas-upnp-org:service:WANIPConnection:2"}) {
      CAPTURE(standard);
      const auto chosen = choose(huawei_with(standard, "/ctl/standard"));
      CHECK(chosen.connection.type == standard);
      CHECK_FALSE(chosen.dslforum());
      // Its interface config is still the nearest one, TR-064's: the only one in this tree.
      REQUIRE(chosen.common_interface.has_value());
      CHECK(chosen.common_interface->type == cif);
    }
  }
  SUBCASE("a TR-064 service without a controlURL does not count") {
    std::string xml = huawei();
    replace_all(xml, "<controlURL>/ctrlt/WANPPPConnection_1</controlURL>", "");
    const auto desc = soap::parse_description(xml);
    REQUIRE(desc.has_value());
    CHECK_FALSE(soap::choose_services(*desc).has_value());
  }
  SUBCASE("another vendor's domain is not TR-064") {
    std::string xml = huawei();
    replace_all(xml, "urn:dslforum-org:service:WANPPPConnection:1", "urn:www-huawei-com:service:WANPPPConnection:1");
    const auto desc = soap::parse_description(xml);
    REQUIRE(desc.has_value());
    CHECK_FALSE(soap::choose_services(*desc).has_value());
  }
}

TEST_CASE("soap dslforum: type_version in either domain") {
  using soap::type_domain;
  CHECK(soap::type_version(ppp, "service:WANPPPConnection", type_domain::dslforum) == 1);
  CHECK(soap::type_version("URN:DSLForum-org:service:WANIPConnection:2", "service:WANIPConnection",
                           type_domain::dslforum) == 2);
  CHECK(soap::type_version("urn:dslforum-org:device:InternetGatewayDevice:1", "device:InternetGatewayDevice",
                           type_domain::dslforum) == 1);
  CHECK_FALSE(soap::type_version(ppp, "service:WANPPPConnection"));  // the default is the UPnP Forum's
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANPPPConnection:1", "service:WANPPPConnection",
                                 type_domain::dslforum));
  CHECK_FALSE(soap::type_version("urn:dslforum-org:service:WANPPPConnection:0", "service:WANPPPConnection",
                                 type_domain::dslforum));
  CHECK_FALSE(soap::type_version("urn:dslforum-orgXservice:WANPPPConnection:1", "service:WANPPPConnection",
                                 type_domain::dslforum));
}

TEST_CASE("soap dslforum: the request names the service exactly as the description does") {
  const soap::igd_services chosen = choose(huawei());
  const soap::call c = soap::add_port_mapping_call(capture_mapping());
  const auto request = soap::build_request(chosen.find(c.service)->type, c.action, c.args);
  REQUIRE(request.has_value());
  CHECK(request->soap_action == "\"urn:dslforum-org:service:WANPPPConnection:1#AddPortMapping\"");
  // Byte for byte what miniupnpd accepted in the lab, in TR-064's namespace.
  std::string expected = captured_body("AddPortMapping.ok");
  replace_all(expected, "urn:schemas-upnp-org:service:WANIPConnection:1", ppp);
  CHECK(request->body == expected);
  CHECK(request->body.find("<u:AddPortMapping xmlns:u=\"urn:dslforum-org:service:WANPPPConnection:1\">") !=
        std::string::npos);
}

TEST_CASE("soap dslforum: the client drives a scripted TR-064 IGD") {
  asio::io_context io;
  const std::string description = huawei();
  test::tcp_peer peer(io, [&](const std::string& request, unsigned) {
    if (request.starts_with("GET /desc.xml ")) return test::reply(test::http_answer(200, description), true);
    const auto call = soap::parse_request(request.substr(request.find("\r\n\r\n") + 4));
    REQUIRE(call.has_value());
    const std::string& type = call->service_type;
    std::vector<soap::argument> out;
    if (call->action == "AddPortMapping" && call->args.at(1).value == "9000") {
      // A TR-064 fault names TR-064's control namespace; it reads like any UPnPError.
      const std::string fault =
          "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>"
          "<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
          "<UPnPError xmlns=\"urn:dslforum-org:control-1-0\"><errorCode>718</errorCode>"
          "<errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body>"
          "</s:Envelope>";
      return test::reply(test::http_answer(500, fault), true);
    }
    if (call->action == "GetStatusInfo") {
      out = {{"NewConnectionStatus", "Connected"}, {"NewLastConnectionError", "ERROR_NONE"}, {"NewUpTime", "4711"}};
    } else if (call->action == "GetExternalIPAddress") {
      out = {{"NewExternalIPAddress", "203.0.113.9"}};
    } else if (call->action == "GetCommonLinkProperties") {
      out = {{"NewWANAccessType", "DSL"}, {"NewLayer1UpstreamMaxBitRate", "1000000"},
             {"NewLayer1DownstreamMaxBitRate", "16000000"}, {"NewPhysicalLinkStatus", "Up"}};
    }
    return test::reply(test::http_answer(200, *soap::build_response(type, call->action, out)), true);
  });
  const auto location = soap::parse_url("http://127.0.0.1:" + std::to_string(peer.endpoint().port()) + "/desc.xml");
  REQUIRE(location.has_value());
  soap::client client(io.get_executor());
  auto gw = test::run(io, client.async_describe(*location));
  REQUIRE(gw.has_value());
  CHECK(gw->services.dslforum());
  CHECK(soap::to_string(gw->connection_control) ==
        "http://127.0.0.1:" + std::to_string(peer.endpoint().port()) + "/ctrlt/WANPPPConnection_1");

  auto added = test::run(io, client.async_add(*gw, capture_mapping(), true));
  REQUIRE(added.has_value());
  CHECK(added->mapping == capture_mapping());
  REQUIRE(peer.requests().size() == 2);
  const std::string& post = peer.requests()[1];
  CHECK(post.starts_with("POST /ctrlt/WANPPPConnection_1 HTTP/1.1\r\n"));
  CHECK(header(post, "SOAPAction") == "\"urn:dslforum-org:service:WANPPPConnection:1#AddPortMapping\"");
  CHECK(header(post, "Content-Type") == "text/xml; charset=\"utf-8\"");
  std::string expected = captured_body("AddPortMapping.ok");
  replace_all(expected, "urn:schemas-upnp-org:service:WANIPConnection:1", ppp);
  CHECK(post.substr(post.find("\r\n\r\n") + 4) == expected);

  soap::port_mapping taken = capture_mapping();
  taken.external_port = 9000;
  CHECK(test::run(io, client.async_add(*gw, taken, true)).error() == soap::upnp_error::conflict_in_mapping_entry);

  const auto status = test::run(io, client.async_status(*gw));
  REQUIRE(status.has_value());
  CHECK(status->connected());
  CHECK(status->uptime == 4711);  // TR-064's NewUpTime
  CHECK(test::run(io, client.async_external_ip(*gw)).value().to_string() == "203.0.113.9");
  const auto link = test::run(io, client.async_link_properties(*gw));
  REQUIRE(link.has_value());
  CHECK(link->access_type == "DSL");
  const std::string& link_post = peer.requests().back();
  CHECK(link_post.starts_with("POST /ctrlt/WANCommonInterfaceConfig_1 HTTP/1.1\r\n"));
  CHECK(header(link_post, "SOAPAction") == "\"" + cif + "#GetCommonLinkProperties\"");
  for (std::size_t i = 1; i < peer.requests().size(); ++i) {
    CAPTURE(i);
    CHECK(header(peer.requests()[i], "SOAPAction").starts_with("\"urn:dslforum-org:service:"));
  }
}
