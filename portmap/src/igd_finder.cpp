#include "natpunch/portmap/igd_finder.hpp"

#include <algorithm>

#include <asio/this_coro.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/netinfo.hpp"
#include "natpunch/portmap/mapping.hpp"
#include "natpunch/ssdp/error.hpp"

namespace natpunch::portmap {
namespace {

namespace log = core::log;
using std::chrono::milliseconds;

// 2: connected with a public external address; 1: connected; 0: anything else.
asio::awaitable<int> connection_rank(soap::client& client, const soap::gateway& gw) {
  auto status = co_await client.async_status(gw);
  if (!status || !status->connected()) co_return 0;
  auto external = co_await client.async_external_ip(gw);
  if (!external || !external->is_v4()) co_return 1;
  co_return scope_of(*external) == address_scope::public_address ? 2 : 1;
}

}  // namespace

ssdp::discovery_options discovery_options_for(const igd_search& where, milliseconds deadline, bool find_all) {
  ssdp::discovery_options o;
  o.ipv4 = where.search_v4;
  o.gateway = where.gateway;
  if (where.gateway) {
    if (auto local = core::local_address_towards(*where.gateway); local && local->is_v4()) {
      o.interface_address = local->to_v4();
    }
  }
  if (where.search_v6) {
    ssdp::ipv6_search v6;
    v6.interface_index = where.interface6;
    v6.gateway = where.gateway6;
    v6.sources = where.sources6;
    o.ipv6 = v6;
  }
  o.deadline = std::min(deadline, max_discovery);
  o.find_all = find_all;
  if (find_all) o.listen_for = std::min(o.deadline, milliseconds(1500));
  return o;
}

asio::awaitable<core::result<ssdp::discovery_result>> async_search(const ssdp::discovery_options& o) {
  const std::optional<asio::ip::address> gateway4 =
      o.gateway ? std::optional<asio::ip::address>(*o.gateway) : std::nullopt;
  const std::optional<asio::ip::address> gateway6 =
      o.ipv6 && o.ipv6->gateway ? std::optional<asio::ip::address>(*o.ipv6->gateway) : std::nullopt;
  co_return co_await ssdp::async_discover(
      co_await asio::this_coro::executor, o,
      [gateway4, gateway6](const ssdp::search_response& r, const asio::ip::address& responder) -> std::error_code {
        auto checked = soap::check_location(r.location, responder, responder.is_v6() ? gateway6 : gateway4);
        return checked ? std::error_code{} : checked.error();
      });
}

asio::awaitable<core::result<igd_session>> async_choose_igd(soap::client& client,
                                                             std::vector<ssdp::found_device> devices,
                                                             const ssdp::discovery_options& options,
                                                             std::error_code last_ignored) {
  // Deterministic whatever the answer order: the default gateway's first, then by LOCATION.
  std::sort(devices.begin(), devices.end(), [&](const ssdp::found_device& a, const ssdp::found_device& b) {
    const bool a_gw = ssdp::is_default_gateway(options, a.responder);
    const bool b_gw = ssdp::is_default_gateway(options, b.responder);
    if (a_gw != b_gw) return a_gw;
    return a.response.location < b.response.location;
  });
  std::error_code last = last_ignored ? last_ignored : make_error_code(ssdp::errc::no_gateway_found);
  // One IGD: take it. Several: as a careful user would, one connected with a public address first,
  // then a connected one, then any (ties keep the order above).
  igd_session session;
  int best_rank = -1;
  for (auto& d : devices) {
    auto location = soap::parse_url(d.response.location);
    if (!location) {
      last = location.error();
      continue;
    }
    auto gw = co_await client.async_describe(*location);
    if (!gw) {
      log::info("passing over ", d.response.location, ": ", core::describe(gw.error()));
      last = gw.error();
      if (last == core::transport_errc::cancelled) co_return last;
      continue;
    }
    // Not `co_await (cond ? a : b)`: GCC 12 destroys such a conditional's coroutine temporary twice.
    int rank = 0;
    if (devices.size() > 1) rank = co_await connection_rank(client, *gw);
    log::debug("IGD ", d.response.location, " ranks ", rank);
    // Equally good: the UPnP Forum's IGD over a TR-064 one (a router publishing both, e.g. a
    // FRITZ!Box's igddesc.xml and tr64desc.xml, means its IGD), whatever the LOCATIONs' order.
    const bool standard_over_tr064 = rank == best_rank && session.gw.services.dslforum() && !gw->services.dslforum();
    const bool tr064 = gw->services.dslforum();
    if (rank > best_rank || standard_over_tr064) {
      best_rank = rank;
      session.gw = std::move(*gw);
      session.found = d;
    }
    if (devices.size() == 1 || (rank == 2 && !tr064)) break;
  }
  if (best_rank < 0) {
    log::info("no usable IGD: ", core::describe(last));
    co_return devices.empty() ? make_error_code(ssdp::errc::no_gateway_found) : last;
  }
  co_return session;
}

asio::awaitable<core::result<igd_session>> async_find_igd(soap::client& client, const igd_search& target,
                                                          milliseconds deadline) {
  igd_session session;
  if (target.igd_url) {
    auto location = soap::check_location(*target.igd_url, std::nullopt, std::nullopt);
    if (!location) co_return location.error();
    auto gw = co_await client.async_describe(*location);
    if (!gw) co_return gw.error();
    session.gw = std::move(*gw);
  } else {
    const auto options = discovery_options_for(target, deadline, false);
    auto found = co_await async_search(options);
    if (!found) co_return found.error();
    log::info("SSDP: ", found->devices.size(), " IGD(s) in ", found->elapsed.count(), " ms (", found->sent,
              " searches sent, ", found->answers, " answers)");
    auto chosen = co_await async_choose_igd(client, std::move(found->devices), options, found->last_ignored);
    if (!chosen) co_return chosen.error();
    session = std::move(*chosen);
  }
  auto local = core::local_address_towards(session.gw.address);
  if (!local) co_return local.error();
  session.local = *local;
  log::info("IGD ", soap::to_string(session.gw.location), ": ", session.gw.services.connection.type, " at ",
            soap::to_string(session.gw.connection_control));
  co_return session;
}

}  // namespace natpunch::portmap
