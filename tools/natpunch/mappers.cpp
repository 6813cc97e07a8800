#include <array>

#include "mapper.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/natpmp/client.hpp"
#include "natpunch/pcp/client.hpp"

namespace natpunch::cli {
namespace {

class natpmp_mapper final : public mapper {
 public:
  natpmp_mapper(asio::any_io_executor executor, const mapper_target& t)
      : target_(t), client_(std::move(executor), options_for(t)) {}

  std::string name() const override { return "natpmp"; }
  asio::ip::address gateway() const override { return target_.gateway; }
  void set_deadline(std::chrono::milliseconds d) override {
    target_.deadline = d;
    client_.set_deadline(d);
  }

  asio::awaitable<core::result<mapping_view>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    // NAT-PMP's map answer has no address, so a second request asks for it. If that answer shows the
    // gateway lost its state in between, the mapping just made is gone too: map once more. The
    // requests share the one deadline (--timeout bounds the whole add).
    const auto end = std::chrono::steady_clock::now() + target_.deadline;
    // Whichever way this ends, later requests (delete, renewals) get the whole deadline again.
    struct restore_deadline {
      natpmp_mapper& m;
      ~restore_deadline() { m.client_.set_deadline(m.target_.deadline); }
    } const restore{*this};
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!arm(end)) co_return core::transport_errc::timed_out;
      auto mapped = co_await client_.async_map(target_.transport, target_.internal_port, suggested, lifetime);
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
      if (ext->gateway_lost_state && attempt == 0) continue;
      co_return mapping_view{"natpmp", mapped->protocol, ext->address, mapped->external_port,
                             client_.local_address(), mapped->internal_port, mapped->lifetime, mapped->epoch,
                             target_.gateway, std::nullopt,
                             std::chrono::duration_cast<std::chrono::microseconds>(map_time + client_.last_exchange().elapsed), std::nullopt, std::nullopt};
    }
    co_return core::transport_errc::closed;  // unreachable: the loop returns on its second pass
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    auto removed = co_await client_.async_delete(target_.transport, target_.internal_port);
    if (!removed) co_return removed.error();
    co_return core::ok;
  }

  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    auto ext = co_await client_.async_external_address();
    if (!ext) co_return ext.error();
    co_return asio::ip::address(ext->address);
  }

  unsolicited observe(core::byte_span datagram, const asio::ip::udp::endpoint& from) override {
    if (from.address() != target_.gateway) return unsolicited::not_from_gateway;
    auto info = client_.observe_announcement(datagram, from);
    // Anything else from the gateway (miniupnpd announces a restart only as a PCP ANNOUNCE) is a hint
    // to revalidate; the renewal's own epoch then decides by the §3.6 rule.
    if (!info) return unsolicited::revalidate;
    const bool changed = info->gateway_lost_state || (last_announced_ && *last_announced_ != info->address);
    last_announced_ = info->address;
    return changed ? unsolicited::renew_now : unsolicited::nothing_new;
  }

  bool take_lost_state() override { return client_.take_lost_state(); }

 private:
  // Gives the next request what is left until `end`; false when nothing is.
  bool arm(std::chrono::steady_clock::time_point end) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    client_.set_deadline(std::min(left, target_.deadline));
    return true;
  }

  // Best effort, a short deadline of its own (the add's may be spent), like the UPnP mapper's. Only
  // async_map calls it; its guard restores the deadline.
  asio::awaitable<void> undo(std::uint16_t internal_port) {
    client_.set_deadline(std::min<std::chrono::milliseconds>(target_.deadline, std::chrono::seconds(2)));
    auto removed = co_await client_.async_delete(target_.transport, internal_port);
    if (removed) {
      core::log::info("removed ", internal_port, "/", core::to_string(target_.transport), ", mapped without its address");
    } else if (removed.error() != core::transport_errc::cancelled) {
      core::log::warn("could not remove ", internal_port, "/", core::to_string(target_.transport), ": ", core::describe(removed.error()));
    }
  }

  static natpmp::client_options options_for(const mapper_target& t) {
    natpmp::client_options o;
    o.gateway = t.gateway.to_v4();
    o.port = t.port;
    o.deadline = t.deadline;
    return o;
  }
  bool mapped_once_ = false;  // a success was returned: later calls renew what the user holds
  mapper_target target_;
  natpmp::client client_;
  std::optional<asio::ip::address_v4> last_announced_;
};

class pcp_mapper final : public mapper {
 public:
  pcp_mapper(asio::any_io_executor executor, const mapper_target& t)
      : target_(t), client_(std::move(executor), options_for(t)) {
    if (t.pcp_nonce_hex) nonce_ = parse_nonce(*t.pcp_nonce_hex);
  }

  std::string name() const override { return "pcp"; }
  asio::ip::address gateway() const override { return target_.gateway; }
  void set_deadline(std::chrono::milliseconds d) override { client_.set_deadline(d); }

  asio::awaitable<core::result<mapping_view>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    pcp::map_params p;
    p.protocol = target_.transport;
    p.internal_port = target_.internal_port;
    p.suggested_external_port = suggested;
    p.lifetime = lifetime;
    // The nonce is chosen before the first MAP is sent, so that an add interrupted before its answer
    // can still be undone; every renewal reuses it (§11.2.1).
    if (!nonce_) nonce_ = pcp::make_nonce();
    p.mapping_nonce = nonce_;
    p.prefer_failure = target_.prefer_failure;
    p.third_party = target_.third_party;
    p.remote_peer = target_.remote;
    for (const auto& f : target_.filters) {
      // The wire's prefix length counts within the 128-bit field: 96 more for an IPv4-mapped address.
      const std::uint8_t wire_length = static_cast<std::uint8_t>(f.prefix_length + (f.address.is_v4() ? 96 : 0));
      p.filters.push_back(pcp::filter_option{wire_length, f.port, pcp::to_pcp_address(f.address)});
    }
    // A renewal suggests the address it holds; with PREFER_FAILURE only the port was asked for, so the
    // address stays "any" (else a new public address would fail every renewal for ever).
    if (last_ && !target_.prefer_failure) p.suggested_external_address = last_->external_address;
    // Only a mapping this process is about to create may be deleted when its answer is rejected.
    p.creates = !last_ && !target_.pcp_nonce_hex;
    // Not `co_await (cond ? a : b)`: GCC 12 destroys such a conditional's coroutine temporary twice
    // (it crashed here; its -Wmismatched-new-delete on the frame was the warning sign).
    core::result<pcp::mapping_info> mapped = pcp::errc::bad_request;
    if (target_.remote) {
      mapped = co_await client_.async_peer(p);
    } else {
      mapped = co_await client_.async_map(p);
    }
    if (!mapped) co_return mapped.error();
    nonce_ = mapped->mapping_nonce;
    last_ = *mapped;
    co_return mapping_view{"pcp", mapped->protocol, mapped->external_address, mapped->external_port,
                           client_.local_address(), mapped->internal_port, mapped->lifetime, mapped->epoch,
                           target_.gateway, to_hex(mapped->mapping_nonce),
                           std::chrono::duration_cast<std::chrono::microseconds>(client_.last_exchange().elapsed), std::nullopt, std::nullopt};
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    pcp::mapping_info m;
    if (last_) {
      m = *last_;
    } else {
      // `delete`: PCP names a mapping by its nonce (§11.1), given by the user from add's output.
      if (!nonce_) co_return pcp::errc::bad_request;
      m.mapping_nonce = *nonce_;
      m.protocol = target_.transport;
      m.internal_port = target_.internal_port;
      m.op = target_.remote ? pcp::opcode::peer : pcp::opcode::map;
      m.third_party = target_.third_party;
      m.remote_peer = target_.remote;
      m.external_address = target_.gateway.is_v4() ? asio::ip::address(asio::ip::address_v4::any())
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

 private:
  static pcp::client_options options_for(const mapper_target& t) {
    pcp::client_options o;
    o.gateway = t.gateway;
    o.port = t.port;
    o.deadline = t.deadline;
    o.schedule = pcp::quick_schedule;
    o.link_local_gateway = t.link_local_gateway;
    return o;
  }
  mapper_target target_;
  pcp::client client_;
  std::optional<pcp::nonce> nonce_;
  std::optional<pcp::mapping_info> last_;
};

}  // namespace

std::unique_ptr<mapper> make_natpmp_mapper(asio::any_io_executor executor, const mapper_target& target) {
  return std::make_unique<natpmp_mapper>(std::move(executor), target);
}

std::unique_ptr<mapper> make_pcp_mapper(asio::any_io_executor executor, const mapper_target& target) {
  return std::make_unique<pcp_mapper>(std::move(executor), target);
}

std::string to_hex(const core::byte_span bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::optional<std::array<std::uint8_t, 12>> parse_nonce(const std::string& hex) {
  if (hex.size() != 24) return std::nullopt;
  std::array<std::uint8_t, 12> out{};
  for (std::size_t i = 0; i < 24; ++i) {
    const char c = hex[i];
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return std::nullopt;
    out[i / 2] = static_cast<std::uint8_t>(out[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return out;
}

}  // namespace natpunch::cli
