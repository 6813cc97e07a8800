// NAT-PMP error categories: every gateway result code (§3.5) and every malformed-input code has a
// name and a message a user can act on.
#include <doctest/doctest.h>

#include <cstring>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <set>
#include <string>
#include <system_error>

#include "natpunch/core/error.hpp"
#include "natpunch/natpmp/error.hpp"

namespace natpmp = natpunch::natpmp;
using natpmp::errc;
using natpmp::result_code;

TEST_CASE("natpmp: result code names") {
  CHECK(std::string(natpmp::name(result_code::success)) == "SUCCESS");
  CHECK(std::string(natpmp::name(result_code::unsupported_version)) == "UNSUPPORTED_VERSION");
  CHECK(std::string(natpmp::name(result_code::not_authorized)) == "NOT_AUTHORIZED");
  CHECK(std::string(natpmp::name(result_code::network_failure)) == "NETWORK_FAILURE");
  CHECK(std::string(natpmp::name(result_code::out_of_resources)) == "OUT_OF_RESOURCES");
  CHECK(std::string(natpmp::name(result_code::unsupported_opcode)) == "UNSUPPORTED_OPCODE");
  SUBCASE("codes the RFC does not define have no name") {
    CHECK(natpmp::name(static_cast<result_code>(6)) == nullptr);
    CHECK(natpmp::name(static_cast<result_code>(77)) == nullptr);
    CHECK(natpmp::name(static_cast<result_code>(0xffff)) == nullptr);
    CHECK(natpmp::describe(static_cast<result_code>(77)) == nullptr);
  }
}

TEST_CASE("natpmp: result code messages") {
  const auto message = [](result_code c) { return std::error_code(natpmp::make_error_code(c)).message(); };
  CHECK(message(result_code::success) == "SUCCESS (0): success");
  CHECK(message(result_code::unsupported_version) ==
        "UNSUPPORTED_VERSION (1): the gateway does not support NAT-PMP version 0");
  CHECK(message(result_code::not_authorized) ==
        "NOT_AUTHORIZED (2): not authorized or refused by the gateway (NAT-PMP may be disabled)");
  CHECK(message(result_code::network_failure) ==
        "NETWORK_FAILURE (3): network failure at the gateway (it may have no external address or DHCP lease yet)");
  CHECK(message(result_code::out_of_resources) ==
        "OUT_OF_RESOURCES (4): the gateway is out of resources (no more mappings or ports)");
  CHECK(message(result_code::unsupported_opcode) ==
        "UNSUPPORTED_OPCODE (5): the gateway does not support this request (unsupported opcode)");
  SUBCASE("undefined codes keep their number") {
    CHECK(message(static_cast<result_code>(6)) == "unknown result code 6");
    CHECK(message(static_cast<result_code>(77)) == "unknown result code 77");
    CHECK(message(static_cast<result_code>(65535)) == "unknown result code 65535");
  }
  SUBCASE("the category") {
    CHECK(std::string(natpmp::result_code_category().name()) == "natpmp-gateway");
    const std::error_code ec = result_code::not_authorized;
    CHECK(&ec.category() == &natpmp::result_code_category());
    CHECK(ec.value() == 2);
    CHECK(natpunch::core::describe(ec) ==
          "natpmp-gateway: NOT_AUTHORIZED (2): not authorized or refused by the gateway (NAT-PMP may be disabled)");
  }
}

TEST_CASE("natpmp: malformed-input error messages") {
  const errc all[] = {
      errc::truncated,     errc::bad_length,     errc::bad_version,
      errc::not_a_response, errc::not_a_request, errc::unknown_opcode,
      errc::wrong_opcode,  errc::internal_port_mismatch, errc::bad_external_address,
      errc::bad_mapping,   errc::bad_request,    errc::foreign_sender,
  };
  std::set<std::string> seen;
  for (const errc e : all) {
    CAPTURE(static_cast<int>(e));
    const char* text = natpmp::describe(e);
    REQUIRE(text != nullptr);
    CHECK(std::strlen(text) > 0);
    const std::error_code ec = e;
    CHECK(ec.message() == text);
    seen.insert(text);
  }
  CHECK(seen.size() == std::size(all));  // no two codes share a message
  CHECK(std::string(natpmp::error_category().name()) == "natpmp");
  CHECK(std::error_code(errc::truncated).message() == "message shorter than its fixed size");
  CHECK(std::error_code(static_cast<errc>(99)).message() == "unknown error 99");
  SUBCASE("the two categories never compare equal") {
    CHECK(std::error_code(errc::truncated) != std::error_code(result_code::unsupported_version));
  }
}
