// HTTP/1.1 client codec: RFC 9112 (message syntax and framing), RFC 9110 §5 (field syntax).
#include "natpunch/soap/http.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace natpunch::soap {
namespace {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// RFC 9110 §5.6.2 tchar.
constexpr bool is_tchar(char c) noexcept {
  if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// Field values and reason phrases: HTAB, SP, VCHAR and obs-text; no other control character (a CR or NUL
// here is how header injection and response splitting start).
bool is_text(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

// Request targets and Host values go on the wire between spaces: visible ASCII only.
bool is_visible(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Calls f(element) for each non-empty element of a comma-separated list (RFC 9110 §5.6.1), trimmed.
template <typename F>
void for_each_element(std::string_view list, F f) {
  while (true) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) f(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). No whitespace before the colon (§5.1:
// a classic smuggling trick). Returns false when malformed.
bool split_field_line(std::string_view line, std::string_view& name, std::string_view& value) noexcept {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  name = line.substr(0, colon);
  value = trim_ows(line.substr(colon + 1));
  return is_token(name) && is_text(value);
}

// A line starting with SP or HTAB continues the previous field (obs-fold, RFC 9112 §5.2).
bool is_fold(std::string_view line) noexcept { return !line.empty() && is_ows(line.front()); }

// 1*DIGIT that fits in 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view digits) noexcept {
  if (digits.empty()) return std::nullopt;
  std::uint64_t n = 0;
  for (const char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (!is_digit(c) || n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

// What the fields of a response say about its framing and its connection (RFC 9112 §6, §9.3).
struct framing {
  bool close = false;
  bool keep_alive = false;
  bool transfer_encoding = false;
  std::size_t codings = 0;
  bool chunked = false;
  bool has_length = false;
  bool bad_length = false;
  bool lengths_differ = false;
  std::uint64_t length = 0;

  // Only "chunked" alone: we decode no other coding, and "chunked, chunked" is a smuggling probe.
  [[nodiscard]] bool chunked_only() const noexcept { return codings == 1 && chunked; }

  void add(std::string_view name, std::string_view value) {
    if (iequals(name, "Connection")) {
      for_each_element(value, [&](std::string_view token) {
        close = close || iequals(token, "close");
        keep_alive = keep_alive || iequals(token, "keep-alive");
      });
    } else if (iequals(name, "Transfer-Encoding")) {
      transfer_encoding = true;
      for_each_element(value, [&](std::string_view coding) {
        ++codings;
        chunked = chunked || iequals(coding, "chunked");
      });
    } else if (iequals(name, "Content-Length")) {
      // "42, 42" and repeated equal fields are one length (§6.3 item 5); an empty field is malformed.
      bool any = false;
      for_each_element(value, [&](std::string_view digits) {
        any = true;
        const std::optional<std::uint64_t> n = parse_decimal(digits);
        if (!n) {
          bad_length = true;
          return;
        }
        if (has_length && *n != length) lengths_differ = true;
        length = *n;
        has_length = true;
      });
      if (!any) bad_length = true;
      has_length = true;
    }
  }
};

}  // namespace

std::optional<std::string_view> find_header(const header_list& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

core::result<std::string> format_request(const http_request& request) {
  if (!is_token(request.method) || !is_visible(request.target) || !is_visible(request.host)) {
    return http_errc::bad_request_field;
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name) || !is_text(value)) return http_errc::bad_request_field;
    if (iequals(name, "Host") || iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding")) {
      return http_errc::bad_request_field;
    }
  }
  std::string out;
  out.reserve(64 + request.target.size() + request.host.size() + request.body.size());
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(request.host).append("\r\n");
  for (const auto& [name, value] : request.headers) out.append(name).append(": ").append(value).append("\r\n");
  // RFC 9110 §8.6: a POST without a body still says Content-Length: 0, or a server may wait for one.
  if (!request.body.empty() || request.method == "POST") {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return out;
}

response_parser::response_parser(http_limits limits) : limits_(limits) {}

void response_parser::reset() { *this = response_parser(limits_); }

response_parser::state response_parser::fail(http_errc e) {
  state_ = state::failed;
  error_ = e;
  return state_;
}

void response_parser::finish_message() { state_ = state::done; }

response_parser::state response_parser::feed(std::string_view data, std::size_t& consumed) {
  return feed(core::byte_span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), consumed);
}

response_parser::state response_parser::feed(core::byte_span data, std::size_t& consumed) {
  consumed = 0;
  if (state_ != state::need_more) return state_;
  std::string_view in(reinterpret_cast<const char*>(data.data()), data.size());
  if (!in.empty()) started_ = true;
  while (state_ == state::need_more && !in.empty()) {
    switch (phase_) {
      case phase::status_line:
        if (take_line(in, limits_.max_start_line, http_errc::start_line_too_long)) on_status_line();
        break;
      case phase::headers:
        if (take_line(in, limits_.max_header_bytes - header_bytes_, http_errc::headers_too_large)) {
          header_bytes_ += line_.size();
          on_header_line();
        }
        break;
      case phase::body_length:
      case phase::chunk_data: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
        response_.body.append(in.substr(0, n));
        in.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0 && phase_ == phase::body_length) finish_message();
        if (remaining_ == 0 && phase_ == phase::chunk_data) phase_ = phase::chunk_end;
        break;
      }
      case phase::chunk_end:
        // Limit 0: anything but an empty line (the CRLF closing the chunk data) is over it.
        if (take_line(in, 0, http_errc::bad_chunk_end)) phase_ = phase::chunk_size;
        break;
      case phase::chunk_size:
        if (take_line(in, limits_.max_chunk_line, http_errc::chunk_line_too_long)) on_chunk_size_line();
        break;
      case phase::trailers:
        if (take_line(in, limits_.max_trailer_bytes - trailer_bytes_, http_errc::trailers_too_large)) {
          trailer_bytes_ += line_.size();
          on_trailer_line();
        }
        break;
      case phase::body_to_close:
        if (in.size() > limits_.max_body - response_.body.size()) return fail(http_errc::body_too_large);
        response_.body.append(in);
        in = {};
        break;
    }
  }
  consumed = data.size() - in.size();
  return state_;
}

// A line is complete at its LF; a CR just before the LF is part of the line ending (RFC 9112 §2.2 lets a
// recipient accept a bare LF, which some embedded servers send). The content may be at most `limit` bytes,
// so the buffer never holds more than limit + 1 (a CR) bytes and the verdict is the same however the line
// arrives: a line whose content is over the limit always fails with `too_long`.
bool response_parser::take_line(std::string_view& in, std::size_t limit, http_errc too_long) {
  if (line_complete_) {
    line_.clear();
    line_complete_ = false;
  }
  const std::size_t window = std::max(limit, limit + 2) - line_.size();  // a caller's SIZE_MAX must not wrap
  const std::size_t lf = in.substr(0, window).find('\n');
  if (lf == std::string_view::npos) {
    if (in.size() >= window) {
      fail(too_long);
      return false;
    }
    line_.append(in);
    in = {};
    return false;
  }
  line_.append(in.substr(0, lf));
  in.remove_prefix(lf + 1);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.size() > limit) {
    fail(too_long);
    return false;
  }
  line_complete_ = true;
  return true;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). The SP before an empty
// reason phrase is optional here: some servers omit it.
void response_parser::on_status_line() {
  const std::string_view line = line_;
  if (line.substr(0, 5) != "HTTP/") return reject(http_errc::bad_start_line);
  if (line.size() < 8 || !is_digit(line[5]) || line[6] != '.' || !is_digit(line[7])) {
    return reject(http_errc::bad_version);
  }
  if (line[5] != '1') return reject(http_errc::bad_version);
  if (line.size() < 9 || line[8] != ' ') return reject(http_errc::bad_start_line);
  const std::string_view code = line.substr(9, 3);
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), is_digit) ||
      (line.size() > 12 && line[12] != ' ')) {
    return reject(http_errc::bad_status);
  }
  const int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  // 101 would hand the connection to another protocol, which we never ask for.
  if (status < 100 || status > 599 || status == 101) return reject(http_errc::bad_status);
  const std::string_view reason = line.size() > 13 ? line.substr(13) : std::string_view();
  if (!is_text(reason)) return reject(http_errc::bad_start_line);
  if (status < 200 && interim_ == limits_.max_interim) return reject(http_errc::too_many_interim);
  response_.status = status;
  response_.minor_version = line[7] - '0';
  response_.reason.assign(reason);
  phase_ = phase::headers;
}

void response_parser::on_header_line() {
  const std::string_view line = line_;
  if (line.empty()) return on_headers_end();
  if (is_fold(line)) {
    const std::string_view more = trim_ows(line);
    if (response_.headers.empty() || !is_text(more)) return reject(http_errc::bad_header_line);
    std::string& value = response_.headers.back().second;
    if (!more.empty()) value.append(value.empty() ? "" : " ").append(more);
    return;
  }
  std::string_view name;
  std::string_view value;
  if (!split_field_line(line, name, value)) return reject(http_errc::bad_header_line);
  if (response_.headers.size() == limits_.max_headers) return reject(http_errc::too_many_headers);
  response_.headers.emplace_back(name, value);
}

// Message framing, RFC 9112 §6.3, decided once every field is in (a folded line may still change one).
void response_parser::on_headers_end() {
  if (response_.status < 200) {  // interim: the final response follows
    ++interim_;
    response_.headers.clear();
    header_bytes_ = 0;
    phase_ = phase::status_line;
    return;
  }
  framing f;
  for (const auto& [name, value] : response_.headers) f.add(name, value);
  // §6.1: Transfer-Encoding with Content-Length, or in HTTP/1.0, is how responses get split; refuse both.
  if (f.transfer_encoding && f.has_length) return reject(http_errc::conflicting_length);
  if (f.transfer_encoding && (response_.minor_version == 0 || !f.chunked_only())) {
    return reject(http_errc::unsupported_transfer_encoding);
  }
  if (f.bad_length) return reject(http_errc::bad_content_length);
  if (f.lengths_differ) return reject(http_errc::conflicting_length);

  response_.keep_alive = !f.close && (response_.minor_version >= 1 || f.keep_alive);
  if (response_.status == 204 || response_.status == 304) {  // §6.3 item 1: never a body
    finish_message();
  } else if (f.transfer_encoding) {
    phase_ = phase::chunk_size;
  } else if (f.has_length) {
    if (f.length > limits_.max_body) return reject(http_errc::body_too_large);
    remaining_ = f.length;
    phase_ = phase::body_length;
    if (remaining_ == 0) finish_message();
  } else {
    response_.keep_alive = false;  // §6.3 item 8: the close is the end of the body
    phase_ = phase::body_to_close;
  }
}

// chunk = chunk-size [ chunk-ext ] CRLF ... ; chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
// (RFC 9112 §7.1). Extensions mean nothing to us and are skipped (still free of control characters);
// whitespace after the size is tolerated, before it is not.
void response_parser::on_chunk_size_line() {
  std::string_view line = line_;
  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (; digits < line.size(); ++digits) {
    const char c = line[digits];
    int v = 0;
    if (is_digit(c)) {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      break;
    }
    if (size > (std::numeric_limits<std::uint64_t>::max() >> 4)) return reject(http_errc::bad_chunk_size);
    size = (size << 4) | static_cast<std::uint64_t>(v);
  }
  if (digits == 0) return reject(http_errc::bad_chunk_size);
  line.remove_prefix(digits);
  while (!line.empty() && is_ows(line.front())) line.remove_prefix(1);
  if (!line.empty() && (line.front() != ';' || !is_text(line))) return reject(http_errc::bad_chunk_size);
  if (size == 0) {
    phase_ = phase::trailers;
    return;
  }
  if (size > limits_.max_body - response_.body.size()) return reject(http_errc::body_too_large);
  remaining_ = size;
  phase_ = phase::chunk_data;
}

// trailer-section = *( field-line CRLF ), then CRLF (RFC 9112 §7.1.2). Checked like header fields, then
// dropped: nothing a gateway could say in a trailer changes how we read its answer.
void response_parser::on_trailer_line() {
  const std::string_view line = line_;
  if (line.empty()) {
    finish_message();
    return;
  }
  std::string_view name;
  std::string_view value;
  // A fold needs a field before it: trailer_bytes_ counts earlier lines too only if there were some.
  const bool valid = is_fold(line) ? trailer_bytes_ > line.size() && is_text(line) : split_field_line(line, name, value);
  if (!valid) reject(http_errc::bad_header_line);
}

response_parser::state response_parser::finish_eof() {
  if (state_ != state::need_more) return state_;
  if (phase_ == phase::body_to_close) {
    finish_message();
    return state_;
  }
  return fail(started_ ? http_errc::truncated : http_errc::closed_without_response);
}

}  // namespace natpunch::soap
