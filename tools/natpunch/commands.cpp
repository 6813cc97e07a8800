#include "commands.hpp"

#include <charconv>
#include <iostream>

#include <asio/this_coro.hpp>

#include "keep.hpp"
#include "natpunch/core/elapsed.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/netinfo.hpp"
#include "natpunch/natpmp/client.hpp"
#include "natpunch/pcp/client.hpp"
#include "output.hpp"
#include "upnp.hpp"

namespace natpunch::cli {
namespace {

namespace log = core::log;

struct gateway_target {
  asio::ip::address address;
  std::uint16_t port = natpmp::server_port;  // 5351 for NAT-PMP and PCP alike
};

// --gateway ADDR, ADDR:PORT, IPV6 or [IPV6]:PORT; or the default route's gateway.
std::variant<gateway_target, std::string, std::error_code> resolve_gateway(const global_options& options) {
  gateway_target target;
  if (!options.gateway) {
    auto found = core::find_default_gateway_v4();
    if (!found) return found.error();
    target.address = found->address;
    log::info("gateway ", target.address.to_string(), " (default route via ", found->interface, ")");
    return target;
  }
  std::string text = *options.gateway;
  std::string port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos) return "--gateway: missing ']' in '" + text + "'";
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return "--gateway: expected ':PORT' after ']' in '" + text + "'";
      port = text.substr(close + 2);
    }
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    port = text.substr(text.find(':') + 1);
    text.resize(text.find(':'));
  }
  if (!port.empty() || (options.gateway->find(':') != std::string::npos && options.gateway->ends_with(":"))) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return "--gateway port must be from 1 to 65535, not '" + port + "'";
    }
    target.port = static_cast<std::uint16_t>(value);
  }
  std::error_code ec;
  target.address = asio::ip::make_address(text, ec);
  if (ec) return "--gateway must be an IP address (e.g. 192.168.1.1, [fd00::1]:5351), not '" + text + "'";
  return target;
}

// Everything a mapper needs, from the command line.
mapper_target target_for(const invocation& inv, const gateway_target& gw) {
  mapper_target t;
  t.gateway = gw.address;
  t.port = gw.port;
  t.transport = inv.cmd.ports.protocol;
  t.internal_port = inv.cmd.ports.internal_port;
  t.external_port = inv.cmd.ports.external_port;
  t.deadline = inv.options.timeout;
  if (gw.address.is_v6() && !gw.address.to_v6().is_link_local()) {
    // The gateway's ANNOUNCEs to ff02::1 come from its link-local address: the IPv6 default route's
    // next hop (when there is one) stands for it.
    if (auto hop = core::find_default_gateway_v6(); hop && hop->address.is_v6() && hop->address.to_v6().is_link_local()) {
      t.link_local_gateway = hop->address;
    }
  }
  t.pcp_nonce_hex = inv.cmd.nonce;
  t.prefer_failure = inv.cmd.prefer_failure;
  t.filters = inv.cmd.filters;
  t.third_party = inv.cmd.third_party;
  t.remote = inv.cmd.remote;
  return t;
}

// The gateway a mapper spoke to, for messages: its address once known.
std::string where(const mapper& m) {
  const auto a = m.gateway();
  return a.is_unspecified() ? std::string("the gateway") : a.to_string();
}

std::string spec_of(const port_spec& ports) {
  return std::to_string(ports.internal_port) + "/" + std::string(core::to_string(ports.protocol));
}

// Ctrl-C during `add`: the gateway may already hold the mapping (the request may have arrived even if
// its answer did not), so leave nothing behind: delete it, bounded by --timeout. A later second signal
// cancels this too.
asio::awaitable<int> undo_interrupted_add(mapper& m, const invocation& inv) {
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

void print_mapping(const invocation& inv, const mapping_view& v) {
  const auto& cmd = inv.cmd;
  if (inv.options.json) {
    std::cout << mapping_json(v, cmd.keep ? "mapped" : "").str() << std::endl;
    return;
  }
  std::cout << "mapped " << core::to_string(v.transport) << " " << endpoint_text(v.external_ip, v.external_port)
            << " -> " << endpoint_text(v.internal_ip, v.internal_port)
            << (v.lifetime == 0 ? std::string(" permanently") : " for " + std::to_string(v.lifetime) + " s") << " ("
            << v.protocol << ", gateway " << v.gateway.to_string() << ")" << std::endl;
  const std::uint16_t suggested = cmd.ports.external_port.value_or(cmd.ports.internal_port);
  if (v.external_port != suggested) {
    std::cout << "note: the gateway chose external port " << v.external_port << " instead of " << suggested << std::endl;
  }
  if (v.lifetime != cmd.lifetime) {
    std::cout << "note: the gateway granted " << v.lifetime << " s instead of " << cmd.lifetime << " s; "
              << (cmd.keep ? "natpunch renews it before then" : "run add again before then to renew") << std::endl;
  }
  if (v.nonce && !cmd.keep) {
    // Repeat --gateway as given: the delete must reach the same gateway (an IPv6 one, another port).
    const std::string gateway = inv.options.gateway ? " --gateway " + *inv.options.gateway : "";
    std::cout << "note: to delete it later: natpunch --protocol pcp" << gateway << " delete " << spec_of(cmd.ports)
              << " --nonce " << *v.nonce << std::endl;
  }
}

asio::awaitable<int> run_add(const invocation& inv, const gateway_target& gw, asio::any_io_executor ex) {
  const auto& cmd = inv.cmd;
  const mapper_target target = target_for(inv, gw);
  const bool automatic = inv.options.protocol == protocol_choice::automatic;
  // Options only PCP can carry are never dropped silently: with NAT-PMP they are an error.
  std::string pcp_only;
  if (cmd.nonce) pcp_only = "--nonce";
  if (cmd.prefer_failure) pcp_only = "--prefer-failure";
  if (!cmd.filters.empty()) pcp_only = "--filter";
  if (cmd.third_party) pcp_only = "--third-party";
  if (cmd.remote) pcp_only = "peer";
  if (inv.options.protocol == protocol_choice::natpmp && !pcp_only.empty()) {
    std::cerr << "natpunch: " << pcp_only << " is PCP's (RFC 6887); NAT-PMP has no equivalent\n";
    co_return exit_usage;
  }
  const bool upnp = inv.options.protocol == protocol_choice::upnp;
  // --prefer-failure has a UPnP meaning (take no other external port); the others have none.
  if (upnp && !pcp_only.empty() && pcp_only != "--prefer-failure") {
    std::cerr << "natpunch: " << pcp_only << " is PCP's (RFC 6887); UPnP IGD has no equivalent\n";
    co_return exit_usage;
  }
  // auto: PCP first (it carries more: nonces, options, IPv6); NAT-PMP if the gateway says it speaks only that.
  std::unique_ptr<mapper> m = upnp ? make_upnp_mapper(ex, target, upnp_target_for(inv), cmd.description)
                             : inv.options.protocol == protocol_choice::natpmp ? make_natpmp_mapper(ex, target)
                                                                               : make_pcp_mapper(ex, target);
  const std::uint16_t suggested = cmd.ports.external_port.value_or(cmd.ports.internal_port);
  const auto started = std::chrono::steady_clock::now();
  auto mapped = co_await m->async_map(suggested, cmd.lifetime);
  if (automatic && mapped.error() == pcp::errc::natpmp_only && !gw.address.is_v4()) {
    // NAT-PMP is IPv4 only: an IPv6 "gateway" answering like that leaves nothing to fall back to.
    print_error(inv.options.json, "add " + spec_of(cmd.ports) + ": the IPv6 gateway speaks only NAT-PMP, which is IPv4",
                mapped.error());
    co_return exit_status_for(mapped.error());
  }
  if (automatic && mapped.error() == pcp::errc::natpmp_only) {
    // §9 / RFC 6886 §3.5: the gateway answered our PCP request with NAT-PMP's "unsupported version".
    if (!pcp_only.empty()) {
      print_error(inv.options.json, pcp_only + " needs PCP, and the gateway speaks only NAT-PMP", mapped.error());
      co_return exit_status_for(mapped.error());
    }
    log::info("the gateway speaks NAT-PMP, not PCP: using NAT-PMP");
    // --timeout bounds the whole add: NAT-PMP gets what PCP left of it.
    mapper_target rest = target;
    rest.deadline = core::remaining(started, target.deadline, std::chrono::steady_clock::now());
    m = make_natpmp_mapper(ex, rest);
    mapped = co_await m->async_map(suggested, cmd.lifetime);
  }
  if (mapped.error() == core::transport_errc::cancelled) co_return co_await undo_interrupted_add(*m, inv);
  if (!mapped) {
    print_error(inv.options.json, "add " + spec_of(cmd.ports) + " on " + where(*m) + " (" + m->name() + ")",
                mapped.error(), m->gateway_text());
    co_return exit_status_for(mapped.error());
  }
  print_mapping(inv, *mapped);
  if (cmd.keep) co_return co_await keep_mapping(*m, inv, *mapped);
  co_return exit_ok;
}

asio::awaitable<int> run_delete(const invocation& inv, const gateway_target& gw, asio::any_io_executor ex) {
  const auto& cmd = inv.cmd;
  // PCP names a mapping by its nonce, NAT-PMP by its internal port: neither can stand in for the other
  // (a NAT-PMP delete cannot name a PCP mapping, and might remove another host's). So auto needs to be
  // told which: --nonce means PCP, otherwise the user says --protocol natpmp.
  const bool upnp = inv.options.protocol == protocol_choice::upnp;
  if (upnp && cmd.nonce) {
    std::cerr << "natpunch: --nonce is for PCP; UPnP deletes by external port\n";
    co_return exit_usage;
  }
  if (inv.options.protocol == protocol_choice::automatic && !cmd.nonce) {
    std::cerr << "natpunch: which mapping? A PCP mapping (what add makes by default) is deleted by its nonce:\n"
                 "  natpunch delete " << spec_of(cmd.ports) << " --nonce HEX     (HEX as printed by add)\n"
                 "a NAT-PMP mapping by its port:  natpunch --protocol natpmp delete " << spec_of(cmd.ports) << "\n";
    co_return exit_usage;
  }
  const bool use_pcp = inv.options.protocol != protocol_choice::natpmp && !upnp;
  if (use_pcp && !cmd.nonce) {
    std::cerr << "natpunch: a PCP mapping is deleted by its nonce: add --nonce HEX (printed by add)\n";
    co_return exit_usage;
  }
  if (!use_pcp && !upnp && cmd.nonce) {
    std::cerr << "natpunch: --nonce is for PCP; NAT-PMP deletes by internal port alone\n";
    co_return exit_usage;
  }
  const mapper_target target = target_for(inv, gw);
  auto m = upnp ? make_upnp_mapper(ex, target, upnp_target_for(inv), cmd.description)
         : use_pcp ? make_pcp_mapper(ex, target) : make_natpmp_mapper(ex, target);
  auto removed = co_await m->async_unmap();
  if (!removed) {
    print_error(inv.options.json, "delete " + spec_of(cmd.ports) + " on " + where(*m) + " (" + m->name() + ")",
                removed.error(), m->gateway_text());
    co_return exit_status_for(removed.error());
  }
  if (inv.options.json) {
    std::cout << json_object()
                     .add("protocol", m->name())
                     .add("deleted", true)
                     .add("internal_port", std::int64_t{cmd.ports.internal_port})
                     .add("transport", core::to_string(cmd.ports.protocol))
                     .add("gateway", where(*m))
                     .str()
              << std::endl;
  } else if (upnp) {
    std::cout << "deleted " << core::to_string(cmd.ports.protocol) << " mapping of external port "
              << cmd.ports.external_port.value_or(cmd.ports.internal_port) << " (upnp, gateway " << where(*m) << ")"
              << std::endl;
  } else {
    std::cout << "deleted " << core::to_string(cmd.ports.protocol) << " mapping of port " << cmd.ports.internal_port
              << " (" << m->name() << ", gateway " << where(*m) << ")" << std::endl;
  }
  co_return exit_ok;
}

asio::awaitable<int> run_announce(const invocation& inv, const gateway_target& gw, asio::any_io_executor ex) {
  pcp::client_options options;
  options.gateway = gw.address;
  options.port = gw.port;
  options.deadline = inv.options.timeout;
  options.schedule = pcp::quick_schedule;
  pcp::client client(ex, options);
  auto info = co_await client.async_announce();
  if (!info) {
    print_error(inv.options.json, "PCP ANNOUNCE to " + gw.address.to_string(), info.error());
    co_return exit_status_for(info.error());
  }
  if (inv.options.json) {
    std::cout << json_object()
                     .add("protocol", "pcp")
                     .add("gateway", gw.address.to_string())
                     .add("epoch", std::int64_t{info->epoch})
                     .str()
              << std::endl;
  } else {
    std::cout << "gateway " << gw.address.to_string() << " speaks PCP (epoch " << info->epoch << " s)" << std::endl;
  }
  co_return exit_ok;
}

asio::awaitable<int> run_upnp_external_ip(const invocation& inv, asio::any_io_executor ex) {
  mapper_target t;
  t.deadline = inv.options.timeout;  // --timeout bounds discovery, description and the call together
  auto m = make_upnp_mapper(ex, t, upnp_target_for(inv), inv.cmd.description);
  auto ext = co_await m->async_external_address();
  if (!ext) {
    print_error(inv.options.json, "external address from " + where(*m) + " (upnp)", ext.error(), m->gateway_text());
    co_return exit_status_for(ext.error());
  }
  if (inv.options.json) {
    std::cout << json_object()
                     .add("protocol", "upnp")
                     .add("external_ip", ext->to_string())
                     .add("gateway", where(*m))
                     .str()
              << std::endl;
  } else {
    std::cout << ext->to_string() << std::endl;
  }
  co_return exit_ok;
}

asio::awaitable<int> run_external_ip(const invocation& inv, const gateway_target& gw, asio::any_io_executor ex) {
  if (inv.options.protocol == protocol_choice::pcp) {
    std::cerr << "natpunch: PCP has no request for the external address alone (its MAP answer carries it):\n"
                 "use --protocol natpmp external-ip, or add, whose output shows the address\n";
    co_return exit_usage;
  }
  natpmp::client_options options;
  options.gateway = gw.address.to_v4();
  options.port = gw.port;
  options.deadline = inv.options.timeout;
  natpmp::client client(ex, options);
  auto ext = co_await client.async_external_address();
  if (!ext) {
    print_error(inv.options.json, "external address from " + gw.address.to_string(), ext.error());
    co_return exit_status_for(ext.error());
  }
  if (inv.options.json) {
    std::cout << json_object()
                     .add("protocol", "natpmp")
                     .add("external_ip", ext->address.to_string())
                     .add("gateway", gw.address.to_string())
                     .add("epoch", std::int64_t{ext->epoch})
                     .str()
              << std::endl;
  } else {
    std::cout << ext->address.to_string() << std::endl;
  }
  co_return exit_ok;
}

}  // namespace

std::string endpoint_text(const asio::ip::address& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port) : a.to_string() + ":" + std::to_string(port);
}

json_object mapping_json(const mapping_view& v, std::string_view event) {
  json_object out;
  if (!event.empty()) out.add("event", event);  // in --keep mode every line names its event
  out.add("protocol", v.protocol)
      .add("external_ip", v.external_ip.to_string())
      .add("external_port", std::int64_t{v.external_port})
      .add("internal_ip", v.internal_ip.to_string())
      .add("internal_port", std::int64_t{v.internal_port})
      .add("transport", core::to_string(v.transport))
      .add("lifetime", std::int64_t{v.lifetime})
      .add("gateway", v.gateway.to_string());
  if (v.protocol != "upnp") out.add("epoch", std::int64_t{v.epoch});  // NAT-PMP and PCP carry one
  if (v.nonce) out.add("nonce", *v.nonce);
  if (v.description) out.add("description", *v.description);
  if (v.igd) out.add("igd", *v.igd);
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
  const bool upnp_only = kind == command_kind::discover || kind == command_kind::status ||
                         kind == command_kind::list || kind == command_kind::delete_range ||
                         kind == command_kind::pinhole;
  if (options.igd && options.protocol != protocol_choice::upnp && options.protocol != protocol_choice::automatic) {
    std::cerr << "natpunch: --igd names a UPnP gateway; it does not go with --protocol natpmp or pcp\n";
    co_return exit_usage;
  }
  if (upnp_only && options.protocol != protocol_choice::upnp && options.protocol != protocol_choice::automatic) {
    std::cerr << "natpunch: " << inv.cmd.help_topic << " is UPnP's; it does not go with --protocol natpmp or pcp\n";
    co_return exit_usage;
  }
  if (options.protocol == protocol_choice::upnp || options.igd || upnp_only) {
    if (kind == command_kind::peer || kind == command_kind::announce) {
      std::cerr << "natpunch: " << inv.cmd.help_topic << " is PCP's; UPnP IGD has no equivalent\n";
      co_return exit_usage;
    }
    if (options.gateway && !upnp_target_for(inv).gateway) {
      std::cerr << "natpunch: with UPnP, --gateway is the gateway's IPv4 address (no port): '" << *options.gateway
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
    const gateway_target none{};
    switch (kind) {
      case command_kind::add: co_return co_await run_add(upnp_inv, none, ex);
      case command_kind::remove: co_return co_await run_delete(upnp_inv, none, ex);
      case command_kind::external_ip: co_return co_await run_upnp_external_ip(upnp_inv, ex);
      default: co_return co_await run_upnp_command(upnp_inv, ex);
    }
  }
  auto gw = resolve_gateway(options);
  if (auto* message = std::get_if<std::string>(&gw)) {
    std::cerr << "natpunch: " << *message << "\n";
    co_return exit_usage;
  }
  if (auto* ec = std::get_if<std::error_code>(&gw)) {
    print_error(options.json, "finding the gateway", *ec);
    co_return exit_unreachable;
  }
  const auto& target = std::get<gateway_target>(gw);
  // NAT-PMP is IPv4 only: refuse every path that would speak it to an IPv6 gateway.
  const bool speaks_natpmp = options.protocol == protocol_choice::natpmp || inv.cmd.kind == command_kind::external_ip;
  if (!target.address.is_v4() && speaks_natpmp) {
    std::cerr << "natpunch: NAT-PMP (and so external-ip) is IPv4 only; an IPv6 gateway speaks PCP (--protocol pcp)\n";
    co_return exit_usage;
  }
  switch (inv.cmd.kind) {
    case command_kind::add:
    case command_kind::peer: co_return co_await run_add(inv, target, ex);
    case command_kind::announce:
      if (options.protocol == protocol_choice::natpmp) {
        std::cerr << "natpunch: announce is PCP's; NAT-PMP has no such request\n";
        co_return exit_usage;
      }
      co_return co_await run_announce(inv, target, ex);
    case command_kind::remove: co_return co_await run_delete(inv, target, ex);
    case command_kind::external_ip: co_return co_await run_external_ip(inv, target, ex);
    case command_kind::discover:
    case command_kind::status:
    case command_kind::list:
    case command_kind::delete_range:  // handled above
    case command_kind::pinhole:
    case command_kind::help: break;
  }
  co_return exit_usage;
}

}  // namespace natpunch::cli
