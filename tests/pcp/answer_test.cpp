// Matching a decoded PCP response to its request: mismatch() (which datagrams a transport skips as
// stale) and check_answer() (result codes, then what a success must carry).
#include <doctest/doctest.h>

#include <cstdint>
#include <system_error>
#include <utility>

#include "wire.hpp"

using namespace pcp_test;
using pcp::errc;
using pcp::result_code;

namespace {

pcp::map_body& body_of(pcp::response& r) {
  if (auto* peer = std::get_if<pcp::peer_body>(&r.payload)) return peer->map;
  return std::get<pcp::map_body>(r.payload);
}

pcp::map_body& body_of(pcp::request& r) {
  if (auto* peer = std::get_if<pcp::peer_body>(&r.payload)) return peer->map;
  return std::get<pcp::map_body>(r.payload);
}

pcp::response with_address(pcp::response r, const pcp::address& a) {
  body_of(r).external_address = a;
  return r;
}

pcp::request delete_request() {
  pcp::request r = map_request_v4_value();
  r.lifetime = 0;
  body_of(r).external_port = 0;
  return r;
}

pcp::response delete_answer() {
  pcp::response r = map_response_v4_value();
  r.lifetime = 0;
  body_of(r).external_port = 0;  // miniupnpd answers a delete like this (capture delete_udp)
  return r;
}

pcp::response unsupported_version(std::uint8_t version, pcp::opcode op) {
  pcp::response r;
  r.version = version;
  r.op = op;
  r.result = result_code::unsupp_version;
  r.payload = std::monostate{};
  return r;
}

}  // namespace

TEST_CASE("pcp: mismatch finds the answer to the request") {
  CHECK_FALSE(pcp::mismatch(announce_request_value(), announce_response_value()));
  CHECK_FALSE(pcp::mismatch(map_request_v4_value(), map_response_v4_value()));
  CHECK_FALSE(pcp::mismatch(map_request_v6_value(), map_response_v6_value()));
  CHECK_FALSE(pcp::mismatch(peer_request_value(), peer_response_value()));
}

TEST_CASE("pcp: mismatch names the field that differs") {
  const pcp::request map = map_request_v4_value();
  const pcp::request peer = peer_request_value();
  SUBCASE("opcode") {
    CHECK(pcp::mismatch(map, peer_response_value()) == errc::wrong_opcode);
    CHECK(pcp::mismatch(peer, map_response_v4_value()) == errc::wrong_opcode);
    CHECK(pcp::mismatch(announce_request_value(), map_response_v4_value()) == errc::wrong_opcode);
    CHECK(pcp::mismatch(map, announce_response_value()) == errc::wrong_opcode);
  }
  // Each check runs for MAP and PEER alike.
  const auto both = [&](auto check) {
    check(map, map_response_v4_value());
    check(peer, peer_response_value());
  };
  SUBCASE("nonce: any byte") {
    both([](const pcp::request& req, const pcp::response& good) {
      for (std::size_t i = 0; i < 12; ++i) {
        pcp::response resp = good;
        body_of(resp).mapping_nonce[i] ^= 0x01;
        CHECK(pcp::mismatch(req, resp) == errc::nonce_mismatch);
      }
    });
  }
  SUBCASE("protocol") {
    both([](const pcp::request& req, pcp::response resp) {
      body_of(resp).protocol = pcp::protocol_udp;
      CHECK(pcp::mismatch(req, resp) == errc::protocol_mismatch);
      body_of(resp).protocol = pcp::protocol_all;
      CHECK(pcp::mismatch(req, resp) == errc::protocol_mismatch);
    });
  }
  SUBCASE("internal port") {
    both([](const pcp::request& req, pcp::response resp) {
      body_of(resp).internal_port = static_cast<std::uint16_t>(body_of(resp).internal_port + 1);
      CHECK(pcp::mismatch(req, resp) == errc::internal_port_mismatch);
    });
  }
  SUBCASE("the first difference is named: opcode, nonce, protocol, internal port") {
    both([](const pcp::request& req, pcp::response resp) {
      body_of(resp).internal_port = 1;
      body_of(resp).protocol = 99;
      CHECK(pcp::mismatch(req, resp) == errc::protocol_mismatch);
      body_of(resp).mapping_nonce = {};
      CHECK(pcp::mismatch(req, resp) == errc::nonce_mismatch);
      resp.op = pcp::opcode::announce;
      CHECK(pcp::mismatch(req, resp) == errc::wrong_opcode);
    });
  }
  SUBCASE("what the server may change is no mismatch: external port, address, lifetime, epoch") {
    both([](const pcp::request& req, pcp::response resp) {
      body_of(resp).external_port = 1;
      body_of(resp).external_address = pcp::ipv4_mapped({1, 2, 3, 4});
      resp.lifetime = 1;
      resp.epoch = 99999;
      CHECK_FALSE(pcp::mismatch(req, resp));
    });
  }
  SUBCASE("an error answer without a body cannot be compared, so it answers") {
    CHECK_FALSE(pcp::mismatch(map, map_error_value(false)));
  }
  SUBCASE("an error answer with a body is compared like a success") {
    pcp::response resp = map_error_value(true);
    CHECK_FALSE(pcp::mismatch(map, resp));
    body_of(resp).mapping_nonce[0] = 0xff;
    CHECK(pcp::mismatch(map, resp) == errc::nonce_mismatch);
  }
  SUBCASE("UNSUPP_VERSION always answers, whatever its version, opcode or body") {
    for (const std::uint8_t v : {0, 1, 2}) {
      CHECK_FALSE(pcp::mismatch(map, unsupported_version(v, pcp::opcode::map)));
      CHECK_FALSE(pcp::mismatch(map, unsupported_version(v, pcp::opcode::announce)));
    }
    pcp::response resp = map_response_v4_value();
    resp.result = result_code::unsupp_version;
    body_of(resp).internal_port = 0;  // miniupnpd zeroes the ports (capture version_3)
    CHECK_FALSE(pcp::mismatch(map, resp));
  }
}

TEST_CASE("pcp: check_answer reports a mismatch first") {
  pcp::response resp = map_error_value(true);
  body_of(resp).internal_port = 1;
  CHECK(pcp::check_answer(map_request_v4_value(), resp).error() == errc::internal_port_mismatch);
}

TEST_CASE("pcp: check_answer turns a result code into its error") {
  for (int code = 1; code < 256; ++code) {
    CAPTURE(code);
    if (code == 1) continue;  // UNSUPP_VERSION: below
    pcp::response resp = map_error_value(true);
    resp.result = static_cast<result_code>(code);
    const auto verdict = pcp::check_answer(map_request_v4_value(), resp);
    REQUIRE_FALSE(verdict.has_value());
    CHECK(&verdict.error().category() == &pcp::result_code_category());
    CHECK(verdict.error().value() == code);
  }
  CHECK(pcp::check_answer(map_request_v4_value(), map_error_value(false)).error() == result_code::not_authorized);
  SUBCASE("UNSUPP_VERSION from NAT-PMP (version 0) means a NAT-PMP-only gateway") {
    CHECK(pcp::check_answer(map_request_v4_value(), unsupported_version(0, pcp::opcode::map)).error() ==
          errc::natpmp_only);
    CHECK(pcp::check_answer(announce_request_value(), unsupported_version(0, pcp::opcode::announce)).error() ==
          errc::natpmp_only);
  }
  SUBCASE("UNSUPP_VERSION from a PCP server stays a result code") {
    for (const std::uint8_t v : {1, 2}) {
      CHECK(pcp::check_answer(map_request_v4_value(), unsupported_version(v, pcp::opcode::map)).error() ==
            result_code::unsupp_version);
    }
  }
}

TEST_CASE("pcp: check_answer accepts good successes") {
  CHECK(pcp::check_answer(announce_request_value(), announce_response_value()).has_value());
  CHECK(pcp::check_answer(map_request_v4_value(), map_response_v4_value()).has_value());
  CHECK(pcp::check_answer(map_request_v6_value(), map_response_v6_value()).has_value());
  CHECK(pcp::check_answer(peer_request_value(), peer_response_value()).has_value());
  SUBCASE("private and CGNAT external addresses are honest answers behind another NAT") {
    for (const auto& v4 :
         {std::array<std::uint8_t, 4>{10, 0, 0, 1}, {192, 168, 1, 2}, {100, 64, 0, 1}, {172, 16, 0, 1}}) {
      CHECK(pcp::check_answer(map_request_v4_value(), with_address(map_response_v4_value(), pcp::ipv4_mapped(v4)))
                .has_value());
    }
  }
  SUBCASE("another external port than suggested, without PREFER_FAILURE") {
    pcp::response resp = map_response_v4_value();
    body_of(resp).external_port = 8081;
    CHECK(pcp::check_answer(map_request_v4_value(), resp).has_value());
  }
}

TEST_CASE("pcp: check_answer refuses unusable external addresses") {
  const pcp::address unusable[] = {
      to_address(any_v4),                          // ::ffff:0.0.0.0
      to_address(any_v6),                          // ::
      pcp::ipv4_mapped({127, 0, 0, 1}),            // loopback
      pcp::ipv4_mapped({127, 255, 255, 254}),
      pcp::ipv4_mapped({224, 0, 0, 1}),            // multicast 224/4
      pcp::ipv4_mapped({239, 255, 255, 250}),
      pcp::ipv4_mapped({255, 255, 255, 255}),      // broadcast
      to_address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),           // ::1
      to_address({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),     // ff02::1
  };
  for (const pcp::address& a : unusable) {
    CHECK(pcp::check_answer(map_request_v4_value(), with_address(map_response_v4_value(), a)).error() ==
          errc::bad_external_address);
    CHECK(pcp::check_answer(peer_request_value(), with_address(peer_response_value(), a)).error() ==
          errc::bad_external_address);
  }
  SUBCASE("just outside those ranges is fine") {
    for (const auto& v4 : {std::array<std::uint8_t, 4>{126, 255, 255, 255}, {128, 0, 0, 0}, {223, 255, 255, 255},
                           {240, 0, 0, 1}, {0, 0, 0, 1}}) {
      CHECK(pcp::check_answer(map_request_v4_value(), with_address(map_response_v4_value(), pcp::ipv4_mapped(v4)))
                .has_value());
    }
    CHECK(pcp::check_answer(map_request_v4_value(), with_address(map_response_v4_value(),
                                                                 to_address({0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                                             0, 0, 0, 0, 1})))
              .has_value());
  }
}

TEST_CASE("pcp: check_answer refuses a create without a mapping") {
  SUBCASE("external port 0") {
    pcp::response resp = map_response_v4_value();
    body_of(resp).external_port = 0;
    CHECK(pcp::check_answer(map_request_v4_value(), resp).error() == errc::bad_mapping);
    pcp::response peer = peer_response_value();
    body_of(peer).external_port = 0;
    CHECK(pcp::check_answer(peer_request_value(), peer).error() == errc::bad_mapping);
  }
  SUBCASE("external port 0 is right for protocol 0 (all ports of all protocols)") {
    pcp::request req = map_request_v4_value();
    body_of(req).protocol = pcp::protocol_all;
    body_of(req).internal_port = 0;
    pcp::response resp = map_response_v4_value();
    body_of(resp).protocol = pcp::protocol_all;
    body_of(resp).internal_port = 0;
    body_of(resp).external_port = 0;
    CHECK(pcp::check_answer(req, resp).has_value());
  }
  SUBCASE("lifetime 0") {
    pcp::response resp = map_response_v4_value();
    resp.lifetime = 0;
    CHECK(pcp::check_answer(map_request_v4_value(), resp).error() == errc::bad_mapping);
  }
  SUBCASE("a success without a body (only a hand-built value lacks one)") {
    pcp::response resp = map_response_v4_value();
    resp.payload = std::monostate{};
    CHECK(pcp::check_answer(map_request_v4_value(), resp).error() == errc::truncated_body);
  }
}

TEST_CASE("pcp: check_answer on a delete") {
  CHECK(pcp::check_answer(delete_request(), delete_answer()).has_value());
  SUBCASE("port and address are not judged: nothing will use them") {
    CHECK(pcp::check_answer(delete_request(), with_address(delete_answer(), to_address(any_v4))).has_value());
  }
  SUBCASE("a success with a lifetime is the late answer to the mapping's MAP: skipped, not the delete's") {
    pcp::response resp = delete_answer();
    resp.lifetime = 600;
    CHECK(pcp::mismatch(delete_request(), resp) == errc::stale_answer);
    CHECK(pcp::check_answer(delete_request(), resp).error() == errc::stale_answer);
  }
}

TEST_CASE("pcp: check_answer with PREFER_FAILURE (§13.2)") {
  pcp::request req = map_request_v4_value();  // suggests 8080 on any address
  req.options.emplace_back(std::in_place_type<pcp::prefer_failure_option>);
  CHECK(pcp::check_answer(req, map_response_v4_value()).has_value());
  SUBCASE("another port is what the option forbids") {
    pcp::response resp = map_response_v4_value();
    body_of(resp).external_port = 8081;  // what miniupnpd 2.3.1 does (capture map_tcp_prefer_failure)
    CHECK(pcp::check_answer(req, resp).error() == errc::bad_mapping);
  }
  SUBCASE("a suggested address must be kept too") {
    body_of(req).external_address = pcp::ipv4_mapped({11, 0, 0, 6});
    CHECK(pcp::check_answer(req, map_response_v4_value()).error() == errc::bad_mapping);
    body_of(req).external_address = pcp::ipv4_mapped({11, 0, 0, 5});
    CHECK(pcp::check_answer(req, map_response_v4_value()).has_value());
  }
  SUBCASE("nothing suggested: any port will do") {
    body_of(req).external_port = 0;
    CHECK(pcp::check_answer(req, map_response_v4_value()).has_value());
  }
}
