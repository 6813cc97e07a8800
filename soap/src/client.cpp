#include "natpunch/soap/client.hpp"

#include <algorithm>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"

namespace natpunch::soap {
namespace {

namespace log = core::log;

// WANIPConnection:2's largest lease (its spec: 1..604800 s).
constexpr std::uint32_t max_v2_lease = 604800;
// Ports tried after a conflict on an IGD:1, which has no AddAnyPortMapping.
constexpr unsigned conflict_tries = 8;

bool usable_host(const asio::ip::address& a) {
  if (a.is_unspecified() || a.is_loopback() || a.is_multicast()) return false;
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    if (v6.is_link_local() || v6.is_v4_mapped()) return false;
  } else {
    const auto b = a.to_v4().to_bytes();
    if (b[0] == 169 && b[1] == 254) return false;  // IPv4 link-local
    if (a.to_v4() == asio::ip::address_v4::broadcast()) return false;
  }
  return true;
}

// A mapping's key (remote host, external port, protocol) is already in `all`: a gateway repeating
// an entry must not make a list longer.
bool listed(const std::vector<port_mapping>& all, const port_mapping& m) {
  return std::any_of(all.begin(), all.end(), [&](const port_mapping& o) {
    return o.external_port == m.external_port && o.protocol == m.protocol && o.remote_host == m.remote_host;
  });
}

asio::ip::tcp::endpoint endpoint_of(const url& u) {
  return {*literal_address(u), u.port};
}

}  // namespace

core::result<url> check_location(std::string_view location, const std::optional<asio::ip::address>& responder,
                                 const std::optional<asio::ip::address>& gateway) {
  auto u = parse_url(location);
  if (!u) return u.error();
  if (u->scheme != "http") return errc::untrusted_location;
  const auto host = literal_address(*u);
  if (!host || !usable_host(*host)) return errc::untrusted_location;
  const bool from_responder = responder && *host == *responder;
  const bool is_gateway = gateway && *host == *gateway;
  // A --igd URL (no responder) is the user's own choice: only its form is judged.
  if (responder && !from_responder && !is_gateway) return errc::untrusted_location;
  return u;
}

const url* gateway::control(service_kind kind) const noexcept {
  switch (kind) {
    case service_kind::connection: return &connection_control;
    case service_kind::common_interface: return common_interface_control ? &*common_interface_control : nullptr;
    case service_kind::ipv6_firewall: return ipv6_firewall_control ? &*ipv6_firewall_control : nullptr;
  }
  return nullptr;
}

client::client(asio::any_io_executor executor, client_options options)
    : options_(options), http_(std::move(executor), http_client_options{options.deadline, options.http}) {}

void client::forget_add(std::uint16_t port, core::ip_protocol protocol) {
  std::erase(sent_adds_, std::make_pair(port, protocol));
}

std::error_code client::unexpected(const http_response& r) {
  last_status_ = std::to_string(r.status) + " " + r.reason.substr(0, 64);
  return errc::unexpected_status;
}

void client::note_add(std::uint16_t port, core::ip_protocol protocol) {
  const auto key = std::make_pair(port, protocol);
  if (std::find(sent_adds_.begin(), sent_adds_.end(), key) == sent_adds_.end()) sent_adds_.push_back(key);
}

bool client::arm_deadline() noexcept {
  auto d = options_.deadline;
  if (overall_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= *overall_) return false;
    d = std::min(d, std::chrono::ceil<std::chrono::milliseconds>(*overall_ - now));
  }
  http_.set_deadline(d);
  return true;
}

asio::awaitable<core::result<gateway>> client::async_describe(url location) {
  last_status_.clear();
  const auto address = literal_address(location);
  if (!address) co_return errc::untrusted_location;  // names are never followed: no DNS on the LAN's word
  http_request get;
  get.target = location.target;
  get.host = authority(location);
  if (!arm_deadline()) co_return core::transport_errc::timed_out;
  auto response = co_await http_.async_request(endpoint_of(location), get);
  if (!response) co_return response.error();
  if (response->status != 200) {
    log::info("GET ", to_string(location), ": HTTP ", response->status, " ", response->reason);
    co_return unexpected(*response);
  }
  auto desc = parse_description(response->body, options_.description);
  if (!desc) co_return desc.error();
  auto chosen = choose_services(*desc);
  if (!chosen) co_return errc::not_an_igd;
  // URLBase (deprecated, but some routers still send it) or the LOCATION is the base; whatever it says,
  // every control URL must stay on the description's own host and port.
  url base = location;
  if (desc->url_base && !desc->url_base->empty()) {
    auto b = parse_url(*desc->url_base);
    if (!b) co_return b.error();
    base = *b;
  }
  const auto pinned = [&](const service& s) -> core::result<url> {
    auto u = resolve(base, s.control_url);
    if (!u) return u.error();
    if (!same_origin(*u, location)) {
      log::info("the description at ", to_string(location), " names the control URL ", to_string(*u), ": refused");
      return errc::foreign_control_url;
    }
    return u;
  };
  gateway gw;
  auto control = pinned(chosen->connection);
  if (!control) co_return control.error();
  gw.connection_control = *control;
  if (chosen->common_interface) {
    if (auto u = pinned(*chosen->common_interface)) gw.common_interface_control = *u;
  }
  if (chosen->ipv6_firewall) {
    if (auto u = pinned(*chosen->ipv6_firewall)) gw.ipv6_firewall_control = *u;
  }
  gw.location = std::move(location);
  gw.address = *address;
  gw.desc = std::move(*desc);
  gw.services = std::move(*chosen);
  co_return gw;
}

asio::awaitable<core::result<action_response>> client::async_call(const gateway& gw, call c) {
  const service* svc = gw.services.find(c.service);
  const url* control = gw.control(c.service);
  if (!svc || !control) co_return errc::not_an_igd;
  auto soap = build_request(svc->type, c.action, c.args);
  if (!soap) co_return soap.error();
  http_request post;
  post.method = "POST";
  post.target = control->target;
  post.host = authority(*control);
  post.headers = {{"Content-Type", std::string(content_type)}, {"SOAPAction", soap->soap_action}};
  post.body = std::move(soap->body);
  last_fault_.reset();
  last_status_.clear();
  if (!arm_deadline()) co_return core::transport_errc::timed_out;
  ++calls_;
  auto response = co_await http_.async_request(endpoint_of(*control), std::move(post));
  if (!response) co_return response.error();
  // UDA §3.2.2: a fault comes with status 500; an answer with 200. Anything else is no SOAP answer.
  if (response->status != 200 && response->status != 500) {
    log::info(c.action, ": HTTP ", response->status, " ", response->reason);
    co_return unexpected(*response);
  }
  auto parsed = parse_response(response->body, c.action, options_.soap);
  if (!parsed) co_return parsed.error();
  if (auto* f = std::get_if<fault>(&*parsed)) {
    log::info(c.action, ": UPnPError ", f->code, " ", f->description);
    last_fault_ = *f;
    co_return fault_error(*f, c.service);
  }
  if (response->status != 200) co_return unexpected(*response);
  co_return std::get<action_response>(std::move(*parsed));
}

asio::awaitable<core::result<asio::ip::address>> client::async_external_ip(const gateway& gw) {
  auto reported = co_await async_reported_external_ip(gw);
  if (!reported) co_return reported.error();
  co_return usable_external_ip(*reported);
}

asio::awaitable<core::result<asio::ip::address>> client::async_reported_external_ip(const gateway& gw) {
  auto r = co_await async_call(gw, get_external_ip_address_call());
  if (!r) co_return r.error();
  co_return decode_external_ip(*r);
}

asio::awaitable<core::result<status_info>> client::async_status(const gateway& gw) {
  auto r = co_await async_call(gw, get_status_info_call());
  if (!r) co_return r.error();
  co_return decode_status_info(*r, options_.soap);
}

asio::awaitable<core::result<connection_type_info>> client::async_connection_type(const gateway& gw) {
  auto r = co_await async_call(gw, get_connection_type_info_call());
  if (!r) co_return r.error();
  co_return decode_connection_type_info(*r, options_.soap);
}

asio::awaitable<core::result<link_properties>> client::async_link_properties(const gateway& gw) {
  auto r = co_await async_call(gw, get_common_link_properties_call());
  if (!r) co_return r.error();
  co_return decode_common_link_properties(*r, options_.soap);
}

asio::awaitable<core::result<port_mapping>> client::async_get_mapping(const gateway& gw, std::uint16_t external_port,
                                                                      core::ip_protocol protocol) {
  auto r = co_await async_call(gw, get_specific_port_mapping_entry_call("", external_port, protocol));
  if (!r) co_return r.error();
  co_return decode_specific_entry(*r, "", external_port, protocol, options_.soap);
}

asio::awaitable<core::result<added_mapping>> client::async_add(const gateway& gw, port_mapping wanted,
                                                               bool exact_port) {
  added_mapping out;
  const bool v2 = gw.services.connection_version >= 2;
  if (v2 && (wanted.lease_duration == 0 || wanted.lease_duration > max_v2_lease)) wanted.lease_duration = max_v2_lease;
  const auto is = [](const std::error_code& ec, upnp_error e) { return ec == make_error_code(e); };
  unsigned tries = 0;
  for (;;) {
    ++tries;
    note_add(wanted.external_port, wanted.protocol);
    auto added = co_await async_call(gw, add_port_mapping_call(wanted));
    if (added) break;
    const auto ec = added.error();
    // A refusal created nothing: that port (another client's, on a conflict) is not ours to undo.
    if (last_fault_) forget_add(wanted.external_port, wanted.protocol);
    if (is(ec, upnp_error::only_permanent_leases_supported) && wanted.lease_duration != 0) {
      log::info("the gateway takes only permanent mappings (725): asking for lease 0");
      wanted.lease_duration = 0;
      out.permanent_only = true;
      continue;
    }
    if (is(ec, upnp_error::same_port_values_required) && wanted.external_port != wanted.internal_port) {
      log::info("the gateway needs external port = internal port (724): asking for ", wanted.internal_port);
      wanted.external_port = wanted.internal_port;
      out.other_port = true;
      continue;
    }
    const bool conflict = is(ec, upnp_error::conflict_in_mapping_entry) || is(ec, upnp_error::conflict_with_other_mechanisms);
    if (!conflict || exact_port) co_return ec;
    if (v2) {
      auto any = co_await async_call(gw, add_any_port_mapping_call(wanted));
      if (!any) co_return any.error();
      auto reserved = decode_reserved_port(*any);
      if (!reserved) co_return reserved.error();
      wanted.external_port = *reserved;
      note_add(wanted.external_port, wanted.protocol);
      out.other_port = true;
      break;
    }
    if (tries >= conflict_tries || wanted.external_port == 65535) co_return ec;
    log::info("external port ", wanted.external_port, " is taken (", last_fault_ ? last_fault_->code : 0,
              "): trying ", wanted.external_port + 1);
    ++wanted.external_port;
    out.other_port = true;
  }
  // Added as asked at the first try: the gateway holds what was asked, no need to read it back (a
  // read-back costs miniupnpd ~1 ms per rule in place). After a fallback, read it back: what the
  // gateway holds is what we report. The add succeeded, so a failed read-back (an optional action some
  // routers lack) is no failure: the mapping as asked is reported instead.
  if (tries == 1 && !out.other_port && !out.permanent_only) {
    out.mapping = wanted;
    co_return out;
  }
  auto held = co_await async_get_mapping(gw, wanted.external_port, wanted.protocol);
  if (held.error() == core::transport_errc::cancelled) co_return held.error();
  if (held) {
    out.mapping = std::move(*held);
  } else {
    log::info("reading the mapping back failed (", core::describe(held.error()), "): reporting it as asked");
    out.mapping = wanted;
    out.read_back = false;
  }
  co_return out;
}

asio::awaitable<core::result<void>> client::async_delete(const gateway& gw, std::uint16_t external_port,
                                                         core::ip_protocol protocol) {
  auto r = co_await async_call(gw, delete_port_mapping_call("", external_port, protocol));
  if (!r) co_return r.error();
  co_return core::ok;
}

asio::awaitable<core::result<std::optional<unsigned>>> client::async_delete_range(const gateway& gw,
                                                                                  std::uint16_t first,
                                                                                  std::uint16_t last,
                                                                                  core::ip_protocol protocol) {
  if (gw.services.connection_version >= 2) {
    auto r = co_await async_call(gw, delete_port_mapping_range_call(first, last, protocol, true));
    if (!r) co_return r.error();
    co_return std::optional<unsigned>{};
  }
  auto all = co_await list_generic(gw);
  if (!all) co_return all.error();
  unsigned deleted = 0;
  for (const auto& m : *all) {
    if (m.protocol != protocol || m.external_port < first || m.external_port > last) continue;
    auto r = co_await async_delete(gw, m.external_port, m.protocol);
    // 714: gone since the listing (it expired, or another client removed it): that is what we wanted.
    if (r.error() == make_error_code(upnp_error::no_such_entry_in_array)) continue;
    if (!r) co_return r.error();
    ++deleted;
  }
  co_return std::optional<unsigned>{deleted};
}

asio::awaitable<core::result<std::vector<port_mapping>>> client::async_list(const gateway& gw,
                                                                           std::optional<core::ip_protocol> protocol) {
  if (gw.services.connection_version >= 2) {
    std::vector<core::ip_protocol> protocols{core::ip_protocol::tcp, core::ip_protocol::udp};
    if (protocol) protocols = {*protocol};
    co_return co_await list_v2(gw, std::move(protocols));
  }
  auto all = co_await list_generic(gw);
  if (all && protocol) std::erase_if(*all, [&](const port_mapping& m) { return m.protocol != *protocol; });
  co_return all;
}

asio::awaitable<core::result<std::vector<port_mapping>>> client::list_v2(const gateway& gw,
                                                                        std::vector<core::ip_protocol> protocols) {
  // GetListOfPortMappings gives at most list_batch entries of a port range, in the gateway's order
  // (miniupnpd: newest first), so a full batch says nothing about which ports it left out: the range is
  // then split in two and each half asked again. Every call either ends a range or halves it, so the
  // calls are bounded by about 2 × (mappings / batch) × 16.
  constexpr unsigned max_calls = 1024;
  std::vector<port_mapping> all;
  unsigned calls = 0;
  for (const auto protocol : protocols) {
    std::vector<std::pair<std::uint16_t, std::uint16_t>> ranges{{0, 65535}};
    while (!ranges.empty()) {
      const auto [lo, hi] = ranges.back();
      ranges.pop_back();
      if (++calls > max_calls) co_return errc::too_many_entries;
      auto r = co_await async_call(gw, get_list_of_port_mappings_call(lo, hi, protocol, true, options_.list_batch));
      // 730 PortMappingNotFound: nothing in the range (miniupnpd answers an empty list instead).
      if (r.error() == make_error_code(upnp_error::port_mapping_not_found)) continue;
      if (!r) co_return r.error();
      auto batch = decode_port_listing(*r, options_.soap);
      if (!batch) co_return batch.error();
      if (batch->size() >= options_.list_batch && lo < hi) {
        const std::uint16_t mid = static_cast<std::uint16_t>(lo + (hi - lo) / 2);
        ranges.emplace_back(static_cast<std::uint16_t>(mid + 1), hi);
        ranges.emplace_back(lo, mid);
        continue;
      }
      for (auto& m : *batch) {
        // Only what was asked: an entry outside the range or protocol would be counted twice; and each
        // (port, remote host) once, however often a gateway repeats it.
        if (m.external_port < lo || m.external_port > hi || m.protocol != protocol) continue;
        if (listed(all, m)) continue;
        if (all.size() >= options_.max_list_entries) co_return errc::too_many_entries;
        all.push_back(std::move(m));
      }
    }
  }
  co_return all;
}

asio::awaitable<core::result<std::vector<port_mapping>>> client::list_generic(const gateway& gw) {
  std::vector<port_mapping> all;
  for (std::uint32_t index = 0;; ++index) {
    // A table larger than the limit (or a gateway that never says 713) is an error, not a silent cut.
    if (index >= options_.max_list_entries || index > 65535) co_return errc::too_many_entries;
    auto r = co_await async_call(gw, get_generic_port_mapping_entry_call(static_cast<std::uint16_t>(index)));
    // 713 SpecifiedArrayIndexInvalid ends the table (714 NoSuchEntryInArray on some routers).
    if (r.error() == make_error_code(upnp_error::specified_array_index_invalid) ||
        r.error() == make_error_code(upnp_error::no_such_entry_in_array)) {
      break;
    }
    if (!r) co_return r.error();
    auto m = decode_generic_entry(*r, options_.soap);
    if (!m) co_return m.error();
    if (!listed(all, *m)) all.push_back(std::move(*m));
  }
  co_return all;
}

}  // namespace natpunch::soap
