// PCP response decoder (what a client reads from the network). Invariants beyond "no crash":
//  - a decode yields a value or an error, never both (and never neither); errors are pcp::errc;
//  - limits hold: at most 1100 bytes and max_options options; a tighter option limit accepts exactly the
//    values with that many options or fewer;
//  - decode → encode → decode is stable; a version-2 value re-encodes to the input's size (only reserved
//    bytes and option padding may differ, and they come back as zeros);
//  - check_answer against every kind of request never throws, agrees with mismatch(), and accepts only
//    a success; a refusal that answers the request comes back in the result_code category.
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "support.hpp"
#include "natpunch/pcp/codec.hpp"

namespace {

using natpunch::fuzz::require;

namespace pcp = natpunch::pcp;

// Requests the response could be checked against: its own opcode with its own body (so the checks
// behind mismatch() are reached), creates and deletes, with and without PREFER_FAILURE, and the other
// opcodes.
std::vector<pcp::request> candidate_requests(const pcp::response& resp) {
  pcp::map_body body;
  if (const auto* map = std::get_if<pcp::map_body>(&resp.payload)) body = *map;
  if (const auto* peer = std::get_if<pcp::peer_body>(&resp.payload)) body = peer->map;
  std::vector<pcp::request> out;
  for (const pcp::opcode op : {pcp::opcode::announce, pcp::opcode::map, pcp::opcode::peer}) {
    for (const std::uint32_t lifetime : {0u, 7200u}) {
      for (const bool prefer_failure : {false, true}) {
        pcp::request req;
        req.op = op;
        req.lifetime = lifetime;
        if (op == pcp::opcode::map) req.payload = body;
        if (op == pcp::opcode::peer) req.payload = pcp::peer_body{body, 80, pcp::ipv4_mapped({11, 0, 0, 1})};
        if (prefer_failure) req.options.emplace_back(std::in_place_type<pcp::prefer_failure_option>);
        out.push_back(req);
      }
    }
  }
  return out;
}

void check_answers(const pcp::response& resp) {
  for (const pcp::request& req : candidate_requests(resp)) {
    const natpunch::core::result<void> checked = pcp::check_answer(req, resp);
    require(checked.has_value() != static_cast<bool>(checked.error()));
    const std::error_code why = pcp::mismatch(req, resp);
    if (why) {
      require(checked.error() == why);
      require(&why.category() == &pcp::error_category());
    }
    if (checked) require(resp.result == pcp::result_code::success);
    if (!why && resp.result != pcp::result_code::success) {
      const bool natpmp_only = resp.version == 0 && resp.result == pcp::result_code::unsupp_version;
      require(natpmp_only ? checked.error() == pcp::errc::natpmp_only
                          : &checked.error().category() == &pcp::result_code_category());
    }
    if (!checked) require(!checked.error().message().empty());
  }
}

void run(natpunch::core::byte_span input) {
  const pcp::limits lim;
  const auto decoded = pcp::decode_response(input, lim);
  require(decoded.has_value() != static_cast<bool>(decoded.error()));
  if (!decoded) {
    require(&decoded.error().category() == &pcp::error_category());
    return;
  }
  const pcp::response& value = *decoded;
  require(input.size() <= lim.max_message_size);
  require(value.options.size() <= lim.max_options);
  require(value.version <= pcp::version);

  const natpunch::core::bytes encoded = pcp::encode(value);
  if (value.version == pcp::version) require(encoded.size() == input.size());
  const auto again = pcp::decode_response(encoded, lim);
  require(again.has_value() && *again == value);
  require(pcp::encode(*again) == encoded);

  // A tighter option limit: the same value when it holds, too_many_options when it does not.
  const pcp::limits two{lim.max_message_size, 2};
  const auto tight = pcp::decode_response(input, two);
  if (value.options.size() <= 2) {
    require(tight.has_value() && *tight == value);
  } else {
    require(tight.error() == pcp::errc::too_many_options);
  }

  check_answers(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
