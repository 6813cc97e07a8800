// `auto`: the mapper that finds whichever protocol the gateway speaks (mapper.hpp says the rule).
// PCP (then NAT-PMP) is asked while SSDP and the IGD's description run beside it, so a UPnP-only
// gateway costs no extra wait, and a PCP gateway is never mapped twice: UPnP only maps once PCP and
// NAT-PMP have failed, or gave no answer at all for pcp_grace_ while an IGD stood ready.
#include <memory>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/natpmp/codec.hpp"
#include "natpunch/pcp/error.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/portmap/mapper.hpp"

namespace natpunch::portmap {
namespace {

namespace log = core::log;
using std::chrono::milliseconds;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

// The UPnP side, searched for beside PCP; shared with its detached task, which may outlive a map.
struct upnp_probe {
  explicit upnp_probe(asio::any_io_executor ex) : go(ex), wake(ex) {}
  std::shared_ptr<mapper> upnp;
  asio::steady_timer go;                // the search waits on it for its head start; cancelled: go now
  std::optional<std::error_code> done;  // set when the IGD is found (no error) or not
  asio::steady_timer wake;              // cancelled when `done` is set
  asio::cancellation_signal cancel;
};

// Whichever way a decision ends, a search still running is stopped (its detached task then ends too).
struct cancel_probe_on_exit {
  upnp_probe& p;
  ~cancel_probe_on_exit() {
    if (!p.done) p.cancel.emit(asio::cancellation_type::terminal);
  }
};

asio::awaitable<bool> cancelled() {
  co_return (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
}

// Waits until the probe is done or `until`; false if cancelled meanwhile.
asio::awaitable<bool> wait_probe(std::shared_ptr<upnp_probe> probe, clock::time_point until) {
  while (!probe->done && clock::now() < until) {
    probe->wake.expires_at(until);
    co_await probe->wake.async_wait(use_tuple);
    const bool stop = co_await cancelled();
    if (stop) co_return false;
  }
  co_return true;
}

std::string said(const std::error_code& ec) { return ec ? core::describe(ec) : std::string("answered"); }

class auto_mapper final : public mapper {
 public:
  auto_mapper(asio::any_io_executor ex, const portmap::gateway& gw, const mapping_request& r, milliseconds deadline,
              auto_options options)
      : ex_(std::move(ex)), gw_(gw), request_(r), deadline_(deadline), preferred_(options.preferred),
        known_(std::move(options.known)), trace_(std::move(options.trace)), pcp_grace_(options.pcp_grace),
        head_start_(options.head_start),
        make_(std::move(options.make)) {}

  protocol proto() const override { return current() ? current()->proto() : protocol::pcp; }
  asio::ip::address gateway() const override {
    if (current()) return current()->gateway();
    if (gw_.address) return *gw_.address;
    return gw_.igd.gateway ? asio::ip::address(*gw_.igd.gateway) : asio::ip::address();
  }
  void set_deadline(milliseconds d) override {
    deadline_ = d;
    if (current()) current()->set_deadline(d);
  }

  asio::awaitable<core::result<mapping>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    if (chosen_) co_return co_await chosen_->async_map(suggested, lifetime);
    co_return co_await choose_and_map(suggested, lifetime);
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    if (!current()) co_return core::ok;  // nothing was sent: nothing to undo
    current()->set_deadline(deadline_);
    co_return co_await current()->async_unmap();
  }

  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    if (chosen_) co_return co_await chosen_->async_external_address();
    co_return co_await choose_and_ask_address();
  }

  bool hears_announcements() const override { return current() && current()->hears_announcements(); }
  unsolicited observe(core::byte_span d, const asio::ip::udp::endpoint& from) override {
    return current() ? current()->observe(d, from) : unsolicited::not_from_gateway;
  }
  bool take_lost_state() override { return current() && current()->take_lost_state(); }
  std::string gateway_text() const override { return current() ? current()->gateway_text() : std::string(); }
  std::optional<known_igd> igd() const override { return current() ? current()->igd() : std::nullopt; }
  std::optional<std::uint32_t> epoch() const override { return current() ? current()->epoch() : std::nullopt; }

 private:
  // The mapper chosen, else the last one asked (a Ctrl-C undo goes to it).
  mapper* current() const { return chosen_ ? chosen_.get() : attempted_.get(); }

  void trace(const std::string& line) const {
    log::info("auto: ", line);
    if (trace_) trace_(line);
  }

  milliseconds left() const {
    return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(end_ - clock::now()));
  }

  // UPnP port mappings are IPv4: an IPv6 gateway has none to offer; PCP-only options have no UPnP form.
  // A --gateway with a port of its own names a PCP/NAT-PMP server (a simulator, a test): no SSDP then.
  bool can_upnp() const {
    const bool v4 = !gw_.address || (gw_.address->is_v4() && gw_.port == natpmp::server_port);
    const auto only = request_.pcp_only_option();
    return v4 && (gw_.igd.gateway || gw_.igd.igd_url) && (only.empty() || only == "--prefer-failure");
  }

  std::shared_ptr<mapper> make(protocol p, milliseconds deadline) {
    if (make_) return make_(p, deadline);
    switch (p) {
      case protocol::pcp: return make_pcp_mapper(ex_, gw_, request_, deadline);
      case protocol::natpmp: return make_natpmp_mapper(ex_, gw_, request_, deadline);
      case protocol::upnp: return make_upnp_mapper(ex_, gw_, request_, deadline, known_);
    }
    return nullptr;
  }

  // Starts the UPnP search beside PCP: SSDP and the description, no mapping. It gives PCP a head
  // start of `head_start` (cut short by go_now): a gateway serves one request at a time, and an
  // M-SEARCH just before the PCP request delayed miniupnpd's PCP answer from ~10 to ~16 ms
  // (tests/lab/bench_auto.sh); a PCP gateway answers well within it, so it is never searched at all.
  std::shared_ptr<upnp_probe> start_probe(milliseconds head_start) {
    auto probe = std::make_shared<upnp_probe>(ex_);
    probe->upnp = make(protocol::upnp, left());
    probe->go.expires_after(head_start);
    asio::co_spawn(
        ex_,
        [probe]() -> asio::awaitable<void> {
          co_await asio::this_coro::throw_if_cancelled(false);
          co_await probe->go.async_wait(use_tuple);
          const bool stopped = co_await cancelled();
          if (stopped) {
            probe->done = make_error_code(core::transport_errc::cancelled);
            probe->wake.cancel();
            co_return;
          }
          auto found = co_await probe->upnp->async_prepare();
          probe->done = found ? std::error_code{} : found.error();
          probe->wake.cancel();
        },
        asio::bind_cancellation_slot(probe->cancel.slot(), asio::detached));
    return probe;
  }

  // Ends once an IGD has answered and PCP/NAT-PMP stayed silent for pcp_grace_; never, if no IGD does
  // (then the PCP side ends by its own deadline).
  // True only then; false when cancelled (a stop, or PCP's own end: the `||` cancels the loser).
  asio::awaitable<bool> give_up_on_pcp(std::shared_ptr<upnp_probe> probe, clock::time_point started) {
    co_await asio::this_coro::throw_if_cancelled(false);
    const bool waited = co_await wait_probe(probe, end_ + pcp_grace_);
    if (!waited) co_return false;
    if (!probe->done || *probe->done) {
      asio::steady_timer forever(ex_, end_ + pcp_grace_);
      co_await forever.async_wait(use_tuple);
      co_return false;
    }
    asio::steady_timer grace(ex_, std::max(clock::now(), started + pcp_grace_));
    auto [ec] = co_await grace.async_wait(use_tuple);
    const bool stopped = co_await cancelled();
    co_return !ec && !stopped && probe->done && !*probe->done;
  }

  // The PCP or NAT-PMP request given up on may still have made a mapping that its answer never told
  // of: delete it, best effort and detached (a short deadline of its own), so one request never leaves
  // two mappings.
  void abandon(std::shared_ptr<mapper> m) {
    if (!m) return;
    m->set_deadline(std::chrono::milliseconds(500));
    asio::co_spawn(
        ex_,
        [m]() -> asio::awaitable<void> {
          co_await asio::this_coro::throw_if_cancelled(false);
          auto removed = co_await m->async_unmap();
          if (!removed) log::debug("auto: undoing the abandoned ", to_string(m->proto()), " request: ", core::describe(removed.error()));
        },
        asio::detached);
  }

  // PCP, then NAT-PMP when the gateway says it speaks only that.
  asio::awaitable<core::result<mapping>> map_pcp_or_natpmp(std::uint16_t suggested, std::uint32_t lifetime) {
    co_await asio::this_coro::throw_if_cancelled(false);
    attempted_ = make(protocol::pcp, left());
    auto mapped = co_await attempted_->async_map(suggested, lifetime);
    trace("PCP: " + said(mapped ? std::error_code{} : mapped.error()));
    if (mapped || mapped.error() != pcp::errc::natpmp_only || !gw_.address->is_v4()) co_return mapped;
    // RFC 6887 §9 / RFC 6886 §3.5: the gateway answered our PCP request with NAT-PMP's "unsupported version".
    if (!request_.pcp_only_option().empty()) co_return errc::needs_pcp;
    attempted_ = make(protocol::natpmp, left());
    mapped = co_await attempted_->async_map(suggested, lifetime);
    trace("NAT-PMP: " + said(mapped ? std::error_code{} : mapped.error()));
    co_return mapped;
  }

  // Maps over the probe's IGD (the deadline's rest), or returns why not.
  asio::awaitable<core::result<mapping>> map_upnp(upnp_probe& probe, std::uint16_t suggested, std::uint32_t lifetime) {
    attempted_ = probe.upnp;
    attempted_->set_deadline(left());
    auto mapped = co_await attempted_->async_map(suggested, lifetime);
    trace("UPnP IGD: " + said(mapped ? std::error_code{} : mapped.error()));
    if (mapped) chosen_ = attempted_;
    co_return mapped;
  }

  // The rule, for a map and for the external address alike: `primary` asks PCP/NAT-PMP, `over_upnp`
  // asks the probe's IGD.
  template <typename T, typename Primary, typename OverUpnp>
  asio::awaitable<core::result<T>> decide(Primary primary, OverUpnp over_upnp) {
    using namespace asio::experimental::awaitable_operators;
    const auto started = clock::now();
    end_ = started + deadline_;
    if (!gw_.address) {
      // No default route for PCP and NAT-PMP (or an --igd alone): UPnP is all there is.
      if (!can_upnp()) co_return gw_.route_error ? gw_.route_error : make_error_code(errc::no_gateway);
      auto probe = start_probe(milliseconds(0));
      const cancel_probe_on_exit guard{*probe};
      // The probe's search must end before the map uses the same mapper (one IGD session, one client).
      const bool waited = co_await wait_probe(probe, end_);
      if (!waited) co_return core::transport_errc::cancelled;
      if (!probe->done) co_return core::transport_errc::timed_out;
      if (*probe->done) co_return *probe->done;
      co_return co_await over_upnp(*probe);
    }
    if (!can_upnp()) co_return co_await primary();

    auto probe = start_probe(head_start_);
    const cancel_probe_on_exit guard{*probe};
    auto first = co_await (primary() || give_up_on_pcp(probe, started));
    const bool stopped = co_await cancelled();
    if (first.index() == 1) {
      // A stop ends both: the PCP request in flight is what an undo must name (attempted_ kept).
      if (stopped) co_return core::transport_errc::cancelled;
      if (!std::get<1>(first)) co_return errc::no_protocol_answered;
      trace("no PCP or NAT-PMP answer in " + std::to_string(pcp_grace_.count()) + " ms while an IGD answered: using UPnP");
      abandon(std::exchange(attempted_, nullptr));
      co_return co_await over_upnp(*probe);
    }
    auto answer = std::get<0>(std::move(first));
    if (answer) co_return answer;
    const auto why = answer.error();
    // A stop, or an option only PCP carries: no UPnP.
    if (why == core::transport_errc::cancelled || why == errc::needs_pcp) co_return answer;
    probe->go.cancel();  // no PCP: the IGD search need not wait out its head start
    const bool waited = co_await wait_probe(probe, end_);
    if (!waited) co_return core::transport_errc::cancelled;
    trace("UPnP IGD search: " + (probe->done ? said(*probe->done) : std::string("no answer yet")));
    if (!probe->done || *probe->done) {
      // Nobody usable: say so plainly when nothing answered at all, else PCP/NAT-PMP's own answer.
      if (why.category() == core::transport_category()) co_return errc::no_protocol_answered;
      co_return answer;
    }
    co_return co_await over_upnp(*probe);
  }

  asio::awaitable<core::result<mapping>> choose_and_map(std::uint16_t suggested, std::uint32_t lifetime) {
    end_ = clock::now() + deadline_;
    if (preferred_) {
      // The protocol that served this gateway last, alone first (UPnP: its IGD from the record, no
      // SSDP). PCP and NAT-PMP get half the deadline: if the gateway changed, the full search still fits.
      const auto p = *std::exchange(preferred_, std::nullopt);
      // An option only PCP carries is never dropped: then only PCP may be asked alone.
      const bool allowed = p == protocol::pcp || request_.pcp_only_option().empty() ||
                           (p == protocol::upnp && request_.pcp_only_option() == "--prefer-failure");
      if (allowed && (p == protocol::upnp ? can_upnp() : gw_.address.has_value())) {
        attempted_ = make(p, p == protocol::upnp ? left() : left() / 2);
        auto mapped = co_await attempted_->async_map(suggested, lifetime);
        trace(std::string(to_string(p)) + " (served this gateway last): " + said(mapped ? std::error_code{} : mapped.error()));
        if (mapped) {
          chosen_ = attempted_;
          co_return mapped;
        }
        if (mapped.error() == core::transport_errc::cancelled) co_return mapped;
        if (p == protocol::upnp) known_.reset();  // it did not serve: the search below starts afresh
        deadline_ = left();
        if (deadline_.count() == 0) co_return mapped;
      }
    }
    auto mapped = co_await decide<mapping>(
        [&]() { return map_pcp_or_natpmp(suggested, lifetime); },
        [&](upnp_probe& probe) { return map_upnp(probe, suggested, lifetime); });
    if (mapped && !chosen_) chosen_ = attempted_;
    if (mapped) trace("chose " + std::string(to_string(chosen_->proto())));
    co_return mapped;
  }

  // PCP has no request for the address alone: NAT-PMP's is asked (every PCP gateway seen also speaks
  // NAT-PMP; RFC 6887 §9 makes that the usual case), beside the IGD search.
  asio::awaitable<core::result<asio::ip::address>> choose_and_ask_address() {
    auto ask_natpmp = [&]() -> asio::awaitable<core::result<asio::ip::address>> {
      co_await asio::this_coro::throw_if_cancelled(false);
      if (!gw_.address->is_v4()) co_return errc::no_protocol_answered;  // NAT-PMP is IPv4 only
      attempted_ = make(protocol::natpmp, left());
      auto address = co_await attempted_->async_external_address();
      trace("NAT-PMP: " + said(address ? std::error_code{} : address.error()));
      if (address) chosen_ = attempted_;
      co_return address;
    };
    auto ask_upnp = [&](upnp_probe& probe) -> asio::awaitable<core::result<asio::ip::address>> {
      attempted_ = probe.upnp;
      attempted_->set_deadline(left());
      auto address = co_await attempted_->async_external_address();
      trace("UPnP IGD: " + said(address ? std::error_code{} : address.error()));
      if (address) chosen_ = attempted_;
      co_return address;
    };
    co_return co_await decide<asio::ip::address>(ask_natpmp, ask_upnp);
  }

  asio::any_io_executor ex_;
  portmap::gateway gw_;
  mapping_request request_;
  milliseconds deadline_;
  std::optional<protocol> preferred_;
  std::optional<known_igd> known_;
  trace_handler trace_;
  milliseconds pcp_grace_;
  milliseconds head_start_;
  mapper_factory make_;
  std::shared_ptr<mapper> attempted_;
  std::shared_ptr<mapper> chosen_;
  clock::time_point end_{};
};

}  // namespace

std::unique_ptr<mapper> make_auto_mapper(asio::any_io_executor executor, const gateway& gw,
                                         const mapping_request& request, std::chrono::milliseconds deadline,
                                         auto_options options) {
  return std::make_unique<auto_mapper>(std::move(executor), gw, request, deadline, std::move(options));
}

}  // namespace natpunch::portmap
