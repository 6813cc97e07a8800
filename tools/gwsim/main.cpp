// gwsim: a scriptable home-gateway simulator for tests. It speaks NAT-PMP (RFC 6886) through the same
// codec the client uses, keeps a mapping table, and can play a slow or rebooting router. Every request
// and answer is logged as one JSON line on stdout so tests assert what the gateway saw.
//
//   gwsim [--listen ADDR:PORT] [--external IP] [--delay-ms N] [--epoch-start N] [--run-seconds N]
//
// Listens on 127.0.0.1 and an ephemeral port by default and prints {"listening":"127.0.0.1:PORT"} first.
// It stops by itself after --run-seconds (default 60) or on SIGINT/SIGTERM.
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <tuple>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "natpunch/natpmp/codec.hpp"

namespace {

using namespace natpunch;
using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

struct settings {
  asio::ip::udp::endpoint listen{asio::ip::make_address_v4("127.0.0.1"), 0};
  asio::ip::address_v4 external = asio::ip::make_address_v4("11.0.0.5");
  std::chrono::milliseconds delay{0};
  std::uint32_t epoch_start = 0;
  std::chrono::seconds run{60};
};

struct gateway {
  settings config;
  clock_type::time_point started = clock_type::now();
  // (protocol, internal port) -> (external port, lifetime)
  std::map<std::pair<core::ip_protocol, std::uint16_t>, std::pair<std::uint16_t, std::uint32_t>> mappings;

  std::uint32_t epoch() const {
    return config.epoch_start +
           static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - started).count());
  }

  // Answers one request the way a well-behaved gateway does.
  natpmp::response answer(const natpmp::request& req, std::string& log) {
    if (std::holds_alternative<natpmp::external_address_request>(req)) {
      log = R"({"request":"external_address"})";
      return natpmp::external_address_response{natpmp::result_code::success, epoch(), config.external.to_bytes()};
    }
    const auto& m = std::get<natpmp::map_request>(req);
    const auto key = std::make_pair(m.protocol, m.internal_port);
    natpmp::map_response resp{m.protocol, natpmp::result_code::success, epoch(), m.internal_port, 0, 0};
    const bool remove = m.lifetime == 0;
    log = std::string(R"({"request":")") + (remove ? "delete" : "map") + R"(","transport":")" +
          std::string(core::to_string(m.protocol)) + R"(","internal_port":)" + std::to_string(m.internal_port) +
          R"(,"suggested_external_port":)" + std::to_string(m.suggested_external_port) + R"(,"lifetime":)" +
          std::to_string(m.lifetime) + "}";
    if (remove) {
      mappings.erase(key);
      return resp;
    }
    const std::uint16_t external = m.suggested_external_port != 0 ? m.suggested_external_port : m.internal_port;
    mappings[key] = {external, m.lifetime};
    resp.external_port = external;
    resp.lifetime = m.lifetime;
    return resp;
  }
};

// Sends one answer after the configured delay; answers are delayed independently, like a router's.
asio::awaitable<void> reply_later(asio::ip::udp::socket& socket, std::chrono::milliseconds delay, core::bytes reply,
                                  asio::ip::udp::endpoint to, unsigned& pending) {
  asio::steady_timer timer(socket.get_executor(), delay);
  co_await timer.async_wait(use_tuple);
  if (socket.is_open()) co_await socket.async_send_to(asio::buffer(reply), to, use_tuple);
  --pending;
}

asio::awaitable<void> serve(asio::ip::udp::socket& socket, gateway& gw) {
  constexpr unsigned max_pending = 64;  // a flood of requests cannot grow the simulator without bound
  core::bytes buffer(natpmp::max_message_size);
  unsigned pending = 0;
  for (;;) {
    asio::ip::udp::endpoint from;
    auto [ec, n] = co_await socket.async_receive_from(asio::buffer(buffer), from, use_tuple);
    if (ec) co_return;
    auto req = natpmp::decode_request(core::byte_span(buffer.data(), n));
    core::bytes reply;
    std::string log;
    if (req) {
      reply = natpmp::encode(gw.answer(*req, log));
    } else if (req.error() == natpmp::errc::bad_version && n >= 2) {
      // RFC 6886 §3.5: a NAT-PMP gateway answers any other version (e.g. a PCP request) with
      // "unsupported version": version 0, opcode 128 + the request's, result 1, its epoch.
      reply = core::byte_writer(8).u8(0).u8(static_cast<std::uint8_t>(0x80 | (buffer[1] & 0x7f))).u16(1).u32(gw.epoch()).view();
      log = R"({"request":"other_version","version":)" + std::to_string(buffer[0]) + "}";
    } else {
      std::cout << R"({"ignored":")" << req.error().message() << R"(","bytes":)" << n << "}" << std::endl;
      continue;
    }
    std::cout << log << std::endl;
    if (gw.config.delay.count() == 0) {
      co_await socket.async_send_to(asio::buffer(reply), from, use_tuple);
    } else if (pending < max_pending) {
      ++pending;
      asio::co_spawn(socket.get_executor(), reply_later(socket, gw.config.delay, reply, from, pending), asio::detached);
    }
  }
}

bool parse_u32(const std::string& s, std::uint32_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

int usage(const std::string& why) {
  std::cerr << "gwsim: " << why << "\nusage: gwsim [--listen ADDR:PORT] [--external IP] [--delay-ms N] "
               "[--epoch-start N] [--run-seconds N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  settings config;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(a + " needs a value");
    const std::string v = argv[++i];
    std::uint32_t n = 0;
    std::error_code ec;
    if (a == "--listen") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos || !parse_u32(v.substr(colon + 1), n) || n > 65535) return usage("bad --listen " + v);
      const auto address = asio::ip::make_address(v.substr(0, colon), ec);
      // Tests only: refuse anything but loopback, so a simulator can never answer on a real network.
      if (ec || !address.is_loopback()) return usage("--listen must be a loopback address");
      config.listen = {address, static_cast<std::uint16_t>(n)};
    } else if (a == "--external") {
      config.external = asio::ip::make_address_v4(v, ec);
      if (ec) return usage("bad --external " + v);
    } else if (a == "--delay-ms" && parse_u32(v, n) && n <= 60000) {
      config.delay = std::chrono::milliseconds(n);
    } else if (a == "--epoch-start" && parse_u32(v, n)) {
      config.epoch_start = n;
    } else if (a == "--run-seconds" && parse_u32(v, n) && n >= 1 && n <= 3600) {
      config.run = std::chrono::seconds(n);
    } else {
      return usage("bad option " + a + " " + v);
    }
  }

  asio::io_context io;
  asio::ip::udp::socket socket(io, config.listen);
  gateway gw;
  gw.config = config;
  std::cout << R"({"listening":")" << socket.local_endpoint().address().to_string() << ":"
            << socket.local_endpoint().port() << R"("})" << std::endl;
  asio::steady_timer stop_after(io, config.run);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto stop = [&] {
    std::error_code ignored;
    socket.close(ignored);
    stop_after.cancel();
    signals.cancel();
  };
  stop_after.async_wait([&](std::error_code) { stop(); });
  signals.async_wait([&](std::error_code, int) { stop(); });
  asio::co_spawn(io, serve(socket, gw), asio::detached);
  io.run();
  std::cout << R"({"stopped":true,"mappings":)" << gw.mappings.size() << "}" << std::endl;
  return 0;
}
