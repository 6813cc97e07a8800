#include "natpunch/portmap/mapping.hpp"

namespace natpunch::portmap {

std::string_view to_string(protocol p) noexcept {
  switch (p) {
    case protocol::pcp: return "pcp";
    case protocol::natpmp: return "natpmp";
    case protocol::upnp: return "upnp";
  }
  return "?";
}

std::optional<protocol> protocol_from_string(std::string_view text) noexcept {
  for (const auto p : {protocol::pcp, protocol::natpmp, protocol::upnp}) {
    if (text == to_string(p)) return p;
  }
  return std::nullopt;
}

std::string_view mapping_request::pcp_only_option() const noexcept {
  if (remote) return "peer";
  if (third_party) return "--third-party";
  if (!filters.empty()) return "--filter";
  if (prefer_failure) return "--prefer-failure";
  return "";
}

std::string to_hex(core::byte_span bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
  return out;
}

std::optional<pcp::nonce> parse_nonce(std::string_view hex) {
  if (hex.size() != 24) return std::nullopt;
  pcp::nonce out{};
  for (std::size_t i = 0; i < 24; ++i) {
    const char c = hex[i];
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) return std::nullopt;
    out[i / 2] = static_cast<std::uint8_t>(out[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return out;
}

namespace {

address_scope scope_of_v4(const asio::ip::address_v4& a) noexcept {
  const auto b = a.to_bytes();
  if (a.is_unspecified()) return address_scope::unspecified;
  if (b[0] == 127) return address_scope::loopback;
  if (b[0] == 169 && b[1] == 254) return address_scope::link_local;
  if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168)) {
    return address_scope::private_address;
  }
  if (b[0] == 100 && (b[1] & 0xc0) == 64) return address_scope::shared_address;
  // RFC 5737: 192.0.2/24, 198.51.100/24, 203.0.113/24.
  if ((b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
      (b[0] == 203 && b[1] == 0 && b[2] == 113)) {
    return address_scope::documentation;
  }
  // 0/8 "this network", 192.0.0/24 protocol assignments, 198.18/15 benchmarking, 224/4 multicast, 240/4.
  if (b[0] == 0 || (b[0] == 192 && b[1] == 0 && b[2] == 0) || (b[0] == 198 && (b[1] & 0xfe) == 18) || b[0] >= 224) {
    return address_scope::other_reserved;
  }
  return address_scope::public_address;
}

}  // namespace

address_scope scope_of(const asio::ip::address& a) noexcept {
  if (a.is_v4()) return scope_of_v4(a.to_v4());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return scope_of_v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
  if (v6.is_unspecified()) return address_scope::unspecified;
  if (v6.is_loopback()) return address_scope::loopback;
  if (v6.is_link_local()) return address_scope::link_local;
  if (v6.is_multicast()) return address_scope::other_reserved;
  const auto b = v6.to_bytes();
  if ((b[0] & 0xfe) == 0xfc) return address_scope::private_address;  // RFC 4193 ULA
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return address_scope::documentation;
  return address_scope::public_address;
}

std::string_view to_string(address_scope s) noexcept {
  switch (s) {
    case address_scope::public_address: return "public";
    case address_scope::private_address: return "private";
    case address_scope::shared_address: return "shared (carrier-grade NAT)";
    case address_scope::loopback: return "loopback";
    case address_scope::link_local: return "link-local";
    case address_scope::documentation: return "documentation";
    case address_scope::unspecified: return "unspecified";
    case address_scope::other_reserved: return "reserved";
  }
  return "?";
}

std::string double_nat_advice(const asio::ip::address& external) {
  const auto scope = scope_of(external);
  std::string out = "the gateway's external address " + external.to_string() + " is " + std::string(to_string(scope)) +
                    ", not public: another NAT sits upstream";
  out += scope == address_scope::shared_address ? " (your ISP's carrier-grade NAT)" : " (double NAT)";
  out += ", so the internet cannot reach this port yet. Map the same port on the upstream router too (or put "
         "this gateway in its DMZ / bridge mode), ask your ISP for a public address, or, behind carrier-grade "
         "NAT, map it at the ISP's PCP server if it offers one";
  return out;
}

}  // namespace natpunch::portmap
