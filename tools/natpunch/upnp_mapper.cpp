// The mapper over UPnP IGD: add, delete, external-ip and add --keep, written once in commands.cpp and
// keep.cpp, work over UPnP through this adapter. The IGD is found on first use and kept.
#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/ssdp/error.hpp"
#include "upnp.hpp"

namespace natpunch::cli {
namespace {

class upnp_mapper final : public mapper {
 public:
  upnp_mapper(asio::any_io_executor executor, const mapper_target& t, upnp_target where, std::string description)
      : target_(t), where_(std::move(where)), description_(std::move(description)),
        client_(std::move(executor), options_for(t)) {}

  std::string name() const override { return "upnp"; }
  // The IGD once found; before (a failed description), the --igd URL's host, else the default gateway.
  asio::ip::address gateway() const override {
    if (session_) return session_->gw.address;
    if (where_.igd_url) {
      if (auto u = soap::parse_url(*where_.igd_url)) {
        if (auto a = soap::literal_address(*u)) return *a;
      }
    }
    return where_.gateway ? asio::ip::address(*where_.gateway) : asio::ip::address();
  }
  // Each operation (a map with its discovery, fallbacks and read-back; a delete) gets `d` in all.
  void set_deadline(std::chrono::milliseconds d) override { target_.deadline = d; }

  asio::awaitable<core::result<mapping_view>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    const auto start = std::chrono::steady_clock::now();
    begin_operation();
    map_called_ = true;
    if (auto ec = co_await ensure_session()) co_return ec;
    if (!session_->local.is_v4()) co_return soap::errc::bad_value;  // IGD port mappings are IPv4
    soap::port_mapping wanted;
    wanted.external_port = last_ ? last_->external_port : suggested;
    wanted.protocol = target_.transport;
    wanted.internal_port = target_.internal_port;
    wanted.internal_client = session_->local.to_string();
    wanted.description = description_;
    wanted.lease_duration = lifetime;
    const bool first = !last_;
    if (first) client_.clear_sent_adds();
    auto added = co_await client_.async_add(session_->gw, wanted, target_.prefer_failure);
    if (!added) {
      // A first add that failed after an Add* was sent (a timeout, a broken answer) may have left a
      // mapping: remove it. Not after Ctrl-C (the caller undoes it) and not on a renewal (the mapping
      // held until now must stay).
      if (first && added.error() != core::transport_errc::cancelled) co_await undo_sent_adds();
      co_return added.error();
    }
    auto external = co_await client_.async_external_ip(session_->gw);
    if (!external) {
      if (first && external.error() != core::transport_errc::cancelled) {
        last_ = added->mapping;
        co_await undo_sent_adds();
        last_.reset();
      }
      co_return external.error();
    }
    const auto& m = added->mapping;
    last_ = m;
    mapping_view v;
    v.protocol = "upnp";
    v.transport = m.protocol;
    v.external_ip = *external;
    v.external_port = m.external_port;
    std::error_code ec;
    const auto internal = asio::ip::make_address(m.internal_client, ec);
    v.internal_ip = ec ? session_->local : internal;
    v.internal_port = m.internal_port;
    v.lifetime = m.lease_duration;
    v.gateway = session_->gw.address;
    v.description = m.description;
    v.igd = soap::to_string(session_->gw.location);
    v.gateway_time = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    co_return v;
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    begin_operation();
    if (map_called_ && !last_) {
      // Undoing an interrupted add: only what an Add* was sent for may go, never a mapping that was
      // there before (another client's, an earlier add's). Nothing sent: nothing to undo.
      co_await undo_sent_adds();
      co_return core::ok;
    }
    if (auto ec = co_await ensure_session()) co_return ec;
    // `delete`: the port asked; after an add: the port the gateway granted.
    const std::uint16_t port = last_ ? last_->external_port : target_.external_port.value_or(target_.internal_port);
    co_return co_await client_.async_delete(session_->gw, port, target_.transport);
  }

  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    begin_operation();
    if (auto ec = co_await ensure_session()) co_return ec;
    co_return co_await client_.async_external_ip(session_->gw);
  }

  // SSDP NOTIFYs arrive on port 1900, not on the NAT-PMP/PCP announcement port: nothing to hear there.
  bool hears_announcements() const override { return false; }
  unsolicited observe(core::byte_span, const asio::ip::udp::endpoint&) override { return unsolicited::not_from_gateway; }
  bool take_lost_state() override { return false; }

  std::string gateway_text() const override {
    const auto& f = client_.last_fault();
    if (f) return f->description;
    const auto& status = client_.last_unexpected_status();
    return status.empty() ? std::string() : "HTTP " + status;
  }

 private:
  static soap::client_options options_for(const mapper_target& t) {
    soap::client_options o;
    o.deadline = t.deadline;
    return o;
  }

  // Best effort, a short deadline of its own (the operation's may be spent): deletes every port an
  // Add* was sent for in this first add. Failures are logged; the caller reports the add's own error.
  asio::awaitable<void> undo_sent_adds() {
    if (!session_ || client_.sent_adds().empty()) co_return;
    client_.set_overall_deadline(std::chrono::steady_clock::now() +
                                 std::min<std::chrono::milliseconds>(target_.deadline, std::chrono::seconds(2)));
    const auto sent = client_.sent_adds();
    for (const auto& [port, protocol] : sent) {
      auto removed = co_await client_.async_delete(session_->gw, port, protocol);
      if (removed) {
        core::log::info("removed ", port, "/", core::to_string(protocol), ", which the failed add may have made");
      } else if (removed.error() == core::transport_errc::cancelled) {
        co_return;
      } else {
        core::log::warn("could not remove ", port, "/", core::to_string(protocol), " after the failed add: ",
                        core::describe(removed.error()));
      }
    }
    client_.clear_sent_adds();
  }

  void begin_operation() {
    client_.set_overall_deadline(std::chrono::steady_clock::now() + target_.deadline);
    where_.deadline = target_.deadline;
  }

  asio::awaitable<std::error_code> ensure_session() {
    if (session_) co_return std::error_code{};
    auto found = co_await async_find_igd(client_, where_);
    if (!found) co_return found.error();
    session_ = std::move(*found);
    co_return std::error_code{};
  }

  mapper_target target_;
  upnp_target where_;
  std::string description_;
  soap::client client_;
  std::optional<upnp_session> session_;
  std::optional<soap::port_mapping> last_;
  bool map_called_ = false;
};

}  // namespace

std::unique_ptr<mapper> make_upnp_mapper(asio::any_io_executor executor, const mapper_target& target,
                                         const upnp_target& where, std::string description) {
  return std::make_unique<upnp_mapper>(std::move(executor), target, where, std::move(description));
}

}  // namespace natpunch::cli
