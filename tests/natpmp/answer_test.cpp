// Matching a decoded NAT-PMP response to the request it should answer: answers() for the transport
// (ignore stale datagrams) and check_answer() for the client (result codes and what a success carries).
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <system_error>
#include <vector>

#include "natpunch/natpmp/codec.hpp"

namespace natpmp = natpunch::natpmp;
using natpunch::core::ip_protocol;
using natpmp::errc;
using natpmp::result_code;

namespace {

const natpmp::request address_request{natpmp::external_address_request{}};
const natpmp::request udp_create{natpmp::map_request{ip_protocol::udp, 5000, 6000, 7200}};
const natpmp::request tcp_create{natpmp::map_request{ip_protocol::tcp, 5000, 6000, 7200}};
const natpmp::request udp_delete{natpmp::map_request{ip_protocol::udp, 5000, 0, 0}};

natpmp::response address_answer(std::array<std::uint8_t, 4> address) {
  return natpmp::external_address_response{result_code::success, 100, address};
}

natpmp::response map_answer(ip_protocol protocol, std::uint16_t internal, std::uint16_t external,
                            std::uint32_t lifetime) {
  return natpmp::map_response{protocol, result_code::success, 100, internal, external, lifetime};
}

}  // namespace

TEST_CASE("natpmp: answers matches the opcode family") {
  CHECK(natpmp::answers(address_request, address_answer({11, 0, 0, 5})));
  CHECK(natpmp::answers(udp_create, map_answer(ip_protocol::udp, 5000, 6000, 7200)));
  CHECK(natpmp::answers(tcp_create, map_answer(ip_protocol::tcp, 5000, 6000, 7200)));
  CHECK_FALSE(natpmp::answers(address_request, map_answer(ip_protocol::udp, 5000, 6000, 7200)));
  CHECK_FALSE(natpmp::answers(udp_create, address_answer({11, 0, 0, 5})));
  CHECK_FALSE(natpmp::answers(udp_create, map_answer(ip_protocol::tcp, 5000, 6000, 7200)));
  CHECK_FALSE(natpmp::answers(tcp_create, map_answer(ip_protocol::udp, 5000, 6000, 7200)));
  SUBCASE("a failure still answers its request, so the caller sees the result code") {
    CHECK(natpmp::answers(udp_create, natpmp::map_response{ip_protocol::udp, result_code::out_of_resources, 1}));
  }
}

TEST_CASE("natpmp: a map answer for another internal port answers another request") {
  // udp_create asks for internal port 5000.
  CHECK(natpmp::mismatch(udp_create, map_answer(ip_protocol::udp, 5001, 6000, 7200)) == errc::internal_port_mismatch);
  CHECK_FALSE(natpmp::answers(udp_create, map_answer(ip_protocol::udp, 5001, 6000, 7200)));
  SUBCASE("a full-size failure names its port and is matched by it") {
    CHECK(natpmp::answers(udp_create, natpmp::map_response{ip_protocol::udp, result_code::not_authorized, 1, 5000}));
    CHECK(natpmp::mismatch(udp_create, natpmp::map_response{ip_protocol::udp, result_code::not_authorized, 1, 5001}) ==
          errc::internal_port_mismatch);
  }
  SUBCASE("a short failure carries no port and still answers") {
    CHECK(natpmp::mismatch(udp_create, natpmp::map_response{ip_protocol::udp, result_code::not_authorized, 1, 0}) ==
          std::error_code{});
  }
  SUBCASE("a wrong opcode is named as such even when the port also differs") {
    CHECK(natpmp::mismatch(udp_create, map_answer(ip_protocol::tcp, 5001, 6000, 7200)) == errc::wrong_opcode);
  }
}

TEST_CASE("natpmp: a success with the other kind of lifetime answers the other kind of request") {
  // A renewal's late answer (lifetime > 0) is not the answer to a delete sent after it, and vice versa.
  CHECK(natpmp::mismatch(udp_delete, map_answer(ip_protocol::udp, 5000, 6000, 7200)) == errc::bad_mapping);
  CHECK(natpmp::mismatch(udp_create, map_answer(ip_protocol::udp, 5000, 0, 0)) == errc::bad_mapping);
  CHECK(natpmp::answers(udp_delete, map_answer(ip_protocol::udp, 5000, 0, 0)));
  SUBCASE("refusals carry no meaningful lifetime and still answer") {
    CHECK(natpmp::answers(udp_delete, natpmp::map_response{ip_protocol::udp, result_code::not_authorized, 1, 5000, 0, 9}));
  }
}

TEST_CASE("natpmp: check_answer rejects a response to another opcode") {
  CHECK(natpmp::check_answer(address_request, map_answer(ip_protocol::tcp, 5000, 6000, 7200)).error() ==
        errc::wrong_opcode);
  CHECK(natpmp::check_answer(udp_create, address_answer({11, 0, 0, 5})).error() == errc::wrong_opcode);
  CHECK(natpmp::check_answer(udp_create, map_answer(ip_protocol::tcp, 5000, 6000, 7200)).error() ==
        errc::wrong_opcode);
  SUBCASE("before looking at the result code") {
    const natpmp::response failure = natpmp::map_response{ip_protocol::tcp, result_code::not_authorized, 1};
    CHECK(natpmp::check_answer(udp_create, failure).error() == errc::wrong_opcode);
  }
}

TEST_CASE("natpmp: check_answer turns a failure result code into its error") {
  for (const std::uint16_t code : {1, 2, 3, 4, 5, 77}) {
    CAPTURE(code);
    const auto rc = static_cast<result_code>(code);
    const natpmp::response map_failure = natpmp::map_response{ip_protocol::udp, rc, 1};
    const natpmp::response address_failure = natpmp::external_address_response{rc, 1, {}};
    const std::error_code expected(code, natpmp::result_code_category());
    // The zeroed internal port of a failure is not compared: the result code is the answer.
    CHECK(natpmp::check_answer(udp_create, map_failure).error() == expected);
    CHECK(natpmp::check_answer(address_request, address_failure).error() == expected);
  }
  SUBCASE("an undefined code is a fatal error named by its number (§3.5)") {
    const natpmp::response resp = natpmp::map_response{ip_protocol::udp, static_cast<result_code>(77), 1};
    CHECK(natpmp::check_answer(udp_create, resp).error().message() == "unknown result code 77");
  }
  SUBCASE("the error compares equal to the enum") {
    const natpmp::response resp = natpmp::external_address_response{result_code::network_failure, 1, {}};
    CHECK(natpmp::check_answer(address_request, resp).error() == result_code::network_failure);
  }
}

TEST_CASE("natpmp: check_answer rejects a map response for another internal port") {
  CHECK(natpmp::check_answer(udp_create, map_answer(ip_protocol::udp, 5001, 6000, 7200)).error() ==
        errc::internal_port_mismatch);
  CHECK(natpmp::check_answer(udp_delete, map_answer(ip_protocol::udp, 0, 0, 0)).error() ==
        errc::internal_port_mismatch);
}

TEST_CASE("natpmp: check_answer validates the external address") {
  SUBCASE("unusable addresses") {
    const std::vector<std::array<std::uint8_t, 4>> bad{
        {0, 0, 0, 0}, {127, 0, 0, 1}, {127, 255, 255, 254}, {224, 0, 0, 1}, {239, 1, 2, 3}, {239, 255, 255, 255},
        {255, 255, 255, 255},
    };
    for (const auto& address : bad) {
      CAPTURE(static_cast<int>(address[0]));
      CHECK(natpmp::check_answer(address_request, address_answer(address)).error() == errc::bad_external_address);
    }
  }
  SUBCASE("usable addresses, including private ones behind a double NAT") {
    const std::vector<std::array<std::uint8_t, 4>> good{
        {11, 0, 0, 5}, {1, 1, 1, 1}, {10, 0, 0, 1}, {100, 64, 0, 1}, {192, 168, 1, 2}, {223, 255, 255, 255},
        {0, 0, 0, 1}, {126, 255, 255, 255}, {128, 0, 0, 1}, {240, 0, 0, 1}, {255, 255, 255, 254},
    };
    for (const auto& address : good) {
      CAPTURE(static_cast<int>(address[0]));
      CHECK(natpmp::check_answer(address_request, address_answer(address)).has_value());
    }
  }
}

TEST_CASE("natpmp: check_answer validates a created mapping") {
  SUBCASE("a complete success") {
    CHECK(natpmp::check_answer(udp_create, map_answer(ip_protocol::udp, 5000, 6000, 7200)).has_value());
  }
  SUBCASE("the gateway may pick another port and a shorter lifetime") {
    CHECK(natpmp::check_answer(tcp_create, map_answer(ip_protocol::tcp, 5000, 40000, 60)).has_value());
  }
  SUBCASE("external port 0") {
    CHECK(natpmp::check_answer(udp_create, map_answer(ip_protocol::udp, 5000, 0, 7200)).error() ==
          errc::bad_mapping);
  }
  SUBCASE("lifetime 0") {
    CHECK(natpmp::check_answer(udp_create, map_answer(ip_protocol::udp, 5000, 6000, 0)).error() ==
          errc::bad_mapping);
  }
}

TEST_CASE("natpmp: check_answer validates a deleted mapping") {
  SUBCASE("lifetime 0 and external port 0 (§3.4)") {
    CHECK(natpmp::check_answer(udp_delete, map_answer(ip_protocol::udp, 5000, 0, 0)).has_value());
  }
  SUBCASE("lifetime 0 with a leftover external port is still a delete") {
    CHECK(natpmp::check_answer(udp_delete, map_answer(ip_protocol::udp, 5000, 6000, 0)).has_value());
  }
  SUBCASE("a delete that kept a lifetime") {
    CHECK(natpmp::check_answer(udp_delete, map_answer(ip_protocol::udp, 5000, 6000, 7200)).error() ==
          errc::bad_mapping);
  }
  SUBCASE("delete all mappings of the client (internal port 0)") {
    const natpmp::request all{natpmp::map_request{ip_protocol::tcp, 0, 0, 0}};
    CHECK(natpmp::check_answer(all, map_answer(ip_protocol::tcp, 0, 0, 0)).has_value());
  }
}
