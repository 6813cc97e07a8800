#include <doctest/doctest.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/steady_timer.hpp>

#include "../support/loopback.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/core/udp_exchange.hpp"

using namespace natpunch;
using namespace std::chrono_literals;
using core::transport_errc;
using test::bytes;

namespace {

const bytes request{0xaa, 0xbb};
const bytes good{0x01, 0x02, 0x03};

// Accepts only the datagram `good`; anything else is ignored as a stale answer.
std::error_code accept_good(core::byte_span d) {
  return bytes(d.begin(), d.end()) == good ? std::error_code{} : make_error_code(std::errc::bad_message);
}

core::exchange_options fast(unsigned sends = 4, std::chrono::milliseconds deadline = 2s) {
  core::exchange_options o;
  o.schedule = {20ms, 2.0, 24h, sends, 0.0};
  o.deadline = deadline;
  return o;
}

asio::ip::udp::socket open_socket(asio::io_context& io) {
  return asio::ip::udp::socket(io, asio::ip::udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
}

}  // namespace

TEST_CASE("core: udp exchange returns the peer's answer") {
  asio::io_context io;
  test::udp_peer peer(io, [](const bytes& req, unsigned) { return std::vector<bytes>{req == request ? good : bytes{}}; });
  auto socket = open_socket(io);
  auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast()));
  REQUIRE(reply.has_value());
  CHECK(reply->payload == good);
  CHECK(reply->sends == 1);
  CHECK(peer.requests() == std::vector<bytes>{request});
}

TEST_CASE("core: udp exchange retransmits on schedule until answered") {
  asio::io_context io;
  test::udp_peer peer(io, [](const bytes&, unsigned i) { return i < 2 ? std::vector<bytes>{} : std::vector<bytes>{good}; });
  auto socket = open_socket(io);
  auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast()));
  REQUIRE(reply.has_value());
  CHECK(reply->sends == 3);
  CHECK(peer.received() == 3);
  // 20 ms + 40 ms of waiting happened before the third send.
  CHECK(reply->elapsed >= 60ms);
}

TEST_CASE("core: udp exchange stops after max sends and reports a timeout") {
  asio::io_context io;
  test::udp_peer peer(io, [](const bytes&, unsigned) { return std::vector<bytes>{}; });
  auto socket = open_socket(io);
  const auto start = std::chrono::steady_clock::now();
  auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast(3, 5s)));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(reply.error() == transport_errc::timed_out);
  CHECK(peer.received() == 3);
  CHECK(took >= 140ms);  // 20 + 40 + 80 ms of waiting
  CHECK(took < 2s);      // and not the 5 s deadline
}

TEST_CASE("core: udp exchange never outlives its deadline") {
  asio::io_context io;
  test::udp_peer peer(io, [](const bytes&, unsigned) { return std::vector<bytes>{}; });
  auto socket = open_socket(io);
  auto options = fast(100, 150ms);
  const auto start = std::chrono::steady_clock::now();
  auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, options));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(reply.error() == transport_errc::timed_out);
  CHECK(took >= 150ms);
  CHECK(took < 400ms);
  CHECK(peer.received() <= 4);  // 20, 40, 80 ms tries fit; the 160 ms one is cut short
}

TEST_CASE("core: udp exchange drops datagrams from any other address or port") {
  asio::io_context io;
  auto socket = open_socket(io);
  const auto client = socket.local_endpoint();
  auto intruder = open_socket(io);
  // The real peer answers late; an intruder on another port answers at once with the "right" bytes.
  test::udp_peer peer(io, [&](const bytes&, unsigned i) {
    if (i == 0) intruder.send_to(asio::buffer(good), client);
    return i == 0 ? std::vector<bytes>{} : std::vector<bytes>{good};
  });
  auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast()));
  REQUIRE(reply.has_value());
  CHECK(reply->foreign == 1);
  CHECK(reply->sends == 2);  // the intruder's datagram did not end the exchange
}

TEST_CASE("core: udp exchange ignores what the check rejects and reports the last reason on timeout") {
  asio::io_context io;
  SUBCASE("garbage, then the answer") {
    test::udp_peer peer(io, [](const bytes&, unsigned) { return std::vector<bytes>{bytes{0xff}, good}; });
    auto socket = open_socket(io);
    auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast()));
    REQUIRE(reply.has_value());
    CHECK(reply->ignored == 1);
    CHECK(reply->payload == good);
  }
  SUBCASE("only garbage") {
    test::udp_peer peer(io, [](const bytes&, unsigned) { return std::vector<bytes>{bytes{0xff}}; });
    auto socket = open_socket(io);
    auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast(2)));
    CHECK(reply.error() == std::errc::bad_message);
  }
  SUBCASE("an oversize datagram is not even shown to the check") {
    test::udp_peer peer(io, [](const bytes&, unsigned) { return std::vector<bytes>{bytes(17, 0x01)}; });
    auto socket = open_socket(io);
    auto options = fast(2);
    options.max_datagram = 16;
    auto reply = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request,
                                                        [](core::byte_span) { return std::error_code{}; }, options));
    CHECK(reply.error() == transport_errc::message_too_large);
  }
}

TEST_CASE("core: udp exchange reports port unreachable on a connected socket") {
  asio::io_context io;
  // A port that was just bound and released: nothing listens there, so loopback answers ICMP.
  asio::ip::udp::endpoint closed;
  {
    auto probe = open_socket(io);
    closed = probe.local_endpoint();
  }
  auto socket = open_socket(io);
  socket.connect(closed);
  auto reply = test::run(io, core::async_udp_exchange(socket, closed, request, accept_good, fast()));
  CHECK(reply.error() == transport_errc::connection_refused);
  CHECK_FALSE(socket.is_open());  // closed after a socket error, so the caller reconnects
}

TEST_CASE("core: udp exchange stops promptly when cancelled") {
  asio::io_context io;
  test::udp_peer peer(io, [](const bytes&, unsigned) { return std::vector<bytes>{}; });
  auto socket = open_socket(io);
  asio::cancellation_signal cancel;
  asio::steady_timer timer(io, 50ms);
  timer.async_wait([&](std::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  std::optional<core::result<core::exchange_reply>> outcome;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, core::async_udp_exchange(socket, peer.endpoint(), request, accept_good, fast(9, 10s)),
                 asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr, core::result<core::exchange_reply> r) {
                   outcome.emplace(std::move(r));
                   io.stop();
                 }));
  io.run_for(5s);
  REQUIRE(outcome.has_value());
  CHECK(outcome->error() == transport_errc::cancelled);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("core: retransmission schedule intervals") {
  const core::retransmission_schedule natpmp{250ms, 2.0, 24h, 9, 0.0};
  CHECK(natpmp.interval(0) == 250ms);
  CHECK(natpmp.interval(1) == 500ms);
  CHECK(natpmp.interval(8) == 64000ms);
  const core::retransmission_schedule pcp{3s, 2.0, 1024s, 0, 0.1};
  CHECK(pcp.interval(9) == 1024s);   // 3 × 512 = 1536 s, capped at MRT
  CHECK(pcp.interval(4000) == 1024s);  // no overflow for absurd n
}

TEST_CASE("core: udp exchange never takes a late duplicate of an earlier answer") {
  asio::io_context io;
  const bytes first{0x0a}, second{0x0b};
  // The peer answers the first request twice (a duplicate that arrives late), the second once.
  test::udp_peer peer(io, [&](const bytes&, unsigned i) {
    return i == 0 ? std::vector<bytes>{first, first} : std::vector<bytes>{second};
  });
  auto socket = open_socket(io);
  const auto either = [&](core::byte_span d) {
    const bytes got(d.begin(), d.end());
    return got == first || got == second ? std::error_code{} : make_error_code(std::errc::bad_message);
  };
  auto one = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, either, fast()));
  REQUIRE(one.has_value());
  CHECK(one->payload == first);
  // Let the duplicate land in the socket's queue before the next exchange starts.
  asio::steady_timer pause(io, 50ms);
  test::run(io, [&]() -> asio::awaitable<int> {
    co_await pause.async_wait(asio::use_awaitable);
    co_return 0;
  }());
  REQUIRE(socket.available() > 0);
  auto two = test::run(io, core::async_udp_exchange(socket, peer.endpoint(), request, either, fast()));
  REQUIRE(two.has_value());
  CHECK(two->payload == second);
}
