#include <doctest/doctest.h>

#include "../support/loopback.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/pcp/client.hpp"

using namespace natpunch;
using namespace std::chrono_literals;
using core::ip_protocol;
using test::bytes;

namespace {

pcp::client make_client(asio::io_context& io, const test::udp_peer& gw, unsigned sends = 3) {
  pcp::client_options o;
  o.gateway = asio::ip::make_address("127.0.0.1");
  o.port = gw.endpoint().port();
  o.schedule = {20ms, 2.0, 1s, sends, 0.0};
  o.deadline = 2s;
  return pcp::client(io.get_executor(), o);
}

// Answers a MAP/PEER request as a well-behaved server: same body, the asked port, external 11.0.0.5.
bytes answer(const bytes& wire, std::uint32_t epoch, pcp::result_code rc = pcp::result_code::success,
             std::uint32_t lifetime_override = 0xffffffff) {
  auto req = pcp::decode_request(wire);
  REQUIRE(req.has_value());
  pcp::response resp;
  resp.op = req->op;
  resp.result = rc;
  resp.lifetime = lifetime_override != 0xffffffff ? lifetime_override : req->lifetime;
  resp.epoch = epoch;
  resp.payload = req->payload;
  if (auto* m = std::get_if<pcp::map_body>(&resp.payload)) {
    if (req->lifetime != 0) m->external_address = pcp::ipv4_mapped({11, 0, 0, 5});
  }
  return pcp::encode(resp);
}

pcp::map_params tcp_map(std::uint16_t port, std::uint32_t lifetime = 3600) {
  pcp::map_params p;
  p.protocol = ip_protocol::tcp;
  p.internal_port = port;
  p.suggested_external_port = port;
  p.lifetime = lifetime;
  return p;
}

}  // namespace

TEST_CASE("pcp client: MAP create sends the client's address and gets the external one") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned) { return std::vector<bytes>{answer(req, 100)}; });
  auto client = make_client(io, gw);
  auto m = test::run(io, client.async_map(tcp_map(8080)));
  REQUIRE(m.has_value());
  CHECK(m->external_address.to_string() == "11.0.0.5");
  CHECK(m->external_port == 8080);
  CHECK(m->lifetime == 3600);
  auto sent = pcp::decode_request(gw.requests().front());
  REQUIRE(sent.has_value());
  CHECK(sent->client_address == pcp::ipv4_mapped({127, 0, 0, 1}));
  const auto& body = std::get<pcp::map_body>(sent->payload);
  CHECK(body.protocol == pcp::protocol_tcp);
  CHECK(body.external_address == pcp::ipv4_mapped({0, 0, 0, 0}));  // no preference, IPv4 family (§11.1)
  CHECK(body.mapping_nonce == m->mapping_nonce);
  CHECK(client.pcp_succeeded());
}

TEST_CASE("pcp client: renew and delete reuse the mapping's nonce") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned i) { return std::vector<bytes>{answer(req, 100 + i)}; });
  auto client = make_client(io, gw);
  auto first = test::run(io, client.async_map(tcp_map(8080)));
  REQUIRE(first.has_value());
  auto renew = tcp_map(8080);
  renew.mapping_nonce = first->mapping_nonce;
  REQUIRE(test::run(io, client.async_map(renew)).has_value());
  auto removed = test::run(io, client.async_delete(*first));
  REQUIRE(removed.has_value());
  REQUIRE(gw.requests().size() == 3);
  for (const auto& wire : gw.requests()) {
    auto req = pcp::decode_request(wire);
    REQUIRE(req.has_value());
    CHECK(std::get<pcp::map_body>(req->payload).mapping_nonce == first->mapping_nonce);
  }
  CHECK(pcp::decode_request(gw.requests()[2])->lifetime == 0);
}

TEST_CASE("pcp client: answers for another nonce are skipped as not ours") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned) {
    bytes forged = answer(req, 7);
    forged[24] ^= 0xff;  // first nonce byte
    return std::vector<bytes>{forged, answer(req, 7)};
  });
  auto client = make_client(io, gw);
  auto m = test::run(io, client.async_map(tcp_map(9000)));
  REQUIRE(m.has_value());
  CHECK(client.last_exchange().ignored == 1);
}

TEST_CASE("pcp client: a delete skips the late answer to the mapping's MAP and takes its own") {
  // An add interrupted before its answer is undone at once; the gateway's answer to the MAP (same nonce,
  // a lifetime) may arrive after the delete was sent. It is not the delete's answer.
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned) {
    auto decoded = pcp::decode_request(req);
    REQUIRE(decoded.has_value());
    if (decoded->lifetime != 0) return std::vector<bytes>{answer(req, 7)};
    return std::vector<bytes>{answer(req, 7, pcp::result_code::success, 3600), answer(req, 7)};
  });
  auto client = make_client(io, gw);
  auto m = test::run(io, client.async_map(tcp_map(9000)));
  REQUIRE(m.has_value());
  auto removed = test::run(io, client.async_delete(*m));
  CHECK(removed.has_value());
  CHECK(client.last_exchange().ignored == 1);
}

TEST_CASE("pcp client: a refusal returns its result code at once") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned) {
    return std::vector<bytes>{answer(req, 7, pcp::result_code::not_authorized, 0)};
  });
  auto client = make_client(io, gw);
  auto m = test::run(io, client.async_map(tcp_map(22)));
  CHECK(m.error() == pcp::result_code::not_authorized);
  CHECK(gw.received() == 1);
  CHECK(client.pcp_succeeded());  // §9: a version-2 refusal still proves the server speaks PCP
}

TEST_CASE("pcp client: version negotiation") {
  asio::io_context io;
  // A NAT-PMP-only gateway's answer to any version-2 request: version 0, op 128+1, result 1, epoch.
  const bytes natpmp_unsupported{0x00, 0x81, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10};
  SUBCASE("a NAT-PMP-only gateway: natpmp_only, so the caller can fall back") {
    test::udp_peer gw(io, [&](const bytes&, unsigned) { return std::vector<bytes>{natpmp_unsupported}; });
    auto client = make_client(io, gw);
    CHECK(test::run(io, client.async_map(tcp_map(80))).error() == pcp::errc::natpmp_only);
  }
  SUBCASE("after PCP worked, an 'unsupported version' is ignored: no downgrade") {
    bool downgrade = false;
    test::udp_peer gw(io, [&](const bytes& req, unsigned) {
      return downgrade ? std::vector<bytes>{natpmp_unsupported, answer(req, 50)} : std::vector<bytes>{answer(req, 49)};
    });
    auto client = make_client(io, gw);
    REQUIRE(test::run(io, client.async_map(tcp_map(80))).has_value());
    downgrade = true;
    auto again = test::run(io, client.async_map(tcp_map(81)));
    REQUIRE(again.has_value());  // the forged downgrade was skipped, the real answer taken
    CHECK(client.last_exchange().ignored == 1);
  }
  SUBCASE("after PCP worked, nothing but 'unsupported version': no answer, and no claim of NAT-PMP") {
    bool downgrade = false;
    test::udp_peer gw(io, [&](const bytes& req, unsigned) {
      return downgrade ? std::vector<bytes>{natpmp_unsupported} : std::vector<bytes>{answer(req, 49)};
    });
    auto client = make_client(io, gw);
    REQUIRE(test::run(io, client.async_map(tcp_map(80))).has_value());
    downgrade = true;
    CHECK(test::run(io, client.async_map(tcp_map(81))).error() == pcp::errc::downgrade_ignored);
  }
}

TEST_CASE("pcp client: the epoch rule across answers") {
  asio::io_context io;
  std::uint32_t epoch = 5000;
  test::udp_peer gw(io, [&](const bytes& req, unsigned) { return std::vector<bytes>{answer(req, epoch)}; });
  auto client = make_client(io, gw);
  REQUIRE(test::run(io, client.async_map(tcp_map(80))).has_value());
  CHECK_FALSE(client.take_lost_state());
  epoch = 3;  // reset
  auto again = test::run(io, client.async_map(tcp_map(80)));
  REQUIRE(again.has_value());
  CHECK(again->gateway_lost_state);
  CHECK(client.take_lost_state());
  CHECK_FALSE(client.take_lost_state());  // reading clears it
}

TEST_CASE("pcp client: ANNOUNCE probe and unsolicited ANNOUNCE") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned) {
    auto r = pcp::decode_request(req);
    REQUIRE(r.has_value());
    pcp::response resp;
    resp.op = pcp::opcode::announce;
    resp.epoch = 9000;
    return std::vector<bytes>{pcp::encode(resp)};
  });
  auto client = make_client(io, gw);
  auto probe = test::run(io, client.async_announce());
  REQUIRE(probe.has_value());
  CHECK(probe->epoch == 9000);
  pcp::response unsolicited;
  unsolicited.op = pcp::opcode::announce;
  unsolicited.epoch = 0;
  const bytes wire = pcp::encode(unsolicited);
  SUBCASE("from the gateway: its epoch shows the reset") {
    auto info = client.observe_announcement(wire, gw.endpoint());
    REQUIRE(info.has_value());
    CHECK(info->gateway_lost_state);
  }
  SUBCASE("from anyone else: ignored") {
    asio::ip::udp::endpoint other(asio::ip::make_address("127.0.0.2"), gw.endpoint().port());
    CHECK(client.observe_announcement(wire, other).error() == pcp::errc::foreign_sender);
  }
}

TEST_CASE("pcp client: an IPv6 gateway's ANNOUNCE from its link-local address counts as the gateway's") {
  asio::io_context io;
  pcp::client_options o;
  o.gateway = asio::ip::make_address("fd00:86::1");
  o.link_local_gateway = asio::ip::make_address("fe80::1:2");  // as /proc/net/ipv6_route gives it: no scope
  pcp::client client(io.get_executor(), o);
  pcp::response announce;
  announce.op = pcp::opcode::announce;
  announce.epoch = 5;
  const bytes wire = pcp::encode(announce);
  auto from = [](const char* address, std::uint16_t port = pcp::server_port) {
    return asio::ip::udp::endpoint(asio::ip::make_address(address), port);
  };
  CHECK(client.observe_announcement(wire, from("fd00:86::1")).has_value());
  CHECK(client.observe_announcement(wire, from("fe80::1:2%lo")).has_value());  // received with a scope id
  CHECK(client.observe_announcement(wire, from("fe80::1:2")).has_value());
  CHECK(client.observe_announcement(wire, from("fe80::1:3%lo")).error() == pcp::errc::foreign_sender);
  CHECK(client.observe_announcement(wire, from("fe80::1:2%lo", 5350)).error() == pcp::errc::foreign_sender);
  CHECK(client.observe_announcement(wire, from("fd00:86::2")).error() == pcp::errc::foreign_sender);
  SUBCASE("without one, only the gateway's own address counts") {
    o.link_local_gateway.reset();
    pcp::client strict(io.get_executor(), o);
    CHECK(strict.observe_announcement(wire, from("fe80::1:2%lo")).error() == pcp::errc::foreign_sender);
  }
}

TEST_CASE("pcp client: silence ends in a timeout after the scheduled sends") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes&, unsigned) { return std::vector<bytes>{}; });
  auto client = make_client(io, gw, 3);
  CHECK(test::run(io, client.async_map(tcp_map(80))).error() == core::transport_errc::timed_out);
  CHECK(gw.received() == 3);
}

TEST_CASE("pcp client: a success it must reject is removed from the gateway, not left behind") {
  asio::io_context io;
  // Like miniupnpd 2.3.1: PREFER_FAILURE ignored, another port granted.
  test::udp_peer gw(io, [](const bytes& wire, unsigned) {
    auto req = pcp::decode_request(wire);
    REQUIRE(req.has_value());
    pcp::response resp;
    resp.op = req->op;
    resp.lifetime = req->lifetime;
    resp.epoch = 10;
    resp.payload = req->payload;
    resp.options = req->options;
    auto& body = std::get<pcp::map_body>(resp.payload);
    if (req->lifetime != 0) {
      body.external_port = static_cast<std::uint16_t>(body.external_port + 1);
      body.external_address = pcp::ipv4_mapped({11, 0, 0, 5});
    }
    return std::vector<bytes>{pcp::encode(resp)};
  });
  auto client = make_client(io, gw);
  auto p = tcp_map(8080);
  p.prefer_failure = true;
  p.creates = true;
  SUBCASE("a renewal that is rejected deletes nothing: the caller still holds its mapping") {
    p.creates = false;
    CHECK(test::run(io, client.async_map(p)).error() == pcp::errc::bad_mapping);
    CHECK(gw.requests().size() == 1);
    return;
  }
  auto m = test::run(io, client.async_map(p));
  CHECK(m.error() == pcp::errc::bad_mapping);
  REQUIRE(gw.requests().size() == 2);
  auto first = pcp::decode_request(gw.requests()[0]);
  auto undo = pcp::decode_request(gw.requests()[1]);
  REQUIRE(first.has_value());
  REQUIRE(undo.has_value());
  CHECK(undo->lifetime == 0);
  CHECK(std::get<pcp::map_body>(undo->payload).mapping_nonce == std::get<pcp::map_body>(first->payload).mapping_nonce);
  CHECK(std::get<pcp::map_body>(undo->payload).internal_port == 8080);
  CHECK(std::get<pcp::map_body>(undo->payload).protocol == pcp::protocol_tcp);
  CHECK(undo->options.empty());  // PREFER_FAILURE means nothing to a delete
}

TEST_CASE("pcp client: the cleanup of a rejected success shares the request's deadline") {
  asio::io_context io;
  // Answers only the third send of the create (at 1.4 s of a 2 s deadline), with a port PREFER_FAILURE
  // forbids; the deletes that follow go unanswered.
  test::udp_peer gw(io, [](const bytes& wire, unsigned index) {
    if (index != 2) return std::vector<bytes>{};
    auto req = pcp::decode_request(wire);
    REQUIRE(req.has_value());
    pcp::response resp;
    resp.op = req->op;
    resp.lifetime = req->lifetime;
    resp.epoch = 10;
    resp.payload = req->payload;
    auto& body = std::get<pcp::map_body>(resp.payload);
    body.external_port = static_cast<std::uint16_t>(body.external_port + 1);
    body.external_address = pcp::ipv4_mapped({11, 0, 0, 5});
    return std::vector<bytes>{pcp::encode(resp)};
  });
  pcp::client_options o;
  o.gateway = asio::ip::make_address("127.0.0.1");
  o.port = gw.endpoint().port();
  o.schedule = {700ms, 1.0, 1s, 3, 0.0};
  o.deadline = 2s;
  pcp::client client(io.get_executor(), o);
  auto p = tcp_map(8080);
  p.prefer_failure = true;
  p.creates = true;
  const auto start = std::chrono::steady_clock::now();
  CHECK(test::run(io, client.async_map(p)).error() == pcp::errc::bad_mapping);
  const auto took = std::chrono::steady_clock::now() - start;
  // 0.6 s were left, raised to the 1 s floor: two delete sends (at 0 and 0.7 s), ending near 2.4 s.
  // A fresh 2 s deadline would have made three and ended near 3.4 s.
  CHECK(gw.requests().size() == 5);
  CHECK(took < 3s);
  CHECK(took > 2s);
}
