// NAT-PMP client (RFC 6886): the only NAT-PMP code that touches a socket. One client talks to one
// gateway over one UDP socket and keeps the gateway's epoch (§3.6) across requests, so a caller that
// keeps mappings alive learns when the gateway has lost them.
#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/udp.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/core/udp_exchange.hpp"
#include "natpunch/natpmp/codec.hpp"

namespace natpunch::natpmp {

struct client_options {
  asio::ip::address_v4 gateway;
  std::uint16_t port = server_port;  // only tests and simulators use another port
  // §3.1: first resend after 250 ms, doubling, at most 9 sends (about 128 s in all).
  core::retransmission_schedule schedule{std::chrono::milliseconds(250), 2.0, std::chrono::hours(24), 9, 0.0};
  // Total time one request may take; one-shot CLI use shortens this, a long-lived keeper keeps it.
  std::chrono::milliseconds deadline{std::chrono::milliseconds(127'750)};
};

struct external_address_info {
  asio::ip::address_v4 address;
  std::uint32_t epoch = 0;
  bool gateway_lost_state = false;  // §3.6: the epoch shows a reboot since this client's last answer
};

struct mapping_info {
  core::ip_protocol protocol = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::uint16_t external_port = 0;   // 0 after a delete
  std::uint32_t lifetime = 0;        // granted, seconds; 0 after a delete
  std::uint32_t epoch = 0;
  bool gateway_lost_state = false;
};

class client {
 public:
  client(asio::any_io_executor executor, client_options options);

  // §3.2: the gateway's external IPv4 address. Rejects 0.0.0.0, loopback, multicast and broadcast.
  asio::awaitable<core::result<external_address_info>> async_external_address();

  // §3.3: create or renew a mapping. The gateway may grant another external port or lifetime.
  asio::awaitable<core::result<mapping_info>> async_map(core::ip_protocol protocol, std::uint16_t internal_port,
                                                        std::uint16_t suggested_external_port,
                                                        std::uint32_t lifetime);

  // §3.4: delete the mapping of `internal_port` (lifetime 0, suggested external port 0).
  asio::awaitable<core::result<mapping_info>> async_delete(core::ip_protocol protocol, std::uint16_t internal_port);

  // §3.2.1: a gateway multicasts an external address response to 224.0.0.1:5350 when it starts and when
  // its address changes. Judges one such datagram: it must come from the gateway's address and port
  // 5351 and be a well-formed successful external address response; its epoch feeds the same §3.6
  // tracker as answers do, so a reboot shows as gateway_lost_state. Anything else is an error to ignore.
  core::result<external_address_info> observe_announcement(byte_span datagram, const asio::ip::udp::endpoint& from);

  // True once since the last call if any observation (an answer of any kind, or an announcement) showed
  // by the §3.6 rule that the gateway lost its state; reading clears it. A keeper uses this so that a
  // reboot seen first in an announcement or in a refusal is still reported with its renewal.
  [[nodiscard]] bool take_lost_state() noexcept { return std::exchange(lost_state_pending_, false); }

  // The local address facing the gateway (known after the first request; unspecified before).
  [[nodiscard]] asio::ip::address local_address() const;
  [[nodiscard]] const client_options& options() const noexcept { return options_; }
  // Shortens (or lengthens) the time each later request may take, e.g. what is left of a CLI's --timeout.
  void set_deadline(std::chrono::milliseconds deadline) noexcept { options_.deadline = deadline; }
  [[nodiscard]] const core::exchange_reply& last_exchange() const noexcept { return last_exchange_; }

 private:
  // Sends `req`, waits for its answer, applies check_answer and the epoch rule.
  asio::awaitable<core::result<response>> async_request(const request& req);
  std::error_code ensure_open();

  client_options options_;
  asio::ip::udp::socket socket_;
  epoch_tracker epoch_;
  bool observe_epoch(std::uint32_t epoch);

  bool lost_state_in_last_answer_ = false;
  bool lost_state_pending_ = false;
  core::exchange_reply last_exchange_;
};

}  // namespace natpunch::natpmp
