#include "keep.hpp"

#include <iostream>

#include "commands.hpp"
#include "natpunch/portmap/keeper.hpp"
#include "output.hpp"

namespace natpunch::cli {
namespace {

using portmap::event_kind;

std::string event_text(const portmap::event& e) {
  const auto& m = e.current;
  const std::string where = endpoint_text(m.external_ip, m.external_port);
  switch (e.kind) {
    case event_kind::mapped:
    case event_kind::renewed: return where + " for " + std::to_string(m.lifetime) + " s";
    case event_kind::gateway_lost_state:
      return "the gateway lost its mappings (reboot: epoch restarted); mapping re-created as " + where;
    case event_kind::external_ip_changed: return "public address is now " + where;
    case event_kind::external_port_changed: return "public port is now " + where;
    case event_kind::expiring:
      return "the gateway refused the delete but cut the lifetime to " + std::to_string(m.lifetime) +
             " s: it lapses by itself then";
    case event_kind::removed: return "mapping removed from the gateway";
    case event_kind::renew_failed:
    case event_kind::remove_failed: break;
  }
  return {};
}

}  // namespace

asio::awaitable<int> keep_mapping(portmap::mapper& m, const invocation& inv, portmap::mapping current,
                                  portmap::event_handler also) {
  const bool json = inv.options.json;
  const std::string spec = spec_of(inv.cmd.ports);
  portmap::keep_options options;
  options.lifetime = inv.cmd.lifetime;
  options.request_deadline = inv.options.timeout;
  auto on_event = [&](const portmap::event& e) {
    if (also) also(e);
    if (e.kind == event_kind::renew_failed) {
      print_error(json, "renewing " + spec + " (retrying in " + std::to_string(e.retry_in.count()) + " s)", e.error,
                  e.gateway_text);
    } else if (e.kind == event_kind::remove_failed) {
      print_error(json, "removing the mapping on exit", e.error, e.gateway_text);
    } else if (json) {
      std::cout << mapping_json(e.current, portmap::to_string(e.kind)).str() << std::endl;
    } else {
      std::cout << portmap::to_string(e.kind) << ": " << event_text(e) << std::endl;
    }
  };
  const auto ec = co_await portmap::async_keep(m, std::move(current), options, on_event);
  co_return ec ? exit_status_for(ec) : exit_ok;
}

}  // namespace natpunch::cli
