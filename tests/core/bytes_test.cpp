#include <doctest/doctest.h>

#include "natpunch/core/bytes.hpp"

using natpunch::core::byte_reader;
using natpunch::core::byte_writer;
using natpunch::core::bytes;

TEST_CASE("core: byte_writer writes network order") {
  const bytes out = byte_writer().u8(0x01).u16(0x0203).u32(0x04050607).zeros(2).view();
  CHECK(out == bytes{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x00});
}

TEST_CASE("core: byte_reader reads what the writer wrote") {
  const bytes data = byte_writer().u8(0xfe).u16(0xbeef).u32(0xdeadbeef).view();
  byte_reader r(data);
  CHECK(r.u8() == 0xfe);
  CHECK(r.u16() == 0xbeef);
  CHECK(r.u32() == 0xdeadbeef);
  CHECK(r.ok());
  CHECK(r.at_end());
}

TEST_CASE("core: byte_reader latches failure past the end and reads nothing") {
  const bytes data{0x01, 0x02, 0x03};
  SUBCASE("u32 on three bytes") {
    byte_reader r(data);
    CHECK(r.u32() == 0);
    CHECK_FALSE(r.ok());
    CHECK(r.position() == 0);
  }
  SUBCASE("later reads stay failed even when bytes remain") {
    byte_reader r(data);
    (void)r.u16();
    CHECK(r.u16() == 0);
    CHECK_FALSE(r.ok());
    CHECK(r.u8() == 0);  // one byte remains, but the reader has failed
    CHECK_FALSE(r.ok());
  }
  SUBCASE("span and array") {
    byte_reader r(data);
    CHECK(r.span(4).empty());
    CHECK_FALSE(r.ok());
    byte_reader r2(data);
    const auto a = r2.array<4>();
    CHECK(a == std::array<std::uint8_t, 4>{0, 0, 0, 0});
    CHECK_FALSE(r2.ok());
  }
  SUBCASE("a huge length cannot wrap the bounds check") {
    byte_reader r(data);
    r.skip(1);
    CHECK(r.span(static_cast<std::size_t>(-1)).empty());
    CHECK_FALSE(r.ok());
  }
}
