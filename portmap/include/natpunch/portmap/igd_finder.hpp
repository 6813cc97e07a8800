// Finding the UPnP IGD: SSDP discovery with the trust rule (a LOCATION is followed only to the device
// that answered, or the default gateway), the choice among several IGDs, or --igd's URL alone.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include <asio/awaitable.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/portmap/gateway.hpp"
#include "natpunch/soap/client.hpp"
#include "natpunch/ssdp/discovery.hpp"

namespace natpunch::portmap {

// A gateway found, described and ready for actions, with the local address that faces it.
struct igd_session {
  soap::gateway gw;
  asio::ip::address local;  // this host's address towards the gateway (the internal client)
  std::optional<ssdp::found_device> found;  // how discovery found it (none with --igd)
};

// SSDP answers come within ~60 ms from a LAN gateway (miniupnpd: 51 ms); three seconds covers a slow
// one and the resends, and keeps "no IGD here" from eating a long --timeout.
inline constexpr std::chrono::milliseconds max_discovery{3000};

// One SSDP search's options for both uses (a command's IGD, `discover`'s list): the multicast leaves
// by the interface that faces the gateway, and the gateway is asked by unicast too.
ssdp::discovery_options discovery_options_for(const igd_search& where, std::chrono::milliseconds deadline,
                                              bool find_all);

// SSDP discovery in which a LOCATION is followed only under soap::check_location's trust rule, with the
// default gateway of the responder's family.
asio::awaitable<core::result<ssdp::discovery_result>> async_search(const ssdp::discovery_options& o);

// --igd URL: checked by the trust rule's form part, then described. Else: SSDP discovery (at most
// max_discovery of the deadline), then each device's description in order (the default gateway's
// first) until one is an IGD. Errors: url/soap/http/transport errors, or ssdp::errc::no_gateway_found
// when nothing usable answered (the last reason a device was passed over is logged).
asio::awaitable<core::result<igd_session>> async_find_igd(soap::client& client, const igd_search& where,
                                                          std::chrono::milliseconds deadline);

// Among the IGDs discovery found: each described in order (the default gateway's first, then by
// LOCATION, whatever order they answered in); with several, the first connected one with a public
// external address, else the first connected one, else the first described. `local` is left unset.
// Errors: the last reason a device was passed over (or last_ignored, or ssdp::errc::no_gateway_found).
asio::awaitable<core::result<igd_session>> async_choose_igd(soap::client& client,
                                                            std::vector<ssdp::found_device> devices,
                                                            const ssdp::discovery_options& options,
                                                            std::error_code last_ignored);

}  // namespace natpunch::portmap
