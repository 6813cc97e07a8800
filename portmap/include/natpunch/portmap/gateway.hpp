// The gateway to ask, worked out once per command from the route tables and what the user named
// (--gateway, --igd): where NAT-PMP and PCP requests go, and where SSDP looks for a UPnP IGD.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <asio/ip/address.hpp>

#include "natpunch/core/result.hpp"

namespace natpunch::portmap {

// What the user said; empty fields mean "find it".
struct gateway_options {
  std::optional<std::string> address;  // ADDR, ADDR:PORT, IPV6 or [IPV6]:PORT (port: NAT-PMP/PCP's)
  std::optional<std::string> igd_url;  // a UPnP description URL: no SSDP search
  bool ipv4_search = true;             // which families SSDP searches: IPv4 for port mappings,
  bool ipv6_search = false;            // IPv6 for pinholes (gateways take those only over IPv6)
  std::string route_file_v4 = "/proc/net/route";
  std::string route_file_v6 = "/proc/net/ipv6_route";
};

// Where SSDP looks for an IGD, and which answers count as the default gateway's.
struct igd_search {
  std::optional<std::string> igd_url;           // skip discovery (like upnpc -u)
  std::optional<asio::ip::address_v4> gateway;  // asked by unicast too; its answer is preferred
  bool search_v4 = true;
  bool search_v6 = false;
  // An IPv6 --gateway, else the IPv6 default route's next hop; its interface; global or ULA addresses
  // there as sources, one per prefix (ssdp::ipv6_search::sources says why).
  std::optional<asio::ip::address_v6> gateway6;
  unsigned interface6 = 0;
  std::vector<asio::ip::address_v6> sources6;
};

struct gateway {
  // NAT-PMP and PCP: the gateway's address (none: no default route and no --gateway; route_error says
  // why) and port (5351 unless --gateway gave one).
  std::optional<asio::ip::address> address;
  std::uint16_t port = 5351;
  std::error_code route_error;
  // An IPv6 gateway's link-local address (the default route's next hop): its PCP ANNOUNCEs come from it.
  std::optional<asio::ip::address> link_local;
  igd_search igd;
};

// Errors: errc::bad_gateway_address / bad_gateway_port for a --gateway that is no address or port.
// A missing default route is no error here (route_error): UPnP with --igd needs none.
core::result<gateway> find_gateway(const gateway_options& options);

}  // namespace natpunch::portmap
