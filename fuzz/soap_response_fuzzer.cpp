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
//  - decoded values are in range: ports 1..65535, text fields within max_field_bytes; an external
//    address usable_external_ip accepts is never unspecified.
#include <algorithm>
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
  if (const auto ip = soap::decode_external_ip(r); valid(ip)) {
    // What an address is used for: itself, or refused as none (0.0.0.0, ::) or nonsense.
    const auto usable = soap::usable_external_ip(*ip);
    if (valid(usable)) {
      require(*usable == *ip && !ip->is_unspecified());
    } else {
      require(usable.error() == soap::errc::no_external_address || usable.error() == soap::errc::bad_value);
    }
  }
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

// Every typed action builder, fed ports, flags and text taken from the input: the request it makes
// (when its text is XML-safe) reads back, by the gateway's parser, as the same action and arguments.
void check_builders(natpunch::core::byte_span input) {
  const auto u16 = [&](std::size_t i) -> std::uint16_t {
    return input.size() > i + 1 ? static_cast<std::uint16_t>(input[i] << 8 | input[i + 1]) : static_cast<std::uint16_t>(i + 1);
  };
  const std::string text(reinterpret_cast<const char*>(input.data()), std::min<std::size_t>(input.size(), 48));
  const auto protocol = input.empty() || input[0] % 2 == 0 ? natpunch::core::ip_protocol::tcp : natpunch::core::ip_protocol::udp;
  const bool flag = input.size() > 1 && input[1] % 2 == 1;
  soap::port_mapping m;
  m.remote_host = flag ? text : "";
  m.external_port = u16(0);
  m.internal_port = u16(2);
  m.internal_client = text;
  m.description = text;
  m.protocol = protocol;
  m.enabled = flag;
  m.lease_duration = static_cast<std::uint32_t>(u16(4)) << 8;
  soap::pinhole p;
  p.remote_host = flag ? "" : text;
  p.remote_port = u16(6);
  p.internal_client = text;
  p.internal_port = u16(8);
  p.protocol = soap::pinhole_protocol(protocol);
  p.lease_time = u16(10);
  const soap::call calls[] = {
      soap::get_external_ip_address_call(), soap::get_status_info_call(), soap::get_connection_type_info_call(),
      soap::get_common_link_properties_call(), soap::add_port_mapping_call(m), soap::add_any_port_mapping_call(m),
      soap::delete_port_mapping_call(m.remote_host, m.external_port, protocol),
      soap::delete_port_mapping_range_call(u16(0), u16(2), protocol, flag),
      soap::get_generic_port_mapping_entry_call(u16(4)),
      soap::get_specific_port_mapping_entry_call(m.remote_host, m.external_port, protocol),
      soap::get_list_of_port_mappings_call(u16(0), u16(2), protocol, flag, u16(12)), soap::get_firewall_status_call(),
      soap::get_outbound_pinhole_timeout_call(p), soap::add_pinhole_call(p), soap::update_pinhole_call(u16(6), p.lease_time),
      soap::delete_pinhole_call(u16(6)), soap::get_pinhole_packets_call(u16(6)), soap::check_pinhole_working_call(u16(6))};
  for (const auto& c : calls) {
    require(!c.action.empty());
    const auto type = c.service == soap::service_kind::ipv6_firewall ? "urn:schemas-upnp-org:service:WANIPv6FirewallControl:1"
                                                                 : "urn:schemas-upnp-org:service:WANIPConnection:2";
    const auto request = soap::build_request(type, c.action, c.args);
    if (!valid(request)) continue;  // text an envelope cannot carry: refused, never sent
    soap::soap_limits roomy;
    roomy.max_xml_bytes = request->body.size();
    const auto back = soap::parse_request(request->body, roomy);
    require(valid(back) && back->action == c.action && back->args == c.args && back->service_type == type);
  }
}

void run(natpunch::core::byte_span input) {
  const std::string_view xml(reinterpret_cast<const char*>(input.data()), input.size());
  const soap::soap_limits limits;
  // The builders cost eighteen envelopes a run: every eighth input is enough to explore them, and the
  // parsers keep their speed.
  if (input.size() % 8 == 0) check_builders(input);

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
