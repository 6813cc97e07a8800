// Where the gateway is and which local address faces it, on Linux.
#pragma once

#include <string>
#include <vector>

#include <asio/ip/address.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/core/route.hpp"

namespace natpunch::core {

struct gateway_info {
  asio::ip::address address;
  std::string interface;
};

// Reads /proc/net/route (or /proc/net/ipv6_route for v6) and returns the default gateway.
// Errors: route_errc::no_default_route, malformed, or the file's open error.
result<gateway_info> find_default_gateway_v4(const std::string& route_file = "/proc/net/route");
result<gateway_info> find_default_gateway_v6(const std::string& route_file = "/proc/net/ipv6_route");

// The IPv6 addresses of `interface` that are neither link-local, loopback nor multicast (global and ULA
// addresses), in getifaddrs order; at most 64. Errors: getifaddrs's.
result<std::vector<asio::ip::address_v6>> routable_addresses_v6(const std::string& interface);

// The local address the kernel would use to reach `peer` (a UDP connect sends no packet).
result<asio::ip::address> local_address_towards(const asio::ip::address& peer);

}  // namespace natpunch::core
