// The mapper over UPnP IGD. The IGD is found on first use (or taken from the record: no SSDP, no
// description GET, while it still answers there) and kept.
#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/netinfo.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/portmap/igd_finder.hpp"
#include "natpunch/portmap/mapper.hpp"
#include "natpunch/soap/error.hpp"
#include "natpunch/soap/igd.hpp"
#include "natpunch/ssdp/error.hpp"

namespace natpunch::portmap {
namespace {

namespace log = core::log;

// A remembered IGD as a described gateway, under the same rules a description passes: the URL's form
// by the trust rule, the control URL on the description's own host and port.
core::result<soap::gateway> gateway_from(const known_igd& k) {
  auto location = soap::check_location(k.location, std::nullopt, std::nullopt);
  if (!location) return location.error();
  auto control = soap::parse_url(k.control_url);
  if (!control) return control.error();
  if (!soap::same_origin(*control, *location)) return soap::errc::foreign_control_url;
  auto host = soap::literal_address(*location);
  if (!host) return soap::errc::untrusted_location;
  soap::gateway gw;
  gw.location = *location;
  gw.address = *host;
  gw.desc.root.udn = k.udn;
  gw.services.igd_version = k.igd_version;
  gw.services.connection.type = k.service_type;
  gw.services.connection.control_url = k.control_url;
  gw.services.connection_version = k.service_type.ends_with(":2") ? 2 : 1;
  gw.services.ppp = k.service_type.find("WANPPPConnection") != std::string::npos;
  gw.connection_control = *control;
  return gw;
}

// An answer from the gateway itself (a UPnP fault) shows the remembered IGD is alive; anything else
// (nothing listening, a timeout, an HTTP error page, garbage) means it may have moved.
bool igd_answered(const std::error_code& ec) {
  return !ec || ec.category() == soap::upnp_error_category() || ec.category() == soap::firewall_error_category() ||
         ec == soap::errc::no_external_address;  // it answered: its WAN is down
}

class upnp_mapper final : public mapper {
 public:
  upnp_mapper(asio::any_io_executor executor, const portmap::gateway& gw, const mapping_request& r,
              std::chrono::milliseconds deadline, std::optional<known_igd> known)
      : where_(gw.igd), request_(r), deadline_(deadline), known_(std::move(known)),
        client_(std::move(executor), options_for(deadline)) {}

  protocol proto() const override { return protocol::upnp; }
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
  void set_deadline(std::chrono::milliseconds d) override { deadline_ = d; }

  asio::awaitable<core::result<void>> async_prepare() override {
    begin_operation();
    if (auto ec = co_await ensure_session()) co_return ec;
    co_return core::ok;
  }

  asio::awaitable<core::result<mapping>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    const auto start = std::chrono::steady_clock::now();
    begin_operation();
    map_called_ = true;
    auto result = co_await map_once(start, suggested, lifetime);
    if (search_again(result ? std::error_code{} : result.error())) result = co_await map_once(start, suggested, lifetime);
    co_return result;
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    begin_operation();
    if (map_called_ && !last_) {
      // Undoing an interrupted add: only what an Add* was sent for may go, never a mapping that was
      // there before (another client's, an earlier add's). Nothing sent: nothing to undo.
      co_await undo_sent_adds();
      co_return core::ok;
    }
    // `delete`: the port asked; after an add: the port the gateway granted.
    const std::uint16_t port = last_ ? last_->external_port : request_.suggested_external_port();
    for (;;) {
      if (auto ec = co_await ensure_session()) co_return ec;
      auto removed = co_await client_.async_delete(session_->gw, port, request_.transport);
      if (!search_again(removed ? std::error_code{} : removed.error())) co_return removed;
    }
  }

  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    begin_operation();
    for (;;) {
      if (auto ec = co_await ensure_session()) co_return ec;
      auto external = co_await client_.async_external_ip(session_->gw);
      if (!search_again(external ? std::error_code{} : external.error())) co_return external;
    }
  }

  asio::awaitable<core::result<std::optional<bool>>> async_held() override {
    begin_operation();
    const std::uint16_t port = last_ ? last_->external_port : request_.suggested_external_port();
    for (;;) {
      if (auto ec = co_await ensure_session()) co_return ec;
      auto entry = co_await client_.async_call(
          session_->gw, soap::get_specific_port_mapping_entry_call("", port, request_.transport));
      const bool again = search_again(entry ? std::error_code{} : entry.error());
      if (entry) {
        auto m = soap::decode_specific_entry(*entry, "", port, request_.transport);
        if (!m) co_return m.error();
        // Held for this host and port: anything else is another host's mapping on that port now.
        std::error_code ec;
        const auto client = asio::ip::make_address(m->internal_client, ec);
        co_return std::optional<bool>(!ec && client == session_->local && m->internal_port == request_.internal_port);
      }
      if (mapping_gone(entry.error())) co_return std::optional<bool>(false);
      if (!again) co_return entry.error();
    }
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

  std::optional<known_igd> igd() const override {
    if (!session_) return std::nullopt;
    const auto& gw = session_->gw;
    return known_igd{soap::to_string(gw.location), gw.desc.root.udn, gw.services.connection.type,
                     soap::to_string(gw.connection_control), gw.services.igd_version};
  }

 private:
  static soap::client_options options_for(std::chrono::milliseconds deadline) {
    soap::client_options o;
    o.deadline = deadline;
    return o;
  }

  asio::awaitable<core::result<mapping>> map_once(std::chrono::steady_clock::time_point start, std::uint16_t suggested,
                                                  std::uint32_t lifetime) {
    if (auto ec = co_await ensure_session()) co_return ec;
    if (!session_->local.is_v4()) co_return soap::errc::bad_value;  // IGD port mappings are IPv4
    soap::port_mapping wanted;
    wanted.external_port = last_ ? last_->external_port : suggested;
    wanted.protocol = request_.transport;
    wanted.internal_port = request_.internal_port;
    wanted.internal_client = session_->local.to_string();
    wanted.description = request_.description;
    wanted.lease_duration = lifetime;
    const bool first = !last_;
    if (first) client_.clear_sent_adds();
    auto added = co_await client_.async_add(session_->gw, wanted, request_.prefer_failure);
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
    mapping v;
    v.proto = protocol::upnp;
    v.transport = m.protocol;
    v.external_ip = *external;
    v.external_port = m.external_port;
    std::error_code ec;
    const auto internal = asio::ip::make_address(m.internal_client, ec);
    v.internal_ip = ec ? session_->local : internal;
    v.internal_port = m.internal_port;
    v.lifetime = m.lease_duration;
    v.granted_at = std::chrono::system_clock::now();
    v.gateway = session_->gw.address;
    v.description = m.description;
    v.igd = soap::to_string(session_->gw.location);
    v.gateway_time = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    co_return v;
  }

  // Best effort, a short deadline of its own (the operation's may be spent): deletes every port an
  // Add* was sent for in this first add. Failures are logged; the caller reports the add's own error.
  asio::awaitable<void> undo_sent_adds() {
    if (!session_ || client_.sent_adds().empty()) co_return;
    client_.set_overall_deadline(std::chrono::steady_clock::now() +
                                 std::min<std::chrono::milliseconds>(deadline_, std::chrono::seconds(2)));
    const auto sent = client_.sent_adds();
    for (const auto& [port, protocol] : sent) {
      auto removed = co_await client_.async_delete(session_->gw, port, protocol);
      if (removed) {
        log::info("removed ", port, "/", core::to_string(protocol), ", which the failed add may have made");
      } else if (removed.error() == core::transport_errc::cancelled) {
        co_return;
      } else {
        log::warn("could not remove ", port, "/", core::to_string(protocol), " after the failed add: ",
                  core::describe(removed.error()));
      }
    }
    client_.clear_sent_adds();
  }

  void begin_operation() {
    operation_end_ = std::chrono::steady_clock::now() + deadline_;
    // Half the deadline while the IGD remembered from the record has not answered yet (also when it was
    // taken by an earlier async_prepare): if it moved, a full search still fits.
    client_.set_overall_deadline(from_record_ ? std::chrono::steady_clock::now() + deadline_ / 2 : operation_end_);
  }

  // After an operation on the IGD remembered from the record: true when it did not answer there (it
  // may have moved) and the session is forgotten, so the caller searches once; an answer of any kind
  // proves it is there (full deadlines from then on).
  bool search_again(const std::error_code& ec) {
    if (!from_record_) return false;
    if (igd_answered(ec)) {
      from_record_ = false;
      return false;
    }
    if (ec == core::transport_errc::cancelled) return false;
    log::info("the remembered IGD ", soap::to_string(session_->gw.location), " did not answer (", core::describe(ec),
              "): searching again");
    forget_session();
    return true;
  }

  void forget_session() {
    session_.reset();
    from_record_ = false;
    client_.set_overall_deadline(operation_end_);
  }

  asio::awaitable<std::error_code> ensure_session() {
    if (session_) co_return std::error_code{};
    if (known_ && !where_.igd_url) {
      auto known = std::exchange(known_, std::nullopt);  // tried once per mapper
      auto gw = gateway_from(*known);
      auto local = gw ? core::local_address_towards(gw->address) : core::result<asio::ip::address>(gw.error());
      if (gw && local) {
        session_ = igd_session{std::move(*gw), *local, std::nullopt};
        from_record_ = true;
        // Half the deadline for the remembered IGD: if it moved, a full search still fits.
        client_.set_overall_deadline(std::chrono::steady_clock::now() + deadline_ / 2);
        log::info("IGD ", known->location, " from the record: ", known->service_type, " at ", known->control_url);
        co_return std::error_code{};
      }
      log::info("the remembered IGD ", known->location, " is unusable: ",
                core::describe(gw ? local.error() : gw.error()));
    }
    auto found = co_await async_find_igd(client_, where_, std::chrono::ceil<std::chrono::milliseconds>(
                                                              operation_end_ - std::chrono::steady_clock::now()));
    if (!found) co_return found.error();
    session_ = std::move(*found);
    co_return std::error_code{};
  }

  igd_search where_;
  mapping_request request_;
  std::chrono::milliseconds deadline_;
  std::optional<known_igd> known_;
  soap::client client_;
  std::optional<igd_session> session_;
  bool from_record_ = false;  // session_ came from the record and has not answered yet
  std::optional<soap::port_mapping> last_;
  bool map_called_ = false;
  std::chrono::steady_clock::time_point operation_end_{};
};

}  // namespace

std::unique_ptr<mapper> make_upnp_mapper(asio::any_io_executor executor, const gateway& gw,
                                         const mapping_request& request, std::chrono::milliseconds deadline,
                                         std::optional<known_igd> known) {
  return std::make_unique<upnp_mapper>(std::move(executor), gw, request, deadline, std::move(known));
}

}  // namespace natpunch::portmap
