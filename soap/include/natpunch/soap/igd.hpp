// The IGD actions natpunch calls, as typed values (sans-I/O): a *_call function gives the action name,
// its in-arguments and the service it belongs to (feed them to build_request with that service's type);
// a decode_* function reads the action_response that parse_response returned.
//   WANIPConnection v1/v2 and WANPPPConnection v1: GetExternalIPAddress, GetStatusInfo,
//     GetConnectionTypeInfo, AddPortMapping, AddAnyPortMapping (v2), DeletePortMapping,
//     DeletePortMappingRange (v2), GetGenericPortMappingEntry, GetSpecificPortMappingEntry,
//     GetListOfPortMappings (v2).
//   WANCommonInterfaceConfig v1: GetCommonLinkProperties.
//   WANIPv6FirewallControl v1: GetFirewallStatus, GetOutboundPinholeTimeout, AddPinhole, UpdatePinhole,
//     DeletePinhole, GetPinholePackets, CheckPinholeWorking.
// Integers are read strictly: decimal digits only (surrounding whitespace allowed), no sign, in the type's
// range (ui2, ui4), ports 1..65535 where a mapping needs one. Protocol names are sent upper-case and read
// in any case. A mapping's description is kept exactly as sent; hosts, clients and status words are
// trimmed of surrounding whitespace; every kept text field is at most soap_limits::max_field_bytes
// (field_too_long). A missing argument is missing_argument, a malformed value bad_value.
#pragma once

#include <asio/ip/address.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "natpunch/core/ip_protocol.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/soap/description.hpp"
#include "natpunch/soap/envelope.hpp"
#include "natpunch/soap/error.hpp"

namespace natpunch::soap {

// One action to call: what build_request needs, and which of igd_services' services to send it to.
struct call {
  std::string_view action;
  std::vector<argument> args;
  service_kind service = service_kind::connection;
};

// A fault as an error_code: the firewall's codes in firewall_error_category, every other service's in
// upnp_error_category. The code is kept as the gateway sent it.
std::error_code fault_error(const fault& f, service_kind service);

// A port mapping as WANIPConnection describes it (arguments of AddPortMapping and the entry getters).
struct port_mapping {
  std::string remote_host;  // "" = any remote host
  std::uint16_t external_port = 0;
  core::ip_protocol protocol = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::string internal_client;  // the LAN host, as the gateway writes it (usually an IPv4 literal)
  bool enabled = true;
  std::string description;
  std::uint32_t lease_duration = 0;  // seconds; 0 = permanent (v1), v2 gateways cap it at 604800
  friend bool operator==(const port_mapping&, const port_mapping&) = default;
};

// WANIPConnection's connection state (GetStatusInfo), as the gateway words it.
struct status_info {
  std::string connection_status;      // Unconfigured, Connecting, Connected, PendingDisconnect, Disconnecting,
                                      // Disconnected
  std::string last_connection_error;  // ERROR_NONE, ERROR_ISP_TIME_OUT, ...
  std::uint32_t uptime = 0;           // seconds
  bool connected() const noexcept { return connection_status == "Connected"; }
  friend bool operator==(const status_info&, const status_info&) = default;
};

struct connection_type_info {
  std::string type;            // IP_Routed, IP_Bridged, Unconfigured (PPP: IP_Routed, DHCP_Spoofed, ...)
  std::string possible_types;  // comma-separated, as sent
  friend bool operator==(const connection_type_info&, const connection_type_info&) = default;
};

// WANCommonInterfaceConfig's GetCommonLinkProperties.
struct link_properties {
  std::string access_type;          // DSL, POTS, Cable, Ethernet
  std::uint32_t upstream_bps = 0;   // Layer1UpstreamMaxBitRate
  std::uint32_t downstream_bps = 0; // Layer1DownstreamMaxBitRate
  std::string physical_link_status; // Up, Down, Initializing, Unavailable
  friend bool operator==(const link_properties&, const link_properties&) = default;
};

// WANIPv6FirewallControl's pinhole: the protocol is an IANA number (65535 = any).
inline constexpr std::uint16_t pinhole_protocol_tcp = 6;
inline constexpr std::uint16_t pinhole_protocol_udp = 17;
inline constexpr std::uint16_t pinhole_protocol_any = 65535;
constexpr std::uint16_t pinhole_protocol(core::ip_protocol p) noexcept {
  return p == core::ip_protocol::tcp ? pinhole_protocol_tcp : pinhole_protocol_udp;
}
struct pinhole {
  std::string remote_host;       // "" = any
  std::uint16_t remote_port = 0; // 0 = any
  std::string internal_client;   // the LAN host's IPv6 address
  std::uint16_t internal_port = 0;
  std::uint16_t protocol = pinhole_protocol_tcp;
  std::uint32_t lease_time = 3600;  // seconds, 1..86400 by the spec
  friend bool operator==(const pinhole&, const pinhole&) = default;
};

struct firewall_status {
  bool enabled = false;                 // FirewallEnabled
  bool inbound_pinhole_allowed = false; // InboundPinholeAllowed
  friend bool operator==(const firewall_status&, const firewall_status&) = default;
};

// --- WANIPConnection / WANPPPConnection -------------------------------------------------------------
call get_external_ip_address_call();
call get_status_info_call();
call get_connection_type_info_call();
call add_port_mapping_call(const port_mapping& m);
call add_any_port_mapping_call(const port_mapping& m);  // v2: the gateway may choose another external port
call delete_port_mapping_call(std::string_view remote_host, std::uint16_t external_port, core::ip_protocol protocol);
call delete_port_mapping_range_call(std::uint16_t start_port, std::uint16_t end_port, core::ip_protocol protocol,
                                    bool manage);
call get_generic_port_mapping_entry_call(std::uint16_t index);
call get_specific_port_mapping_entry_call(std::string_view remote_host, std::uint16_t external_port,
                                          core::ip_protocol protocol);
call get_list_of_port_mappings_call(std::uint16_t start_port, std::uint16_t end_port, core::ip_protocol protocol,
                                    bool manage, std::uint16_t count);

// NewExternalIPAddress as the gateway reported it, for a caller that shows the WAN's state (status): an
// empty value (some gateways, while the WAN is down) reads as 0.0.0.0; text that is no IP address, or a
// scoped IPv6 address (with '%'), is bad_value. A caller that needs the address to use it checks it with
// usable_external_ip.
core::result<asio::ip::address> decode_external_ip(const action_response& r);
// An external address a mapping can be reached at: 0.0.0.0, :: and ::ffff:0.0.0.0 are
// no_external_address (a gateway whose WAN is down says that rather than fail), loopback, multicast and
// the IPv4 broadcast address are bad_value (nonsense, refused as NAT-PMP and PCP refuse them).
core::result<asio::ip::address> usable_external_ip(const asio::ip::address& a);
// The uptime is NewUptime (WANIPConnection, WANPPPConnection, AVM's TR-064) or NewUpTime (TR-064 as
// Tailscale's client for Huawei routers reads it, tailscale/tailscale#10911).
core::result<status_info> decode_status_info(const action_response& r, const soap_limits& limits = {});
core::result<connection_type_info> decode_connection_type_info(const action_response& r,
                                                               const soap_limits& limits = {});
// AddAnyPortMapping's NewReservedPort (1..65535).
core::result<std::uint16_t> decode_reserved_port(const action_response& r);
core::result<port_mapping> decode_generic_entry(const action_response& r, const soap_limits& limits = {});
// The answer carries no key: remote host, external port and protocol come from what was asked.
core::result<port_mapping> decode_specific_entry(const action_response& r, std::string_view remote_host,
                                                 std::uint16_t external_port, core::ip_protocol protocol,
                                                 const soap_limits& limits = {});
// NewPortListing, through parse_port_listing.
core::result<std::vector<port_mapping>> decode_port_listing(const action_response& r, const soap_limits& limits = {});

// The PortMappingList document (namespace urn:schemas-upnp-org:gw:WANIPConnection) that
// GetListOfPortMappings returns escaped inside NewPortListing:
//   <p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection">
//     <p:PortMappingEntry>
//       <p:NewRemoteHost/> <p:NewExternalPort/> <p:NewProtocol/> <p:NewInternalPort/>
//       <p:NewInternalClient/> <p:NewEnabled/> <p:NewDescription/> <p:NewLeaseTime/>
//     </p:PortMappingEntry> ...
//   </p:PortMappingList>
// Read by local name; NewPortMappingDescription and NewLeaseDuration are accepted for the last two.
// Same load limits as an envelope; errors: not_a_port_listing, too_many_entries (over
// max_listing_entries), missing_argument, bad_value, field_too_long, bad_text.
core::result<std::vector<port_mapping>> parse_port_listing(std::string_view xml, const soap_limits& limits = {});

// --- WANCommonInterfaceConfig ------------------------------------------------------------------------
call get_common_link_properties_call();
core::result<link_properties> decode_common_link_properties(const action_response& r,
                                                            const soap_limits& limits = {});

// --- WANIPv6FirewallControl --------------------------------------------------------------------------
call get_firewall_status_call();
call get_outbound_pinhole_timeout_call(const pinhole& p);  // lease_time is not sent
call add_pinhole_call(const pinhole& p);
call update_pinhole_call(std::uint16_t unique_id, std::uint32_t lease_time);
call delete_pinhole_call(std::uint16_t unique_id);
call get_pinhole_packets_call(std::uint16_t unique_id);
call check_pinhole_working_call(std::uint16_t unique_id);

core::result<firewall_status> decode_firewall_status(const action_response& r);
core::result<std::uint32_t> decode_outbound_pinhole_timeout(const action_response& r);  // OutboundPinholeTimeout
core::result<std::uint16_t> decode_pinhole_id(const action_response& r);                // AddPinhole's UniqueID
core::result<std::uint32_t> decode_pinhole_packets(const action_response& r);           // PinholePackets
core::result<bool> decode_pinhole_working(const action_response& r);                    // IsWorking

// Protocol names as sent: "TCP" / "UDP".
std::string_view protocol_name(core::ip_protocol p) noexcept;

}  // namespace natpunch::soap
