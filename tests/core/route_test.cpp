#include <doctest/doctest.h>

#include <bit>
#include <string>

#include "natpunch/core/route.hpp"

using namespace natpunch::core;

namespace {
// A real /proc/net/route of a Debian 12 laptop on Wi-Fi with a docker bridge (x86_64, little-endian):
// default via 192.168.86.1 on wlp2s0, metric 600.
constexpr const char* laptop_route =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "wlp2s0\t00000000\t0156A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
    "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "wlp2s0\t0056A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n";
}  // namespace

TEST_CASE("core: parse /proc/net/route") {
  auto routes = parse_proc_net_route(laptop_route);
  REQUIRE(routes.has_value());
  REQUIRE(routes->size() == 3);
  const route_v4& d = (*routes)[0];
  CHECK(d.interface == "wlp2s0");
  CHECK(d.metric == 600);
  CHECK(d.flags == (rtf_up | rtf_gateway));
  const auto best = pick_default_route(*routes);
  REQUIRE(best.has_value());
  // The kernel prints native-endian integers; this test's fixture is little-endian.
  if constexpr (std::endian::native == std::endian::little) {
    CHECK(best->gateway == std::array<std::uint8_t, 4>{192, 168, 86, 1});
  }
}

TEST_CASE("core: the default route with the lowest metric wins") {
  const std::string text = std::string("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n") +
                           "eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\n" +
                           "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t50\t00000000\n" +
                           "down0\t00000000\t0102A8C0\t0002\t0\t0\t1\t00000000\n";  // not up
  auto routes = parse_proc_net_route(text);
  REQUIRE(routes.has_value());
  const auto best = pick_default_route(*routes);
  REQUIRE(best.has_value());
  CHECK(best->interface == "wlan0");
}

TEST_CASE("core: no default route is reported as such") {
  const std::string text = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
                           "eth0\t0056A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
  auto routes = parse_proc_net_route(text);
  REQUIRE(routes.has_value());
  CHECK_FALSE(pick_default_route(*routes).has_value());
}

TEST_CASE("core: a namespace with nothing up prints an empty route table: no default route, not malformed") {
  auto routes = parse_proc_net_route("");
  REQUIRE(routes.has_value());
  CHECK(routes->empty());
  CHECK_FALSE(pick_default_route(*routes).has_value());
}

TEST_CASE("core: malformed routing tables are rejected") {
  const std::string header = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n";
  SUBCASE("no header") { CHECK(parse_proc_net_route("eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\n").error() == route_errc::malformed); }
  SUBCASE("short address") { CHECK(parse_proc_net_route(header + "eth0\t0000\t0100000A\t0003\t0\t0\t0\t00000000\n").error() == route_errc::malformed); }
  SUBCASE("too few fields") { CHECK(parse_proc_net_route(header + "eth0\t00000000\t0100000A\n").error() == route_errc::malformed); }
  SUBCASE("hex metric") { CHECK(parse_proc_net_route(header + "eth0\t00000000\t0100000A\t0003\t0\t0\tZZ\t00000000\n").error() == route_errc::malformed); }
  SUBCASE("interface name too long") {
    CHECK(parse_proc_net_route(header + "abcdefghijklmnop\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\n").error() ==
          route_errc::malformed);
  }
  SUBCASE("too many rows") {
    std::string text = header;
    for (int i = 0; i < 5; ++i) text += "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\n";
    CHECK(parse_proc_net_route(text, route_limits{4, 15}).error() == route_errc::too_many_routes);
    CHECK(parse_proc_net_route(text, route_limits{5, 15}).has_value());
  }
}

TEST_CASE("core: parse /proc/net/ipv6_route") {
  const std::string text =
      "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 "
      "00000100 00000001 00000000 00000001     eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 "
      "00000400 00000002 00000000 00000003     eth0\n";
  auto routes = parse_proc_net_ipv6_route(text);
  REQUIRE(routes.has_value());
  REQUIRE(routes->size() == 2);
  const auto best = pick_default_route(*routes);
  REQUIRE(best.has_value());
  CHECK(best->metric == 0x400);
  CHECK(best->next_hop[0] == 0xfe);
  CHECK(best->next_hop[15] == 0x01);
  CHECK(parse_proc_net_ipv6_route("00 00 00\n").error() == route_errc::malformed);
  CHECK(parse_proc_net_ipv6_route(
            "00000000000000000000000000000000 ff 00000000000000000000000000000000 00 "
            "fe800000000000000000000000000001 00000400 00000002 00000000 00000003 eth0\n")
            .error() == route_errc::malformed);  // prefix length 255 > 128
}
