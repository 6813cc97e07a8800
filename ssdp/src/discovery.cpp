#include "natpunch/ssdp/discovery.hpp"

#include <algorithm>

#include <asio/buffer.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/multicast.hpp>
#include <asio/ip/udp.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"
#include "natpunch/core/udp_exchange.hpp"

namespace natpunch::ssdp {
namespace {

namespace log = core::log;
using clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr unsigned max_rounds = 3;

std::string host_of(const asio::ip::address_v4& address, std::uint16_t port) {
  return address.to_string() + ":" + std::to_string(port);
}

// The datagrams of one round: every target to the group (with MX) and to the gateway (unicast, no MX).
struct outgoing {
  asio::ip::udp::endpoint to;
  std::string message;
};

// Round 0 asks only the first target (IGD:1, which every IGD answers): each M-SEARCH costs a gateway
// CPU time (miniupnpd: 2-5 ms), and a burst of ten delayed its answer and the calls after it by ~70 ms
// (tests/lab/bench_upnp.sh). Round 1 asks every target, for routers that answer only some; round 2
// adds ssdp:all as the last resort.
std::vector<outgoing> round_messages(const discovery_options& o, unsigned round) {
  std::vector<std::string> targets = o.search_targets;
  if (round == 0 && targets.size() > 1) targets.resize(1);
  if (round > 1) targets.emplace_back(std::string(ssdp_all));
  std::vector<outgoing> out;
  const asio::ip::udp::endpoint group(o.multicast_group, o.port);
  for (const auto& st : targets) {
    out.push_back({group, build_msearch(st, o.mx, host_of(o.multicast_group, o.port))});
    if (o.gateway) {
      out.push_back({{*o.gateway, o.port}, build_msearch(st, o.mx, host_of(*o.gateway, o.port))});
    }
  }
  return out;
}

std::error_code open_socket(asio::ip::udp::socket& socket, const discovery_options& o) {
  std::error_code ec;
  socket.open(asio::ip::udp::v4(), ec);
  if (!ec) socket.bind({o.interface_address, 0}, ec);
  // UDA §1.3.2: TTL 2 by default. The interface is chosen explicitly: the route to 239/8 may not be
  // the LAN's (a VPN, a Docker bridge).
  if (!ec) socket.set_option(asio::ip::multicast::hops(2), ec);
  // Our own M-SEARCH looped back is no answer, and a local process should not get to play the IGD.
  if (!ec) socket.set_option(asio::ip::multicast::enable_loopback(false), ec);
  if (!ec && !o.interface_address.is_unspecified()) {
    socket.set_option(asio::ip::multicast::outbound_interface(o.interface_address), ec);
  }
  return ec ? core::classify_socket_error(ec) : std::error_code{};
}

}  // namespace

bool is_gateway_target(std::string_view st) noexcept {
  return st.starts_with("urn:schemas-upnp-org:device:InternetGatewayDevice:") ||
         st.starts_with("urn:schemas-upnp-org:service:WANIPConnection:") ||
         st.starts_with("urn:schemas-upnp-org:service:WANPPPConnection:");
}

asio::awaitable<core::result<discovery_result>> async_discover(asio::any_io_executor executor,
                                                               discovery_options options, location_check trust) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto start = clock::now();
  const auto deadline = start + options.deadline;
  auto listen_end = options.find_all ? std::min(deadline, start + options.listen_for) : deadline;
  asio::ip::udp::socket socket(executor);
  if (const auto ec = open_socket(socket, options)) co_return ec;

  discovery_result result;
  core::bytes buffer(options.wire_limits.max_message_size + 1);  // one spare byte detects an oversize one
  auto next_round = start;
  unsigned round = 0;
  while (clock::now() < listen_end) {
    if (round < max_rounds && clock::now() >= next_round) {
      for (const auto& m : round_messages(options, round)) {
        auto [ec, n] = co_await socket.async_send_to(asio::buffer(m.message), m.to, use_tuple);
        (void)n;
        if (ec == asio::error::operation_aborted) co_return core::transport_errc::cancelled;
        // One destination failing (no route to the unicast gateway) must not stop the others.
        if (ec) {
          log::debug("M-SEARCH to ", m.to.address().to_string(), " failed: ", ec.message());
          continue;
        }
        ++result.sent;
        log::debug("sent M-SEARCH to ", m.to.address().to_string(), ":", m.to.port(), "\n", m.message);
      }
      ++round;
      next_round = clock::now() + (round == 1 ? options.first_round_interval : options.round_interval);
    }
    const auto wait_end = round < max_rounds ? std::min(listen_end, next_round) : listen_end;
    auto got = co_await core::async_receive_before(socket, buffer, wait_end);
    if (got.error() == core::transport_errc::timed_out) continue;
    if (!got) co_return got.error();
    const auto responder = got->from.address();
    // Past the cap, only the default gateway is still heard: a flood from another LAN host must not
    // silence it, nor cost more than reading and dropping datagrams until the deadline.
    const bool from_gateway = options.gateway && responder == asio::ip::address(*options.gateway);
    if (result.answers >= options.max_answers && !from_gateway) continue;
    ++result.answers;
    const core::byte_span datagram(buffer.data(), got->size);
    const auto ignore = [&](std::error_code why) {
      ++result.ignored;
      result.last_ignored = why;
      log::debug("ignored SSDP answer from ", responder.to_string(), ": ", core::describe(why));
    };
    if (got->size > options.wire_limits.max_message_size) {
      ignore(errc::too_large);
      continue;
    }
    auto answer = parse_search_response(datagram, options.wire_limits);
    if (!answer) {
      ignore(answer.error());
      continue;
    }
    log::debug("SSDP answer from ", responder.to_string(), ": ST ", answer->st, ", LOCATION ", answer->location);
    if (!is_gateway_target(answer->st)) {
      ignore(errc::not_a_gateway);
      continue;
    }
    if (const auto why = trust(*answer, responder)) {
      ignore(why);
      continue;
    }
    auto known = std::find_if(result.devices.begin(), result.devices.end(),
                              [&](const found_device& d) { return d.response.location == answer->location; });
    if (known != result.devices.end()) {
      if (std::find(known->targets.begin(), known->targets.end(), answer->st) == known->targets.end() &&
          known->targets.size() < options.search_targets.size() + 1) {
        known->targets.push_back(answer->st);
      }
      continue;
    }
    if (result.devices.size() >= options.max_devices) continue;
    found_device device;
    device.responder = responder;
    device.targets.push_back(answer->st);
    device.response = std::move(*answer);
    device.after = duration_cast<milliseconds>(clock::now() - start);
    result.devices.push_back(std::move(device));
    if (!options.find_all) {
      if (from_gateway) break;
      listen_end = std::min(listen_end, clock::now() + options.grace);
    }
  }
  result.elapsed = duration_cast<milliseconds>(clock::now() - start);
  co_return result;
}

}  // namespace natpunch::ssdp
