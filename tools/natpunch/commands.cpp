#include "commands.hpp"

#include <charconv>
#include <iostream>

#include <asio/this_coro.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/netinfo.hpp"
#include "keep.hpp"
#include "natpunch/natpmp/client.hpp"
#include "output.hpp"

namespace natpunch::cli {
namespace {

namespace log = core::log;
using clock = std::chrono::steady_clock;

struct gateway_target {
  asio::ip::address_v4 address;
  std::uint16_t port = natpmp::server_port;
};

// --gateway ADDR[:PORT], or the default route's gateway.
std::variant<gateway_target, std::string, std::error_code> resolve_gateway(const global_options& options) {
  gateway_target target;
  if (!options.gateway) {
    auto found = core::find_default_gateway_v4();
    if (!found) return found.error();
    if (!found->address.is_v4()) return std::string("the default gateway is not IPv4");
    target.address = found->address.to_v4();
    log::info("gateway ", target.address.to_string(), " (default route via ", found->interface, ")");
    return target;
  }
  std::string text = *options.gateway;
  if (const auto colon = text.find(':'); colon != std::string::npos) {
    const std::string port = text.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return "--gateway port must be from 1 to 65535, not '" + port + "'";
    }
    target.port = static_cast<std::uint16_t>(value);
    text.resize(colon);
  }
  std::error_code ec;
  target.address = asio::ip::make_address_v4(text, ec);
  if (ec) return "--gateway must be an IPv4 address for NAT-PMP, not '" + text + "'";
  return target;
}

std::chrono::milliseconds remaining(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}


// Ctrl-C during `add`: the gateway may already hold the mapping (the request may have arrived even if
// its answer did not), so leave nothing behind: delete it, bounded by --timeout. A second signal
// cancels this too.
asio::awaitable<int> undo_interrupted_add(natpmp::client& client, const invocation& inv, const std::string& spec) {
  co_await asio::this_coro::reset_cancellation_state();
  co_await asio::this_coro::throw_if_cancelled(false);
  client.set_deadline(inv.options.timeout);
  auto removed = co_await client.async_delete(inv.cmd.ports.protocol, inv.cmd.ports.internal_port);
  if (removed) {
    std::cerr << "natpunch: interrupted: add " << spec << " undone (mapping deleted)\n";
  } else {
    print_error(inv.options.json, "interrupted, and undoing add " + spec + " failed (the gateway may hold it)",
                removed.error());
  }
  co_return exit_interrupted;
}

asio::awaitable<int> run_natpmp(const invocation& inv, const gateway_target& gw) {
  const auto& options = inv.options;
  const auto& cmd = inv.cmd;
  const auto deadline = clock::now() + options.timeout;
  natpmp::client_options client_options;
  client_options.gateway = gw.address;
  client_options.port = gw.port;
  client_options.deadline = options.timeout;
  natpmp::client client(co_await asio::this_coro::executor, client_options);
  const std::string gateway_text = gw.address.to_string();

  if (cmd.kind == command_kind::external_ip) {
    auto ext = co_await client.async_external_address();
    if (!ext) {
      print_error(options.json, "external address from " + gateway_text, ext.error());
      co_return exit_status_for(ext.error());
    }
    if (options.json) {
      std::cout << json_object()
                       .add("protocol", "natpmp")
                       .add("external_ip", ext->address.to_string())
                       .add("gateway", gateway_text)
                       .add("epoch", std::int64_t{ext->epoch})
                       .str()
                << std::endl;
    } else {
      std::cout << ext->address.to_string() << std::endl;
    }
    co_return exit_ok;
  }

  const auto& ports = cmd.ports;
  const std::string spec = std::to_string(ports.internal_port) + "/" + std::string(core::to_string(ports.protocol));
  if (cmd.kind == command_kind::remove) {
    auto removed = co_await client.async_delete(ports.protocol, ports.internal_port);
    if (!removed) {
      print_error(options.json, "delete " + spec + " on " + gateway_text, removed.error());
      co_return exit_status_for(removed.error());
    }
    if (options.json) {
      std::cout << json_object()
                       .add("protocol", "natpmp")
                       .add("deleted", true)
                       .add("internal_ip", client.local_address().to_string())
                       .add("internal_port", std::int64_t{ports.internal_port})
                       .add("transport", core::to_string(ports.protocol))
                       .add("gateway", gateway_text)
                       .str()
                << std::endl;
    } else {
      std::cout << "deleted " << core::to_string(ports.protocol) << " mapping to " << client.local_address().to_string()
                << ":" << ports.internal_port << " (natpmp, gateway " << gateway_text << ")" << std::endl;
    }
    co_return exit_ok;
  }

  // add: the mapping first (what the user asked for), then the address to print with it.
  const std::uint16_t suggested = ports.external_port.value_or(ports.internal_port);
  auto mapped = co_await client.async_map(ports.protocol, ports.internal_port, suggested, cmd.lifetime);
  if (mapped.error() == core::transport_errc::cancelled) co_return co_await undo_interrupted_add(client, inv, spec);
  if (!mapped) {
    print_error(options.json, "add " + spec + " on " + gateway_text, mapped.error());
    co_return exit_status_for(mapped.error());
  }
  client.set_deadline(remaining(deadline));
  auto ext = co_await client.async_external_address();
  if (ext.error() == core::transport_errc::cancelled) co_return co_await undo_interrupted_add(client, inv, spec);
  if (!ext) {
    // The mapping exists on the gateway; say so, so the user can delete it or retry.
    print_error(options.json,
                "mapped " + spec + " to external port " + std::to_string(mapped->external_port) +
                    ", but then could not read the external address",
                ext.error());
    co_return exit_status_for(ext.error());
  }
  if (options.json) {
    std::cout << mapping_json(client, ext->address, *mapped, cmd.keep ? "mapped" : "").str() << std::endl;
  } else {
    std::cout << "mapped " << core::to_string(mapped->protocol) << " " << ext->address.to_string() << ":"
              << mapped->external_port << " -> " << client.local_address().to_string() << ":" << mapped->internal_port
              << " for " << mapped->lifetime << " s (natpmp, gateway " << gateway_text << ")" << std::endl;
    if (mapped->external_port != suggested) {
      std::cout << "note: the gateway chose external port " << mapped->external_port << " instead of " << suggested
                << std::endl;
    }
    if (mapped->lifetime != cmd.lifetime) {
      std::cout << "note: the gateway granted " << mapped->lifetime << " s instead of " << cmd.lifetime
                << " s; " << (cmd.keep ? "natpunch renews it before then" : "run add again before then to renew")
                << std::endl;
    }
  }
  if (cmd.keep) co_return co_await keep_mapping(client, inv, kept_mapping{*mapped, ext->address});
  co_return exit_ok;
}

}  // namespace

json_object mapping_json(const natpmp::client& client, const asio::ip::address_v4& external,
                         const natpmp::mapping_info& m, std::string_view event) {
  json_object out;
  if (!event.empty()) out.add("event", event);  // in --keep mode every line names its event
  out.add("protocol", "natpmp")
      .add("external_ip", external.to_string())
      .add("external_port", std::int64_t{m.external_port})
      .add("internal_ip", client.local_address().to_string())
      .add("internal_port", std::int64_t{m.internal_port})
      .add("transport", core::to_string(m.protocol))
      .add("lifetime", std::int64_t{m.lifetime})
      .add("gateway", client.options().gateway.to_string())
      .add("epoch", std::int64_t{m.epoch});
  return out;
}

asio::awaitable<int> run_command(const invocation& inv) {
  // Ctrl-C is reported by every exchange as transport_errc::cancelled; it must never throw instead.
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto& options = inv.options;
  if (options.protocol == protocol_choice::pcp || options.protocol == protocol_choice::upnp) {
    std::cerr << "natpunch: error: this build speaks NAT-PMP only; PCP and UPnP IGD are not implemented yet "
                 "(use --protocol natpmp or auto)\n";
    co_return exit_usage;
  }
  auto gw = resolve_gateway(options);
  if (auto* message = std::get_if<std::string>(&gw)) {
    std::cerr << "natpunch: error: " << *message << "\n";
    co_return exit_usage;
  }
  if (auto* ec = std::get_if<std::error_code>(&gw)) {
    print_error(options.json, "finding the gateway", *ec);
    co_return exit_unreachable;
  }
  co_return co_await run_natpmp(inv, std::get<gateway_target>(gw));
}

}  // namespace natpunch::cli
