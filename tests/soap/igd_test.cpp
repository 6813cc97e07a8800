// Typed IGD actions: every call builds exactly the request miniupnpd accepted in the lab, every decoder
// reads the real answers (tests/data/upnp/miniupnpd_2.3.1_igd2) and refuses broken ones, and the
// GetListOfPortMappings listing is read with 0, 1 and many entries and against its cap.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <string>
#include <variant>
#include <vector>

#include "natpunch/soap/igd.hpp"

#include <functional>
#include <map>

using namespace natpunch;
using core::ip_protocol;
using soap::errc;

namespace {

const std::filesystem::path upnp_data = std::filesystem::path(NATPUNCH_TEST_DATA) / "upnp";
const std::filesystem::path captures = upnp_data / "miniupnpd_2.3.1_igd2";
const std::string ip2 = "urn:schemas-upnp-org:service:WANIPConnection:2";
const std::string cif1 = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1";
const std::string fw1 = "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1";

std::string read_capture(const std::string& file) {
  std::ifstream in(captures / file, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing capture " << file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
std::string body(const std::string& file) {
  const std::string message = read_capture(file);
  const auto end = message.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  return message.substr(end + 4);
}

// The captured answer <name>.http to `action`, as arguments or a fault.
std::variant<soap::action_response, soap::fault> reply(const std::string& name, std::string_view action) {
  const auto parsed = soap::parse_response(body(name + ".http"), action);
  REQUIRE(parsed.has_value());
  return *parsed;
}
soap::action_response ok(const std::string& name, std::string_view action) {
  const auto r = reply(name, action);
  REQUIRE(std::holds_alternative<soap::action_response>(r));
  return std::get<soap::action_response>(r);
}
soap::fault fault_of(const std::string& name, std::string_view action) {
  const auto r = reply(name, action);
  REQUIRE(std::holds_alternative<soap::fault>(r));
  return std::get<soap::fault>(r);
}

soap::action_response args(std::vector<soap::argument> a) { return {std::move(a)}; }

soap::port_mapping capture_mapping(std::uint16_t port) {
  soap::port_mapping m;
  m.external_port = m.internal_port = port;
  m.internal_client = "192.168.86.250";
  m.description = "natpunch capture";
  m.lease_duration = 3600;
  return m;
}

std::string listing_entry(const std::string& port, const std::string& protocol = "TCP") {
  return "<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost><p:NewExternalPort>" + port +
         "</p:NewExternalPort><p:NewProtocol>" + protocol + "</p:NewProtocol><p:NewInternalPort>" + port +
         "</p:NewInternalPort><p:NewInternalClient>10.0.0.2</p:NewInternalClient><p:NewEnabled>1</p:NewEnabled>"
         "<p:NewDescription>d" + port + "</p:NewDescription><p:NewLeaseTime>60</p:NewLeaseTime></p:PortMappingEntry>";
}
std::string listing(const std::string& entries) {
  return "<?xml version=\"1.0\"?>\n<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\">" + entries +
         "</p:PortMappingList>";
}

}  // namespace

TEST_CASE("soap igd: calls build exactly the captured requests") {
  struct expected {
    const char* file;
    const std::string& type;
    soap::call c;
  };
  soap::port_mapping remote = capture_mapping(8082);
  remote.remote_host = "11.0.0.1";
  soap::port_mapping lease0 = capture_mapping(8081);
  lease0.lease_duration = 0;
  soap::port_mapping udp = capture_mapping(9090);
  udp.protocol = ip_protocol::udp;
  // The lab picks AddAnyPortMapping's ports per run: take them from the captured request itself (its
  // arguments are exactly a generic entry's), then rebuild it.
  const auto any_request = soap::parse_request(body("AddAnyPortMapping.request"));
  REQUIRE(any_request.has_value());
  const auto any = soap::decode_generic_entry(soap::action_response{any_request->args});
  REQUIRE(any.has_value());
  soap::pinhole hole{"", 0, "fd00:86::250", 8080, soap::pinhole_protocol_tcp, 3600};
  soap::pinhole udp_hole{"2001:db8:11::1", 4000, "fd00:86::250", 9090, soap::pinhole_protocol(ip_protocol::udp), 600};
  soap::pinhole outbound{"2001:db8:11::1", 443, "fd00:86::250", 8080, 6, 0};
  const expected table[] = {
      {"GetExternalIPAddress", ip2, soap::get_external_ip_address_call()},
      {"GetStatusInfo", ip2, soap::get_status_info_call()},
      {"GetConnectionTypeInfo", ip2, soap::get_connection_type_info_call()},
      {"GetCommonLinkProperties", cif1, soap::get_common_link_properties_call()},
      {"AddPortMapping.ok", ip2, soap::add_port_mapping_call(capture_mapping(8080))},
      {"AddPortMapping.remote_host", ip2, soap::add_port_mapping_call(remote)},
      {"AddPortMapping.lease0", ip2, soap::add_port_mapping_call(lease0)},
      {"AddPortMapping.udp", ip2, soap::add_port_mapping_call(udp)},
      {"AddAnyPortMapping", ip2, soap::add_any_port_mapping_call(*any)},
      {"DeletePortMapping.ok", ip2, soap::delete_port_mapping_call("", 8080, ip_protocol::tcp)},
      {"DeletePortMappingRange", ip2, soap::delete_port_mapping_range_call(30000, 30009, ip_protocol::tcp, false)},
      {"GetGenericPortMappingEntry.out_of_range", ip2, soap::get_generic_port_mapping_entry_call(999)},
      {"GetSpecificPortMappingEntry.remote_host", ip2,
       soap::get_specific_port_mapping_entry_call("11.0.0.1", 8082, ip_protocol::tcp)},
      {"GetListOfPortMappings.one", ip2, soap::get_list_of_port_mappings_call(9090, 9090, ip_protocol::udp, false, 1000)},
      {"GetListOfPortMappings.all_manage1", ip2,
       soap::get_list_of_port_mappings_call(0, 65535, ip_protocol::tcp, true, 5)},
      {"GetFirewallStatus", fw1, soap::get_firewall_status_call()},
      {"GetOutboundPinholeTimeout.remote_host", fw1, soap::get_outbound_pinhole_timeout_call(outbound)},
      {"AddPinhole", fw1, soap::add_pinhole_call(hole)},
      {"AddPinhole.udp", fw1, soap::add_pinhole_call(udp_hole)},
      {"UpdatePinhole", fw1, soap::update_pinhole_call(1, 7200)},
      {"DeletePinhole", fw1, soap::delete_pinhole_call(1)},
      {"GetPinholePackets", fw1, soap::get_pinhole_packets_call(1)},
      {"CheckPinholeWorking", fw1, soap::check_pinhole_working_call(1)},
  };
  for (const expected& e : table) {
    CAPTURE(std::string(e.file));
    const auto request = soap::build_request(e.type, e.c.action, e.c.args);
    REQUIRE(request.has_value());
    CHECK(request->body == body(std::string(e.file) + ".request"));
    const std::string captured = read_capture(std::string(e.file) + ".request");
    CHECK(captured.find("\r\nSOAPAction: " + request->soap_action + "\r\n") != std::string::npos);
    const soap::service_kind expected_kind = &e.type == &fw1    ? soap::service_kind::ipv6_firewall
                                             : &e.type == &cif1 ? soap::service_kind::common_interface
                                                                : soap::service_kind::connection;
    CHECK(e.c.service == expected_kind);
  }
}

TEST_CASE("soap igd: decoders read miniupnpd's answers") {
  const auto ip = soap::decode_external_ip(ok("GetExternalIPAddress", "GetExternalIPAddress"));
  REQUIRE(ip.has_value());
  CHECK(ip->to_string() == "11.0.0.5");
  const auto status = soap::decode_status_info(ok("GetStatusInfo", "GetStatusInfo"));
  REQUIRE(status.has_value());
  CHECK(status->connection_status == "Connected");
  CHECK(status->last_connection_error == "ERROR_NONE");
  CHECK(status->connected());
  CHECK(status->uptime > 0);
  CHECK(soap::decode_connection_type_info(ok("GetConnectionTypeInfo", "GetConnectionTypeInfo")).value() ==
        soap::connection_type_info{"IP_Routed", "IP_Routed"});
  CHECK(soap::decode_common_link_properties(ok("GetCommonLinkProperties", "GetCommonLinkProperties")).value() ==
        soap::link_properties{"Cable", 1410065408, 1410065408, "Up"});
  CHECK(soap::decode_reserved_port(ok("AddAnyPortMapping", "AddAnyPortMapping")).value() == 8080);

  soap::port_mapping entry = capture_mapping(8087);
  CHECK(soap::decode_generic_entry(ok("GetGenericPortMappingEntry.index0", "GetGenericPortMappingEntry")).value() ==
        entry);
  soap::port_mapping specific = capture_mapping(8085);
  specific.description = "a <b> & \"c\" \xc3\xa9";
  CHECK(soap::decode_specific_entry(ok("GetSpecificPortMappingEntry.escaped_description", "GetSpecificPortMappingEntry"),
                                    "", 8085, ip_protocol::tcp)
            .value() == specific);
  soap::port_mapping remote = capture_mapping(8082);
  remote.remote_host = "11.0.0.1";
  CHECK(soap::decode_specific_entry(ok("GetSpecificPortMappingEntry.remote_host", "GetSpecificPortMappingEntry"),
                                    "11.0.0.1", 8082, ip_protocol::tcp)
            .value() == remote);

  CHECK(soap::decode_firewall_status(ok("GetFirewallStatus", "GetFirewallStatus")).value() ==
        soap::firewall_status{true, true});
  CHECK(soap::decode_pinhole_id(ok("AddPinhole", "AddPinhole")).value() == 1);
  CHECK(soap::decode_pinhole_packets(ok("GetPinholePackets", "GetPinholePackets")).value() == 0);
}

TEST_CASE("soap igd: miniupnpd's faults in their categories") {
  const std::error_code conflict =
      soap::fault_error(fault_of("AddPortMapping.conflict", "AddPortMapping"), soap::service_kind::connection);
  CHECK(conflict == soap::upnp_error::conflict_in_mapping_entry);
  CHECK(conflict.message().starts_with("ConflictInMappingEntry (718): "));
  CHECK(soap::fault_error(fault_of("GetGenericPortMappingEntry.out_of_range", "GetGenericPortMappingEntry"),
                          soap::service_kind::connection) == soap::upnp_error::specified_array_index_invalid);
  // 709 is a connection code for WANIPConnection and "no packet yet" for the firewall.
  const soap::fault not_yet = fault_of("CheckPinholeWorking", "CheckPinholeWorking");
  CHECK(soap::fault_error(not_yet, soap::service_kind::ipv6_firewall) == soap::firewall_error::no_packet_sent);
  CHECK(soap::fault_error(not_yet, soap::service_kind::connection) == soap::upnp_error::internet_access_disabled);
  CHECK(soap::fault_error(fault_of("AddPinhole.over_ipv4", "AddPinhole"), soap::service_kind::ipv6_firewall)
            .message()
            .starts_with("ActionNotAuthorized (606): "));
  CHECK(soap::fault_error(soap::fault{899, "vendor"}, soap::service_kind::connection).message() ==
        "unknown result code 899");
  CHECK(soap::fault_error(soap::fault{}, soap::service_kind::connection) == soap::upnp_error::action_failed);
}

TEST_CASE("soap igd: numbers are read strictly") {
  const auto port = [](const std::string& v) { return soap::decode_reserved_port(args({{"NewReservedPort", v}})); };
  CHECK(port("1").value() == 1);
  CHECK(port("65535").value() == 65535);
  CHECK(port(" 8080\n").value() == 8080);
  CHECK(port("008080").value() == 8080);
  for (const std::string bad : {"0", "65536", "-1", "+80", "80a", "", " ", "1e3", "0x50", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK(port(bad).error() == errc::bad_value);
  }
  const auto packets = [](const std::string& v) { return soap::decode_pinhole_packets(args({{"PinholePackets", v}})); };
  CHECK(packets("0").value() == 0);
  CHECK(packets("4294967295").value() == 4294967295u);
  CHECK(packets("4294967296").error() == errc::bad_value);
  CHECK(soap::decode_pinhole_id(args({{"UniqueID", "65536"}})).error() == errc::bad_value);
  CHECK(soap::decode_pinhole_id(args({{"UniqueID", "0"}})).value() == 0);
  CHECK(soap::decode_outbound_pinhole_timeout(args({{"OutboundPinholeTimeout", "86400"}})).value() == 86400);
}

TEST_CASE("soap igd: booleans, protocols and addresses") {
  for (const std::string yes : {"1", "true", "TRUE", "yes", " Yes "}) {
    CHECK(soap::decode_pinhole_working(args({{"IsWorking", yes}})).value());
  }
  for (const std::string no : {"0", "false", "No"}) CHECK_FALSE(soap::decode_pinhole_working(args({{"IsWorking", no}})).value());
  for (const std::string bad : {"", "2", "on", "truee", "-1"}) {
    CHECK(soap::decode_pinhole_working(args({{"IsWorking", bad}})).error() == errc::bad_value);
  }
  CHECK(soap::decode_firewall_status(args({{"FirewallEnabled", "1"}})).error() == errc::missing_argument);

  soap::action_response entry = ok("GetGenericPortMappingEntry.index0", "GetGenericPortMappingEntry");
  for (auto& a : entry.args) {
    if (a.name == "NewProtocol") a.value = "udp";
  }
  CHECK(soap::decode_generic_entry(entry)->protocol == ip_protocol::udp);
  for (auto& a : entry.args) {
    if (a.name == "NewProtocol") a.value = "SCTP";
  }
  CHECK(soap::decode_generic_entry(entry).error() == errc::bad_value);

  const auto ip = [](const std::string& v) { return soap::decode_external_ip(args({{"NewExternalIPAddress", v}})); };
  CHECK(ip("").value() == asio::ip::address(asio::ip::address_v4()));  // WAN down on some gateways
  CHECK(ip(" 203.0.113.7 ").value().to_string() == "203.0.113.7");
  CHECK(ip("2001:db8::1").value().to_string() == "2001:db8::1");
  for (const std::string& bad : {std::string("1.2.3"), std::string("1.2.3.256"), std::string("example.com"),
                                 std::string("fe80::1%eth0"), std::string("1.2.3.4 5"), std::string(46, '1')}) {
    CAPTURE(bad);
    CHECK(ip(bad).error() == errc::bad_value);
  }
  CHECK(soap::decode_external_ip(args({})).error() == errc::missing_argument);
}

TEST_CASE("soap igd: broken entries and status answers") {
  const soap::action_response good = ok("GetGenericPortMappingEntry.index0", "GetGenericPortMappingEntry");
  for (const std::string name : {"NewRemoteHost", "NewExternalPort", "NewProtocol", "NewInternalPort",
                                 "NewInternalClient", "NewEnabled", "NewPortMappingDescription", "NewLeaseDuration"}) {
    CAPTURE(name);
    soap::action_response missing = good;
    std::erase_if(missing.args, [&](const soap::argument& a) { return a.name == name; });
    CHECK(soap::decode_generic_entry(missing).error() == errc::missing_argument);
  }
  soap::action_response zero = good;
  for (auto& a : zero.args) {
    if (a.name == "NewInternalPort") a.value = "0";
  }
  CHECK(soap::decode_generic_entry(zero).error() == errc::bad_value);

  soap::soap_limits limits;
  limits.max_field_bytes = 16;  // "natpunch capture" is 16 bytes
  CHECK(soap::decode_generic_entry(good, limits).has_value());
  limits.max_field_bytes = 15;
  CHECK(soap::decode_generic_entry(good, limits).error() == errc::field_too_long);

  CHECK(soap::decode_status_info(args({{"NewConnectionStatus", "Connected"}, {"NewLastConnectionError", "ERROR_NONE"},
                                       {"NewUptime", "-5"}}))
            .error() == errc::bad_value);
  CHECK(soap::decode_status_info(args({{"NewConnectionStatus", "Disconnected"}, {"NewLastConnectionError", ""},
                                       {"NewUptime", "0"}}))
            ->connected() == false);
  CHECK(soap::decode_common_link_properties(args({{"NewWANAccessType", "DSL"}})).error() == errc::missing_argument);
  CHECK(soap::decode_connection_type_info(args({{"NewConnectionType", "IP_Routed"}})).error() ==
        errc::missing_argument);
  CHECK(soap::decode_outbound_pinhole_timeout(args({{"OutboundPinholeTimeout", "1.5"}})).error() == errc::bad_value);
}

TEST_CASE("soap igd: port listings with 0, 1 and many entries") {
  const auto empty = soap::decode_port_listing(ok("GetListOfPortMappings.empty", "GetListOfPortMappings"));
  REQUIRE(empty.has_value());
  CHECK(empty->empty());

  const auto one = soap::decode_port_listing(ok("GetListOfPortMappings.one", "GetListOfPortMappings"));
  REQUIRE(one.has_value());
  REQUIRE(one->size() == 1);
  soap::port_mapping udp = capture_mapping(9090);
  udp.protocol = ip_protocol::udp;
  CHECK(one->front() == udp);

  const auto twenty = soap::decode_port_listing(ok("GetListOfPortMappings.twenty", "GetListOfPortMappings"));
  REQUIRE(twenty.has_value());
  REQUIRE(twenty->size() == 20);
  for (std::size_t i = 0; i < 20; ++i) {
    CAPTURE(i);
    const auto port = static_cast<std::uint16_t>(30019 - i);  // miniupnpd lists the newest first
    CHECK((*twenty)[i].external_port == port);
    CHECK((*twenty)[i].internal_port == port);
    CHECK((*twenty)[i].description == "natpunch bulk " + std::to_string(port - 30000));
    CHECK((*twenty)[i].lease_duration <= 3600);
  }
  const auto five = soap::decode_port_listing(ok("GetListOfPortMappings.all_manage1", "GetListOfPortMappings"));
  REQUIRE(five.has_value());
  CHECK(five->size() == 5);  // as many as NewNumberOfPorts asked

  SUBCASE("escaped instead of CDATA, and as a bare empty string") {
    const std::string escaped =
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:GetListOfPortMappingsResponse "
        "xmlns:u=\"x\"><NewPortListing>&lt;?xml version=&quot;1.0&quot;?&gt;&lt;PortMappingList&gt;&lt;"
        "PortMappingEntry&gt;&lt;NewRemoteHost/&gt;&lt;NewExternalPort&gt;80&lt;/NewExternalPort&gt;&lt;NewProtocol"
        "&gt;tcp&lt;/NewProtocol&gt;&lt;NewInternalPort&gt;8080&lt;/NewInternalPort&gt;&lt;NewInternalClient&gt;"
        "10.0.0.9&lt;/NewInternalClient&gt;&lt;NewEnabled&gt;0&lt;/NewEnabled&gt;&lt;NewPortMappingDescription&gt;"
        "web&lt;/NewPortMappingDescription&gt;&lt;NewLeaseDuration&gt;0&lt;/NewLeaseDuration&gt;&lt;/"
        "PortMappingEntry&gt;&lt;/PortMappingList&gt;</NewPortListing></u:GetListOfPortMappingsResponse></s:Body>"
        "</s:Envelope>";
    const auto parsed = soap::parse_response(escaped, "GetListOfPortMappings");
    REQUIRE(parsed.has_value());
    const auto entries = soap::decode_port_listing(std::get<soap::action_response>(*parsed));
    REQUIRE(entries.has_value());
    REQUIRE(entries->size() == 1);
    CHECK(entries->front() ==
          soap::port_mapping{"", 80, ip_protocol::tcp, 8080, "10.0.0.9", false, "web", 0});  // v1 field names
    CHECK(soap::decode_port_listing(args({{"NewPortListing", " \n"}}))->empty());
    CHECK(soap::decode_port_listing(args({})).error() == errc::missing_argument);
  }
}

TEST_CASE("soap igd: port listing cap exactly at and one over") {
  std::string entries;
  for (int i = 1; i <= 10; ++i) entries += listing_entry(std::to_string(1000 + i));
  soap::soap_limits limits;
  limits.max_listing_entries = 10;
  const auto at = soap::parse_port_listing(listing(entries), limits);
  REQUIRE(at.has_value());
  CHECK(at->size() == 10);
  limits.max_listing_entries = 9;
  CHECK(soap::parse_port_listing(listing(entries), limits).error() == errc::too_many_entries);
}

TEST_CASE("soap igd: broken port listings") {
  CHECK(soap::parse_port_listing("<PortMappingEntries/>").error() == errc::not_a_port_listing);
  CHECK(soap::parse_port_listing("<!DOCTYPE l>" + listing("")).error() == errc::doctype_forbidden);
  CHECK(soap::parse_port_listing(listing(listing_entry("80")).substr(0, 120)).error() == errc::bad_xml);
  CHECK(soap::parse_port_listing(listing(listing_entry("0"))).error() == errc::bad_value);
  CHECK(soap::parse_port_listing(listing(listing_entry("65536"))).error() == errc::bad_value);
  CHECK(soap::parse_port_listing(listing(listing_entry("80", "ICMP"))).error() == errc::bad_value);
  CHECK(soap::parse_port_listing(listing("<p:PortMappingEntry><p:NewExternalPort>80</p:NewExternalPort>"
                                         "</p:PortMappingEntry>"))
            .error() == errc::missing_argument);
  CHECK(soap::parse_port_listing(listing("<p:PortMappingEntry><p:NewRemoteHost><x/></p:NewRemoteHost>"
                                         "</p:PortMappingEntry>"))
            .error() == errc::bad_value);
  // Unknown elements, between entries or inside one, are skipped.
  const auto extra = soap::parse_port_listing(listing("<p:Comment>x</p:Comment>" + listing_entry("80")));
  REQUIRE(extra.has_value());
  CHECK(extra->size() == 1);
  soap::soap_limits limits;
  limits.max_field_bytes = 2;
  CHECK(soap::parse_port_listing(listing(listing_entry("80")), limits).error() == errc::field_too_long);
}

TEST_CASE("soap igd: every captured SOAP answer, both IGD versions, reads as its HTTP status says") {
  using decoder = std::function<bool(const soap::action_response&, const soap::soap_call&)>;
  const std::map<std::string, decoder> decoders = {
      {"GetExternalIPAddress", [](auto& r, auto&) { return soap::decode_external_ip(r).has_value(); }},
      {"GetStatusInfo", [](auto& r, auto&) { return soap::decode_status_info(r).has_value(); }},
      {"GetConnectionTypeInfo", [](auto& r, auto&) { return soap::decode_connection_type_info(r).has_value(); }},
      {"GetCommonLinkProperties", [](auto& r, auto&) { return soap::decode_common_link_properties(r).has_value(); }},
      {"AddAnyPortMapping", [](auto& r, auto&) { return soap::decode_reserved_port(r).has_value(); }},
      {"GetGenericPortMappingEntry", [](auto& r, auto&) { return soap::decode_generic_entry(r).has_value(); }},
      {"GetSpecificPortMappingEntry",
       [](auto& r, auto& asked) {
         const auto port = soap::decode_reserved_port(args({{"NewReservedPort", asked.args[1].value}}));
         return port && soap::decode_specific_entry(r, asked.args[0].value, *port, ip_protocol::tcp).has_value();
       }},
      {"GetListOfPortMappings", [](auto& r, auto&) { return soap::decode_port_listing(r).has_value(); }},
      {"GetFirewallStatus", [](auto& r, auto&) { return soap::decode_firewall_status(r).has_value(); }},
      {"AddPinhole", [](auto& r, auto&) { return soap::decode_pinhole_id(r).has_value(); }},
      {"GetPinholePackets", [](auto& r, auto&) { return soap::decode_pinhole_packets(r).has_value(); }},
  };
  std::size_t answers = 0;
  std::size_t faults = 0;
  for (const char* gateway : {"miniupnpd_2.3.1_igd1", "miniupnpd_2.3.1_igd2"}) {
    for (const auto& file : std::filesystem::directory_iterator(upnp_data / gateway)) {
      if (file.path().extension() != ".request") continue;
      const std::string name = file.path().stem().string();
      CAPTURE(name);
      std::ifstream request_in(file.path(), std::ios::binary), answer_in(upnp_data / gateway / (name + ".http"));
      const std::string request((std::istreambuf_iterator<char>(request_in)), std::istreambuf_iterator<char>());
      const std::string answer((std::istreambuf_iterator<char>(answer_in)), std::istreambuf_iterator<char>());
      const auto hash = request.find("#");
      if (request.find("\r\nSOAPAction: ") == std::string::npos || hash == std::string::npos) continue;
      const std::string action = request.substr(hash + 1, request.find('"', hash) - hash - 1);
      const auto asked = soap::parse_request(request.substr(request.find("\r\n\r\n") + 4));
      const auto parsed = soap::parse_response(answer.substr(answer.find("\r\n\r\n") + 4), action);
      REQUIRE(parsed.has_value());
      if (answer.starts_with("HTTP/1.1 500 ")) {
        CHECK(std::holds_alternative<soap::fault>(*parsed));
        ++faults;
        continue;
      }
      REQUIRE(answer.starts_with("HTTP/1.1 200 "));
      REQUIRE(std::holds_alternative<soap::action_response>(*parsed));
      ++answers;
      const auto decode = decoders.find(action);
      if (decode != decoders.end() && asked.has_value()) CHECK(decode->second(std::get<0>(*parsed), *asked));
    }
  }
  CHECK(answers >= 60);
  CHECK(faults >= 15);
}
