// PCP messages written out by hand from the RFC 6887 diagrams (§7.1, §7.2, §11.1, §12.1, §13), never
// produced by our encoder, and the values they stand for. Shared by the codec tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <vector>

#include "natpunch/pcp/codec.hpp"

namespace pcp_test {

namespace pcp = natpunch::pcp;
using natpunch::core::bytes;

inline bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline bytes prefix(const bytes& b, std::size_t n) { return bytes(b.begin(), b.begin() + static_cast<long>(n)); }

inline pcp::address to_address(const bytes& b) {
  pcp::address a{};
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = b.at(i);
  return a;
}

// §5: IPv4 as IPv4-mapped IPv6.
inline const bytes client_v4{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 86, 250};
inline const bytes any_v4{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
inline const bytes wan_v4{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 11, 0, 0, 5};
inline const bytes remote_v4{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 11, 0, 0, 1};
// 2001:db8::1, ::, 2001:db8:ffff::5
inline const bytes client_v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
inline const bytes any_v6(16, 0);
inline const bytes wan_v6{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
inline const bytes nonce_bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
inline const pcp::nonce test_nonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
inline const bytes twelve_zeros(12, 0);

// ---- Requests (§7.1 header: version 2, R clear + opcode, reserved 16, lifetime, client address) ----

// §14.1 ANNOUNCE: lifetime 0, no body.
inline const bytes announce_request = cat({{0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, client_v4});

// §11.1 MAP TCP 8080 → suggested 8080, any IPv4 address, 7200 s (0x1c20).
inline const bytes map_request_v4 = cat({{0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x20}, client_v4, nonce_bytes,
                                         {0x06, 0x00, 0x00, 0x00, 0x1f, 0x90, 0x1f, 0x90}, any_v4});

// §11.1 MAP UDP from 2001:db8::1, internal 0xfffe, no suggested port (any IPv6 address), 0x80000001 s.
inline const bytes map_request_v6 = cat({{0x02, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0x01}, client_v6, nonce_bytes,
                                         {0x11, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x00}, any_v6});

// §12.1 PEER TCP 8094 → 8094 with remote peer 11.0.0.1:80, 3600 s (0x0e10).
inline const bytes peer_request = cat({{0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x10}, client_v4, nonce_bytes,
                                       {0x06, 0x00, 0x00, 0x00, 0x1f, 0x9e, 0x1f, 0x9e}, any_v4,
                                       {0x00, 0x50, 0x00, 0x00}, remote_v4});

inline pcp::request announce_request_value() {
  pcp::request r;
  r.op = pcp::opcode::announce;
  r.client_address = to_address(client_v4);
  r.payload = std::monostate{};
  return r;
}

inline pcp::map_body map_body_v4() {
  pcp::map_body b;
  b.mapping_nonce = test_nonce;
  b.protocol = pcp::protocol_tcp;
  b.internal_port = 8080;
  b.external_port = 8080;
  b.external_address = to_address(any_v4);
  return b;
}

inline pcp::request map_request_v4_value() {
  pcp::request r;
  r.op = pcp::opcode::map;
  r.lifetime = 7200;
  r.client_address = to_address(client_v4);
  r.payload = map_body_v4();
  return r;
}

inline pcp::request map_request_v6_value() {
  pcp::request r;
  r.op = pcp::opcode::map;
  r.lifetime = 0x80000001;
  r.client_address = to_address(client_v6);
  r.payload = pcp::map_body{test_nonce, pcp::protocol_udp, 0xfffe, 0, {}};
  return r;
}

inline pcp::peer_body peer_body_v4() {
  pcp::peer_body b;
  b.map = pcp::map_body{test_nonce, pcp::protocol_tcp, 8094, 8094, to_address(any_v4)};
  b.remote_port = 80;
  b.remote_address = to_address(remote_v4);
  return b;
}

inline pcp::request peer_request_value() {
  pcp::request r;
  r.op = pcp::opcode::peer;
  r.lifetime = 3600;
  r.client_address = to_address(client_v4);
  r.payload = peer_body_v4();
  return r;
}

// ---- Responses (§7.2 header: version, R set + opcode, reserved 8, result, lifetime, epoch, 96 reserved) ----

// ANNOUNCE success, epoch 0x1234.
inline const bytes announce_response =
    cat({{0x02, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x34}, twelve_zeros});

// MAP success: TCP 8080 → 11.0.0.5:8080, lifetime 7200, epoch 42.
inline const bytes map_response_v4 =
    cat({{0x02, 0x81, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x00, 0x2a}, twelve_zeros, nonce_bytes,
         {0x06, 0x00, 0x00, 0x00, 0x1f, 0x90, 0x1f, 0x90}, wan_v4});

// MAP success for map_request_v6: UDP 0xfffe → [2001:db8:ffff::5]:0x8001, lifetime 0xfedcba98, epoch 0x80000000.
inline const bytes map_response_v6 =
    cat({{0x02, 0x81, 0x00, 0x00, 0xfe, 0xdc, 0xba, 0x98, 0x80, 0x00, 0x00, 0x00}, twelve_zeros, nonce_bytes,
         {0x11, 0x00, 0x00, 0x00, 0xff, 0xfe, 0x80, 0x01}, wan_v6});

// PEER success: TCP 8094 → 11.0.0.5:8094 for remote 11.0.0.1:80, lifetime 3600, epoch 1.
inline const bytes peer_response =
    cat({{0x02, 0x82, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x00, 0x00, 0x01}, twelve_zeros, nonce_bytes,
         {0x06, 0x00, 0x00, 0x00, 0x1f, 0x9e, 0x1f, 0x9e}, wan_v4, {0x00, 0x50, 0x00, 0x00}, remote_v4});

// MAP NOT_AUTHORIZED (2), lifetime 30 (how long the error holds), epoch 42: with the request's body
// copied (§7.2), and without.
inline const bytes map_error_with_body =
    cat({{0x02, 0x81, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x2a}, twelve_zeros, nonce_bytes,
         {0x06, 0x00, 0x00, 0x00, 0x1f, 0x90, 0x1f, 0x90}, any_v4});
inline const bytes map_error_without_body =
    cat({{0x02, 0x81, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x2a}, twelve_zeros});

inline pcp::response announce_response_value() {
  pcp::response r;
  r.op = pcp::opcode::announce;
  r.epoch = 0x1234;
  r.payload = std::monostate{};
  return r;
}

inline pcp::response map_response_v4_value() {
  pcp::response r;
  r.op = pcp::opcode::map;
  r.lifetime = 7200;
  r.epoch = 42;
  r.payload = pcp::map_body{test_nonce, pcp::protocol_tcp, 8080, 8080, to_address(wan_v4)};
  return r;
}

inline pcp::response map_response_v6_value() {
  pcp::response r;
  r.op = pcp::opcode::map;
  r.lifetime = 0xfedcba98;
  r.epoch = 0x80000000;
  r.payload = pcp::map_body{test_nonce, pcp::protocol_udp, 0xfffe, 0x8001, to_address(wan_v6)};
  return r;
}

inline pcp::response peer_response_value() {
  pcp::response r;
  r.op = pcp::opcode::peer;
  r.lifetime = 3600;
  r.epoch = 1;
  pcp::peer_body b = peer_body_v4();
  b.map.external_address = to_address(wan_v4);
  r.payload = b;
  return r;
}

inline pcp::response map_error_value(bool with_body) {
  pcp::response r;
  r.op = pcp::opcode::map;
  r.result = pcp::result_code::not_authorized;
  r.lifetime = 30;
  r.epoch = 42;
  if (with_body) {
    r.payload = map_body_v4();
  } else {
    r.payload = std::monostate{};
  }
  return r;
}

// ---- Options (§7.3 header: code, reserved, 16-bit length of the data; data padded to 4) ----

// §13.1 THIRD_PARTY for 192.168.86.251.
inline const bytes third_party_option = cat({{0x01, 0x00, 0x00, 0x10},
                                             {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 86, 251}});
// §13.2 PREFER_FAILURE.
inline const bytes prefer_failure_option{0x02, 0x00, 0x00, 0x00};
// §13.3 FILTER: prefix 120 (96 + /24), remote port 443, 11.0.0.0.
inline const bytes filter_option = cat({{0x03, 0x00, 0x00, 0x14, 0x00, 0x78, 0x01, 0xbb},
                                        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 11, 0, 0, 0}});
// An optional option (code 200) with 5 data bytes, padded to 8.
inline const bytes unknown_option_5 = {0xc8, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0};

inline pcp::option third_party_value() {
  return pcp::third_party_option{to_address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 86, 251})};
}
inline pcp::option filter_value() {
  return pcp::filter_option{120, 443, to_address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 11, 0, 0, 0})};
}
inline pcp::option unknown_5_value() { return pcp::unknown_option{200, {1, 2, 3, 4, 5}}; }

}  // namespace pcp_test
