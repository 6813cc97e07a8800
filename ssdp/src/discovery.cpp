#include "natpunch/ssdp/discovery.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <tuple>

#include <asio/buffer.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/multicast.hpp>
#include <asio/ip/udp.hpp>
#include <asio/ip/v6_only.hpp>
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

std::string host_of(const asio::ip::address& address, std::uint16_t port) {
  return address.is_v6() ? "[" + address.to_string() + "]:" + std::to_string(port)
                         : address.to_string() + ":" + std::to_string(port);
}

// The datagrams of one round: every target to the group(s) (with MX) and to the gateway (unicast).
struct outgoing {
  asio::ip::udp::endpoint to;
  std::string message;
};

// Round 0 asks only the first target (IGD:1, which every IGD answers): each M-SEARCH costs a gateway
// CPU time (miniupnpd: 2-5 ms), and a burst of ten delayed its answer and the calls after it by ~70 ms
// (tests/lab/bench_upnp.sh). Round 1 asks every target, for routers that answer only some; round 2
// adds ssdp:all as the last resort.
std::vector<outgoing> round_messages(const discovery_options& o, bool v6, bool groups, bool unicast, unsigned round) {
  std::vector<std::string> targets = o.search_targets;
  if (round == 0 && targets.size() > 1) targets.resize(1);
  if (round > 1) targets.emplace_back(std::string(ssdp_all));
  std::vector<asio::ip::udp::endpoint> to;
  if (v6 && groups) {
    for (auto group : o.ipv6->groups) {
      // The scope id picks the interface for a link-local group; the others follow IPV6_MULTICAST_IF.
      if (group.is_multicast_link_local()) group.scope_id(o.ipv6->interface_index);
      to.emplace_back(group, o.ipv6->port);
    }
  }
  if (v6 && unicast && o.ipv6->gateway) to.emplace_back(*o.ipv6->gateway, o.ipv6->port);
  if (!v6 && groups) to.emplace_back(o.multicast_group, o.port);
  if (!v6 && unicast && o.gateway) to.emplace_back(*o.gateway, o.port);
  std::vector<outgoing> out;
  for (const auto& st : targets) {
    for (const auto& e : to) {
      auto host = e.address();
      if (host.is_v6()) host = asio::ip::address_v6(host.to_v6().to_bytes());  // no "%scope" in HOST
      out.push_back({e, build_msearch(st, o.mx, host_of(host, e.port()))});
    }
  }
  return out;
}

std::error_code open_socket(asio::ip::udp::socket& socket, const discovery_options& o, bool v6,
                            asio::ip::address_v6 source = {}) {
  std::error_code ec;
  socket.open(v6 ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
  if (v6) {
    if (source.is_link_local()) source.scope_id(o.ipv6->interface_index);
    if (!ec) socket.set_option(asio::ip::v6_only(true), ec);
    if (!ec) socket.bind({source, 0}, ec);
    // A source that cannot be bound (gone, still tentative: EADDRNOTAVAIL, which Asio reports in its own
    // system category, so compared by value): the kernel's choice is worse than the one
    // asked for, not fatal (answers to ff02::c may then come from a link-local address).
    if (ec && ec.value() == EADDRNOTAVAIL && !source.is_unspecified()) {
      log::info("SSDP over IPv6: cannot send from ", source.to_string(), " (", ec.message(), "); letting the kernel choose");
      ec = {};
      socket.bind({asio::ip::address_v6::any(), 0}, ec);
    }
  } else if (!ec) {
    socket.bind({o.interface_address, 0}, ec);
  }
  // UDA §1.3.2: TTL (hop limit) 2 by default. The interface is chosen explicitly: the route to the
  // group may not be the LAN's (a VPN, a Docker bridge).
  if (!ec) socket.set_option(asio::ip::multicast::hops(2), ec);
  // Our own M-SEARCH looped back is no answer, and a local process should not get to play the IGD.
  if (!ec) socket.set_option(asio::ip::multicast::enable_loopback(false), ec);
  if (!ec && v6 && o.ipv6->interface_index != 0) {
    socket.set_option(asio::ip::multicast::outbound_interface(o.ipv6->interface_index), ec);
  } else if (!ec && !v6 && !o.interface_address.is_unspecified()) {
    socket.set_option(asio::ip::multicast::outbound_interface(o.interface_address), ec);
  }
  if (ec) {
    std::error_code ignored;
    socket.close(ignored);
  }
  return ec ? core::classify_socket_error(ec) : std::error_code{};
}

// One search, shared by the families searching at once (one coroutine and socket each, one thread).
struct search_run {
  search_run(const discovery_options& o, const location_check& t, clock::time_point s, clock::time_point end)
      : options(o), trust(t), start(s), listen_end(end) {}

  const discovery_options& options;
  const location_check& trust;
  clock::time_point start;
  clock::time_point listen_end;
  discovery_result result;
  bool done = false;
  std::vector<asio::ip::udp::socket*> sockets;

  // A family waiting for a datagram must see an earlier end at once, not at its next round.
  void wake() {
    for (auto* s : sockets) {
      std::error_code ignored;
      s->cancel(ignored);
    }
  }
  void end_by(clock::time_point t) {
    if (t >= listen_end) return;
    listen_end = t;
    wake();
  }
  void ignore(const asio::ip::address& responder, std::error_code why) {
    ++result.ignored;
    result.last_ignored = why;
    log::debug("ignored SSDP answer from ", responder.to_string(), ": ", core::describe(why));
  }

  // One datagram from `responder`: ignored with a reason, merged into a known device, or a new device.
  void judge(core::byte_span datagram, std::size_t size, const asio::ip::address& responder) {
    // Past the cap, only a default gateway is still heard: a flood from another LAN host must not
    // silence it, nor cost more than reading and dropping datagrams until the deadline.
    const bool from_gateway = is_default_gateway(options, responder);
    if (result.answers >= options.max_answers && !from_gateway) return;
    ++result.answers;
    if (size > options.wire_limits.max_message_size) return ignore(responder, errc::too_large);
    auto answer = parse_search_response(datagram, options.wire_limits);
    if (!answer) return ignore(responder, answer.error());
    log::debug("SSDP answer from ", responder.to_string(), ": ST ", answer->st, ", LOCATION ", answer->location);
    if (!is_gateway_target(answer->st)) return ignore(responder, errc::not_a_gateway);
    if (const auto why = trust(*answer, responder)) return ignore(responder, why);
    auto known = std::find_if(result.devices.begin(), result.devices.end(),
                              [&](const found_device& d) { return d.response.location == answer->location; });
    if (known != result.devices.end()) {
      if (std::find(known->targets.begin(), known->targets.end(), answer->st) == known->targets.end() &&
          known->targets.size() < options.search_targets.size() + 1) {
        known->targets.push_back(answer->st);
      }
      // The gateway's TR-064 device also answered a standard search: nothing better is coming.
      if (from_gateway && !options.find_all && !is_dslforum_target(answer->st)) finish();
      return;
    }
    // The device cap holds for the gateway and for everyone else apart: a flood of devices from other
    // LAN hosts must not crowd out the gateway's (tests/lab/hostile_test.sh, ssdp.flood).
    const auto same_side = std::count_if(result.devices.begin(), result.devices.end(), [&](const found_device& d) {
      return is_default_gateway(options, d.responder) == from_gateway;
    });
    if (static_cast<std::size_t>(same_side) >= options.max_devices) return;
    found_device device;
    device.responder = responder;
    device.targets.push_back(answer->st);
    device.response = std::move(*answer);
    device.after = duration_cast<milliseconds>(clock::now() - start);
    result.devices.push_back(std::move(device));
    if (options.find_all) return;
    if (from_gateway && !is_dslforum_target(result.devices.back().response.st)) {
      finish();
    } else {
      end_by(clock::now() + options.grace);
    }
  }

  void finish() {
    done = true;
    end_by(clock::now());
  }
};

// One family's rounds and answers until the run ends. Errors: the socket's (classified), cancelled.
asio::awaitable<std::error_code> search_family(search_run& run, asio::ip::udp::socket& socket, bool v6, bool groups,
                                               bool unicast) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto& o = run.options;
  core::bytes buffer(o.wire_limits.max_message_size + 1);  // one spare byte detects an oversize one
  auto next_round = run.start;
  unsigned round = 0;
  unsigned sent = 0;
  std::error_code last_send_error;
  while (!run.done && clock::now() < run.listen_end) {
    if (round < max_rounds && clock::now() >= next_round) {
      for (const auto& m : round_messages(o, v6, groups, unicast, round)) {
        auto [ec, n] = co_await socket.async_send_to(asio::buffer(m.message), m.to, use_tuple);
        (void)n;
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
          co_return core::transport_errc::cancelled;
        }
        // One destination failing (no route to the unicast gateway, a sibling's wake) must not stop
        // the others.
        if (ec) {
          log::debug("M-SEARCH to ", m.to.address().to_string(), " failed: ", ec.message());
          last_send_error = ec;
          continue;
        }
        ++sent;
        ++run.result.sent;
        log::debug("sent M-SEARCH to ", host_of(m.to.address(), m.to.port()), "\n", m.message);
      }
      // Nothing of the first round left this socket (no route, no such interface): waiting for answers
      // would only run out the deadline; the search fails if every socket fails so.
      if (round == 0 && sent == 0 && last_send_error && last_send_error != asio::error::operation_aborted) {
        co_return core::classify_socket_error(last_send_error);
      }
      ++round;
      next_round = clock::now() + (round == 1 ? o.first_round_interval : o.round_interval);
    }
    // A sibling may have ended the run while this one was sending (a wake then finds nothing to cancel).
    if (run.done || clock::now() >= run.listen_end) break;
    const auto wait_end = round < max_rounds ? std::min(run.listen_end, next_round) : run.listen_end;
    auto got = co_await core::async_receive_before(socket, buffer, wait_end);
    if (got.error() == core::transport_errc::timed_out) continue;  // also a sibling's wake
    if (!got) co_return got.error();
    run.judge(core::byte_span(buffer.data(), std::min(got->size, buffer.size())), got->size, got->from.address());
  }
  co_return std::error_code{};
}

// One socket's part of the search; a slot without a socket ends at once.
asio::awaitable<std::error_code> search_slot(search_run& run, asio::ip::udp::socket& socket, bool v6, bool groups,
                                             bool unicast) {
  if (!socket.is_open()) co_return std::error_code{};
  co_return co_await search_family(run, socket, v6, groups, unicast);
}

}  // namespace

bool is_dslforum_target(std::string_view st) noexcept {
  return st.starts_with("urn:dslforum-org:device:InternetGatewayDevice:") ||
         st.starts_with("urn:dslforum-org:service:WANIPConnection:") ||
         st.starts_with("urn:dslforum-org:service:WANPPPConnection:");
}

bool is_gateway_target(std::string_view st) noexcept {
  return st.starts_with("urn:schemas-upnp-org:device:InternetGatewayDevice:") ||
         st.starts_with("urn:schemas-upnp-org:service:WANIPConnection:") ||
         st.starts_with("urn:schemas-upnp-org:service:WANPPPConnection:") || is_dslforum_target(st);
}

bool is_default_gateway(const discovery_options& options, const asio::ip::address& responder) noexcept {
  if (responder.is_v4()) return options.gateway && responder.to_v4() == *options.gateway;
  if (!options.ipv6 || !options.ipv6->gateway) return false;
  // A link-local gateway answers with its scope id; the route names it with or without one.
  const auto& g = *options.ipv6->gateway;
  const auto r = responder.to_v6();
  return r.to_bytes() == g.to_bytes() && (g.scope_id() == 0 || r.scope_id() == 0 || g.scope_id() == r.scope_id());
}

asio::awaitable<core::result<discovery_result>> async_discover(asio::any_io_executor executor,
                                                               discovery_options options, location_check trust) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const auto start = clock::now();
  const auto deadline = start + options.deadline;
  search_run run{options, trust, start, options.find_all ? std::min(deadline, start + options.listen_for) : deadline};
  // Slot 0: IPv4 multicast. Slots 1..max_ipv6_sources: IPv6, one per source (the first also asks the
  // gateway by unicast). The last: IPv4 unicast to the default gateway, alone on its socket: any LAN
  // host sees a multicast search and can flood the port it came from until the kernel drops the
  // gateway's answer there; this socket's port it never sees (tests/lab/hostile_test.sh, ssdp.flood).
  constexpr std::size_t gateway4_slot = 1 + max_ipv6_sources;
  std::array<asio::ip::udp::socket, 2 + max_ipv6_sources> sockets{
      asio::ip::udp::socket(executor), asio::ip::udp::socket(executor), asio::ip::udp::socket(executor),
      asio::ip::udp::socket(executor), asio::ip::udp::socket(executor)};
  static_assert(max_ipv6_sources == 3, "one socket per slot above");
  std::error_code open_failed;
  if (options.ipv4) {
    if (const auto ec = open_socket(sockets[0], options, false)) {
      log::info("SSDP over IPv4 unavailable: ", core::describe(ec));
      open_failed = ec;
    }
    if (options.gateway && sockets[0].is_open()) {
      if (const auto ec = open_socket(sockets[gateway4_slot], options, false)) {
        log::info("SSDP unicast to the IPv4 gateway unavailable: ", core::describe(ec));
      }
    }
  }
  if (options.ipv6) {
    auto sources = options.ipv6->sources;
    if (sources.empty()) sources.push_back(asio::ip::address_v6::any());
    if (sources.size() > max_ipv6_sources) sources.resize(max_ipv6_sources);
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (const auto ec = open_socket(sockets[1 + i], options, true, sources[i])) {
        log::info("SSDP over IPv6 from ", sources[i].to_string(), " unavailable: ", core::describe(ec));
        open_failed = ec;
      }
    }
  }
  for (auto& s : sockets) {
    if (s.is_open()) run.sockets.push_back(&s);
  }
  if (run.sockets.empty()) co_return open_failed ? open_failed : make_error_code(core::transport_errc::network_unreachable);

  // The first IPv6 socket that opened asks the IPv6 gateway by unicast.
  std::size_t unicast6 = 1;
  while (unicast6 < sockets.size() && !sockets[unicast6].is_open()) ++unicast6;
  using namespace asio::experimental::awaitable_operators;
  const bool own4 = sockets[gateway4_slot].is_open();
  const auto [f0, f1, f2, f3, f4] =
      co_await (search_slot(run, sockets[0], false, true, !own4) && search_slot(run, sockets[1], true, true, unicast6 == 1) &&
                search_slot(run, sockets[2], true, true, unicast6 == 2) && search_slot(run, sockets[3], true, true, unicast6 == 3) &&
                search_slot(run, sockets[gateway4_slot], false, false, true));
  const std::array<std::error_code, 5> failed{f0, f1, f2, f3, f4};
  if (std::any_of(failed.begin(), failed.end(), [](const auto& e) { return e == core::transport_errc::cancelled; })) {
    co_return core::transport_errc::cancelled;
  }
  // A socket that failed while others searched on is logged; the search fails only if all did.
  std::size_t running = 0;
  std::error_code first_failure;
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    if (!sockets[i].is_open()) continue;
    if (!failed[i]) {
      ++running;
    } else {
      if (!first_failure) first_failure = failed[i];
      log::info("SSDP over ", i == 0 || i == gateway4_slot ? "IPv4" : "IPv6", " stopped: ", core::describe(failed[i]));
    }
  }
  if (running == 0) co_return first_failure;
  run.result.elapsed = duration_cast<milliseconds>(clock::now() - start);
  co_return std::move(run.result);
}

}  // namespace natpunch::ssdp
