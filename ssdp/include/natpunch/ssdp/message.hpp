// SSDP (UPnP Device Architecture 1.1 / 2.0, §1 Discovery) message codec: sans-I/O, text in, values out.
// The client builds M-SEARCH and parses search responses and NOTIFY; the gateway simulator formats
// responses and NOTIFYs (possibly hostile ones) and the fuzzer round-trips them.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/ssdp/error.hpp"

namespace natpunch::ssdp {

using core::byte_span;

inline constexpr std::uint16_t port = 1900;  // UDA §1: the SSDP port, for multicast and unicast searches
// UDA §1.3.2 HOST values for a multicast M-SEARCH (and §1.2.2 for NOTIFY): IPv4, IPv6 link-local, site-local.
inline constexpr std::string_view ipv4_multicast_host = "239.255.255.250:1900";
inline constexpr std::string_view ipv6_link_local_host = "[ff02::c]:1900";
inline constexpr std::string_view ipv6_site_local_host = "[ff05::c]:1900";

// Search targets (UDA §1.3.2 ST; InternetGatewayDevice:1/2, WANIPConnection:1/2, WANPPPConnection:1 specs).
inline constexpr std::string_view igd1 = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";
inline constexpr std::string_view igd2 = "urn:schemas-upnp-org:device:InternetGatewayDevice:2";
inline constexpr std::string_view wan_ip_connection1 = "urn:schemas-upnp-org:service:WANIPConnection:1";
inline constexpr std::string_view wan_ip_connection2 = "urn:schemas-upnp-org:service:WANIPConnection:2";
inline constexpr std::string_view wan_ppp_connection1 = "urn:schemas-upnp-org:service:WANPPPConnection:1";
// An IGD published in the DSL Forum's TR-064 domain (Huawei HG531 V1, tailscale/tailscale#10911): it
// answers a search for its own type, never one for the UPnP Forum's.
inline constexpr std::string_view dslforum_igd1 = "urn:dslforum-org:device:InternetGatewayDevice:1";
inline constexpr std::string_view ssdp_all = "ssdp:all";
// The order discovery sends them in. IGD:1 first: UDA §1.3.2 has a device answer a search for an
// older version of its type, so every IGD (v1, and v2 that follows the rule) answers it. IGD:2 for v2
// devices that do not; the WAN connection services for routers that answer only service searches; the
// TR-064 IGD after every standard target; ssdp:all last, since it makes every device on the LAN answer
// with every one of its services.
inline constexpr std::array<std::string_view, 7> search_targets = {
    igd1, igd2, wan_ip_connection1, wan_ip_connection2, wan_ppp_connection1, dslforum_igd1, ssdp_all};

// Limits on what we accept. One struct, with why. Lengths exclude the line ending.
struct limits {
  // miniupnpd's answers are about 300 bytes; one unfragmented Ethernet datagram carries at most 1472
  // (IPv4) or 1452 (IPv6) bytes of UDP payload. 2048 leaves room for a chatty device, no more. A
  // receiver reads into a buffer one byte larger so that a bigger datagram shows up as too_large.
  std::size_t max_message_size = 2048;
  // Real answers carry 7 to 12 headers (CACHE-CONTROL, DATE, EXT, LOCATION, SERVER, ST, USN, the
  // *.UPNP.ORG ones, and vendor extras such as OPT, 01-NLS, X-User-Agent); 32 is generous.
  std::size_t max_headers = 32;
  // Any line (start line included): room for each capped field below plus its header name.
  std::size_t max_line_length = 512;
  // LOCATION: "http://a.b.c.d:port/path"; real ones are 30 to 100 bytes (Windows hosts put a uuid in a
  // query string).
  std::size_t max_location = 256;
  // ST and NT: UDA caps a vendor domain name and a type name at 64 characters each, so
  // "urn:<64>:service:<64>:<version>" stays under 160.
  std::size_t max_target = 192;
  // USN: "uuid:<36>::" followed by a target.
  std::size_t max_usn = 256;
  // SERVER: "OS/version UPnP/1.1 product/version"; real ones are under 100 bytes.
  std::size_t max_server = 256;
};

// UDA §1.3.3 search response (unicast, to the searching control point):
//   HTTP/1.1 200 OK
//   CACHE-CONTROL: max-age = <seconds the answer is valid>
//   DATE: <when sent>                      (ignored)
//   EXT:                                   (ignored)
//   LOCATION: <URL of the root device description>
//   SERVER: <OS/version UPnP/1.1 product/version>
//   ST: <search target>
//   USN: <unique service name>
//   BOOTID.UPNP.ORG: <boot instance>       (UDA 1.1+)
//   CONFIGID.UPNP.ORG: <configuration id>  (UDA 1.1+)
struct search_response {
  std::string location;  // required, never empty, no spaces
  std::string st;        // required, never empty, no spaces
  std::string usn;       // required, never empty, no spaces
  std::string server;    // empty when absent
  std::optional<std::chrono::seconds> max_age;
  std::optional<std::uint32_t> boot_id;
  std::optional<std::uint32_t> config_id;
  friend bool operator==(const search_response&, const search_response&) = default;
};

// NTS: §1.2.2 device available, §1.2.3 device unavailable, §1.2.4 device update.
enum class notify_type { alive, byebye, update };
std::string_view to_string(notify_type t) noexcept;  // "ssdp:alive", "ssdp:byebye", "ssdp:update"

// UDA §1.2.2-§1.2.4 NOTIFY (multicast advertisement):
//   NOTIFY * HTTP/1.1
//   HOST: 239.255.255.250:1900             (ignored)
//   CACHE-CONTROL: max-age = <seconds>     (alive)
//   LOCATION: <URL>                        (alive, update; byebye has none)
//   NT: <notification type>
//   NTS: ssdp:alive | ssdp:byebye | ssdp:update
//   SERVER: <OS/version UPnP/1.1 product/version>
//   USN: <unique service name>
//   BOOTID.UPNP.ORG, CONFIGID.UPNP.ORG, NEXTBOOTID.UPNP.ORG (update)
struct notify {
  std::string nt;  // required
  notify_type nts = notify_type::alive;
  std::string usn;       // required
  std::string location;  // required for alive and update; empty when absent
  std::string server;    // empty when absent
  std::optional<std::chrono::seconds> max_age;
  std::optional<std::uint32_t> boot_id;
  std::optional<std::uint32_t> config_id;
  std::optional<std::uint32_t> next_boot_id;  // required for update
  friend bool operator==(const notify&, const notify&) = default;
};

using message = std::variant<search_response, notify>;

// Parsing rules shared by all three parsers:
//  - at most lim.max_message_size bytes (errc::too_large); lines end in CRLF, or a bare LF (tolerated:
//    some embedded stacks send it); the header block must end with an empty line (truncated) and
//    nothing may follow it (trailing_data);
//  - no line over lim.max_line_length (line_too_long); no NUL, bare CR or other control character
//    except HTAB anywhere (control_character); at most lim.max_headers header lines (too_many_headers);
//  - start line "HTTP/1.1 <3 digits>[ <any reason>]" or "<METHOD> <target> HTTP/1.1" (HTTP/1.0 too),
//    else bad_start_line;
//  - header lines "name:value" (RFC 7230 §3.2): the name a token, matched case-insensitively, no
//    space before the colon, no obs-fold continuation (bad_header_line); whitespace around the value is
//    dropped; unknown headers are skipped; a known header twice with different values is
//    duplicate_header (the same value twice is accepted); an empty value counts as absent;
//  - LOCATION, ST, NT and USN: capped (location_too_long, target_too_long, usn_too_long), then
//    printable ASCII without spaces (bad_value); SERVER: capped (server_too_long), any text;
//  - CACHE-CONTROL: a comma-separated directive list holding max-age=N (quoted accepted, other
//    directives ignored, UDA §1.3.3), N in 0..2^31-1 (bad_max_age);
//  - BOOTID / NEXTBOOTID / CONFIGID.UPNP.ORG: decimal, leading zeros ignored (UDA §1.2.2), 0..2^31-1
//    (bad_boot_id, bad_config_id).
// A search response: a status line (else not_a_search_response) with status 200 (unexpected_status);
// LOCATION, ST, USN required (missing_location, missing_st, missing_usn).
core::result<search_response> parse_search_response(byte_span data, const limits& lim = {});
// A NOTIFY: "NOTIFY * HTTP/1.1" (else not_a_notify); NT, NTS, USN required (missing_nt, missing_nts,
// missing_usn); NTS one of the three (bad_nts); LOCATION required unless byebye (missing_location);
// NEXTBOOTID.UPNP.ORG required for update (missing_next_boot_id).
core::result<notify> parse_notify(byte_span data, const limits& lim = {});
// Either, by start line; any other request (such as an M-SEARCH) is errc::unexpected_method.
core::result<message> parse_message(byte_span data, const limits& lim = {});

// Encoders for the gateway simulator: write what they are given, without validation (a hostile
// simulator may need to), and omit empty strings and absent optionals. The search response always
// carries "EXT:" (UDA §1.3.3); the NOTIFY carries `host`.
std::string format_search_response(const search_response& r);
std::string format_notify(const notify& n, std::string_view host = ipv4_multicast_host);

// UDA §1.3.2 M-SEARCH:
//   M-SEARCH * HTTP/1.1
//   HOST: <host>
//   MAN: "ssdp:discover"
//   MX: <mx clamped to 1..5>               (multicast only: a unicast search has none)
//   ST: <search_target>
//   USER-AGENT: <user_agent()>
// `host` is one of the multicast hosts above, or "a.b.c.d:1900" / "[v6]:1900" for a unicast search.
// Throws std::invalid_argument when search_target or host holds a control character (a header
// injection is a programming error).
std::string build_msearch(std::string_view search_target, std::chrono::seconds mx, std::string_view host);
// "239.255.255.250:<port>" or "[ff0X::c]:<port>" (any scope X, any case).
bool is_multicast_host(std::string_view host) noexcept;
// "Linux UPnP/1.1 natpunch/<version>" (UDA §1.3.2 product tokens).
std::string_view user_agent() noexcept;

// The device UUID of a USN "uuid:<UUID>" or "uuid:<UUID>::<type>", lower-cased (RFC 4122 hex compares
// without case), for de-duplicating answers; empty when the USN does not start with "uuid:".
std::string device_uuid(std::string_view usn);

}  // namespace natpunch::ssdp
