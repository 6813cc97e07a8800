#include "natpunch/natpmp/error.hpp"

#include <string>

#include "natpunch/core/error.hpp"

namespace natpunch::natpmp {

const char* name(result_code c) noexcept {
  switch (c) {
    case result_code::success: return "SUCCESS";
    case result_code::unsupported_version: return "UNSUPPORTED_VERSION";
    case result_code::not_authorized: return "NOT_AUTHORIZED";
    case result_code::network_failure: return "NETWORK_FAILURE";
    case result_code::out_of_resources: return "OUT_OF_RESOURCES";
    case result_code::unsupported_opcode: return "UNSUPPORTED_OPCODE";
  }
  return nullptr;
}

// The meaning only; the category message adds the name and the wire value, because users paste
// both into bug reports and router forums use either.
const char* describe(result_code c) noexcept {
  switch (c) {
    case result_code::success: return "success";
    case result_code::unsupported_version: return "the gateway does not support NAT-PMP version 0";
    case result_code::not_authorized: return "not authorized or refused by the gateway (NAT-PMP may be disabled)";
    case result_code::network_failure:
      return "network failure at the gateway (it may have no external address or DHCP lease yet)";
    case result_code::out_of_resources: return "the gateway is out of resources (no more mappings or ports)";
    case result_code::unsupported_opcode: return "the gateway does not support this request (unsupported opcode)";
  }
  return nullptr;
}

// A gateway answering a code the RFC does not define is said in protocol terms ("unknown result code N").
const std::error_category& result_code_category() noexcept {
  static const core::gateway_code_category<result_code> category("natpmp-gateway");
  return category;
}

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::truncated: return "message shorter than its fixed size";
    case errc::bad_length: return "message longer than its fixed size";
    case errc::bad_version: return "version is not 0 (not a NAT-PMP message)";
    case errc::not_a_response: return "opcode lacks the response bit (a request, not a response)";
    case errc::not_a_request: return "opcode has the response bit (a response, not a request)";
    case errc::unknown_opcode: return "unknown opcode (neither external address nor map UDP/TCP)";
    case errc::wrong_opcode: return "response to another request than the one sent (wrong opcode)";
    case errc::internal_port_mismatch: return "map response for another internal port than requested";
    case errc::bad_external_address:
      return "unusable external address (unspecified, loopback, multicast or broadcast)";
    case errc::bad_mapping:
      return "success without a usable mapping (external port or lifetime 0, or a delete that kept a lifetime)";
    case errc::bad_request: return "request field that a client must not send";
    case errc::foreign_sender: return "sent from another address or port than the gateway's";
  }
  return nullptr;
}

const std::error_category& error_category() noexcept {
  static const core::enum_category<errc> category("natpmp");
  return category;
}

}  // namespace natpunch::natpmp
