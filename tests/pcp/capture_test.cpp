// Every real miniupnpd PCP answer captured in the lab (tests/data/pcp/miniupnpd_2.3.1, made by
// tests/lab/capture_pcp.sh) decoded and judged against the exact request that produced it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <string>
#include <variant>

#include "natpunch/pcp/codec.hpp"

using namespace natpunch;
using pcp::errc;
using pcp::result_code;

namespace {

const std::filesystem::path data = std::filesystem::path(NATPUNCH_TEST_DATA);
const std::filesystem::path captures = data / "pcp" / "miniupnpd_2.3.1";

core::bytes load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing capture " << path.string());
  return core::bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

pcp::request load_request(const std::string& name) {
  const core::bytes wire = load(captures / (name + ".request.bin"));
  const auto req = pcp::decode_request(wire);
  REQUIRE(req.has_value());
  CHECK(pcp::encode(*req) == wire);  // the capture's request is exactly what our encoder writes
  return *req;
}

pcp::response load_response(const std::string& name) {
  const auto resp = pcp::decode_response(load(captures / (name + ".bin")));
  REQUIRE(resp.has_value());
  return *resp;
}

// Decodes <name>.request.bin and <name>.bin and returns check_answer's verdict.
core::result<void> judge(const std::string& name, pcp::response* out = nullptr) {
  const pcp::request req = load_request(name);
  const pcp::response resp = load_response(name);
  if (out != nullptr) *out = resp;
  return pcp::check_answer(req, resp);
}

const pcp::map_body& body(const pcp::response& r) {
  if (const auto* peer = std::get_if<pcp::peer_body>(&r.payload)) return peer->map;
  return std::get<pcp::map_body>(r.payload);
}

}  // namespace

TEST_CASE("pcp capture: miniupnpd's successful answers pass every client check") {
  for (const char* name : {"announce", "map_tcp", "map_udp", "map_tcp_renew", "map_tcp_other_nonce",
                           "map_tcp_eport_zero",
                           "map_tcp_taken", "map_tcp_filter", "peer_tcp", "map_unknown_optional_aligned",
                           "map_tcp_several_options", "map_tcp_lifetime_1", "map_tcp_lifetime_1000000",
                           "delete_tcp_new_nonce", "delete_udp"}) {
    CAPTURE(name);
    CHECK(judge(name).has_value());
  }
}

TEST_CASE("pcp capture: what miniupnpd grants") {
  pcp::response resp;
  REQUIRE(judge("map_tcp", &resp).has_value());
  CHECK(resp.lifetime == 7200);
  CHECK(body(resp).external_port == 8080);
  CHECK(body(resp).external_address == pcp::ipv4_mapped({11, 0, 0, 5}));
  SUBCASE("lifetimes are clamped to 120 s .. 86400 s (its min_lifetime and max_lifetime defaults)") {
    REQUIRE(judge("map_tcp_lifetime_1", &resp).has_value());
    CHECK(resp.lifetime == 120);
    REQUIRE(judge("map_tcp_lifetime_1000000", &resp).has_value());
    CHECK(resp.lifetime == 86400);
  }
  SUBCASE("a taken suggested port makes it pick the next free one") {
    REQUIRE(judge("map_tcp_taken", &resp).has_value());
    CHECK(body(resp).external_port == 8082);
  }
  SUBCASE("a renewal with another nonce takes the mapping over") {
    REQUIRE(judge("map_tcp_other_nonce", &resp).has_value());
    CHECK(body(resp).external_port == 8080);
    CHECK(judge("delete_tcp").error() == result_code::not_authorized);  // the first nonce lost it
    REQUIRE(judge("delete_tcp_new_nonce", &resp).has_value());
  }
  SUBCASE("a delete answers lifetime 0 and external port 0, keeping the address") {
    REQUIRE(judge("delete_udp", &resp).has_value());
    CHECK(resp.lifetime == 0);
    CHECK(body(resp).external_port == 0);
    CHECK(body(resp).external_address == pcp::ipv4_mapped({11, 0, 0, 5}));
  }
  SUBCASE("PEER: the remote peer is echoed") {
    REQUIRE(judge("peer_tcp", &resp).has_value());
    const auto& peer = std::get<pcp::peer_body>(resp.payload);
    CHECK(peer.remote_port == 80);
    CHECK(peer.remote_address == pcp::ipv4_mapped({11, 0, 0, 1}));
  }
  SUBCASE("options it processed are echoed, FILTER included") {
    REQUIRE(judge("map_tcp_filter", &resp).has_value());
    CHECK(resp.options == load_request("map_tcp_filter").options);
    REQUIRE(judge("map_tcp_several_options", &resp).has_value());
    CHECK(resp.options.size() == 3);
    CHECK(resp.options == load_request("map_tcp_several_options").options);
    REQUIRE(judge("map_unknown_optional_aligned", &resp).has_value());
    CHECK(resp.options.front() == pcp::option{pcp::unknown_option{200, {1, 2, 3, 4}}});
  }
}

TEST_CASE("pcp capture: miniupnpd's refusals carry their result codes") {
  pcp::response resp;
  CHECK(judge("map_tcp_third_party", &resp).error() == result_code::unsupp_option);
  CHECK(std::holds_alternative<pcp::third_party_option>(resp.options.front()));
  CHECK(judge("map_unknown_mandatory", &resp).error() == result_code::unsupp_option);
  CHECK(resp.options.front() == pcp::option{pcp::unknown_option{100, {1, 2, 3, 4}}});
  CHECK(judge("map_address_mismatch").error() == result_code::address_mismatch);
  CHECK(judge("delete_tcp_absent", &resp).error() == result_code::no_resources);
  CHECK(resp.lifetime == 30);  // §7.2: how long the error holds
  SUBCASE("an unknown optional option whose data needs padding: miniupnpd misreads the padding") {
    CHECK(judge("map_unknown_optional").error() == result_code::malformed_option);
  }
  SUBCASE("PREFER_FAILURE is ignored: another port is granted, which the client refuses") {
    CHECK(judge("map_tcp_prefer_failure", &resp).error() == errc::bad_mapping);
    CHECK(resp.result == result_code::success);
    CHECK(body(resp).external_port == 8081);
  }
}

TEST_CASE("pcp capture: other versions") {
  // Our decoder refuses these requests; the answers are judged against the same request as version 2.
  const auto as_version_2 = [](const std::string& name) {
    core::bytes wire = load(captures / (name + ".request.bin"));
    CHECK(pcp::decode_request(wire).error() == errc::bad_version);
    wire[0] = pcp::version;
    return pcp::decode_request(wire).value();
  };
  SUBCASE("version 3: UNSUPP_VERSION naming version 2, ports zeroed, and it still answers the request") {
    const pcp::request req = as_version_2("version_3");
    const pcp::response resp = load_response("version_3");
    CHECK(resp.version == 2);
    CHECK(resp.result == result_code::unsupp_version);
    CHECK(body(resp).internal_port == 0);
    CHECK_FALSE(pcp::mismatch(req, resp));
    CHECK(pcp::check_answer(req, resp).error() == result_code::unsupp_version);
  }
  SUBCASE("version 1: parsed as the PCP draft and answered in version 1 with MALFORMED_OPTION") {
    (void)as_version_2("version_1");
    const core::bytes wire = load(captures / "version_1.bin");
    CHECK(wire[0] == 1);
    CHECK(wire[3] == static_cast<std::uint8_t>(result_code::malformed_option));
    CHECK(pcp::decode_response(wire).error() == errc::bad_version);
  }
  SUBCASE("the PCP-shaped answers in the NAT-PMP captures") {
    const auto natpmp = data / "natpmp" / "miniupnpd_2.3.1";
    const auto v3 = pcp::decode_response(load(natpmp / "version_3_24.bin"));
    REQUIRE(v3.has_value());
    CHECK(v3->version == 2);
    CHECK(v3->result == result_code::unsupp_version);
    CHECK(pcp::decode_response(load(natpmp / "version_1_24.bin")).error() == errc::bad_version);
    CHECK(pcp::decode_response(load(natpmp / "version_1_map.bin")).error() == errc::bad_version);
  }
}

TEST_CASE("pcp capture: the unsolicited ANNOUNCE at start") {
  const core::bytes wire = load(captures / "announce_start.bin");
  CHECK(wire == load(data / "natpmp" / "miniupnpd_2.3.1" / "announce_pcp_5350.bin"));
  const auto resp = pcp::decode_response(wire);
  REQUIRE(resp.has_value());
  CHECK(resp->op == pcp::opcode::announce);
  CHECK(resp->result == result_code::success);
  CHECK(resp->epoch == 0);
  pcp::request announce;
  announce.op = pcp::opcode::announce;
  announce.payload = std::monostate{};
  CHECK(pcp::check_answer(announce, *resp).has_value());
}
