// hold_port: hold one port mapping on the home gateway until Ctrl-C or SIGTERM, printing every event,
// the way a node's daemon embeds natpunch. Usage: hold_port PORT/tcp|udp [--gateway ADDR]
#include <charconv>
#include <chrono>
#include <csignal>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/this_coro.hpp>

#include <natpunch/core/error.hpp>
#include <natpunch/portmap/gateway.hpp>
#include <natpunch/portmap/keeper.hpp>
#include <natpunch/portmap/mapper.hpp>

namespace pm = natpunch::portmap;
using natpunch::core::describe;  // an error_code as "<category>: <message>"

// "tcp 203.0.113.7:8333, lifetime 7200 s"
std::string where(const pm::mapping& m) {
  std::ostringstream out;
  out << natpunch::core::to_string(m.transport) << " "
      << asio::ip::udp::endpoint(m.external_ip, m.external_port) << ", lifetime " << m.lifetime << " s";
  return out.str();
}

// Maps the port, then holds it until this coroutine is cancelled; the value is the exit status.
asio::awaitable<int> hold(pm::gateway gw, pm::mapping_request request) {
  co_await asio::this_coro::throw_if_cancelled(false);  // a stop is a value to act on, not an exception
  auto executor = co_await asio::this_coro::executor;
  // auto: PCP, else NAT-PMP, else UPnP IGD, whichever the gateway speaks; each operation gets 10 s.
  auto m = pm::make_auto_mapper(executor, gw, request, std::chrono::seconds(10));
  auto granted = co_await m->async_map(request.internal_port, request.lifetime);
  if (granted.error() == natpunch::core::transport_errc::cancelled) {
    // Stopped while asking: the gateway may have made the mapping all the same, so delete it.
    co_await asio::this_coro::reset_cancellation_state();
    auto undone = co_await m->async_unmap();
    if (!undone) std::cerr << "hold_port: stopped; deleting the mapping: " << describe(undone.error()) << "\n";
    co_return undone ? 0 : 1;
  }
  if (!granted) {
    std::cerr << "hold_port: " << describe(granted.error()) << " " << m->gateway_text() << "\n";
    co_return 1;
  }
  std::cout << "mapped " << where(*granted) << " (" << pm::to_string(granted->proto) << ", gateway "
            << m->gateway().to_string() << ")" << std::endl;
  // Another NAT upstream (carrier-grade NAT...): this gateway holds the mapping, the internet won't reach it.
  if (pm::scope_of(granted->external_ip) != pm::address_scope::public_address) {
    std::cerr << "warning: " << pm::double_nat_advice(granted->external_ip) << "\n";
  }
  // Renews at half the lifetime, re-creates after a gateway reboot, reports a new address or port;
  // once cancelled, deletes the mapping and says whether that worked.
  pm::keep_options options;
  options.lifetime = request.lifetime;
  auto on_event = [](const pm::event& e) {
    std::cout << pm::to_string(e.kind) << ": " << where(e.current);
    if (e.error) std::cout << ": " << describe(e.error) << " " << e.gateway_text;
    std::cout << std::endl;
  };
  const std::error_code ec = co_await pm::async_keep(*m, *granted, options, on_event);
  co_return ec ? 1 : 0;
}

// "8333/tcp" -> what to map; anything else -> none.
std::optional<pm::mapping_request> parse_port(const std::string& text) {
  pm::mapping_request r;  // also: an external port, a lifetime, a UPnP description, PCP options
  const auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + slash, r.internal_port);
  const auto transport = natpunch::core::parse_ip_protocol(text.substr(slash + 1));
  if (ec != std::errc{} || end != text.data() + slash || r.internal_port == 0 || !transport) return std::nullopt;
  r.transport = *transport;
  return r;
}

int main(int argc, char** argv) {
  const char* usage = "usage: hold_port PORT/tcp|udp [--gateway ADDR]\n";
  const std::string arg = argc > 1 ? argv[1] : "";
  if (arg == "--help" || arg == "-h") {
    std::cout << usage;
    return 0;
  }
  const auto request = parse_port(arg);
  const bool gateway_given = argc == 4 && std::string(argv[2]) == "--gateway";
  if (!request || (argc != 2 && !gateway_given)) {
    std::cerr << usage;
    return 2;
  }
  pm::gateway_options where_to_ask;  // empty: the default route's gateway
  if (gateway_given) where_to_ask.address = argv[3];
  auto gw = pm::find_gateway(where_to_ask);  // reads the route table; sends nothing
  if (!gw) {
    std::cerr << "hold_port: " << describe(gw.error()) << "\n";
    return 2;
  }

  asio::io_context io;
  // SIGINT/SIGTERM emit a terminal cancellation into the coroutine: async_keep then deletes the mapping,
  // within keep_options::request_deadline (a second signal is not waited for).
  asio::cancellation_signal stop;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) stop.emit(asio::cancellation_type::terminal);
  });
  int status = 1;
  auto done = [&](std::exception_ptr e, int s) {
    status = e ? 70 : s;  // 70: an exception, a bug
    signals.cancel();     // nothing left to wait for: io.run() returns
  };
  asio::co_spawn(io, hold(*gw, *request), asio::bind_cancellation_slot(stop.slot(), done));
  io.run();
  return status;
}
