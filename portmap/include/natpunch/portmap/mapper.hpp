// One port mapping, whatever the gateway protocol: create or renew it, remove it, read the public
// address, and judge what the gateway sends unasked. The keeper and every front end are written once
// against this; PCP, NAT-PMP and UPnP IGD each have an adapter, and `auto` is a mapper that picks one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/portmap/gateway.hpp"
#include "natpunch/portmap/mapping.hpp"

namespace natpunch::portmap {

// What an unsolicited datagram on the announcement port means for a held mapping.
enum class unsolicited {
  not_from_gateway,  // ignore
  nothing_new,       // a valid announcement that changes nothing
  renew_now,         // it shows a reboot or a new address: renew at once
  revalidate,        // a PCP ANNOUNCE or anything else from the gateway: renew after RFC 6887 §14.1.3's random 0-5 s
};

// A UPnP IGD as found: enough to call its connection service without SSDP or a description GET.
struct known_igd {
  std::string location;      // the description URL
  std::string udn;           // its root device's UDN
  std::string service_type;  // the connection service's type, e.g. ...:WANIPConnection:2
  std::string control_url;   // absolute
  int igd_version = 1;
};

class mapper {
 public:
  virtual ~mapper() = default;
  [[nodiscard]] virtual protocol proto() const = 0;
  // The gateway asked (UPnP: the IGD's host once found).
  [[nodiscard]] virtual asio::ip::address gateway() const = 0;
  // Each later operation (a map with its fallbacks, a delete) gets `d` in all.
  virtual void set_deadline(std::chrono::milliseconds d) = 0;

  // Finds the gateway without changing anything on it (UPnP: SSDP and the description); a no-op for
  // NAT-PMP and PCP, whose gateway is an address. `auto` runs it beside PCP.
  virtual asio::awaitable<core::result<void>> async_prepare();
  // Creates the mapping, or renews it once it exists (PCP: same nonce; UPnP: same external port).
  virtual asio::awaitable<core::result<mapping>> async_map(std::uint16_t suggested_external_port,
                                                           std::uint32_t lifetime) = 0;
  // Removes the mapping made by async_map, or the one the request named (delete).
  virtual asio::awaitable<core::result<void>> async_unmap() = 0;
  virtual asio::awaitable<core::result<asio::ip::address>> async_external_address() = 0;
  // Whether the gateway still holds the mapping the request names, for this host; none when the
  // protocol cannot tell without renewing it (NAT-PMP and PCP have no query). UPnP asks
  // GetSpecificPortMappingEntry.
  virtual asio::awaitable<core::result<std::optional<bool>>> async_held();
  // Whether the gateway announces on the announcement port (5350): NAT-PMP and PCP do, UPnP
  // gateways announce over SSDP, so a keeper opens no socket there for them.
  [[nodiscard]] virtual bool hears_announcements() const { return true; }
  // A datagram that arrived on the announcement port (5350).
  virtual unsolicited observe(core::byte_span datagram, const asio::ip::udp::endpoint& from) = 0;
  // True once since the last call if anything showed that the gateway lost its state.
  virtual bool take_lost_state() = 0;
  // The gateway's own words about the last refusal, when its protocol carries any (UPnP's
  // errorDescription); empty otherwise.
  [[nodiscard]] virtual std::string gateway_text() const { return {}; }
  // NAT-PMP and PCP: the gateway's epoch in its last answer.
  [[nodiscard]] virtual std::optional<std::uint32_t> epoch() const { return std::nullopt; }
  // UPnP: the IGD used, once found (for the record); none for the others.
  [[nodiscard]] virtual std::optional<known_igd> igd() const { return std::nullopt; }
};

// The adapters. `request` says what to map (or, for a delete, which mapping: PCP by request.nonce,
// NAT-PMP by internal port, UPnP by external port); `deadline` bounds each operation.
std::unique_ptr<mapper> make_natpmp_mapper(asio::any_io_executor executor, const gateway& gw,
                                           const mapping_request& request, std::chrono::milliseconds deadline);
std::unique_ptr<mapper> make_pcp_mapper(asio::any_io_executor executor, const gateway& gw,
                                        const mapping_request& request, std::chrono::milliseconds deadline);
// `known`: an IGD remembered from an earlier run, tried first (no SSDP, no description GET); when it
// does not answer there, the IGD is searched for again within the same deadline.
std::unique_ptr<mapper> make_upnp_mapper(asio::any_io_executor executor, const gateway& gw,
                                         const mapping_request& request, std::chrono::milliseconds deadline,
                                         std::optional<known_igd> known = std::nullopt);

// Which protocol to use: one, or auto.
enum class protocol_choice { automatic, pcp, natpmp, upnp };

// A log of what auto's probes saw and why one was chosen, for -v.
using trace_handler = std::function<void(const std::string&)>;
// Makes the adapter for one protocol with the given deadline (tests give fakes).
using mapper_factory = std::function<std::shared_ptr<mapper>(protocol, std::chrono::milliseconds)>;

struct auto_options {
  // The protocol that served this gateway last (from the record): asked alone first, the others only
  // when it fails. `known`: that gateway's IGD, for UPnP.
  std::optional<protocol> preferred;
  std::optional<known_igd> known;
  trace_handler trace;
  // How long PCP and NAT-PMP may stay silent once an IGD answered: the first request and two resends
  // (250 ms, 500 ms: RFC 6886 §3.1's schedule); then a gateway that drops 5351 silently is taken for a
  // UPnP-only one.
  std::chrono::milliseconds pcp_grace{1000};
  // How long PCP may answer before the IGD search starts beside it (at once when PCP fails first): a
  // gateway serves one request at a time, and an M-SEARCH ahead of the PCP request slows its answer.
  std::chrono::milliseconds head_start{50};
  mapper_factory make;  // none: the real adapters
};

// `auto`: asks PCP (falling back to NAT-PMP when the gateway says it speaks only that) and looks for a
// UPnP IGD at the same time, under the one deadline, and maps over the best that answers: PCP, else
// NAT-PMP, else UPnP IGD. Never two mappings for one request: UPnP is only searched for (no mapping)
// until PCP and NAT-PMP have failed, or stayed silent for pcp_grace while an IGD stood ready. When PCP
// or NAT-PMP refuses the mapping outright and an IGD answered, UPnP is tried.
std::unique_ptr<mapper> make_auto_mapper(asio::any_io_executor executor, const gateway& gw,
                                         const mapping_request& request, std::chrono::milliseconds deadline,
                                         auto_options options = {});

}  // namespace natpunch::portmap
