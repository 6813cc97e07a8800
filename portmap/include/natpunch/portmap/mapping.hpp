// What the mapping manager speaks in: which protocol, what to map, and what a gateway granted. Plain
// values, no I/O: the CLI prints them, a node's daemon keeps them, the record stores them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <asio/ip/address.hpp>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/ip_protocol.hpp"
#include "natpunch/pcp/codec.hpp"

namespace natpunch::portmap {

// The three ways to ask a gateway, in the order `auto` prefers them (PCP carries the most: nonces,
// options, IPv6; UPnP IGD is what most home routers offer).
enum class protocol { pcp, natpmp, upnp };
std::string_view to_string(protocol p) noexcept;
std::optional<protocol> protocol_from_string(std::string_view text) noexcept;

// What the user asks for: `choice` says which protocol (none: auto).
struct mapping_request {
  core::ip_protocol transport = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::optional<std::uint16_t> external_port;  // suggested; none: the internal port
  std::uint32_t lifetime = 7200;               // seconds asked; the gateway may grant less
  std::string description = "natpunch";        // UPnP's label on the gateway
  // PCP only (RFC 6887 §13): the CLI refuses them with NAT-PMP; UPnP reads prefer_failure as "take no
  // other external port".
  bool prefer_failure = false;
  std::vector<pcp::filter_option> filters;
  std::optional<asio::ip::address> third_party;
  std::optional<std::pair<asio::ip::address, std::uint16_t>> remote;  // PEER (§12) instead of MAP
  // PCP: the mapping to renew or delete (from the record, or --nonce); none: a new one.
  std::optional<pcp::nonce> nonce;

  [[nodiscard]] std::uint16_t suggested_external_port() const noexcept { return external_port.value_or(internal_port); }
  // Options only PCP carries ("" when none): what a NAT-PMP or UPnP mapping would have to drop.
  [[nodiscard]] std::string_view pcp_only_option() const noexcept;
};

// What a gateway granted.
struct mapping {
  protocol proto = protocol::pcp;
  core::ip_protocol transport = core::ip_protocol::tcp;
  asio::ip::address external_ip;
  std::uint16_t external_port = 0;
  asio::ip::address internal_ip;
  std::uint16_t internal_port = 0;
  std::uint32_t lifetime = 0;  // granted, seconds; 0 = permanent (UPnP only)
  std::chrono::system_clock::time_point granted_at{};  // lifetime counts from here
  std::uint32_t epoch = 0;     // NAT-PMP and PCP: the gateway's epoch in its answer
  asio::ip::address gateway;
  std::optional<pcp::nonce> nonce;         // PCP: names the mapping (renew, delete)
  std::optional<std::string> description;  // UPnP: the label the gateway holds
  std::optional<std::string> igd;          // UPnP: the description URL of the gateway used
  // Time spent waiting on the gateway (first send to accepted answer, all requests of this operation).
  std::chrono::microseconds gateway_time{0};

  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> expires_at() const {
    if (lifetime == 0) return std::nullopt;
    return granted_at + std::chrono::seconds(lifetime);
  }
};

// Hex of a PCP nonce, and back (24 hex digits, either case).
std::string to_hex(core::byte_span bytes);
std::optional<pcp::nonce> parse_nonce(std::string_view hex);

// Where an external address sits. Anything but `public_address` means another NAT upstream (double
// NAT or carrier-grade NAT): the mapping exists on this gateway but the internet cannot reach it.
enum class address_scope {
  public_address,
  private_address,  // RFC 1918 / RFC 4193 ULA
  shared_address,   // RFC 6598 100.64/10 (carrier-grade NAT)
  loopback,
  link_local,
  documentation,    // RFC 5737 / RFC 3849
  unspecified,      // 0.0.0.0 / ::
  other_reserved,   // 0/8, 240/4, multicast, benchmarking (198.18/15)
};
address_scope scope_of(const asio::ip::address& a) noexcept;
std::string_view to_string(address_scope s) noexcept;
// For a mapping whose external address is not public: what it means and what the user can do.
std::string double_nat_advice(const asio::ip::address& external);

}  // namespace natpunch::portmap
