// PCP error categories: every gateway result code (RFC 6887 §7.4) and every malformed-input code has a
// name and a message a user can act on.
#include <doctest/doctest.h>

#include <cstring>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <set>
#include <string>
#include <system_error>

#include "natpunch/core/error.hpp"
#include "natpunch/pcp/error.hpp"

namespace pcp = natpunch::pcp;
using pcp::errc;
using pcp::result_code;

namespace {

std::string message(result_code c) { return std::error_code(pcp::make_error_code(c)).message(); }

}  // namespace

TEST_CASE("pcp: result code names") {
  const char* const expected[] = {
      "SUCCESS",         "UNSUPP_VERSION",   "NOT_AUTHORIZED", "MALFORMED_REQUEST",       "UNSUPP_OPCODE",
      "UNSUPP_OPTION",   "MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES",           "UNSUPP_PROTOCOL",
      "USER_EX_QUOTA",   "CANNOT_PROVIDE_EXTERNAL", "ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
  };
  for (int code = 0; code <= 13; ++code) {
    CAPTURE(code);
    const char* name = pcp::name(static_cast<result_code>(code));
    REQUIRE(name != nullptr);
    CHECK(std::string(name) == expected[code]);
  }
  SUBCASE("codes the RFC does not define have no name and no meaning") {
    for (int code = 14; code < 256; ++code) {
      CHECK(pcp::name(static_cast<result_code>(code)) == nullptr);
      CHECK(pcp::describe(static_cast<result_code>(code)) == nullptr);
    }
  }
}

TEST_CASE("pcp: result code messages") {
  CHECK(message(result_code::success) == "SUCCESS (0): success");
  CHECK(message(result_code::unsupp_version) == "UNSUPP_VERSION (1): the gateway does not support this PCP version");
  CHECK(message(result_code::not_authorized) ==
        "NOT_AUTHORIZED (2): the gateway refused: not authorized (PCP may be disabled for this client, or its "
        "policy forbids this mapping)");
  CHECK(message(result_code::malformed_request) ==
        "MALFORMED_REQUEST (3): the gateway could not parse the request (malformed request)");
  CHECK(message(result_code::unsupp_opcode) ==
        "UNSUPP_OPCODE (4): the gateway does not support this request type (unsupported opcode)");
  CHECK(message(result_code::unsupp_option) ==
        "UNSUPP_OPTION (5): the gateway does not support an option that the request requires it to process");
  CHECK(message(result_code::malformed_option) ==
        "MALFORMED_OPTION (6): an option in the request is malformed, repeated, or not allowed with this request");
  CHECK(message(result_code::network_failure) ==
        "NETWORK_FAILURE (7): network failure at the gateway (it may have no external address yet); try again "
        "later");
  CHECK(message(result_code::no_resources) ==
        "NO_RESOURCES (8): the gateway is out of resources (its mapping table or ports are exhausted); try again "
        "later");
  CHECK(message(result_code::unsupp_protocol) == "UNSUPP_PROTOCOL (9): the gateway cannot map this transport protocol");
  CHECK(message(result_code::user_ex_quota) ==
        "USER_EX_QUOTA (10): this client has used up its quota of mappings on the gateway");
  CHECK(message(result_code::cannot_provide_external) ==
        "CANNOT_PROVIDE_EXTERNAL (11): the gateway cannot provide the suggested external port or address (taken, "
        "or not allowed)");
  CHECK(message(result_code::address_mismatch) ==
        "ADDRESS_MISMATCH (12): the client address in the request differs from the packet's source (a NAT between "
        "client and gateway?)");
  CHECK(message(result_code::excessive_remote_peers) ==
        "EXCESSIVE_REMOTE_PEERS (13): the gateway cannot apply that many remote peer filters (too many FILTER "
        "options)");
  SUBCASE("undefined codes keep their number") {
    CHECK(message(static_cast<result_code>(14)) == "unknown result code 14");
    CHECK(message(static_cast<result_code>(77)) == "unknown result code 77");
    CHECK(message(static_cast<result_code>(255)) == "unknown result code 255");
    CHECK(pcp::result_code_category().message(256) == "unknown result code 256");
    CHECK(pcp::result_code_category().message(-1) == "unknown result code -1");
  }
  SUBCASE("the category") {
    CHECK(std::string(pcp::result_code_category().name()) == "pcp-gateway");
    const std::error_code ec = result_code::address_mismatch;
    CHECK(&ec.category() == &pcp::result_code_category());
    CHECK(ec.value() == 12);
    CHECK(natpunch::core::describe(std::error_code(result_code::user_ex_quota)) ==
          "pcp-gateway: USER_EX_QUOTA (10): this client has used up its quota of mappings on the gateway");
  }
}

TEST_CASE("pcp: malformed-input error messages") {
  const errc all[] = {
      errc::too_short,        errc::too_long,         errc::not_multiple_of_4,  errc::bad_version,
      errc::not_a_response,   errc::not_a_request,    errc::unknown_opcode,     errc::truncated_body,
      errc::option_overflow,  errc::option_length,    errc::too_many_options,   errc::wrong_opcode,
      errc::nonce_mismatch,   errc::protocol_mismatch, errc::internal_port_mismatch, errc::bad_external_address,
      errc::bad_mapping,      errc::bad_filter,       errc::bad_request,        errc::natpmp_only,
      errc::foreign_sender,   errc::downgrade_ignored,
  };
  std::set<std::string> seen;
  for (const errc e : all) {
    CAPTURE(static_cast<int>(e));
    const char* text = pcp::describe(e);
    REQUIRE(text != nullptr);
    CHECK(std::strlen(text) > 0);
    const std::error_code ec = e;
    CHECK(ec.message() == text);
    CHECK(&ec.category() == &pcp::error_category());
    seen.insert(text);
  }
  CHECK(seen.size() == std::size(all));  // no two codes share a message
  CHECK(static_cast<int>(errc::downgrade_ignored) == static_cast<int>(std::size(all)));  // the list is complete
  CHECK(std::string(pcp::error_category().name()) == "pcp");
  CHECK(std::error_code(errc::too_short).message() == "message shorter than the 24-byte PCP header");
  CHECK(natpunch::core::describe(std::error_code(errc::natpmp_only)) ==
        "pcp: the gateway speaks NAT-PMP, not PCP (it answered \"unsupported version\")");
  CHECK(std::error_code(static_cast<errc>(99)).message() == "unknown error 99");
  SUBCASE("the two categories never compare equal") {
    CHECK(std::error_code(errc::too_short) != std::error_code(result_code::unsupp_version));
  }
}
