// SOAP envelopes (UDA 1.1 §3.2): requests byte for byte as a real gateway accepted them, answers and
// UPnPError faults from miniupnpd captures, every namespace prefix style, escaping round trips, limits,
// and the names and messages of every gateway error code.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <string>
#include <variant>
#include <vector>

#include "natpunch/soap/envelope.hpp"
#include "natpunch/soap/error.hpp"

using namespace natpunch;
using soap::errc;

namespace {

const std::filesystem::path captures = std::filesystem::path(NATPUNCH_TEST_DATA) / "upnp" / "miniupnpd_2.3.1_igd2";
const std::string ip2 = "urn:schemas-upnp-org:service:WANIPConnection:2";

// The body of a captured HTTP message (.http answer or .request), and the SOAPAction header of a request.
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
std::string header(const std::string& file, const std::string& name) {
  const std::string message = read_capture(file);
  const auto start = message.find("\r\n" + name + ": ");
  REQUIRE(start != std::string::npos);
  const auto value = start + name.size() + 4;
  return message.substr(value, message.find("\r\n", value) - value);
}

soap::action_response answer(const std::string& xml, const std::string& action) {
  const auto parsed = soap::parse_response(xml, action);
  REQUIRE(parsed.has_value());
  REQUIRE(std::holds_alternative<soap::action_response>(*parsed));
  return std::get<soap::action_response>(*parsed);
}

soap::fault fault_of(const std::string& xml, const std::string& action) {
  const auto parsed = soap::parse_response(xml, action);
  REQUIRE(parsed.has_value());
  REQUIRE(std::holds_alternative<soap::fault>(*parsed));
  return std::get<soap::fault>(*parsed);
}

std::string envelope(const std::string& body_content) {
  return "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>" + body_content +
         "</s:Body></s:Envelope>";
}

std::string upnp_fault(const std::string& detail) {
  return envelope("<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>" + detail +
                  "</detail></s:Fault>");
}

std::string message(std::error_code ec) { return ec.message(); }

}  // namespace

TEST_CASE("soap envelope: requests are byte for byte what miniupnpd accepted") {
  const std::vector<soap::argument> args = {
      {"NewRemoteHost", ""},          {"NewExternalPort", "8080"},       {"NewProtocol", "TCP"},
      {"NewInternalPort", "8080"},    {"NewInternalClient", "192.168.86.250"}, {"NewEnabled", "1"},
      {"NewPortMappingDescription", "natpunch capture"}, {"NewLeaseDuration", "3600"}};
  const auto request = soap::build_request(ip2, "AddPortMapping", args);
  REQUIRE(request.has_value());
  CHECK(request->body == body("AddPortMapping.ok.request"));
  CHECK(request->soap_action == header("AddPortMapping.ok.request", "SOAPAction"));
  CHECK(request->soap_action == "\"" + ip2 + "#AddPortMapping\"");

  const auto no_args = soap::build_request(ip2, "GetExternalIPAddress", {});
  REQUIRE(no_args.has_value());
  CHECK(no_args->body == body("GetExternalIPAddress.request"));

  SUBCASE("the escaped description capture") {
    std::vector<soap::argument> escaped = args;
    escaped[1].value = escaped[3].value = "8085";
    escaped[6].value = "a <b> & \"c\" \xc3\xa9";
    const auto built = soap::build_request(ip2, "AddPortMapping", escaped);
    REQUIRE(built.has_value());
    // We escape what the capture wrote as a character reference (&#233;) as plain UTF-8: both read the same.
    const auto ours = soap::parse_request(built->body);
    const auto theirs = soap::parse_request(body("AddPortMapping.escaped_description.request"));
    REQUIRE(ours.has_value());
    REQUIRE(theirs.has_value());
    CHECK(*ours == *theirs);
  }
}

TEST_CASE("soap envelope: escaping round trip through the gateway's side") {
  const std::vector<std::string> values = {
      "",      " ",           "  two  ",   "a&b",          "<tag attr=\"v\">", "it's",     "]]>",
      "&amp;", "line\nbreak", "cr\rhere",  "crlf\r\nend",  "tab\tstop",        "caf\xc3\xa9 \xf0\x9f\x98\x80",
  };
  std::vector<soap::argument> args;
  for (std::size_t i = 0; i < values.size(); ++i) args.push_back({"Arg" + std::to_string(i), values[i]});
  const auto request = soap::build_request(ip2, "AddPortMapping", args);
  REQUIRE(request.has_value());
  const auto call = soap::parse_request(request->body);
  REQUIRE(call.has_value());
  CHECK(call->service_type == ip2);
  CHECK(call->action == "AddPortMapping");
  CHECK(call->args == args);

  const auto response = soap::build_response(ip2, "GetStatusInfo", args);
  REQUIRE(response.has_value());
  CHECK(answer(*response, "GetStatusInfo").args == args);

  const auto built_fault = soap::build_fault(718, "Conflict <&> \"x\"");
  REQUIRE(built_fault.has_value());
  CHECK(fault_of(*built_fault, "AddPortMapping") == soap::fault{718, "Conflict <&> \"x\""});
}

TEST_CASE("soap envelope: requests we refuse to build") {
  const std::vector<soap::argument> fine = {{"NewIndex", "1"}};
  CHECK(soap::build_request(ip2, "Get Entry", fine).error() == errc::bad_name);
  CHECK(soap::build_request(ip2, "u:Get", fine).error() == errc::bad_name);
  CHECK(soap::build_request(ip2, "", fine).error() == errc::bad_name);
  CHECK(soap::build_request(ip2, "1Get", fine).error() == errc::bad_name);
  const std::vector<soap::argument> bad_name = {{"New<Index>", "1"}};
  CHECK(soap::build_request(ip2, "Get", bad_name).error() == errc::bad_name);
  for (const std::string type : {"", "urn:a b", "urn:\"x\"", "urn:x#y", "urn:x\r\nSOAPAction: y", "urn:<x>"}) {
    CAPTURE(type);
    CHECK(soap::build_request(type, "Get", fine).error() == errc::bad_service_type);
  }
  CHECK(soap::build_request(std::string(257, 'u'), "Get", fine).error() == errc::bad_service_type);
  CHECK(soap::build_request(std::string(256, 'u'), "Get", fine).has_value());
  for (const std::string& value : {std::string("a\x1b[31m"), std::string("nul\0", 4), std::string("\xc3"),
                                  std::string("\xed\xa0\x80")}) {
    const std::vector<soap::argument> bad_value = {{"NewDescription", value}};
    CHECK(soap::build_request(ip2, "Get", bad_value).error() == errc::bad_text);
  }
  CHECK(soap::build_fault(501, "bell\x07").error() == errc::bad_text);
}

TEST_CASE("soap envelope: miniupnpd answers") {
  const auto status = answer(body("GetStatusInfo.http"), "GetStatusInfo");
  REQUIRE(status.args.size() == 3);
  CHECK(status.args[0] == soap::argument{"NewConnectionStatus", "Connected"});
  REQUIRE(status.find("NewUptime") != nullptr);
  CHECK(status.find("NewUptime")->name == "NewUptime");
  CHECK(status.find("NewMissing") == nullptr);
  // An empty answer element, written both ways.
  CHECK(answer(body("DeletePortMappingRange.http"), "DeletePortMappingRange").args.empty());
  CHECK(answer(body("AddPortMapping.ok.http"), "AddPortMapping").args.empty());
  // The listing arrives as CDATA and is kept verbatim.
  const auto listing = answer(body("GetListOfPortMappings.one.http"), "GetListOfPortMappings");
  REQUIRE(listing.args.size() == 1);
  CHECK(listing.args[0].value.starts_with("<p:PortMappingList "));
  SUBCASE("an answer to another action") {
    CHECK(soap::parse_response(body("GetStatusInfo.http"), "GetExternalIPAddress").error() == errc::unexpected_action);
    CHECK(soap::parse_response(body("GetStatusInfo.http"), "GetStatus").error() == errc::unexpected_action);
  }
}

TEST_CASE("soap envelope: miniupnpd faults") {
  struct expected {
    const char* file;
    const char* action;
    std::uint16_t code;
    const char* description;
  };
  for (const expected& e : {expected{"AddPortMapping.conflict.http", "AddPortMapping", 718, "ConflictInMappingEntry"},
                            expected{"AddPortMapping.missing_args.http", "AddPortMapping", 402, "Invalid Args"},
                            expected{"GetGenericPortMappingEntry.out_of_range.http", "GetGenericPortMappingEntry", 713,
                                     "SpecifiedArrayIndexInvalid"},
                            expected{"GetSpecificPortMappingEntry.not_found.http", "GetSpecificPortMappingEntry", 714,
                                     "NoSuchEntryInArray"},
                            expected{"DeletePortMapping.other_client.http", "DeletePortMapping", 606,
                                     "Action not authorized"},
                            expected{"UnknownAction.http", "Unknown", 401, "Invalid Action"},
                            expected{"CheckPinholeWorking.http", "CheckPinholeWorking", 709, "NoPacketSent"},
                            expected{"GetOutboundPinholeTimeout.http", "GetOutboundPinholeTimeout", 501,
                                     "ActionFailed"}}) {
    CAPTURE(std::string(e.file));
    // A fault answers any action: it is read before the action name is compared.
    CHECK(fault_of(body(e.file), e.action) == soap::fault{e.code, e.description});
  }
}

TEST_CASE("soap envelope: any namespace prefix") {
  const std::string inner = "<NewExternalIPAddress>1.2.3.4</NewExternalIPAddress>";
  const std::vector<std::string> variants = {
      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/>"
      "<SOAP-ENV:Body><m:GetExternalIPAddressResponse xmlns:m=\"" + ip2 + "\">" + inner +
          "</m:GetExternalIPAddressResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>",
      "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body><GetExternalIPAddressResponse xmlns=\"" +
          ip2 + "\">" + inner + "</GetExternalIPAddressResponse></Body></Envelope>",
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
      "\r\n  <soap:Body>\r\n    <u:GetExternalIPAddressResponse xmlns:u=\"" + ip2 + "\">\r\n      " + inner +
          "\r\n    </u:GetExternalIPAddressResponse>\r\n  </soap:Body>\r\n</soap:Envelope>\r\n",
      "<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><!-- c --><e:Body><?pi x?><u:GetExternalIPAddressResponse"
      " xmlns:u=\"" + ip2 + "\"><NewExternalIPAddress><![CDATA[1.2.]]>3.4</NewExternalIPAddress>"
      "</u:GetExternalIPAddressResponse></e:Body></e:Envelope>",
  };
  for (const std::string& xml : variants) {
    CAPTURE(xml);
    const auto r = answer(xml, "GetExternalIPAddress");
    REQUIRE(r.args.size() == 1);
    CHECK(r.args[0] == soap::argument{"NewExternalIPAddress", "1.2.3.4"});
  }
  SUBCASE("faults too") {
    const std::string xml =
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body>"
        "<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><SOAP-ENV:detail><e:UPnPError "
        "xmlns:e=\"urn:schemas-upnp-org:control-1-0\"><e:errorCode> 725 </e:errorCode><e:errorDescription>"
        "OnlyPermanentLeasesSupported</e:errorDescription></e:UPnPError></SOAP-ENV:detail></SOAP-ENV:Fault>"
        "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
    CHECK(fault_of(xml, "AddPortMapping") == soap::fault{725, "OnlyPermanentLeasesSupported"});
  }
}

TEST_CASE("soap envelope: broken answers") {
  const std::string ok_inner = "<u:GetStatusInfoResponse xmlns:u=\"x\"><A>1</A></u:GetStatusInfoResponse>";
  CHECK(soap::parse_response("<Body>" + ok_inner + "</Body>", "GetStatusInfo").error() == errc::not_an_envelope);
  CHECK(soap::parse_response("<s:Envelope xmlns:s=\"x\"/>", "GetStatusInfo").error() == errc::no_body);
  CHECK(soap::parse_response(envelope(""), "GetStatusInfo").error() == errc::no_body);
  CHECK(soap::parse_response(envelope(" text only "), "GetStatusInfo").error() == errc::no_body);
  CHECK(soap::parse_response(envelope(ok_inner).substr(0, 60), "GetStatusInfo").error() == errc::bad_xml);
  CHECK(soap::parse_response(envelope("<u:GetStatusInfoResponse><A>1<b/></A></u:GetStatusInfoResponse>"),
                             "GetStatusInfo").error() == errc::bad_value);
  CHECK(soap::parse_response(envelope("<u:GetStatusInfoResponse><p:A>1</p:A><é>2</é></u:GetStatusInfoResponse>"),
                             "GetStatusInfo").error() == errc::bad_value);
  CHECK(soap::parse_response(envelope("<u:GetStatusInfoResponse><A>&#0;</A></u:GetStatusInfoResponse>"),
                             "GetStatusInfo").error() == errc::bad_text);
  CHECK(soap::parse_response("<!DOCTYPE x>" + envelope(ok_inner), "GetStatusInfo").error() ==
        errc::doctype_forbidden);
  SUBCASE("faults without a usable UPnPError") {
    CHECK(soap::parse_response(envelope("<s:Fault><faultcode>s:Server</faultcode><faultstring>x</faultstring></s:Fault>"),
                               "A").error() == errc::not_a_upnp_fault);
    CHECK(soap::parse_response(upnp_fault("<UPnPError><errorDescription>x</errorDescription></UPnPError>"), "A").error() ==
          errc::not_a_upnp_fault);
    for (const std::string code : {"", "abc", "-1", "+402", "0", "65536", "99999999999999999999", "7 18", "0x2C6"}) {
      CAPTURE(code);
      CHECK(soap::parse_response(upnp_fault("<UPnPError><errorCode>" + code + "</errorCode></UPnPError>"), "A").error() ==
            errc::bad_value);
    }
    CHECK(fault_of(upnp_fault("<UPnPError><errorCode>65535</errorCode></UPnPError>"), "A") == soap::fault{65535, ""});
  }
  SUBCASE("a fault description over the field limit") {
    soap::soap_limits limits;
    limits.max_field_bytes = 4;
    const std::string xml = upnp_fault("<UPnPError><errorCode>501</errorCode><errorDescription>abcd</errorDescription></UPnPError>");
    CHECK(soap::parse_response(xml, "A", limits).has_value());
    limits.max_field_bytes = 3;
    CHECK(soap::parse_response(xml, "A", limits).error() == errc::field_too_long);
  }
}

TEST_CASE("soap envelope: limits exactly at and one over") {
  const std::string xml = body("GetStatusInfo.http");
  soap::soap_limits limits;
  SUBCASE("size") {
    limits.max_xml_bytes = xml.size();
    CHECK(soap::parse_response(xml, "GetStatusInfo", limits).has_value());
    limits.max_xml_bytes = xml.size() - 1;
    CHECK(soap::parse_response(xml, "GetStatusInfo", limits).error() == errc::xml_too_large);
  }
  SUBCASE("depth: Envelope/Body/Response/argument is 4") {
    limits.max_depth = 4;
    CHECK(soap::parse_response(xml, "GetStatusInfo", limits).has_value());
    limits.max_depth = 3;
    CHECK(soap::parse_response(xml, "GetStatusInfo", limits).error() == errc::xml_too_deep);
  }
  SUBCASE("arguments") {
    limits.max_arguments = 3;
    CHECK(soap::parse_response(xml, "GetStatusInfo", limits).has_value());
    limits.max_arguments = 2;
    CHECK(soap::parse_response(xml, "GetStatusInfo", limits).error() == errc::too_many_arguments);
  }
}

TEST_CASE("soap envelope: the gateway's side reads captured requests") {
  const auto call = soap::parse_request(body("AddPinhole.request"));
  REQUIRE(call.has_value());
  CHECK(call->service_type == "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1");
  CHECK(call->action == "AddPinhole");
  REQUIRE(call->args.size() == 6);
  CHECK(call->args[2] == soap::argument{"InternalClient", "fd00:86::250"});
  CHECK(soap::parse_request(envelope("<u:Get>x</u:Get>")).error() == errc::bad_service_type);  // no xmlns:u
  CHECK(soap::parse_request(envelope("<Get xmlns=\"urn:a b\"/>")).error() == errc::bad_service_type);
}

TEST_CASE("soap errors: every gateway code has a name and a message") {
  const std::vector<std::pair<int, const char*>> upnp = {
      {401, "InvalidAction"}, {402, "InvalidArgs"}, {501, "ActionFailed"}, {600, "ArgumentValueInvalid"},
      {601, "ArgumentValueOutOfRange"}, {602, "OptionalActionNotImplemented"}, {603, "OutOfMemory"},
      {604, "HumanInterventionRequired"}, {605, "StringArgumentTooLong"}, {606, "ActionNotAuthorized"},
      {607, "SignatureFailure"}, {608, "SignatureMissing"}, {609, "NotEncrypted"}, {610, "InvalidSequence"},
      {611, "InvalidControlURL"}, {612, "NoSuchSession"}, {701, "ValueAlreadySpecified"},
      {702, "ValueSpecifiedIsInvalid"}, {703, "InactiveConnectionStateRequired"}, {704, "ConnectionSetupFailed"},
      {705, "ConnectionSetupInProgress"}, {706, "ConnectionNotConfigured"}, {707, "DisconnectInProgress"},
      {708, "InvalidLayer2Address"}, {709, "InternetAccessDisabled"}, {710, "InvalidConnectionType"},
      {711, "ConnectionAlreadyTerminated"}, {712, "NullValueAtSpecifiedArrayIndex"},
      {713, "SpecifiedArrayIndexInvalid"}, {714, "NoSuchEntryInArray"}, {715, "WildCardNotPermittedInSrcIP"},
      {716, "WildCardNotPermittedInExtPort"}, {718, "ConflictInMappingEntry"},
      {719, "ActionDisallowedWhenAutoConfigEnabled"}, {720, "InvalidDeviceUUID"}, {721, "InvalidServiceID"},
      {723, "InvalidConnServiceSelection"}, {724, "SamePortValuesRequired"}, {725, "OnlyPermanentLeasesSupported"},
      {726, "RemoteHostOnlySupportsWildcard"}, {727, "ExternalPortOnlySupportsWildcard"},
      {728, "NoPortMapsAvailable"}, {729, "ConflictWithOtherMechanisms"}, {730, "PortMappingNotFound"},
      {731, "ReadOnly"}, {732, "WildCardNotPermittedInIntPort"}, {733, "InconsistentParameters"}};
  for (const auto& entry : upnp) {
    const int code = entry.first;
    const char* name = entry.second;
    CAPTURE(code);
    const auto c = static_cast<soap::upnp_error>(code);
    REQUIRE(soap::name(c) != nullptr);
    CHECK(std::string(soap::name(c)) == name);
    REQUIRE(soap::describe(c) != nullptr);
    CHECK(message(c) == std::string(name) + " (" + std::to_string(code) + "): " + soap::describe(c));
  }
  CHECK(message(soap::upnp_error::conflict_in_mapping_entry) ==
        "ConflictInMappingEntry (718): the external port is already mapped to another client or used by the gateway "
        "itself");
  CHECK(message(soap::upnp_error::only_permanent_leases_supported) ==
        "OnlyPermanentLeasesSupported (725): the gateway accepts only permanent mappings (lease duration 0)");
  SUBCASE("codes no spec defines keep their number") {
    for (const int code : {0, 400, 403, 500, 613, 700, 717, 722, 734, 799, 800, 899, 65535}) {
      CAPTURE(code);
      CHECK(soap::name(static_cast<soap::upnp_error>(code)) == nullptr);
      CHECK(soap::upnp_error_category().message(code) == "unknown result code " + std::to_string(code));
    }
    CHECK(soap::upnp_error_category().message(65536) == "unknown result code 65536");
  }
  SUBCASE("the firewall's own 70x") {
    const std::vector<std::pair<int, const char*>> firewall = {
        {701, "PinholeSpaceExhausted"}, {702, "FirewallDisabled"}, {703, "InboundPinholeNotAllowed"},
        {704, "NoSuchEntry"}, {705, "ProtocolNotSupported"}, {706, "InternalPortWildcardingNotAllowed"},
        {707, "ProtocolWildcardingNotAllowed"}, {708, "WildCardNotPermittedInSrcIP"}, {709, "NoPacketSent"},
        {402, "InvalidArgs"}, {606, "ActionNotAuthorized"}};
    for (const auto& entry : firewall) {
      const int code = entry.first;
      const char* name = entry.second;
      CAPTURE(code);
      const auto c = static_cast<soap::firewall_error>(code);
      REQUIRE(soap::name(c) != nullptr);
      CHECK(std::string(soap::name(c)) == name);
      CHECK(message(c) == std::string(name) + " (" + std::to_string(code) + "): " + soap::describe(c));
    }
    CHECK(soap::firewall_error_category().message(714) == "unknown result code 714");
    CHECK(std::string(soap::firewall_error_category().name()) == "upnp-firewall");
    CHECK(std::string(soap::upnp_error_category().name()) == "upnp-gateway");
  }
  SUBCASE("malformed-input codes") {
    for (int e = static_cast<int>(errc::xml_too_large); e <= static_cast<int>(errc::no_external_address); ++e) {
      CAPTURE(e);
      CHECK(soap::describe(static_cast<errc>(e)) != nullptr);
    }
    CHECK(std::string(soap::error_category().name()) == "soap");
    CHECK(message(errc::doctype_forbidden) == "XML document with a DOCTYPE (refused: it can define entities)");
  }
}
