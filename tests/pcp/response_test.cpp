// Every way a datagram can fail to be a PCP response we accept, and the two "unsupported version"
// forms that are accepted: NAT-PMP's 8-byte reply (RFC 6886 §3.5) and a PCP server naming a lower version.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "wire.hpp"

using namespace pcp_test;
using pcp::errc;
using pcp::result_code;

namespace {

const bytes map_with_options = cat({map_response_v4, prefer_failure_option, filter_option, unknown_option_5});
const bytes peer_with_option = cat({peer_response, third_party_option});

}  // namespace

TEST_CASE("pcp: every truncated prefix of a valid response is refused cleanly") {
  struct message {
    bytes wire;
    std::size_t body_end;               // header + the opcode's body
    std::vector<std::size_t> complete;  // prefixes that end between two options: valid with fewer options
  };
  const std::vector<message> successes{
      {announce_response, 24, {}}, {map_response_v4, 60, {}},          {map_response_v6, 60, {}},
      {peer_response, 80, {}},     {map_with_options, 60, {60, 64, 88}}, {peer_with_option, 80, {80}},
  };
  for (const message& m : successes) {
    CAPTURE(m.wire.size());
    for (std::size_t n = 0; n < m.wire.size(); ++n) {
      CAPTURE(n);
      const auto r = pcp::decode_response(prefix(m.wire, n));
      if (std::find(m.complete.begin(), m.complete.end(), n) != m.complete.end()) {
        REQUIRE(r.has_value());
        CHECK(pcp::encode(*r) == prefix(m.wire, n));
        continue;
      }
      REQUIRE_FALSE(r.has_value());
      if (n < 24) {
        CHECK(r.error() == errc::too_short);
      } else if (n % 4 != 0) {
        CHECK(r.error() == errc::not_multiple_of_4);
      } else if (n < m.body_end) {
        CHECK(r.error() == errc::truncated_body);
      } else {
        CHECK(r.error() == errc::option_overflow);  // cut inside an option
      }
    }
  }
  SUBCASE("an error response: 24 bytes is a whole answer without body, more must hold the body") {
    for (std::size_t n = 0; n < map_error_with_body.size(); ++n) {
      CAPTURE(n);
      const auto r = pcp::decode_response(prefix(map_error_with_body, n));
      if (n < 24) {
        CHECK(r.error() == errc::too_short);
      } else if (n % 4 != 0) {
        CHECK(r.error() == errc::not_multiple_of_4);
      } else if (n == 24) {
        REQUIRE(r.has_value());
        CHECK(*r == map_error_value(false));
      } else {
        CHECK(r.error() == errc::truncated_body);
      }
    }
  }
}

TEST_CASE("pcp: response size limits") {
  SUBCASE("1100 bytes is the most a message may have (§7)") {
    // MAP success + one unknown option of 1100 - 60 - 4 = 1036 data bytes.
    bytes big = cat({map_response_v4, {0xc8, 0x00, 0x04, 0x0c}, bytes(1036, 7)});
    REQUIRE(big.size() == 1100);
    CHECK(pcp::decode_response(big).has_value());
    big.insert(big.end(), {0xc8, 0x00, 0x00, 0x00});
    CHECK(pcp::decode_response(big).error() == errc::too_long);
  }
  SUBCASE("too long is said before anything else") {
    CHECK(pcp::decode_response(bytes(1101, 0)).error() == errc::too_long);
    CHECK(pcp::decode_response(bytes(4000, 0xff)).error() == errc::too_long);
  }
  SUBCASE("a smaller limit") {
    const pcp::limits small{60, 16};
    CHECK(pcp::decode_response(map_response_v4, small).has_value());
    CHECK(pcp::decode_response(cat({map_response_v4, prefer_failure_option}), small).error() == errc::too_long);
  }
  SUBCASE("not a multiple of 4 and too short are told apart") {
    CHECK(pcp::decode_response(bytes{}).error() == errc::too_short);
    CHECK(pcp::decode_response(prefix(announce_response, 23)).error() == errc::too_short);
    CHECK(pcp::decode_response(cat({announce_response, {0}})).error() == errc::not_multiple_of_4);
    CHECK(pcp::decode_response(cat({map_response_v4, {0, 0, 0}})).error() == errc::not_multiple_of_4);
  }
}

TEST_CASE("pcp: response header checks") {
  SUBCASE("versions other than 2 without UNSUPP_VERSION") {
    for (const std::uint8_t v : {1, 3, 4, 0x80, 0xff}) {
      CAPTURE(int{v});
      bytes wire = map_response_v4;
      wire[0] = v;
      CHECK(pcp::decode_response(wire).error() == errc::bad_version);
    }
  }
  SUBCASE("a higher version is refused even with UNSUPP_VERSION") {
    bytes wire = map_error_without_body;
    wire[3] = 1;
    wire[0] = 3;
    CHECK(pcp::decode_response(wire).error() == errc::bad_version);
  }
  SUBCASE("version 0 in PCP framing is no NAT-PMP reply") {
    // miniupnpd answers a 12-byte version-1 request like this (tests/data/natpmp: version_1_map.bin).
    bytes wire = map_error_without_body;
    wire[0] = 0;
    wire[1] = 0x80;
    wire[3] = 3;
    CHECK(pcp::decode_response(wire).error() == errc::bad_version);
  }
  SUBCASE("the R bit must be set") {
    CHECK(pcp::decode_response(map_request_v4).error() == errc::not_a_response);
    CHECK(pcp::decode_response(announce_request).error() == errc::not_a_response);
  }
  SUBCASE("unknown opcodes") {
    for (const std::uint8_t op : {0x83, 0x84, 0xff}) {
      bytes wire = announce_response;
      wire[1] = op;
      CHECK(pcp::decode_response(wire).error() == errc::unknown_opcode);
    }
  }
  SUBCASE("a success must carry its whole body") {
    CHECK(pcp::decode_response(prefix(map_response_v4, 24)).error() == errc::truncated_body);
    CHECK(pcp::decode_response(prefix(peer_response, 60)).error() == errc::truncated_body);
  }
  SUBCASE("every result code decodes, the defined ones and the others") {
    for (int code = 0; code < 256; ++code) {
      bytes wire = map_error_with_body;
      wire[3] = static_cast<std::uint8_t>(code);
      const auto r = pcp::decode_response(wire);
      REQUIRE(r.has_value());
      CHECK(static_cast<int>(r->result) == code);
    }
  }
}

TEST_CASE("pcp: NAT-PMP's answer to our version-2 request is version 0 UNSUPP_VERSION") {
  // RFC 6886 §3.5: version 0, op 128 + 1, result 1 (16 bits), epoch 1000.
  const bytes natpmp_reply{0x00, 0x81, 0x00, 0x01, 0x00, 0x00, 0x03, 0xe8};
  const auto r = pcp::decode_response(natpmp_reply);
  REQUIRE(r.has_value());
  CHECK(r->version == 0);
  CHECK(r->op == pcp::opcode::map);
  CHECK(r->result == result_code::unsupp_version);
  CHECK(r->epoch == 1000);
  CHECK(r->lifetime == 0);
  CHECK(std::holds_alternative<std::monostate>(r->payload));
  CHECK(pcp::encode(*r) == natpmp_reply);
  SUBCASE("for each opcode") {
    for (const std::uint8_t op : {0x80, 0x81, 0x82}) {
      bytes wire = natpmp_reply;
      wire[1] = op;
      const auto d = pcp::decode_response(wire);
      REQUIRE(d.has_value());
      CHECK(static_cast<int>(d->op) == (op & 0x7f));
    }
    bytes wire = natpmp_reply;
    wire[1] = 0x83;
    CHECK(pcp::decode_response(wire).error() == errc::unknown_opcode);
  }
  SUBCASE("longer forms (a full NAT-PMP map answer, or padding) read the same; the epoch is bytes 4-7") {
    for (const std::size_t size : {9u, 12u, 16u, 24u, 60u}) {
      CAPTURE(size);
      bytes wire = natpmp_reply;
      wire.resize(size, 0xaa);
      const auto d = pcp::decode_response(wire);
      REQUIRE(d.has_value());
      CHECK(d->version == 0);
      CHECK(d->epoch == 1000);
    }
  }
  SUBCASE("shorter than 8 bytes is too short") {
    for (std::size_t n = 0; n < 8; ++n) CHECK(pcp::decode_response(prefix(natpmp_reply, n)).error() == errc::too_short);
  }
  SUBCASE("other NAT-PMP results, or no R bit, are not this answer") {
    bytes wire = natpmp_reply;
    wire[3] = 2;
    CHECK(pcp::decode_response(wire).error() == errc::too_short);
    wire = natpmp_reply;
    wire[2] = 1;  // result 0x0101
    CHECK(pcp::decode_response(wire).error() == errc::too_short);
    wire = natpmp_reply;
    wire[1] = 0x01;
    CHECK(pcp::decode_response(wire).error() == errc::too_short);
  }
}

TEST_CASE("pcp: a PCP server's UNSUPP_VERSION naming version 1") {
  // §9: the server answers with the highest version it supports; nothing after the header is read.
  const bytes wire = cat({{0x01, 0x81, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05}, twelve_zeros,
                          {0xde, 0xad, 0xbe, 0xef}});
  const auto r = pcp::decode_response(wire);
  REQUIRE(r.has_value());
  CHECK(r->version == 1);
  CHECK(r->op == pcp::opcode::map);
  CHECK(r->result == result_code::unsupp_version);
  CHECK(r->epoch == 5);
  CHECK(std::holds_alternative<std::monostate>(r->payload));
  CHECK(r->options.empty());
  CHECK(pcp::decode_response(pcp::encode(*r)).value() == *r);
  SUBCASE("its size rules still hold") {
    CHECK(pcp::decode_response(prefix(wire, 20)).error() == errc::too_short);
    CHECK(pcp::decode_response(prefix(wire, 26)).error() == errc::not_multiple_of_4);
  }
  SUBCASE("and its R bit") {
    bytes no_r = wire;
    no_r[1] = 0x01;
    CHECK(pcp::decode_response(no_r).error() == errc::not_a_response);
  }
}

TEST_CASE("pcp: decode→encode→decode is stable for every valid response") {
  for (const bytes& wire : {announce_response, map_response_v4, map_response_v6, peer_response, map_error_with_body,
                            map_error_without_body, map_with_options, peer_with_option}) {
    const auto first = pcp::decode_response(wire);
    REQUIRE(first.has_value());
    CHECK(pcp::encode(*first) == wire);
    const auto second = pcp::decode_response(pcp::encode(*first));
    REQUIRE(second.has_value());
    CHECK(*second == *first);
  }
}
