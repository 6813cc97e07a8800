// PCP errors: one category for malformed or unacceptable input (errc), one for what the gateway answered
// (result_code, RFC 6887 §7.4). Both carry readable messages.
#pragma once

#include <cstdint>
#include <system_error>

namespace natpunch::pcp {

// §7.4 result codes, exactly as on the wire (8 bits).
enum class result_code : std::uint8_t {
  success = 0,
  unsupp_version = 1,
  not_authorized = 2,
  malformed_request = 3,
  unsupp_opcode = 4,
  unsupp_option = 5,
  malformed_option = 6,
  network_failure = 7,
  no_resources = 8,
  unsupp_protocol = 9,
  user_ex_quota = 10,
  cannot_provide_external = 11,
  address_mismatch = 12,
  excessive_remote_peers = 13,
};
// "NOT_AUTHORIZED" etc.; nullptr for a code the RFC does not define.
const char* name(result_code c) noexcept;
// The meaning, e.g. "the gateway refused: not authorized (PCP may be disabled for this client)".
const char* describe(result_code c) noexcept;
// Category "pcp-gateway"; message: "NOT_AUTHORIZED (2): <meaning>", or "unknown result code 77".
const std::error_category& result_code_category() noexcept;
inline std::error_code make_error_code(result_code c) noexcept { return {static_cast<int>(c), result_code_category()}; }

// Malformed or unacceptable input.
enum class errc {
  too_short = 1,             // under 24 bytes (§7: the smallest PCP message is the common header)
  too_long,                  // over limits::max_message_size (1100, §7)
  not_multiple_of_4,         // §7: every PCP message is a multiple of 4 octets
  bad_version,               // version is neither 2 nor (in an UNSUPP_VERSION answer) a lower one
  not_a_response,            // R bit clear
  not_a_request,             // R bit set (decode_request)
  unknown_opcode,            // opcode is none of ANNOUNCE, MAP, PEER
  truncated_body,            // shorter than the opcode's fixed body (MAP 36, PEER 56 bytes)
  option_overflow,           // an option's length runs past the end of the message (§7.3)
  option_length,             // a known option with the wrong length (THIRD_PARTY 16, FILTER 20, PREFER_FAILURE 0)
  too_many_options,          // more than limits::max_options
  wrong_opcode,              // an answer to another opcode than asked
  nonce_mismatch,            // MAP/PEER answer with another nonce than the request's (§11.3, §12.3)
  protocol_mismatch,         // MAP/PEER answer for another protocol
  internal_port_mismatch,    // MAP/PEER answer for another internal port
  bad_external_address,      // success with an unusable assigned external address (unspecified, loopback,
                             // multicast, broadcast)
  bad_mapping,               // success with external port 0 or lifetime 0 for a create, a lifetime for a delete, or
                             // another port or address than PREFER_FAILURE asked for
  bad_filter,                // a FILTER option with a prefix length out of range (§13.3)
  bad_request,               // a request field a client must not send (decode_request)
  natpmp_only,               // the gateway answered NAT-PMP's "unsupported version": it speaks NAT-PMP, not PCP
  foreign_sender,            // an ANNOUNCE from another address or port than the gateway's
  downgrade_ignored,         // only "unsupported version" came after PCP had worked: ignored (§9), no answer
  stale_answer,              // a success with a lifetime to a delete: the late answer to this mapping's earlier
                             // MAP (an add interrupted before its answer, then undone), skipped
};
const char* describe(errc e) noexcept;
const std::error_category& error_category() noexcept;  // name "pcp"
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace natpunch::pcp

template <>
struct std::is_error_code_enum<natpunch::pcp::result_code> : std::true_type {};
template <>
struct std::is_error_code_enum<natpunch::pcp::errc> : std::true_type {};
