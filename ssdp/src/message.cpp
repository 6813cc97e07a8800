#include "natpunch/ssdp/message.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#ifndef NATPUNCH_VERSION
#error "NATPUNCH_VERSION must be defined (ssdp/CMakeLists.txt)"
#endif

namespace natpunch::ssdp {
namespace {

constexpr std::uint32_t max_31_bit = 0x7fffffff;  // UDA: BOOTID and CONFIGID are 31-bit; RFC 7234 §1.2.1

bool is_ctl(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}
bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 7230 §3.2.6 tchar.
bool is_tchar(char c) noexcept {
  if (is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  const auto same = [](char x, char y) { return lower(x) == lower(y); };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same);
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// Decimal 0..2^31-1; any number of leading zeros (UDA §1.2.2: "MUST be ignored").
std::optional<std::uint32_t> decimal31(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : s) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > max_31_bit) return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

// The headers we read; all others are skipped.
enum class field { location, st, usn, server, cache_control, boot_id, config_id, nt, nts, next_boot_id, count };
constexpr std::array<std::string_view, static_cast<std::size_t>(field::count)> field_names = {
    "LOCATION", "ST", "USN", "SERVER", "CACHE-CONTROL", "BOOTID.UPNP.ORG", "CONFIGID.UPNP.ORG",
    "NT", "NTS", "NEXTBOOTID.UPNP.ORG"};

struct start_line {
  bool is_response = false;
  std::string_view status;  // 3 digits (responses)
  std::string_view method;  // requests
  std::string_view target;  // requests
};

// A message split into its start line and the values of the headers we read, as views of the input.
struct scanned {
  start_line start;
  std::array<std::optional<std::string_view>, static_cast<std::size_t>(field::count)> fields;
  // The value, or empty when absent (an empty value counts as absent).
  [[nodiscard]] std::string_view get(field f) const noexcept {
    return fields[static_cast<std::size_t>(f)].value_or(std::string_view{});
  }
};

bool http_version(std::string_view v) noexcept { return v == "HTTP/1.1" || v == "HTTP/1.0"; }

// RFC 7230 §3.1.2 status-line "HTTP/1.1 200 OK" (a missing reason is tolerated), or §3.1.1
// request-line "NOTIFY * HTTP/1.1".
core::result<start_line> parse_start_line(std::string_view line) {
  start_line out;
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return errc::bad_start_line;
  const std::string_view first = line.substr(0, sp);
  const std::string_view rest = line.substr(sp + 1);
  if (first.starts_with("HTTP/")) {
    if (!http_version(first) || rest.size() < 3 || !std::all_of(rest.begin(), rest.begin() + 3, is_digit) ||
        (rest.size() > 3 && rest[3] != ' ')) {
      return errc::bad_start_line;
    }
    out.is_response = true;
    out.status = rest.substr(0, 3);
    return out;
  }
  const std::size_t sp2 = rest.find(' ');
  if (first.empty() || !std::all_of(first.begin(), first.end(), is_tchar) || sp2 == 0 ||
      sp2 == std::string_view::npos || !http_version(rest.substr(sp2 + 1))) {
    return errc::bad_start_line;
  }
  out.method = first;
  out.target = rest.substr(0, sp2);
  return out;
}

// RFC 7230 §3.2 header-field = field-name ":" OWS field-value OWS. No obs-fold (§3.2.4 lets a
// recipient reject it), no whitespace before the colon (§3.2.4: must be rejected).
std::error_code read_header(std::string_view line, scanned& out) {
  const std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return errc::bad_header_line;
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar)) return errc::bad_header_line;
  const std::string_view value = trim(line.substr(colon + 1));
  for (std::size_t i = 0; i < field_names.size(); ++i) {
    if (!iequals(name, field_names[i])) continue;
    auto& slot = out.fields[i];
    if (slot && *slot != value) return errc::duplicate_header;
    slot = value;
    break;
  }
  return {};
}

core::result<scanned> scan(byte_span data, const limits& lim) {
  if (data.size() > lim.max_message_size) return errc::too_large;
  // Reading bytes through char is allowed aliasing; nothing is copied here.
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  scanned out;
  std::size_t pos = 0;
  std::size_t headers = 0;
  for (bool first = true;; first = false) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF, or a bare LF
    if (line.size() > lim.max_line_length) return errc::line_too_long;
    if (nl == std::string_view::npos) return errc::truncated;
    pos = nl + 1;
    if (std::any_of(line.begin(), line.end(), is_ctl)) return errc::control_character;
    if (first) {
      auto start = parse_start_line(line);
      if (!start) return start.error();
      out.start = *start;
      continue;
    }
    if (line.empty()) break;
    if (++headers > lim.max_headers) return errc::too_many_headers;
    if (is_ows(line.front())) return errc::bad_header_line;  // obs-fold continuation
    if (const std::error_code ec = read_header(line, out)) return ec;
  }
  if (pos != text.size()) return errc::trailing_data;
  return out;
}

// LOCATION, ST, NT, USN: required, capped, printable ASCII without spaces.
std::error_code read_text(std::string_view value, std::size_t cap, errc too_long, errc missing, std::string& out) {
  if (value.empty()) return missing;
  if (value.size() > cap) return too_long;
  const auto bad = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u >= 0x7f;
  };
  if (std::any_of(value.begin(), value.end(), bad)) return errc::bad_value;
  out.assign(value);
  return {};
}

std::error_code read_server(std::string_view value, const limits& lim, std::string& out) {
  if (value.size() > lim.max_server) return errc::server_too_long;
  out.assign(value);
  return {};
}

// Finds the next comma of a list that is not inside a quoted-string (RFC 7230 §3.2.6, §7).
std::size_t next_comma(std::string_view s) noexcept {
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == ',') {
      return i;
    }
  }
  return std::string_view::npos;
}

// UDA §1.3.3: CACHE-CONTROL "MUST have the max-age directive"; other directives "MUST be ignored".
std::error_code read_max_age(std::string_view value, std::optional<std::chrono::seconds>& out) {
  if (value.empty()) return {};
  std::optional<std::uint32_t> found;
  while (!value.empty()) {
    const std::size_t comma = next_comma(value);
    const std::string_view directive = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    const std::size_t eq = directive.find('=');
    if (!iequals(trim(directive.substr(0, eq)), "max-age")) continue;
    if (eq == std::string_view::npos) return errc::bad_max_age;
    std::string_view arg = trim(directive.substr(eq + 1));
    if (arg.size() >= 2 && arg.front() == '"' && arg.back() == '"') arg = arg.substr(1, arg.size() - 2);
    const auto seconds = decimal31(arg);
    if (!seconds || (found && *found != *seconds)) return errc::bad_max_age;
    found = seconds;
  }
  if (!found) return errc::bad_max_age;
  out = std::chrono::seconds(*found);
  return {};
}

std::error_code read_number(std::string_view value, errc bad, std::optional<std::uint32_t>& out) {
  if (value.empty()) return {};
  out = decimal31(value);
  return out ? std::error_code{} : make_error_code(bad);
}

core::result<search_response> to_search_response(const scanned& s, const limits& lim) {
  if (!s.start.is_response) return errc::not_a_search_response;
  if (s.start.status != "200") return errc::unexpected_status;
  search_response r;
  std::error_code ec = read_text(s.get(field::location), lim.max_location, errc::location_too_long,
                                 errc::missing_location, r.location);
  if (!ec) ec = read_text(s.get(field::st), lim.max_target, errc::target_too_long, errc::missing_st, r.st);
  if (!ec) ec = read_text(s.get(field::usn), lim.max_usn, errc::usn_too_long, errc::missing_usn, r.usn);
  if (!ec) ec = read_server(s.get(field::server), lim, r.server);
  if (!ec) ec = read_max_age(s.get(field::cache_control), r.max_age);
  if (!ec) ec = read_number(s.get(field::boot_id), errc::bad_boot_id, r.boot_id);
  if (!ec) ec = read_number(s.get(field::config_id), errc::bad_config_id, r.config_id);
  if (ec) return ec;
  return r;
}

std::optional<notify_type> parse_nts(std::string_view v) noexcept {
  for (const notify_type t : {notify_type::alive, notify_type::byebye, notify_type::update}) {
    if (iequals(v, to_string(t))) return t;
  }
  return std::nullopt;
}

core::result<notify> to_notify(const scanned& s, const limits& lim) {
  if (s.start.is_response || s.start.method != "NOTIFY" || s.start.target != "*") return errc::not_a_notify;
  notify n;
  std::error_code ec = read_text(s.get(field::nt), lim.max_target, errc::target_too_long, errc::missing_nt, n.nt);
  if (ec) return ec;
  if (s.get(field::nts).empty()) return errc::missing_nts;
  const auto nts = parse_nts(s.get(field::nts));
  if (!nts) return errc::bad_nts;
  n.nts = *nts;
  ec = read_text(s.get(field::usn), lim.max_usn, errc::usn_too_long, errc::missing_usn, n.usn);
  if (!ec && (n.nts != notify_type::byebye || !s.get(field::location).empty())) {
    ec = read_text(s.get(field::location), lim.max_location, errc::location_too_long, errc::missing_location,
                   n.location);
  }
  if (!ec) ec = read_server(s.get(field::server), lim, n.server);
  if (!ec) ec = read_max_age(s.get(field::cache_control), n.max_age);
  if (!ec) ec = read_number(s.get(field::boot_id), errc::bad_boot_id, n.boot_id);
  if (!ec) ec = read_number(s.get(field::config_id), errc::bad_config_id, n.config_id);
  if (!ec) ec = read_number(s.get(field::next_boot_id), errc::bad_boot_id, n.next_boot_id);
  if (!ec && n.nts == notify_type::update && !n.next_boot_id) ec = errc::missing_next_boot_id;
  if (ec) return ec;
  return n;
}

void put(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}
void put_text(std::string& out, std::string_view name, std::string_view value) {
  if (!value.empty()) put(out, name, value);
}
void put_number(std::string& out, std::string_view name, const std::optional<std::uint32_t>& value) {
  if (value) put(out, name, std::to_string(*value));
}
void put_max_age(std::string& out, const std::optional<std::chrono::seconds>& value) {
  if (value) put(out, "CACHE-CONTROL", "max-age=" + std::to_string(value->count()));
}

}  // namespace

std::string_view to_string(notify_type t) noexcept {
  switch (t) {
    case notify_type::alive: return "ssdp:alive";
    case notify_type::byebye: return "ssdp:byebye";
    case notify_type::update: return "ssdp:update";
  }
  return {};
}

core::result<search_response> parse_search_response(byte_span data, const limits& lim) {
  auto s = scan(data, lim);
  if (!s) return s.error();
  return to_search_response(*s, lim);
}

core::result<notify> parse_notify(byte_span data, const limits& lim) {
  auto s = scan(data, lim);
  if (!s) return s.error();
  return to_notify(*s, lim);
}

core::result<message> parse_message(byte_span data, const limits& lim) {
  auto s = scan(data, lim);
  if (!s) return s.error();
  if (s->start.is_response) {
    auto r = to_search_response(*s, lim);
    if (!r) return r.error();
    return message(std::move(*r));
  }
  if (s->start.method != "NOTIFY") return errc::unexpected_method;
  auto n = to_notify(*s, lim);
  if (!n) return n.error();
  return message(std::move(*n));
}

std::string format_search_response(const search_response& r) {
  std::string out = "HTTP/1.1 200 OK\r\n";
  put_max_age(out, r.max_age);
  out += "EXT:\r\n";
  put_text(out, "LOCATION", r.location);
  put_text(out, "SERVER", r.server);
  put_text(out, "ST", r.st);
  put_text(out, "USN", r.usn);
  put_number(out, "BOOTID.UPNP.ORG", r.boot_id);
  put_number(out, "CONFIGID.UPNP.ORG", r.config_id);
  out += "\r\n";
  return out;
}

std::string format_notify(const notify& n, std::string_view host) {
  std::string out = "NOTIFY * HTTP/1.1\r\n";
  put(out, "HOST", host);
  put_max_age(out, n.max_age);
  put_text(out, "LOCATION", n.location);
  put_text(out, "NT", n.nt);
  put(out, "NTS", to_string(n.nts));
  put_text(out, "SERVER", n.server);
  put_text(out, "USN", n.usn);
  put_number(out, "BOOTID.UPNP.ORG", n.boot_id);
  put_number(out, "CONFIGID.UPNP.ORG", n.config_id);
  put_number(out, "NEXTBOOTID.UPNP.ORG", n.next_boot_id);
  out += "\r\n";
  return out;
}

std::string build_msearch(std::string_view search_target, std::chrono::seconds mx, std::string_view host) {
  const auto unsafe = [](std::string_view s) { return s.empty() || std::any_of(s.begin(), s.end(), is_ctl); };
  if (unsafe(search_target) || unsafe(host)) {
    throw std::invalid_argument("ssdp::build_msearch: empty ST or HOST, or one with a control character");
  }
  std::string out = "M-SEARCH * HTTP/1.1\r\n";
  put(out, "HOST", host);
  put(out, "MAN", "\"ssdp:discover\"");
  // UDA §1.3.2: MX is 1 to 5 in a multicast search (devices treat more as 5) and absent from a unicast one.
  if (is_multicast_host(host)) put(out, "MX", std::to_string(std::clamp<std::chrono::seconds::rep>(mx.count(), 1, 5)));
  put(out, "ST", search_target);
  put(out, "USER-AGENT", user_agent());
  out += "\r\n";
  return out;
}

bool is_multicast_host(std::string_view host) noexcept {
  const std::size_t colon = host.rfind(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view port_text = host.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), is_digit)) {
    return false;
  }
  const std::string_view address = host.substr(0, colon);
  if (address == "239.255.255.250") return true;
  // "[ff0X::c]": UDA §1.3.2 FF0X::C, X the scope.
  return address.size() == 9 && iequals(address.substr(0, 4), "[ff0") &&
         std::string_view("0123456789abcdef").find(lower(address[4])) != std::string_view::npos &&
         iequals(address.substr(5), "::c]");
}

std::string_view user_agent() noexcept {
#ifdef __linux__
  return "Linux UPnP/1.1 natpunch/" NATPUNCH_VERSION;
#else
  return "Unix UPnP/1.1 natpunch/" NATPUNCH_VERSION;
#endif
}

std::string device_uuid(std::string_view usn) {
  if (usn.size() < 5 || !iequals(usn.substr(0, 5), "uuid:")) return {};
  std::string_view id = usn.substr(5);
  id = id.substr(0, id.find("::"));
  std::string out;
  out.reserve(id.size());
  for (const char c : id) out += lower(c);
  return out;
}

}  // namespace natpunch::ssdp
