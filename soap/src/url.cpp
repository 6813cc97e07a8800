// RFC 3986: §3 syntax, §5.2 reference resolution, §5.2.4 dot-segment removal; RFC 6874 (zone IDs, refused).
#include "natpunch/soap/url.hpp"

#include <algorithm>
#include <cstring>

#include "natpunch/core/error.hpp"

namespace natpunch::soap {
namespace {

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
constexpr char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// The five components of a reference, split as RFC 3986 Appendix B does (no validation yet).
struct parts {
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> authority;
  std::string_view path;
  std::optional<std::string_view> query;
  std::optional<std::string_view> fragment;
};

parts split(std::string_view s) {
  parts p;
  const std::size_t colon = s.find_first_of(":/?#");
  if (colon != std::string_view::npos && colon > 0 && s[colon] == ':') {
    p.scheme = s.substr(0, colon);
    s.remove_prefix(colon + 1);
  }
  if (s.substr(0, 2) == "//") {
    const std::size_t end = std::min(s.find_first_of("/?#", 2), s.size());
    p.authority = s.substr(2, end - 2);
    s.remove_prefix(end);
  }
  if (const std::size_t hash = s.find('#'); hash != std::string_view::npos) {
    p.fragment = s.substr(hash + 1);
    s = s.substr(0, hash);
  }
  if (const std::size_t question = s.find('?'); question != std::string_view::npos) {
    p.query = s.substr(question + 1);
    s = s.substr(0, question);
  }
  p.path = s;
  return p;
}

// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (§3.1)
bool valid_scheme(std::string_view s) noexcept {
  return !s.empty() && is_alpha(s.front()) && std::all_of(s.begin(), s.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
  });
}

// pchar and "/" (§3.3); the query and fragment also allow "?" (§3.4, §3.5). A "%" starts a %HH escape.
bool valid_component(std::string_view s, bool query) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
      continue;
    }
    const bool allowed = is_alpha(c) || is_digit(c) || std::strchr("-._~!$&'()*+,;=:@/", c) != nullptr ||
                         (query && c == '?');
    if (!allowed || c == '\0') return false;
  }
  return true;
}

// dec-octet "." dec-octet "." dec-octet "." dec-octet (§3.2.2), without leading zeros: "010" is 8 to
// inet_aton and 10 to others, so a URL that spells it so is refused rather than guessed.
bool is_dotted_quad(std::string_view s) noexcept {
  int parts_seen = 0;
  while (true) {
    const std::size_t dot = s.find('.');
    const std::string_view octet = s.substr(0, dot);
    if (octet.empty() || octet.size() > 3 || !std::all_of(octet.begin(), octet.end(), is_digit)) return false;
    if (octet.size() > 1 && octet.front() == '0') return false;
    int value = 0;
    for (const char c : octet) value = value * 10 + (c - '0');
    if (value > 255) return false;
    ++parts_seen;
    if (dot == std::string_view::npos) return parts_seen == 4;
    s.remove_prefix(dot + 1);
  }
}

std::optional<std::uint16_t> default_port(std::string_view scheme) noexcept {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return std::nullopt;
}

// authority = [ userinfo "@" ] host [ ":" port ] (§3.2), into u.host and u.port (u.scheme already set).
std::error_code parse_authority(std::string_view authority, url& u) {
  if (authority.find('@') != std::string_view::npos) return url_errc::userinfo;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return url_errc::bad_ipv6;
    const std::string_view literal = authority.substr(1, close - 1);
    if (literal.find('%') != std::string_view::npos) return url_errc::zone_id;
    std::error_code ec;
    (void)asio::ip::make_address_v6(std::string(literal), ec);
    if (ec || literal.empty() || lower(literal.front()) == 'v') return url_errc::bad_ipv6;
    u.host = lowered(literal);
    rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return url_errc::bad_host;
  } else {
    const std::size_t colon = authority.find(':');
    const std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) rest = authority.substr(colon);
    if (host.empty()) return url_errc::empty_host;
    // Names: letters, digits, "-", ".", "_", "~" only; percent-escapes and sub-delims never name a gateway.
    const bool name_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
    });
    const bool numeric = std::all_of(host.begin(), host.end(), [](char c) { return is_digit(c) || c == '.'; });
    if (!name_chars || (numeric && !is_dotted_quad(host))) return url_errc::bad_host;
    u.host = lowered(host);
  }
  const std::optional<std::uint16_t> fallback = default_port(u.scheme);
  if (rest.size() <= 1) {  // no port, or ":" with an empty port (§3.2.3: the default)
    if (!fallback) return url_errc::no_port;
    u.port = *fallback;
    return {};
  }
  unsigned port = 0;
  for (const char c : rest.substr(1)) {
    if (!is_digit(c)) return url_errc::bad_port;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return url_errc::bad_port;
  }
  if (port == 0) return url_errc::bad_port;
  u.port = static_cast<std::uint16_t>(port);
  return {};
}

// §5.2.4, as the RFC's loop over an input buffer.
std::string remove_dot_segments(std::string_view in) {
  const auto starts = [&in](std::string_view prefix) { return in.substr(0, prefix.size()) == prefix; };
  const auto pop_segment = [](std::string& out) {
    const std::size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  std::string out;
  while (!in.empty()) {
    if (starts("../")) {
      in.remove_prefix(3);
    } else if (starts("./") || starts("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (starts("/../")) {
      in.remove_prefix(3);
      pop_segment(out);
    } else if (in == "/..") {
      in = "/";
      pop_segment(out);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const std::size_t next = std::min(in.find('/', 1), in.size());
      out.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return out;
}

// Finishes u: path (dot segments removed, "/" when empty) and query into u.target, after checking them
// and the fragment (which is then dropped), and the length of the whole.
core::result<url> finish(url u, std::string_view path, std::optional<std::string_view> query,
                         std::optional<std::string_view> fragment) {
  if (!valid_component(path, false) || (query && !valid_component(*query, true)) ||
      (fragment && !valid_component(*fragment, true))) {
    return url_errc::bad_character;
  }
  u.target = remove_dot_segments(path);
  if (u.target.empty() || u.target.front() != '/') u.target = "/" + u.target;  // not insert(0, ...): GCC 12 -O3 reports a false -Wrestrict
  if (query) u.target.append("?").append(*query);
  if (to_string(u).size() > max_url_length) return url_errc::too_long;
  return u;
}

core::result<url> from_absolute(const parts& p) {
  if (!p.scheme || !valid_scheme(*p.scheme)) return url_errc::bad_scheme;
  if (!p.authority) return url_errc::not_absolute;
  url u;
  u.scheme = lowered(*p.scheme);
  if (const std::error_code ec = parse_authority(*p.authority, u)) return ec;
  return finish(std::move(u), p.path, p.query, p.fragment);
}

}  // namespace

const char* describe(url_errc e) noexcept {
  switch (e) {
    case url_errc::too_long: return "URL too long";
    case url_errc::bad_scheme: return "URL without a valid scheme";
    case url_errc::not_absolute: return "not an absolute URL (no //host)";
    case url_errc::userinfo: return "URL with user information (user@host) refused";
    case url_errc::empty_host: return "URL with an empty host";
    case url_errc::bad_host: return "URL with an invalid host";
    case url_errc::bad_ipv6: return "URL with an invalid IPv6 address literal";
    case url_errc::zone_id: return "URL with an IPv6 zone ID refused";
    case url_errc::bad_port: return "URL with an invalid port (not 1-65535)";
    case url_errc::no_port: return "URL without a port, and its scheme has no default";
    case url_errc::bad_character: return "URL with a character that must be percent-encoded, or a bad %-escape";
  }
  return nullptr;
}

const std::error_category& url_category() noexcept {
  static const core::enum_category<url_errc> category("url");
  return category;
}

core::result<url> parse_url(std::string_view text) {
  if (text.size() > max_url_length) return url_errc::too_long;
  return from_absolute(split(text));
}

core::result<url> resolve(const url& base, std::string_view ref) {
  if (ref.size() > max_url_length) return url_errc::too_long;
  const parts r = split(ref);
  if (r.scheme) return from_absolute(r);
  url t;
  t.scheme = base.scheme;
  if (r.authority) {
    if (const std::error_code ec = parse_authority(*r.authority, t)) return ec;
    return finish(std::move(t), r.path, r.query, r.fragment);
  }
  t.host = base.host;
  t.port = base.port;
  const std::size_t question = base.target.find('?');
  const std::string_view base_path = std::string_view(base.target).substr(0, question);
  std::optional<std::string_view> base_query;
  if (question != std::string::npos) base_query = std::string_view(base.target).substr(question + 1);
  if (r.path.empty()) return finish(std::move(t), base_path, r.query ? r.query : base_query, r.fragment);
  if (r.path.front() == '/') return finish(std::move(t), r.path, r.query, r.fragment);
  // §5.2.3 merge: the base path up to its last "/", then the reference (the base path is never empty).
  std::string merged(base_path.substr(0, base_path.rfind('/') + 1));
  merged.append(r.path);
  return finish(std::move(t), merged, r.query, r.fragment);
}

std::string authority(const url& u) {
  std::string out = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (default_port(u.scheme) != u.port) out.append(":").append(std::to_string(u.port));
  return out;
}

std::string to_string(const url& u) { return u.scheme + "://" + authority(u) + u.target; }

std::optional<asio::ip::address> literal_address(const url& u) {
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(u.host, ec);
  if (ec) return std::nullopt;
  return address;
}

bool same_origin(const url& a, const url& b) {
  if (a.scheme != b.scheme || a.port != b.port) return false;
  const auto x = literal_address(a);
  const auto y = literal_address(b);
  return x && y ? *x == *y : a.host == b.host;
}

}  // namespace natpunch::soap
