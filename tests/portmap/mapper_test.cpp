#include <doctest/doctest.h>

#include "../support/loopback.hpp"
#include "natpunch/portmap/mapper.hpp"
#include "natpunch/natpmp/codec.hpp"

using namespace natpunch::portmap;

TEST_CASE("portmap: PCP nonces round-trip through hex") {
  const std::array<std::uint8_t, 12> nonce{0x5f, 0x0c, 0x2a, 0x9b, 0xe4, 0x1d, 0x77, 0x30, 0xaa, 0x61, 0xc0, 0xde};
  CHECK(to_hex(nonce) == "5f0c2a9be41d7730aa61c0de");
  CHECK(parse_nonce("5f0c2a9be41d7730aa61c0de") == nonce);
  CHECK(parse_nonce("5F0C2A9BE41D7730AA61C0DE") == nonce);
  for (const char* bad : {"", "5f0c", "5f0c2a9be41d7730aa61c0d", "5f0c2a9be41d7730aa61c0dee", "5f0c2a9be41d7730aa61c0dg",
                          " 5f0c2a9be41d7730aa61c0d"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_nonce(bad).has_value());
  }
}

namespace {

using natpunch::test::bytes;

// A NAT-PMP gateway on loopback that grants every map and answers the address request with `address_result`.
bytes natpmp_answer(const bytes& request, natpunch::natpmp::result_code address_result) {
  namespace natpmp = natpunch::natpmp;
  auto req = natpmp::decode_request(request);
  REQUIRE(req.has_value());
  if (std::holds_alternative<natpmp::external_address_request>(*req)) {
    return natpmp::encode(natpmp::external_address_response{address_result, 100, {11, 0, 0, 5}});
  }
  const auto& m = std::get<natpmp::map_request>(*req);
  return natpmp::encode(natpmp::map_response{m.protocol, natpmp::result_code::success, 100, m.internal_port,
                                             m.lifetime == 0 ? std::uint16_t{0} : m.internal_port, m.lifetime});
}

std::uint32_t requested_lifetime(const bytes& request) {
  auto req = natpunch::natpmp::decode_request(request);
  REQUIRE(req.has_value());
  const auto* m = std::get_if<natpunch::natpmp::map_request>(&*req);
  return m ? m->lifetime : 0xffffffffu;
}

}  // namespace

TEST_CASE("portmap: a NAT-PMP add whose address request fails takes its first mapping back, never a renewed one") {
  asio::io_context io;
  bool address_fails = true;
  natpunch::test::udp_peer gw(io, [&](const bytes& request, unsigned) {
    return std::vector<bytes>{natpmp_answer(request, address_fails ? natpunch::natpmp::result_code::network_failure
                                                                   : natpunch::natpmp::result_code::success)};
  });
  gateway g;
  g.address = gw.endpoint().address();
  g.port = gw.endpoint().port();
  mapping_request r;
  r.internal_port = 9100;
  const auto deadline = std::chrono::seconds(2);
  SUBCASE("the first add: map, address refused, delete") {
    auto m = make_natpmp_mapper(io.get_executor(), g, r, deadline);
    auto mapped = natpunch::test::run(io, m->async_map(9100, 600));
    CHECK_FALSE(mapped.has_value());
    REQUIRE(gw.requests().size() == 3);
    CHECK(requested_lifetime(gw.requests()[0]) == 600);
    CHECK(requested_lifetime(gw.requests()[1]) == 0xffffffffu);  // the address request
    CHECK(requested_lifetime(gw.requests()[2]) == 0);            // the mapping taken back
  }
  SUBCASE("a renewal (--keep): map, address refused, and the mapping stays") {
    auto m = make_natpmp_mapper(io.get_executor(), g, r, deadline);
    address_fails = false;
    REQUIRE(natpunch::test::run(io, m->async_map(9100, 600)).has_value());
    address_fails = true;
    CHECK_FALSE(natpunch::test::run(io, m->async_map(9100, 600)).has_value());
    REQUIRE(gw.requests().size() == 4);
    CHECK(requested_lifetime(gw.requests()[2]) == 600);
    CHECK(requested_lifetime(gw.requests()[3]) == 0xffffffffu);  // no delete after it
  }
}
