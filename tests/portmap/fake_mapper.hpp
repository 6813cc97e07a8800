// A scripted mapper for the manager's tests: each operation answers what the test set, after an
// optional delay (a real timer, a few milliseconds: the tests assert what happened, not how long), or
// never (until cancelled). It counts its calls and remembers what it was asked.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/portmap/mapper.hpp"

namespace natpunch::test {

struct fake_script {
  std::error_code map_error;                  // none: the map succeeds
  std::error_code prepare_error;              // UPnP: the IGD search's outcome
  std::error_code unmap_error;
  std::chrono::milliseconds delay{0};         // before each answer
  bool silent = false;                        // map never answers (until cancelled)
  std::uint16_t granted_port = 0;             // 0: the port asked
};

struct fake_log {
  unsigned maps = 0, prepares = 0, unmaps = 0, cancelled = 0;
  std::vector<std::uint16_t> asked_ports;
  std::optional<portmap::mapping_request> last_request;
};

class fake_mapper final : public portmap::mapper {
 public:
  fake_mapper(portmap::protocol p, fake_script script, std::shared_ptr<fake_log> log, portmap::mapping_request request)
      : proto_(p), script_(script), log_(std::move(log)), request_(std::move(request)) {
    log_->last_request = request_;
  }

  portmap::protocol proto() const override { return proto_; }
  asio::ip::address gateway() const override { return asio::ip::make_address("192.168.1.1"); }
  void set_deadline(std::chrono::milliseconds) override {}

  asio::awaitable<core::result<void>> async_prepare() override {
    ++log_->prepares;
    const bool answered = co_await wait();
    if (!answered) co_return core::transport_errc::cancelled;
    if (script_.prepare_error) co_return script_.prepare_error;
    co_return core::ok;
  }

  asio::awaitable<core::result<portmap::mapping>> async_map(std::uint16_t suggested, std::uint32_t lifetime) override {
    ++log_->maps;
    log_->asked_ports.push_back(suggested);
    const bool answered = co_await wait(script_.silent);
    if (!answered) {
      ++log_->cancelled;
      co_return core::transport_errc::cancelled;
    }
    if (script_.map_error) co_return script_.map_error;
    portmap::mapping m;
    m.proto = proto_;
    m.transport = request_.transport;
    m.external_ip = asio::ip::make_address("11.0.0.5");
    m.external_port = script_.granted_port ? script_.granted_port : suggested;
    m.internal_ip = asio::ip::make_address("192.168.1.20");
    m.internal_port = request_.internal_port;
    m.lifetime = lifetime;
    m.granted_at = std::chrono::system_clock::now();
    m.gateway = gateway();
    if (proto_ == portmap::protocol::pcp) m.nonce = request_.nonce.value_or(pcp::nonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    if (proto_ == portmap::protocol::upnp) {
      m.igd = "http://192.168.1.1:5000/rootDesc.xml";
      m.description = request_.description;
    }
    co_return m;
  }

  asio::awaitable<core::result<void>> async_unmap() override {
    ++log_->unmaps;
    if (script_.unmap_error) co_return script_.unmap_error;
    co_return core::ok;
  }
  asio::awaitable<core::result<asio::ip::address>> async_external_address() override {
    co_return asio::ip::make_address("11.0.0.5");
  }
  portmap::unsolicited observe(core::byte_span, const asio::ip::udp::endpoint&) override {
    return portmap::unsolicited::not_from_gateway;
  }
  bool take_lost_state() override { return false; }
  std::optional<portmap::known_igd> igd() const override {
    if (proto_ != portmap::protocol::upnp) return std::nullopt;
    return portmap::known_igd{"http://192.168.1.1:5000/rootDesc.xml", "uuid:fake", "urn:schemas-upnp-org:service:WANIPConnection:2",
                              "http://192.168.1.1:5000/ctl/IPConn", 2};
  }

 private:
  // The scripted delay (or forever); false when cancelled first.
  asio::awaitable<bool> wait(bool forever = false) {
    co_await asio::this_coro::throw_if_cancelled(false);
    if (script_.delay.count() == 0 && !forever) co_return true;
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(forever ? std::chrono::hours(1) : script_.delay);
    auto [ec] = co_await t.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    co_return !ec;
  }

  portmap::protocol proto_;
  fake_script script_;
  std::shared_ptr<fake_log> log_;
  portmap::mapping_request request_;
};

}  // namespace natpunch::test
