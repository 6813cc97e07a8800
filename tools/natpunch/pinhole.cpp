// pinhole add|update|delete|check|list|status: UPnP IPv6 firewall pinholes (WANIPv6FirewallControl),
// and the record of those natpunch opened (UPnP has no action that lists them).
#include <algorithm>
#include <iostream>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "output.hpp"
#include "natpunch/portmap/store.hpp"
#include "upnp.hpp"

namespace natpunch::cli {
namespace {

using portmap::igd_session;
using portmap::pinhole_record;
using portmap::unix_now;

// The record of this host's pinholes (portmap's state store, beside its port mappings). The gateway
// holds the truth: a record that cannot be read or written costs a warning on add, update and delete,
// and fails only `pinhole list`.
struct pinhole_book {
  core::result<portmap::state_store> store = portmap::state_store::open_default();

  std::string name() const {
    if (store) return printable(store->file().string());
    const auto dir = portmap::store_directory();
    return dir ? printable((*dir / "state").string()) : std::string("(no HOME)");
  }

  core::result<std::vector<portmap::pinhole_record>> load() const {
    if (!store) return store.error();
    auto contents = store->load();
    if (!contents) return contents.error();
    if (contents->skipped) {
      std::cerr << "natpunch: warning: " << contents->skipped << " unreadable line(s) in " << name()
                << " skipped (and dropped when it is next written)\n";
    }
    return std::move(contents->pinholes);
  }

  // One read-modify-write under the record's lock (held for milliseconds, never across a gateway
  // call), trimmed to its bounds; a failure is a warning.
  template <typename Change>
  void update(Change change) {
    std::error_code ec = store ? std::error_code{} : store.error();
    if (store) {
      auto saved = store->update([&](portmap::store_contents& c) { change(c.pinholes); });
      if (!saved) ec = saved.error();
    }
    if (ec) {
      std::cerr << "natpunch: warning: pinhole record " << name() << " not updated: " << core::describe(ec)
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
asio::awaitable<int> run_pinhole_list(const invocation& inv, soap::client& c, const igd_session& s) {
  const std::string where = s.gw.address.to_string();
  pinhole_book book;
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

}  // namespace

asio::awaitable<int> run_pinhole(const invocation& inv, soap::client& c, const igd_session& s) {
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


}  // namespace natpunch::cli
