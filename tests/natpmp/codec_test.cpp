// NAT-PMP wire codec: exact bytes of every message (written out by hand from the RFC 6886 diagrams,
// not produced by our encoder), decoding, and every way a datagram can be malformed.
#include <doctest/doctest.h>

#include <cstdint>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <vector>

#include "natpunch/natpmp/codec.hpp"

namespace natpmp = natpunch::natpmp;
using natpunch::core::bytes;
using natpunch::core::ip_protocol;
using natpmp::errc;
using natpmp::result_code;

namespace {

// §3.2: external address response, epoch 86400 (0x00015180), address 11.0.0.5.
const bytes external_address_success{0x00, 0x80, 0x00, 0x00, 0x00, 0x01, 0x51, 0x80, 11, 0, 0, 5};
// §3.3: map UDP response, epoch 3600 (0x0E10), internal 5000 (0x1388), external 6000 (0x1770),
// lifetime 7200 (0x1C20).
const bytes map_udp_success{0x00, 0x81, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x10,
                            0x13, 0x88, 0x17, 0x70, 0x00, 0x00, 0x1c, 0x20};
// The same for TCP, with values that set the high bit of every field.
const bytes map_tcp_success{0x00, 0x82, 0x00, 0x00, 0xfe, 0xdc, 0xba, 0x98,
                            0xff, 0xfe, 0x80, 0x01, 0x80, 0x00, 0x00, 0x01};

const std::vector<bytes>& valid_success_responses() {
  static const std::vector<bytes> all{external_address_success, map_udp_success, map_tcp_success};
  return all;
}

bytes prefix(const bytes& b, std::size_t n) { return bytes(b.begin(), b.begin() + static_cast<long>(n)); }

}  // namespace

TEST_CASE("natpmp: encode external address request") {
  CHECK(natpmp::encode(natpmp::external_address_request{}) == bytes{0x00, 0x00});
  CHECK(natpmp::encode(natpmp::request{natpmp::external_address_request{}}) == bytes{0x00, 0x00});
}

TEST_CASE("natpmp: encode map request") {
  SUBCASE("udp create") {
    const natpmp::map_request req{ip_protocol::udp, 5000, 6000, 7200};
    const bytes expected{0x00, 0x01, 0x00, 0x00, 0x13, 0x88, 0x17, 0x70, 0x00, 0x00, 0x1c, 0x20};
    CHECK(natpmp::encode(req) == expected);
    CHECK(natpmp::encode(natpmp::request{req}) == expected);
  }
  SUBCASE("tcp create with the high bit set in every field") {
    const natpmp::map_request req{ip_protocol::tcp, 0xfffe, 0x8001, 0x80000001};
    CHECK(natpmp::encode(req) == bytes{0x00, 0x02, 0x00, 0x00, 0xff, 0xfe, 0x80, 0x01, 0x80, 0x00, 0x00, 0x01});
  }
  SUBCASE("default lifetime is the recommended 7200 s") {
    natpmp::map_request req;
    req.internal_port = 22;
    CHECK(natpmp::encode(req) == bytes{0x00, 0x02, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x20});
  }
  SUBCASE("delete (§3.4): lifetime 0, suggested port 0") {
    const natpmp::map_request req{ip_protocol::udp, 5000, 0, 0};
    CHECK(natpmp::encode(req) == bytes{0x00, 0x01, 0x00, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  }
}

TEST_CASE("natpmp: encode external address response") {
  const natpmp::external_address_response resp{result_code::success, 86400, {11, 0, 0, 5}};
  CHECK(natpmp::encode(resp) == external_address_success);
  CHECK(natpmp::encode(natpmp::response{resp}) == external_address_success);
}

TEST_CASE("natpmp: encode map response") {
  SUBCASE("udp") {
    const natpmp::map_response resp{ip_protocol::udp, result_code::success, 3600, 5000, 6000, 7200};
    CHECK(natpmp::encode(resp) == map_udp_success);
    CHECK(natpmp::encode(natpmp::response{resp}) == map_udp_success);
  }
  SUBCASE("tcp") {
    const natpmp::map_response resp{ip_protocol::tcp, result_code::success, 0xfedcba98, 0xfffe, 0x8001, 0x80000001};
    CHECK(natpmp::encode(resp) == map_tcp_success);
  }
  SUBCASE("failure is written at full size with the result code") {
    const natpmp::map_response resp{ip_protocol::tcp, result_code::out_of_resources, 7, 5000, 0, 0};
    CHECK(natpmp::encode(resp) ==
          bytes{0x00, 0x82, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  }
}

TEST_CASE("natpmp: decode external address response") {
  const auto r = natpmp::decode_response(external_address_success);
  REQUIRE(r.has_value());
  const auto* resp = std::get_if<natpmp::external_address_response>(&*r);
  REQUIRE(resp != nullptr);
  CHECK(resp->result == result_code::success);
  CHECK(resp->epoch == 86400);
  CHECK(resp->external_address == std::array<std::uint8_t, 4>{11, 0, 0, 5});
}

TEST_CASE("natpmp: decode map response") {
  SUBCASE("udp") {
    const auto r = natpmp::decode_response(map_udp_success);
    REQUIRE(r.has_value());
    CHECK(*r == natpmp::response{natpmp::map_response{ip_protocol::udp, result_code::success, 3600, 5000, 6000, 7200}});
  }
  SUBCASE("tcp") {
    const auto r = natpmp::decode_response(map_tcp_success);
    REQUIRE(r.has_value());
    CHECK(*r == natpmp::response{natpmp::map_response{ip_protocol::tcp, result_code::success, 0xfedcba98, 0xfffe,
                                                      0x8001, 0x80000001}});
  }
}

TEST_CASE("natpmp: every truncated prefix of a response is rejected") {
  SUBCASE("success responses need every byte") {
    for (const bytes& valid : valid_success_responses()) {
      CAPTURE(valid.size());
      for (std::size_t n = 0; n < valid.size(); ++n) {
        CAPTURE(n);
        CHECK(natpmp::decode_response(prefix(valid, n)).error() == errc::truncated);
      }
    }
  }
  SUBCASE("a failure needs at least its 8-byte header") {
    const bytes failure{0x00, 0x81, 0x00, 0x03, 0x00, 0x00, 0x00, 0x09};
    for (std::size_t n = 0; n < failure.size(); ++n) {
      CAPTURE(n);
      CHECK(natpmp::decode_response(prefix(failure, n)).error() == errc::truncated);
    }
  }
}

TEST_CASE("natpmp: a response one byte too long is rejected") {
  SUBCASE("success") {
    for (bytes longer : valid_success_responses()) {
      longer.push_back(0);
      CHECK(natpmp::decode_response(longer).error() == errc::bad_length);
    }
  }
  SUBCASE("failure") {
    bytes failure(17, 0);
    failure[1] = 0x82;
    failure[3] = 0x02;
    CHECK(natpmp::decode_response(failure).error() == errc::bad_length);
    failure.pop_back();
    CHECK(natpmp::decode_response(failure).has_value());
  }
}

TEST_CASE("natpmp: response with a version other than 0 is rejected") {
  bytes resp = map_udp_success;
  SUBCASE("version 1") { resp[0] = 1; }
  SUBCASE("version 2 (a PCP answer)") { resp[0] = 2; }
  SUBCASE("version 255") { resp[0] = 255; }
  SUBCASE("version alone is enough to tell") { resp = bytes{0x02}; }
  CHECK(natpmp::decode_response(resp).error() == errc::bad_version);
}

TEST_CASE("natpmp: response without the response bit is rejected") {
  SUBCASE("our own external address request echoed back") {
    CHECK(natpmp::decode_response(bytes{0x00, 0x00}).error() == errc::not_a_response);
  }
  SUBCASE("a map opcode without the bit") {
    bytes resp = map_tcp_success;
    resp[1] = 0x02;
    CHECK(natpmp::decode_response(resp).error() == errc::not_a_response);
  }
}

TEST_CASE("natpmp: response with an unknown opcode is rejected") {
  bytes resp = external_address_success;
  SUBCASE("128 + 3") { resp[1] = 0x83; }
  SUBCASE("255") { resp[1] = 0xff; }
  SUBCASE("an unsupported-opcode echo (§3.5) of a request we never send") {
    resp = bytes{0x00, 0x83, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01};
  }
  CHECK(natpmp::decode_response(resp).error() == errc::unknown_opcode);
}

TEST_CASE("natpmp: a short failure response decodes from its header alone with fields zeroed") {
  // Every failure the RFC defines, one it does not (kept by value, §3.5), and the largest.
  const std::vector<std::uint16_t> codes{1, 2, 3, 4, 5, 77, 0xffff};
  const auto code_of = [](std::uint16_t code) { return static_cast<result_code>(code); };
  const auto hi = [](std::uint16_t code) { return static_cast<std::uint8_t>(code >> 8); };
  const auto lo = [](std::uint16_t code) { return static_cast<std::uint8_t>(code & 0xff); };
  SUBCASE("external address, 8 bytes") {
    for (const std::uint16_t code : codes) {
      CAPTURE(code);
      const auto r = natpmp::decode_response(bytes{0x00, 0x80, hi(code), lo(code), 0x00, 0x00, 0x01, 0x00});
      REQUIRE(r.has_value());
      CHECK(*r == natpmp::response{natpmp::external_address_response{code_of(code), 256, {}}});
    }
  }
  SUBCASE("external address, full size: kept as sent, so it re-encodes to the same bytes") {
    for (const std::uint16_t code : codes) {
      CAPTURE(code);
      const auto r =
          natpmp::decode_response(bytes{0x00, 0x80, hi(code), lo(code), 0x00, 0x00, 0x01, 0x00, 10, 1, 2, 3});
      REQUIRE(r.has_value());
      CHECK(*r == natpmp::response{natpmp::external_address_response{code_of(code), 256, {10, 1, 2, 3}}});
    }
  }
  SUBCASE("map, 8 bytes") {
    for (const std::uint16_t code : codes) {
      CAPTURE(code);
      const auto r = natpmp::decode_response(bytes{0x00, 0x81, hi(code), lo(code), 0x00, 0x00, 0x00, 0x2a});
      REQUIRE(r.has_value());
      CHECK(*r == natpmp::response{natpmp::map_response{ip_protocol::udp, code_of(code), 42, 0, 0, 0}});
    }
  }
  SUBCASE("map, full size: the echoed internal port says which request failed (§3.5)") {
    for (const std::uint16_t code : codes) {
      CAPTURE(code);
      const auto r = natpmp::decode_response(
          bytes{0x00, 0x82, hi(code), lo(code), 0x00, 0x00, 0x00, 0x2a, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
      REQUIRE(r.has_value());
      CHECK(*r == natpmp::response{natpmp::map_response{ip_protocol::tcp, code_of(code), 42, 8080, 0, 0}});
    }
  }
  SUBCASE("map, every length from 9 to 15 with garbage after the epoch") {
    for (const std::uint16_t code : codes) {
      const bytes full{0x00, 0x82, hi(code), lo(code), 0x00, 0x00, 0x00, 0x2a,
                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
      for (std::size_t n = 9; n <= full.size(); ++n) {
        CAPTURE(code);
        CAPTURE(n);
        const auto r = natpmp::decode_response(prefix(full, n));
        REQUIRE(r.has_value());
        CHECK(*r == natpmp::response{natpmp::map_response{ip_protocol::tcp, code_of(code), 42, 0, 0, 0}});
      }
    }
  }
}

TEST_CASE("natpmp: encoded responses decode to the same value") {
  const std::vector<natpmp::response> values{
      natpmp::external_address_response{result_code::success, 0, {192, 0, 2, 1}},
      natpmp::external_address_response{result_code::network_failure, 5, {}},
      natpmp::map_response{ip_protocol::udp, result_code::success, 1, 2, 3, 4},
      natpmp::map_response{ip_protocol::tcp, result_code::not_authorized, 0xffffffff, 0, 0, 0},
      natpmp::map_response{ip_protocol::tcp, static_cast<result_code>(77), 9, 0, 0, 0},
  };
  for (const auto& value : values) {
    const auto r = natpmp::decode_response(natpmp::encode(value));
    REQUIRE(r.has_value());
    CHECK(*r == value);
  }
}

TEST_CASE("natpmp: decode request round trips") {
  const std::vector<natpmp::request> values{
      natpmp::external_address_request{},
      natpmp::map_request{ip_protocol::udp, 5000, 6000, 7200},
      natpmp::map_request{ip_protocol::tcp, 0xffff, 0xffff, 0xffffffff},
      natpmp::map_request{ip_protocol::tcp, 80, 0, 3600},  // no suggestion: any external port
      natpmp::map_request{ip_protocol::udp, 5000, 0, 0},   // delete (§3.4)
      natpmp::map_request{ip_protocol::tcp, 0, 0, 0},      // delete all TCP mappings of the client
  };
  SUBCASE("encode then decode") {
    for (const auto& value : values) {
      const bytes wire = natpmp::encode(value);
      const auto r = natpmp::decode_request(wire);
      REQUIRE(r.has_value());
      CHECK(*r == value);
      CHECK(natpmp::encode(*r) == wire);
    }
  }
  SUBCASE("hand-written bytes") {
    const auto r = natpmp::decode_request(
        bytes{0x00, 0x02, 0x00, 0x00, 0x13, 0x88, 0x17, 0x70, 0x00, 0x00, 0x1c, 0x20});
    REQUIRE(r.has_value());
    CHECK(*r == natpmp::request{natpmp::map_request{ip_protocol::tcp, 5000, 6000, 7200}});
  }
}

TEST_CASE("natpmp: decode request rejects malformed input") {
  const bytes map{0x00, 0x01, 0x00, 0x00, 0x13, 0x88, 0x17, 0x70, 0x00, 0x00, 0x1c, 0x20};
  SUBCASE("every truncated prefix") {
    for (std::size_t n = 0; n < map.size(); ++n) {
      CAPTURE(n);
      CHECK(natpmp::decode_request(prefix(map, n)).error() == errc::truncated);
    }
  }
  SUBCASE("one byte too long") {
    bytes longer = map;
    longer.push_back(0);
    CHECK(natpmp::decode_request(longer).error() == errc::bad_length);
    CHECK(natpmp::decode_request(bytes{0x00, 0x00, 0x00}).error() == errc::bad_length);
  }
  SUBCASE("bad version") {
    CHECK(natpmp::decode_request(bytes{0x01, 0x00}).error() == errc::bad_version);
    CHECK(natpmp::decode_request(bytes{0x02}).error() == errc::bad_version);
  }
  SUBCASE("a response is not a request") {
    CHECK(natpmp::decode_request(bytes{0x00, 0x80}).error() == errc::not_a_request);
    CHECK(natpmp::decode_request(map_udp_success).error() == errc::not_a_request);
  }
  SUBCASE("unknown opcode") {
    CHECK(natpmp::decode_request(bytes{0x00, 0x03}).error() == errc::unknown_opcode);
    CHECK(natpmp::decode_request(bytes{0x00, 0x7f}).error() == errc::unknown_opcode);
  }
  SUBCASE("non-zero reserved field") {
    bytes bad = map;
    bad[3] = 0x01;
    CHECK(natpmp::decode_request(bad).error() == errc::bad_request);
  }
  SUBCASE("delete with a suggested external port") {
    const bytes bad{0x00, 0x01, 0x00, 0x00, 0x13, 0x88, 0x17, 0x70, 0x00, 0x00, 0x00, 0x00};
    CHECK(natpmp::decode_request(bad).error() == errc::bad_request);
  }
}
