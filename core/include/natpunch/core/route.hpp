// Linux routing-table parsing (sans-I/O): the text of /proc/net/route and /proc/net/ipv6_route in,
// routes out. Used to find the default gateway, which is where NAT-PMP and PCP requests go.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "natpunch/core/result.hpp"

namespace natpunch::core {

// Why a routing table could not be used.
enum class route_errc {
  malformed = 1,      // a line that is not a routing-table row
  too_many_routes,    // more rows than route_limits::max_routes
  no_default_route,   // no usable default route (destination 0/0 via a gateway, interface up)
};
const char* describe(route_errc e) noexcept;
const std::error_category& route_category() noexcept;
inline std::error_code make_error_code(route_errc e) noexcept { return {static_cast<int>(e), route_category()}; }

struct route_limits {
  // A home machine has a handful of routes; a full BGP table in the kernel (~1M rows) is not a machine
  // natpunch runs on. Bounded so that a hostile or huge file cannot make us allocate without end.
  std::size_t max_routes = 65536;
  // Interface names are at most 15 characters on Linux (IFNAMSIZ − 1).
  std::size_t max_interface_name = 15;
};

struct route_v4 {
  std::string interface;
  std::array<std::uint8_t, 4> destination{};  // network order
  std::array<std::uint8_t, 4> gateway{};
  std::array<std::uint8_t, 4> mask{};
  std::uint32_t flags = 0;
  std::uint32_t metric = 0;
  friend bool operator==(const route_v4&, const route_v4&) = default;
};

struct route_v6 {
  std::string interface;
  std::array<std::uint8_t, 16> destination{};
  std::uint8_t prefix_length = 0;
  std::array<std::uint8_t, 16> next_hop{};
  std::uint32_t flags = 0;
  std::uint32_t metric = 0;
  friend bool operator==(const route_v6&, const route_v6&) = default;
};

inline constexpr std::uint32_t rtf_up = 0x1;       // <linux/route.h> RTF_UP
inline constexpr std::uint32_t rtf_gateway = 0x2;  // RTF_GATEWAY

// /proc/net/route: a header line, then "Iface Destination Gateway Flags RefCnt Use Metric Mask ...",
// addresses as the kernel's native-endian 32-bit value in hex.
result<std::vector<route_v4>> parse_proc_net_route(std::string_view text, route_limits limits = {});

// /proc/net/ipv6_route: no header; "dest plen src splen nexthop metric refcnt use flags iface", hex.
result<std::vector<route_v6>> parse_proc_net_ipv6_route(std::string_view text, route_limits limits = {});

// The default route with the lowest metric (first in table order on a tie): destination 0/0, up, via a
// non-zero gateway. Empty when there is none.
std::optional<route_v4> pick_default_route(std::span<const route_v4> routes) noexcept;
std::optional<route_v6> pick_default_route(std::span<const route_v6> routes) noexcept;

}  // namespace natpunch::core

template <>
struct std::is_error_code_enum<natpunch::core::route_errc> : std::true_type {};
