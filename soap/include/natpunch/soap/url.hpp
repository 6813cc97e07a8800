// Absolute URLs and reference resolution (RFC 3986), for what a gateway hands us: the SSDP LOCATION, the
// description's URLBase and every controlURL/SCPDURL, relative or absolute. Parsing is strict where a sloppy
// parser would let a URL point somewhere else than it seems to (userinfo, zone IDs, numeric hosts that are not
// dotted quads). Which schemes and hosts to follow is the caller's policy: see same_origin().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/ip/address.hpp>

#include "natpunch/core/result.hpp"

namespace natpunch::soap {

// Longest URL accepted, as given and as resolved: gateways' control URLs are under 100 bytes; 2 KiB is far
// above any and bounds the work on a hostile one.
inline constexpr std::size_t max_url_length = 2048;

enum class url_errc {
  too_long = 1,       // over max_url_length (the input, a reference, or a resolved URL)
  bad_scheme,         // no "scheme:" or a scheme with characters RFC 3986 §3.1 does not allow
  not_absolute,       // no "//authority" after the scheme (or no base to resolve against)
  userinfo,           // "user@host": refused, it only ever serves to disguise the real host
  empty_host,         // "http:///path"
  bad_host,           // a character no host name has, or a numeric host that is not a dotted quad
  bad_ipv6,           // "[...]" that is not an IPv6 address (IPvFuture included)
  zone_id,            // "[fe80::1%25eth0]": a zone is meaningful only on the host that wrote it
  bad_port,           // not a number, 0, or over 65535
  no_port,            // no port, and none known for the scheme (only http and https have a default)
  bad_character,      // a path, query or fragment character that must be percent-encoded, or a bad %HH
};
const char* describe(url_errc e) noexcept;
const std::error_category& url_category() noexcept;  // name "url"
inline std::error_code make_error_code(url_errc e) noexcept { return {static_cast<int>(e), url_category()}; }

struct url {
  std::string scheme;  // lower case; any valid scheme parses, callers accept "http" only
  std::string host;    // lower case; an IPv6 literal without its brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, never empty: "/" at least; dot segments removed; no fragment

  friend bool operator==(const url&, const url&) = default;
};

// An absolute URL: scheme "://" host [":" port] path [? query] [# fragment] (the fragment is dropped).
core::result<url> parse_url(std::string_view text);

// RFC 3986 §5.2: `ref` (absolute, network-path "//host/x", absolute-path "/x", relative-path "x", "",
// "?q") resolved against `base`, with dot segments removed. The result obeys parse_url's rules, length too.
core::result<url> resolve(const url& base, std::string_view ref);

// "host[:port]" for the Host header and to_string: brackets around IPv6, no port when it is the scheme's
// default (RFC 9110 §7.2).
std::string authority(const url& u);

// scheme "://" authority target; parse_url(to_string(u)) gives u back.
std::string to_string(const url& u);

// The host as an address when it is an IP literal (dotted quad or IPv6), nullopt when it is a name.
std::optional<asio::ip::address> literal_address(const url& u);

// Same scheme, host and port (an IPv6 host compared as an address, whatever its spelling): what pinning a
// control URL to the description's host and port checks.
bool same_origin(const url& a, const url& b);

}  // namespace natpunch::soap

template <>
struct std::is_error_code_enum<natpunch::soap::url_errc> : std::true_type {};
