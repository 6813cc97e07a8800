// UPnP control errors, in three categories: malformed or unacceptable XML ("soap", errc), and what a
// gateway answered in a UPnPError fault — for the WAN connection services ("upnp-gateway", upnp_error)
// and for WANIPv6FirewallControl ("upnp-firewall", firewall_error), whose 701..709 mean other things
// than the connection services' 701..709. Every code has a readable message.
#pragma once

#include <cstdint>
#include <system_error>

namespace natpunch::soap {

// Malformed or unacceptable input, and requests we refuse to build.
enum class errc {
  xml_too_large = 1,    // a document over its limit's max_xml_bytes
  xml_too_deep,         // elements nested deeper than max_depth
  doctype_forbidden,    // a <!DOCTYPE> (and with it any entity definition) anywhere in the document
  bad_xml,              // not well-formed: pugixml refused it, a NUL byte, or not exactly one document element
  bad_text,             // text that is not UTF-8, or holds a control character XML 1.0 forbids
  not_a_description,    // description: the document element is not <root>
  no_root_device,       // description: <root> without a <device>
  too_many_devices,     // description: more devices (root and embedded) than max_devices
  too_many_services,    // description: more services, over all devices, than max_services
  not_an_envelope,      // SOAP: the document element is not <Envelope>
  no_body,              // SOAP: no <Body>, or an empty one
  unexpected_action,    // SOAP: the body holds neither <Action>Response nor <Fault>
  not_a_upnp_fault,     // SOAP: a <Fault> without detail/UPnPError/errorCode
  too_many_arguments,   // SOAP: more arguments than max_arguments
  missing_argument,     // an argument (or description field) the action's answer must carry is absent
  bad_value,            // a value of the wrong form: an integer out of range, not a boolean, an element
                        // where text belongs, an unknown protocol, an unparsable address
  field_too_long,       // a kept text field over max_field_bytes
  not_a_port_listing,   // GetListOfPortMappings: the listing's document element is not <PortMappingList>
  too_many_entries,     // GetListOfPortMappings: more entries than max_listing_entries
  bad_name,             // building a request: an action or argument name that is not a plain XML name
  bad_service_type,     // building a request: a service type that cannot go into SOAPAction and xmlns
  // The control client (client.hpp), not the codec:
  unexpected_status,    // an HTTP status other than 200 (or 500 carrying a UPnPError fault)
  not_an_igd,           // a description without WANIPConnection or WANPPPConnection (or the service asked)
  untrusted_location,   // a LOCATION or control URL that fails the trust rule: not http, not an IP literal
                        // of the responder or the gateway, a loopback/link-local/multicast host
  foreign_control_url,  // a description naming a control URL on another host or port than its own
  // Added later (codes are kept: --json prints them):
  no_external_address,  // GetExternalIPAddress: empty, 0.0.0.0 or :: (the WAN link is down or unconfigured)
};
const char* describe(errc e) noexcept;
const std::error_category& error_category() noexcept;  // name "soap"
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

// UPnPError codes a WAN connection service (WANIPConnection v1/v2, WANPPPConnection v1), the
// WANCommonInterfaceConfig and Layer3Forwarding services, or the device architecture itself (UDA 1.1
// §3.2.2: 401..612) answers. Vendor codes (800..899) and undefined ones decode by value, without a name.
enum class upnp_error : std::uint16_t {
  invalid_action = 401,
  invalid_args = 402,
  action_failed = 501,
  argument_value_invalid = 600,
  argument_value_out_of_range = 601,
  optional_action_not_implemented = 602,
  out_of_memory = 603,
  human_intervention_required = 604,
  string_argument_too_long = 605,
  action_not_authorized = 606,
  signature_failure = 607,
  signature_missing = 608,
  not_encrypted = 609,
  invalid_sequence = 610,
  invalid_control_url = 611,
  no_such_session = 612,
  value_already_specified = 701,
  value_specified_is_invalid = 702,
  inactive_connection_state_required = 703,
  connection_setup_failed = 704,
  connection_setup_in_progress = 705,
  connection_not_configured = 706,
  disconnect_in_progress = 707,
  invalid_layer2_address = 708,
  internet_access_disabled = 709,
  invalid_connection_type = 710,
  connection_already_terminated = 711,
  null_value_at_specified_array_index = 712,
  specified_array_index_invalid = 713,
  no_such_entry_in_array = 714,
  wildcard_not_permitted_in_src_ip = 715,
  wildcard_not_permitted_in_ext_port = 716,
  conflict_in_mapping_entry = 718,
  action_disallowed_when_auto_config_enabled = 719,
  invalid_device_uuid = 720,
  invalid_service_id = 721,
  invalid_conn_service_selection = 723,
  same_port_values_required = 724,
  only_permanent_leases_supported = 725,
  remote_host_only_supports_wildcard = 726,
  external_port_only_supports_wildcard = 727,
  no_port_maps_available = 728,
  conflict_with_other_mechanisms = 729,
  port_mapping_not_found = 730,
  read_only = 731,
  wildcard_not_permitted_in_int_port = 732,
  inconsistent_parameters = 733,
};
// The spec's name ("NoSuchEntryInArray"); nullptr for a code no spec defines.
const char* name(upnp_error c) noexcept;
// The meaning, in words a user can act on; nullptr for a code no spec defines.
const char* describe(upnp_error c) noexcept;
// Category "upnp-gateway"; message "NoSuchEntryInArray (714): <meaning>", or "unknown result code 899".
const std::error_category& upnp_error_category() noexcept;
inline std::error_code make_error_code(upnp_error c) noexcept { return {static_cast<int>(c), upnp_error_category()}; }

// UPnPError codes of WANIPv6FirewallControl:1. Codes under 700 mean what upnp_error says they mean
// (the same device-architecture codes) and are named the same way.
enum class firewall_error : std::uint16_t {
  action_not_authorized = 606,
  pinhole_space_exhausted = 701,
  firewall_disabled = 702,
  inbound_pinhole_not_allowed = 703,
  no_such_entry = 704,
  protocol_not_supported = 705,
  internal_port_wildcarding_not_allowed = 706,
  protocol_wildcarding_not_allowed = 707,
  wildcard_not_permitted_in_src_ip = 708,
  no_packet_sent = 709,
};
const char* name(firewall_error c) noexcept;
const char* describe(firewall_error c) noexcept;
// Category "upnp-firewall"; message "PinholeSpaceExhausted (701): <meaning>".
const std::error_category& firewall_error_category() noexcept;
inline std::error_code make_error_code(firewall_error c) noexcept {
  return {static_cast<int>(c), firewall_error_category()};
}

}  // namespace natpunch::soap

template <>
struct std::is_error_code_enum<natpunch::soap::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<natpunch::soap::upnp_error> : std::true_type {};
template <>
struct std::is_error_code_enum<natpunch::soap::firewall_error> : std::true_type {};
