// The state file's text codec (store.hpp): sans-I/O, fuzzed by portmap_store_fuzzer. One validation
// (is_valid) serves reading and writing, so what is written is exactly what is read back: a field from
// a gateway holding a tab or a newline makes its record unwritable, never a second record.
#include <algorithm>
#include <charconv>
#include <numeric>
#include <span>
#include <system_error>

#include <asio/ip/address.hpp>

#include "natpunch/portmap/store.hpp"
#include "natpunch/soap/description.hpp"
#include "natpunch/soap/url.hpp"

namespace natpunch::portmap {
namespace {

static_assert(max_store_url_bytes >= soap::max_url_length, "a URL natpunch accepted must fit in the store");
static_assert(max_store_name_bytes >= soap::description_limits{}.max_field_bytes);
// The longest valid line (a gateway record: 11 fields, 4 URLs) is under the line cap.
static_assert(max_store_line_bytes > 8 + 10 + 64 + 6 + 4 * max_store_url_bytes + 2 * max_store_name_bytes + 1 + 20);

constexpr std::string_view header = "# natpunch state 1";
constexpr std::size_t max_ip_chars = 64;

// The file's own words, apart from to_string(protocol): the format must not change with a display name.
constexpr std::string_view protocol_words[] = {"pcp", "natpmp", "upnp"};

std::string_view word(protocol p) noexcept { return protocol_words[static_cast<std::size_t>(p)]; }
bool known(protocol p) noexcept { return p == protocol::pcp || p == protocol::natpmp || p == protocol::upnp; }
bool known(core::ip_protocol t) noexcept { return t == core::ip_protocol::tcp || t == core::ip_protocol::udp; }

std::optional<protocol> parse_protocol(std::string_view s) noexcept {
  for (std::size_t i = 0; i < std::size(protocol_words); ++i) {
    if (s == protocol_words[i]) return static_cast<protocol>(i);
  }
  return std::nullopt;
}

std::optional<core::ip_protocol> parse_transport(std::string_view s) noexcept {
  if (s == "tcp") return core::ip_protocol::tcp;
  if (s == "udp") return core::ip_protocol::udp;
  return std::nullopt;  // "TCP" too: one spelling
}

// Decimal digits only, no sign, no leading zero: the one spelling std::to_string writes.
template <typename T>
std::optional<T> number(std::string_view s) noexcept {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// An IP address in its canonical spelling, without a zone (a zone names an interface of this host only
// while it exists; soap's URLs refuse them too).
bool is_ip(std::string_view s, bool v6_only = false) {
  if (s.empty() || s.size() > max_ip_chars || s.find('%') != std::string_view::npos) return false;
  std::error_code ec;
  const auto a = asio::ip::make_address(std::string(s), ec);
  return !ec && (!v6_only || a.is_v6()) && a.to_string() == s;
}

// Printable ASCII without space (URLs, UDNs, service types).
bool is_token(std::string_view s, std::size_t max) noexcept {
  return s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
           const auto u = static_cast<unsigned char>(c);
           return u > 0x20 && u < 0x7f;
         });
}

bool is_url(std::string_view s) noexcept { return s.starts_with("http://") && is_token(s, max_store_url_bytes); }

// A label: UTF-8 (UPnP descriptions are), without C0 or C1 controls or DEL, which could move a terminal's
// cursor when printed; not a byte that does not decode.
bool is_label(std::string_view s) noexcept {
  if (s.size() > max_store_description_bytes) return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    const std::size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    std::uint32_t cp = c & (0x7f >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3f);
    }
    constexpr std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f) return false;
    i += len;
  }
  return true;
}

bool is_nonce(std::string_view s) noexcept {
  return s.size() == 24 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_time(std::int64_t t) noexcept { return t >= 0 && t <= max_store_time; }

// Splits a line at tabs into exactly out.size() fields.
bool split(std::string_view line, std::span<std::string_view> out) noexcept {
  std::size_t n = 0;
  for (;;) {
    if (n == out.size()) return false;  // one field too many
    const auto tab = line.find('\t');
    out[n++] = line.substr(0, tab);
    if (tab == std::string_view::npos) break;
    line.remove_prefix(tab + 1);
  }
  return n == out.size();
}

// The fields after the kind word, in the structs' order. Conversion only: is_valid decides the rest.
std::optional<mapping_record> read_mapping(std::string_view rest) {
  std::string_view f[13];
  if (!split(rest, f)) return std::nullopt;
  const auto proto = parse_protocol(f[0]);
  const auto transport = parse_transport(f[4]);
  const auto iport = number<std::uint16_t>(f[6]);
  const auto eport = number<std::uint16_t>(f[8]);
  const auto lifetime = number<std::uint32_t>(f[10]);
  const auto since = number<std::int64_t>(f[11]);
  if (!proto || !transport || !iport || !eport || !lifetime || !since) return std::nullopt;
  mapping_record r{*proto,       std::string(f[1]), std::string(f[2]), std::string(f[3]), *transport,
                   std::string(f[5]), *iport,       std::string(f[7]), *eport,            std::string(f[9]),
                   *lifetime,    *since,            std::string(f[12])};
  if (!is_valid(r)) return std::nullopt;
  return r;
}

std::optional<pinhole_record> read_pinhole(std::string_view rest) {
  std::string_view f[8];
  if (!split(rest, f)) return std::nullopt;
  const auto id = number<std::uint16_t>(f[2]);
  const auto port = number<std::uint16_t>(f[4]);
  const auto transport = parse_transport(f[5]);
  const auto lifetime = number<std::uint32_t>(f[6]);
  const auto since = number<std::int64_t>(f[7]);
  if (!id || !port || !transport || !lifetime || !since) return std::nullopt;
  pinhole_record r{std::string(f[0]), std::string(f[1]), *id, std::string(f[3]), *port, *transport, *lifetime, *since};
  if (!is_valid(r)) return std::nullopt;
  return r;
}

std::optional<gateway_record> read_gateway(std::string_view rest) {
  std::string_view f[10];
  if (!split(rest, f)) return std::nullopt;
  const auto proto = parse_protocol(f[1]);
  const auto version = number<unsigned>(f[6]);
  const auto since = number<std::int64_t>(f[9]);
  if (!proto || !version || !since) return std::nullopt;
  gateway_record r{std::string(f[0]), *proto,   std::string(f[2]), std::string(f[3]), std::string(f[4]),
                   std::string(f[5]), *version, std::string(f[7]), std::string(f[8]), *since};
  if (!is_valid(r)) return std::nullopt;
  return r;
}

// One record per gateway key: a later record replaces an earlier one unless it is older. False when `r`
// took no new place (it replaced one, or was older and dropped).
bool merge_gateway(std::vector<gateway_record>& gateways, gateway_record r) {
  const auto same = std::find_if(gateways.begin(), gateways.end(), [&](const auto& g) { return g.gateway == r.gateway; });
  if (same == gateways.end()) {
    gateways.push_back(std::move(r));
    return true;
  }
  if (r.since >= same->since) *same = std::move(r);
  return false;
}

std::string line_of(const mapping_record& r) {
  return "mapping\t" + std::string(word(r.proto)) + '\t' + r.gateway + '\t' + r.igd + '\t' + r.udn + '\t' +
         std::string(core::to_string(r.transport)) + '\t' + r.internal_ip + '\t' + std::to_string(r.internal_port) +
         '\t' + r.external_ip + '\t' + std::to_string(r.external_port) + '\t' + r.nonce + '\t' +
         std::to_string(r.lifetime) + '\t' + std::to_string(r.since) + '\t' + r.description + '\n';
}

std::string line_of(const pinhole_record& r) {
  return "pinhole\t" + r.igd + '\t' + r.udn + '\t' + std::to_string(r.id) + '\t' + r.internal_ip + '\t' +
         std::to_string(r.internal_port) + '\t' + std::string(core::to_string(r.transport)) + '\t' +
         std::to_string(r.lifetime) + '\t' + std::to_string(r.since) + '\n';
}

std::string line_of(const gateway_record& r) {
  return "gateway\t" + r.gateway + '\t' + std::string(word(r.proto)) + '\t' + r.location + '\t' + r.udn + '\t' +
         r.service_type + '\t' + r.control_url + '\t' + std::to_string(r.igd_version) + '\t' +
         r.firewall_control_url + '\t' + r.common_interface_control_url + '\t' + std::to_string(r.since) + '\n';
}

// Appends the valid records of one kind, up to the record and byte caps; returns how many were not.
template <typename Record>
std::size_t write_all(std::string& out, const std::vector<Record>& records) {
  std::size_t written = 0;
  for (const auto& r : records) {
    if (written == max_store_records || !is_valid(r)) continue;
    const auto line = line_of(r);
    if (out.size() + line.size() > max_store_file_bytes) continue;
    out += line;
    ++written;
  }
  return records.size() - written;
}

// Keeps the max_store_records newest (by `since`), in their order.
template <typename Record>
std::size_t keep_newest(std::vector<Record>& records) {
  if (records.size() <= max_store_records) return 0;
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return records[a].since > records[b].since; });
  std::vector<bool> keep(records.size());
  for (std::size_t i = 0; i < max_store_records; ++i) keep[order[i]] = true;
  std::vector<Record> kept;
  kept.reserve(max_store_records);
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (keep[i]) kept.push_back(std::move(records[i]));
  }
  const auto dropped = records.size() - kept.size();
  records = std::move(kept);
  return dropped;
}

}  // namespace

bool is_valid(const mapping_record& r) {
  if (!known(r.proto) || !known(r.transport) || !is_ip(r.gateway) || !is_ip(r.internal_ip) ||
      !is_ip(r.external_ip) || r.internal_port == 0 || r.external_port == 0 || !is_time(r.since)) {
    return false;
  }
  if (r.proto == protocol::upnp) {
    return is_url(r.igd) && is_token(r.udn, max_store_name_bytes) && r.nonce.empty() && is_label(r.description);
  }
  // NAT-PMP and PCP: no UPnP fields; a granted lifetime is never 0 (0 asks for a delete).
  const bool nonce_ok = r.proto == protocol::pcp ? is_nonce(r.nonce) : r.nonce.empty();
  return nonce_ok && r.igd.empty() && r.udn.empty() && r.description.empty() && r.lifetime != 0;
}

bool is_valid(const pinhole_record& r) {
  return is_url(r.igd) && is_token(r.udn, max_store_name_bytes) && is_ip(r.internal_ip, true) &&
         r.internal_port != 0 && known(r.transport) && is_time(r.since);
}

bool is_valid(const gateway_record& r) {
  if (!is_ip(r.gateway) || !known(r.proto) || !is_time(r.since)) return false;
  const auto url_or_empty = [](const std::string& u) { return u.empty() || is_url(u); };
  if (r.proto == protocol::upnp) {
    return is_url(r.location) && is_token(r.udn, max_store_name_bytes) && !r.service_type.empty() &&
           is_token(r.service_type, max_store_name_bytes) && is_url(r.control_url) &&
           (r.igd_version == 1 || r.igd_version == 2) && url_or_empty(r.firewall_control_url) &&
           url_or_empty(r.common_interface_control_url);
  }
  return r.location.empty() && r.udn.empty() && r.service_type.empty() && r.control_url.empty() &&
         r.igd_version == 0 && r.firewall_control_url.empty() && r.common_interface_control_url.empty();
}

core::result<store_contents> parse_store(std::string_view text) {
  if (text.size() > max_store_file_bytes) return store_errc::file_too_large;
  store_contents out;
  if (text.empty()) return out;
  const auto first = text.find('\n');
  if (text.substr(0, first) != header) return store_errc::foreign_file;
  text.remove_prefix(first == std::string_view::npos ? text.size() : first + 1);
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto tab = line.find('\t');
    const auto kind = line.substr(0, tab);
    const auto rest = tab == std::string_view::npos ? std::string_view{} : line.substr(tab + 1);
    bool kept = false;
    if (line.size() > max_store_line_bytes || tab == std::string_view::npos) {
      // too long to be ours, or no fields at all
    } else if (kind == "mapping") {
      auto r = out.mappings.size() < max_store_records ? read_mapping(rest) : std::nullopt;
      if ((kept = r.has_value())) out.mappings.push_back(std::move(*r));
    } else if (kind == "pinhole") {
      auto r = out.pinholes.size() < max_store_records ? read_pinhole(rest) : std::nullopt;
      if ((kept = r.has_value())) out.pinholes.push_back(std::move(*r));
    } else if (kind == "gateway") {
      auto r = read_gateway(rest);
      // At the cap a known key may still be replaced; a new one is past the cap.
      if (r && (out.gateways.size() < max_store_records ||
                std::any_of(out.gateways.begin(), out.gateways.end(), [&](const auto& g) { return g.gateway == r->gateway; }))) {
        kept = merge_gateway(out.gateways, std::move(*r));
      }
    }
    if (!kept) ++out.skipped;
  }
  return out;
}

formatted_store format_store(const store_contents& contents) {
  formatted_store out;
  out.text = std::string(header) +
             "\n# mapping: protocol, gateway, IGD URL, UDN, transport, internal IP, internal port, external IP, "
             "external port, PCP nonce, lifetime s, since (unix time), description"
             "\n# pinhole: IGD URL, UDN, ID, internal IP, internal port, transport, lifetime s, since"
             "\n# gateway: gateway, protocol, IGD URL, UDN, service type, control URL, IGD version, firewall "
             "control URL, common interface control URL, since\n";
  // Gateways first made one per key, as parse_store would; the rest are dropped here, not merged there.
  std::vector<gateway_record> gateways;
  for (const auto& g : contents.gateways) {
    if (!is_valid(g) || !merge_gateway(gateways, g)) ++out.dropped;
  }
  out.dropped += write_all(out.text, contents.mappings);
  out.dropped += write_all(out.text, contents.pinholes);
  out.dropped += write_all(out.text, gateways);
  return out;
}

void remember_gateway(store_contents& contents, gateway_record r) {
  const auto same = std::find_if(contents.gateways.begin(), contents.gateways.end(),
                                 [&](const auto& g) { return g.gateway == r.gateway; });
  if (same != contents.gateways.end()) {
    *same = std::move(r);
  } else {
    contents.gateways.push_back(std::move(r));
  }
}

std::size_t trim_store(store_contents& c, std::int64_t now) {
  // Within [0, 2 * max_store_time] no arithmetic below overflows; valid records' times are inside.
  now = std::clamp<std::int64_t>(now, 0, 2 * max_store_time);
  const auto before = c.mappings.size() + c.pinholes.size() + c.gateways.size();
  std::erase_if(c.mappings, [&](const auto& r) { return !is_valid(r) || r.expired(now - store_expiry_grace); });
  std::erase_if(c.pinholes, [&](const auto& r) { return !is_valid(r) || r.expired(now - store_expiry_grace); });
  std::vector<gateway_record> gateways;
  for (auto& g : c.gateways) {
    if (is_valid(g) && now - g.since <= store_gateway_max_age) merge_gateway(gateways, std::move(g));
  }
  c.gateways = std::move(gateways);
  keep_newest(c.mappings);
  keep_newest(c.pinholes);
  keep_newest(c.gateways);
  return before - (c.mappings.size() + c.pinholes.size() + c.gateways.size());
}

}  // namespace natpunch::portmap
