// The pinhole record's text codec (pinhole_store.hpp): sans-I/O, fuzzed by cli_pinhole_store_fuzzer.
#include <algorithm>
#include <charconv>
#include <system_error>

#include <asio/ip/address.hpp>

#include "pinhole_store.hpp"

namespace natpunch::cli {
namespace {

constexpr std::string_view header = "# natpunch pinholes 1";
constexpr std::size_t max_igd_chars = 2048;

template <typename T>
std::optional<T> number(std::string_view s, T min, T max) {
  T v{};
  if (s.empty() || s.size() > 20) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

// Only what natpunch itself writes: no control characters, no spaces, a length cap.
bool clean_url(std::string_view s) {
  if (s.empty() || s.size() > max_igd_chars || !s.starts_with("http://")) return false;
  for (const unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// A UDN as natpunch writes it: printable ASCII without spaces, capped; empty when the gateway gave none.
bool clean_udn(std::string_view s) {
  if (s.size() > 256) return false;
  for (const unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

constexpr std::size_t fields = 8;

std::optional<pinhole_record> parse_line(std::string_view whole) {
  std::string_view all[fields];
  std::size_t n = 0;
  for (;;) {
    const auto tab = whole.find('\t');
    if (n == fields) return std::nullopt;  // one field too many
    all[n++] = whole.substr(0, tab);
    if (tab == std::string_view::npos) break;
    whole.remove_prefix(tab + 1);
  }
  if (n != fields) return std::nullopt;
  pinhole_record r;
  if (!clean_url(all[0]) || !clean_udn(all[1])) return std::nullopt;
  r.igd = std::string(all[0]);
  r.udn = std::string(all[1]);
  const std::string_view* f = all + 1;  // f[1].. as in the record's order after the UDN
  const auto id = number<std::uint16_t>(f[1], 0, 65535);
  std::error_code ec;
  const auto ip = asio::ip::make_address_v6(std::string(f[2].substr(0, 64)), ec);
  const auto port = number<std::uint16_t>(f[3], 1, 65535);
  const auto transport = core::parse_ip_protocol(f[4]);
  const auto lifetime = number<std::uint32_t>(f[5], 0, 0xffffffffu);
  const auto since = number<std::int64_t>(f[6], 0, std::int64_t{1} << 40);
  if (!id || ec || f[2].size() > 64 || !port || !transport || !lifetime || !since) return std::nullopt;
  r.id = *id;
  r.internal_ip = ip.to_string();
  if (r.internal_ip != f[2]) return std::nullopt;  // one spelling, the one we write
  r.internal_port = *port;
  r.transport = *transport;
  r.lifetime = *lifetime;
  r.since = *since;
  return r;
}

}  // namespace

parsed_pinholes parse_pinholes(std::string_view text) {
  parsed_pinholes out;
  bool first = true;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (first) {
      first = false;
      if (line == header) continue;
    }
    if (line.empty() || line.front() == '#') continue;
    auto r = out.records.size() < max_pinhole_records ? parse_line(line) : std::nullopt;
    if (r) {
      out.records.push_back(std::move(*r));
    } else {
      ++out.skipped;
    }
  }
  return out;
}

std::string format_pinholes(const std::vector<pinhole_record>& records) {
  std::string out(header);
  out += "\n# IGD description URL, UDN, ID, internal IP, internal port, transport, lifetime s, since (unix time)\n";
  std::size_t n = 0;
  for (const auto& r : records) {
    if (n++ == max_pinhole_records) break;
    out += r.igd + '\t' + r.udn + '\t' + std::to_string(r.id) + '\t' + r.internal_ip + '\t' + std::to_string(r.internal_port) + '\t' +
           std::string(core::to_string(r.transport)) + '\t' + std::to_string(r.lifetime) + '\t' + std::to_string(r.since) +
           '\n';
  }
  return out;
}

std::size_t trim_pinholes(std::vector<pinhole_record>& records, std::int64_t now) {
  constexpr std::int64_t day = 86400;
  const auto before = records.size();
  std::erase_if(records, [&](const pinhole_record& r) { return r.expired(now - day); });
  if (records.size() > max_pinhole_records) {
    std::stable_sort(records.begin(), records.end(),
                     [](const pinhole_record& a, const pinhole_record& b) { return a.since > b.since; });
    records.resize(max_pinhole_records);
  }
  return before - records.size();
}

}  // namespace natpunch::cli
