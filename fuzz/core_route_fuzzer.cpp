// Fuzzes the routing-table parsers (/proc/net/route and /proc/net/ipv6_route text). Invariants: a parse
// yields a value or an error, never both; the row limit holds; every parsed interface name respects its
// limit; the chosen default route is one of the parsed rows and really is a default route.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "support.hpp"
#include "natpunch/core/route.hpp"

using namespace natpunch::core;

namespace {

using natpunch::fuzz::require;
template <typename Route>
void check_routes(const result<std::vector<Route>>& routes, const route_limits& limits) {
  require(routes.has_value() != static_cast<bool>(routes.error()));
  if (!routes) return;
  require(routes->size() <= limits.max_routes);
  for (const Route& r : *routes) require(!r.interface.empty() && r.interface.size() <= limits.max_interface_name);
  if (const auto best = pick_default_route(std::span<const Route>(*routes))) {
    require(std::find(routes->begin(), routes->end(), *best) != routes->end());
    require((best->flags & rtf_up) != 0 && (best->flags & rtf_gateway) != 0);
    // No default route has a strictly lower metric than the chosen one: removing every row with a
    // metric >= best's leaves no default route.
    std::vector<Route> lower;
    for (const Route& r : *routes) {
      if (r.metric < best->metric) lower.push_back(r);
    }
    require(!pick_default_route(std::span<const Route>(lower)).has_value());
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(
      [](byte_span input) {
        const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
        const route_limits limits{64, 15};
        check_routes(parse_proc_net_route(text, limits), limits);
        check_routes(parse_proc_net_ipv6_route(text, limits), limits);
      },
      data, size);
}
