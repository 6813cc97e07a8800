// The common UDP request/response exchange used by NAT-PMP, PCP and unicast SSDP: send a request,
// retransmit on a schedule, accept only an answer from the exact address and port asked, give up at
// an overall deadline, and stop at once when the caller cancels.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <system_error>

#include <asio/awaitable.hpp>
#include <asio/ip/udp.hpp>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/result.hpp"

namespace natpunch::core {

// When to send again. Interval n is initial × factor^n, capped at max_interval, each scaled by a random
// factor in [1 − jitter, 1 + jitter]. NAT-PMP (RFC 6886 §3.1): 250 ms doubling, 9 sends, no jitter.
// PCP (RFC 6887 §8.1.1): 3 s doubling, capped at 1024 s, jitter 0.1.
struct retransmission_schedule {
  std::chrono::milliseconds initial{250};
  double factor = 2.0;
  std::chrono::milliseconds max_interval{std::chrono::hours(24)};
  unsigned max_sends = 9;
  double jitter = 0.0;

  // Interval after send number `n` (0-based), before jitter.
  [[nodiscard]] std::chrono::milliseconds interval(unsigned n) const noexcept;
};

struct exchange_options {
  retransmission_schedule schedule;
  // Overall wall-clock limit from the first send: no schedule, flood or slow peer extends it.
  std::chrono::milliseconds deadline{std::chrono::seconds(10)};
  // Largest datagram read; a larger one is ignored as malformed (PCP's maximum is 1100 bytes).
  std::size_t max_datagram = 1100;
};

// Decides whether a datagram from the peer answers this request: an empty error_code accepts it; an
// error ignores it (a stale answer to an earlier request, garbage) and the exchange keeps waiting. If
// the deadline passes after something was ignored, the last reason is the exchange's error, so the user
// sees "answer has version 2" rather than a bare timeout.
using answer_check = std::function<std::error_code(byte_span)>;

struct exchange_reply {
  bytes payload;
  unsigned sends = 0;            // requests sent, the first one included
  unsigned ignored = 0;          // datagrams from the peer that the check rejected
  unsigned foreign = 0;          // datagrams from any other address or port (dropped unread)
  std::chrono::steady_clock::duration elapsed{};
};

// Runs one exchange on `socket` (open, possibly connected to `peer`). Errors: transport_errc::timed_out,
// cancelled, connection_refused (ICMP port unreachable on a connected socket), network_unreachable,
// or the last reason `check` gave. Never throws for network conditions. After a socket-level error
// (not a timeout, cancellation or a check's reason) the socket is closed: a connected socket may then
// hold a stale source address (an interface gone, a DHCP change), so the caller opens it again.
asio::awaitable<result<exchange_reply>> async_udp_exchange(asio::ip::udp::socket& socket,
                                                           asio::ip::udp::endpoint peer, byte_span request,
                                                           answer_check check, exchange_options options);

struct datagram_received {
  std::size_t size = 0;  // may exceed the buffer by nothing: a datagram larger than it is cut (see below)
  asio::ip::udp::endpoint from;
};

// Waits for one datagram on `socket` until `deadline`. A datagram that arrives in the same instant the
// deadline passes is still returned. Size the buffer one byte larger than the largest acceptable
// datagram to detect an oversize one. Errors: transport_errc::timed_out, cancelled (the caller's
// cancellation; never thrown), or the OS error (classified; the socket is left open).
asio::awaitable<result<datagram_received>> async_receive_before(asio::ip::udp::socket& socket,
                                                                std::span<std::uint8_t> buffer,
                                                                std::chrono::steady_clock::time_point deadline);

// Maps a socket error from the OS to transport_errc where one fits; other errors pass through.
std::error_code classify_socket_error(const std::error_code& ec) noexcept;

// Opens `socket` (closed) for `peer`'s family and connects it: the kernel then drops datagrams from
// anyone else, reports ICMP port unreachable as connection_refused, and picks the local address that
// faces the peer. On failure the socket is closed again and the classified error returned.
std::error_code open_connected(asio::ip::udp::socket& socket, const asio::ip::udp::endpoint& peer);


}  // namespace natpunch::core
