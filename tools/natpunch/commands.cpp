// add, delete, peer, announce and external-ip: the mapping manager (portmap/) does the work; this file
// turns the command line into its requests and its answers into lines and exit statuses.
#include "commands.hpp"

#include <iostream>

#include <asio/this_coro.hpp>

#include "keep.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/pcp/client.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/portmap/gateway.hpp"
#include "natpunch/portmap/manager.hpp"
#include "natpunch/portmap/mapper.hpp"
#include "output.hpp"
#include "upnp.hpp"

namespace natpunch::cli {
namespace {

namespace log = core::log;
using portmap::protocol;

portmap::gateway_options gateway_options_for(const invocation& inv) {
  portmap::gateway_options o;
  o.address = inv.options.gateway;
  o.igd_url = inv.options.igd;
  const bool pinhole = inv.cmd.kind == command_kind::pinhole;
  o.ipv4_search = !pinhole;
  o.ipv6_search = pinhole || inv.cmd.kind == command_kind::discover;
  return o;
}

// Ctrl-C during `add`: the gateway may already hold the mapping (the request may have arrived even if
// its answer did not), so leave nothing behind: delete it, bounded by --timeout. A later second signal
// cancels this too.
asio::awaitable<int> undo_interrupted_add(portmap::mapper& m, const invocation& inv) {
  co_await asio::this_coro::reset_cancellation_state();
  co_await asio::this_coro::throw_if_cancelled(false);
  m.set_deadline(inv.options.timeout);
  const std::string spec = spec_of(inv.cmd.ports);
  auto removed = co_await m.async_unmap();
  // A NAT-PMP-only gateway answering "unsupported version" never created the PCP mapping we asked for.
  if (removed || removed.error() == pcp::errc::natpmp_only) {
    std::cerr << "natpunch: interrupted: add " << spec << " undone (mapping deleted)\n";
  } else {
    print_error(inv.options.json, "interrupted, and undoing add " + spec + " failed (the gateway may hold it)",
                removed.error());
  }
  co_return exit_interrupted;
}

// `recorded`: natpunch can find it by its port later; else the PCP nonce must be kept by the user.
void print_mapping(const invocation& inv, const portmap::mapping& v, bool recorded) {
  const auto& cmd = inv.cmd;
  const bool double_nat = portmap::scope_of(v.external_ip) != portmap::address_scope::public_address;
  if (double_nat) std::cerr << "natpunch: warning: " << portmap::double_nat_advice(v.external_ip) << "\n";
  if (inv.options.json) {
    std::cout << mapping_json(v, cmd.keep ? "mapped" : "").str() << std::endl;
    return;
  }
  std::cout << "mapped " << core::to_string(v.transport) << " " << endpoint_text(v.external_ip, v.external_port)
            << " -> " << endpoint_text(v.internal_ip, v.internal_port)
            << (v.lifetime == 0 ? std::string(" permanently") : " for " + std::to_string(v.lifetime) + " s") << " ("
            << portmap::to_string(v.proto) << ", gateway " << v.gateway.to_string() << ")" << std::endl;
  const std::uint16_t suggested = cmd.ports.external_port.value_or(cmd.ports.internal_port);
  if (v.external_port != suggested) {
    std::cout << "note: the gateway chose external port " << v.external_port << " instead of " << suggested << std::endl;
  }
  if (v.lifetime != cmd.lifetime) {
    std::cout << "note: the gateway granted " << v.lifetime << " s instead of " << cmd.lifetime << " s; "
              << (cmd.keep ? "natpunch renews it before then" : "run add again before then to renew") << std::endl;
  }
  if (v.nonce && !cmd.keep && !recorded) {
    // Repeat --gateway as given: the delete must reach the same gateway (an IPv6 one, another port).
    const std::string gateway = inv.options.gateway ? " --gateway " + *inv.options.gateway : "";
    std::cout << "note: to delete it later: natpunch --protocol pcp" << gateway << " delete " << spec_of(cmd.ports)
              << " --nonce " << portmap::to_hex(*v.nonce) << std::endl;
  }
}

asio::awaitable<int> run_add(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  const auto& cmd = inv.cmd;
  const auto request = request_for(cmd);
  // Options only PCP can carry are never dropped silently: with NAT-PMP they are an error.
  std::string pcp_only(request.pcp_only_option());
  if (cmd.nonce && pcp_only.empty()) pcp_only = "--nonce";
  if (inv.options.protocol == protocol_choice::natpmp && !pcp_only.empty()) {
    std::cerr << "natpunch: " << pcp_only << " is PCP's (RFC 6887); NAT-PMP has no equivalent\n";
    co_return exit_usage;
  }
  // --prefer-failure has a UPnP meaning (take no other external port); the others have none.
  if (inv.options.protocol == protocol_choice::upnp && !pcp_only.empty() && pcp_only != "--prefer-failure") {
    std::cerr << "natpunch: " << pcp_only << " is PCP's (RFC 6887); UPnP IGD has no equivalent\n";
    co_return exit_usage;
  }
  auto manager = make_manager(inv, gw, ex);
  auto mapped = co_await manager.async_add(request);
  auto& m = *manager.last_mapper();
  if (mapped.error() == core::transport_errc::cancelled) co_return co_await undo_interrupted_add(m, inv);
  if (!mapped) {
    std::string what = "add " + spec_of(cmd.ports) + " on " + named(m);
    if (mapped.error() == portmap::errc::needs_pcp) what = pcp_only + " needs PCP, and the gateway speaks only NAT-PMP";
    if (mapped.error() == pcp::errc::natpmp_only && gw.address && !gw.address->is_v4()) {
      what = "add " + spec_of(cmd.ports) + ": the IPv6 gateway speaks only NAT-PMP, which is IPv4";
    }
    print_error(inv.options.json, what, mapped.error(), m.gateway_text());
    co_return exit_status_for(mapped.error());
  }
  print_mapping(inv, *mapped, manager.recorded());
  if (!cmd.keep) co_return exit_ok;
  const bool recorded = manager.recorded();  // a PEER or third-party mapping is not recorded
  co_return co_await keep_mapping(m, inv, *mapped, [&](const portmap::event& e) {
    if (!recorded) return;
    if (e.kind == portmap::event_kind::removed) {
      manager.forget(e.current);
    } else if (e.kind != portmap::event_kind::renew_failed && e.kind != portmap::event_kind::remove_failed) {
      manager.record(e.current, cmd.description);
    }
  });
}

asio::awaitable<int> run_announce(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  pcp::client_options options;
  options.gateway = *gw.address;
  options.port = gw.port;
  options.deadline = inv.options.timeout;
  options.schedule = pcp::quick_schedule;
  pcp::client client(ex, options);
  auto info = co_await client.async_announce();
  const auto address = gw.address->to_string();
  if (!info) {
    print_error(inv.options.json, "PCP ANNOUNCE to " + address, info.error());
    co_return exit_status_for(info.error());
  }
  if (inv.options.json) {
    std::cout << json_object().add("protocol", "pcp").add("gateway", address).add("epoch", std::int64_t{info->epoch}).str()
              << std::endl;
  } else {
    std::cout << "gateway " << address << " speaks PCP (epoch " << info->epoch << " s)" << std::endl;
  }
  co_return exit_ok;
}

asio::awaitable<int> run_external_ip(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  if (inv.options.protocol == protocol_choice::pcp) {
    std::cerr << "natpunch: PCP has no request for the external address alone (its MAP answer carries it):\n"
                 "use --protocol natpmp external-ip, or add, whose output shows the address\n";
    co_return exit_usage;
  }
  auto m = make_mapper(inv, gw, request_for(inv.cmd), ex);
  auto ext = co_await m->async_external_address();
  if (ext && (ext->is_unspecified() || ext->is_multicast())) ext = portmap::errc::no_external_address;
  if (!ext) {
    print_error(inv.options.json, "external address from " + named(*m), ext.error(), m->gateway_text());
    co_return exit_status_for(ext.error());
  }
  const bool double_nat = portmap::scope_of(*ext) != portmap::address_scope::public_address;
  if (double_nat) std::cerr << "natpunch: warning: " << portmap::double_nat_advice(*ext) << "\n";
  if (inv.options.json) {
    json_object o;
    o.add("protocol", portmap::to_string(m->proto())).add("external_ip", ext->to_string()).add("gateway", where(*m));
    if (const auto epoch = m->epoch()) o.add("epoch", std::int64_t{*epoch});
    o.add("double_nat", double_nat);
    std::cout << o.str() << std::endl;
  } else {
    std::cout << ext->to_string() << std::endl;
  }
  co_return exit_ok;
}

}  // namespace

portmap::mapping_request request_for(const command& cmd) {
  portmap::mapping_request r;
  r.transport = cmd.ports.protocol;
  r.internal_port = cmd.ports.internal_port;
  r.external_port = cmd.ports.external_port;
  r.lifetime = cmd.lifetime;
  r.description = cmd.description;
  r.prefer_failure = cmd.prefer_failure;
  for (const auto& f : cmd.filters) {
    // The wire's prefix length counts within the 128-bit field: 96 more for an IPv4-mapped address.
    const auto wire_length = static_cast<std::uint8_t>(f.prefix_length + (f.address.is_v4() ? 96 : 0));
    r.filters.push_back(pcp::filter_option{wire_length, f.port, pcp::to_pcp_address(f.address)});
  }
  r.third_party = cmd.third_party;
  r.remote = cmd.remote;
  if (cmd.nonce) r.nonce = portmap::parse_nonce(*cmd.nonce);
  return r;
}

std::unique_ptr<portmap::mapper> make_mapper(const invocation& inv, const portmap::gateway& gw,
                                             const portmap::mapping_request& r, asio::any_io_executor ex) {
  const auto deadline = inv.options.timeout;
  switch (inv.options.protocol) {
    case protocol_choice::natpmp: return portmap::make_natpmp_mapper(ex, gw, r, deadline);
    case protocol_choice::pcp: return portmap::make_pcp_mapper(ex, gw, r, deadline);
    case protocol_choice::upnp: return portmap::make_upnp_mapper(ex, gw, r, deadline);
    case protocol_choice::automatic: break;
  }
  return portmap::make_auto_mapper(ex, gw, r, deadline);
}

portmap::protocol_choice choice_of(protocol_choice c) {
  switch (c) {
    case protocol_choice::natpmp: return portmap::protocol_choice::natpmp;
    case protocol_choice::pcp: return portmap::protocol_choice::pcp;
    case protocol_choice::upnp: return portmap::protocol_choice::upnp;
    case protocol_choice::automatic: break;
  }
  return portmap::protocol_choice::automatic;
}

// The manager with this user's record; a record that cannot be used costs a warning, never the command.
portmap::manager make_manager(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  portmap::manager_options o;
  o.choice = choice_of(inv.options.protocol);
  o.deadline = inv.options.timeout;
  o.on_store_error = [](const std::string& what, const std::error_code& ec) {
    std::cerr << "natpunch: warning: the record of mappings: " << printable(what) << ": " << core::describe(ec)
              << " (delete and list will not know of this change)\n";
  };
  if (auto store = portmap::state_store::open_default()) {
    o.store = std::move(*store);
  } else {
    o.on_store_error("opening " + portmap::store_directory().value_or("(no HOME)").string(), store.error());
  }
  return portmap::manager(std::move(ex), gw, std::move(o));
}

// The gateway a mapper spoke to, for messages: its address once known.
std::string where(const portmap::mapper& m) {
  const auto a = m.gateway();
  return a.is_unspecified() ? std::string("the gateway") : a.to_string();
}

std::string named(const portmap::mapper& m) { return where(m) + " (" + std::string(portmap::to_string(m.proto())) + ")"; }

std::string endpoint_text(const asio::ip::address& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port) : a.to_string() + ":" + std::to_string(port);
}

std::string spec_of(const port_spec& ports) {
  return std::to_string(ports.internal_port) + "/" + std::string(core::to_string(ports.protocol));
}

json_object mapping_json(const portmap::mapping& v, std::string_view event) {
  json_object out;
  if (!event.empty()) out.add("event", event);  // in --keep mode every line names its event
  out.add("protocol", portmap::to_string(v.proto))
      .add("external_ip", v.external_ip.to_string())
      .add("external_port", std::int64_t{v.external_port})
      .add("internal_ip", v.internal_ip.to_string())
      .add("internal_port", std::int64_t{v.internal_port})
      .add("transport", core::to_string(v.transport))
      .add("lifetime", std::int64_t{v.lifetime})
      .add("gateway", v.gateway.to_string());
  if (v.proto != protocol::upnp) out.add("epoch", std::int64_t{v.epoch});  // NAT-PMP and PCP carry one
  if (v.nonce) out.add("nonce", portmap::to_hex(*v.nonce));
  if (v.description) out.add("description", *v.description);
  if (v.igd) out.add("igd", *v.igd);
  // Another NAT upstream: the mapping exists here but the internet cannot reach it.
  out.add("double_nat", portmap::scope_of(v.external_ip) != portmap::address_scope::public_address);
  // Milliseconds spent waiting on the gateway, to 0.01 ms: what the gateway cost, apart from natpunch.
  const auto hundredths = v.gateway_time.count() / 10;
  out.add_raw("rtt_ms", std::to_string(hundredths / 100) + "." + (hundredths % 100 < 10 ? "0" : "") +
                            std::to_string(hundredths % 100));
  return out;
}

asio::awaitable<int> run_command(const invocation& inv) {
  // Ctrl-C is reported by every exchange as transport_errc::cancelled; it must never throw instead.
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto& options = inv.options;
  auto ex = co_await asio::this_coro::executor;
  const auto kind = inv.cmd.kind;
  // `list` alone is natpunch's own record; with --all, --protocol upnp or --igd the IGD's table too.
  const bool upnp_list = kind == command_kind::list &&
                         (inv.cmd.all || options.protocol == protocol_choice::upnp || options.igd);
  const bool upnp_only = kind == command_kind::discover || kind == command_kind::status || upnp_list ||
                         kind == command_kind::delete_range || kind == command_kind::pinhole;
  if (options.igd && options.protocol != protocol_choice::upnp && options.protocol != protocol_choice::automatic) {
    std::cerr << "natpunch: --igd names a UPnP gateway; it does not go with --protocol natpmp or pcp\n";
    co_return exit_usage;
  }
  if (kind == command_kind::list && !upnp_list) {
    if (options.protocol != protocol_choice::automatic) {
      std::cerr << "natpunch: list shows what natpunch recorded, on every protocol; a gateway's own table only "
                   "UPnP can list (--protocol upnp list)\n";
      co_return exit_usage;
    }
  } else if (upnp_only && options.protocol != protocol_choice::upnp && options.protocol != protocol_choice::automatic) {
    std::cerr << "natpunch: " << inv.cmd.help_topic << " is UPnP's; it does not go with --protocol natpmp or pcp\n";
    co_return exit_usage;
  }
  auto found = portmap::find_gateway(gateway_options_for(inv));
  if (!found) {
    std::cerr << "natpunch: " << found.error().message() << ", not '" << *options.gateway << "'\n";
    co_return exit_usage;
  }
  const auto& gw = *found;
  if (options.protocol == protocol_choice::upnp || options.igd || upnp_only) {
    if (kind == command_kind::peer || kind == command_kind::announce) {
      std::cerr << "natpunch: " << inv.cmd.help_topic << " is PCP's; UPnP IGD has no equivalent\n";
      co_return exit_usage;
    }
    // UPnP's --gateway is an address alone (IPv4 for port mappings; IPv6 names the pinholes' gateway).
    std::error_code bare;
    if (options.gateway) (void)asio::ip::make_address(*options.gateway, bare);
    if (options.gateway && bare) {
      std::cerr << "natpunch: with UPnP, --gateway is the gateway's IP address (no port): '" << *options.gateway
                << "' is not\n";
      co_return exit_usage;
    }
    if (options.igd) {
      // The user's own URL: only its form is judged (http, an IP literal that is no loopback,
      // link-local or multicast address); a host name is never resolved.
      if (auto checked = soap::check_location(*options.igd, std::nullopt, std::nullopt); !checked) {
        std::cerr << "natpunch: --igd must be the gateway's description URL as http://IP:PORT/PATH, not '"
                  << *options.igd << "': " << core::describe(checked.error()) << "\n";
        co_return exit_usage;
      }
    }
    invocation upnp_inv = inv;
    upnp_inv.options.protocol = protocol_choice::upnp;
    if (upnp_list && inv.cmd.all) {
      const int recorded = co_await run_list_recorded(inv, gw, ex);
      if (recorded != exit_ok) co_return recorded;
    }
    switch (kind) {
      case command_kind::add: co_return co_await run_add(upnp_inv, gw, ex);
      case command_kind::remove: co_return co_await run_delete(upnp_inv, gw, ex);
      case command_kind::external_ip: co_return co_await run_external_ip(upnp_inv, gw, ex);
      default: co_return co_await run_upnp_command(upnp_inv, gw, ex);
    }
  }
  // auto maps over UPnP when no PCP or NAT-PMP gateway answers; only the others need its address.
  const bool needs_address = (options.protocol != protocol_choice::automatic && kind != command_kind::remove) ||
                             kind == command_kind::announce || kind == command_kind::peer;
  // Nowhere to ask at all: say that, whatever the command.
  const bool nowhere = !gw.address && !gw.igd.gateway && !gw.igd.igd_url;
  if (!gw.address && (needs_address || nowhere)) {
    print_error(options.json, "finding the gateway", gw.route_error ? gw.route_error : make_error_code(portmap::errc::no_gateway));
    co_return exit_unreachable;
  }
  // NAT-PMP is IPv4 only: refuse every path that would speak it to an IPv6 gateway.
  if (gw.address && !gw.address->is_v4() && (options.protocol == protocol_choice::natpmp || kind == command_kind::external_ip)) {
    std::cerr << "natpunch: NAT-PMP (and so external-ip) is IPv4 only; an IPv6 gateway speaks PCP (--protocol pcp)\n";
    co_return exit_usage;
  }
  switch (inv.cmd.kind) {
    case command_kind::add:
    case command_kind::peer: co_return co_await run_add(inv, gw, ex);
    case command_kind::announce:
      if (options.protocol == protocol_choice::natpmp) {
        std::cerr << "natpunch: announce is PCP's; NAT-PMP has no such request\n";
        co_return exit_usage;
      }
      co_return co_await run_announce(inv, gw, ex);
    case command_kind::remove: co_return co_await run_delete(inv, gw, ex);
    case command_kind::external_ip: co_return co_await run_external_ip(inv, gw, ex);
    case command_kind::list: co_return co_await run_list_recorded(inv, gw, ex);
    case command_kind::discover:
    case command_kind::status:
    case command_kind::delete_range:  // handled above
    case command_kind::pinhole:
    case command_kind::help: break;
  }
  co_return exit_usage;
}

}  // namespace natpunch::cli
