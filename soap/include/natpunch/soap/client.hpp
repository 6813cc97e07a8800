// The UPnP IGD control client: fetches a gateway's description, pins every control URL to it, and calls
// the IGD actions over http_client. The only soap/ code besides http_client that does I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/soap/description.hpp"
#include "natpunch/soap/http_client.hpp"
#include "natpunch/soap/igd.hpp"
#include "natpunch/soap/url.hpp"

namespace natpunch::soap {

// The trust rule for an SSDP LOCATION (or a --igd URL when `responder` is unset): http only; the host an
// IP literal equal to the responder's address or the default gateway; never loopback, link-local,
// multicast or unspecified (a LAN device must not send us to ourselves or elsewhere). Errors: url_errc
// from parsing, errc::untrusted_location.
core::result<url> check_location(std::string_view location, const std::optional<asio::ip::address>& responder,
                                 const std::optional<asio::ip::address>& gateway);

// A described gateway: the services natpunch drives and their control URLs, each resolved against
// URLBase or the LOCATION and pinned to the description's own host and port.
struct gateway {
  url location;
  asio::ip::address address;  // the location's host
  description desc;
  igd_services services;
  url connection_control;
  std::optional<url> common_interface_control;
  std::optional<url> ipv6_firewall_control;
  [[nodiscard]] const url* control(service_kind kind) const noexcept;
};

struct client_options {
  // Each HTTP exchange (one action call, or the description GET).
  std::chrono::milliseconds deadline{std::chrono::seconds(5)};
  http_limits http{};
  description_limits description{};
  soap_limits soap{};
  // GetListOfPortMappings batch size (IGD:2); the answer's size cap (soap_limits) allows 1000.
  std::uint16_t list_batch = 500;
  // Mappings a list returns at most (both protocols): a home gateway holds a few hundred at most;
  // more is a gateway flooding us, reported as errc::too_many_entries rather than cut silently.
  std::uint32_t max_list_entries = 4096;
};

// What an add obtained: the mapping as the gateway holds it after the add (read back with
// GetSpecificPortMappingEntry) and how it got there.
struct added_mapping {
  port_mapping mapping;
  bool read_back = true;        // false: the read-back failed; `mapping` is what was asked and accepted
  bool permanent_only = false;  // 725: the gateway accepted only lease 0 (so it must be deleted later)
  bool other_port = false;      // a conflict made us take another external port
};

class client {
 public:
  client(asio::any_io_executor executor, client_options options = {});

  // GETs the description at `location` and chooses its services. Errors: transport and http errors, an
  // HTTP status other than 200 (errc::unexpected_status), the description's parse errors,
  // errc::not_an_igd (no WANIPConnection/WANPPPConnection), url errors and errc::untrusted_location
  // (a control URL on another host or port).
  asio::awaitable<core::result<gateway>> async_describe(url location);

  // One action on the service it belongs to. A UPnPError fault is returned as fault_error() (category
  // upnp or upnp-firewall, the gateway's code); its text is kept in last_fault().
  asio::awaitable<core::result<action_response>> async_call(const gateway& gw, call c);

  // GetExternalIPAddress, an address mappings can be reached at: errc::no_external_address when the
  // gateway says none (empty, 0.0.0.0 or ::, as while its WAN link is down), bad_value for text that is no
  // address or for a loopback, multicast or broadcast one (usable_external_ip).
  asio::awaitable<core::result<asio::ip::address>> async_external_ip(const gateway& gw);
  // The same action, the address as the gateway reported it (0.0.0.0 for empty; bad_value for text that is
  // no address): for showing the WAN's state, where "none" is an answer, not a failure.
  asio::awaitable<core::result<asio::ip::address>> async_reported_external_ip(const gateway& gw);
  asio::awaitable<core::result<status_info>> async_status(const gateway& gw);
  asio::awaitable<core::result<connection_type_info>> async_connection_type(const gateway& gw);
  asio::awaitable<core::result<link_properties>> async_link_properties(const gateway& gw);

  // AddPortMapping with what real routers need (issue 4): 725 OnlyPermanentLeasesSupported → lease 0;
  // 718/729 conflict → AddAnyPortMapping on IGD:2, else the next ports up (unless `exact_port`);
  // 724 SamePortValuesRequired → external = internal. Leases above 604800 s are sent as 604800 on IGD:2
  // (its maximum). Then reads the mapping back to report what the gateway really holds.
  asio::awaitable<core::result<added_mapping>> async_add(const gateway& gw, port_mapping wanted, bool exact_port);
  asio::awaitable<core::result<void>> async_delete(const gateway& gw, std::uint16_t external_port,
                                                   core::ip_protocol protocol);
  // IGD:2 DeletePortMappingRange; on IGD:1 the listed mappings in the range are deleted one by one.
  // Returns how many were deleted when known (IGD:1), else nullopt.
  asio::awaitable<core::result<std::optional<unsigned>>> async_delete_range(const gateway& gw, std::uint16_t first,
                                                                            std::uint16_t last,
                                                                            core::ip_protocol protocol);
  asio::awaitable<core::result<port_mapping>> async_get_mapping(const gateway& gw, std::uint16_t external_port,
                                                                core::ip_protocol protocol);
  // Every mapping: GetListOfPortMappings in batches, TCP then UDP, on IGD:2 (only `protocol`'s when
  // given, so that a caller can ask for both at once on two clients); GetGenericPortMappingEntry index
  // by index otherwise (until 713/714; `protocol` then filters).
  asio::awaitable<core::result<std::vector<port_mapping>>> async_list(
      const gateway& gw, std::optional<core::ip_protocol> protocol = std::nullopt);

  // One deadline for everything from now on (a list of many calls, discovery included by the caller):
  // each exchange gets the smaller of client_options::deadline and what is left. Past it, calls fail
  // with core::transport_errc::timed_out without sending.
  void set_overall_deadline(std::chrono::steady_clock::time_point at) noexcept { overall_ = at; }

  // Every (external port, protocol) an AddPortMapping or AddAnyPortMapping was sent for since the last
  // clear: what an interrupted or failed add may have left on the gateway, and nothing else.
  // A port whose Add* the gateway refused (a UPnPError) is not in it; AddAnyPortMapping's port is known
  // only from its answer.
  [[nodiscard]] const std::vector<std::pair<std::uint16_t, core::ip_protocol>>& sent_adds() const noexcept {
    return sent_adds_;
  }
  void clear_sent_adds() noexcept { sent_adds_.clear(); }

  // The last UPnPError a call returned (code and the gateway's own description).
  [[nodiscard]] const std::optional<fault>& last_fault() const noexcept { return last_fault_; }
  // The status line of the last answer that was errc::unexpected_status ("302 Found"), as the gateway
  // sent it (the reason at most 64 bytes), or empty.
  [[nodiscard]] const std::string& last_unexpected_status() const noexcept { return last_status_; }
  [[nodiscard]] unsigned calls() const noexcept { return calls_; }
  [[nodiscard]] http_client& http() noexcept { return http_; }

 private:
  asio::awaitable<core::result<std::vector<port_mapping>>> list_v2(const gateway& gw,
                                                                   std::vector<core::ip_protocol> protocols);
  asio::awaitable<core::result<std::vector<port_mapping>>> list_generic(const gateway& gw);

  void note_add(std::uint16_t port, core::ip_protocol protocol);
  // Keeps the status line for last_unexpected_status(); returns errc::unexpected_status.
  std::error_code unexpected(const http_response& r);
  void forget_add(std::uint16_t port, core::ip_protocol protocol);
  // Sets the HTTP exchange's deadline from the two limits; false when no time is left.
  bool arm_deadline() noexcept;

  client_options options_;
  http_client http_;
  std::optional<std::chrono::steady_clock::time_point> overall_;
  std::vector<std::pair<std::uint16_t, core::ip_protocol>> sent_adds_;
  std::optional<fault> last_fault_;
  std::string last_status_;
  unsigned calls_ = 0;
};

}  // namespace natpunch::soap
