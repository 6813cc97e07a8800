// The state file (portmap/store.hpp), which a user, another program or a crash may have damaged, and
// whose fields come partly from gateways. Invariants: never throws or crashes; an error is foreign_file
// or file_too_large (exactly when over the byte cap); at most max_store_records of each kind, one
// gateway record per key, every record valid; format then parse gives the same records with nothing
// dropped or skipped, and formatting again the same text. Writing: the input's bytes put into a text
// field of a record (a "#!" comment line says which, and holds the bytes) never make a record that was
// not given (the review's UDN-with-a-newline exploit); the invalid one is dropped and counted. Trimming drops only long-expired or stale records, keeps the caps.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "natpunch/portmap/store.hpp"
#include "support.hpp"

namespace {

using natpunch::fuzz::require;
using namespace natpunch::portmap;

template <typename Record>
bool given(const std::vector<Record>& in, const Record& r) {
  return std::find(in.begin(), in.end(), r) != in.end();
}

std::size_t total(const store_contents& c) { return c.mappings.size() + c.pinholes.size() + c.gateways.size(); }

void check_writing(store_contents c, std::string_view bytes, std::uint8_t which) {
  // One text field of one record takes the input's bytes (added to what it holds, or instead of it).
  std::string* fields[16] = {};
  std::size_t n = 0;
  if (!c.mappings.empty()) {
    auto& m = c.mappings[which % c.mappings.size()];
    for (auto* f : {&m.gateway, &m.igd, &m.udn, &m.internal_ip, &m.external_ip, &m.nonce, &m.description}) fields[n++] = f;
  }
  if (!c.pinholes.empty()) {
    auto& p = c.pinholes[which % c.pinholes.size()];
    for (auto* f : {&p.igd, &p.udn, &p.internal_ip}) fields[n++] = f;
  }
  if (!c.gateways.empty()) {
    auto& g = c.gateways[which % c.gateways.size()];
    for (auto* f : {&g.gateway, &g.location, &g.udn, &g.service_type, &g.control_url, &g.firewall_control_url}) fields[n++] = f;
  }
  if (n == 0) return;
  auto& field = *fields[which % n];
  if (which & 0x80) field.clear();
  field += bytes.substr(0, 4096);
  const auto out = format_store(c);
  require(out.text.size() <= max_store_file_bytes);
  const auto back = parse_store(out.text);
  require(back.has_value());
  require(back->skipped == 0);
  require(total(*back) + out.dropped == total(c));
  for (const auto& r : back->mappings) require(given(c.mappings, r));
  for (const auto& r : back->pinholes) require(given(c.pinholes, r));
  for (const auto& r : back->gateways) require(given(c.gateways, r));
}

void run(natpunch::core::byte_span input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  const auto parsed = parse_store(text);
  if (!parsed) {
    const auto e = parsed.error();
    require(e == store_errc::foreign_file || e == store_errc::file_too_large);
    require((e == store_errc::file_too_large) == (text.size() > max_store_file_bytes));
    return;
  }
  const auto& c = *parsed;
  require(c.mappings.size() <= max_store_records && c.pinholes.size() <= max_store_records &&
          c.gateways.size() <= max_store_records);
  for (const auto& r : c.mappings) require(is_valid(r));
  for (const auto& r : c.pinholes) require(is_valid(r));
  for (std::size_t i = 0; i < c.gateways.size(); ++i) {
    require(is_valid(c.gateways[i]));
    for (std::size_t j = 0; j < i; ++j) require(c.gateways[j].gateway != c.gateways[i].gateway);
  }

  const auto formatted = format_store(c);
  require(formatted.dropped == 0);
  const auto again = parse_store(formatted.text);
  require(again.has_value());
  require(again->skipped == 0);
  require(again->mappings == c.mappings && again->pinholes == c.pinholes && again->gateways == c.gateways);
  require(format_store(*again).text == formatted.text);

  // Remembering each gateway anew (newest last) keeps one per key: the same records, in reverse order.
  store_contents remembered;
  for (auto g = c.gateways.rbegin(); g != c.gateways.rend(); ++g) remember_gateway(remembered, *g);
  require(std::equal(remembered.gateways.begin(), remembered.gateways.end(), c.gateways.rbegin(), c.gateways.rend()));

  // Trimming at a "now" taken from the input.
  std::int64_t now = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(input.size(), 5); ++i) now = now << 8 | input[i];
  auto trimmed = c;
  const auto dropped = trim_store(trimmed, now);
  require(dropped + total(trimmed) == total(c));
  for (const auto& r : trimmed.mappings) require(!r.expired(now - store_expiry_grace));
  for (const auto& r : trimmed.pinholes) require(!r.expired(now - store_expiry_grace));
  for (const auto& r : trimmed.gateways) require(now - r.since <= store_gateway_max_age);

  // A comment line "#!" chooses the field (the next byte) and gives its value (the rest of the input, newlines
  // and all): a comment to parse_store, so the file itself still parses.
  if (const auto at = text.find("\n#!"); at != std::string_view::npos && at + 3 < text.size()) {
    check_writing(c, text.substr(at + 4), static_cast<std::uint8_t>(text[at + 3]));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
