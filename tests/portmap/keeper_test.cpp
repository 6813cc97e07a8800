// The keeper's timing (renewal_schedule), on a manual clock: no sleeps.
#include <doctest/doctest.h>

#include "natpunch/portmap/keeper.hpp"

using namespace natpunch::portmap;
using namespace std::chrono_literals;
using time_point = renewal_schedule::time_point;

namespace {
const time_point t0{std::chrono::hours(1000)};
}

TEST_CASE("keeper: renews at half the granted lifetime, at least a second on") {
  renewal_schedule s;
  s.granted(t0, 7200);
  CHECK(s.next() == t0 + 3600s);
  s.granted(t0, 1);
  CHECK(s.next() == t0 + 1s);
  s.granted(t0, 3);
  CHECK(s.next() == t0 + 1s);
}

TEST_CASE("keeper: a permanent UPnP lease is added again every ten minutes") {
  renewal_schedule s;
  s.granted(t0, 0);
  CHECK(s.next() == t0 + 600s);
}

TEST_CASE("keeper: failed renewals back off 2, 4, 8 ... s, at most a minute, and a grant resets it") {
  renewal_schedule s;
  s.granted(t0, 600);
  std::vector<long> waits;
  auto now = t0;
  for (int i = 0; i < 8; ++i) {
    const auto w = s.failed(now);
    waits.push_back(static_cast<long>(w.count()));
    CHECK(s.next() == now + w);
    now += w;
  }
  CHECK(waits == std::vector<long>{2, 4, 8, 16, 32, 60, 60, 60});
  s.granted(now, 600);
  CHECK(s.failed(now) == 2s);
}

TEST_CASE("keeper: an announcement brings the renewal forward, never closer than a second after the last") {
  renewal_schedule s;
  s.started(t0);
  s.granted(t0, 7200);
  SUBCASE("a hint at once: one second after the last renewal started") {
    s.hint(t0 + 100ms);
    CHECK(s.next() == t0 + 1s);
  }
  SUBCASE("a later hint (PCP's random 0-5 s): at that time") {
    s.hint(t0 + 4s);
    CHECK(s.next() == t0 + 4s);
  }
  SUBCASE("of several hints, the earliest counts") {
    s.hint(t0 + 4s);
    s.hint(t0 + 3s);
    s.hint(t0 + 5s);
    CHECK(s.next() == t0 + 3s);
  }
  SUBCASE("a hint later than the schedule changes nothing") {
    s.hint(t0 + 5000s);
    CHECK(s.next() == t0 + 3600s);
  }
  SUBCASE("a flood of hints: the renewal that starts answers them all") {
    for (int i = 0; i < 1000; ++i) s.hint(t0 + std::chrono::milliseconds(i));
    CHECK(s.next() == t0 + 1s);
    s.started(t0 + 1s);
    s.granted(t0 + 1s, 7200);
    CHECK(s.next() == t0 + 1s + 3600s);
  }
}

TEST_CASE("keeper: event names as the CLI prints them") {
  CHECK(to_string(event_kind::gateway_lost_state) == "gateway_lost_state");
  CHECK(to_string(event_kind::external_ip_changed) == "external_ip_changed");
  CHECK(to_string(event_kind::removed) == "removed");
}
