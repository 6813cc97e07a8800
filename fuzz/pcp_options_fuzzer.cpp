// PCP option lists (§7.3, §13): a fixed valid MAP message (header and body) followed by the fuzzer's
// bytes, zero-padded to a multiple of 4 and cut at 1100 so that nearly every input reaches the option
// parser. The same bytes are read after a response and after a request. Invariants beyond "no crash":
//  - each decode yields a value or an error, never both; errors are pcp::errc;
//  - limits hold: at most max_options options; a tighter limit accepts exactly the lists that fit it;
//  - the request side is the stricter one: whatever it accepts, the response side accepts as the same
//    options, and the request re-encodes to exactly its input;
//  - decoded options re-encode stably: encode → decode gives the same options and the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "support.hpp"
#include "natpunch/pcp/codec.hpp"

namespace {

using natpunch::fuzz::require;
using natpunch::core::bytes;

namespace pcp = natpunch::pcp;

// A MAP success for TCP 8080 → 11.0.0.5:8080 (lifetime 7200, epoch 42) and the request it answers.
bytes message(bool response) {
  bytes out{0x02, static_cast<std::uint8_t>(response ? 0x81 : 0x01), 0x00, 0x00, 0x00, 0x00, 0x1c, 0x20};
  if (response) {
    out.insert(out.end(), {0x00, 0x00, 0x00, 0x2a});
    out.insert(out.end(), 12, 0);
  } else {
    out.insert(out.end(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 86, 250});
  }
  out.insert(out.end(), {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x06, 0, 0, 0, 0x1f, 0x90, 0x1f, 0x90});
  out.insert(out.end(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff});
  if (response) {
    out.insert(out.end(), {11, 0, 0, 5});
  } else {
    out.insert(out.end(), {0, 0, 0, 0});
  }
  return out;
}

bytes with_options(bool response, natpunch::core::byte_span options, std::size_t max_size) {
  bytes out = message(response);
  const std::size_t room = max_size - out.size();
  out.insert(out.end(), options.begin(), options.begin() + static_cast<long>(std::min(options.size(), room)));
  out.resize((out.size() + 3) / 4 * 4, 0);
  return out;
}

void run(natpunch::core::byte_span input) {
  const pcp::limits lim;
  const bytes response_wire = with_options(true, input, lim.max_message_size);
  const bytes request_wire = with_options(false, input, lim.max_message_size);

  const auto resp = pcp::decode_response(response_wire, lim);
  require(resp.has_value() != static_cast<bool>(resp.error()));
  const auto req = pcp::decode_request(request_wire, lim);
  require(req.has_value() != static_cast<bool>(req.error()));
  if (!resp) require(&resp.error().category() == &pcp::error_category());
  if (!req) require(&req.error().category() == &pcp::error_category());

  if (req) {
    require(req->options.size() <= lim.max_options);
    require(pcp::encode(*req) == request_wire);
    require(resp.has_value() && resp->options == req->options);
  }
  if (!resp) return;
  require(resp->options.size() <= lim.max_options);

  const bytes encoded = pcp::encode(*resp);
  require(encoded.size() == response_wire.size());
  const auto again = pcp::decode_response(encoded, lim);
  require(again.has_value() && *again == *resp);
  require(pcp::encode(*again) == encoded);

  const pcp::limits three{lim.max_message_size, 3};
  const auto tight = pcp::decode_response(response_wire, three);
  if (resp->options.size() <= 3) {
    require(tight.has_value() && *tight == *resp);
  } else {
    require(tight.error() == pcp::errc::too_many_options);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
