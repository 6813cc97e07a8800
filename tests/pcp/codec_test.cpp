// PCP wire codec: exact bytes of every request and response type (written out by hand in wire.hpp from
// the RFC 6887 diagrams), decoding them back, and what decode_request refuses.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "wire.hpp"

using namespace pcp_test;
using pcp::errc;

TEST_CASE("pcp: encode requests") {
  SUBCASE("ANNOUNCE: the 24-byte header alone") {
    CHECK(pcp::encode(announce_request_value()) == announce_request);
    CHECK(announce_request.size() == 24);
  }
  SUBCASE("MAP for an IPv4 client (IPv4-mapped addresses)") {
    CHECK(pcp::encode(map_request_v4_value()) == map_request_v4);
    CHECK(map_request_v4.size() == 60);
  }
  SUBCASE("MAP for an IPv6 client, with the high bit set in lifetime and port") {
    CHECK(pcp::encode(map_request_v6_value()) == map_request_v6);
  }
  SUBCASE("PEER") {
    CHECK(pcp::encode(peer_request_value()) == peer_request);
    CHECK(peer_request.size() == 80);
  }
  SUBCASE("a delete is a MAP with lifetime 0") {
    pcp::request req = map_request_v4_value();
    req.lifetime = 0;
    bytes expected = map_request_v4;
    expected[6] = expected[7] = 0;
    CHECK(pcp::encode(req) == expected);
  }
}

TEST_CASE("pcp: decode requests") {
  SUBCASE("ANNOUNCE") {
    const auto r = pcp::decode_request(announce_request);
    REQUIRE(r.has_value());
    CHECK(*r == announce_request_value());
  }
  SUBCASE("MAP IPv4") {
    const auto r = pcp::decode_request(map_request_v4);
    REQUIRE(r.has_value());
    CHECK(*r == map_request_v4_value());
    CHECK(pcp::is_ipv4_mapped(r->client_address));
  }
  SUBCASE("MAP IPv6") {
    const auto r = pcp::decode_request(map_request_v6);
    REQUIRE(r.has_value());
    CHECK(*r == map_request_v6_value());
    CHECK_FALSE(pcp::is_ipv4_mapped(r->client_address));
  }
  SUBCASE("PEER") {
    const auto r = pcp::decode_request(peer_request);
    REQUIRE(r.has_value());
    CHECK(*r == peer_request_value());
  }
}

TEST_CASE("pcp: encode responses") {
  CHECK(pcp::encode(announce_response_value()) == announce_response);
  CHECK(pcp::encode(map_response_v4_value()) == map_response_v4);
  CHECK(pcp::encode(map_response_v6_value()) == map_response_v6);
  CHECK(pcp::encode(peer_response_value()) == peer_response);
  SUBCASE("an error with and without the request's body") {
    CHECK(pcp::encode(map_error_value(true)) == map_error_with_body);
    CHECK(pcp::encode(map_error_value(false)) == map_error_without_body);
  }
  SUBCASE("every result code goes in byte 3, the reserved byte 2 stays 0") {
    for (int code = 0; code < 256; ++code) {
      pcp::response resp = announce_response_value();
      resp.result = static_cast<pcp::result_code>(code);
      const bytes wire = pcp::encode(resp);
      CHECK(wire[2] == 0);
      CHECK(wire[3] == code);
    }
  }
  SUBCASE("version 0 is written as NAT-PMP's 8-byte unsupported-version reply") {
    pcp::response resp;
    resp.version = 0;
    resp.op = pcp::opcode::map;
    resp.result = pcp::result_code::unsupp_version;
    resp.epoch = 0x01020304;
    CHECK(pcp::encode(resp) == bytes{0x00, 0x81, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04});
  }
}

TEST_CASE("pcp: decode responses") {
  SUBCASE("ANNOUNCE") {
    const auto r = pcp::decode_response(announce_response);
    REQUIRE(r.has_value());
    CHECK(*r == announce_response_value());
  }
  SUBCASE("MAP IPv4") {
    const auto r = pcp::decode_response(map_response_v4);
    REQUIRE(r.has_value());
    CHECK(*r == map_response_v4_value());
    CHECK(r->version == 2);
    const auto& body = std::get<pcp::map_body>(r->payload);
    CHECK(body.external_address == pcp::ipv4_mapped({11, 0, 0, 5}));
  }
  SUBCASE("MAP IPv6") {
    const auto r = pcp::decode_response(map_response_v6);
    REQUIRE(r.has_value());
    CHECK(*r == map_response_v6_value());
  }
  SUBCASE("PEER") {
    const auto r = pcp::decode_response(peer_response);
    REQUIRE(r.has_value());
    CHECK(*r == peer_response_value());
    CHECK(std::get<pcp::peer_body>(r->payload).remote_port == 80);
  }
  SUBCASE("an error response with the request's body copied") {
    const auto r = pcp::decode_response(map_error_with_body);
    REQUIRE(r.has_value());
    CHECK(*r == map_error_value(true));
  }
  SUBCASE("an error response without a body") {
    const auto r = pcp::decode_response(map_error_without_body);
    REQUIRE(r.has_value());
    CHECK(*r == map_error_value(false));
    CHECK(std::holds_alternative<std::monostate>(r->payload));
  }
  SUBCASE("reserved fields are ignored (§7.2)") {
    bytes wire = map_response_v4;
    wire[2] = 0xff;                                  // header reserved byte
    for (std::size_t i = 12; i < 24; ++i) wire[i] = 0xee;  // 96 reserved bits
    wire[37] = wire[38] = wire[39] = 0xdd;           // MAP body reserved 24 bits
    const auto r = pcp::decode_response(wire);
    REQUIRE(r.has_value());
    CHECK(*r == map_response_v4_value());
    bytes peer = peer_response;
    peer[62] = peer[63] = 0xcc;  // PEER reserved 16 bits
    const auto p = pcp::decode_response(peer);
    REQUIRE(p.has_value());
    CHECK(*p == peer_response_value());
  }
}

TEST_CASE("pcp: decode_request sizes") {
  SUBCASE("every prefix of a valid request is refused, by size first") {
    for (const bytes& valid : {announce_request, map_request_v4, map_request_v6, peer_request}) {
      CAPTURE(valid.size());
      for (std::size_t n = 0; n < valid.size(); ++n) {
        CAPTURE(n);
        const auto r = pcp::decode_request(prefix(valid, n));
        if (n < 24) {
          CHECK(r.error() == errc::too_short);
        } else if (n % 4 != 0) {
          CHECK(r.error() == errc::not_multiple_of_4);
        } else {
          CHECK(r.error() == errc::truncated_body);
        }
      }
    }
  }
  SUBCASE("trailing bytes that are no option") {
    CHECK(pcp::decode_request(cat({map_request_v4, {0x00}})).error() == errc::not_multiple_of_4);
    CHECK(pcp::decode_request(cat({map_request_v4, {0x00, 0x00}})).error() == errc::not_multiple_of_4);
  }
  SUBCASE("1100 bytes at most") {
    // ANNOUNCE plus one unknown option filling the message to exactly 1100 bytes: 24 + 4 + 1072.
    bytes big = cat({announce_request, {0x80, 0x00, 0x04, 0x30}, bytes(1072, 0)});
    REQUIRE(big.size() == 1100);
    CHECK(pcp::decode_request(big).has_value());
    big.insert(big.end(), {0x80, 0x00, 0x00, 0x00});
    CHECK(pcp::decode_request(big).error() == errc::too_long);
    CHECK(pcp::decode_request(big, pcp::limits{1104, 16}).has_value());
  }
}

TEST_CASE("pcp: decode_request refuses what a client must not send") {
  SUBCASE("another version") {
    for (const std::uint8_t v : {0, 1, 3, 255}) {
      bytes wire = map_request_v4;
      wire[0] = v;
      CHECK(pcp::decode_request(wire).error() == errc::bad_version);
    }
  }
  SUBCASE("the R bit") {
    bytes wire = map_request_v4;
    wire[1] = 0x81;
    CHECK(pcp::decode_request(wire).error() == errc::not_a_request);
    CHECK(pcp::decode_request(map_response_v4).error() == errc::not_a_request);
  }
  SUBCASE("an unknown opcode") {
    for (const std::uint8_t op : {3, 4, 0x7f}) {
      bytes wire = announce_request;
      wire[1] = op;
      CHECK(pcp::decode_request(wire).error() == errc::unknown_opcode);
    }
  }
  SUBCASE("non-zero reserved fields") {
    for (const std::size_t at : {2u, 3u}) {
      bytes wire = map_request_v4;
      wire[at] = 1;
      CHECK(pcp::decode_request(wire).error() == errc::bad_request);
    }
    for (const std::size_t at : {37u, 38u, 39u}) {  // MAP body: reserved 24 bits after the protocol
      bytes wire = map_request_v4;
      wire[at] = 0x80;
      CHECK(pcp::decode_request(wire).error() == errc::bad_request);
    }
    for (const std::size_t at : {62u, 63u}) {  // PEER body: reserved 16 bits after the remote port
      bytes wire = peer_request;
      wire[at] = 1;
      CHECK(pcp::decode_request(wire).error() == errc::bad_request);
    }
  }
  SUBCASE("a MAP body where a PEER body belongs") {
    bytes wire = map_request_v4;
    wire[1] = 0x02;
    CHECK(pcp::decode_request(wire).error() == errc::truncated_body);
  }
}

TEST_CASE("pcp: decode_request then encode gives back the exact bytes") {
  for (const bytes& wire : {announce_request, map_request_v4, map_request_v6, peer_request,
                            cat({map_request_v4, prefer_failure_option, filter_option, unknown_option_5})}) {
    const auto r = pcp::decode_request(wire);
    REQUIRE(r.has_value());
    CHECK(pcp::encode(*r) == wire);
  }
}

TEST_CASE("pcp: IPv4-mapped addresses") {
  CHECK(pcp::ipv4_mapped({192, 168, 86, 250}) == to_address(client_v4));
  CHECK(pcp::is_ipv4_mapped(to_address(client_v4)));
  CHECK(pcp::is_ipv4_mapped(to_address(any_v4)));
  CHECK_FALSE(pcp::is_ipv4_mapped(to_address(client_v6)));
  CHECK_FALSE(pcp::is_ipv4_mapped(to_address(any_v6)));
  SUBCASE("all 96 prefix bits count: flipping any one of them breaks the form") {
    for (std::size_t bit = 0; bit < 96; ++bit) {
      CAPTURE(bit);
      pcp::address a = pcp::ipv4_mapped({11, 0, 0, 5});
      a[bit / 8] = static_cast<std::uint8_t>(a[bit / 8] ^ (0x80 >> (bit % 8)));
      CHECK_FALSE(pcp::is_ipv4_mapped(a));
    }
  }
  SUBCASE("the IPv4 part is free") {
    CHECK(pcp::is_ipv4_mapped(pcp::ipv4_mapped({255, 255, 255, 255})));
    CHECK(pcp::is_ipv4_mapped(pcp::ipv4_mapped({0, 0, 0, 0})));
  }
  SUBCASE("unspecified: :: and ::ffff:0.0.0.0 both mean any (§5)") {
    CHECK(pcp::is_unspecified(to_address(any_v6)));
    CHECK(pcp::is_unspecified(to_address(any_v4)));
    CHECK_FALSE(pcp::is_unspecified(to_address(client_v4)));
    CHECK_FALSE(pcp::is_unspecified(to_address(client_v6)));
    CHECK_FALSE(pcp::is_unspecified(pcp::ipv4_mapped({0, 0, 0, 1})));
    pcp::address almost{};
    almost[10] = 0xff;  // ::ff00:0:0 is neither
    CHECK_FALSE(pcp::is_unspecified(almost));
  }
}

TEST_CASE("pcp: make_nonce returns different values") {
  std::vector<pcp::nonce> seen;
  for (int i = 0; i < 32; ++i) {
    const pcp::nonce n = pcp::make_nonce();
    for (const pcp::nonce& earlier : seen) CHECK(n != earlier);
    seen.push_back(n);
  }
  CHECK(seen.front() != pcp::nonce{});
}
