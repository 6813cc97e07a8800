// NAT-PMP errors: one category for malformed input (errc) and one for what the gateway answered
// (result_code, §3.5). Both carry readable messages.
#pragma once

#include <cstdint>
#include <system_error>

namespace natpunch::natpmp {

// §3.5 result codes, exactly as on the wire.
enum class result_code : std::uint16_t {
  success = 0,
  unsupported_version = 1,
  not_authorized = 2,     // "Not Authorized/Refused": e.g. the box has NAT-PMP disabled
  network_failure = 3,    // e.g. the gateway has no DHCP lease / external address yet
  out_of_resources = 4,   // no more mappings / ports available
  unsupported_opcode = 5,
};
// "UNSUPPORTED_VERSION" etc.; nullptr for a code the RFC does not define.
const char* name(result_code c) noexcept;
const char* describe(result_code c) noexcept;
const std::error_category& result_code_category() noexcept;  // name "natpmp-gateway"
inline std::error_code make_error_code(result_code c) noexcept {
  return {static_cast<int>(c), result_code_category()};
}

// Malformed or unacceptable input.
enum class errc {
  truncated = 1,            // shorter than the message's fixed size
  bad_length,               // longer than the message's fixed size
  bad_version,              // version byte is not 0
  not_a_response,           // opcode lacks the 128 response bit
  not_a_request,            // opcode has the response bit (decode_request)
  unknown_opcode,           // opcode is none of 0, 1, 2 (after removing the response bit)
  wrong_opcode,             // a response to another request than the one sent
  internal_port_mismatch,   // map response for another internal port than requested
  bad_external_address,     // 0.0.0.0, loopback, multicast or broadcast as the external address
  bad_mapping,              // success with external port 0 or lifetime 0 for a create, or a delete that kept a lifetime
  bad_request,              // a request field a client must not send (e.g. delete with a suggested port)
  foreign_sender,           // an announcement from another address or port than the gateway's
};
const char* describe(errc e) noexcept;
const std::error_category& error_category() noexcept;  // name "natpmp"
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace natpunch::natpmp

template <>
struct std::is_error_code_enum<natpunch::natpmp::result_code> : std::true_type {};
template <>
struct std::is_error_code_enum<natpunch::natpmp::errc> : std::true_type {};
