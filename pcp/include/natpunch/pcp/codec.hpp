// PCP (RFC 6887) wire codec: sans-I/O, bytes in, values out, both directions (the client encodes
// requests and decodes responses; the simulator and the round-trip fuzzers do the reverse).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/ip_protocol.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/pcp/error.hpp"

namespace natpunch::pcp {

using core::byte_span;
using core::bytes;

inline constexpr std::uint8_t version = 2;             // §7: this document's version
inline constexpr std::uint16_t server_port = 5351;     // §7: requests go to the server on 5351
inline constexpr std::uint16_t client_port = 5350;     // §8.1: unsolicited ANNOUNCE to 224.0.0.1 / ff02::1
inline constexpr std::uint8_t response_bit = 0x80;     // §7.1/7.2: the R bit
inline constexpr std::size_t header_size = 24;          // §7.1 / §7.2
inline constexpr std::size_t map_body_size = 36;        // §11.1
inline constexpr std::size_t peer_body_size = 56;       // §12.1
inline constexpr std::size_t option_header_size = 4;    // §7.3

// Limits on what we accept. One struct, with why.
struct limits {
  std::size_t max_message_size = 1100;  // §7: "MUST NOT exceed 1100 octets"
  // A response carries the options the server processed; 16 is generous (we send at most a few).
  std::size_t max_options = 16;
};

enum class opcode : std::uint8_t { announce = 0, map = 1, peer = 2 };

// IANA protocol numbers (§11.1: the Protocol field); 0 means all protocols.
inline constexpr std::uint8_t protocol_all = 0;
inline constexpr std::uint8_t protocol_tcp = 6;
inline constexpr std::uint8_t protocol_udp = 17;
constexpr std::uint8_t protocol_number(core::ip_protocol p) noexcept {
  return p == core::ip_protocol::tcp ? protocol_tcp : protocol_udp;
}

// §5: every address is 128 bits; IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d).
using address = std::array<std::uint8_t, 16>;
address ipv4_mapped(std::array<std::uint8_t, 4> v4) noexcept;
bool is_ipv4_mapped(const address& a) noexcept;     // checks all of the first 96 bits (§5)
bool is_unspecified(const address& a) noexcept;     // :: or ::ffff:0.0.0.0 (§5: both mean "any")
using nonce = std::array<std::uint8_t, 12>;

// §7.3 option header:
//  | Option Code   |  Reserved     |       Option Length           |
//  :                       (optional) data                         :
// Option Length counts the data only; data is padded to a multiple of 4 on the wire.
enum class option_code : std::uint8_t { third_party = 1, prefer_failure = 2, filter = 3 };

// §13.1 THIRD_PARTY (16 bytes): the internal address the mapping is for.
struct third_party_option {
  address internal_address{};
  friend bool operator==(const third_party_option&, const third_party_option&) = default;
};
// §13.2 PREFER_FAILURE (0 bytes): fail rather than map another external port or address.
struct prefer_failure_option {
  friend bool operator==(const prefer_failure_option&, const prefer_failure_option&) = default;
};
// §13.3 FILTER (20 bytes):
//  |    Reserved   | Prefix Length |      Remote Peer Port         |
//  |               Remote Peer IP address (128 bits)               |
// Prefix length counts within the 128-bit field (for IPv4-mapped, 96 + the IPv4 prefix); 0 clears filters.
struct filter_option {
  std::uint8_t prefix_length = 0;
  std::uint16_t remote_port = 0;  // 0: any port
  address remote_address{};
  friend bool operator==(const filter_option&, const filter_option&) = default;
};
// Any other option in a response: §7.3 asks a client to skip what it does not understand. Kept as data
// so that decode→encode is exact.
struct unknown_option {
  std::uint8_t code = 0;
  bytes data;  // exactly Option Length bytes (the padding is not kept)
  friend bool operator==(const unknown_option&, const unknown_option&) = default;
};
using option = std::variant<third_party_option, prefer_failure_option, filter_option, unknown_option>;

// §11.1 MAP request body / §11.2 MAP response body (36 bytes):
//  |                 Mapping Nonce (96 bits)                       |
//  |   Protocol    |          Reserved (24 bits)                   |
//  |        Internal Port          |  Suggested/Assigned Ext. Port |
//  |    Suggested/Assigned External IP Address (128 bits)          |
struct map_body {
  nonce mapping_nonce{};
  std::uint8_t protocol = protocol_tcp;
  std::uint16_t internal_port = 0;
  std::uint16_t external_port = 0;   // suggested (request) or assigned (response)
  address external_address{};        // suggested (request, :: for any) or assigned (response)
  friend bool operator==(const map_body&, const map_body&) = default;
};

// §12.1/§12.2 PEER body (56 bytes): the MAP layout, then
//  |       Remote Peer Port        |     Reserved (16 bits)        |
//  |               Remote Peer IP Address (128 bits)               |
struct peer_body {
  map_body map;
  std::uint16_t remote_port = 0;
  address remote_address{};
  friend bool operator==(const peer_body&, const peer_body&) = default;
};

// ANNOUNCE has no body (§14.1).
using body = std::variant<std::monostate, map_body, peer_body>;

// §7.1 request header (24 bytes):
//  |  Version = 2  |R|   Opcode    |         Reserved              |
//  |                 Requested Lifetime (32 bits)                  |
//  |            PCP Client's IP Address (128 bits)                 |
struct request {
  opcode op = opcode::map;
  std::uint32_t lifetime = 0;
  address client_address{};
  body payload;  // monostate for ANNOUNCE, map_body for MAP, peer_body for PEER
  std::vector<option> options;
  friend bool operator==(const request&, const request&) = default;
};

// §7.2 response header (24 bytes):
//  |  Version = 2  |R|   Opcode    |   Reserved    |  Result Code  |
//  |                      Lifetime (32 bits)                       |
//  |                     Epoch Time (32 bits)                      |
//  |                      Reserved (96 bits)                       |
struct response {
  std::uint8_t version = pcp::version;  // 2, or lower in an UNSUPP_VERSION answer (§9)
  opcode op = opcode::map;
  result_code result = result_code::success;
  std::uint32_t lifetime = 0;
  std::uint32_t epoch = 0;
  body payload;
  std::vector<option> options;
  friend bool operator==(const response&, const response&) = default;
};

bytes encode(const request&);   // options padded to 4; the caller keeps the total within 1100
bytes encode(const response&);

// Decodes a request as a server would (simulator, fuzzers). Strict: version 2, R clear, known opcode,
// size 24..1100 and a multiple of 4, the opcode's full body, options within the message and of their
// defined lengths, at most lim.max_options, reserved fields and option padding zero (else
// errc::bad_request: a client must send zeros), FILTER prefix lengths in range (errc::bad_filter: 0..128,
// 96..128 for an IPv4-mapped remote address, §13.3). Unknown options are kept as unknown_option.
core::result<request> decode_request(byte_span data, const limits& lim = {});

// Decodes a response with every check §8.3 asks of a client that does not need the request:
//  - size: at least 24 (errc::too_short), at most lim.max_message_size (too_long), multiple of 4
//    (not_multiple_of_4);
//  - R bit set (not_a_response); opcode ANNOUNCE/MAP/PEER (unknown_opcode);
//  - version 2, except an UNSUPP_VERSION answer naming a lower version (1; version 0 is NAT-PMP's,
//    next item), which decodes with that version, its lifetime and epoch, and an empty body and no
//    options (the caller decides about falling back, §9);
//  - a NAT-PMP server's answer to our version-2 request (version byte 0, R bit, NAT-PMP result 1 in
//    bytes 2-3, 8 or more bytes; RFC 6887 §9 and RFC 6886 §3.5) decodes the same way: version 0,
//    result UNSUPP_VERSION, epoch from bytes 4-7, lifetime 0 — this is the only case where less than
//    24 bytes is accepted, and any length from 8 to lim.max_message_size is (RFC 6886 has no
//    multiple-of-4 rule); encode() writes such a value back as those 8 bytes;
//  - the opcode's full body when the result is SUCCESS; on an error result the body is absent when
//    the message ends after the header, and otherwise must be there whole (servers copy the request's
//    body, §7.2; options follow it) (errc::truncated_body);
//  - options: each within the message (option_overflow), known ones at their length (option_length),
//    at most lim.max_options (too_many_options), unknown ones kept as unknown_option.
// Reserved fields are ignored (§7.2: "MUST be ignored when received").
core::result<response> decode_response(byte_span data, const limits& lim = {});

// Why `resp` cannot answer `req` (wrong_opcode; for MAP/PEER nonce_mismatch, protocol_mismatch,
// internal_port_mismatch), or an empty code when it can. §8.3: a client silently drops such a
// datagram, so the transport keeps waiting. An UNSUPP_VERSION answer (any version) always matches:
// it carries no body to compare.
std::error_code mismatch(const request& req, const response& resp) noexcept;

// mismatch() first; then a non-zero result code becomes its error (result_code category); an
// UNSUPP_VERSION from version 0 becomes errc::natpmp_only; then a success is validated:
//  - MAP/PEER create (request lifetime > 0): assigned external port non-zero unless the protocol is 0
//    (all) (errc::bad_mapping), assigned external address usable (not unspecified, loopback, multicast,
//    or the IPv4 broadcast address; IPv4-mapped checked as IPv4) (errc::bad_external_address), granted
//    lifetime non-zero (bad_mapping); a success without a body (only a hand-built value) is
//    errc::truncated_body;
//  - MAP/PEER delete (lifetime 0): a non-zero granted lifetime is bad_mapping; port and address are not
//    judged (miniupnpd 2.3.1 answers a delete with external port 0);
//  - a PREFER_FAILURE create answered with another port than the suggested one (when non-zero), or
//    another address than the suggested one (when not unspecified), is bad_mapping (§13.2; miniupnpd
//    2.3.1 ignores the option and grants another port).
core::result<void> check_answer(const request& req, const response& resp);

// The epoch rule of §8.5, client side. For each response from the server:
//  - the first one is valid;
//  - if the new epoch is more than 1 s below the previous one, it is invalid (time went backwards);
//  - else with client_delta = seconds elapsed on the client since the previous response and
//    server_delta = new epoch − previous epoch: invalid if client_delta + 2 < server_delta −
//    server_delta/16, or server_delta + 2 < client_delta − client_delta/16;
//  - the client records the current values in every case.
// An invalid epoch means the server lost its state: every mapping must be renewed at once.
class epoch_tracker {
 public:
  using clock = std::chrono::steady_clock;
  // Returns true when this observation shows that the server lost its state.
  bool observe(std::uint32_t epoch, clock::time_point now) noexcept;
  [[nodiscard]] std::optional<std::uint32_t> last_epoch() const noexcept { return last_epoch_; }

 private:
  std::optional<std::uint32_t> last_epoch_;
  clock::time_point last_time_{};
};

// A random nonce for a new mapping (§11.1: "a random value"); renewals reuse the mapping's nonce.
nonce make_nonce();

}  // namespace natpunch::pcp
