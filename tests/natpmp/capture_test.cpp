// Every real miniupnpd answer captured in the lab (tests/data/natpmp/miniupnpd_2.3.1) decoded and judged
// against the exact request that produced it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "natpunch/natpmp/codec.hpp"

using namespace natpunch;
using natpmp::errc;
using natpmp::result_code;

namespace {

const std::filesystem::path captures = std::filesystem::path(NATPUNCH_TEST_DATA) / "natpmp" / "miniupnpd_2.3.1";

core::bytes load(const std::string& name) {
  std::ifstream in(captures / name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing capture " << name);
  return core::bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Decodes <name>.request.bin and <name>.bin and returns check_answer's verdict.
core::result<void> judge(const std::string& name, natpmp::response* out = nullptr) {
  const auto req = natpmp::decode_request(load(name + ".request.bin"));
  REQUIRE(req.has_value());
  const auto resp = natpmp::decode_response(load(name + ".bin"));
  REQUIRE(resp.has_value());
  if (out != nullptr) *out = *resp;
  return natpmp::check_answer(*req, *resp);
}

}  // namespace

TEST_CASE("natpmp capture: miniupnpd's successful answers pass every client check") {
  for (const char* name : {"external_address", "external_address_after_reboot", "external_address_after_change",
                           "map_tcp", "map_tcp_again", "map_udp", "map_tcp_eport_taken", "map_tcp_lifetime_1",
                           "map_tcp_lifetime_1000000", "map_tcp_lifetime_max", "delete_tcp", "delete_udp",
                           "delete_tcp_absent"}) {
    CAPTURE(name);
    CHECK(judge(name).has_value());
  }
}

TEST_CASE("natpmp capture: what miniupnpd grants") {
  natpmp::response resp;
  REQUIRE(judge("external_address", &resp).has_value());
  CHECK(std::get<natpmp::external_address_response>(resp).external_address == std::array<std::uint8_t, 4>{11, 0, 0, 5});
  REQUIRE(judge("map_tcp_lifetime_max", &resp).has_value());
  CHECK(std::get<natpmp::map_response>(resp).lifetime == 0xffffffffu);  // granted exactly as asked
  REQUIRE(judge("delete_tcp", &resp).has_value());
  CHECK(std::get<natpmp::map_response>(resp).lifetime == 0);
}

TEST_CASE("natpmp capture: miniupnpd's refusals carry their result codes") {
  SUBCASE("internal port 0 on a create: NOT_AUTHORIZED") {
    CHECK(judge("map_tcp_iport_zero").error() == result_code::not_authorized);
  }
  SUBCASE("an unknown opcode's answer (op 131, UNSUPPORTED_OPCODE) is no message we decode") {
    CHECK(load("opcode_3.bin").size() == 8);
    CHECK(natpmp::decode_response(load("opcode_3.bin")).error() == errc::unknown_opcode);
    CHECK(natpmp::decode_response(load("opcode_127.bin")).error() == errc::unknown_opcode);
  }
}

TEST_CASE("natpmp capture: a PCP answer to a version-1 request is no NAT-PMP answer we could take") {
  // miniupnpd hands any version but 0 to its PCP server, which answers 24 bytes: a NAT-PMP parser must
  // not read that as an external address.
  // Version byte 0, op 128, result 3, then 12 more bytes: read as NAT-PMP it would say "0.0.0.4".
  CHECK(natpmp::decode_response(load("version_1_map.bin")).error() == errc::bad_length);
  CHECK(natpmp::decode_response(load("version_1_24.bin")).error() == errc::bad_version);
  CHECK(natpmp::decode_response(load("version_3_24.bin")).error() == errc::bad_version);
  CHECK(natpmp::decode_response(load("announce_pcp_5350.bin")).error() == errc::bad_version);
}

TEST_CASE("natpmp capture: miniupnpd's NAT-PMP announcements are external address answers") {
  for (const char* name : {"announce_natpmp_5350.bin", "announce_natpmp_5351.bin"}) {
    CAPTURE(name);
    const auto resp = natpmp::decode_response(load(name));
    REQUIRE(resp.has_value());
    CHECK(natpmp::check_answer(natpmp::external_address_request{}, *resp).has_value());
  }
}
