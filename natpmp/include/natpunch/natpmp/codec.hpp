// NAT-PMP (RFC 6886) wire codec: sans-I/O, bytes in, values out. Both directions are here so that the
// gateway simulator and the round-trip fuzzer share the exact same encoding rules as the client.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <variant>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/ip_protocol.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/natpmp/error.hpp"

namespace natpunch::natpmp {

using core::byte_span;
using core::bytes;

inline constexpr std::uint16_t server_port = 5351;        // §3: requests go to the gateway on 5351
inline constexpr std::uint16_t announce_port = 5350;      // §3.2.1: unsolicited announcements
inline constexpr std::uint8_t version = 0;                // §3: NAT-PMP is version 0
inline constexpr std::uint8_t response_bit = 128;         // §3.2: response opcode = 128 + request opcode
inline constexpr std::uint32_t recommended_lifetime = 7200;  // §3.3: "SHOULD be 7200 seconds (two hours)"
inline constexpr std::size_t max_message_size = 1100;    // never read a datagram larger than PCP's maximum

enum class opcode : std::uint8_t { external_address = 0, map_udp = 1, map_tcp = 2 };

constexpr opcode map_opcode(core::ip_protocol p) noexcept {
  return p == core::ip_protocol::udp ? opcode::map_udp : opcode::map_tcp;
}

// §3.2 External address request (2 bytes):
//   0                   1
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | Vers = 0      | OP = 0        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
struct external_address_request {
  friend bool operator==(const external_address_request&, const external_address_request&) = default;
};

// §3.3 Map request (12 bytes):
//  | Vers = 0      | OP = x        | Reserved                      |
//  | Internal Port                 | Suggested External Port       |
//  | Requested Port Mapping Lifetime in Seconds                    |
// A delete is a map request with lifetime 0 and suggested external port 0 (§3.4); internal port 0
// with lifetime 0 deletes every mapping of the client for that protocol.
struct map_request {
  core::ip_protocol protocol = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::uint16_t suggested_external_port = 0;
  std::uint32_t lifetime = recommended_lifetime;
  friend bool operator==(const map_request&, const map_request&) = default;
};

using request = std::variant<external_address_request, map_request>;

// §3.2 External address response (12 bytes):
//  | Vers = 0      | OP = 128 + 0  | Result Code (net byte order)  |
//  | Seconds Since Start of Epoch (in network byte order)          |
//  | External IPv4 Address (a.b.c.d)                               |
struct external_address_response {
  result_code result = result_code::success;
  std::uint32_t epoch = 0;                       // seconds since start of epoch
  std::array<std::uint8_t, 4> external_address{};  // network order a.b.c.d
  friend bool operator==(const external_address_response&, const external_address_response&) = default;
};

// §3.3 Map response (16 bytes):
//  | Vers = 0      | OP = 128 + x  | Result Code                   |
//  | Seconds Since Start of Epoch                                  |
//  | Internal Port                 | Mapped External Port          |
//  | Port Mapping Lifetime in Seconds                              |
struct map_response {
  core::ip_protocol protocol = core::ip_protocol::tcp;
  result_code result = result_code::success;
  std::uint32_t epoch = 0;
  std::uint16_t internal_port = 0;
  std::uint16_t external_port = 0;
  std::uint32_t lifetime = 0;
  friend bool operator==(const map_response&, const map_response&) = default;
};

using response = std::variant<external_address_response, map_response>;

// Encoders. Requests are what a client sends; responses are what a gateway (our simulator) sends.
bytes encode(const external_address_request&);
bytes encode(const map_request&);
bytes encode(const request&);
bytes encode(const external_address_response&);
bytes encode(const map_response&);
bytes encode(const response&);

// Decodes a request as a gateway would (simulator, fuzzers). Exact sizes; version 0 only.
core::result<request> decode_request(byte_span data);

// Decodes a response with every check RFC 6886 asks of a client, except matching it to a request:
// version 0; the response bit set; a known opcode; exact length (12 / 16 bytes) on success. On a
// non-zero result code the fields after the epoch are undefined (§3.5), so 8 bytes are enough: a short
// failure has them zeroed, a full-size one keeps them (a map failure's internal port says which request
// failed). The result code is returned in the value, not as an error: the caller decides. Malformed
// input yields natpmp::errc.
core::result<response> decode_response(byte_span data);

// Checks that a decoded response answers `req`, then turns a non-zero result code into its error
// (natpmp::result_code category) and validates what a success carries:
//  - mismatch(req, resp) must be empty (errc::wrong_opcode, errc::internal_port_mismatch)
//  - for map: a successful
//    create must carry a non-zero external port and lifetime (errc::bad_mapping); a successful delete
//    (lifetime 0) must carry lifetime 0
//  - for external address: 0.0.0.0, loopback 127/8, multicast 224/4, broadcast 255.255.255.255 are
//    rejected (errc::bad_external_address)
// Returns ok or the first error.
core::result<void> check_answer(const request& req, const response& resp);

// Why `resp` cannot be the answer to `req`, or an empty code when it can: errc::wrong_opcode;
// errc::internal_port_mismatch for a map answer naming another internal port; errc::bad_mapping for a
// success whose lifetime is 0 to a create or non-zero to a delete (NAT-PMP has no transaction ID: that
// is the answer to the other kind of request). A client ignores such a datagram as stale and keeps
// waiting; if nothing better comes, the reason is its error.
std::error_code mismatch(const request& req, const response& resp) noexcept;
bool answers(const request& req, const response& resp) noexcept;  // !mismatch(req, resp)

// The epoch rule of §3.6: every response carries the gateway's seconds since start of epoch (SSSoE).
// On each response the client predicts the value conservatively as previous + 7/8 of its own elapsed
// time; a value more than 2 s below that prediction means the gateway lost its mapping state (reboot,
// or a change of external address), and every mapping must be renewed at once.
class epoch_tracker {
 public:
  using clock = std::chrono::steady_clock;
  // Records a response's epoch received at `now`; returns true when this observation shows that the
  // gateway lost its state since the previous one. The first observation never does.
  bool observe(std::uint32_t epoch, clock::time_point now) noexcept;
  [[nodiscard]] std::optional<std::uint32_t> last_epoch() const noexcept { return last_epoch_; }
  void reset() noexcept { last_epoch_.reset(); }

 private:
  std::optional<std::uint32_t> last_epoch_;
  clock::time_point last_time_{};
};

}  // namespace natpunch::natpmp
