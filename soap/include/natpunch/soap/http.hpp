// HTTP/1.1 client codec (RFC 9112, which obsoletes RFC 7230), sans-I/O: format_request() builds the bytes of
// a GET or POST, response_parser turns received bytes into an http_response whatever way they are split.
// The client that moves these bytes over core/tcp.hpp lives elsewhere; nothing here touches a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/soap/http_error.hpp"

namespace natpunch::soap {

// Bounds on what a gateway can make us buffer. Memory held by a response_parser never exceeds about
// max_start_line + max_header_bytes + max_body, whatever the input. Each limit has its own http_errc.
struct http_limits {
  // Status line, without its CRLF: "HTTP/1.1 200 OK" is 15 bytes; 1 KiB leaves room for any reason phrase.
  std::size_t max_start_line = 1024;
  // Header section after the status line, counting each field line without its line ending: miniupnpd
  // sends about 300 bytes; 8 KiB is the usual server limit for a whole header line.
  std::size_t max_header_bytes = 8 * 1024;
  // Header field lines (a folded continuation is part of its field): gateways send under a dozen.
  std::size_t max_headers = 64;
  // Body: a root description or an SCPD is a few KiB (miniupnpd's largest, WANIPConnection:2, ~10 KiB);
  // GetListOfPortMappings answers ~400 bytes per entry, so 256 KiB holds a batch of several hundred.
  std::size_t max_body = 256 * 1024;
  // A chunk-size line with its extensions: 16 hex digits cover any 64-bit size; no gateway sends extensions.
  std::size_t max_chunk_line = 256;
  // Trailer fields after the last chunk (read and dropped): gateways send none.
  std::size_t max_trailer_bytes = 4 * 1024;
  // 1xx interim responses skipped before the final one: a gateway sends at most one 100 Continue (and only
  // to a request with Expect, which we never send); a stream of them must not keep us reading.
  std::size_t max_interim = 8;
};

using header_list = std::vector<std::pair<std::string, std::string>>;

// The value of the first field named `name` (compared case-insensitively), or nullopt.
std::optional<std::string_view> find_header(const header_list& headers, std::string_view name) noexcept;

// A request. `target` is origin-form (path and query, e.g. "/ctl/IPConn"), `host` the Host field value
// (url.hpp's authority()). format_request adds Host first and Content-Length for a body or a POST; it adds
// no "Connection: close" (connection reuse is wanted: list and keep make many calls) unless `headers` do.
struct http_request {
  std::string method = "GET";
  std::string target = "/";
  std::string host{};
  header_list headers{};  // the {} let callers use designated initializers and leave these out
  std::string body{};
};

// The request bytes, or http_errc::bad_request_field when the method is not a token, the target or host is
// empty or holds a space or control character, a header name is not a token, a value holds CR, LF or another
// control character (header injection), or `headers` set Host, Content-Length or Transfer-Encoding (which
// format_request owns, so a body and its length can never disagree).
core::result<std::string> format_request(const http_request& request);

struct http_response {
  int status = 0;
  int minor_version = 1;  // HTTP/1.<minor_version>
  std::string reason;
  header_list headers;    // names as received; look up with header()
  std::string body;       // de-chunked
  // Whether the connection may carry another request: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only
  // with "Connection: keep-alive"; never when the body was delimited by the connection closing.
  bool keep_alive = false;

  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept {
    return find_header(headers, name);
  }
  friend bool operator==(const http_response&, const http_response&) = default;
};

// An incremental response parser (RFC 9112 §2-§7). Feed it the bytes as they arrive; the outcome (value or
// error, and every field) is the same however the input is split. 1xx interim responses are skipped; 204 and
// 304 have no body; otherwise the body is framed by Transfer-Encoding: chunked (extensions ignored, trailers
// read, bounded and dropped), else Content-Length, else by the connection closing.
// Lenient where real servers differ and it is safe: a bare LF ends a line like CRLF (§2.2), an obs-fold
// continuation line is joined to its field with a space (§5.2), "Content-Length: 42, 42" is 42 (§6.3).
class response_parser {
 public:
  enum class state { need_more, done, failed };

  explicit response_parser(http_limits limits = {});

  // Parses from `data`. `consumed` says how many bytes were used: all of them while need_more; on done,
  // the bytes of a next pipelined response stay unread. Once done or failed, feed() consumes nothing.
  state feed(core::byte_span data, std::size_t& consumed);
  state feed(std::string_view data, std::size_t& consumed);
  // The peer closed the connection: a read-to-close body ends here, anything else unfinished is truncated
  // (closed_without_response if no byte had come).
  state finish_eof();

  [[nodiscard]] state current() const noexcept { return state_; }
  // Complete once done; partial while need_more (the fields parsed so far).
  [[nodiscard]] const http_response& response() const noexcept { return response_; }
  http_response take_response() && { return std::move(response_); }
  [[nodiscard]] std::error_code error() const noexcept { return error_; }
  [[nodiscard]] const http_limits& limits() const noexcept { return limits_; }

  // Ready for the next response on the same connection (same limits).
  void reset();

 private:
  enum class phase { status_line, headers, body_length, chunk_size, chunk_data, chunk_end, trailers, body_to_close };

  state fail(http_errc e);
  void reject(http_errc e) { fail(e); }
  // Takes bytes into line_ up to a line ending; true when a whole line is in line_ (ending stripped).
  // `limit` bounds the line content: over it, fails with `too_long`.
  bool take_line(std::string_view& in, std::size_t limit, http_errc too_long);
  void on_status_line();
  void on_header_line();
  void on_headers_end();
  void on_chunk_size_line();
  void on_trailer_line();
  void finish_message();

  http_limits limits_;
  state state_ = state::need_more;
  phase phase_ = phase::status_line;
  http_response response_;
  std::error_code error_;
  std::string line_;
  bool line_complete_ = false;
  bool started_ = false;
  std::size_t header_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t interim_ = 0;
  std::uint64_t remaining_ = 0;  // body bytes (Content-Length) or chunk bytes still to read
};

}  // namespace natpunch::soap
