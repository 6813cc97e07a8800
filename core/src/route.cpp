#include "natpunch/core/route.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

#include "natpunch/core/error.hpp"

namespace natpunch::core {
namespace {

// Splits on spaces and tabs; at most `max` fields are kept (the rest of the line is ignored).
std::vector<std::string_view> fields(std::string_view line, std::size_t max) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size() && out.size() < max) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool parse_hex(std::string_view s, T& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc{} && end == s.data() + s.size();
}

// The kernel prints the in-memory (network-order) 32-bit address as a native integer: reversing that
// print on this same machine means storing the integer back in native order.
bool parse_native_ipv4(std::string_view s, std::array<std::uint8_t, 4>& out) {
  std::uint32_t value = 0;
  if (s.size() != 8 || !parse_hex(s, value)) return false;
  out = std::bit_cast<std::array<std::uint8_t, 4>>(value);
  return true;
}

bool parse_hex_bytes(std::string_view s, std::span<std::uint8_t> out) {
  if (s.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!parse_hex(s.substr(i * 2, 2), out[i])) return false;
  }
  return true;
}

bool valid_interface(std::string_view name, const route_limits& limits) {
  return !name.empty() && name.size() <= limits.max_interface_name;
}

// Calls row(line) for each non-empty line; stops with the first error.
template <typename Row>
std::error_code for_each_line(std::string_view text, const route_limits& limits, Row row) {
  std::size_t rows = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (++rows > limits.max_routes) return route_errc::too_many_routes;
    if (!row(line)) return route_errc::malformed;
  }
  return {};
}

}  // namespace

const char* describe(route_errc e) noexcept {
  switch (e) {
    case route_errc::malformed: return "malformed routing table row";
    case route_errc::too_many_routes: return "routing table has more rows than the limit";
    case route_errc::no_default_route: return "no default route: cannot tell where the gateway is (use --gateway)";
  }
  return nullptr;
}

const std::error_category& route_category() noexcept {
  static const enum_category<route_errc> category("route");
  return category;
}

result<std::vector<route_v4>> parse_proc_net_route(std::string_view text, route_limits limits) {
  // The header names the columns; we rely on the fixed order the kernel has printed since 2.2.
  const std::size_t nl = text.find('\n');
  // A network namespace without interfaces up prints nothing at all, not even the header: no routes.
  if (text.empty()) return std::vector<route_v4>{};
  if (!text.starts_with("Iface")) return route_errc::malformed;
  text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  std::vector<route_v4> routes;
  const std::error_code ec = for_each_line(text, limits, [&](std::string_view line) {
    const auto f = fields(line, 8);
    if (f.size() < 8) return false;
    route_v4 r;
    r.interface = std::string(f[0]);
    // The kernel prints Flags in hex but Metric in decimal (fib_trie.c, "%04X ... %d").
    const auto [end, mec] = std::from_chars(f[6].data(), f[6].data() + f[6].size(), r.metric, 10);
    const bool ok = valid_interface(f[0], limits) && parse_native_ipv4(f[1], r.destination) &&
                    parse_native_ipv4(f[2], r.gateway) && parse_hex(f[3], r.flags) && mec == std::errc{} &&
                    end == f[6].data() + f[6].size() && parse_native_ipv4(f[7], r.mask);
    if (ok) routes.push_back(std::move(r));
    return ok;
  });
  if (ec) return ec;
  return routes;
}

result<std::vector<route_v6>> parse_proc_net_ipv6_route(std::string_view text, route_limits limits) {
  std::vector<route_v6> routes;
  const std::error_code ec = for_each_line(text, limits, [&](std::string_view line) {
    const auto f = fields(line, 10);
    if (f.size() < 10) return false;
    route_v6 r;
    std::uint8_t src_len = 0;
    std::array<std::uint8_t, 16> src{};
    r.interface = std::string(f[9]);
    const bool ok = valid_interface(f[9], limits) && parse_hex_bytes(f[0], r.destination) && f[1].size() == 2 &&
                    parse_hex(f[1], r.prefix_length) && r.prefix_length <= 128 && parse_hex_bytes(f[2], src) &&
                    f[3].size() == 2 && parse_hex(f[3], src_len) && parse_hex_bytes(f[4], r.next_hop) &&
                    parse_hex(f[5], r.metric) && parse_hex(f[8], r.flags);
    if (ok) routes.push_back(std::move(r));
    return ok;
  });
  if (ec) return ec;
  return routes;
}

namespace {
template <typename Route>
std::optional<Route> lowest_metric_default(std::span<const Route> routes, auto is_default) {
  const Route* best = nullptr;
  for (const Route& r : routes) {
    if (!is_default(r)) continue;
    if (best == nullptr || r.metric < best->metric) best = &r;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}
template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& a) {
  return std::all_of(a.begin(), a.end(), [](std::uint8_t b) { return b == 0; });
}
}  // namespace

std::optional<route_v4> pick_default_route(std::span<const route_v4> routes) noexcept {
  return lowest_metric_default(routes, [](const route_v4& r) {
    return all_zero(r.destination) && all_zero(r.mask) && (r.flags & rtf_up) != 0 && (r.flags & rtf_gateway) != 0 &&
           !all_zero(r.gateway);
  });
}

std::optional<route_v6> pick_default_route(std::span<const route_v6> routes) noexcept {
  return lowest_metric_default(routes, [](const route_v6& r) {
    return r.prefix_length == 0 && all_zero(r.destination) && (r.flags & rtf_up) != 0 &&
           (r.flags & rtf_gateway) != 0 && !all_zero(r.next_hop);
  });
}

}  // namespace natpunch::core
