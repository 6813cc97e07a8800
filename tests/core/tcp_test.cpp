#include <doctest/doctest.h>

#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include "../support/loopback.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/core/tcp.hpp"

using namespace natpunch;
using namespace std::chrono_literals;
using core::transport_errc;

namespace {
asio::ip::tcp::endpoint loopback(std::uint16_t port) { return {asio::ip::make_address_v4("127.0.0.1"), port}; }
auto in(std::chrono::milliseconds d) { return core::deadline_clock::now() + d; }
}  // namespace

TEST_CASE("core: tcp connect, write and read with deadlines") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, loopback(0));
  asio::ip::tcp::socket server(io);
  acceptor.async_accept(server, [&](std::error_code ec) {
    REQUIRE_FALSE(ec);
    static const std::string hello = "hello";
    asio::write(server, asio::buffer(hello));
    server.shutdown(asio::ip::tcp::socket::shutdown_send);
  });
  auto flow = [&]() -> asio::awaitable<std::string> {
    auto socket = co_await core::async_tcp_connect(acceptor.local_endpoint(), in(2s));
    REQUIRE(socket.has_value());
    const test::bytes ping{'p'};
    REQUIRE((co_await core::async_write_all(*socket, ping, in(2s))).has_value());
    std::string got;
    std::array<std::uint8_t, 2> buf{};  // small on purpose: several reads
    for (int i = 0; i < 10; ++i) {
      auto n = co_await core::async_read_some(*socket, buf, in(2s));
      REQUIRE(n.has_value());
      if (*n == 0) break;
      got.append(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    co_return got;
  };
  CHECK(test::run(io, flow()) == "hello");
}

TEST_CASE("core: tcp connect to a closed port is refused") {
  asio::io_context io;
  asio::ip::tcp::endpoint closed;
  {
    asio::ip::tcp::acceptor probe(io, loopback(0));
    closed = probe.local_endpoint();
  }
  auto outcome = test::run(io, [&]() -> asio::awaitable<std::error_code> {
    auto socket = co_await core::async_tcp_connect(closed, in(2s));
    co_return socket.error();
  }());
  CHECK(outcome == transport_errc::connection_refused);
}

TEST_CASE("core: a silent tcp peer hits the read deadline") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, loopback(0));
  asio::ip::tcp::socket server(io);
  acceptor.async_accept(server, [](std::error_code) {});  // accepts, then says nothing
  const auto start = std::chrono::steady_clock::now();
  auto outcome = test::run(io, [&]() -> asio::awaitable<std::error_code> {
    auto socket = co_await core::async_tcp_connect(acceptor.local_endpoint(), in(2s));
    REQUIRE(socket.has_value());
    std::array<std::uint8_t, 16> buf{};
    auto n = co_await core::async_read_some(*socket, buf, in(100ms));
    co_return n.error();
  }());
  CHECK(outcome == transport_errc::timed_out);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 100ms);
  CHECK(took < 1s);
}
