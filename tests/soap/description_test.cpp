// Device description parsing (UDA 1.1 §2.3) and the choice of IGD services: real miniupnpd captures
// (tests/data/upnp/, IGD:2 and force_igd_desc_v1 mode) and hand-made hostile documents.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <string>

#include "natpunch/soap/description.hpp"

using namespace natpunch;
using soap::errc;

namespace {

const std::filesystem::path captures = std::filesystem::path(NATPUNCH_TEST_DATA) / "upnp";

// The body of a captured HTTP answer (miniupnpd sends Content-Length, never chunks).
std::string capture_body(const std::string& gateway, const std::string& name) {
  const std::filesystem::path path = captures / gateway / (name + ".http");
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing capture " << path.string());
  const std::string http((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto end = http.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  return http.substr(end + 4);
}

std::string service_xml(const std::string& type, const std::string& control) {
  return "<service><serviceType>" + type + "</serviceType><serviceId>urn:upnp-org:serviceId:x</serviceId>"
         "<SCPDURL>/scpd.xml</SCPDURL><controlURL>" + control + "</controlURL><eventSubURL>/evt</eventSubURL>"
         "</service>";
}

std::string device_xml(const std::string& type, const std::string& services, const std::string& children = "") {
  std::string out = "<device><deviceType>" + type + "</deviceType><UDN>uuid:" + type + "</UDN>";
  if (!services.empty()) out += "<serviceList>" + services + "</serviceList>";
  if (!children.empty()) out += "<deviceList>" + children + "</deviceList>";
  return out + "</device>";
}

std::string root_xml(const std::string& device) {
  return "<?xml version=\"1.0\"?>\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion><major>1</major>"
         "<minor>0</minor></specVersion>" + device + "</root>";
}

const std::string ip1 = "urn:schemas-upnp-org:service:WANIPConnection:1";
const std::string ip2 = "urn:schemas-upnp-org:service:WANIPConnection:2";
const std::string ppp1 = "urn:schemas-upnp-org:service:WANPPPConnection:1";
const std::string cif = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1";
const std::string fw = "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1";
const std::string igd1 = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
const std::string igd2 = "urn:schemas-upnp-org:device:InternetGatewayDevice:2";
const std::string wan = "urn:schemas-upnp-org:device:WANDevice:1";
const std::string wan_conn = "urn:schemas-upnp-org:device:WANConnectionDevice:1";

// An IGD: root -> WANDevice (interface config) -> WANConnectionDevice (the connection services).
std::string igd(const std::string& root_type, const std::string& connection_services) {
  return root_xml(device_xml(root_type, "",
                             device_xml(wan, service_xml(cif, "/cif"), device_xml(wan_conn, connection_services))));
}

std::optional<soap::igd_services> choose(const std::string& xml) {
  const auto desc = soap::parse_description(xml);
  REQUIRE(desc.has_value());
  return soap::choose_services(*desc);
}

// `levels` devices nested in each other, the innermost holding a WANIPConnection:1.
std::string nested(int levels) {
  std::string inner = device_xml(wan_conn, service_xml(ip1, "/ctl"));
  for (int i = 1; i < levels; ++i) inner = device_xml(wan, "", inner);
  return root_xml(inner);
}

}  // namespace

TEST_CASE("soap description: miniupnpd IGD:2 capture") {
  const auto desc = soap::parse_description(capture_body("miniupnpd_2.3.1_igd2", "rootDesc"));
  REQUIRE(desc.has_value());
  CHECK(desc->spec_major == 1);
  CHECK(desc->spec_minor == 1);
  CHECK_FALSE(desc->url_base.has_value());
  const soap::device& root = desc->root;
  CHECK(root.type == igd2);
  CHECK(root.friendly_name == "Debian router");
  CHECK(root.manufacturer == "Debian");
  CHECK(root.model_name == "Debian router");
  CHECK(root.udn.starts_with("uuid:"));  // each lab run draws a new one
  CHECK(root.presentation_url == "http://192.168.86.1/");
  REQUIRE(root.services.size() == 2);
  CHECK(root.services[0].type == "urn:schemas-upnp-org:service:Layer3Forwarding:1");
  CHECK(root.services[0].id == "urn:upnp-org:serviceId:L3Forwarding1");
  CHECK(root.services[0].scpd_url == "/L3F.xml");
  CHECK(root.services[0].control_url == "/ctl/L3F");
  CHECK(root.services[0].event_url == "/evt/L3F");
  REQUIRE(root.devices.size() == 1);
  const soap::device& wan_device = root.devices[0];
  CHECK(wan_device.type == "urn:schemas-upnp-org:device:WANDevice:2");
  REQUIRE(wan_device.devices.size() == 1);
  CHECK(wan_device.devices[0].services.size() == 2);

  const auto chosen = soap::choose_services(*desc);
  REQUIRE(chosen.has_value());
  CHECK(chosen->igd_version == 2);
  CHECK(chosen->connection_version == 2);
  CHECK_FALSE(chosen->ppp);
  CHECK(chosen->connection.type == ip2);
  CHECK(chosen->connection.control_url == "/ctl/IPConn");
  REQUIRE(chosen->common_interface.has_value());
  CHECK(chosen->common_interface->control_url == "/ctl/CmnIfCfg");
  REQUIRE(chosen->ipv6_firewall.has_value());
  CHECK(chosen->ipv6_firewall->control_url == "/ctl/IP6FCtl");
  CHECK(chosen->find(soap::service_kind::connection) == &chosen->connection);
  CHECK(chosen->find(soap::service_kind::ipv6_firewall) == &*chosen->ipv6_firewall);
}

TEST_CASE("soap description: miniupnpd IGD:1 capture") {
  const auto desc = soap::parse_description(capture_body("miniupnpd_2.3.1_igd1", "rootDesc"));
  REQUIRE(desc.has_value());
  CHECK(desc->root.type == igd1);
  const auto chosen = soap::choose_services(*desc);
  REQUIRE(chosen.has_value());
  CHECK(chosen->igd_version == 1);
  CHECK(chosen->connection.type == ip1);
  CHECK(chosen->connection.control_url == "/ctl/IPConn");
  CHECK(chosen->common_interface.has_value());
  CHECK_FALSE(chosen->ipv6_firewall.has_value());  // IGD:1 mode hides the firewall service
  CHECK(chosen->find(soap::service_kind::ipv6_firewall) == nullptr);
  // Both captures parse to the same shape of tree (three nested devices).
  REQUIRE(desc->root.devices.size() == 1);
  CHECK(desc->root.devices[0].devices.size() == 1);
  // Service descriptions (SCPDs) are well-formed XML but not device descriptions.
  for (const char* scpd : {"scpd.WANIPConnection_1", "scpd.WANCommonInterfaceConfig_1", "scpd.Layer3Forwarding_1"}) {
    CHECK(soap::parse_description(capture_body("miniupnpd_2.3.1_igd1", scpd)).error() == errc::not_a_description);
  }
}

TEST_CASE("soap description: nested devices keep document order") {
  const std::string xml = root_xml(device_xml(
      igd1, service_xml("urn:x:service:A:1", "/a"),
      device_xml("urn:x:device:B:1", service_xml("urn:x:service:B:1", "/b"),
                 device_xml("urn:x:device:C:1", "", device_xml("urn:x:device:D:1", service_xml(ip1, "/d")))) +
          device_xml("urn:x:device:E:1", service_xml("urn:x:service:E1:1", "/e1") + service_xml("urn:x:service:E2:1", "/e2"))));
  const auto desc = soap::parse_description(xml);
  REQUIRE(desc.has_value());
  const soap::device& root = desc->root;
  REQUIRE(root.devices.size() == 2);
  CHECK(root.devices[0].type == "urn:x:device:B:1");
  CHECK(root.devices[1].type == "urn:x:device:E:1");
  REQUIRE(root.devices[1].services.size() == 2);
  CHECK(root.devices[1].services[1].control_url == "/e2");
  REQUIRE(root.devices[0].devices.size() == 1);
  REQUIRE(root.devices[0].devices[0].devices.size() == 1);
  CHECK(root.devices[0].devices[0].devices[0].services[0].control_url == "/d");
  const auto chosen = soap::choose_services(*desc);
  REQUIRE(chosen.has_value());
  CHECK(chosen->connection.control_url == "/d");  // found four levels down
}

TEST_CASE("soap description: service choice order") {
  SUBCASE("WANIPConnection:2 over :1, wherever each stands") {
    const auto c = choose(igd(igd2, service_xml(ip1, "/v1") + service_xml(ip2, "/v2")));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/v2");
    CHECK(c->connection_version == 2);
    CHECK(c->igd_version == 2);
  }
  SUBCASE("WANIPConnection:1 over WANPPPConnection:1") {
    const auto c = choose(igd(igd1, service_xml(ppp1, "/ppp") + service_xml(ip1, "/ip")));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/ip");
    CHECK_FALSE(c->ppp);
  }
  SUBCASE("WANPPPConnection:1 alone") {
    const auto c = choose(igd(igd1, service_xml(ppp1, "/ppp")));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/ppp");
    CHECK(c->ppp);
    CHECK(c->igd_version == 1);
  }
  SUBCASE("the first of equal versions, in document order") {
    const auto c = choose(igd(igd1, service_xml(ip1, "/first") + service_xml(ip1, "/second")));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/first");
  }
  SUBCASE("a service without a controlURL does not count") {
    const auto c = choose(igd(igd2, service_xml(ip2, "  ") + service_xml(ip1, "/v1")));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/v1");
    CHECK(c->igd_version == 2);  // the device says IGD:2 even though its usable connection is v1
  }
  SUBCASE("type names are matched in any letter case") {
    const auto c = choose(igd(igd1, service_xml("URN:Schemas-UPnP-org:service:wanipconnection:1", "/ip")));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/ip");
  }
  SUBCASE("no connection service: not an IGD we can drive") {
    CHECK_FALSE(choose(igd(igd1, service_xml(cif, "/only-cif"))).has_value());
    CHECK_FALSE(choose(igd(igd1, service_xml("urn:schemas-upnp-org:service:WANIPConnectionX:1", "/x"))).has_value());
  }
  SUBCASE("without an IGD device the connection's version decides") {
    const auto c = choose(root_xml(device_xml("urn:x:device:Box:1", service_xml(ip2, "/ip"))));
    REQUIRE(c.has_value());
    CHECK(c->igd_version == 2);
  }
  SUBCASE("interface config and firewall from the connection's own branch") {
    // Two WANDevices; the second holds the only WANIPConnection:2, so its siblings are chosen.
    const std::string first = device_xml(wan, service_xml(cif, "/cif-a"),
                                         device_xml(wan_conn, service_xml(ip1, "/ip-a") + service_xml(fw, "/fw-a")));
    const std::string second = device_xml(wan, service_xml(cif, "/cif-b"),
                                          device_xml(wan_conn, service_xml(ip2, "/ip-b") + service_xml(fw, "/fw-b")));
    const auto c = choose(root_xml(device_xml(igd2, "", first + second)));
    REQUIRE(c.has_value());
    CHECK(c->connection.control_url == "/ip-b");
    REQUIRE(c->common_interface.has_value());
    CHECK(c->common_interface->control_url == "/cif-b");
    REQUIRE(c->ipv6_firewall.has_value());
    CHECK(c->ipv6_firewall->control_url == "/fw-b");
  }
  SUBCASE("interface config from anywhere when the branch has none") {
    const std::string first = device_xml(wan, service_xml(cif, "/cif-a"));
    const std::string second = device_xml(wan, "", device_xml(wan_conn, service_xml(ip1, "/ip-b")));
    const auto c = choose(root_xml(device_xml(igd1, "", first + second)));
    REQUIRE(c.has_value());
    REQUIRE(c->common_interface.has_value());
    CHECK(c->common_interface->control_url == "/cif-a");
  }
}

TEST_CASE("soap description: DOCTYPE is refused") {
  SUBCASE("a plain DOCTYPE") {
    CHECK(soap::parse_description("<?xml version=\"1.0\"?><!DOCTYPE root><root/>").error() == errc::doctype_forbidden);
  }
  SUBCASE("an internal-subset entity bomb") {
    const std::string bomb =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE root [\n <!ENTITY a \"aaaaaaaaaa\">\n"
        " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
        " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n]>\n<root><device><friendlyName>&d;</friendlyName></device></root>";
    CHECK(soap::parse_description(bomb).error() == errc::doctype_forbidden);
  }
  SUBCASE("in any letter case, anywhere") {
    CHECK(soap::parse_description("<!doctype root><root/>").error() == errc::doctype_forbidden);
    CHECK(soap::parse_description(root_xml("<!-- <!DocType x> -->" + device_xml(igd1, ""))).error() ==
          errc::doctype_forbidden);
  }
  SUBCASE("an external entity reference without a DOCTYPE stays literal text") {
    const auto desc =
        soap::parse_description(root_xml("<device><friendlyName>&xxe;</friendlyName></device>"));
    REQUIRE(desc.has_value());
    CHECK(desc->root.friendly_name == "&xxe;");
  }
}

TEST_CASE("soap description: size limit exactly at and one over") {
  const std::string xml = igd(igd1, service_xml(ip1, "/ctl"));
  soap::description_limits limits;
  limits.max_xml_bytes = xml.size();
  CHECK(soap::parse_description(xml, limits).has_value());
  limits.max_xml_bytes = xml.size() - 1;
  CHECK(soap::parse_description(xml, limits).error() == errc::xml_too_large);
}

TEST_CASE("soap description: depth limit exactly at and one over") {
  // root/device(/deviceList/device)*(levels-1)/serviceList/service/controlURL
  const int levels = 4;
  const std::size_t depth = 2 + 2 * (levels - 1) + 3;
  soap::description_limits limits;
  limits.max_depth = depth;
  CHECK(soap::parse_description(nested(levels), limits).has_value());
  limits.max_depth = depth - 1;
  CHECK(soap::parse_description(nested(levels), limits).error() == errc::xml_too_deep);
  SUBCASE("a nesting bomb far past the limit") {
    std::string bomb;
    for (int i = 0; i < 10000; ++i) bomb += "<a>";
    for (int i = 0; i < 10000; ++i) bomb += "</a>";
    CHECK(soap::parse_description(bomb).error() == errc::xml_too_deep);
  }
}

TEST_CASE("soap description: device and service counts exactly at and one over") {
  const std::string xml = nested(5);  // 5 devices, 1 service
  soap::description_limits limits;
  limits.max_devices = 5;
  CHECK(soap::parse_description(xml, limits).has_value());
  limits.max_devices = 4;
  CHECK(soap::parse_description(xml, limits).error() == errc::too_many_devices);

  std::string services;
  for (int i = 0; i < 6; ++i) services += service_xml(ip1, "/s" + std::to_string(i));
  const std::string many = igd(igd1, services);  // 6 + the interface config = 7
  limits = {};
  limits.max_services = 7;
  CHECK(soap::parse_description(many, limits).has_value());
  limits.max_services = 6;
  CHECK(soap::parse_description(many, limits).error() == errc::too_many_services);
}

TEST_CASE("soap description: field length exactly at and one over") {
  const std::string url = "/" + std::string(99, 'c');
  const std::string xml = igd(igd1, service_xml(ip1, url));
  soap::description_limits limits;
  limits.max_field_bytes = 100;
  const auto ok = soap::parse_description(xml, limits);
  REQUIRE(ok.has_value());
  CHECK(soap::choose_services(*ok)->connection.control_url == url);
  limits.max_field_bytes = 99;
  CHECK(soap::parse_description(xml, limits).error() == errc::field_too_long);
}

TEST_CASE("soap description: any namespace prefix, whitespace trimmed") {
  const std::string xml =
      "<d:root xmlns:d=\"urn:schemas-upnp-org:device-1-0\"><d:specVersion><d:major> 2 </d:major></d:specVersion>"
      "<d:URLBase>\n  http://10.0.0.1:49000/ \n</d:URLBase><d:device><d:deviceType>" + igd2 +
      "</d:deviceType><d:friendlyName><![CDATA[Box <1>]]></d:friendlyName><d:serviceList><d:service>"
      "<d:serviceType>\n\t" + ip2 + "\n</d:serviceType><d:controlURL> /upnp/control/WANIPConn1 </d:controlURL>"
      "</d:service></d:serviceList></d:device></d:root>";
  const auto desc = soap::parse_description(xml);
  REQUIRE(desc.has_value());
  CHECK(desc->spec_major == 2);
  CHECK(desc->spec_minor == 0);
  REQUIRE(desc->url_base.has_value());
  CHECK(*desc->url_base == "http://10.0.0.1:49000/");
  CHECK(desc->root.friendly_name == "Box <1>");
  const auto chosen = soap::choose_services(*desc);
  REQUIRE(chosen.has_value());
  CHECK(chosen->connection.control_url == "/upnp/control/WANIPConn1");
  CHECK(chosen->connection.scpd_url.empty());  // absent fields are empty
}

TEST_CASE("soap description: malformed documents") {
  CHECK(soap::parse_description("").error() == errc::bad_xml);
  CHECK(soap::parse_description("<root><device>").error() == errc::bad_xml);
  CHECK(soap::parse_description("<root/><root/>").error() == errc::bad_xml);
  CHECK(soap::parse_description("text<root/>").error() == errc::bad_xml);
  CHECK(soap::parse_description(std::string("<root/>\0<x>", 11)).error() == errc::bad_xml);
  CHECK(soap::parse_description("<html><body/></html>").error() == errc::not_a_description);
  CHECK(soap::parse_description("<root><specVersion><major>1</major></specVersion></root>").error() ==
        errc::no_root_device);
  SUBCASE("specVersion that is not a small number") {
    CHECK(soap::parse_description("<root><specVersion><major>-1</major></specVersion><device/></root>").error() ==
          errc::bad_value);
    CHECK(soap::parse_description("<root><specVersion><minor>1</minor></specVersion><device/></root>").error() ==
          errc::bad_value);
    CHECK(soap::parse_description("<root><specVersion><major>1</major><minor>1000</minor></specVersion><device/></root>")
              .error() == errc::bad_value);
  }
  SUBCASE("an element inside a text field") {
    CHECK(soap::parse_description(root_xml("<device><friendlyName>a<b/>c</friendlyName></device>")).error() ==
          errc::bad_value);
  }
  SUBCASE("text XML cannot carry") {
    CHECK(soap::parse_description(root_xml("<device><friendlyName>a&#27;[31m</friendlyName></device>")).error() ==
          errc::bad_text);
    CHECK(soap::parse_description(root_xml("<device><friendlyName>&#xD800;</friendlyName></device>")).error() ==
          errc::bad_text);
    CHECK(soap::parse_description(root_xml("<device><friendlyName>\xff\xfe</friendlyName></device>")).error() ==
          errc::bad_text);
    CHECK(soap::parse_description(root_xml("<device><friendlyName>caf\xc3\xa9 \xe2\x82\xac</friendlyName></device>"))
              ->root.friendly_name == "caf\xc3\xa9 \xe2\x82\xac");
  }
}

TEST_CASE("soap description: type versions") {
  CHECK(soap::type_version(ip2, "service:WANIPConnection") == 2);
  CHECK(soap::type_version(igd1, "device:InternetGatewayDevice") == 1);
  CHECK(soap::type_version("urn:schemas-upnp-org:service:WANIPConnection:12", "service:WANIPConnection") == 12);
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANIPConnection:", "service:WANIPConnection"));
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANIPConnection:0", "service:WANIPConnection"));
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANIPConnection:1000", "service:WANIPConnection"));
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANIPConnection:+1", "service:WANIPConnection"));
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANIPConnection: 1", "service:WANIPConnection"));
  CHECK_FALSE(soap::type_version("urn:dslforum-org:service:WANIPConnection:1", "service:WANIPConnection"));
  CHECK_FALSE(soap::type_version("urn:schemas-upnp-org:service:WANPPPConnection:1", "service:WANIPConnection"));
}
