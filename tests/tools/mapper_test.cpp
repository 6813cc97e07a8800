#include <doctest/doctest.h>

#include "mapper.hpp"

using namespace natpunch::cli;

TEST_CASE("cli: PCP nonces round-trip through hex") {
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
