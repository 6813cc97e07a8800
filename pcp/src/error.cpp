#include "natpunch/pcp/error.hpp"

#include <string>

#include "natpunch/core/error.hpp"

namespace natpunch::pcp {

const char* name(result_code c) noexcept {
  switch (c) {
    case result_code::success: return "SUCCESS";
    case result_code::unsupp_version: return "UNSUPP_VERSION";
    case result_code::not_authorized: return "NOT_AUTHORIZED";
    case result_code::malformed_request: return "MALFORMED_REQUEST";
    case result_code::unsupp_opcode: return "UNSUPP_OPCODE";
    case result_code::unsupp_option: return "UNSUPP_OPTION";
    case result_code::malformed_option: return "MALFORMED_OPTION";
    case result_code::network_failure: return "NETWORK_FAILURE";
    case result_code::no_resources: return "NO_RESOURCES";
    case result_code::unsupp_protocol: return "UNSUPP_PROTOCOL";
    case result_code::user_ex_quota: return "USER_EX_QUOTA";
    case result_code::cannot_provide_external: return "CANNOT_PROVIDE_EXTERNAL";
    case result_code::address_mismatch: return "ADDRESS_MISMATCH";
    case result_code::excessive_remote_peers: return "EXCESSIVE_REMOTE_PEERS";
  }
  return nullptr;
}

// The meaning only, in words a user can act on (RFC 6887 §7.4); the category message adds the name
// and the wire value, because users paste both into bug reports and router forums use either.
const char* describe(result_code c) noexcept {
  switch (c) {
    case result_code::success: return "success";
    case result_code::unsupp_version: return "the gateway does not support this PCP version";
    case result_code::not_authorized:
      return "the gateway refused: not authorized (PCP may be disabled for this client, or its policy forbids "
             "this mapping)";
    case result_code::malformed_request: return "the gateway could not parse the request (malformed request)";
    case result_code::unsupp_opcode: return "the gateway does not support this request type (unsupported opcode)";
    case result_code::unsupp_option:
      return "the gateway does not support an option that the request requires it to process";
    case result_code::malformed_option:
      return "an option in the request is malformed, repeated, or not allowed with this request";
    case result_code::network_failure:
      return "network failure at the gateway (it may have no external address yet); try again later";
    case result_code::no_resources:
      return "the gateway is out of resources (its mapping table or ports are exhausted); try again later";
    case result_code::unsupp_protocol: return "the gateway cannot map this transport protocol";
    case result_code::user_ex_quota: return "this client has used up its quota of mappings on the gateway";
    case result_code::cannot_provide_external:
      return "the gateway cannot provide the suggested external port or address (taken, or not allowed)";
    case result_code::address_mismatch:
      return "the client address in the request differs from the packet's source (a NAT between client and "
             "gateway?)";
    case result_code::excessive_remote_peers:
      return "the gateway cannot apply that many remote peer filters (too many FILTER options)";
  }
  return nullptr;
}

// A gateway answering a code the RFC does not define is said in protocol terms ("unknown result code N").
const std::error_category& result_code_category() noexcept {
  static const core::gateway_code_category<result_code> category("pcp-gateway");
  return category;
}

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::too_short: return "message shorter than the 24-byte PCP header";
    case errc::too_long: return "message longer than the PCP maximum of 1100 bytes";
    case errc::not_multiple_of_4: return "message length is not a multiple of 4 bytes";
    case errc::bad_version: return "unsupported PCP version";
    case errc::not_a_response: return "R bit clear (a request, not a response)";
    case errc::not_a_request: return "R bit set (a response, not a request)";
    case errc::unknown_opcode: return "unknown opcode (neither ANNOUNCE, MAP nor PEER)";
    case errc::truncated_body: return "message shorter than its opcode's body (MAP 36, PEER 56 bytes)";
    case errc::option_overflow: return "an option runs past the end of the message";
    case errc::option_length:
      return "an option with the wrong length (THIRD_PARTY 16, PREFER_FAILURE 0, FILTER 20 bytes)";
    case errc::too_many_options: return "more options than allowed";
    case errc::wrong_opcode: return "response to another request than the one sent (wrong opcode)";
    case errc::nonce_mismatch: return "response for another mapping (mapping nonce differs from the request's)";
    case errc::protocol_mismatch: return "response for another protocol than requested";
    case errc::internal_port_mismatch: return "response for another internal port than requested";
    case errc::bad_external_address:
      return "unusable external address (unspecified, loopback, multicast or broadcast)";
    case errc::bad_mapping:
      return "success without a usable mapping (external port or lifetime 0, a delete that kept a lifetime, "
             "or another port than required by PREFER_FAILURE)";
    case errc::bad_filter: return "FILTER option with a prefix length out of range";
    case errc::bad_request: return "request field that a client must not send";
    case errc::natpmp_only: return "the gateway speaks NAT-PMP, not PCP (it answered \"unsupported version\")";
    case errc::foreign_sender: return "sent from another address or port than the gateway's";
    case errc::downgrade_ignored:
      return "no answer but \"unsupported version\" after PCP had worked with this gateway (ignored as forged or stale)";
    case errc::stale_answer:
      return "only a success with a lifetime came to a delete: the late answer to this mapping's earlier request";
  }
  return nullptr;
}

const std::error_category& error_category() noexcept {
  static const core::enum_category<errc> category("pcp");
  return category;
}

}  // namespace natpunch::pcp
