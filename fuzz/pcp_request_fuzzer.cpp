// PCP request decoder (what the gateway simulator reads). Invariants beyond "no crash":
//  - a decode yields a value or an error, never both (and never neither); errors are pcp::errc;
//  - limits hold (1100 bytes, max_options options);
//  - a decoded request re-encodes to exactly the input bytes (the decoder accepts no byte it would not
//    write itself), and those bytes decode to the same value;
//  - the answer a conforming server would send, through the wire, passes the client's check_answer; an
//    answer to another opcode is wrong_opcode, and one for another mapping nonce is nonce_mismatch.
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "support.hpp"
#include "natpunch/pcp/codec.hpp"

namespace {

using natpunch::fuzz::require;

namespace pcp = natpunch::pcp;

const pcp::address granted_address = pcp::ipv4_mapped({198, 51, 100, 7});

bool prefers_failure(const pcp::request& req) {
  for (const pcp::option& o : req.options) {
    if (std::holds_alternative<pcp::prefer_failure_option>(o)) return true;
  }
  return false;
}

// What RFC 6887 §11.3 / §12.3 / §14.1 has a server answer on success: the request's body with the
// assigned port and address, and the options it processed (here: all of them).
pcp::response conforming_answer(const pcp::request& req, bool& used_suggested_address) {
  pcp::response resp;
  resp.op = req.op;
  resp.lifetime = req.lifetime;
  resp.epoch = 1;
  resp.payload = req.payload;
  resp.options = req.options;
  used_suggested_address = false;
  pcp::map_body* body = std::get_if<pcp::map_body>(&resp.payload);
  if (auto* peer = std::get_if<pcp::peer_body>(&resp.payload)) body = &peer->map;
  if (body != nullptr && req.lifetime != 0) {
    if (body->external_port == 0) body->external_port = 40000;
    used_suggested_address = prefers_failure(req) && !pcp::is_unspecified(body->external_address);
    if (!used_suggested_address) body->external_address = granted_address;
  }
  return resp;
}

void run(natpunch::core::byte_span input) {
  const pcp::limits lim;
  const auto decoded = pcp::decode_request(input, lim);
  require(decoded.has_value() != static_cast<bool>(decoded.error()));
  if (!decoded) {
    require(&decoded.error().category() == &pcp::error_category());
    return;
  }
  const pcp::request& req = *decoded;
  require(input.size() <= lim.max_message_size);
  require(req.options.size() <= lim.max_options);

  const natpunch::core::bytes encoded = pcp::encode(req);
  require(std::vector<std::uint8_t>(input.begin(), input.end()) == encoded);
  const auto again = pcp::decode_request(encoded, lim);
  require(again.has_value() && *again == req);

  // Through the wire, as the client would see the simulator's answer.
  bool used_suggested_address = false;
  const pcp::response answer = conforming_answer(req, used_suggested_address);
  const auto received = pcp::decode_response(pcp::encode(answer), lim);
  require(received.has_value() && *received == answer);
  const auto verdict = pcp::check_answer(req, *received);
  // A suggested address kept for PREFER_FAILURE may itself be unusable (a loopback, say).
  require(verdict.has_value() || (used_suggested_address && verdict.error() == pcp::errc::bad_external_address));
  require(!pcp::mismatch(req, *received));

  pcp::response other = answer;
  other.op = req.op == pcp::opcode::map ? pcp::opcode::peer : pcp::opcode::map;
  require(pcp::mismatch(req, other) == pcp::errc::wrong_opcode);
  require(pcp::check_answer(req, other).error() == pcp::errc::wrong_opcode);
  if (req.op != pcp::opcode::announce) {
    pcp::response stale = answer;
    pcp::map_body* body = std::get_if<pcp::map_body>(&stale.payload);
    if (auto* peer = std::get_if<pcp::peer_body>(&stale.payload)) body = &peer->map;
    require(body != nullptr);
    body->mapping_nonce[0] ^= 0xff;
    require(pcp::mismatch(req, stale) == pcp::errc::nonce_mismatch);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
