// SSDP message parser (search responses and NOTIFY: what a control point reads from anyone on the LAN).
// Invariants beyond "no crash":
//  - each parser yields a value or an error, never both (and never neither); errors are ssdp::errc;
//    parse_message agrees with parse_search_response / parse_notify;
//  - limits hold: the input is within max_message_size, every kept string within its cap; LOCATION,
//    ST, NT and USN are printable ASCII without spaces, SERVER has no control character; numbers are
//    31-bit;
//  - parse → format → parse gives an equal value;
//  - the input without its last byte is refused as truncated;
//  - a tighter cap on LOCATION accepts exactly the values within it (and refuses the rest with
//    location_too_long);
//  - device_uuid of the USN is lower case and never longer than the USN.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>

#include "support.hpp"
#include "natpunch/ssdp/message.hpp"

namespace {

using natpunch::fuzz::require;
namespace ssdp = natpunch::ssdp;
using natpunch::core::byte_span;

constexpr std::uint32_t max_31_bit = 0x7fffffff;

byte_span span(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

bool printable_token(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

bool no_control(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

template <typename T>
void require_one_of(const natpunch::core::result<T>& r) {
  require(r.has_value() != static_cast<bool>(r.error()));
  if (!r) require(&r.error().category() == &ssdp::error_category() && !r.error().message().empty());
}

void check_common(std::string_view location, std::string_view usn, std::string_view server,
                  const std::optional<std::chrono::seconds>& max_age, const std::optional<std::uint32_t>& boot_id,
                  const std::optional<std::uint32_t>& config_id, const ssdp::limits& lim) {
  require(location.size() <= lim.max_location && printable_token(location));
  require(!usn.empty() && usn.size() <= lim.max_usn && printable_token(usn));
  require(server.size() <= lim.max_server && no_control(server));
  require(!max_age || (max_age->count() >= 0 && max_age->count() <= max_31_bit));
  require(!boot_id || *boot_id <= max_31_bit);
  require(!config_id || *config_id <= max_31_bit);
  const std::string uuid = ssdp::device_uuid(usn);
  require(uuid.size() <= usn.size());
  for (const char c : uuid) require(!(c >= 'A' && c <= 'Z'));
}

// Reformatted text may be longer than the input (a canonical "HTTP/1.1 200 OK", "EXT:", spaces after
// colons), so it is parsed back with room for that; every other limit stays.
ssdp::limits roomy(ssdp::limits lim) {
  lim.max_message_size = 4 * lim.max_message_size + 1024;
  return lim;
}

void check_response(const ssdp::search_response& r, byte_span input, const ssdp::limits& lim) {
  require(!r.location.empty() && !r.st.empty());
  require(r.st.size() <= lim.max_target && printable_token(r.st));
  check_common(r.location, r.usn, r.server, r.max_age, r.boot_id, r.config_id, lim);

  const std::string wire = ssdp::format_search_response(r);
  const auto again = ssdp::parse_search_response(span(wire), roomy(lim));
  require(again.has_value() && *again == r);
  require(ssdp::format_search_response(*again) == wire);

  // The answer's ST searched again, to its LOCATION's host or a group: the M-SEARCH names it, with MX
  // only for a multicast HOST (is_multicast_host), and its MX within 1..5.
  const std::string hosts[] = {r.location, "239.255.255.250:1900", "[FF02::C]:1900", "[ff05::c]:1900", "[ff0g::c]:1900"};
  const std::string& host = hosts[input.size() % std::size(hosts)];
  const std::string search = ssdp::build_msearch(r.st, std::chrono::seconds(static_cast<long>(input.size() % 9) - 1), host);
  require(search.starts_with("M-SEARCH * HTTP/1.1\r\nHOST: " + host + "\r\n"));
  require(search.find("\r\nST: " + r.st + "\r\n") != std::string::npos);
  const auto mx = search.find("\r\nMX: ");
  require((mx != std::string::npos) == ssdp::is_multicast_host(host));
  require(mx == std::string::npos || (search[mx + 6] >= '1' && search[mx + 6] <= '5' && search[mx + 7] == '\r'));
  if (&host != &hosts[0]) require(ssdp::is_multicast_host(host) == (&host != &hosts[4]));  // "ff0g": no scope

  ssdp::limits tight = lim;
  tight.max_location = 24;
  const auto t = ssdp::parse_search_response(input, tight);
  require(r.location.size() <= 24 ? (t.has_value() && *t == r) : t.error() == ssdp::errc::location_too_long);
}

void check_notify(const ssdp::notify& n, byte_span input, const ssdp::limits& lim) {
  require(!n.nt.empty() && n.nt.size() <= lim.max_target && printable_token(n.nt));
  require(n.nts == ssdp::notify_type::byebye || !n.location.empty());
  require(n.nts != ssdp::notify_type::update || n.next_boot_id.has_value());
  require(!n.next_boot_id || *n.next_boot_id <= max_31_bit);
  check_common(n.location, n.usn, n.server, n.max_age, n.boot_id, n.config_id, lim);

  const std::string wire = ssdp::format_notify(n);
  const auto again = ssdp::parse_notify(span(wire), roomy(lim));
  require(again.has_value() && *again == n);
  require(ssdp::format_notify(*again) == wire);

  ssdp::limits tight = lim;
  tight.max_location = 24;
  const auto t = ssdp::parse_notify(input, tight);
  require(n.location.size() <= 24 ? (t.has_value() && *t == n) : t.error() == ssdp::errc::location_too_long);
}

void run(byte_span input) {
  const ssdp::limits lim;
  const auto response = ssdp::parse_search_response(input, lim);
  const auto notify = ssdp::parse_notify(input, lim);
  const auto message = ssdp::parse_message(input, lim);
  require_one_of(response);
  require_one_of(notify);
  require_one_of(message);
  require(!(response && notify));  // a start line is a status line or a request line, not both

  if (message) {
    if (const auto* r = std::get_if<ssdp::search_response>(&*message)) require(response && *response == *r);
    if (const auto* n = std::get_if<ssdp::notify>(&*message)) require(notify && *notify == *n);
  } else {
    require(!response && !notify);
    require(message.error() == response.error() || message.error() == notify.error() ||
            message.error() == ssdp::errc::unexpected_method);
  }

  if (response || notify) {
    require(input.size() <= lim.max_message_size);
    require(ssdp::parse_message(input.first(input.size() - 1), lim).error() == ssdp::errc::truncated);
  }
  if (response) check_response(*response, input, lim);
  if (notify) check_notify(*notify, input, lim);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
