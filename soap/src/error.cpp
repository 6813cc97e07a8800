#include "natpunch/soap/error.hpp"

#include "natpunch/core/error.hpp"

namespace natpunch::soap {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::xml_too_large: return "XML document larger than the size limit";
    case errc::xml_too_deep: return "XML elements nested deeper than the limit";
    case errc::doctype_forbidden: return "XML document with a DOCTYPE (refused: it can define entities)";
    case errc::bad_xml: return "malformed XML";
    case errc::bad_text: return "XML text that is not UTF-8 or holds a forbidden control character";
    case errc::not_a_description: return "not a UPnP device description (no <root> element)";
    case errc::no_root_device: return "device description without a root <device>";
    case errc::too_many_devices: return "device description with more devices than the limit";
    case errc::too_many_services: return "device description with more services than the limit";
    case errc::not_an_envelope: return "not a SOAP envelope";
    case errc::no_body: return "SOAP envelope without a body";
    case errc::unexpected_action: return "SOAP answer for another action than the one called";
    case errc::not_a_upnp_fault: return "SOAP fault without a UPnP error code";
    case errc::too_many_arguments: return "SOAP answer with more arguments than the limit";
    case errc::missing_argument: return "answer without an argument the action must return";
    case errc::bad_value: return "value of the wrong form (bad number, boolean, protocol or address)";
    case errc::field_too_long: return "text field longer than the limit";
    case errc::not_a_port_listing: return "port listing is not a <PortMappingList>";
    case errc::too_many_entries: return "port listing with more entries than the limit";
    case errc::bad_name: return "action or argument name that is not a plain XML name";
    case errc::bad_service_type: return "service type that cannot be sent (empty, too long, or unsafe characters)";
    case errc::unexpected_status: return "the gateway answered with an HTTP status other than 200 (and no UPnP fault)";
    case errc::not_an_igd: return "the description has no WANIPConnection or WANPPPConnection service";
    case errc::untrusted_location: return "a URL that fails the trust rule (http to the responder's or the gateway's own IP address only)";
    case errc::foreign_control_url: return "a control URL on another host or port than the description's own (refused, nothing sent there)";
    case errc::no_external_address:
      return "the gateway has no external address (0.0.0.0): its WAN link may be down";
  }
  return nullptr;
}

const std::error_category& error_category() noexcept {
  static const core::enum_category<errc> category("soap");
  return category;
}

// Names as the UPnP specs spell them: users search router forums for exactly these.
const char* name(upnp_error c) noexcept {
  switch (c) {
    case upnp_error::invalid_action: return "InvalidAction";
    case upnp_error::invalid_args: return "InvalidArgs";
    case upnp_error::action_failed: return "ActionFailed";
    case upnp_error::argument_value_invalid: return "ArgumentValueInvalid";
    case upnp_error::argument_value_out_of_range: return "ArgumentValueOutOfRange";
    case upnp_error::optional_action_not_implemented: return "OptionalActionNotImplemented";
    case upnp_error::out_of_memory: return "OutOfMemory";
    case upnp_error::human_intervention_required: return "HumanInterventionRequired";
    case upnp_error::string_argument_too_long: return "StringArgumentTooLong";
    case upnp_error::action_not_authorized: return "ActionNotAuthorized";
    case upnp_error::signature_failure: return "SignatureFailure";
    case upnp_error::signature_missing: return "SignatureMissing";
    case upnp_error::not_encrypted: return "NotEncrypted";
    case upnp_error::invalid_sequence: return "InvalidSequence";
    case upnp_error::invalid_control_url: return "InvalidControlURL";
    case upnp_error::no_such_session: return "NoSuchSession";
    case upnp_error::value_already_specified: return "ValueAlreadySpecified";
    case upnp_error::value_specified_is_invalid: return "ValueSpecifiedIsInvalid";
    case upnp_error::inactive_connection_state_required: return "InactiveConnectionStateRequired";
    case upnp_error::connection_setup_failed: return "ConnectionSetupFailed";
    case upnp_error::connection_setup_in_progress: return "ConnectionSetupInProgress";
    case upnp_error::connection_not_configured: return "ConnectionNotConfigured";
    case upnp_error::disconnect_in_progress: return "DisconnectInProgress";
    case upnp_error::invalid_layer2_address: return "InvalidLayer2Address";
    case upnp_error::internet_access_disabled: return "InternetAccessDisabled";
    case upnp_error::invalid_connection_type: return "InvalidConnectionType";
    case upnp_error::connection_already_terminated: return "ConnectionAlreadyTerminated";
    case upnp_error::null_value_at_specified_array_index: return "NullValueAtSpecifiedArrayIndex";
    case upnp_error::specified_array_index_invalid: return "SpecifiedArrayIndexInvalid";
    case upnp_error::no_such_entry_in_array: return "NoSuchEntryInArray";
    case upnp_error::wildcard_not_permitted_in_src_ip: return "WildCardNotPermittedInSrcIP";
    case upnp_error::wildcard_not_permitted_in_ext_port: return "WildCardNotPermittedInExtPort";
    case upnp_error::conflict_in_mapping_entry: return "ConflictInMappingEntry";
    case upnp_error::action_disallowed_when_auto_config_enabled: return "ActionDisallowedWhenAutoConfigEnabled";
    case upnp_error::invalid_device_uuid: return "InvalidDeviceUUID";
    case upnp_error::invalid_service_id: return "InvalidServiceID";
    case upnp_error::invalid_conn_service_selection: return "InvalidConnServiceSelection";
    case upnp_error::same_port_values_required: return "SamePortValuesRequired";
    case upnp_error::only_permanent_leases_supported: return "OnlyPermanentLeasesSupported";
    case upnp_error::remote_host_only_supports_wildcard: return "RemoteHostOnlySupportsWildcard";
    case upnp_error::external_port_only_supports_wildcard: return "ExternalPortOnlySupportsWildcard";
    case upnp_error::no_port_maps_available: return "NoPortMapsAvailable";
    case upnp_error::conflict_with_other_mechanisms: return "ConflictWithOtherMechanisms";
    case upnp_error::port_mapping_not_found: return "PortMappingNotFound";
    case upnp_error::read_only: return "ReadOnly";
    case upnp_error::wildcard_not_permitted_in_int_port: return "WildCardNotPermittedInIntPort";
    case upnp_error::inconsistent_parameters: return "InconsistentParameters";
  }
  return nullptr;
}

const char* describe(upnp_error c) noexcept {
  switch (c) {
    case upnp_error::invalid_action: return "the gateway does not know this action";
    case upnp_error::invalid_args: return "the gateway refused the arguments (missing, extra, or of the wrong type)";
    case upnp_error::action_failed: return "the gateway could not carry out the action (an internal failure)";
    case upnp_error::argument_value_invalid: return "an argument's value is not acceptable to the gateway";
    case upnp_error::argument_value_out_of_range: return "an argument's value is outside the range the gateway allows";
    case upnp_error::optional_action_not_implemented: return "the gateway does not implement this optional action";
    case upnp_error::out_of_memory: return "the gateway ran out of memory";
    case upnp_error::human_intervention_required: return "the gateway needs someone to act on it before this can work";
    case upnp_error::string_argument_too_long: return "a text argument is longer than the gateway accepts";
    case upnp_error::action_not_authorized:
      return "the gateway refused: this client is not allowed to do this (UPnP access rules or security)";
    case upnp_error::signature_failure: return "the gateway rejected the request's signature";
    case upnp_error::signature_missing: return "the gateway wants a signed request";
    case upnp_error::not_encrypted: return "the gateway wants an encrypted request";
    case upnp_error::invalid_sequence: return "the request's sequence number is not the one the gateway expected";
    case upnp_error::invalid_control_url: return "the request went to a control URL the gateway does not serve";
    case upnp_error::no_such_session: return "the request names a security session the gateway does not have";
    case upnp_error::value_already_specified: return "the value is already in the gateway's list";
    case upnp_error::value_specified_is_invalid: return "the value given is not valid for this setting";
    case upnp_error::inactive_connection_state_required:
      return "the WAN connection must be disconnected or unconfigured for this";
    case upnp_error::connection_setup_failed: return "the gateway failed to set up its WAN connection";
    case upnp_error::connection_setup_in_progress: return "the WAN connection is already being set up";
    case upnp_error::connection_not_configured: return "the WAN connection is not configured";
    case upnp_error::disconnect_in_progress: return "the WAN connection is being torn down";
    case upnp_error::invalid_layer2_address: return "the WAN link's layer-2 settings are invalid";
    case upnp_error::internet_access_disabled: return "internet access is disabled on the gateway";
    case upnp_error::invalid_connection_type: return "this is not possible with the connection's current type";
    case upnp_error::connection_already_terminated: return "the WAN connection is already down";
    case upnp_error::null_value_at_specified_array_index: return "the gateway has an empty slot at that index";
    case upnp_error::specified_array_index_invalid:
      return "no port mapping at that index (the end of the gateway's table)";
    case upnp_error::no_such_entry_in_array: return "the gateway has no port mapping matching the request";
    case upnp_error::wildcard_not_permitted_in_src_ip: return "the gateway needs a specific remote host, not any";
    case upnp_error::wildcard_not_permitted_in_ext_port: return "the gateway needs a specific external port, not 0";
    case upnp_error::conflict_in_mapping_entry:
      return "the external port is already mapped to another client or used by the gateway itself";
    case upnp_error::action_disallowed_when_auto_config_enabled:
      return "the gateway configures this connection itself and refuses manual changes";
    case upnp_error::invalid_device_uuid: return "the device UUID given is unknown to the gateway";
    case upnp_error::invalid_service_id: return "the service ID given is unknown to the gateway";
    case upnp_error::invalid_conn_service_selection:
      return "the connection service chosen cannot serve as the default connection";
    case upnp_error::same_port_values_required: return "the gateway needs the internal and external ports to be equal";
    case upnp_error::only_permanent_leases_supported:
      return "the gateway accepts only permanent mappings (lease duration 0)";
    case upnp_error::remote_host_only_supports_wildcard:
      return "the gateway maps for any remote host only (remote host must be empty)";
    case upnp_error::external_port_only_supports_wildcard:
      return "the gateway chooses the external port itself (external port must be 0)";
    case upnp_error::no_port_maps_available: return "the gateway has no free external port left for this mapping";
    case upnp_error::conflict_with_other_mechanisms:
      return "the mapping conflicts with one made by another mechanism (static forwarding, PCP, NAT-PMP)";
    case upnp_error::port_mapping_not_found: return "no port mapping in the range given";
    case upnp_error::read_only: return "the gateway does not let this be changed (read-only)";
    case upnp_error::wildcard_not_permitted_in_int_port: return "the gateway needs a specific internal port, not 0";
    case upnp_error::inconsistent_parameters: return "the arguments contradict each other (e.g. start port after end port)";
  }
  return nullptr;
}

const std::error_category& upnp_error_category() noexcept {
  static const core::gateway_code_category<upnp_error> category("upnp-gateway");
  return category;
}

namespace {
// Codes under 700 are the device architecture's, shared with every service.
bool shared_code(firewall_error c) noexcept { return static_cast<std::uint16_t>(c) < 700; }
}  // namespace

const char* name(firewall_error c) noexcept {
  if (shared_code(c)) return name(static_cast<upnp_error>(c));
  switch (c) {
    case firewall_error::action_not_authorized: return "ActionNotAuthorized";
    case firewall_error::pinhole_space_exhausted: return "PinholeSpaceExhausted";
    case firewall_error::firewall_disabled: return "FirewallDisabled";
    case firewall_error::inbound_pinhole_not_allowed: return "InboundPinholeNotAllowed";
    case firewall_error::no_such_entry: return "NoSuchEntry";
    case firewall_error::protocol_not_supported: return "ProtocolNotSupported";
    case firewall_error::internal_port_wildcarding_not_allowed: return "InternalPortWildcardingNotAllowed";
    case firewall_error::protocol_wildcarding_not_allowed: return "ProtocolWildcardingNotAllowed";
    case firewall_error::wildcard_not_permitted_in_src_ip: return "WildCardNotPermittedInSrcIP";
    case firewall_error::no_packet_sent: return "NoPacketSent";
  }
  return nullptr;
}

const char* describe(firewall_error c) noexcept {
  if (shared_code(c)) return describe(static_cast<upnp_error>(c));
  switch (c) {
    case firewall_error::action_not_authorized: return describe(upnp_error::action_not_authorized);
    case firewall_error::pinhole_space_exhausted: return "the gateway's pinhole table is full";
    case firewall_error::firewall_disabled: return "the gateway's IPv6 firewall is off (nothing to open)";
    case firewall_error::inbound_pinhole_not_allowed: return "the gateway does not allow inbound pinholes";
    case firewall_error::no_such_entry: return "the gateway has no pinhole with that ID";
    case firewall_error::protocol_not_supported: return "the gateway cannot open pinholes for this protocol";
    case firewall_error::internal_port_wildcarding_not_allowed:
      return "the gateway needs a specific internal port, not 0";
    case firewall_error::protocol_wildcarding_not_allowed: return "the gateway needs a specific protocol, not any";
    case firewall_error::wildcard_not_permitted_in_src_ip:
      return "the gateway needs a specific remote host, not any";
    case firewall_error::no_packet_sent: return "no packet has gone through the pinhole yet";
  }
  return nullptr;
}

const std::error_category& firewall_error_category() noexcept {
  static const core::gateway_code_category<firewall_error> category("upnp-firewall");
  return category;
}

}  // namespace natpunch::soap
