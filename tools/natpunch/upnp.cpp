// The commands only UPnP IGD has: discover, status, list, delete-range (pinholes are in pinhole.cpp).
#include "upnp.hpp"

#include <algorithm>
#include <iostream>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/route.hpp"
#include "natpunch/natpmp/client.hpp"
#include "natpunch/pcp/client.hpp"
#include "natpunch/ssdp/error.hpp"
#include "output.hpp"

namespace natpunch::cli {
namespace {

namespace log = core::log;
using std::chrono::milliseconds;
using portmap::igd_session;

std::string ms_text(milliseconds d) { return std::to_string(d.count()) + " ms"; }

json_object mapping_entry_json(const soap::port_mapping& m) {
  json_object o;
  o.add("protocol", "upnp")
      .add("external_port", std::int64_t{m.external_port})
      .add("internal_ip", m.internal_client)
      .add("internal_port", std::int64_t{m.internal_port})
      .add("transport", core::to_string(m.protocol))
      .add("description", m.description)
      .add("lifetime", std::int64_t{m.lease_duration})
      .add("enabled", m.enabled)
      .add("remote_host", m.remote_host);
  return o;
}

}  // namespace

int fail(const invocation& inv, std::string_view what, const std::error_code& ec, const soap::client& c) {
  print_error(inv.options.json, what, ec, c.last_fault() ? std::string_view(c.last_fault()->description) : "");
  return exit_status_for(ec);
}

namespace {

// IGD:2: TCP and UDP asked at once on two connections (the gateway overlaps part of each call's
// cost: 10-15 % less time in tests/lab/bench_upnp.sh); IGD:1 lists both in one walk.
asio::awaitable<core::result<std::vector<soap::port_mapping>>> list_both(const invocation& inv, soap::client& c,
                                                                         const igd_session& s) {
  if (s.gw.services.connection_version < 2) co_return co_await c.async_list(s.gw);
  using namespace asio::experimental::awaitable_operators;
  soap::client_options o;
  o.deadline = inv.options.timeout;
  soap::client udp_client(co_await asio::this_coro::executor, o);
  udp_client.set_overall_deadline(std::chrono::steady_clock::now() + inv.options.timeout);
  auto [tcp, udp] = co_await (c.async_list(s.gw, core::ip_protocol::tcp) && udp_client.async_list(s.gw, core::ip_protocol::udp));
  if (!tcp) co_return tcp.error();
  if (!udp) co_return udp.error();
  tcp->insert(tcp->end(), std::make_move_iterator(udp->begin()), std::make_move_iterator(udp->end()));
  co_return std::move(*tcp);
}

asio::awaitable<int> run_list(const invocation& inv, soap::client& c, const igd_session& s) {
  auto all = co_await list_both(inv, c, s);
  if (!all) co_return fail(inv, "list on " + s.gw.address.to_string(), all.error(), c);
  if (inv.options.json) {
    for (const auto& m : *all) std::cout << mapping_entry_json(m).str() << "\n";
    std::cout.flush();
    co_return exit_ok;
  }
  std::cout << all->size() << " mapping(s) on " << s.gw.address.to_string() << " (IGD:" << s.gw.services.igd_version
            << ", " << soap::to_string(s.gw.location) << ")\n";
  for (const auto& m : *all) {
    std::cout << "  " << core::to_string(m.protocol) << " " << m.external_port << " -> " << printable(m.internal_client) << ":"
              << m.internal_port << "  "
              << (m.lease_duration == 0 ? std::string("permanent") : std::to_string(m.lease_duration) + " s") << "  '"
              << printable(m.description) << "'" << (m.enabled ? "" : "  (disabled)")
              << (m.remote_host.empty() ? "" : "  from " + printable(m.remote_host)) << "\n";
  }
  std::cout.flush();
  co_return exit_ok;
}

asio::awaitable<int> run_status(const invocation& inv, soap::client& c, const igd_session& s) {
  auto status = co_await c.async_status(s.gw);
  if (!status) co_return fail(inv, "status of " + s.gw.address.to_string(), status.error(), c);
  // As the gateway reports it: 0.0.0.0 while its WAN is down is what status is for (add and
  // external-ip refuse it).
  auto external = co_await c.async_reported_external_ip(s.gw);
  if (!external) co_return fail(inv, "external address from " + s.gw.address.to_string(), external.error(), c);
  auto type = co_await c.async_connection_type(s.gw);
  // WANCommonInterfaceConfig is optional: its absence or failure is reported, not fatal.
  std::optional<soap::link_properties> link;
  if (s.gw.common_interface_control) {
    auto l = co_await c.async_link_properties(s.gw);
    if (l) link = *l;
  }
  const auto& d = s.gw.desc.root;
  if (inv.options.json) {
    json_object o;
    o.add("protocol", "upnp")
        .add("gateway", s.gw.address.to_string())
        .add("igd", soap::to_string(s.gw.location))
        .add("igd_version", std::int64_t{s.gw.services.igd_version})
        .add("service", s.gw.services.connection.type)
        .add("friendly_name", d.friendly_name)
        .add("manufacturer", d.manufacturer)
        .add("model", d.model_name)
        .add("connection_status", status->connection_status)
        .add("connected", status->connected())
        .add("uptime", std::int64_t{status->uptime})
        .add("last_connection_error", status->last_connection_error)
        .add("external_ip", external->to_string());
    if (type) o.add("connection_type", type->type);
    if (link) {
      o.add("access_type", link->access_type)
          .add("upstream_bps", std::int64_t{link->upstream_bps})
          .add("downstream_bps", std::int64_t{link->downstream_bps})
          .add("physical_link_status", link->physical_link_status);
    }
    std::cout << o.str() << std::endl;
    co_return exit_ok;
  }
  std::cout << "gateway " << s.gw.address.to_string() << ": " << printable(d.friendly_name) << " ("
            << printable(d.manufacturer) << " " << printable(d.model_name) << "), IGD:" << s.gw.services.igd_version << "\n"
            << "  description     " << soap::to_string(s.gw.location) << "\n"
            << "  connection      " << printable(s.gw.services.connection.type)
            << (type ? ", " + printable(type->type) : "") << "\n"
            << "  status          " << printable(status->connection_status) << ", up " << status->uptime
            << " s, last error " << printable(status->last_connection_error) << "\n"
            << "  external ip     " << external->to_string() << "\n";
  if (link) {
    std::cout << "  link            " << printable(link->access_type) << " " << printable(link->physical_link_status) << ", up "
              << link->upstream_bps << " bit/s, down " << link->downstream_bps << " bit/s\n";
  }
  std::cout.flush();
  co_return exit_ok;
}

asio::awaitable<int> run_delete_range(const invocation& inv, soap::client& c, const igd_session& s) {
  const auto [first, last] = inv.cmd.range;
  const auto protocol = inv.cmd.ports.protocol;
  auto deleted = co_await c.async_delete_range(s.gw, first, last, protocol);
  const std::string spec = std::to_string(first) + "-" + std::to_string(last) + "/" + std::string(core::to_string(protocol));
  if (!deleted) co_return fail(inv, "delete-range " + spec + " on " + s.gw.address.to_string(), deleted.error(), c);
  if (inv.options.json) {
    json_object o;
    o.add("protocol", "upnp").add("deleted_range", spec).add("gateway", s.gw.address.to_string());
    if (*deleted) o.add("deleted", std::int64_t{**deleted});
    std::cout << o.str() << std::endl;
  } else {
    std::cout << "deleted " << spec << (*deleted ? " (" + std::to_string(**deleted) + " mappings)" : "")
              << " on " << s.gw.address.to_string() << std::endl;
  }
  co_return exit_ok;
}

// Whether the default gateway speaks PCP (an ANNOUNCE) and NAT-PMP (an address request), each within a
// second: a closed port answers at once (ICMP port unreachable). Prints what answered; returns how many.
asio::awaitable<unsigned> probe_port_control(const invocation& inv, const portmap::igd_search& target) {
  if (!target.gateway) co_return 0;
  const auto ex = co_await asio::this_coro::executor;
  const auto gw = asio::ip::address(*target.gateway);
  const auto probe_deadline = std::min(inv.options.timeout, milliseconds(1000));
  unsigned found = 0;
  pcp::client_options po;
  po.gateway = gw;
  po.deadline = probe_deadline;
  po.schedule = pcp::quick_schedule;
  pcp::client pcp_client(ex, po);
  auto announce = co_await pcp_client.async_announce();
  if (announce) {
    ++found;
    if (inv.options.json) {
      std::cout << json_object().add("protocol", "pcp").add("gateway", gw.to_string()).add("epoch", std::int64_t{announce->epoch}).str()
                << std::endl;
    } else {
      std::cout << "PCP (RFC 6887) at " << gw.to_string() << ", epoch " << announce->epoch << " s\n";
    }
  } else {
    log::info("PCP probe of ", gw.to_string(), ": ", core::describe(announce.error()));
  }
  natpmp::client_options no;
  no.gateway = *target.gateway;
  no.deadline = probe_deadline;
  natpmp::client natpmp_client(ex, no);
  auto address = co_await natpmp_client.async_external_address();
  if (address) {
    ++found;
    if (inv.options.json) {
      std::cout << json_object()
                       .add("protocol", "natpmp")
                       .add("gateway", gw.to_string())
                       .add("external_ip", address->address.to_string())
                       .add("epoch", std::int64_t{address->epoch})
                       .str()
                << std::endl;
    } else {
      std::cout << "NAT-PMP (RFC 6886) at " << gw.to_string() << ", public address " << address->address.to_string() << "\n";
    }
  } else {
    log::info("NAT-PMP probe of ", gw.to_string(), ": ", core::describe(address.error()));
  }
  co_return found;
}

// discover: every IGD that answers within the listening window, and whether the default gateway also
// speaks PCP or NAT-PMP.
asio::awaitable<int> run_discover(const invocation& inv, soap::client& c, const portmap::igd_search& target) {
  const auto options = portmap::discovery_options_for(target, inv.options.timeout, true);
  auto found = co_await portmap::async_search(options);
  if (!found) co_return fail(inv, "SSDP discovery", found.error(), c);
  unsigned usable = 0;
  for (const auto& d : found->devices) {
    auto location = soap::parse_url(d.response.location);
    // Not `co_await (cond ? a : b)`: GCC 12 destroys such a conditional's coroutine temporary twice.
    core::result<soap::gateway> gw = soap::errc::untrusted_location;
    if (location) {
      gw = co_await c.async_describe(*location);
    } else {
      gw = location.error();
    }
    const bool is_default = ssdp::is_default_gateway(options, d.responder);
    if (inv.options.json) {
      json_object j;
      j.add("protocol", "upnp")
          .add("responder", d.responder.to_string())
          .add("default_gateway", is_default)
          .add("location", d.response.location)
          .add("server", d.response.server)
          .add("usn", d.response.usn)
          .add("answered_ms", std::int64_t{d.after.count()});
      if (gw) {
        j.add("igd_version", std::int64_t{gw->services.igd_version})
            .add("service", gw->services.connection.type)
            .add("friendly_name", gw->desc.root.friendly_name)
            .add("manufacturer", gw->desc.root.manufacturer)
            .add("model", gw->desc.root.model_name)
            .add("ipv6_firewall", gw->ipv6_firewall_control.has_value());
      } else {
        j.add("error", core::describe(gw.error()));
      }
      std::cout << j.str() << std::endl;
    } else {
      std::cout << "UPnP IGD at " << d.responder.to_string() << (is_default ? " (default gateway)" : "") << ", answered in "
                << ms_text(d.after) << "\n  " << printable(d.response.location) << "\n  " << printable(d.response.server)
                << "\n";
      if (gw) {
        std::cout << "  " << printable(gw->desc.root.friendly_name) << " - IGD:" << gw->services.igd_version << ", "
                  << printable(gw->services.connection.type) << (gw->ipv6_firewall_control ? ", IPv6 pinholes" : "")
                  << "\n";
      } else {
        std::cout << "  description unusable: " << core::describe(gw.error()) << "\n";
      }
    }
    if (gw) ++usable;
    if (gw.error() == core::transport_errc::cancelled) co_return exit_interrupted;
  }
  usable += co_await probe_port_control(inv, target);
  if (!inv.options.json) {
    std::cout << found->devices.size() << " UPnP device(s) found in " << ms_text(found->elapsed) << " (" << found->answers
              << " SSDP answers, " << found->ignored << " ignored";
    if (found->ignored && found->last_ignored) std::cout << ": last " << core::describe(found->last_ignored);
    std::cout << ")" << std::endl;
  }
  if (usable == 0) {
    if (found->devices.empty()) {
      print_error(inv.options.json, "SSDP discovery",
                  found->last_ignored ? found->last_ignored : make_error_code(ssdp::errc::no_gateway_found));
    }
    co_return exit_unreachable;
  }
  co_return exit_ok;
}

}  // namespace

asio::awaitable<int> run_upnp_command(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  soap::client_options co;
  co.deadline = inv.options.timeout;
  soap::client c(ex, co);
  // --timeout bounds the whole command, however many calls a list or a range delete takes.
  c.set_overall_deadline(std::chrono::steady_clock::now() + inv.options.timeout);
  const auto& target = gw.igd;
  if (inv.cmd.kind == command_kind::pinhole && !target.igd_url && !target.gateway6) {
    if (inv.options.json) {
      print_error(true, "finding the IPv6 IGD for a pinhole", make_error_code(core::route_errc::no_default_route));
    }
    std::cerr << "natpunch: pinholes are asked over IPv6, and this host has no IPv6 default route: give "
                 "--igd http://[ADDR]:PORT/... (or an IPv6 --gateway)\n";
    co_return exit_unreachable;
  }
  if (inv.cmd.kind == command_kind::discover) co_return co_await run_discover(inv, c, target);
  auto session = co_await portmap::async_find_igd(c, target, inv.options.timeout);
  if (!session) co_return fail(inv, "finding a UPnP IGD", session.error(), c);
  switch (inv.cmd.kind) {
    case command_kind::list: co_return co_await run_list(inv, c, *session);
    case command_kind::status: co_return co_await run_status(inv, c, *session);
    case command_kind::delete_range: co_return co_await run_delete_range(inv, c, *session);
    case command_kind::pinhole: co_return co_await run_pinhole(inv, c, *session);
    default: break;
  }
  co_return exit_usage;
}

}  // namespace natpunch::cli
