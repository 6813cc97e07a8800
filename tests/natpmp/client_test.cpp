#include <doctest/doctest.h>

#include "../support/loopback.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/natpmp/client.hpp"

using namespace natpunch;
using namespace std::chrono_literals;
using core::ip_protocol;
using test::bytes;

namespace {

// A client aimed at a scripted loopback gateway, with a fast schedule so failures end quickly.
natpmp::client make_client(asio::io_context& io, const test::udp_peer& gw, unsigned sends = 3) {
  natpmp::client_options o;
  o.gateway = asio::ip::make_address_v4("127.0.0.1");
  o.port = gw.endpoint().port();
  o.schedule = {20ms, 2.0, 24h, sends, 0.0};
  o.deadline = 2s;
  return natpmp::client(io.get_executor(), o);
}

bytes external_answer(std::uint32_t epoch, std::array<std::uint8_t, 4> address = {11, 0, 0, 5},
                      natpmp::result_code rc = natpmp::result_code::success) {
  return natpmp::encode(natpmp::external_address_response{rc, epoch, address});
}

// Answers every map request as a well-behaved gateway: same ports, the requested lifetime.
bytes map_answer(const bytes& req, std::uint32_t epoch) {
  auto decoded = natpmp::decode_request(req);
  REQUIRE(decoded.has_value());
  const auto m = std::get<natpmp::map_request>(*decoded);
  const bool del = m.lifetime == 0;
  return natpmp::encode(natpmp::map_response{m.protocol, natpmp::result_code::success, epoch, m.internal_port,
                                             del ? std::uint16_t{0} : m.suggested_external_port, m.lifetime});
}

}  // namespace

TEST_CASE("natpmp client: external address") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes&, unsigned) { return std::vector<bytes>{external_answer(1234)}; });
  auto client = make_client(io, gw);
  auto ext = test::run(io, client.async_external_address());
  REQUIRE(ext.has_value());
  CHECK(ext->address.to_string() == "11.0.0.5");
  CHECK(ext->epoch == 1234);
  CHECK_FALSE(ext->gateway_lost_state);
  CHECK(gw.requests() == std::vector<bytes>{{0x00, 0x00}});
  CHECK(client.local_address().to_string() == "127.0.0.1");
}

TEST_CASE("natpmp client: map, renew and delete send the RFC's bytes") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned i) { return std::vector<bytes>{map_answer(req, 100 + i)}; });
  auto client = make_client(io, gw);
  SUBCASE("tcp 8080 -> 8080 for 7200 s") {
    auto m = test::run(io, client.async_map(ip_protocol::tcp, 8080, 8080, 7200));
    REQUIRE(m.has_value());
    CHECK(m->external_port == 8080);
    CHECK(m->lifetime == 7200);
    CHECK(m->protocol == ip_protocol::tcp);
    CHECK(gw.requests().front() == bytes{0, 2, 0, 0, 0x1f, 0x90, 0x1f, 0x90, 0x00, 0x00, 0x1c, 0x20});
  }
  SUBCASE("udp delete: lifetime 0 and suggested port 0") {
    auto m = test::run(io, client.async_delete(ip_protocol::udp, 30303));
    REQUIRE(m.has_value());
    CHECK(m->lifetime == 0);
    CHECK(m->external_port == 0);
    CHECK(gw.requests().front() == bytes{0, 1, 0, 0, 0x76, 0x5f, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("natpmp client: a gateway's refusal is returned with its result code, without retrying") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes&, unsigned) {
    // §3.5: on failure only the first 8 bytes are meaningful; send just those.
    return std::vector<bytes>{{0x00, 0x82, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10}};
  });
  auto client = make_client(io, gw);
  auto m = test::run(io, client.async_map(ip_protocol::tcp, 22, 2222, 60));
  CHECK(m.error() == natpmp::result_code::not_authorized);
  CHECK(m.error().category().name() == std::string("natpmp-gateway"));
  CHECK(gw.received() == 1);
}

TEST_CASE("natpmp client: stale and malformed datagrams are skipped, the right answer is taken") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes& req, unsigned) {
    return std::vector<bytes>{
        external_answer(7),          // an answer to another request (opcode 128, not 130)
        bytes{0x01, 0x82, 0x00, 0x00},  // garbage from the right address
        map_answer(req, 7),
    };
  });
  auto client = make_client(io, gw);
  auto m = test::run(io, client.async_map(ip_protocol::tcp, 8333, 8333, 3600));
  REQUIRE(m.has_value());
  CHECK(m->external_port == 8333);
  CHECK(client.last_exchange().ignored == 2);
  CHECK(gw.received() == 1);
}

TEST_CASE("natpmp client: nonsense answers become clear errors") {
  asio::io_context io;
  SUBCASE("external address 0.0.0.0 is refused at once") {
    test::udp_peer gw(io, [](const bytes&, unsigned) { return std::vector<bytes>{external_answer(9, {0, 0, 0, 0})}; });
    auto client = make_client(io, gw);
    auto ext = test::run(io, client.async_external_address());
    CHECK(ext.error() == natpmp::errc::bad_external_address);
    CHECK(gw.received() == 1);
  }
  SUBCASE("only map answers for another internal port: skipped as stale, the reason reported at the end") {
    test::udp_peer gw(io, [](const bytes&, unsigned) {
      return std::vector<bytes>{natpmp::encode(natpmp::map_response{ip_protocol::tcp, natpmp::result_code::success, 5, 9999, 80, 60})};
    });
    auto client = make_client(io, gw);
    auto m = test::run(io, client.async_map(ip_protocol::tcp, 80, 80, 60));
    CHECK(m.error() == natpmp::errc::internal_port_mismatch);
    CHECK(gw.received() == 3);  // it kept asking: the answer was for someone else's request
  }
  SUBCASE("only answers of the wrong version: the reason is reported when time is up") {
    test::udp_peer gw(io, [](const bytes&, unsigned) {
      bytes wrong = external_answer(9);
      wrong[0] = 2;
      return std::vector<bytes>{wrong};
    });
    auto client = make_client(io, gw, 2);
    auto ext = test::run(io, client.async_external_address());
    CHECK(ext.error() == natpmp::errc::bad_version);
    CHECK(gw.received() == 2);
  }
}

TEST_CASE("natpmp client: silence ends in a timeout after the scheduled sends") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes&, unsigned) { return std::vector<bytes>{}; });
  auto client = make_client(io, gw, 3);
  auto ext = test::run(io, client.async_external_address());
  CHECK(ext.error() == core::transport_errc::timed_out);
  CHECK(gw.received() == 3);
}

TEST_CASE("natpmp client: no server on the port is reported as refused") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes&, unsigned) { return std::vector<bytes>{}; });
  auto client = make_client(io, gw);
  gw.close();  // the port is now closed: loopback answers ICMP port unreachable
  auto ext = test::run(io, client.async_external_address());
  CHECK(ext.error() == core::transport_errc::connection_refused);
}

TEST_CASE("natpmp client: the epoch rule tells when the gateway lost its state") {
  asio::io_context io;
  std::uint32_t epoch = 5000;
  test::udp_peer gw(io, [&](const bytes&, unsigned) { return std::vector<bytes>{external_answer(epoch)}; });
  auto client = make_client(io, gw);
  auto first = test::run(io, client.async_external_address());
  REQUIRE(first.has_value());
  CHECK_FALSE(first->gateway_lost_state);
  SUBCASE("same epoch moments later: fine") {
    auto again = test::run(io, client.async_external_address());
    REQUIRE(again.has_value());
    CHECK_FALSE(again->gateway_lost_state);
  }
  SUBCASE("the epoch fell back: the gateway rebooted") {
    epoch = 3;
    auto again = test::run(io, client.async_external_address());
    REQUIRE(again.has_value());
    CHECK(again->gateway_lost_state);
  }
}

TEST_CASE("natpmp client: gateway announcements are judged by sender and epoch") {
  asio::io_context io;
  test::udp_peer gw(io, [](const bytes&, unsigned) { return std::vector<bytes>{external_answer(8000)}; });
  auto client = make_client(io, gw);
  REQUIRE(test::run(io, client.async_external_address()).has_value());
  const auto from_gateway = gw.endpoint();
  SUBCASE("from the gateway, epoch restarted: lost state") {
    auto info = client.observe_announcement(external_answer(2, {11, 0, 0, 6}), from_gateway);
    REQUIRE(info.has_value());
    CHECK(info->gateway_lost_state);
    CHECK(info->address.to_string() == "11.0.0.6");
  }
  SUBCASE("from another port of the same host: ignored") {
    asio::ip::udp::endpoint other(from_gateway.address(), static_cast<std::uint16_t>(from_gateway.port() + 1));
    CHECK(client.observe_announcement(external_answer(2), other).error() == natpmp::errc::foreign_sender);
  }
  SUBCASE("from another host: ignored") {
    asio::ip::udp::endpoint other(asio::ip::make_address_v4("127.0.0.2"), from_gateway.port());
    CHECK(client.observe_announcement(external_answer(2), other).error() == natpmp::errc::foreign_sender);
  }
  SUBCASE("a map answer is no announcement") {
    const bytes map = natpmp::encode(natpmp::map_response{ip_protocol::tcp, natpmp::result_code::success, 2, 80, 80, 60});
    CHECK(client.observe_announcement(map, from_gateway).error() == natpmp::errc::wrong_opcode);
  }
  SUBCASE("an announcement of 0.0.0.0 is refused") {
    CHECK(client.observe_announcement(external_answer(9000, {0, 0, 0, 0}), from_gateway).error() ==
          natpmp::errc::bad_external_address);
  }
}

TEST_CASE("natpmp client: a delete skips a renewal's late answer and takes its own") {
  asio::io_context io;
  // The gateway first delivers the answer to an earlier renewal (lifetime 60), then the delete's.
  test::udp_peer gw(io, [](const bytes& req, unsigned) {
    return std::vector<bytes>{
        natpmp::encode(natpmp::map_response{ip_protocol::tcp, natpmp::result_code::success, 40, 9000, 9000, 60}),
        map_answer(req, 41)};
  });
  auto client = make_client(io, gw);
  auto removed = test::run(io, client.async_delete(ip_protocol::tcp, 9000));
  REQUIRE(removed.has_value());
  CHECK(removed->lifetime == 0);
  CHECK(client.last_exchange().ignored == 1);
}
