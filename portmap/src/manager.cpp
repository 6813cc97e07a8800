// The mapping manager (manager.hpp): the record around the mappers.
#include "natpunch/portmap/manager.hpp"

#include <algorithm>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/soap/error.hpp"
#include "natpunch/soap/url.hpp"

namespace natpunch::portmap {
namespace {

namespace log = core::log;

// IP text for the record: canonical, without a zone (a zone depends on this host's interfaces).
std::string ip_text(asio::ip::address a) {
  if (a.is_v6()) {
    auto v6 = a.to_v6();
    v6.scope_id(0);
    a = v6;
  }
  return a.to_string();
}

std::optional<known_igd> known_from(const gateway_record& g) {
  if (g.proto != protocol::upnp || g.location.empty() || g.control_url.empty()) return std::nullopt;
  return known_igd{g.location, g.udn, g.service_type, g.control_url, static_cast<int>(g.igd_version)};
}

const gateway_record* gateway_of(const store_contents& c, const std::string& key) {
  for (const auto& g : c.gateways) {
    if (g.gateway == key) return &g;
  }
  return nullptr;
}

// The same mapping on the gateway: protocol, gateway and internal port (UPnP: the external port too,
// which names it there; PCP's renewals keep their nonce, NAT-PMP names it by the internal port).
bool same_mapping(const mapping_record& a, const mapping_record& b) {
  if (a.proto != b.proto || a.gateway != b.gateway || !a.matches(b.transport, b.internal_port)) return false;
  return a.proto != protocol::upnp || a.external_port == b.external_port;
}

std::optional<protocol> only(protocol_choice c) {
  switch (c) {
    case protocol_choice::pcp: return protocol::pcp;
    case protocol_choice::natpmp: return protocol::natpmp;
    case protocol_choice::upnp: return protocol::upnp;
    case protocol_choice::automatic: break;
  }
  return std::nullopt;
}

}  // namespace

mapping_record to_record(const mapping& m, const std::string& description) {
  mapping_record r;
  r.proto = m.proto;
  r.gateway = ip_text(m.gateway);
  r.transport = m.transport;
  r.internal_ip = ip_text(m.internal_ip);
  r.internal_port = m.internal_port;
  r.external_ip = ip_text(m.external_ip);
  r.external_port = m.external_port;
  r.lifetime = m.lifetime;
  r.since = std::chrono::duration_cast<std::chrono::seconds>(m.granted_at.time_since_epoch()).count();
  if (m.proto == protocol::pcp && m.nonce) r.nonce = to_hex(*m.nonce);
  if (m.proto == protocol::upnp) {
    r.igd = m.igd.value_or("");
    r.description = m.description.value_or(description);
  }
  if (m.proto != protocol::upnp && r.lifetime == 0) r.lifetime = 1;  // a deleted-on-grant PCP/NAT-PMP answer
  return r;
}

manager::manager(asio::any_io_executor executor, gateway gw, manager_options options)
    : ex_(std::move(executor)), gw_(std::move(gw)), options_(std::move(options)) {}

std::string manager::gateway_key() const {
  if (gw_.address) return ip_text(*gw_.address);
  if (gw_.igd.gateway) return gw_.igd.gateway->to_string();
  return {};
}

std::optional<store_contents> manager::load() {
  if (!options_.store) return std::nullopt;
  auto c = options_.store->load();
  if (!c) {
    if (options_.on_store_error) options_.on_store_error("reading " + options_.store->file().string(), c.error());
    return std::nullopt;
  }
  return std::move(*c);
}

bool manager::update(const std::function<void(store_contents&)>& change) {
  if (!options_.store) return false;
  auto saved = options_.store->update(change);
  if (!saved && options_.on_store_error) {
    const auto& path = options_.store->failed_path();
    options_.on_store_error("updating " + (path.empty() ? options_.store->file() : path).string(), saved.error());
  }
  return saved.has_value();
}

bool manager::on_this_gateway(const mapping_record& r, const store_contents& c) const {
  const auto key = gateway_key();
  if (r.gateway == key) return true;
  // UPnP: the IGD that served this gateway may be another LAN host.
  const auto* g = gateway_of(c, key);
  if (r.proto == protocol::upnp && g && !r.igd.empty() && r.igd == g->location) return true;
  if (r.proto == protocol::upnp && gw_.igd.igd_url && r.igd == *gw_.igd.igd_url) return true;
  return false;
}

std::shared_ptr<mapper> manager::make_mapper(protocol p, const mapping_request& r, std::optional<known_igd> known) const {
  if (options_.make) return options_.make(p, r, std::move(known));
  switch (p) {
    case protocol::pcp: return make_pcp_mapper(ex_, gw_, r, options_.deadline);
    case protocol::natpmp: return make_natpmp_mapper(ex_, gw_, r, options_.deadline);
    case protocol::upnp: return make_upnp_mapper(ex_, gw_, r, options_.deadline, std::move(known));
  }
  return nullptr;
}

bool manager::record(const mapping& m, const std::string& description) {
  const auto rec = to_record(m, description);
  const auto key = gateway_key();
  const auto igd = m.proto == protocol::upnp && mapper_ ? mapper_->igd() : std::nullopt;
  return update([&](store_contents& c) {
    // One record per mapping.
    std::erase_if(c.mappings, [&](const mapping_record& old) { return same_mapping(old, rec); });
    c.mappings.push_back(rec);
    if (key.empty()) return;
    gateway_record g;
    g.gateway = key;
    g.proto = m.proto;
    g.since = unix_now();
    if (igd) {
      g.location = igd->location;
      g.udn = igd->udn;
      g.service_type = igd->service_type;
      g.control_url = igd->control_url;
      g.igd_version = static_cast<unsigned>(igd->igd_version);
    }
    remember_gateway(c, g);
  });
}

void manager::forget(const mapping& m) {
  const auto rec = to_record(m, "");
  update([&](store_contents& c) { std::erase_if(c.mappings, [&](const mapping_record& old) { return same_mapping(old, rec); }); });
}

asio::awaitable<core::result<mapping>> manager::async_add(mapping_request request) {
  // A PEER mapping (an outbound flow's) and one made for another host are not this host's inbound
  // port: the record, which names mappings by (transport, internal port), keeps neither.
  const bool recordable = !request.remote && !request.third_party;
  const auto contents = recordable ? load() : std::nullopt;
  const auto key = gateway_key();
  const gateway_record* served = contents ? gateway_of(*contents, key) : nullptr;
  const auto wanted = only(options_.choice);
  std::optional<protocol> preferred = served ? std::optional<protocol>(served->proto) : std::nullopt;
  std::optional<known_igd> known = served ? known_from(*served) : std::nullopt;
  // A mapping recorded for this port on this gateway: renew it (its protocol first, its nonce, its port).
  if (contents) {
    for (const auto& r : contents->mappings) {
      if (!r.matches(request.transport, request.internal_port) || !on_this_gateway(r, *contents)) continue;
      if (r.expired(unix_now()) || (wanted && *wanted != r.proto)) continue;
      if (request.external_port && *request.external_port != r.external_port) continue;
      preferred = r.proto;
      if (!request.external_port) request.external_port = r.external_port;
      if (r.proto == protocol::pcp && !request.nonce) request.nonce = parse_nonce(r.nonce);
      if (r.proto == protocol::upnp && served && served->location != r.igd) known.reset();
      log::info("renewing the recorded ", to_string(r.proto), " mapping ", r.internal_port, " -> ", r.external_ip, ":",
                r.external_port);
      break;
    }
  }
  if (wanted) {
    mapper_ = make_mapper(*wanted, request, *wanted == protocol::upnp ? known : std::nullopt);
  } else {
    // A PCP renewal needs PCP: its nonce means nothing to the others.
    auto_options a;
    a.preferred = preferred;
    a.known = known;
    a.trace = options_.trace;
    if (options_.make) {
      a.make = [this, request, known](protocol p, std::chrono::milliseconds) {
        return options_.make(p, request, p == protocol::upnp ? known : std::nullopt);
      };
    }
    mapper_ = make_auto_mapper(ex_, gw_, request, options_.deadline, std::move(a));
  }
  auto mapped = co_await mapper_->async_map(request.suggested_external_port(), request.lifetime);
  recorded_ = mapped && recordable && record(*mapped, request.description);
  co_return mapped;
}

std::shared_ptr<mapper> manager::mapper_for(const mapping_record& r, const store_contents& c) const {
  mapping_request req;
  req.transport = r.transport;
  req.internal_port = r.internal_port;
  req.external_port = r.external_port;
  if (r.proto == protocol::pcp) req.nonce = parse_nonce(r.nonce);
  std::optional<known_igd> known;
  if (const auto* g = gateway_of(c, gateway_key()); g && r.proto == protocol::upnp && g->location == r.igd) {
    known = known_from(*g);
  }
  return make_mapper(r.proto, req, known);
}

void manager::forget_records(const std::vector<mapping_record>& records) {
  if (records.empty()) return;
  update([&](store_contents& c) {
    std::erase_if(c.mappings, [&](const mapping_record& x) { return std::find(records.begin(), records.end(), x) != records.end(); });
  });
}

asio::awaitable<core::result<void>> manager::remove_one(const mapping_record& r, const store_contents& c) {
  mapper_ = mapper_for(r, c);
  auto removed = co_await mapper_->async_unmap();
  // NAT-PMP and PCP deletes of what is not there succeed anyway; UPnP says 714: the record can go.
  if (!removed && mapping_gone(removed.error())) co_return core::ok;
  co_return removed;
}

asio::awaitable<core::result<std::vector<mapping_record>>> manager::async_remove(const mapping_request& request) {
  const auto contents = load();
  const auto wanted = only(options_.choice);
  std::vector<mapping_record> targets;
  if (contents) {
    for (const auto& r : contents->mappings) {
      if (!r.matches(request.transport, request.internal_port) || !on_this_gateway(r, *contents)) continue;
      if (wanted && *wanted != r.proto) continue;
      if (request.external_port && *request.external_port != r.external_port) continue;
      if (request.nonce && (r.proto != protocol::pcp || r.nonce != to_hex(*request.nonce))) continue;
      targets.push_back(r);
    }
  }
  if (targets.empty()) {
    // Nothing recorded: a named protocol deletes as it names mappings; auto cannot guess.
    if (!wanted || (*wanted == protocol::pcp && !request.nonce)) co_return errc::not_recorded;
    mapper_ = make_mapper(*wanted, request, std::nullopt);
    auto removed = co_await mapper_->async_unmap();
    if (!removed) co_return removed.error();
    mapping_record r;
    r.proto = *wanted;
    r.gateway = ip_text(mapper_->gateway());
    r.transport = request.transport;
    r.internal_port = request.internal_port;
    r.external_port = request.suggested_external_port();
    if (request.nonce) r.nonce = to_hex(*request.nonce);
    co_return std::vector<mapping_record>{r};
  }
  std::vector<mapping_record> done;
  std::error_code failure;
  for (const auto& r : targets) {
    auto removed = co_await remove_one(r, *contents);
    if (!removed) {
      failure = removed.error();
      if (failure == core::transport_errc::cancelled) break;
      continue;
    }
    done.push_back(r);
  }
  forget_records(done);
  if (failure) co_return failure;
  co_return done;
}

asio::awaitable<std::vector<mapping_record>> manager::async_remove_all(
    std::vector<std::pair<mapping_record, std::error_code>>& failed) {
  std::vector<mapping_record> done;
  const auto contents = load();
  if (!contents) co_return done;
  for (const auto& r : contents->mappings) {
    if (!on_this_gateway(r, *contents)) continue;
    auto removed = co_await remove_one(r, *contents);
    if (removed) {
      done.push_back(r);
    } else {
      failed.emplace_back(r, removed.error());
      if (removed.error() == core::transport_errc::cancelled) break;
    }
  }
  forget_records(done);
  co_return done;
}

core::result<std::vector<held_mapping>> manager::held() {
  if (!options_.store) return std::vector<held_mapping>{};
  const auto now = unix_now();
  bool any_expired = false;
  auto contents = options_.store->load();
  if (!contents) return contents.error();
  std::vector<held_mapping> out;
  for (const auto& r : contents->mappings) {
    if (r.expired(now)) {
      any_expired = true;
      continue;
    }
    const std::int64_t left = r.lifetime == 0 ? -1 : r.since + std::int64_t{r.lifetime} - now;
    out.push_back({r, left, on_this_gateway(r, *contents), std::nullopt});
  }
  if (any_expired) update([&](store_contents& c) { std::erase_if(c.mappings, [&](const mapping_record& r) { return r.expired(now); }); });
  return out;
}

asio::awaitable<core::result<std::vector<held_mapping>>> manager::async_list() {
  auto list = held();
  if (!list) co_return list.error();
  const auto contents = load();
  std::vector<mapping_record> gone;
  for (auto& h : *list) {
    if (!h.this_gateway || h.record.proto != protocol::upnp || !contents) continue;
    mapper_ = mapper_for(h.record, *contents);
    auto asked = co_await mapper_->async_held();
    if (!asked) {
      if (asked.error() == core::transport_errc::cancelled) co_return asked.error();
      log::info("could not ask the gateway about ", h.record.external_port, ": ", core::describe(asked.error()));
      continue;
    }
    h.held = *asked;
    if (h.held == false) gone.push_back(h.record);
  }
  forget_records(gone);
  co_return list;
}

}  // namespace natpunch::portmap
