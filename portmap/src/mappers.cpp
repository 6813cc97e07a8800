// The NAT-PMP and PCP adapters of the mapper interface.
#include <array>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/natpmp/client.hpp"
#include "natpunch/pcp/client.hpp"
#include "natpunch/portmap/mapper.hpp"

namespace natpunch::portmap {

asio::awaitable<core::result<void>> mapper::async_prepare() { co_return core::ok; }
asio::awaitable<core::result<std::optional<bool>>> mapper::async_held() { co_return std::optional<bool>{}; }

namespace {

// What a NAT-PMP or PCP gateway granted, as of now. `m` is the protocol's own answer (its transport,
// ports, lifetime and epoch have the same names in both).
template <typename Answer>
mapping granted(protocol p, const Answer& m, const asio::ip::address& external, const asio::ip::address& internal,
                const asio::ip::address& gateway, std::chrono::steady_clock::duration waited) {
  mapping out;
  out.proto = p;
  out.transport = m.protocol;
  out.external_ip = external;
  out.external_port = m.external_port;
  out.internal_ip = internal;
  out.internal_port = m.internal_port;
  out.lifetime = m.lifetime;
  out.granted_at = std::chrono::system_clock::now();
  out.epoch = m.epoch;
  out.gateway = gateway;
  out.gateway_time = std::chrono::duration_cast<std::chrono::microseconds>(waited);
  return out;
}

class natpmp_mapper final : public mapper {
 public:
  natpmp_mapper(asio::any_io_executor executor, const portmap::gateway& gw, const mapping_request& r, std::chrono::milliseconds d)
      : gateway_(*gw.address), request_(r), deadline_(d), client_(std::move(executor), options_for(gw, d)) {}

  protocol proto() const override { return protocol::natpmp; }
  asio::ip::address gateway() const override { return gateway_; }
  void set_deadline(std::chrono::milliseconds d) override {
    deadline_ = d;
    client_.set_deadline(d);
  }

  asio::awaitable<core::result<mapping>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    // NAT-PMP's map answer has no address, so a second request asks for it. If that answer shows the
    // gateway lost its state in between, the mapping just made is gone too: map once more. The
    // requests share the one deadline (--timeout bounds the whole add).
    const auto end = std::chrono::steady_clock::now() + deadline_;
    // Whichever way this ends, later requests (delete, renewals) get the whole deadline again.
    struct restore_deadline {
      natpmp_mapper& m;
      ~restore_deadline() { m.client_.set_deadline(m.deadline_); }
    } const restore{*this};
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!arm(end)) co_return core::transport_errc::timed_out;
      auto mapped = co_await client_.async_map(request_.transport, request_.internal_port, suggested, lifetime);
      if (!mapped) co_return mapped.error();
      const auto map_time = client_.last_exchange().elapsed;
      core::result<natpmp::external_address_info> ext = core::transport_errc::timed_out;
      if (arm(end)) ext = co_await client_.async_external_address();
      if (!ext) {
        // A first mapping without its address is no answer: take it back rather than leave it
        // behind. Not on a renewal (--keep): that would delete the mapping the user holds.
        if (!mapped_once_) co_await undo(mapped->internal_port);
        co_return ext.error();
      }
      mapped_once_ = true;
      epoch_ = ext->epoch;
      if (ext->gateway_lost_state && attempt == 0) continue;
      co_return granted(protocol::natpmp, *mapped, ext->address, client_.local_address(), gateway_,
                        map_time + client_.last_exchange().elapsed);
    }
    co_return core::transport_errc::closed;  // unreachable: the loop returns on its second pass
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    auto removed = co_await client_.async_delete(request_.transport, request_.internal_port);
    if (!removed) co_return removed.error();
    co_return core::ok;
  }

  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    auto ext = co_await client_.async_external_address();
    if (!ext) co_return ext.error();
    epoch_ = ext->epoch;
    co_return asio::ip::address(ext->address);
  }

  unsolicited observe(core::byte_span datagram, const asio::ip::udp::endpoint& from) override {
    if (from.address() != gateway_) return unsolicited::not_from_gateway;
    auto info = client_.observe_announcement(datagram, from);
    // Anything else from the gateway (miniupnpd announces a restart only as a PCP ANNOUNCE) is a hint
    // to revalidate; the renewal's own epoch then decides by the §3.6 rule.
    if (!info) return unsolicited::revalidate;
    const bool changed = info->gateway_lost_state || (last_announced_ && *last_announced_ != info->address);
    last_announced_ = info->address;
    return changed ? unsolicited::renew_now : unsolicited::nothing_new;
  }

  bool take_lost_state() override { return client_.take_lost_state(); }
  std::optional<std::uint32_t> epoch() const override { return epoch_; }

 private:
  // Gives the next request what is left until `end`; false when nothing is.
  bool arm(std::chrono::steady_clock::time_point end) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    client_.set_deadline(std::min(left, deadline_));
    return true;
  }

  // Best effort, a short deadline of its own (the add's may be spent), like the UPnP mapper's. Only
  // async_map calls it; its guard restores the deadline.
  asio::awaitable<void> undo(std::uint16_t internal_port) {
    client_.set_deadline(std::min<std::chrono::milliseconds>(deadline_, std::chrono::seconds(2)));
    auto removed = co_await client_.async_delete(request_.transport, internal_port);
    if (removed) {
      core::log::info("removed ", internal_port, "/", core::to_string(request_.transport), ", mapped without its address");
    } else if (removed.error() != core::transport_errc::cancelled) {
      core::log::warn("could not remove ", internal_port, "/", core::to_string(request_.transport), ": ", core::describe(removed.error()));
    }
  }

  static natpmp::client_options options_for(const portmap::gateway& gw, std::chrono::milliseconds deadline) {
    natpmp::client_options o;
    o.gateway = gw.address->to_v4();
    o.port = gw.port;
    o.deadline = deadline;
    return o;
  }
  bool mapped_once_ = false;  // a success was returned: later calls renew what the user holds
  std::optional<std::uint32_t> epoch_;
  asio::ip::address gateway_;
  mapping_request request_;
  std::chrono::milliseconds deadline_;
  natpmp::client client_;
  std::optional<asio::ip::address_v4> last_announced_;
};

class pcp_mapper final : public mapper {
 public:
  pcp_mapper(asio::any_io_executor executor, const portmap::gateway& gw, const mapping_request& r, std::chrono::milliseconds d)
      : gateway_(*gw.address), request_(r), nonce_(r.nonce), client_(std::move(executor), options_for(gw, d)) {}

  protocol proto() const override { return protocol::pcp; }
  asio::ip::address gateway() const override { return gateway_; }
  void set_deadline(std::chrono::milliseconds d) override { client_.set_deadline(d); }

  asio::awaitable<core::result<mapping>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    pcp::map_params p;
    p.protocol = request_.transport;
    p.internal_port = request_.internal_port;
    p.suggested_external_port = suggested;
    p.lifetime = lifetime;
    // The nonce is chosen before the first MAP is sent, so that an add interrupted before its answer
    // can still be undone; every renewal reuses it (§11.2.1).
    if (!nonce_) nonce_ = pcp::make_nonce();
    p.mapping_nonce = nonce_;
    p.prefer_failure = request_.prefer_failure;
    p.third_party = request_.third_party;
    p.remote_peer = request_.remote;
    p.filters = request_.filters;
    // A renewal suggests the address it holds; with PREFER_FAILURE only the port was asked for, so the
    // address stays "any" (else a new public address would fail every renewal for ever).
    if (last_ && !request_.prefer_failure) p.suggested_external_address = last_->external_address;
    // Only a mapping this process is about to create may be deleted when its answer is rejected (not
    // one renewed by its recorded or given nonce).
    p.creates = !last_ && !request_.nonce;
    // Not `co_await (cond ? a : b)`: GCC 12 destroys such a conditional's coroutine temporary twice
    // (it crashed here; its -Wmismatched-new-delete on the frame was the warning sign).
    core::result<pcp::mapping_info> mapped = pcp::errc::bad_request;
    if (request_.remote) {
      mapped = co_await client_.async_peer(p);
    } else {
      mapped = co_await client_.async_map(p);
    }
    if (!mapped) co_return mapped.error();
    nonce_ = mapped->mapping_nonce;
    last_ = *mapped;
    auto out = granted(protocol::pcp, *mapped, mapped->external_address, client_.local_address(), gateway_,
                       client_.last_exchange().elapsed);
    out.nonce = mapped->mapping_nonce;
    co_return out;
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    pcp::mapping_info m;
    if (last_) {
      m = *last_;
    } else {
      // `delete`: PCP names a mapping by its nonce (§11.1), from the record or given by the user.
      if (!nonce_) co_return pcp::errc::bad_request;
      m.mapping_nonce = *nonce_;
      m.protocol = request_.transport;
      m.internal_port = request_.internal_port;
      m.op = request_.remote ? pcp::opcode::peer : pcp::opcode::map;
      m.third_party = request_.third_party;
      m.remote_peer = request_.remote;
      m.external_address = gateway_.is_v4() ? asio::ip::address(asio::ip::address_v4::any())
                                                   : asio::ip::address(asio::ip::address_v6::any());
    }
    auto removed = co_await client_.async_delete(m);
    if (!removed) co_return removed.error();
    co_return core::ok;
  }

  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    // PCP has no request for the address alone; the MAP answer carries it.
    if (last_) co_return last_->external_address;
    co_return pcp::errc::bad_request;  // the CLI never asks before a MAP (external-ip speaks NAT-PMP)
  }

  unsolicited observe(core::byte_span datagram, const asio::ip::udp::endpoint& from) override {
    if (!client_.is_gateway(from.address())) return unsolicited::not_from_gateway;
    // §14.1.3: an ANNOUNCE means "revalidate" (its epoch also feeds the §8.5 tracker); anything else
    // from the gateway is treated the same, and the renewal's epoch decides.
    (void)client_.observe_announcement(datagram, from);
    return unsolicited::revalidate;
  }

  bool take_lost_state() override { return client_.take_lost_state(); }
  std::optional<std::uint32_t> epoch() const override {
    return last_ ? std::optional<std::uint32_t>(last_->epoch) : std::nullopt;
  }

 private:
  static pcp::client_options options_for(const portmap::gateway& gw, std::chrono::milliseconds deadline) {
    pcp::client_options o;
    o.gateway = *gw.address;
    o.port = gw.port;
    o.deadline = deadline;
    o.schedule = pcp::quick_schedule;
    o.link_local_gateway = gw.link_local;
    return o;
  }
  asio::ip::address gateway_;
  mapping_request request_;
  std::optional<pcp::nonce> nonce_;
  pcp::client client_;
  std::optional<pcp::mapping_info> last_;
};

}  // namespace

std::unique_ptr<mapper> make_natpmp_mapper(asio::any_io_executor executor, const gateway& gw,
                                           const mapping_request& request, std::chrono::milliseconds deadline) {
  return std::make_unique<natpmp_mapper>(std::move(executor), gw, request, deadline);
}

std::unique_ptr<mapper> make_pcp_mapper(asio::any_io_executor executor, const gateway& gw,
                                        const mapping_request& request, std::chrono::milliseconds deadline) {
  return std::make_unique<pcp_mapper>(std::move(executor), gw, request, deadline);
}

}  // namespace natpunch::portmap
