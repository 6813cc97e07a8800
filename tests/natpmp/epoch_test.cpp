// The §3.6 epoch rule: lost state when epoch < previous + 7/8 × elapsed − 2 s. The boundaries below
// are computed by hand from that formula; "not lost" and "lost" sit one second apart on each side.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include "natpunch/natpmp/codec.hpp"

namespace natpmp = natpunch::natpmp;
using clock_type = natpmp::epoch_tracker::clock;
using namespace std::chrono_literals;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1000h;

// A tracker that has seen `epoch` at t0, then sees `next` `elapsed` later.
bool lost_after(std::uint32_t epoch, clock_type::duration elapsed, std::uint32_t next) {
  natpmp::epoch_tracker tracker;
  REQUIRE_FALSE(tracker.observe(epoch, t0));
  return tracker.observe(next, t0 + elapsed);
}

}  // namespace

TEST_CASE("natpmp: epoch first observation") {
  natpmp::epoch_tracker tracker;
  CHECK_FALSE(tracker.last_epoch().has_value());
  SUBCASE("never shows a loss, even at epoch 0") { CHECK_FALSE(tracker.observe(0, t0)); }
  SUBCASE("records the epoch") {
    CHECK_FALSE(tracker.observe(1234, t0));
    CHECK(tracker.last_epoch() == 1234u);
  }
  SUBCASE("after reset the next observation is a first one again") {
    CHECK_FALSE(tracker.observe(5000, t0));
    tracker.reset();
    CHECK_FALSE(tracker.last_epoch().has_value());
    CHECK_FALSE(tracker.observe(3, t0 + 1s));  // would be a loss without the reset
  }
}

TEST_CASE("natpmp: epoch normal progress") {
  CHECK_FALSE(lost_after(100, 10s, 110));
  CHECK_FALSE(lost_after(100, 0s, 100));      // a duplicate answer
  CHECK_FALSE(lost_after(100, 10s, 200));     // the gateway clock ran fast: never a loss
  CHECK_FALSE(lost_after(100, 1500ms, 101));  // the gateway counts whole seconds
  SUBCASE("a sequence of observations") {
    natpmp::epoch_tracker tracker;
    for (std::uint32_t i = 0; i < 100; ++i) CHECK_FALSE(tracker.observe(50 + 60 * i, t0 + 60s * i));
    CHECK(tracker.last_epoch() == 50u + 60u * 99u);
  }
}

TEST_CASE("natpmp: epoch boundary is 2 s below the prediction") {
  SUBCASE("8 s elapsed: predicted 1000 + 7 = 1007, so 1005 is the lowest accepted") {
    CHECK_FALSE(lost_after(1000, 8s, 1005));
    CHECK(lost_after(1000, 8s, 1004));
  }
  SUBCASE("no time elapsed: up to 2 s backwards is tolerated") {
    CHECK_FALSE(lost_after(1000, 0s, 998));
    CHECK(lost_after(1000, 0s, 997));
  }
  SUBCASE("1 s elapsed: predicted 100.875, so 98.875 is the limit") {
    CHECK_FALSE(lost_after(100, 1s, 99));
    CHECK(lost_after(100, 1s, 98));
  }
  SUBCASE("fractions of the elapsed time count: 8.5 s predicts 1007.4375") {
    CHECK_FALSE(lost_after(1000, 8500ms, 1006));
    CHECK(lost_after(1000, 8500ms, 1005));  // 1005 < 1005.4375
  }
}

TEST_CASE("natpmp: epoch going backwards shows lost state") {
  CHECK(lost_after(5000, 1s, 0));     // rebooted gateway restarts at 0
  CHECK(lost_after(5000, 1s, 10));    // and answered a few seconds later
  CHECK(lost_after(5000, 60s, 4990));
  SUBCASE("the new epoch becomes the baseline") {
    natpmp::epoch_tracker tracker;
    CHECK_FALSE(tracker.observe(5000, t0));
    CHECK(tracker.observe(3, t0 + 10s));
    CHECK(tracker.last_epoch() == 3u);
    CHECK_FALSE(tracker.observe(13, t0 + 20s));
  }
}

TEST_CASE("natpmp: epoch long gap uses the 7/8 tolerance") {
  // 1000 s elapsed: predicted previous + 875, limit previous + 873.
  CHECK_FALSE(lost_after(10'000, 1000s, 11'000));
  CHECK_FALSE(lost_after(10'000, 1000s, 10'876));
  CHECK_FALSE(lost_after(10'000, 1000s, 10'873));
  CHECK(lost_after(10'000, 1000s, 10'872));
  SUBCASE("a day asleep: 86400 s predicts +75600, limit +75598") {
    CHECK_FALSE(lost_after(0, 24h, 75'598));
    CHECK(lost_after(0, 24h, 75'597));
  }
}

TEST_CASE("natpmp: epoch arithmetic does not wrap") {
  constexpr std::uint32_t top = 0xffffffff;
  SUBCASE("epoch near 2^32: 0xfffffff0 + 8.75 - 2 = 0xfffffff6.75") {
    CHECK_FALSE(lost_after(0xfffffff0, 10s, 0xfffffff7));
    CHECK(lost_after(0xfffffff0, 10s, 0xfffffff6));
    CHECK_FALSE(lost_after(top, 0s, top));
    CHECK_FALSE(lost_after(top - 2, 0s, top));
  }
  SUBCASE("a 32-bit epoch that wraps to 0 reads as a reboot, not as progress") {
    CHECK(lost_after(top, 1s, 0));
  }
  SUBCASE("an elapsed time beyond 2^32 seconds predicts beyond any epoch") {
    CHECK(lost_after(0, std::chrono::seconds(std::int64_t{1} << 33), top));
  }
  SUBCASE("the extreme time points of the clock") {
    natpmp::epoch_tracker tracker;
    CHECK_FALSE(tracker.observe(0, clock_type::time_point::min()));
    CHECK(tracker.observe(top, clock_type::time_point::max()));
    CHECK_FALSE(tracker.observe(top, clock_type::time_point::max()));
  }
  SUBCASE("a time point earlier than the previous one counts as no time elapsed") {
    natpmp::epoch_tracker tracker;
    CHECK_FALSE(tracker.observe(1000, clock_type::time_point::max()));
    CHECK_FALSE(tracker.observe(998, clock_type::time_point::min()));
    CHECK(tracker.observe(995, clock_type::time_point::min()));
  }
}
