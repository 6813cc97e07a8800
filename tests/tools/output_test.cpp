#include <doctest/doctest.h>

#include "natpunch/core/error.hpp"
#include "natpunch/natpmp/error.hpp"
#include "natpunch/pcp/error.hpp"
#include "output.hpp"

using namespace natpunch;
using namespace natpunch::cli;

TEST_CASE("cli: JSON strings are escaped") {
  CHECK(json_escape("plain") == "\"plain\"");
  CHECK(json_escape("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(json_escape("line\nbreak\ttab\r") == "\"line\\nbreak\\ttab\\r\"");
  CHECK(json_escape(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
  CHECK(json_escape(std::string("nul\0byte", 8)) == "\"nul\\u0000byte\"");
}

TEST_CASE("cli: JSON objects keep insertion order and types") {
  const auto text = json_object().add("s", "x").add("n", std::int64_t{-5}).add("b", true).add_raw("o", "{}").str();
  CHECK(text == R"({"s":"x","n":-5,"b":true,"o":{}})");
}

TEST_CASE("cli: exit status by error category") {
  CHECK(exit_status_for(natpmp::result_code::not_authorized) == exit_refused);
  CHECK(exit_status_for(natpmp::errc::bad_external_address) == exit_bad_answer);
  CHECK(exit_status_for(core::transport_errc::message_too_large) == exit_bad_answer);
  CHECK(exit_status_for(core::transport_errc::timed_out) == exit_unreachable);
  CHECK(exit_status_for(core::transport_errc::connection_refused) == exit_unreachable);
  CHECK(exit_status_for(std::make_error_code(std::errc::network_unreachable)) == exit_unreachable);
  CHECK(exit_status_for(pcp::result_code::cannot_provide_external) == exit_refused);
  CHECK(exit_status_for(pcp::errc::natpmp_only) == exit_refused);
  CHECK(exit_status_for(pcp::errc::nonce_mismatch) == exit_bad_answer);
  CHECK(exit_status_for(core::transport_errc::cancelled) == exit_interrupted);
}
