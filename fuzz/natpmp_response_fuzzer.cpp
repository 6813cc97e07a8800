// NAT-PMP response decoder (what a client reads from the network). Invariants beyond "no crash":
//  - a decode yields a value or an error, never both (and never neither);
//  - a decoded value re-encodes to bytes that decode to the same value, at the message's full size;
//    a full-size input (every success, and a failure that sent all fields) re-encodes to exactly the input;
//  - check_answer against every kind of request never throws, agrees with mismatch()/answers(), and only
//    accepts a success.
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <variant>
#include <vector>

#include "support.hpp"
#include "natpunch/natpmp/codec.hpp"

namespace {

using natpunch::fuzz::require;

namespace natpmp = natpunch::natpmp;
using natpunch::core::ip_protocol;

natpmp::result_code result_of(const natpmp::response& resp) {
  return std::visit([](const auto& r) { return r.result; }, resp);
}

// Requests the response could be checked against: each opcode, creates and deletes, the response's
// own internal port (so the port checks are reached) and another one.
std::vector<natpmp::request> candidate_requests(const natpmp::response& resp) {
  std::uint16_t port = 5000;
  if (const auto* map = std::get_if<natpmp::map_response>(&resp)) port = map->internal_port;
  std::vector<natpmp::request> out{natpmp::external_address_request{}};
  for (const ip_protocol protocol : {ip_protocol::udp, ip_protocol::tcp}) {
    for (const std::uint16_t internal : {port, static_cast<std::uint16_t>(port + 1)}) {
      out.push_back(natpmp::map_request{protocol, internal, 0, natpmp::recommended_lifetime});
      out.push_back(natpmp::map_request{protocol, internal, 0, 0});
    }
  }
  return out;
}

void check_answers(const natpmp::response& resp) {
  for (const natpmp::request& req : candidate_requests(resp)) {
    const bool answers = natpmp::answers(req, resp);
    const natpunch::core::result<void> checked = natpmp::check_answer(req, resp);
    require(checked.has_value() != static_cast<bool>(checked.error()));
    const std::error_code why = natpmp::mismatch(req, resp);
    require(answers == !why);
    if (!answers) require(checked.error() == why);
    if (checked) require(result_of(resp) == natpmp::result_code::success);
    if (answers && result_of(resp) != natpmp::result_code::success) {
      require(&checked.error().category() == &natpmp::result_code_category());
    }
    if (!checked) require(!checked.error().message().empty());
  }
}

void run(natpunch::core::byte_span input) {
  const auto decoded = natpmp::decode_response(input);
  require(decoded.has_value() != static_cast<bool>(decoded.error()));
  if (!decoded) {
    require(&decoded.error().category() == &natpmp::error_category());
    return;
  }
  const natpmp::response& value = *decoded;

  const natpunch::core::bytes encoded = natpmp::encode(value);
  const bool is_map = std::holds_alternative<natpmp::map_response>(value);
  require(encoded.size() == (is_map ? 16u : 12u));
  require(input.size() >= 8 && input.size() <= encoded.size());
  if (result_of(value) == natpmp::result_code::success || input.size() == encoded.size()) {
    require(std::vector<std::uint8_t>(input.begin(), input.end()) == encoded);
  }
  const auto again = natpmp::decode_response(encoded);
  require(again.has_value() && *again == value);

  check_answers(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
