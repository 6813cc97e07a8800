// SSDP discovery (UPnP Device Architecture 1.1/2.0 §1.3): find Internet Gateway Devices on the LAN.
// The only ssdp/ code that touches a socket. One wall-clock deadline bounds everything; a cap on
// answers means a flood of datagrams never extends the wait nor the memory used.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/ssdp/message.hpp"

namespace natpunch::ssdp {

// Decides whether a search response may be followed: an empty error_code trusts its LOCATION. The
// caller supplies it (soap::check_location: an IP literal equal to the responder or the default gateway,
// http only, never loopback, link-local, multicast or unspecified), since URLs are soap/'s business.
using location_check = std::function<std::error_code(const search_response&, const asio::ip::address& responder)>;

inline constexpr std::size_t max_ipv6_sources = 3;

// The IPv6 search (UDA 2.0 §1.3.2): link-local (ff02::c) and site-local (ff05::c) groups on one
// interface, and the IPv6 default gateway by unicast.
struct ipv6_search {
  // The LAN interface: the scope of ff02::c and the outgoing interface of both groups. 0: the kernel's.
  unsigned interface_index = 0;
  // The sources, one socket each (at most max_ipv6_sources; none: one socket, the kernel's choice): a
  // global or ULA address per prefix of that interface. A gateway answers from its own address in the
  // prefix of the source it answers, and its LOCATION names one of its addresses: with one socket per
  // prefix, one of its answers comes from the address its LOCATION names, which the trust rule needs
  // (from a link-local source miniupnpd answers from its link-local address with a ULA LOCATION).
  std::vector<asio::ip::address_v6> sources;
  std::optional<asio::ip::address_v6> gateway;
  std::vector<asio::ip::address_v6> groups{asio::ip::make_address_v6("ff02::c"), asio::ip::make_address_v6("ff05::c")};
  std::uint16_t port = 1900;
};

struct discovery_options {
  // false: no IPv4 search (only `ipv6`).
  bool ipv4 = true;
  // Multicast goes out of the interface holding this IPv4 address (the local address facing the gateway).
  asio::ip::address_v4 interface_address = asio::ip::address_v4::any();
  // The default gateway: also asked by unicast M-SEARCH at the same time (UDA 1.1 §1.3.2), since some
  // routers drop multicast from the LAN or answer it slowly.
  std::optional<asio::ip::address_v4> gateway;
  // Where the multicast search goes; tests point it at a loopback simulator.
  asio::ip::address_v4 multicast_group = asio::ip::make_address_v4("239.255.255.250");
  std::uint16_t port = 1900;
  // The first round asks the first target only; the second all of them; the third adds `ssdp:all`. So a
  // gateway answering IGD:1 (miniupnpd within ~50 ms) ends the search before the TR-064 IGD is asked.
  std::vector<std::string> search_targets{std::string(igd1),
                                          std::string(igd2),
                                          std::string(wan_ip_connection1),
                                          std::string(wan_ip_connection2),
                                          std::string(wan_ppp_connection1),
                                          std::string(dslforum_igd1)};
  // MX of the multicast search: devices spread their answers over 0..MX s. 1 s is UDA's minimum.
  std::chrono::seconds mx{1};
  // Everything ends by then, however many answers arrive.
  std::chrono::milliseconds deadline{std::chrono::seconds(3)};
  // false: return as soon as the default gateway answered usably (in the UPnP Forum's domain; a TR-064
  // answer waits `grace` for one); when another device answers first, listen `grace` longer for the
  // gateway (then the caller chooses among them, deterministically).
  // true: listen until `listen_for` (bounded by the deadline) to find every device.
  bool find_all = false;
  std::chrono::milliseconds grace{std::chrono::milliseconds(250)};
  std::chrono::milliseconds listen_for{std::chrono::milliseconds(1200)};
  // Datagrams judged at most; past it only the default gateway's are (the rest are read and dropped
  // until the deadline). 256 is far more than a LAN's devices send for our few targets (a device
  // answers once per matching target and round).
  std::size_t max_answers = 256;
  // Devices kept at most (distinct LOCATIONs), counted apart for the default gateway and the other hosts.
  std::size_t max_devices = 16;
  // Time before the second round (a LAN gateway answers in ~50 ms), then between rounds; three
  // rounds at most (UDP may lose a datagram).
  std::chrono::milliseconds first_round_interval{std::chrono::milliseconds(150)};
  std::chrono::milliseconds round_interval{std::chrono::milliseconds(400)};
  limits wire_limits{};
  // Set: IPv6 is searched at the same time (a second socket; the answers are merged, and the deadline,
  // grace, caps and rounds are shared). When only one family can open its socket, the other goes on alone.
  std::optional<ipv6_search> ipv6;
};

// One device that answered with a usable search target and a trusted LOCATION.
struct found_device {
  asio::ip::address responder;
  search_response response;           // the first usable answer for this LOCATION
  std::vector<std::string> targets;   // every usable ST it answered with, in arrival order
  std::chrono::milliseconds after{0};  // from the first send to its first answer
};

struct discovery_result {
  std::vector<found_device> devices;  // in order of first answer
  unsigned sent = 0;                  // M-SEARCH datagrams sent
  unsigned answers = 0;               // datagrams read
  unsigned ignored = 0;               // malformed, not a search response, another ST, or untrusted
  std::error_code last_ignored;       // why the last one was ignored (shown when nothing was found)
  std::chrono::milliseconds elapsed{0};
};

// True for a search target (or ST in an answer) that names an IGD or one of its WAN connection services,
// in the UPnP Forum's domain or TR-064's (urn:dslforum-org:).
bool is_gateway_target(std::string_view st) noexcept;
// True for a TR-064 one of those. A default gateway's first such answer does not end the search at once:
// it waits `grace` for an answer in the UPnP Forum's domain, which is preferred (a router with both, such
// as AVM's FRITZ!Box, meant its IGD for port mappings; its TR-064 tree wants a login).
bool is_dslforum_target(std::string_view st) noexcept;

// True when `responder` is the default gateway of its family (options.gateway or options.ipv6->gateway).
bool is_default_gateway(const discovery_options& options, const asio::ip::address& responder) noexcept;

// Searches until one usable device answered (or, with find_all, until listen_for), or the deadline.
// Finding nothing is not an error: devices is empty and last_ignored says why, if anything answered.
// Errors: socket errors (e.g. network_unreachable) when no family could search, cancelled.
asio::awaitable<core::result<discovery_result>> async_discover(asio::any_io_executor executor,
                                                               discovery_options options, location_check trust);

}  // namespace natpunch::ssdp
