#include "upnp.hpp"

#include <algorithm>
#include <iostream>

#include <net/if.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/this_coro.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/netinfo.hpp"
#include "natpunch/natpmp/client.hpp"
#include "natpunch/pcp/client.hpp"
#include "output.hpp"
#include "pinhole_store.hpp"

namespace natpunch::cli {
namespace {

namespace log = core::log;
using std::chrono::milliseconds;

// SSDP answers come within ~60 ms from a LAN gateway (miniupnpd: 51 ms); three seconds covers a slow
// one and the resends, and keeps "no IGD here" from eating a long --timeout.
constexpr milliseconds max_discovery{3000};

// One SSDP search's options for both callers (a command's IGD, `discover`'s list): the multicast
// leaves by the interface that faces the gateway, and the gateway is asked by unicast too.
ssdp::discovery_options discovery_options_for(const upnp_target& target, bool find_all) {
  ssdp::discovery_options o;
  o.ipv4 = target.search_v4;
  o.gateway = target.gateway;
  if (target.gateway) {
    if (auto local = core::local_address_towards(*target.gateway); local && local->is_v4()) {
      o.interface_address = local->to_v4();
    }
  }
  if (target.search_v6) {
    ssdp::ipv6_search v6;
    v6.interface_index = target.interface6;
    v6.gateway = target.gateway6;
    v6.sources = target.sources6;
    o.ipv6 = v6;
  }
  o.deadline = std::min(target.deadline, max_discovery);
  o.find_all = find_all;
  if (find_all) o.listen_for = std::min(o.deadline, milliseconds(1500));
  return o;
}

// A LOCATION is followed only under soap::check_location's trust rule, with the default gateway of the
// responder's family.
asio::awaitable<core::result<ssdp::discovery_result>> search(const ssdp::discovery_options& o) {
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

// 2: connected with a public external address; 1: connected; 0: anything else.
asio::awaitable<int> connection_rank(soap::client& client, const soap::gateway& gw) {
  auto status = co_await client.async_status(gw);
  if (!status || !status->connected()) co_return 0;
  auto external = co_await client.async_external_ip(gw);
  if (!external || !external->is_v4()) co_return 1;
  const auto b = external->to_v4().to_bytes();
  const bool is_private = b[0] == 10 || b[0] == 0 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
                          (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
                          (b[0] == 169 && b[1] == 254);
  co_return is_private ? 1 : 2;
}

}  // namespace

upnp_target upnp_target_for(const invocation& inv) {
  upnp_target t;
  t.igd_url = inv.options.igd;
  t.deadline = inv.options.timeout;
  if (inv.options.gateway) {
    std::error_code ec;
    const auto a = asio::ip::make_address(*inv.options.gateway, ec);
    if (!ec && a.is_v4()) t.gateway = a.to_v4();
  } else if (auto found = core::find_default_gateway_v4(); found && found->address.is_v4()) {
    t.gateway = found->address.to_v4();
  }
  const bool pinhole = inv.cmd.kind == command_kind::pinhole;
  t.search_v4 = !pinhole;
  t.search_v6 = pinhole || inv.cmd.kind == command_kind::discover;
  if (!t.search_v6) return t;
  std::string interface;
  if (inv.options.gateway) {
    std::error_code ec;
    const auto a = asio::ip::make_address(*inv.options.gateway, ec);
    if (!ec && a.is_v6()) {
      t.gateway6 = a.to_v6();
      t.interface6 = static_cast<unsigned>(t.gateway6->scope_id());  // fe80::1%eth0: its interface
    }
  }
  // An IPv4 --gateway says nothing about IPv6: the IPv6 default route still does.
  if (!t.gateway6) {
    if (auto hop = core::find_default_gateway_v6(); hop && hop->address.is_v6()) {
      t.gateway6 = hop->address.to_v6();
      interface = hop->interface;
      t.interface6 = ::if_nametoindex(interface.c_str());
      if (t.gateway6->is_link_local()) t.gateway6->scope_id(t.interface6);
    }
  }
  if (interface.empty() && t.interface6 != 0) {
    char name[IF_NAMESIZE] = {};
    if (::if_indextoname(t.interface6, name) != nullptr) interface = name;
  }
  // Global or ULA sources, one per /64 of the interface (the gateway answers each from its own address in
  // that prefix; its LOCATION names one of them): first the one facing a routable gateway.
  std::vector<asio::ip::address_v6> candidates;
  if (t.gateway6 && !t.gateway6->is_link_local()) {
    if (auto local = core::local_address_towards(*t.gateway6); local && local->is_v6()) candidates.push_back(local->to_v6());
  }
  if (!interface.empty()) {
    if (auto all = core::routable_addresses_v6(interface)) candidates.insert(candidates.end(), all->begin(), all->end());
  }
  for (const auto& a : candidates) {
    const auto prefix = [](const asio::ip::address_v6& x) {
      const auto b = x.to_bytes();
      return std::vector<unsigned char>(b.begin(), b.begin() + 8);
    };
    const bool seen = std::any_of(t.sources6.begin(), t.sources6.end(), [&](const auto& s) { return prefix(s) == prefix(a); });
    if (!seen && !a.is_link_local() && t.sources6.size() < ssdp::max_ipv6_sources) t.sources6.push_back(a);
  }
  return t;
}

asio::awaitable<core::result<upnp_session>> async_choose_igd(soap::client& client,
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
  upnp_session session;
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
    if (rank > best_rank) {
      best_rank = rank;
      session.gw = std::move(*gw);
      session.found = d;
    }
    if (devices.size() == 1 || rank == 2) break;
  }
  if (best_rank < 0) {
    log::info("no usable IGD: ", core::describe(last));
    co_return devices.empty() ? make_error_code(ssdp::errc::no_gateway_found) : last;
  }
  co_return session;
}

asio::awaitable<core::result<upnp_session>> async_find_igd(soap::client& client, const upnp_target& target) {
  upnp_session session;
  if (target.igd_url) {
    auto location = soap::check_location(*target.igd_url, std::nullopt, std::nullopt);
    if (!location) co_return location.error();
    auto gw = co_await client.async_describe(*location);
    if (!gw) co_return gw.error();
    session.gw = std::move(*gw);
  } else {
    const auto options = discovery_options_for(target, false);
    auto found = co_await search(options);
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

namespace {

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

int fail(const invocation& inv, std::string_view what, const std::error_code& ec, const soap::client& c) {
  print_error(inv.options.json, what, ec, c.last_fault() ? std::string_view(c.last_fault()->description) : "");
  return exit_status_for(ec);
}

// IGD:2: TCP and UDP asked at once on two connections (the gateway overlaps part of each call's
// cost: 10-15 % less time in tests/lab/bench_upnp.sh); IGD:1 lists both in one walk.
asio::awaitable<core::result<std::vector<soap::port_mapping>>> list_both(const invocation& inv, soap::client& c,
                                                                         const upnp_session& s) {
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

asio::awaitable<int> run_list(const invocation& inv, soap::client& c, const upnp_session& s) {
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

asio::awaitable<int> run_status(const invocation& inv, soap::client& c, const upnp_session& s) {
  auto status = co_await c.async_status(s.gw);
  if (!status) co_return fail(inv, "status of " + s.gw.address.to_string(), status.error(), c);
  auto external = co_await c.async_external_ip(s.gw);
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

asio::awaitable<int> run_delete_range(const invocation& inv, soap::client& c, const upnp_session& s) {
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
asio::awaitable<unsigned> probe_port_control(const invocation& inv, const upnp_target& target) {
  if (!target.gateway) co_return 0;
  const auto ex = co_await asio::this_coro::executor;
  const auto gw = asio::ip::address(*target.gateway);
  const auto probe_deadline = std::min(target.deadline, milliseconds(1000));
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
asio::awaitable<int> run_discover(const invocation& inv, soap::client& c, const upnp_target& target) {
  const auto options = discovery_options_for(target, true);
  auto found = co_await search(options);
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

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The record of this host's pinholes (pinhole_store.hpp). The gateway holds the truth: a file that
// cannot be read or written costs a warning on add, update and delete, and fails only `pinhole list`.
struct pinhole_book {
  std::optional<std::filesystem::path> file = pinhole_file();

  std::string name() const { return file ? printable(file->string()) : std::string("(no HOME)"); }

  core::result<std::vector<pinhole_record>> load() const {
    if (!file) return make_error_code(std::errc::no_such_file_or_directory);
    auto parsed = load_pinholes(*file);
    if (!parsed) return parsed.error();
    if (parsed->skipped) {
      std::cerr << "natpunch: warning: " << parsed->skipped << " unreadable line(s) in " << name()
                << " skipped (and dropped when it is next written)\n";
    }
    return std::move(parsed->records);
  }

  // One read-modify-write under the file's lock (held for milliseconds, never across a gateway call),
  // trimmed to its bounds; a failure is a warning.
  template <typename Change>
  void update(Change change) const {
    std::error_code ec = file ? std::error_code{} : make_error_code(std::errc::no_such_file_or_directory);
    if (!ec) {
      auto lock = pinhole_lock::acquire(*file);
      auto records = lock ? load() : core::result<std::vector<pinhole_record>>(lock.error());
      if (records) {
        change(*records);
        if (const auto dropped = trim_pinholes(*records, unix_now())) {
          std::cerr << "natpunch: note: " << dropped << " old pinhole record(s) dropped from " << name() << "\n";
        }
        ec = save_pinholes(*file, *records);
      } else {
        ec = records.error();
      }
    }
    if (ec) {
      std::cerr << "natpunch: warning: pinhole record " << name() << " not updated: " << ec.message()
                << " (pinhole list will not show this change)\n";
    }
  }
};

// The gateway no longer holds this ID: NoSuchEntry (704) as WANIPv6FirewallControl says, or, from
// miniupnpd 2.3.1, InvalidArgs (402) for an ID it does not know (tests/data/upnp, DeletePinhole.not_found;
// our request's arguments are well-formed, so 402 can mean nothing else there). Records are keyed by the
// gateway's URL *and* UDN, so another network's gateway at the same URL never speaks for ours.
bool pinhole_gone(const std::error_code& ec) {
  return ec == soap::firewall_error::no_such_entry || ec == std::error_code(402, soap::firewall_error_category());
}

auto same_pinhole(const soap::gateway& gw, std::uint16_t id) {
  return [igd = soap::to_string(gw.location), udn = gw.desc.root.udn, id](const pinhole_record& r) {
    return r.igd == igd && r.udn == udn && r.id == id;
  };
}

// Whether the gateway still holds pinhole `id`: CheckPinholeWorking first (newer miniupnpd answers
// GetPinholePackets for an unknown ID with 0 packets, but CheckPinholeWorking with 704; 709 means held,
// no traffic yet), then GetPinholePackets when CheckPinholeWorking is not offered (it is optional).
// The packet count is read for display. Returns the packets, or the error (pinhole_gone: gone).
asio::awaitable<core::result<std::uint32_t>> pinhole_packets_if_held(soap::client& c, const soap::gateway& gw,
                                                                     std::uint16_t id) {
  auto working = co_await c.async_call(gw, soap::check_pinhole_working_call(id));
  if (!working && (pinhole_gone(working.error()) || working.error() == core::transport_errc::cancelled ||
                   working.error() == core::transport_errc::timed_out)) {
    co_return working.error();
  }
  auto packets = co_await c.async_call(gw, soap::get_pinhole_packets_call(id));
  if (!packets) co_return packets.error();
  co_return soap::decode_pinhole_packets(*packets);
}

// pinhole list: the pinholes recorded for this gateway, each asked whether the gateway still holds it.
// One it no longer holds is dropped from the file (expiry by the record's clock is shown, not trusted).
asio::awaitable<int> run_pinhole_list(const invocation& inv, soap::client& c, const upnp_session& s) {
  const std::string where = s.gw.address.to_string();
  const pinhole_book book;
  auto records = book.load();
  if (!records) {
    print_error(inv.options.json, "reading the pinhole record " + book.name(), records.error());
    co_return exit_status_for(records.error());
  }
  const auto now = unix_now();
  std::vector<pinhole_record> gone;
  unsigned shown = 0;
  for (const auto& r : *records) {
    if (!same_pinhole(s.gw, r.id)(r)) continue;
    auto n = co_await pinhole_packets_if_held(c, s.gw, r.id);
    if (!n && pinhole_gone(n.error())) {
      gone.push_back(r);
      continue;
    }
    if (!n && n.error() == core::transport_errc::cancelled) co_return exit_interrupted;
    ++shown;
    const auto expires_in = std::max<std::int64_t>(0, r.since + std::int64_t{r.lifetime} - now);
    if (inv.options.json) {
      json_object o;
      o.add("protocol", "upnp")
          .add("gateway", where)
          .add("id", std::int64_t{r.id})
          .add("internal_ip", r.internal_ip)
          .add("internal_port", std::int64_t{r.internal_port})
          .add("transport", core::to_string(r.transport))
          .add("lifetime", std::int64_t{r.lifetime})
          .add("expires_in", expires_in);
      if (n) {
        o.add("packets", std::int64_t{*n});
      } else {
        o.add("error", core::describe(n.error()));
      }
      std::cout << o.str() << "\n";
    } else {
      std::cout << "  " << r.id << ": " << core::to_string(r.transport) << " [" << r.internal_ip << "]:" << r.internal_port
                << "  expires in " << expires_in << " s  "
                << (n ? std::to_string(*n) + " packet(s)" : "gateway: " + core::describe(n.error())) << "\n";
    }
  }
  if (!inv.options.json) {
    std::cout << shown << " pinhole(s) opened by natpunch on " << where << " (" << book.name() << ")";
    if (!gone.empty()) std::cout << "; " << gone.size() << " no longer held by the gateway, forgotten";
    std::cout << "\n  UPnP cannot list a gateway's pinholes: those opened by other programs are not shown\n";
  }
  std::cout.flush();
  // Only the records found gone, and only as they were read: one renewed or re-added meanwhile by
  // another natpunch (a newer `since`) stays.
  if (!gone.empty()) {
    book.update([&](std::vector<pinhole_record>& current) {
      std::erase_if(current, [&](const pinhole_record& r) { return std::find(gone.begin(), gone.end(), r) != gone.end(); });
    });
  }
  co_return exit_ok;
}

asio::awaitable<int> run_pinhole(const invocation& inv, soap::client& c, const upnp_session& s) {
  const auto& cmd = inv.cmd;
  const std::string& action = cmd.pinhole_action;
  const std::string where = s.gw.address.to_string();
  if (!s.gw.ipv6_firewall_control) {
    std::cerr << "natpunch: the gateway at " << where << " has no WANIPv6FirewallControl service (IGD:2 only)\n";
    co_return exit_refused;
  }
  if (!s.gw.address.is_v6() || !s.local.is_v6()) {
    std::cerr << "natpunch: pinholes are asked over IPv6 (gateways refuse them over IPv4): give the gateway's "
                 "IPv6 description URL, e.g. --igd http://[fd00::1]:5000/rootDesc.xml, or no --igd (then SSDP "
                 "searches over IPv6)\n";
    co_return exit_usage;
  }
  if (action == "list") co_return co_await run_pinhole_list(inv, c, s);
  const std::string igd = soap::to_string(s.gw.location);
  json_object out;
  out.add("protocol", "upnp").add("gateway", where);
  std::string text;
  if (action == "status") {
    auto r = co_await c.async_call(s.gw, soap::get_firewall_status_call());
    core::result<soap::firewall_status> st = r ? soap::decode_firewall_status(*r) : core::result<soap::firewall_status>(r.error());
    if (!st) co_return fail(inv, "pinhole status on " + where, st.error(), c);
    out.add("firewall_enabled", st->enabled).add("inbound_pinhole_allowed", st->inbound_pinhole_allowed);
    text = std::string("firewall ") + (st->enabled ? "on" : "off") + ", inbound pinholes " +
           (st->inbound_pinhole_allowed ? "allowed" : "not allowed") + " (gateway " + where + ")";
  } else if (action == "add") {
    soap::pinhole p;
    p.internal_client = s.local.to_string();
    p.internal_port = cmd.ports.internal_port;
    p.protocol = soap::pinhole_protocol(cmd.ports.protocol);
    p.lease_time = cmd.lifetime;
    auto r = co_await c.async_call(s.gw, soap::add_pinhole_call(p));
    core::result<std::uint16_t> id = r ? soap::decode_pinhole_id(*r) : core::result<std::uint16_t>(r.error());
    if (!id) co_return fail(inv, "pinhole add " + std::to_string(p.internal_port) + " on " + where, id.error(), c);
    pinhole_book().update([&](std::vector<pinhole_record>& records) {
      std::erase_if(records, same_pinhole(s.gw, *id));  // an ID the gateway reused: the old one is gone
      records.push_back({igd, s.gw.desc.root.udn, *id, p.internal_client, p.internal_port, cmd.ports.protocol,
                         p.lease_time, unix_now()});
    });
    out.add("id", std::int64_t{*id})
        .add("internal_ip", p.internal_client)
        .add("internal_port", std::int64_t{p.internal_port})
        .add("transport", core::to_string(cmd.ports.protocol))
        .add("lifetime", std::int64_t{p.lease_time});
    text = "pinhole " + std::to_string(*id) + ": " + std::string(core::to_string(cmd.ports.protocol)) + " [" +
           p.internal_client + "]:" + std::to_string(p.internal_port) + " open to anyone for " +
           std::to_string(p.lease_time) + " s (gateway " + where + ")";
  } else if (action == "update") {
    auto r = co_await c.async_call(s.gw, soap::update_pinhole_call(cmd.pinhole_id, cmd.lifetime));
    if (!r) co_return fail(inv, "pinhole update " + std::to_string(cmd.pinhole_id) + " on " + where, r.error(), c);
    pinhole_book().update([&](std::vector<pinhole_record>& records) {
      for (auto& rec : records) {
        if (same_pinhole(s.gw, cmd.pinhole_id)(rec)) {
          rec.lifetime = cmd.lifetime;
          rec.since = unix_now();
        }
      }
    });
    out.add("id", std::int64_t{cmd.pinhole_id}).add("lifetime", std::int64_t{cmd.lifetime});
    text = "pinhole " + std::to_string(cmd.pinhole_id) + " renewed for " + std::to_string(cmd.lifetime) + " s";
  } else if (action == "delete") {
    auto r = co_await c.async_call(s.gw, soap::delete_pinhole_call(cmd.pinhole_id));
    if (r || pinhole_gone(r.error())) {
      pinhole_book().update([&](std::vector<pinhole_record>& records) { std::erase_if(records, same_pinhole(s.gw, cmd.pinhole_id)); });
    }
    if (!r) co_return fail(inv, "pinhole delete " + std::to_string(cmd.pinhole_id) + " on " + where, r.error(), c);
    out.add("id", std::int64_t{cmd.pinhole_id}).add("deleted", true);
    text = "pinhole " + std::to_string(cmd.pinhole_id) + " deleted";
  } else {  // check
    auto packets = co_await c.async_call(s.gw, soap::get_pinhole_packets_call(cmd.pinhole_id));
    core::result<std::uint32_t> n = packets ? soap::decode_pinhole_packets(*packets) : core::result<std::uint32_t>(packets.error());
    if (!n) co_return fail(inv, "pinhole check " + std::to_string(cmd.pinhole_id) + " on " + where, n.error(), c);
    // CheckPinholeWorking is optional and miniupnpd answers 709 NoPacketSent until traffic passed.
    auto working = co_await c.async_call(s.gw, soap::check_pinhole_working_call(cmd.pinhole_id));
    std::optional<bool> is_working;
    if (working) {
      if (auto w = soap::decode_pinhole_working(*working)) is_working = *w;
    } else if (working.error() == soap::firewall_error::no_packet_sent) {
      is_working = false;
    }
    out.add("id", std::int64_t{cmd.pinhole_id}).add("packets", std::int64_t{*n});
    if (is_working) out.add("working", *is_working);
    text = "pinhole " + std::to_string(cmd.pinhole_id) + ": " + std::to_string(*n) + " packet(s) through it" +
           (is_working ? (*is_working ? ", working" : ", no traffic seen yet") : "");
  }
  if (inv.options.json) {
    std::cout << out.str() << std::endl;
  } else {
    std::cout << text << std::endl;
  }
  co_return exit_ok;
}

}  // namespace

asio::awaitable<int> run_upnp_command(const invocation& inv, asio::any_io_executor ex) {
  soap::client_options co;
  co.deadline = inv.options.timeout;
  soap::client c(ex, co);
  // --timeout bounds the whole command, however many calls a list or a range delete takes.
  c.set_overall_deadline(std::chrono::steady_clock::now() + inv.options.timeout);
  const upnp_target target = upnp_target_for(inv);
  if (inv.cmd.kind == command_kind::pinhole && !target.igd_url && !target.gateway6) {
    if (inv.options.json) {
      print_error(true, "finding the IPv6 IGD for a pinhole", make_error_code(core::route_errc::no_default_route));
    }
    std::cerr << "natpunch: pinholes are asked over IPv6, and this host has no IPv6 default route: give "
                 "--igd http://[ADDR]:PORT/... (or an IPv6 --gateway)\n";
    co_return exit_unreachable;
  }
  if (inv.cmd.kind == command_kind::discover) co_return co_await run_discover(inv, c, target);
  auto session = co_await async_find_igd(c, target);
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
