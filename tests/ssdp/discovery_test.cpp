// SSDP discovery against a scripted responder on loopback (the "multicast group" pointed at it).
#include <doctest/doctest.h>

#include <cstdlib>

#include "../support/loopback.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/ssdp/discovery.hpp"

using namespace natpunch;
using namespace std::chrono_literals;

namespace {

test::bytes answer(const std::string& st, const std::string& location) {
  ssdp::search_response r;
  r.st = st;
  r.location = location;
  r.usn = "uuid:9d008fc5-025c-436d-be41-335f728500d2::" + st;
  r.server = "sim UPnP/1.1 test/1";
  r.max_age = std::chrono::seconds(120);
  const std::string text = ssdp::format_search_response(r);
  return test::bytes(text.begin(), text.end());
}

ssdp::discovery_options options_for(const test::udp_peer& peer) {
  ssdp::discovery_options o;
  o.interface_address = asio::ip::make_address_v4("127.0.0.1");
  o.multicast_group = asio::ip::make_address_v4("127.0.0.1");
  o.port = peer.endpoint().port();
  o.deadline = 1500ms;
  o.grace = 100ms;
  return o;
}

std::error_code trust_all(const ssdp::search_response&, const asio::ip::address&) { return {}; }

std::string st_of(const test::bytes& request) {
  const std::string text(request.begin(), request.end());
  const auto at = text.find("\r\nST: ");
  return at == std::string::npos ? "" : text.substr(at + 6, text.find("\r\n", at + 6) - at - 6);
}

}  // namespace

TEST_CASE("ssdp discovery: the searches sent, and the first usable answer ends the wait") {
  asio::io_context io;
  test::udp_peer peer(io, [](const test::bytes& req, unsigned) {
    // Like miniupnpd: answers the IGD:2 search only; the other targets go unanswered.
    if (st_of(req) != std::string(ssdp::igd2)) return std::vector<test::bytes>{};
    return std::vector<test::bytes>{answer(std::string(ssdp::igd2), "http://192.168.1.1:5000/rootDesc.xml")};
  });
  auto o = options_for(peer);
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  REQUIRE(found.has_value());
  REQUIRE(found->devices.size() == 1);
  CHECK(found->devices[0].response.location == "http://192.168.1.1:5000/rootDesc.xml");
  CHECK(found->devices[0].targets == std::vector<std::string>{std::string(ssdp::igd2)});
  // Not a gateway address: the grace window (100 ms) runs, not the 1.5 s deadline.
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  // The first round asks IGD:1 alone; the second (150 ms later) all six targets, the TR-064 IGD last; no
  // ssdp:all yet.
  REQUIRE(peer.requests().size() == 7);
  CHECK(st_of(peer.requests()[0]) == std::string(ssdp::igd1));
  for (unsigned i = 1; i < 7; ++i) CHECK(st_of(peer.requests()[i]) == std::string(ssdp::search_targets[i - 1]));
  CHECK(found->devices[0].after >= 150ms);
}

TEST_CASE("ssdp discovery: answers that are not gateways, malformed or untrusted are ignored, with the reason") {
  asio::io_context io;
  test::udp_peer peer(io, [](const test::bytes&, unsigned) {
    const std::string junk = "HTTP/1.1 200 OK\r\nST: x\r\n";
    return std::vector<test::bytes>{answer("urn:schemas-upnp-org:device:MediaRenderer:1", "http://192.168.1.9/d.xml"),
                                    test::bytes(junk.begin(), junk.end()),
                                    answer(std::string(ssdp::igd1), "http://10.9.9.9/evil.xml")};
  });
  auto o = options_for(peer);
  o.deadline = 400ms;
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o,
                                                  [](const ssdp::search_response& r, const asio::ip::address&) {
                                                    return r.location.find("evil") != std::string::npos
                                                               ? make_error_code(ssdp::errc::bad_value)
                                                               : std::error_code{};
                                                  }));
  REQUIRE(found.has_value());
  CHECK(found->devices.empty());
  CHECK(found->ignored == found->answers);
  CHECK(found->answers >= 3);
  CHECK(found->last_ignored == ssdp::errc::bad_value);
}

TEST_CASE("ssdp discovery: a flood neither extends the wait nor the memory") {
  asio::io_context io;
  test::udp_peer peer(io, [](const test::bytes&, unsigned) {
    std::vector<test::bytes> many;
    for (int i = 0; i < 100; ++i) {
      many.push_back(answer(std::string(ssdp::igd1), "http://192.168.1." + std::to_string(i % 50 + 1) + "/d.xml"));
    }
    return many;
  });
  auto o = options_for(peer);
  o.find_all = true;
  o.listen_for = 600ms;
  o.max_answers = 150;
  o.max_devices = 16;
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(found.has_value());
  CHECK(found->answers <= 150);
  CHECK(found->devices.size() == 16);
  CHECK(took < 800ms);
}

TEST_CASE("ssdp discovery: silence ends at the deadline with nothing found, not an error") {
  asio::io_context io;
  test::udp_peer peer(io, [](const test::bytes&, unsigned) { return std::vector<test::bytes>{}; });
  auto o = options_for(peer);
  o.deadline = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  REQUIRE(found.has_value());
  CHECK(found->devices.empty());
  CHECK(found->answers == 0);
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
  // Round 0 (IGD:1) and round 1 at 150 ms (six targets), to the group only; round 2 was due at 550 ms.
  CHECK(found->sent == 7);
}

namespace {

// IPv6 loopback may be switched off (a container with disable_ipv6): the IPv6 cases then say so.
bool have_ipv6_loopback() {
  if (std::getenv("CI") != nullptr && std::getenv("NATPUNCH_NO_IPV6") == nullptr) return true;  // CI must run them
  asio::io_context io;
  asio::ip::udp::socket s(io);
  std::error_code ec;
  s.open(asio::ip::udp::v6(), ec);
  if (!ec) s.bind({asio::ip::address_v6::loopback(), 0}, ec);
  return !ec;
}

ssdp::ipv6_search ipv6_to(const test::udp_peer& peer) {
  ssdp::ipv6_search v6;
  v6.groups = {asio::ip::address_v6::loopback()};
  v6.sources = {asio::ip::address_v6::loopback()};
  v6.port = peer.endpoint().port();
  return v6;
}

}  // namespace

TEST_CASE("ssdp discovery over IPv6: the HOST header names the group in brackets, the answer is found") {
  if (!have_ipv6_loopback()) {
    MESSAGE("skipped: no IPv6 loopback here (::1 cannot be bound), so nothing can answer over IPv6");
    return;
  }
  asio::io_context io;
  test::udp_peer peer(
      io,
      [](const test::bytes& req, unsigned) {
        if (st_of(req) != std::string(ssdp::igd1)) return std::vector<test::bytes>{};
        return std::vector<test::bytes>{answer(std::string(ssdp::igd1), "http://[fd00:86::1]:5000/rootDesc.xml")};
      },
      asio::ip::address_v6::loopback());
  auto o = options_for(peer);
  o.ipv4 = false;
  o.ipv6 = ipv6_to(peer);
  o.ipv6->gateway = asio::ip::address_v6::loopback();  // the gateway answering ends the wait at once
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  REQUIRE(found.has_value());
  REQUIRE(found->devices.size() == 1);
  CHECK(found->devices[0].responder == asio::ip::address(asio::ip::address_v6::loopback()));
  CHECK(found->devices[0].response.location == "http://[fd00:86::1]:5000/rootDesc.xml");
  CHECK(std::chrono::steady_clock::now() - start < 140ms);  // before round 1: no grace, no deadline
  // Round 0: IGD:1 to the group and to the gateway (here the same peer).
  REQUIRE(peer.requests().size() == 2);
  const std::string first(peer.requests()[0].begin(), peer.requests()[0].end());
  CHECK(first.find("\r\nHOST: [::1]:" + std::to_string(peer.endpoint().port()) + "\r\n") != std::string::npos);
}

TEST_CASE("ssdp discovery over both families: answers merge, and the gateway on one ends the other's wait") {
  if (!have_ipv6_loopback()) {
    MESSAGE("skipped: no IPv6 loopback here (::1 cannot be bound), so nothing can answer over IPv6");
    return;
  }
  asio::io_context io;
  // IPv4: a device that is not the gateway, answering the first search only: afterwards the IPv4 side
  // has nothing to wake it but the IPv6 side's answer.
  test::udp_peer peer4(io, [](const test::bytes&, unsigned n) {
    if (n != 0) return std::vector<test::bytes>{};
    return std::vector<test::bytes>{answer(std::string(ssdp::igd1), "http://192.168.1.7:5000/d.xml")};
  });
  // IPv6: the gateway, answering only the second round (as if the first datagram were lost).
  test::udp_peer peer6(
      io,
      [](const test::bytes& req, unsigned) {
        if (st_of(req) != std::string(ssdp::igd2)) return std::vector<test::bytes>{};
        return std::vector<test::bytes>{answer(std::string(ssdp::igd2), "http://[fd00:86::1]:5000/rootDesc.xml")};
      },
      asio::ip::address_v6::loopback());
  auto o = options_for(peer4);
  o.grace = 1000ms;  // long: only the IPv6 gateway's answer may end the search early
  o.deadline = 2000ms;
  o.round_interval = 5000ms;  // no third round to wake the IPv4 side either
  o.ipv6 = ipv6_to(peer6);
  o.ipv6->groups.clear();
  o.ipv6->gateway = asio::ip::address_v6::loopback();
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(found.has_value());
  REQUIRE(found->devices.size() == 2);
  CHECK(found->devices[0].responder.is_v4());
  CHECK(found->devices[1].responder.is_v6());
  CHECK(ssdp::is_default_gateway(o, found->devices[1].responder));
  CHECK_FALSE(ssdp::is_default_gateway(o, found->devices[0].responder));
  // Round 1 is at ~150 ms: the IPv6 gateway's answer then ends both families at once, long before
  // the grace or the next round.
  CHECK(took >= 140ms);
  CHECK(took < 350ms);
}

TEST_CASE("ssdp discovery over IPv6: a source address this host does not have falls back to the kernel's choice") {
  if (!have_ipv6_loopback()) {
    MESSAGE("skipped: no IPv6 loopback here (::1 cannot be bound), so nothing can answer over IPv6");
    return;
  }
  asio::io_context io;
  test::udp_peer peer(
      io, [](const test::bytes&, unsigned) { return std::vector<test::bytes>{answer(std::string(ssdp::igd1), "http://[fd00:86::1]:5000/d.xml")}; },
      asio::ip::address_v6::loopback());
  auto o = options_for(peer);
  o.ipv4 = false;
  o.ipv6 = ipv6_to(peer);
  o.ipv6->sources = {asio::ip::make_address_v6("2001:db8::7")};  // documentation prefix: never configured
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  REQUIRE(found.has_value());
  CHECK(found->devices.size() == 1);
}

TEST_CASE("ssdp discovery: when no search can be sent at all, the send error, not a silent deadline") {
  asio::io_context io;
  ssdp::discovery_options o;
  o.interface_address = asio::ip::make_address_v4("127.0.0.1");
  // Port 0 is no destination: every sendto fails at once (EINVAL), as with no route to the group.
  o.multicast_group = asio::ip::make_address_v4("127.0.0.1");
  o.port = 0;
  o.deadline = 2000ms;
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  CHECK_FALSE(found.has_value());
  CHECK(std::chrono::steady_clock::now() - start < 500ms);
}

TEST_CASE("ssdp discovery: is_default_gateway matches a link-local gateway with or without its scope id") {
  ssdp::discovery_options o;
  o.gateway = asio::ip::make_address_v4("192.168.1.1");
  o.ipv6 = ssdp::ipv6_search{};
  o.ipv6->gateway = asio::ip::make_address_v6("fe80::1");
  CHECK(ssdp::is_default_gateway(o, asio::ip::make_address("192.168.1.1")));
  CHECK_FALSE(ssdp::is_default_gateway(o, asio::ip::make_address("192.168.1.2")));
  CHECK(ssdp::is_default_gateway(o, asio::ip::make_address("fe80::1%2")));
  CHECK(ssdp::is_default_gateway(o, asio::ip::make_address("fe80::1")));
  CHECK_FALSE(ssdp::is_default_gateway(o, asio::ip::make_address("fe80::2")));
  o.ipv6->gateway->scope_id(3);
  CHECK_FALSE(ssdp::is_default_gateway(o, asio::ip::make_address("fe80::1%2")));
  // A v4-mapped address is not the IPv4 gateway's answer: the families are kept apart.
  CHECK_FALSE(ssdp::is_default_gateway(o, asio::ip::make_address("::ffff:192.168.1.1")));
}

// Routers whose IGD is in the DSL Forum's TR-064 domain (Huawei HG531 V1, tailscale/tailscale#10911)
// answer only a search for their own type.
TEST_CASE("ssdp discovery: a TR-064 IGD is asked after every standard target, and found") {
  CHECK(ssdp::is_gateway_target("urn:dslforum-org:device:InternetGatewayDevice:1"));
  CHECK(ssdp::is_gateway_target("urn:dslforum-org:service:WANPPPConnection:1"));
  CHECK(ssdp::is_gateway_target("urn:dslforum-org:service:WANIPConnection:1"));
  CHECK(ssdp::is_dslforum_target("urn:dslforum-org:service:WANIPConnection:1"));
  CHECK_FALSE(ssdp::is_gateway_target("urn:dslforum-org:device:LANDevice:1"));
  CHECK_FALSE(ssdp::is_gateway_target("urn:dslforum-org:service:DeviceConfig:1"));
  CHECK_FALSE(ssdp::is_dslforum_target(std::string(ssdp::igd1)));

  asio::io_context io;
  test::udp_peer peer(io, [](const test::bytes& req, unsigned) {
    if (st_of(req) != std::string(ssdp::dslforum_igd1)) return std::vector<test::bytes>{};
    return std::vector<test::bytes>{answer(std::string(ssdp::dslforum_igd1), "http://192.168.1.1:49652/desc.xml")};
  });
  auto o = options_for(peer);
  o.gateway = asio::ip::make_address_v4("127.0.0.1");
  const auto start = std::chrono::steady_clock::now();
  auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(found.has_value());
  REQUIRE(found->devices.size() == 1);
  CHECK(found->devices[0].targets == std::vector<std::string>{std::string(ssdp::dslforum_igd1)});
  CHECK(found->devices[0].after >= 150ms);  // round 1: never in the first round, which stays IGD:1 alone
  for (unsigned i = 0; i < 2; ++i) CHECK(st_of(peer.requests()[i]) == std::string(ssdp::igd1));
  // The gateway's TR-064 answer waits the grace (100 ms) for a standard one, not the 1.5 s deadline.
  CHECK(took >= 240ms);
  CHECK(took < 1s);
}

TEST_CASE("ssdp discovery: the gateway's standard answer is preferred to its TR-064 one, and ends the wait") {
  asio::io_context io;
  // AVM's FRITZ!Box publishes both: an IGD and a TR-064 tree. This one is slow with the IGD: it answers
  // only round 2's ssdp:all, after its TR-064 answer to round 1.
  const std::string tr64 = "http://192.168.1.1:49000/tr64desc.xml";
  const std::string igd = "http://192.168.1.1:49000/igddesc.xml";
  std::string standard_location;
  test::udp_peer peer(io, [&](const test::bytes& req, unsigned) {
    if (st_of(req) == std::string(ssdp::dslforum_igd1)) {
      return std::vector<test::bytes>{answer(std::string(ssdp::dslforum_igd1), tr64)};
    }
    if (st_of(req) == "ssdp:all") return std::vector<test::bytes>{answer(std::string(ssdp::igd1), standard_location)};
    return std::vector<test::bytes>{};
  });
  auto o = options_for(peer);
  o.gateway = asio::ip::make_address_v4("127.0.0.1");
  o.grace = 1000ms;
  o.deadline = 2000ms;
  SUBCASE("the IGD at its own LOCATION") {
    standard_location = igd;
    const auto start = std::chrono::steady_clock::now();
    auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(found.has_value());
    REQUIRE(found->devices.size() == 2);
    CHECK(found->devices[0].response.location == tr64);
    CHECK(found->devices[1].response.location == igd);
    CHECK(took >= 500ms);  // round 2 is at ~550 ms
    CHECK(took < 1000ms);  // the grace would have ended at ~1150 ms
  }
  SUBCASE("one description answering both searches") {
    standard_location = tr64;
    const auto start = std::chrono::steady_clock::now();
    auto found = test::run(io, ssdp::async_discover(io.get_executor(), o, trust_all));
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(found.has_value());
    REQUIRE(found->devices.size() == 1);
    CHECK(found->devices[0].targets == std::vector<std::string>{std::string(ssdp::dslforum_igd1), std::string(ssdp::igd1)});
    CHECK(took < 1000ms);
  }
}
