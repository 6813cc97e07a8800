#include "natpunch/natpmp/codec.hpp"

#include "natpunch/core/elapsed.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>

namespace natpunch::natpmp {
namespace {

constexpr std::size_t external_address_request_size = 2;   // §3.2
constexpr std::size_t map_request_size = 12;               // §3.3
constexpr std::size_t external_address_response_size = 12;  // §3.2
constexpr std::size_t map_response_size = 16;               // §3.3

std::optional<opcode> to_opcode(std::uint8_t value) noexcept {
  switch (value) {
    case static_cast<std::uint8_t>(opcode::external_address): return opcode::external_address;
    case static_cast<std::uint8_t>(opcode::map_udp): return opcode::map_udp;
    case static_cast<std::uint8_t>(opcode::map_tcp): return opcode::map_tcp;
    default: return std::nullopt;
  }
}

core::ip_protocol protocol_of(opcode op) noexcept {
  return op == opcode::map_udp ? core::ip_protocol::udp : core::ip_protocol::tcp;
}

std::uint8_t wire(opcode op) noexcept { return static_cast<std::uint8_t>(op); }
std::uint8_t wire_response(opcode op) noexcept { return static_cast<std::uint8_t>(response_bit | wire(op)); }

opcode opcode_of(const request& req) noexcept {
  if (const auto* map = std::get_if<map_request>(&req)) return map_opcode(map->protocol);
  return opcode::external_address;
}

opcode opcode_of(const response& resp) noexcept {
  if (const auto* map = std::get_if<map_response>(&resp)) return map_opcode(map->protocol);
  return opcode::external_address;
}

// Addresses that cannot be where peers reach us. Private and CGNAT ranges are accepted on purpose:
// a gateway behind another NAT honestly reports its private external address, and the caller decides
// what to do about double NAT.
bool usable_external_address(const std::array<std::uint8_t, 4>& a) noexcept {
  const bool unspecified = a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0;
  const bool loopback = a[0] == 127;
  const bool multicast = (a[0] & 0xf0) == 224;
  const bool broadcast = a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255;
  return !(unspecified || loopback || multicast || broadcast);
}

core::result<void> check_map(const map_request& req, const map_response& resp) {
  // mismatch() has already matched the internal port and the lifetime's zeroness (delete vs create).
  // §3.4: a delete's external port is not checked: the RFC asks for 0, but a stale non-zero value does
  // no harm once the lifetime says the mapping is gone.
  if (req.lifetime != 0 && resp.external_port == 0) return errc::bad_mapping;
  return core::ok;
}

// Version and opcode, the two bytes every message starts with; `response` says which way the R bit must be.
core::result<opcode> read_header(core::byte_reader& in, bool response) {
  const std::uint8_t vers = in.u8();
  if (!in.ok()) return errc::truncated;
  if (vers != version) return errc::bad_version;
  const std::uint8_t op = in.u8();
  if (!in.ok()) return errc::truncated;
  const bool has_response_bit = (op & response_bit) != 0;
  if (response && !has_response_bit) return errc::not_a_response;
  if (!response && has_response_bit) return errc::not_a_request;
  const std::optional<opcode> code = to_opcode(static_cast<std::uint8_t>(op & ~response_bit));
  if (!code) return errc::unknown_opcode;
  return *code;
}

}  // namespace

bytes encode(const external_address_request&) {
  core::byte_writer out(external_address_request_size);
  out.u8(version).u8(wire(opcode::external_address));
  return std::move(out).take();
}

bytes encode(const map_request& req) {
  core::byte_writer out(map_request_size);
  out.u8(version).u8(wire(map_opcode(req.protocol))).u16(0);  // reserved
  out.u16(req.internal_port).u16(req.suggested_external_port).u32(req.lifetime);
  return std::move(out).take();
}

bytes encode(const request& req) {
  return std::visit([](const auto& r) { return encode(r); }, req);
}

// Responses are always written at full size, also on failure: §3.5 asks a gateway for "a valid
// response" with the other fields set appropriately; only the unsupported-version reply is short.
bytes encode(const external_address_response& resp) {
  core::byte_writer out(external_address_response_size);
  out.u8(version).u8(wire_response(opcode::external_address)).u16(static_cast<std::uint16_t>(resp.result));
  out.u32(resp.epoch).raw(resp.external_address);
  return std::move(out).take();
}

bytes encode(const map_response& resp) {
  core::byte_writer out(map_response_size);
  out.u8(version).u8(wire_response(map_opcode(resp.protocol))).u16(static_cast<std::uint16_t>(resp.result));
  out.u32(resp.epoch).u16(resp.internal_port).u16(resp.external_port).u32(resp.lifetime);
  return std::move(out).take();
}

bytes encode(const response& resp) {
  return std::visit([](const auto& r) { return encode(r); }, resp);
}

// Strict on purpose: this is the gateway simulator's view of what our client sends, so anything a
// client must not send is an error here even where RFC 6886 tells a real gateway to ignore it
// (non-zero Reserved, §3.3; a suggested port on a delete, §3.4). It also makes decode→encode exact.
core::result<request> decode_request(byte_span data) {
  core::byte_reader in(data);
  const auto code = read_header(in, false);
  if (!code) return code.error();

  if (*code == opcode::external_address) {
    if (!in.at_end()) return errc::bad_length;
    return request{external_address_request{}};
  }
  const std::uint16_t reserved = in.u16();
  map_request req;
  req.protocol = protocol_of(*code);
  req.internal_port = in.u16();
  req.suggested_external_port = in.u16();
  req.lifetime = in.u32();
  if (!in.ok()) return errc::truncated;
  if (!in.at_end()) return errc::bad_length;
  if (reserved != 0) return errc::bad_request;
  if (req.lifetime == 0 && req.suggested_external_port != 0) return errc::bad_request;
  return request{req};
}

core::result<response> decode_response(byte_span data) {
  core::byte_reader in(data);
  const auto code = read_header(in, true);
  if (!code) return code.error();
  const auto result = static_cast<result_code>(in.u16());
  const std::uint32_t epoch = in.u32();
  if (!in.ok()) return errc::truncated;

  const bool is_map = *code != opcode::external_address;
  // A datagram longer than the message is malformed whatever the result code says.
  if (data.size() > (is_map ? map_response_size : external_address_response_size)) return errc::bad_length;

  if (!is_map) {
    external_address_response resp{result, epoch, {}};
    // §3.5: on failure only the header is defined (an unsupported-version reply is exactly these 8
    // bytes). A short failure is accepted and the value carries zeros instead of garbage; a full-size
    // one is read whole, so that re-encoding it gives back the same bytes.
    if (result != result_code::success && data.size() != external_address_response_size) return response{resp};
    resp.external_address = in.array<4>();
    if (!in.ok()) return errc::truncated;
    return response{resp};
  }
  map_response resp;
  resp.protocol = protocol_of(*code);
  resp.result = result;
  resp.epoch = epoch;
  // As above, §3.5; a full-size failure keeps its internal port, which the gateway MUST echo "because
  // the client needs this information to identify which request suffered the failure".
  if (result != result_code::success && data.size() != map_response_size) return response{resp};
  resp.internal_port = in.u16();
  resp.external_port = in.u16();
  resp.lifetime = in.u32();
  if (!in.ok()) return errc::truncated;
  return response{resp};
}

std::error_code mismatch(const request& req, const response& resp) noexcept {
  if (opcode_of(req) != opcode_of(resp)) return errc::wrong_opcode;
  // A map answer names its internal port; one for another port answers another request (a stale one),
  // except a short failure, which carries no port at all.
  const auto* map = std::get_if<map_response>(&resp);
  if (map == nullptr) return {};
  const auto& asked = std::get<map_request>(req);
  const bool short_failure = map->result != result_code::success && map->internal_port == 0;
  if (map->internal_port != asked.internal_port && !short_failure) return errc::internal_port_mismatch;
  // NAT-PMP has no transaction ID, but a delete's success carries lifetime 0 (§3.4) and a create's does
  // not: a success on the other side of that line answers the other kind of request (a renewal's answer
  // arriving after the delete was sent), so it is stale, not a broken gateway.
  if (map->result == result_code::success && (asked.lifetime == 0) != (map->lifetime == 0)) return errc::bad_mapping;
  return {};
}

bool answers(const request& req, const response& resp) noexcept { return !mismatch(req, resp); }

core::result<void> check_answer(const request& req, const response& resp) {
  if (const std::error_code ec = mismatch(req, resp)) return ec;
  if (const auto* map = std::get_if<map_response>(&resp)) {
    if (map->result != result_code::success) return map->result;
    return check_map(std::get<map_request>(req), *map);
  }
  const auto& address = std::get<external_address_response>(resp);
  if (address.result != result_code::success) return address.result;
  if (!usable_external_address(address.external_address)) return errc::bad_external_address;
  return core::ok;
}

bool epoch_tracker::observe(std::uint32_t epoch, clock::time_point now) noexcept {
  const std::optional<std::uint32_t> previous = last_epoch_;
  const clock::time_point previous_time = last_time_;
  last_epoch_ = epoch;
  last_time_ = now;
  if (!previous) return false;

  const std::int64_t waited_ms = core::elapsed_ms(previous_time, now);

  // Lost when epoch < previous + 7/8 × elapsed − 2 s. Multiplied through by 8 (and 1000 for
  // milliseconds) so the comparison is exact integer math: epoch < 2^32, so 8000 × epoch < 2^45,
  // and waited_ms < 2^45 (core::elapsed_ms), so 7 × waited_ms < 2^48; nothing comes near 2^63.
  constexpr std::int64_t tolerance_ms = 2000;
  const std::int64_t observed = 8 * (static_cast<std::int64_t>(epoch) * 1000 + tolerance_ms);
  const std::int64_t predicted = 8 * static_cast<std::int64_t>(*previous) * 1000 + 7 * waited_ms;
  return observed < predicted;
}

}  // namespace natpunch::natpmp
