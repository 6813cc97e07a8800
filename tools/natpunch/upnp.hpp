// UPnP IGD for the CLI: finding the gateway's description (--igd URL, or SSDP discovery with the trust
// rule), and the commands only UPnP has (discover, status, list, delete-range).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "args.hpp"
#include "mapper.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/soap/client.hpp"
#include "natpunch/ssdp/discovery.hpp"

namespace natpunch::cli {

// Where to look for an IGD and how long: from the command line.
struct upnp_target {
  std::optional<std::string> igd_url;           // --igd
  std::optional<asio::ip::address_v4> gateway;  // --gateway, else the default route's (unicast search, trust)
  // Which families SSDP searches: IPv4 for port mappings, IPv6 for pinholes (gateways take those only
  // over IPv6), both for `discover`.
  bool search_v4 = true;
  bool search_v6 = false;
  // The IPv6 side (search_v6): an IPv6 --gateway, else the IPv6 default route's next hop; its interface;
  // global or ULA addresses there as sources, one per prefix (ssdp::ipv6_search::sources says why).
  std::optional<asio::ip::address_v6> gateway6;
  unsigned interface6 = 0;
  std::vector<asio::ip::address_v6> sources6;
  std::chrono::milliseconds deadline{std::chrono::seconds(10)};
};

upnp_target upnp_target_for(const invocation& inv);

// A gateway found, described and ready for actions, with the local address that faces it.
struct upnp_session {
  soap::gateway gw;
  asio::ip::address local;  // this host's address towards the gateway (the internal client)
  std::optional<ssdp::found_device> found;  // how discovery found it (none with --igd)
};

// --igd URL: checked by the trust rule's form part, then described. Else: SSDP discovery (at most
// 3 s of the deadline), then each device's description in order (the default gateway's first) until one
// is an IGD. Errors: url/soap/http/transport errors, or errc::not_found when nothing usable answered
// (the last reason a device was passed over is logged).
asio::awaitable<core::result<upnp_session>> async_find_igd(soap::client& client, const upnp_target& target);

// Among the IGDs discovery found: each described in order (the default gateway's first, then by
// LOCATION, whatever order they answered in); with several, the first connected one with a public
// external address, else the first connected one, else the first described. `local` is left unset.
// Errors: the last reason a device was passed over (or last_ignored, or ssdp::errc::no_gateway_found).
asio::awaitable<core::result<upnp_session>> async_choose_igd(soap::client& client,
                                                             std::vector<ssdp::found_device> devices,
                                                             const ssdp::discovery_options& options,
                                                             std::error_code last_ignored);

std::unique_ptr<mapper> make_upnp_mapper(asio::any_io_executor executor, const mapper_target& target,
                                         const upnp_target& where, std::string description);

// discover, status, list, delete-range (and external-ip, add, delete go through the mapper).
asio::awaitable<int> run_upnp_command(const invocation& inv, asio::any_io_executor ex);

}  // namespace natpunch::cli
