// SSDP errors: one category ("ssdp") for malformed or unacceptable discovery messages. SSDP has no
// result codes of its own (a gateway either answers 200 OK or is ignored), so there is no second one.
#pragma once

#include <system_error>

namespace natpunch::ssdp {

enum class errc {
  too_large = 1,           // datagram over limits::max_message_size
  truncated,               // ends before the empty line that closes the header block
  trailing_data,           // bytes after that empty line (SSDP messages have no body)
  control_character,       // NUL, a bare CR or another control character in a line
  line_too_long,           // a line over limits::max_line_length
  too_many_headers,        // more header lines than limits::max_headers
  bad_start_line,          // neither "HTTP/1.x <3 digits> <reason>" nor "<METHOD> <target> HTTP/1.x"
  unexpected_status,       // a status line other than 200
  not_a_search_response,   // a request (NOTIFY, M-SEARCH) where a search response was expected
  not_a_notify,            // a response, another method, or a NOTIFY for another target than "*"
  unexpected_method,       // parse_message: a request other than NOTIFY (another control point's M-SEARCH)
  bad_header_line,         // no colon, empty or invalid name, space before the colon, or a folded line
  duplicate_header,        // a header we read, twice with different values
  location_too_long,       // LOCATION over limits::max_location
  target_too_long,         // ST or NT over limits::max_target
  usn_too_long,            // USN over limits::max_usn
  server_too_long,         // SERVER over limits::max_server
  bad_value,               // LOCATION, ST, NT or USN with a space or a non-ASCII byte
  missing_location,        // no (or an empty) LOCATION where one is required
  missing_st,              // search response without ST
  missing_nt,              // NOTIFY without NT
  missing_nts,             // NOTIFY without NTS
  missing_usn,             // no USN
  bad_nts,                 // NTS other than ssdp:alive, ssdp:byebye, ssdp:update
  bad_max_age,             // CACHE-CONTROL without a max-age directive, or one that is not 0..2^31-1
  bad_boot_id,             // BOOTID.UPNP.ORG or NEXTBOOTID.UPNP.ORG not a decimal 0..2^31-1
  bad_config_id,           // CONFIGID.UPNP.ORG not a decimal 0..2^31-1
  missing_next_boot_id,    // ssdp:update without NEXTBOOTID.UPNP.ORG
  // Discovery (discovery.hpp), not the codec:
  not_a_gateway,           // an answer for a search target that is not an IGD or its WAN connection service
  no_gateway_found,        // no usable IGD answered before the deadline
};
const char* describe(errc e) noexcept;
const std::error_category& error_category() noexcept;  // name "ssdp"
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace natpunch::ssdp

template <>
struct std::is_error_code_enum<natpunch::ssdp::errc> : std::true_type {};
