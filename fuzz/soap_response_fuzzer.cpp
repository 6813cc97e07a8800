// SOAP answers and faults (soap::parse_response), the gateway-side request reader (parse_request) and
// every typed IGD decoder on what they return. The action asked for is the one the input answers
// (its body element's name minus "Response"), so real captures reach the argument decoders.
// Invariants beyond "no crash":
//  - every parse and decode yields a value or an error, never both; parse errors are soap::errc;
//  - limits hold: input within max_xml_bytes, at most max_arguments arguments with plain names and
//    XML-safe text, a fault description within max_field_bytes;
//  - a fault's code is carried as given (1..65535) into fault_error, in the category of the service;
//  - build → parse is stable: an answer's arguments and a fault rebuilt by build_response /
//    build_fault read back identical; a request rebuilt by build_request reads back identical;
//  - decoded values are in range: ports 1..65535, text fields within max_field_bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "support.hpp"
#include "natpunch/soap/igd.hpp"

namespace {

using natpunch::fuzz::require;
namespace soap = natpunch::soap;

template <typename T>
bool valid(const natpunch::core::result<T>& r) {
  require(r.has_value() != static_cast<bool>(r.error()));
  return r.has_value();
}

void check_mapping(const soap::port_mapping& m, const soap::soap_limits& limits) {
  require(m.external_port != 0 && m.internal_port != 0);
  require(m.remote_host.size() <= limits.max_field_bytes);
  require(m.internal_client.size() <= limits.max_field_bytes);
  require(m.description.size() <= limits.max_field_bytes);
}

void decode_all(const soap::action_response& r, const soap::soap_limits& limits) {
  valid(soap::decode_external_ip(r));
  if (const auto s = soap::decode_status_info(r, limits); valid(s)) {
    require(s->connection_status.size() <= limits.max_field_bytes);
    require(s->last_connection_error.size() <= limits.max_field_bytes);
  }
  if (const auto t = soap::decode_connection_type_info(r, limits); valid(t)) {
    require(t->type.size() <= limits.max_field_bytes && t->possible_types.size() <= limits.max_field_bytes);
  }
  if (const auto l = soap::decode_common_link_properties(r, limits); valid(l)) {
    require(l->access_type.size() <= limits.max_field_bytes);
  }
  if (const auto p = soap::decode_reserved_port(r); valid(p)) require(*p != 0);
  if (const auto g = soap::decode_generic_entry(r, limits); valid(g)) check_mapping(*g, limits);
  if (const auto s = soap::decode_specific_entry(r, "", 1, natpunch::core::ip_protocol::udp, limits); valid(s)) {
    check_mapping(*s, limits);
  }
  if (const auto list = soap::decode_port_listing(r, limits); valid(list)) {
    require(list->size() <= limits.max_listing_entries);
    for (const soap::port_mapping& m : *list) check_mapping(m, limits);
  }
  valid(soap::decode_firewall_status(r));
  valid(soap::decode_outbound_pinhole_timeout(r));
  valid(soap::decode_pinhole_id(r));
  valid(soap::decode_pinhole_packets(r));
  valid(soap::decode_pinhole_working(r));
}

void check_fault(const soap::fault& f, const soap::soap_limits& limits) {
  require(f.code != 0);
  require(f.description.size() <= limits.max_field_bytes);
  for (const auto kind : {soap::service_kind::connection, soap::service_kind::ipv6_firewall}) {
    const std::error_code ec = soap::fault_error(f, kind);
    require(ec.value() == f.code);
    require(&ec.category() == (kind == soap::service_kind::ipv6_firewall ? &soap::firewall_error_category()
                                                                          : &soap::upnp_error_category()));
    require(!ec.message().empty());
  }
  // build_fault trims nothing and the parser trims the description: rebuild what was read.
  const auto rebuilt = soap::build_fault(f.code, f.description);
  require(valid(rebuilt));
  const auto again = soap::parse_response(*rebuilt, "Any", limits);
  require(valid(again) && std::get<soap::fault>(*again) == f);
}

void run(natpunch::core::byte_span input) {
  const std::string_view xml(reinterpret_cast<const char*>(input.data()), input.size());
  const soap::soap_limits limits;

  // The gateway's view of the same bytes: whatever it reads, it reads again after a rebuild.
  const auto call = soap::parse_request(xml, limits);
  std::string action = "GetGenericPortMappingEntry";
  if (valid(call)) {
    require(call->args.size() <= limits.max_arguments);
    const auto rebuilt = soap::build_request(call->service_type, call->action, call->args);
    require(valid(rebuilt));
    soap::soap_limits roomy = limits;
    roomy.max_xml_bytes = rebuilt->body.size();  // escaping may grow the text past the input's size
    const auto again = soap::parse_request(rebuilt->body, roomy);
    require(valid(again) && *again == *call);
    constexpr std::string_view suffix = "Response";
    if (call->action.size() > suffix.size() && call->action.ends_with(suffix)) {
      action = call->action.substr(0, call->action.size() - suffix.size());
    }
  } else {
    require(&call.error().category() == &soap::error_category());
  }

  const auto parsed = soap::parse_response(xml, action, limits);
  if (!valid(parsed)) {
    require(&parsed.error().category() == &soap::error_category());
    return;
  }
  require(xml.size() <= limits.max_xml_bytes);
  if (const auto* f = std::get_if<soap::fault>(&*parsed)) {
    check_fault(*f, limits);
    return;
  }
  const auto& answer = std::get<soap::action_response>(*parsed);
  require(answer.args.size() <= limits.max_arguments);
  const auto rebuilt = soap::build_response("urn:schemas-upnp-org:service:WANIPConnection:2", action, answer.args);
  require(valid(rebuilt));  // names are plain and values XML-safe, or the parse would have refused them
  soap::soap_limits roomy = limits;
  roomy.max_xml_bytes = rebuilt->size();  // escaping may grow the text past the input's size
  const auto again = soap::parse_response(*rebuilt, action, roomy);
  require(valid(again) && std::get<soap::action_response>(*again) == answer);
  decode_all(answer, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
