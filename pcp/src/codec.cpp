// RFC 6887 message framing: the common header (§7), the MAP (§11) and PEER (§12) bodies, matching an
// answer to its request, and the §8.5 epoch rule. Options are in options.cpp.
#include "natpunch/pcp/codec.hpp"

#include "natpunch/core/elapsed.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <type_traits>
#include <utility>
#include <variant>

#include "options.hpp"

namespace natpunch::pcp {
namespace {

// RFC 6886 §3.5 "unsupported version" reply, as a NAT-PMP-only server sends it to our request:
//  | Vers = 0      | OP = 128 + x  | Result Code = 1               |
//  | Seconds Since Start of Epoch                                  |
constexpr std::size_t natpmp_reply_size = 8;
constexpr std::uint16_t natpmp_unsupported_version = 1;

std::optional<opcode> to_opcode(std::uint8_t value) noexcept {
  switch (value) {
    case static_cast<std::uint8_t>(opcode::announce): return opcode::announce;
    case static_cast<std::uint8_t>(opcode::map): return opcode::map;
    case static_cast<std::uint8_t>(opcode::peer): return opcode::peer;
    default: return std::nullopt;
  }
}

std::uint8_t wire(opcode op) noexcept { return static_cast<std::uint8_t>(op); }

std::size_t body_size(opcode op) noexcept {
  switch (op) {
    case opcode::announce: return 0;
    case opcode::map: return map_body_size;
    case opcode::peer: return peer_body_size;
  }
  return 0;
}

// §11.1 / §12.1: MAP body, which also opens the PEER body.
void encode_map(core::byte_writer& out, const map_body& b) {
  out.raw(b.mapping_nonce).u8(b.protocol).zeros(3);
  out.u16(b.internal_port).u16(b.external_port).raw(b.external_address);
}

void encode_body(core::byte_writer& out, const body& payload) {
  if (const auto* map = std::get_if<map_body>(&payload)) {
    encode_map(out, *map);
  } else if (const auto* peer = std::get_if<peer_body>(&payload)) {
    encode_map(out, peer->map);
    out.u16(peer->remote_port).u16(0).raw(peer->remote_address);
  }
}

// Reads the opcode's body (the caller has checked that it fits). `reserved_zero` becomes false when a
// reserved field is not zero: a response ignores that, a request refuses it.
body decode_body(core::byte_reader& in, opcode op, bool& reserved_zero) {
  if (op == opcode::announce) return std::monostate{};
  map_body map;
  map.mapping_nonce = in.array<12>();
  map.protocol = in.u8();
  const std::uint8_t r1 = in.u8();
  const std::uint16_t r2 = in.u16();
  map.internal_port = in.u16();
  map.external_port = in.u16();
  map.external_address = in.array<16>();
  reserved_zero = r1 == 0 && r2 == 0;
  if (op == opcode::map) return map;
  peer_body peer{map};
  peer.remote_port = in.u16();
  const std::uint16_t r3 = in.u16();
  peer.remote_address = in.array<16>();
  reserved_zero = reserved_zero && r3 == 0;
  return peer;
}

const map_body* map_part(const body& payload) noexcept {
  if (const auto* map = std::get_if<map_body>(&payload)) return map;
  if (const auto* peer = std::get_if<peer_body>(&payload)) return &peer->map;
  return nullptr;
}

// §8.3 / RFC 6886 §3.5: a NAT-PMP server's answer to a version it does not know.
bool is_natpmp_unsupported_version(byte_span data) noexcept {
  return data.size() >= natpmp_reply_size && data[0] == 0 && (data[1] & response_bit) != 0 && data[2] == 0 &&
         data[3] == natpmp_unsupported_version;
}

core::result<response> decode_natpmp_reply(byte_span data) {
  core::byte_reader in(data);
  in.skip(1);
  const std::optional<opcode> op = to_opcode(static_cast<std::uint8_t>(in.u8() & ~response_bit));
  if (!op) return errc::unknown_opcode;
  in.skip(2);
  response resp;
  resp.version = 0;
  resp.op = *op;
  resp.result = result_code::unsupp_version;
  resp.epoch = in.u32();
  return resp;
}

// Size rules shared by both directions (§7): the common header at least, 1100 at most, words only.
std::error_code check_size(byte_span data, const limits& lim) noexcept {
  if (data.size() > lim.max_message_size) return errc::too_long;
  if (data.size() < header_size) return errc::too_short;
  if (data.size() % 4 != 0) return errc::not_multiple_of_4;
  return {};
}

bool has_option(const std::vector<option>& options, const auto& kind) noexcept {
  for (const option& o : options) {
    if (std::holds_alternative<std::remove_cvref_t<decltype(kind)>>(o)) return true;
  }
  return false;
}

// Addresses peers cannot reach us at. Private and CGNAT ranges pass on purpose: a gateway behind
// another NAT honestly reports its private external address, and the caller decides about double NAT.
bool usable_external_address(const address& a) noexcept {
  if (is_unspecified(a)) return false;
  if (is_ipv4_mapped(a)) {
    const bool loopback = a[12] == 127;
    const bool multicast = (a[12] & 0xf0) == 0xe0;
    const bool broadcast = a[12] == 255 && a[13] == 255 && a[14] == 255 && a[15] == 255;
    return !(loopback || multicast || broadcast);
  }
  const address loopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const bool multicast6 = a[0] == 0xff;
  return !(a == loopback6 || multicast6);
}

core::result<void> check_mapping(const request& req, const response& resp) {
  const map_body* asked = map_part(req.payload);
  const map_body* got = map_part(resp.payload);
  if (got == nullptr || asked == nullptr) return errc::truncated_body;  // only a hand-built value lacks one
  // §15: a deleted mapping is answered with lifetime 0 (mismatch skips any other success). Its port and
  // address are not judged: nothing will be reached through them.
  if (req.lifetime == 0) return core::ok;
  if (got->external_port == 0 && got->protocol != protocol_all) return errc::bad_mapping;
  if (!usable_external_address(got->external_address)) return errc::bad_external_address;
  if (resp.lifetime == 0) return errc::bad_mapping;
  // §13.2: with PREFER_FAILURE the server either maps what was suggested or fails.
  if (has_option(req.options, prefer_failure_option{})) {
    if (asked->external_port != 0 && got->external_port != asked->external_port) return errc::bad_mapping;
    if (!is_unspecified(asked->external_address) && got->external_address != asked->external_address) {
      return errc::bad_mapping;
    }
  }
  return core::ok;
}

}  // namespace

address ipv4_mapped(std::array<std::uint8_t, 4> v4) noexcept {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, v4[0], v4[1], v4[2], v4[3]};
}

bool is_ipv4_mapped(const address& a) noexcept {
  for (std::size_t i = 0; i < 10; ++i) {
    if (a[i] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

bool is_unspecified(const address& a) noexcept {
  const std::size_t from = is_ipv4_mapped(a) ? 12 : 0;
  for (std::size_t i = from; i < a.size(); ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}

bytes encode(const request& req) {
  core::byte_writer out(header_size + peer_body_size);
  out.u8(version).u8(wire(req.op)).u16(0).u32(req.lifetime).raw(req.client_address);
  // The payload is written as given, also when it does not fit the opcode: tests and the simulator
  // build malformed messages this way, and decode_request refuses them.
  encode_body(out, req.payload);
  detail::encode_options(out, req.options);
  return std::move(out).take();
}

bytes encode(const response& resp) {
  if (resp.version == 0) {
    // What a NAT-PMP server sends (RFC 6886 §3.5); decode_response reads it back as the same value.
    core::byte_writer out(natpmp_reply_size);
    out.u8(0).u8(static_cast<std::uint8_t>(response_bit | wire(resp.op))).u16(static_cast<std::uint16_t>(resp.result));
    out.u32(resp.epoch);
    return std::move(out).take();
  }
  core::byte_writer out(header_size + peer_body_size);
  out.u8(resp.version).u8(static_cast<std::uint8_t>(response_bit | wire(resp.op)));
  out.u8(0).u8(static_cast<std::uint8_t>(resp.result)).u32(resp.lifetime).u32(resp.epoch).zeros(12);
  encode_body(out, resp.payload);
  detail::encode_options(out, resp.options);
  return std::move(out).take();
}

// Strict on purpose: the simulator's view of what a client sends, so whatever a client must not send
// is an error, and decode→encode gives back the exact input.
core::result<request> decode_request(byte_span data, const limits& lim) {
  if (const std::error_code ec = check_size(data, lim)) return ec;
  core::byte_reader in(data);
  if (in.u8() != version) return errc::bad_version;
  const std::uint8_t op_byte = in.u8();
  if ((op_byte & response_bit) != 0) return errc::not_a_request;
  const std::optional<opcode> op = to_opcode(op_byte);
  if (!op) return errc::unknown_opcode;
  const std::uint16_t reserved = in.u16();
  request req;
  req.op = *op;
  req.lifetime = in.u32();
  req.client_address = in.array<16>();
  if (reserved != 0) return errc::bad_request;

  if (in.remaining() < body_size(*op)) return errc::truncated_body;
  bool reserved_zero = true;
  req.payload = decode_body(in, *op, reserved_zero);
  if (!reserved_zero) return errc::bad_request;
  auto options = detail::decode_options(in, lim, detail::direction::request);
  if (!options) return options.error();
  req.options = std::move(*options);
  return req;
}

core::result<response> decode_response(byte_span data, const limits& lim) {
  if (data.size() > lim.max_message_size) return errc::too_long;
  if (is_natpmp_unsupported_version(data)) return decode_natpmp_reply(data);
  if (const std::error_code ec = check_size(data, lim)) return ec;

  core::byte_reader in(data);
  const std::uint8_t vers = in.u8();
  const std::uint8_t op_byte = in.u8();
  in.skip(1);  // reserved
  const auto result = static_cast<result_code>(in.u8());
  response resp;
  resp.version = vers;
  resp.result = result;
  resp.lifetime = in.u32();
  resp.epoch = in.u32();
  in.skip(12);  // reserved

  // §9: a server that does not speak our version answers UNSUPP_VERSION with the highest it does.
  // Version 0 is NAT-PMP's, whose reply was recognized above: in PCP framing it is no answer of ours.
  const bool lower_version = vers != 0 && vers < version && result == result_code::unsupp_version;
  if (vers != version && !lower_version) return errc::bad_version;
  if ((op_byte & response_bit) == 0) return errc::not_a_response;
  const std::optional<opcode> op = to_opcode(static_cast<std::uint8_t>(op_byte & ~response_bit));
  if (!op) return errc::unknown_opcode;
  resp.op = *op;
  if (lower_version) return resp;  // the rest follows that version's rules, which we do not know

  // §7.2: an error response copies the request's body when it has one; a success always carries it.
  if (result == result_code::success || !in.at_end()) {
    if (in.remaining() < body_size(*op)) return errc::truncated_body;
    bool reserved_zero = true;
    resp.payload = decode_body(in, *op, reserved_zero);  // §7.2: reserved fields are ignored
  }
  auto options = detail::decode_options(in, lim, detail::direction::response);
  if (!options) return options.error();
  resp.options = std::move(*options);
  return resp;
}

std::error_code mismatch(const request& req, const response& resp) noexcept {
  // An unsupported-version answer says the same whatever it answers, and carries no body to compare.
  if (resp.result == result_code::unsupp_version) return {};
  if (req.op != resp.op) return errc::wrong_opcode;
  const map_body* asked = map_part(req.payload);
  const map_body* got = map_part(resp.payload);
  if (asked == nullptr || got == nullptr) return {};  // ANNOUNCE, or an error answer without a body
  // §11.3 / §12.3: the nonce ties the answer to the mapping; protocol and port to the request.
  if (got->mapping_nonce != asked->mapping_nonce) return errc::nonce_mismatch;
  if (got->protocol != asked->protocol) return errc::protocol_mismatch;
  if (got->internal_port != asked->internal_port) return errc::internal_port_mismatch;
  // A delete is answered with lifetime 0 (§15); a success that keeps a lifetime answers this mapping's
  // earlier MAP, late (an add interrupted before its answer and undone at once): skip it, the delete's
  // own answer follows.
  if (req.lifetime == 0 && resp.result == result_code::success && resp.lifetime != 0) return errc::stale_answer;
  return {};
}

core::result<void> check_answer(const request& req, const response& resp) {
  if (const std::error_code ec = mismatch(req, resp)) return ec;
  if (resp.result != result_code::success) {
    if (resp.result == result_code::unsupp_version && resp.version == 0) return errc::natpmp_only;
    return resp.result;
  }
  if (req.op == opcode::announce) return core::ok;
  return check_mapping(req, resp);
}

bool epoch_tracker::observe(std::uint32_t epoch, clock::time_point now) noexcept {
  const std::optional<std::uint32_t> previous = last_epoch_;
  const clock::time_point previous_time = last_time_;
  last_epoch_ = epoch;
  last_time_ = now;
  if (!previous) return false;

  // "more than one second" below the previous epoch: time went backwards.
  const std::int64_t server_delta = static_cast<std::int64_t>(epoch) - static_cast<std::int64_t>(*previous);
  if (server_delta < -1) return true;

  const std::int64_t client_ms = core::elapsed_ms(previous_time, now);

  // With c = client_ms / 1000 and s = server_delta (seconds), §8.5 says invalid when
  //   c + 2 < s − s/16   or   s + 2 < c − c/16,
  // multiplied by 16000 to stay in exact integers:
  //   16·(client_ms + 2000) < 15000·s   or   16000·(s + 2) < 15·client_ms.
  // Bounds: |s| < 2^32, so 15000·s < 2^46; client_ms < 2·2^63 ns / 10^6 < 2^45, so 16·(client_ms + 2000)
  // and 15·client_ms stay below 2^50; nothing comes near 2^63.
  const bool server_ran_ahead = 16 * (client_ms + 2000) < 15000 * server_delta;
  const bool server_fell_behind = 16000 * (server_delta + 2) < 15 * client_ms;
  return server_ran_ahead || server_fell_behind;
}

nonce make_nonce() {
  // std::random_device reads the kernel's random source on Linux: an off-path attacker must not guess
  // a nonce (§18.1), so no seeded generator.
  std::random_device source;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  nonce out{};
  for (std::uint8_t& b : out) b = static_cast<std::uint8_t>(byte(source));
  return out;
}

}  // namespace natpunch::pcp
