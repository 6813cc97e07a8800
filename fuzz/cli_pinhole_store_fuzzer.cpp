// The pinhole record file (tools/natpunch/pinhole_store.hpp), which a user or another program may
// have edited or damaged. Invariants: never throws or crashes; at most max_pinhole_records records;
// every record kept is valid (http IGD URL, IPv6 internal address, port 1-65535); formatting what was
// read and reading it again gives the same records with nothing skipped; trimming drops only records
// long expired.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "pinhole_store.hpp"
#include "support.hpp"

namespace {

using natpunch::fuzz::require;
using namespace natpunch::cli;

void run(natpunch::core::byte_span input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  const auto parsed = parse_pinholes(text);
  require(parsed.records.size() <= max_pinhole_records);
  for (const auto& r : parsed.records) {
    require(r.igd.starts_with("http://"));
    require(r.internal_port != 0);
    require(r.internal_ip.find(':') != std::string::npos);
  }
  const auto again = parse_pinholes(format_pinholes(parsed.records));
  require(again.skipped == 0);
  require(again.records == parsed.records);
  // Trimming at a "now" taken from the input keeps only records not expired a day before it, at most
  // the cap, and says how many went.
  std::int64_t now = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(input.size(), 5); ++i) now = now << 8 | input[i];
  auto trimmed = parsed.records;
  const auto dropped = trim_pinholes(trimmed, now);
  require(dropped + trimmed.size() == parsed.records.size());
  for (const auto& r : trimmed) require(!r.expired(now - 86400));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
