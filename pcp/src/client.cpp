#include "natpunch/pcp/client.hpp"

#include <algorithm>
#include <chrono>

#include "natpunch/core/elapsed.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"

namespace natpunch::pcp {

address to_pcp_address(const asio::ip::address& a) {
  if (a.is_v4()) return ipv4_mapped(a.to_v4().to_bytes());
  return a.to_v6().to_bytes();
}

asio::ip::address from_pcp_address(const address& a) {
  if (is_ipv4_mapped(a)) return asio::ip::address_v4({a[12], a[13], a[14], a[15]});
  return asio::ip::address_v6(a);
}

client::client(asio::any_io_executor executor, client_options options)
    : options_(std::move(options)), socket_(std::move(executor)) {}

std::error_code client::ensure_open() {
  if (socket_.is_open()) return {};
  return core::open_connected(socket_, {options_.gateway, options_.port});
}

asio::ip::address client::local_address() const {
  std::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  return ec ? asio::ip::address{} : local.address();
}

bool client::observe_epoch(std::uint32_t epoch) {
  const bool lost = epoch_.observe(epoch, std::chrono::steady_clock::now());
  if (lost) {
    lost_state_pending_ = true;
    core::log::warn("PCP server ", options_.gateway.to_string(), " lost its mapping state (epoch now ", epoch,
                    " s): renew every mapping");
  }
  return lost;
}

asio::awaitable<core::result<response>> client::async_request(request req, bool undo_rejected) {
  const auto started = std::chrono::steady_clock::now();
  if (const auto ec = ensure_open()) co_return ec;
  req.client_address = to_pcp_address(local_address());
  const bytes wire = encode(req);
  const bool succeeded_before = succeeded_;
  const auto check = [&req, &lim = options_.wire_limits, succeeded_before](byte_span datagram) -> std::error_code {
    auto decoded = decode_response(datagram, lim);
    if (!decoded) return decoded.error();
    // §9: once PCP has worked with this server, "unsupported version" can only be forged or confused:
    // never a reason to downgrade. Ignore it and keep waiting for the real answer.
    if (decoded->version != version && succeeded_before) return errc::downgrade_ignored;
    return mismatch(req, *decoded);
  };
  core::exchange_options exchange{options_.schedule, options_.deadline, options_.wire_limits.max_message_size};
  auto reply = co_await core::async_udp_exchange(socket_, {options_.gateway, options_.port}, wire, check, exchange);
  if (!reply) co_return reply.error();  // after a socket error the exchange closed it: reopened next time
  last_exchange_ = *reply;
  auto resp = decode_response(reply->payload, options_.wire_limits);  // cannot fail: the check accepted it
  if (!resp) co_return resp.error();
  // §8.5: every PCP answer's epoch counts, errors included; a NAT-PMP "unsupported version" carries
  // NAT-PMP's epoch, which is no PCP epoch.
  lost_state_in_last_answer_ = resp->version == version && observe_epoch(resp->epoch);
  if (const auto verdict = check_answer(req, *resp); !verdict) {
    // A SUCCESS we cannot accept (another port despite PREFER_FAILURE — miniupnpd 2.3.1 ignores the
    // option — or an unusable address) still made a mapping on the gateway. Remove it, same nonce and
    // lifetime 0, so that nothing reported as failed stays behind; then report the reason.
    // Only for a request that created the mapping: a rejected renewal must not delete the mapping the
    // caller already held (e.g. miniupnpd answers an IPv6 pinhole renewal with port 0).
    if (undo_rejected && resp->version == version && resp->result == result_code::success && req.lifetime != 0 &&
        req.op != opcode::announce) {
      request undo = req;
      undo.lifetime = 0;
      // Keep THIRD_PARTY (it names whose mapping it is); PREFER_FAILURE and FILTER mean nothing to a delete.
      std::erase_if(undo.options, [](const option& o) { return !std::holds_alternative<third_party_option>(o); });
      core::log::warn("rejecting the gateway's answer (", core::describe(verdict.error()),
                      "): removing the mapping it made");
      // One deadline for the request and its cleanup: the undo gets what is left of it, but at least
      // a second (the gateway just answered, so it is there; leaving its mapping behind is worse).
      const auto full = options_.deadline;
      options_.deadline = std::max(core::remaining(started, full, std::chrono::steady_clock::now()),
                                   std::min<std::chrono::milliseconds>(full, std::chrono::seconds(1)));
      auto removed = co_await async_request(std::move(undo));
      options_.deadline = full;
      if (removed.error() == core::transport_errc::cancelled) co_return removed.error();  // the caller undoes it
      if (!removed) core::log::warn("could not remove it: ", core::describe(removed.error()));
    }
    if (resp->version == version) succeeded_ = true;  // §9: any version-2 answer proves PCP is spoken
    co_return verdict.error();
  }
  succeeded_ = true;
  co_return std::move(*resp);
}

asio::awaitable<core::result<announce_info>> client::async_announce() {
  request req;
  req.op = opcode::announce;
  req.lifetime = 0;
  auto resp = co_await async_request(std::move(req));
  if (!resp) co_return resp.error();
  co_return announce_info{resp->epoch, lost_state_in_last_answer_};
}

asio::awaitable<core::result<mapping_info>> client::async_map_or_peer(opcode op, map_params params) {
  map_body b;
  b.mapping_nonce = params.mapping_nonce.value_or(make_nonce());
  b.protocol = protocol_number(params.protocol);
  b.internal_port = params.internal_port;
  b.external_port = params.suggested_external_port;
  // §11.1: no preference is the all-zeros address of the mapping's family; for a NAT44 mapping that is
  // ::ffff:0.0.0.0, which tells the server an IPv4 external address is wanted.
  const asio::ip::address any = options_.gateway.is_v4() ? asio::ip::address(asio::ip::address_v4::any())
                                                         : asio::ip::address(asio::ip::address_v6::any());
  b.external_address = to_pcp_address(params.suggested_external_address.value_or(any));

  request req;
  req.op = op;
  req.lifetime = params.lifetime;
  if (op == opcode::peer) {
    if (!params.remote_peer) co_return errc::bad_request;
    req.payload = peer_body{b, params.remote_peer->second, to_pcp_address(params.remote_peer->first)};
  } else {
    req.payload = b;
  }
  if (params.third_party) req.options.emplace_back(third_party_option{to_pcp_address(*params.third_party)});
  if (params.prefer_failure) req.options.emplace_back(prefer_failure_option{});
  for (const auto& f : params.filters) req.options.emplace_back(f);

  auto resp = co_await async_request(std::move(req), params.creates);
  if (!resp) co_return resp.error();
  const map_body* got = std::get_if<map_body>(&resp->payload);
  if (got == nullptr) {
    const auto* peer = std::get_if<peer_body>(&resp->payload);
    if (peer == nullptr) co_return errc::truncated_body;  // check_answer already requires a body
    got = &peer->map;
  }
  mapping_info info;
  info.mapping_nonce = got->mapping_nonce;
  info.protocol = got->protocol == protocol_udp ? core::ip_protocol::udp : core::ip_protocol::tcp;
  info.internal_port = got->internal_port;
  info.external_port = got->external_port;
  info.external_address = from_pcp_address(got->external_address);
  info.lifetime = resp->lifetime;
  info.epoch = resp->epoch;
  info.gateway_lost_state = lost_state_in_last_answer_;
  info.op = op;
  info.third_party = params.third_party;
  info.remote_peer = params.remote_peer;
  co_return info;
}

asio::awaitable<core::result<mapping_info>> client::async_map(const map_params& params) {
  return async_map_or_peer(opcode::map, params);
}

asio::awaitable<core::result<mapping_info>> client::async_peer(const map_params& params) {
  return async_map_or_peer(opcode::peer, params);
}

asio::awaitable<core::result<mapping_info>> client::async_delete(const mapping_info& m) {
  map_params params;
  params.protocol = m.protocol;
  params.internal_port = m.internal_port;
  params.suggested_external_port = m.external_port;
  params.suggested_external_address = m.external_address;
  params.lifetime = 0;
  params.mapping_nonce = m.mapping_nonce;
  params.third_party = m.third_party;
  params.remote_peer = m.remote_peer;
  return async_map_or_peer(m.op, params);
}

core::result<announce_info> client::observe_announcement(byte_span datagram, const asio::ip::udp::endpoint& from) {
  if (!is_gateway(from.address()) || from.port() != options_.port) return errc::foreign_sender;
  auto resp = decode_response(datagram, options_.wire_limits);
  if (!resp) return resp.error();
  if (resp->version != version || resp->op != opcode::announce) return errc::wrong_opcode;
  if (resp->result != result_code::success) return resp->result;
  const bool lost = observe_epoch(resp->epoch);
  return announce_info{resp->epoch, lost};
}

bool client::is_gateway(const asio::ip::address& sender) const noexcept {
  if (sender == options_.gateway) return true;
  // A link-local sender carries the receiving interface's scope id; the route table's next hop may
  // not. Compare the 16 bytes.
  const auto& ll = options_.link_local_gateway;
  return ll && ll->is_v6() && sender.is_v6() && sender.to_v6().is_link_local() &&
         sender.to_v6().to_bytes() == ll->to_v6().to_bytes();
}

}  // namespace natpunch::pcp
