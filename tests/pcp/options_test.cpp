// PCP options (RFC 6887 §7.3 framing, §13 THIRD_PARTY / PREFER_FAILURE / FILTER): exact bytes, padding,
// unknown options, and every way an option list can be malformed.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "wire.hpp"

using namespace pcp_test;
using pcp::errc;

namespace {

pcp::request map_with(std::vector<pcp::option> options) {
  pcp::request r = map_request_v4_value();
  r.options = std::move(options);
  return r;
}

pcp::response map_response_with(std::vector<pcp::option> options) {
  pcp::response r = map_response_v4_value();
  r.options = std::move(options);
  return r;
}

// A FILTER option's bytes with the given prefix length and remote address.
bytes filter_bytes(std::uint8_t prefix_length, const bytes& remote) {
  return cat({{0x03, 0x00, 0x00, 0x14, 0x00, prefix_length, 0x00, 0x00}, remote});
}

}  // namespace

TEST_CASE("pcp: each option's bytes") {
  SUBCASE("THIRD_PARTY (16 bytes)") {
    CHECK(pcp::encode(map_with({third_party_value()})) == cat({map_request_v4, third_party_option}));
  }
  SUBCASE("PREFER_FAILURE (no data)") {
    CHECK(pcp::encode(map_with({pcp::prefer_failure_option{}})) == cat({map_request_v4, prefer_failure_option}));
  }
  SUBCASE("FILTER (20 bytes)") {
    CHECK(pcp::encode(map_with({filter_value()})) == cat({map_request_v4, filter_option}));
  }
  SUBCASE("an unknown option keeps its code and data, padded with zeros") {
    CHECK(pcp::encode(map_response_with({unknown_5_value()})) == cat({map_response_v4, unknown_option_5}));
  }
  SUBCASE("several options, in order") {
    const bytes wire = cat({map_request_v4, prefer_failure_option, filter_option, filter_option, third_party_option});
    const pcp::request req =
        map_with({pcp::prefer_failure_option{}, filter_value(), filter_value(), third_party_value()});
    CHECK(pcp::encode(req) == wire);
    const auto decoded = pcp::decode_request(wire);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == req);
  }
}

TEST_CASE("pcp: options decode in requests and responses") {
  for (const bytes& option : {third_party_option, prefer_failure_option, filter_option}) {
    const auto req = pcp::decode_request(cat({map_request_v4, option}));
    REQUIRE(req.has_value());
    REQUIRE(req->options.size() == 1);
    const auto resp = pcp::decode_response(cat({map_response_v4, option}));
    REQUIRE(resp.has_value());
    REQUIRE(resp->options.size() == 1);
    CHECK(resp->options == req->options);
  }
  CHECK(pcp::decode_request(cat({map_request_v4, filter_option}))->options.front() == filter_value());
  CHECK(pcp::decode_request(cat({map_request_v4, third_party_option}))->options.front() == third_party_value());
  SUBCASE("on an ANNOUNCE and after a PEER body") {
    CHECK(pcp::decode_response(cat({announce_response, prefer_failure_option}))->options.size() == 1);
    CHECK(pcp::decode_response(cat({peer_response, third_party_option}))->options.front() == third_party_value());
  }
  SUBCASE("on an error response: after the copied body; without one, what follows the header is a body") {
    const auto r = pcp::decode_response(cat({map_error_with_body, third_party_option}));
    REQUIRE(r.has_value());
    CHECK(r->payload == pcp::body{map_body_v4()});
    CHECK(r->options.size() == 1);
    CHECK(pcp::decode_response(cat({map_error_without_body, third_party_option})).error() == errc::truncated_body);
  }
}

TEST_CASE("pcp: an unknown option in a response is skipped and kept") {
  SUBCASE("optional (128-255), with padding") {
    const auto r = pcp::decode_response(cat({map_response_v4, unknown_option_5, prefer_failure_option}));
    REQUIRE(r.has_value());
    REQUIRE(r->options.size() == 2);
    CHECK(r->options[0] == unknown_5_value());
    CHECK(std::holds_alternative<pcp::prefer_failure_option>(r->options[1]));
  }
  SUBCASE("mandatory (0-127) codes we do not know are kept too: the server processed them") {
    const auto r = pcp::decode_response(cat({map_response_v4, {0x64, 0x00, 0x00, 0x04, 9, 8, 7, 6}}));
    REQUIRE(r.has_value());
    CHECK(r->options.front() == pcp::option{pcp::unknown_option{100, {9, 8, 7, 6}}});
  }
  SUBCASE("every padding length, and no data") {
    for (std::size_t length = 0; length <= 8; ++length) {
      CAPTURE(length);
      const pcp::unknown_option u{0xfe, bytes(length, 0x5a)};
      const bytes wire = pcp::encode(map_response_with({u}));
      CHECK(wire.size() == 60 + 4 + (length + 3) / 4 * 4);
      CHECK(wire[62] == 0);
      CHECK(wire[63] == length);
      const auto back = pcp::decode_response(wire);
      REQUIRE(back.has_value());
      CHECK(back->options.front() == pcp::option{u});
    }
  }
  SUBCASE("option code 0 is just another unknown code") {
    const auto r = pcp::decode_response(cat({map_response_v4, {0, 0, 0, 0}}));
    REQUIRE(r.has_value());
    CHECK(r->options.front() == pcp::option{pcp::unknown_option{0, {}}});
  }
}

TEST_CASE("pcp: an option running past the end of the message") {
  for (const std::uint16_t length : {1, 4, 5, 16, 17, 0xffff}) {
    CAPTURE(length);
    // Unknown code, then only 4 data bytes on the wire.
    const auto high = static_cast<std::uint8_t>(length >> 8);
    const auto low = static_cast<std::uint8_t>(length);
    const bytes option{0xc8, 0x00, high, low, 1, 2, 3, 4};
    const bool fits = length <= 4;
    CHECK(pcp::decode_response(cat({map_response_v4, option})).has_value() == fits);
    if (!fits) {
      CHECK(pcp::decode_response(cat({map_response_v4, option})).error() == errc::option_overflow);
      CHECK(pcp::decode_request(cat({map_request_v4, option})).error() == errc::option_overflow);
    }
  }
  SUBCASE("a known option cut short") {
    CHECK(pcp::decode_response(cat({map_response_v4, prefix(filter_option, 12)})).error() == errc::option_overflow);
    CHECK(pcp::decode_response(cat({map_response_v4, prefix(third_party_option, 16)})).error() ==
          errc::option_overflow);
  }
}

TEST_CASE("pcp: a known option with the wrong length") {
  const auto with_length = [](std::uint8_t code, std::uint8_t length) {
    const std::size_t padded = (length + 3u) / 4u * 4u;
    return cat({{code, 0x00, 0x00, length}, bytes(padded, 0)});
  };
  for (const std::uint8_t length : {0, 4, 12, 15, 17, 20}) {
    CAPTURE(int{length});
    CHECK(pcp::decode_response(cat({map_response_v4, with_length(1, length)})).error() == errc::option_length);
    CHECK(pcp::decode_request(cat({map_request_v4, with_length(1, length)})).error() == errc::option_length);
  }
  for (const std::uint8_t length : {1, 4, 20}) {
    CHECK(pcp::decode_response(cat({map_response_v4, with_length(2, length)})).error() == errc::option_length);
  }
  for (const std::uint8_t length : {0, 16, 19, 21, 24}) {
    CHECK(pcp::decode_response(cat({map_response_v4, with_length(3, length)})).error() == errc::option_length);
  }
}

TEST_CASE("pcp: too many options") {
  const auto with_n = [](const bytes& message, std::size_t n) {
    bytes out = message;
    for (std::size_t i = 0; i < n; ++i) {
      out.insert(out.end(), prefer_failure_option.begin(), prefer_failure_option.end());
    }
    return out;
  };
  CHECK(pcp::decode_response(with_n(map_response_v4, 16))->options.size() == 16);
  CHECK(pcp::decode_response(with_n(map_response_v4, 17)).error() == errc::too_many_options);
  CHECK(pcp::decode_request(with_n(map_request_v4, 16))->options.size() == 16);
  CHECK(pcp::decode_request(with_n(map_request_v4, 17)).error() == errc::too_many_options);
  SUBCASE("the limit is the caller's") {
    const pcp::limits two{1100, 2};
    CHECK(pcp::decode_response(with_n(map_response_v4, 2), two).has_value());
    CHECK(pcp::decode_response(with_n(map_response_v4, 3), two).error() == errc::too_many_options);
    const pcp::limits none{1100, 0};
    CHECK(pcp::decode_response(map_response_v4, none).has_value());
    CHECK(pcp::decode_response(with_n(map_response_v4, 1), none).error() == errc::too_many_options);
  }
}

TEST_CASE("pcp: option reserved bytes and padding") {
  bytes reserved = cat({map_request_v4, filter_option});
  reserved[61] = 1;  // the option header's reserved byte
  bytes filter_reserved = cat({map_request_v4, filter_option});
  filter_reserved[64] = 1;  // FILTER's own reserved byte
  bytes padding = cat({map_request_v4, unknown_option_5});
  padding[71] = 0xff;  // the last padding byte
  SUBCASE("a request must carry zeros") {
    CHECK(pcp::decode_request(reserved).error() == errc::bad_request);
    CHECK(pcp::decode_request(filter_reserved).error() == errc::bad_request);
    CHECK(pcp::decode_request(padding).error() == errc::bad_request);
  }
  SUBCASE("a response's are ignored, and re-encoded as zeros") {
    for (bytes wire : {reserved, filter_reserved, padding}) {
      wire[1] = 0x81;
      wire[3] = 0;
      const auto r = pcp::decode_response(wire);
      REQUIRE(r.has_value());
      CHECK(r->options.size() == 1);
    }
  }
}

TEST_CASE("pcp: FILTER prefix length (§13.3)") {
  const auto decode = [](std::uint8_t prefix_length, const bytes& remote) {
    return pcp::decode_request(cat({map_request_v4, filter_bytes(prefix_length, remote)}));
  };
  SUBCASE("IPv6: 0 to 128") {
    CHECK(decode(0, client_v6).has_value());  // 0: no filter, clears the others
    CHECK(decode(64, client_v6).has_value());
    CHECK(decode(128, client_v6).has_value());
    CHECK(decode(129, client_v6).error() == errc::bad_filter);
    CHECK(decode(255, client_v6).error() == errc::bad_filter);
    CHECK(decode(0, any_v6).has_value());
  }
  SUBCASE("IPv4-mapped: 96 + the IPv4 prefix, so 96 to 128") {
    CHECK(decode(96, remote_v4).has_value());
    CHECK(decode(120, remote_v4).has_value());
    CHECK(decode(128, remote_v4).has_value());
    CHECK(decode(95, remote_v4).error() == errc::bad_filter);
    CHECK(decode(24, remote_v4).error() == errc::bad_filter);  // an IPv4 prefix length without the 96
    CHECK(decode(0, any_v4).error() == errc::bad_filter);
    CHECK(decode(129, remote_v4).error() == errc::bad_filter);
  }
  SUBCASE("a response is not judged: it is what the server says it applied") {
    bytes wire = cat({map_response_v4, filter_bytes(200, remote_v4)});
    const auto r = pcp::decode_response(wire);
    REQUIRE(r.has_value());
    CHECK(std::get<pcp::filter_option>(r->options.front()).prefix_length == 200);
  }
}

TEST_CASE("pcp: an option too long for the length field is a programming error") {
  pcp::response resp = map_response_v4_value();
  resp.options.push_back(pcp::unknown_option{200, bytes(0x10000, 0)});
  CHECK_THROWS_AS((void)pcp::encode(resp), std::length_error);
  resp.options.back() = pcp::unknown_option{200, bytes(0xffff, 0)};
  CHECK(pcp::encode(resp).size() == 60 + 4 + 0x10000);
}
