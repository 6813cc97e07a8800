// Test support: run a coroutine to completion, and scripted UDP and TCP peers on loopback that play a
// gateway (count what they received, answer what the test says).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <asio/experimental/as_tuple.hpp>
#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <string>

namespace natpunch::test {

using bytes = std::vector<std::uint8_t>;

// Runs `aw` on `io` until it completes (bounded by `limit`, so a hung test fails instead of hanging).
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> aw, std::chrono::seconds limit = std::chrono::seconds(20)) {
  std::optional<T> out;
  std::exception_ptr failure;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) out.emplace(std::move(value));
    io.stop();  // the scripted peer keeps serving: stop once the coroutine under test is done
  });
  io.restart();
  io.run_for(limit);
  if (failure) std::rethrow_exception(failure);
  if (!out) throw std::runtime_error("test coroutine did not finish in time");
  return std::move(*out);
}

// A UDP socket on 127.0.0.1 with an ephemeral port. For each datagram it receives it calls
// `answer(request, index)` and sends back every datagram returned (none = stay silent).
class udp_peer {
 public:
  using script = std::function<std::vector<bytes>(const bytes& request, unsigned index)>;

  udp_peer(asio::io_context& io, script answer, const asio::ip::address& at = asio::ip::make_address_v4("127.0.0.1"))
      : socket_(io, asio::ip::udp::endpoint(at, 0)), answer_(std::move(answer)) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  [[nodiscard]] asio::ip::udp::endpoint endpoint() const { return socket_.local_endpoint(); }
  [[nodiscard]] unsigned received() const noexcept { return received_; }
  [[nodiscard]] const std::vector<bytes>& requests() const noexcept { return requests_; }
  void close() { socket_.close(); }

 private:
  asio::awaitable<void> serve() {
    bytes buffer(2048);
    for (;;) {
      asio::ip::udp::endpoint from;
      auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buffer), from, asio::experimental::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      bytes request(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      requests_.push_back(request);
      for (const bytes& reply : answer_(request, received_++)) {
        co_await socket_.async_send_to(asio::buffer(reply), from, asio::experimental::as_tuple(asio::use_awaitable));
      }
    }
  }

  asio::ip::udp::socket socket_;
  script answer_;
  unsigned received_ = 0;
  std::vector<bytes> requests_;
};

// A TCP listener on 127.0.0.1 with an ephemeral port, serving HTTP-ish requests one connection at a
// time. Each request (headers up to the empty line, then Content-Length bytes) goes to
// `answer(request, index)`; its reply is written in `pieces` (split at those offsets, with `pause`
// between them), then the connection is closed if `close` says so, else the next request is read.
struct tcp_reply {
  std::string data;
  bool close = false;
  std::vector<std::size_t> split_at;  // write in pieces, cut at these offsets
  std::chrono::milliseconds pause{0};  // between pieces, and before the first
};

inline tcp_reply reply(std::string data, bool close = false, std::vector<std::size_t> split_at = {},
                       std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  tcp_reply r;
  r.data = std::move(data);
  r.close = close;
  r.split_at = std::move(split_at);
  r.pause = pause;
  return r;
}

class tcp_peer {
 public:
  using script = std::function<tcp_reply(const std::string& request, unsigned index)>;

  tcp_peer(asio::io_context& io, script answer)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)), answer_(std::move(answer)) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  [[nodiscard]] asio::ip::tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  [[nodiscard]] const std::vector<std::string>& requests() const noexcept { return requests_; }
  [[nodiscard]] unsigned connections() const noexcept { return connections_; }

 private:
  static constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

  asio::awaitable<void> serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      ++connections_;
      co_await serve_connection(std::move(socket));
    }
  }

  asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket) {
    std::string pending;
    char chunk[4096];
    for (;;) {
      std::size_t end = pending.find("\r\n\r\n");
      while (end == std::string::npos) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
        if (ec) co_return;
        pending.append(chunk, n);
        end = pending.find("\r\n\r\n");
      }
      std::size_t length = 0;
      if (auto at = pending.find("Content-Length: "); at != std::string::npos && at < end) {
        length = std::stoul(pending.substr(at + 16));
      }
      while (pending.size() < end + 4 + length) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
        if (ec) co_return;
        pending.append(chunk, n);
      }
      std::string request = pending.substr(0, end + 4 + length);
      pending.erase(0, request.size());
      requests_.push_back(request);
      const tcp_reply reply = answer_(request, static_cast<unsigned>(requests_.size() - 1));
      std::size_t from = 0;
      std::vector<std::size_t> cuts = reply.split_at;
      cuts.push_back(reply.data.size());
      for (std::size_t cut : cuts) {
        if (reply.pause.count() > 0) {
          asio::steady_timer timer(socket.get_executor(), reply.pause);
          co_await timer.async_wait(use_tuple);
        }
        cut = std::min(cut, reply.data.size());
        if (cut <= from) continue;
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(reply.data.data() + from, cut - from), use_tuple);
        (void)n;
        if (ec) co_return;
        from = cut;
      }
      if (reply.close) co_return;
    }
  }

  asio::ip::tcp::acceptor acceptor_;
  script answer_;
  std::vector<std::string> requests_;
  unsigned connections_ = 0;
};

}  // namespace natpunch::test
