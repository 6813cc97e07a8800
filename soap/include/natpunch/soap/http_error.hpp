// HTTP/1.1 errors (category "http"): what was wrong with a response a gateway sent, or with a request we
// were asked to format. Each limit in http_limits has its own code, so a report names the limit that tripped.
#pragma once

#include <system_error>

namespace natpunch::soap {

enum class http_errc {
  start_line_too_long = 1,        // status line over http_limits::max_start_line
  bad_start_line,                 // not "HTTP/x.y NNN reason" (RFC 9112 §4), or a control character in it
  bad_version,                    // an HTTP version other than 1.x
  bad_status,                     // status code outside 100..599, or 101 (we never ask to switch protocols)
  headers_too_large,              // header section over http_limits::max_header_bytes
  too_many_headers,               // more header fields than http_limits::max_headers
  bad_header_line,                // no colon, whitespace before it, a bad name, or a control character in a value
  bad_content_length,             // Content-Length that is not a plain decimal number (sign, space, overflow)
  conflicting_length,             // Content-Length with Transfer-Encoding, or two different Content-Lengths
  unsupported_transfer_encoding,  // a coding other than "chunked" alone, or Transfer-Encoding in HTTP/1.0
  bad_chunk_size,                 // a chunk-size line that is not hex digits (or overflows 64 bits)
  chunk_line_too_long,            // chunk-size line (with extensions) over http_limits::max_chunk_line
  bad_chunk_end,                  // chunk data not followed by CRLF
  trailers_too_large,             // trailer section over http_limits::max_trailer_bytes
  body_too_large,                 // body over http_limits::max_body (announced or received)
  too_many_interim,               // more 1xx interim responses than http_limits::max_interim
  truncated,                      // the connection closed before the response ended
  closed_without_response,        // the connection closed before any byte of a response
  bad_request_field,              // format_request: a field with CR, LF or another character not allowed there
};
const char* describe(http_errc e) noexcept;
const std::error_category& http_category() noexcept;  // name "http"
inline std::error_code make_error_code(http_errc e) noexcept { return {static_cast<int>(e), http_category()}; }

}  // namespace natpunch::soap

template <>
struct std::is_error_code_enum<natpunch::soap::http_errc> : std::true_type {};
