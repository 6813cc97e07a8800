#include "natpunch/ssdp/error.hpp"

#include "natpunch/core/error.hpp"

namespace natpunch::ssdp {

// Messages say what the datagram did wrong in SSDP's own words, since users compare them with a
// packet capture of their router.
const char* describe(errc e) noexcept {
  switch (e) {
    case errc::too_large: return "datagram larger than the SSDP size limit";
    case errc::truncated: return "message ends before the empty line that closes its headers (truncated)";
    case errc::trailing_data: return "bytes after the end of the headers (SSDP messages have no body)";
    case errc::control_character: return "control character (NUL, bare CR, ...) in the message";
    case errc::line_too_long: return "a line longer than the SSDP line limit";
    case errc::too_many_headers: return "more header lines than the SSDP limit";
    case errc::bad_start_line:
      return "malformed start line (neither \"HTTP/1.1 <status> <reason>\" nor \"<METHOD> <target> HTTP/1.1\")";
    case errc::unexpected_status: return "search response with a status other than 200 OK";
    case errc::not_a_search_response: return "a request (NOTIFY or M-SEARCH), not a search response";
    case errc::not_a_notify: return "not an SSDP NOTIFY (\"NOTIFY * HTTP/1.1\")";
    case errc::unexpected_method: return "a request other than NOTIFY (such as another control point's M-SEARCH)";
    case errc::bad_header_line:
      return "malformed header line (no colon, invalid name, space before the colon, or folded)";
    case errc::duplicate_header: return "the same header twice with different values";
    case errc::location_too_long: return "LOCATION longer than the SSDP limit";
    case errc::target_too_long: return "ST or NT longer than the SSDP limit";
    case errc::usn_too_long: return "USN longer than the SSDP limit";
    case errc::server_too_long: return "SERVER longer than the SSDP limit";
    case errc::bad_value: return "LOCATION, ST, NT or USN containing a space or a non-ASCII byte";
    case errc::missing_location: return "no LOCATION header";
    case errc::missing_st: return "search response without an ST header";
    case errc::missing_nt: return "NOTIFY without an NT header";
    case errc::missing_nts: return "NOTIFY without an NTS header";
    case errc::missing_usn: return "no USN header";
    case errc::bad_nts: return "NTS is none of ssdp:alive, ssdp:byebye, ssdp:update";
    case errc::bad_max_age: return "CACHE-CONTROL without a valid max-age (0 to 2147483647 seconds)";
    case errc::bad_boot_id: return "BOOTID.UPNP.ORG or NEXTBOOTID.UPNP.ORG is not a number from 0 to 2147483647";
    case errc::bad_config_id: return "CONFIGID.UPNP.ORG is not a number from 0 to 2147483647";
    case errc::missing_next_boot_id: return "ssdp:update without NEXTBOOTID.UPNP.ORG";
    case errc::not_a_gateway: return "the answer is for a device or service that is not an Internet gateway";
    case errc::no_gateway_found: return "no UPnP Internet Gateway Device answered the search";
  }
  return nullptr;
}

const std::error_category& error_category() noexcept {
  static const core::enum_category<errc> category("ssdp");
  return category;
}

}  // namespace natpunch::ssdp
