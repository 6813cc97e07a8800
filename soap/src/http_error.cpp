#include "natpunch/soap/http_error.hpp"

#include "natpunch/core/error.hpp"

namespace natpunch::soap {

const char* describe(http_errc e) noexcept {
  switch (e) {
    case http_errc::start_line_too_long: return "HTTP status line too long";
    case http_errc::bad_start_line: return "malformed HTTP status line";
    case http_errc::bad_version: return "unsupported HTTP version (not 1.x)";
    case http_errc::bad_status: return "invalid or unexpected HTTP status code";
    case http_errc::headers_too_large: return "HTTP header section too large";
    case http_errc::too_many_headers: return "too many HTTP header fields";
    case http_errc::bad_header_line: return "malformed HTTP header field";
    case http_errc::bad_content_length: return "malformed Content-Length";
    case http_errc::conflicting_length:
      return "ambiguous HTTP message length (Content-Length with Transfer-Encoding, or two different "
             "Content-Lengths)";
    case http_errc::unsupported_transfer_encoding:
      return "unsupported Transfer-Encoding (only chunked, and only in HTTP/1.1)";
    case http_errc::bad_chunk_size: return "malformed chunk size in a chunked HTTP body";
    case http_errc::chunk_line_too_long: return "chunk-size line too long in a chunked HTTP body";
    case http_errc::bad_chunk_end: return "chunk data not followed by CRLF in a chunked HTTP body";
    case http_errc::trailers_too_large: return "HTTP trailer section too large";
    case http_errc::body_too_large: return "HTTP body too large";
    case http_errc::too_many_interim: return "too many interim (1xx) HTTP responses";
    case http_errc::truncated: return "connection closed before the HTTP response ended";
    case http_errc::closed_without_response:
      return "connection closed before any HTTP response (a reused connection the gateway had closed?)";
    case http_errc::bad_request_field:
      return "HTTP request field holds CR, LF or another character not allowed there";
  }
  return nullptr;
}

const std::error_category& http_category() noexcept {
  static const core::enum_category<http_errc> category("http");
  return category;
}

}  // namespace natpunch::soap
