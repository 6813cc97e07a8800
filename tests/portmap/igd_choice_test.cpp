// Choosing among several IGDs (igd_finder.hpp async_choose_igd), against scripted IGDs on loopback: the
// order is the default gateway's first then by LOCATION, whatever order they answered in; with several,
// connected with a public address beats connected beats anything.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "../support/fake_igd.hpp"
#include "natpunch/portmap/igd_finder.hpp"

using namespace natpunch;
using namespace std::chrono_literals;

namespace {

// An IGD whose WAN connection is `status` with public address `external`.
struct scripted_igd {
  scripted_igd(asio::io_context& io, std::string status, std::string external)
      : igd(io, 2, [status, external](const soap::soap_call& c) {
          if (c.action == "GetStatusInfo") {
            return test::ok(c, {{"NewConnectionStatus", status}, {"NewLastConnectionError", "ERROR_NONE"}, {"NewUptime", "100"}});
          }
          if (c.action == "GetExternalIPAddress") return test::ok(c, {{"NewExternalIPAddress", external}});
          return test::fault(401, "Invalid Action");
        }) {}
  test::fake_igd igd;
};

ssdp::found_device found(const test::fake_igd& igd, const char* responder) {
  ssdp::found_device d;
  d.responder = asio::ip::make_address(responder);
  d.response.location = soap::to_string(igd.location());
  d.response.st = std::string(ssdp::igd2);
  return d;
}

ssdp::discovery_options with_gateway(const char* gateway) {
  ssdp::discovery_options o;
  o.gateway = asio::ip::make_address_v4(gateway);
  return o;
}

std::string chosen(asio::io_context& io, std::vector<ssdp::found_device> devices, const ssdp::discovery_options& o) {
  soap::client_options co;
  co.deadline = 2s;
  soap::client client(io.get_executor(), co);
  auto s = test::run(io, portmap::async_choose_igd(client, std::move(devices), o, {}));
  REQUIRE(s.has_value());
  REQUIRE(s->found.has_value());
  return s->found->response.location;
}

}  // namespace

TEST_CASE("igd choice: a connected IGD with a public address beats the default gateway's private one") {
  asio::io_context io;
  scripted_igd other(io, "Connected", "11.0.0.5");     // public (documentation ranges count as another NAT)
  scripted_igd default_gw(io, "Connected", "10.0.0.2");   // behind another NAT
  const auto o = with_gateway("192.168.1.1");
  const auto want = soap::to_string(other.igd.location());
  CHECK(chosen(io, {found(other.igd, "192.168.1.2"), found(default_gw.igd, "192.168.1.1")}, o) == want);
  CHECK(chosen(io, {found(default_gw.igd, "192.168.1.1"), found(other.igd, "192.168.1.2")}, o) == want);
}

TEST_CASE("igd choice: equally good, the default gateway's wins and the others are not asked") {
  asio::io_context io;
  scripted_igd a(io, "Connected", "11.0.0.5");
  scripted_igd b(io, "Connected", "11.0.0.7");
  const auto o = with_gateway("192.168.1.1");
  // b is the default gateway: described and ranked first; rank 2 ends the search before a.
  CHECK(chosen(io, {found(a.igd, "192.168.1.2"), found(b.igd, "192.168.1.1")}, o) == soap::to_string(b.igd.location()));
  CHECK(a.igd.calls.empty());
  CHECK(a.igd.peer.connections() == 0);
}

TEST_CASE("igd choice: connected beats disconnected; no default gateway among them: by LOCATION") {
  asio::io_context io;
  scripted_igd down(io, "Disconnected", "0.0.0.0");
  scripted_igd up(io, "Connected", "100.64.1.1");  // carrier-grade NAT: connected, not public
  const auto o = with_gateway("192.168.9.9");
  CHECK(chosen(io, {found(down.igd, "192.168.1.3"), found(up.igd, "192.168.1.4")}, o) == soap::to_string(up.igd.location()));
  // Two disconnected ones: the smaller LOCATION, whatever the answer order.
  scripted_igd down2(io, "Disconnected", "0.0.0.0");
  const auto first = std::min(soap::to_string(down.igd.location()), soap::to_string(down2.igd.location()));
  CHECK(chosen(io, {found(down.igd, "192.168.1.3"), found(down2.igd, "192.168.1.5")}, o) == first);
  CHECK(chosen(io, {found(down2.igd, "192.168.1.5"), found(down.igd, "192.168.1.3")}, o) == first);
}

TEST_CASE("igd choice: a device whose description fails is passed over; none usable is the last reason") {
  asio::io_context io;
  test::tcp_peer broken(io, [](const std::string&, unsigned) { return test::reply(test::http_answer(404, "no"), true); });
  scripted_igd good(io, "Connected", "11.0.0.5");
  ssdp::found_device bad;
  bad.responder = asio::ip::make_address("192.168.1.1");
  bad.response.location = "http://127.0.0.1:" + std::to_string(broken.endpoint().port()) + "/rootDesc.xml";
  const auto o = with_gateway("192.168.1.1");
  CHECK(chosen(io, {bad, found(good.igd, "192.168.1.2")}, o) == soap::to_string(good.igd.location()));

  soap::client client(io.get_executor(), soap::client_options{});
  auto none = test::run(io, portmap::async_choose_igd(client, {bad}, o, {}));
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error() == soap::errc::unexpected_status);
  auto empty = test::run(io, portmap::async_choose_igd(client, {}, o, {}));
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error() == ssdp::errc::no_gateway_found);
}
