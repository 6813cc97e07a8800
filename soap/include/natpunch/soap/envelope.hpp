// SOAP 1.1 envelopes as UPnP control uses them (UPnP Device Architecture 1.1 §3.2): requests with a
// quoted SOAPAction, answers read by local name whatever namespace prefixes the gateway chose, and
// UPnPError faults. Both directions, so the gateway simulator and the tests can play the other side.
//
//   <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
//               s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
//     <s:Body>
//       <u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2">   (request)
//         <NewExternalPort>8080</NewExternalPort> ...
//       </u:AddPortMapping>
//       <u:AddPortMappingResponse xmlns:u="...">...</u:AddPortMappingResponse>         (answer)
//       <s:Fault>                                                                      (or a fault, §3.2.2)
//         <faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>
//         <detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0">
//           <errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription>
//         </UPnPError></detail>
//       </s:Fault>
//     </s:Body>
//   </s:Envelope>
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "natpunch/core/result.hpp"
#include "natpunch/soap/error.hpp"

namespace natpunch::soap {

// Limits on SOAP documents we accept (answers, and requests in the simulator). One struct, with why.
struct soap_limits {
  // The largest answer is GetListOfPortMappings: about 600 bytes per entry once escaped, so a batch of
  // a few hundred entries stays under 256 KiB; any other answer is under 2 KiB.
  std::size_t max_xml_bytes = 256 * 1024;
  // Envelope/Body/Fault/detail/UPnPError/errorCode is 6 deep; a port listing inside an argument is parsed
  // as its own document. 16 leaves room for wrappers and nothing for a nesting bomb.
  std::size_t max_depth = 16;
  // The widest IGD answer (GetGenericPortMappingEntry) has 8 arguments.
  std::size_t max_arguments = 32;
  // Each text field a typed decoder keeps (descriptions, hosts, status words, a fault's description).
  // Gateways cap a mapping's description at 64..256 bytes; 1 KiB is generous.
  std::size_t max_field_bytes = 1024;
  // Entries in one GetListOfPortMappings answer: the client asks in batches smaller than this, and more
  // than asked is a gateway flooding us.
  std::size_t max_listing_entries = 1000;
};

inline constexpr std::string_view envelope_namespace = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view encoding_style = "http://schemas.xmlsoap.org/soap/encoding/";
inline constexpr std::string_view control_namespace = "urn:schemas-upnp-org:control-1-0";  // UPnPError's
// The Content-Type of a SOAP body (UDA 1.1 §3.2.1).
inline constexpr std::string_view content_type = "text/xml; charset=\"utf-8\"";

struct argument {
  std::string name;
  std::string value;
  friend bool operator==(const argument&, const argument&) = default;
};

struct soap_request {
  std::string soap_action;  // the SOAPAction header's value, quotes included: "urn:...:WANIPConnection:2#AddPortMapping"
  std::string body;         // the envelope
};

// Builds the envelope and the SOAPAction header together, from validated parts: the action and every
// argument name must be plain XML names (bad_name), the service type 1..256 printable ASCII characters
// without space, quotes, '#', '<', '>', '&' or '\\' (bad_service_type), and every value UTF-8 without a
// control character XML forbids (bad_text). Values are escaped (& < > " ' and CR); an empty value is
// written <Name></Name>, as some gateways do not read <Name/>.
core::result<soap_request> build_request(std::string_view service_type, std::string_view action,
                                         std::span<const argument> args);

// A successful answer: its out arguments, by local name, in document order.
struct action_response {
  std::vector<argument> args;
  // The first argument with this name, or nullptr.
  const argument* find(std::string_view name) const noexcept;
  friend bool operator==(const action_response&, const action_response&) = default;
};

// A UPnPError fault (UDA 1.1 §3.2.2). The code is carried as the gateway sent it (1..65535); igd.hpp's
// fault_error gives it a category and a name.
struct fault {
  std::uint16_t code = 0;
  std::string description;  // errorDescription, empty when absent
  friend bool operator==(const fault&, const fault&) = default;
};

// Reads an answer to `action`. Elements are matched by local name, so s:, SOAP-ENV: or no prefix all
// work; the first element of the Body decides: <actionResponse> gives its arguments (each a leaf:
// text or CDATA, kept exactly, not trimmed), <Fault> gives its UPnPError. Errors: the load errors
// (xml_too_large, bad_xml, doctype_forbidden, xml_too_deep), bad_text, not_an_envelope, no_body,
// unexpected_action, not_a_upnp_fault (no detail/UPnPError/errorCode), bad_value (an errorCode that is
// not 1..65535, an argument name that is not a plain XML name, an element inside an argument),
// too_many_arguments, field_too_long (an errorDescription over max_field_bytes).
core::result<std::variant<action_response, fault>> parse_response(std::string_view xml, std::string_view action,
                                                                   const soap_limits& limits = {});

// The gateway's side, for the simulator and the tests.
struct soap_call {
  std::string service_type;  // the action element's namespace
  std::string action;
  std::vector<argument> args;
  friend bool operator==(const soap_call&, const soap_call&) = default;
};
// Reads a request: the first element of the Body is the action, its namespace the service type.
// Errors as parse_response's (bad_name for an action that is not a plain XML name).
core::result<soap_call> parse_request(std::string_view xml, const soap_limits& limits = {});
// <actionResponse xmlns:u="service_type"> with the arguments; validation as build_request's.
core::result<std::string> build_response(std::string_view service_type, std::string_view action,
                                         std::span<const argument> args);
// A UPnPError fault with this code and description (bad_text for a description XML cannot carry).
core::result<std::string> build_fault(std::uint16_t code, std::string_view description);

}  // namespace natpunch::soap
