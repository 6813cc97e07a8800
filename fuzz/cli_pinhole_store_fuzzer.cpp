// The pinhole record file (tools/natpunch/pinhole_store.hpp), which a user or another program may
// have edited or damaged. Invariants: never throws or crashes; at most max_pinhole_records records;
// every record kept is valid (http IGD URL, IPv6 internal address, port 1-65535); formatting what was
// read and reading it again gives the same records with nothing skipped.
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
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
