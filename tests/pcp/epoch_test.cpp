// The §8.5 epoch rule, client side. With c = client seconds elapsed and s = server epoch delta:
//   invalid when s < -1 (time went backwards by more than a second),
//   or c + 2 < s − s/16 (the server's clock ran ahead), or s + 2 < c − c/16 (it fell behind).
// Every boundary below is computed by hand from those inequalities; "valid" and "invalid" sit one
// unit (1 ms of client time or 1 s of epoch) apart on each side.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include "natpunch/pcp/codec.hpp"

namespace pcp = natpunch::pcp;
using clock_type = pcp::epoch_tracker::clock;
using namespace std::chrono_literals;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1000h;

// A tracker that has seen `epoch` at t0 sees `next` `elapsed` later: does it say the state was lost?
bool lost_after(std::uint32_t epoch, clock_type::duration elapsed, std::uint32_t next) {
  pcp::epoch_tracker tracker;
  REQUIRE_FALSE(tracker.observe(epoch, t0));
  return tracker.observe(next, t0 + elapsed);
}

}  // namespace

TEST_CASE("pcp: epoch first observation is valid") {
  pcp::epoch_tracker tracker;
  CHECK_FALSE(tracker.last_epoch().has_value());
  SUBCASE("at 0") { CHECK_FALSE(tracker.observe(0, t0)); }
  SUBCASE("at the top") { CHECK_FALSE(tracker.observe(0xffffffff, t0)); }
  SUBCASE("and is recorded") {
    CHECK_FALSE(tracker.observe(1234, t0));
    CHECK(tracker.last_epoch() == 1234u);
  }
}

TEST_CASE("pcp: epoch normal progress") {
  CHECK_FALSE(lost_after(100, 10s, 110));
  CHECK_FALSE(lost_after(100, 0s, 100));  // a duplicate answer
  CHECK_FALSE(lost_after(100, 1500ms, 101));
  SUBCASE("a sequence of observations a minute apart") {
    pcp::epoch_tracker tracker;
    for (std::uint32_t i = 0; i < 100; ++i) CHECK_FALSE(tracker.observe(50 + 60 * i, t0 + 60s * i));
    CHECK(tracker.last_epoch() == 50u + 60u * 99u);
  }
}

TEST_CASE("pcp: epoch going backwards") {
  SUBCASE("by exactly one second is valid (reordered answers)") {
    CHECK_FALSE(lost_after(1000, 0s, 999));
    CHECK_FALSE(lost_after(1000, 1s, 999));
  }
  SUBCASE("by more is invalid") {
    CHECK(lost_after(1000, 0s, 998));
    CHECK(lost_after(1000, 1s, 998));
    CHECK(lost_after(5000, 60s, 0));  // a rebooted server restarts at 0
    CHECK(lost_after(5000, 1h, 4000));
  }
  SUBCASE("one second back, then the client's time decides (s = -1: 16000 < 15c, c > 1066.67 ms)") {
    CHECK_FALSE(lost_after(1000, 1066ms, 999));
    CHECK(lost_after(1000, 1067ms, 999));
  }
}

TEST_CASE("pcp: epoch server ran ahead (c + 2 < s - s/16, i.e. 16(c_ms + 2000) < 15000 s)") {
  SUBCASE("no client time: s = 2 valid, s = 3 invalid (limit 2.13)") {
    CHECK_FALSE(lost_after(1000, 0s, 1002));
    CHECK(lost_after(1000, 0s, 1003));
  }
  SUBCASE("exact equality is valid: c = 13 s, s = 16 gives 15 < 15") {
    CHECK_FALSE(lost_after(1000, 13000ms, 1016));
    CHECK(lost_after(1000, 12999ms, 1016));
    CHECK(lost_after(1000, 13000ms, 1017));
  }
  SUBCASE("a day: c = 86400 s allows s up to 92162 (limit 92162.13)") {
    CHECK_FALSE(lost_after(0, 24h, 92162));
    CHECK(lost_after(0, 24h, 92163));
  }
}

TEST_CASE("pcp: epoch server fell behind (s + 2 < c - c/16, i.e. 16000(s + 2) < 15 c_ms)") {
  SUBCASE("s = 0: c up to 2133 ms (limit 2133.33)") {
    CHECK_FALSE(lost_after(1000, 2133ms, 1000));
    CHECK(lost_after(1000, 2134ms, 1000));
  }
  SUBCASE("exact equality is valid: s = 13, c = 16 s gives 15 < 15") {
    CHECK_FALSE(lost_after(1000, 16000ms, 1013));
    CHECK(lost_after(1000, 16001ms, 1013));
    CHECK(lost_after(1000, 16000ms, 1012));
  }
  SUBCASE("a day: c = 86400 s needs s at least 80998") {
    CHECK_FALSE(lost_after(0, 24h, 80998));
    CHECK(lost_after(0, 24h, 80997));
  }
  SUBCASE("a server that restarted long ago and answers with a small epoch") {
    CHECK(lost_after(100, 1h, 200));
  }
}

TEST_CASE("pcp: epoch records the new values in every case") {
  pcp::epoch_tracker tracker;
  CHECK_FALSE(tracker.observe(5000, t0));
  CHECK(tracker.observe(3, t0 + 10s));  // invalid, and now the baseline
  CHECK(tracker.last_epoch() == 3u);
  CHECK_FALSE(tracker.observe(13, t0 + 20s));
  CHECK(tracker.observe(13 + 100, t0 + 30s));  // ran ahead: invalid, baseline again
  CHECK_FALSE(tracker.observe(123, t0 + 40s));
  CHECK(tracker.last_epoch() == 123u);
}

TEST_CASE("pcp: epoch arithmetic at the extremes") {
  constexpr std::uint32_t top = 0xffffffff;
  SUBCASE("the whole epoch range at once") {
    CHECK(lost_after(0, 0s, top));    // ran ahead by 2^32 - 1 s
    CHECK(lost_after(top, 0s, 0));    // backwards by 2^32 - 1 s: a 32-bit wrap is a reset
    CHECK(lost_after(top, 1s, 0));
    CHECK_FALSE(lost_after(top, 0s, top - 1));
    CHECK(lost_after(top, 0s, top - 2));
    CHECK_FALSE(lost_after(top - 1, 1s, top));
  }
  SUBCASE("2^32 - 1 seconds on both sides is valid") {
    CHECK_FALSE(lost_after(0, std::chrono::seconds(top), top));
    CHECK(lost_after(0, std::chrono::seconds(top) / 2, top));
  }
  SUBCASE("an elapsed time beyond any epoch") {
    CHECK(lost_after(0, std::chrono::seconds(std::int64_t{1} << 33), top));
  }
  SUBCASE("the extreme time points of the clock") {
    pcp::epoch_tracker tracker;
    CHECK_FALSE(tracker.observe(0, clock_type::time_point::min()));
    CHECK(tracker.observe(top, clock_type::time_point::max()));  // ~584 years for 2^32 s: fell behind
    CHECK_FALSE(tracker.observe(top, clock_type::time_point::max()));
  }
  SUBCASE("a time point earlier than the previous one counts as no time elapsed") {
    pcp::epoch_tracker tracker;
    CHECK_FALSE(tracker.observe(1000, clock_type::time_point::max()));
    CHECK_FALSE(tracker.observe(1002, clock_type::time_point::min()));
    CHECK(tracker.observe(1005, clock_type::time_point::min()));
  }
}
