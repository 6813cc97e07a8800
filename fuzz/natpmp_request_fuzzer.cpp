// NAT-PMP request decoder (what the gateway simulator reads). Invariants beyond "no crash":
//  - a decode yields a value or an error, never both (and never neither);
//  - a decoded request re-encodes to exactly the input bytes (the decoder accepts no byte it would
//    not write itself), and those bytes decode to the same value;
//  - the answer a conforming gateway would send passes the client's check_answer, and a response of
//    the other opcode family is refused as wrong_opcode.
#include <cstddef>
#include <cstdint>
#include <variant>
#include <vector>

#include "support.hpp"
#include "natpunch/natpmp/codec.hpp"

namespace {

using natpunch::fuzz::require;

namespace natpmp = natpunch::natpmp;

// What RFC 6886 §3.2-3.4 has a gateway answer on success.
natpmp::response conforming_answer(const natpmp::request& req) {
  const auto* map = std::get_if<natpmp::map_request>(&req);
  if (map == nullptr) return natpmp::external_address_response{natpmp::result_code::success, 1, {198, 51, 100, 7}};
  natpmp::map_response resp{map->protocol, natpmp::result_code::success, 1, map->internal_port, 0, map->lifetime};
  if (map->lifetime != 0) resp.external_port = map->suggested_external_port != 0 ? map->suggested_external_port : 40000;
  return resp;
}

natpmp::response other_family(const natpmp::request& req) {
  if (std::holds_alternative<natpmp::map_request>(req)) {
    return natpmp::external_address_response{natpmp::result_code::success, 1, {198, 51, 100, 7}};
  }
  return natpmp::map_response{};
}

void run(natpunch::core::byte_span input) {
  const auto decoded = natpmp::decode_request(input);
  require(decoded.has_value() != static_cast<bool>(decoded.error()));
  if (!decoded) {
    require(&decoded.error().category() == &natpmp::error_category());
    return;
  }
  const natpunch::core::bytes encoded = natpmp::encode(*decoded);
  require(std::vector<std::uint8_t>(input.begin(), input.end()) == encoded);
  const auto again = natpmp::decode_request(encoded);
  require(again.has_value() && *again == *decoded);

  // Through the wire, as the client would see the simulator's answer.
  const auto answer = natpmp::decode_response(natpmp::encode(conforming_answer(*decoded)));
  require(answer.has_value());
  require(natpmp::answers(*decoded, *answer));
  require(natpmp::check_answer(*decoded, *answer).has_value());
  require(!natpmp::answers(*decoded, other_family(*decoded)));
  require(natpmp::check_answer(*decoded, other_family(*decoded)).error() == natpmp::errc::wrong_opcode);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
