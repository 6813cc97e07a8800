// One port mapping as the CLI sees it, whatever the gateway protocol: create or renew it, remove it,
// read the public address, and judge what the gateway sends unasked. `add`, `delete` and `add --keep`
// are written once against this; natpmp and pcp each provide an adapter over their client.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/ip_protocol.hpp"
#include "args.hpp"
#include "natpunch/core/result.hpp"

namespace natpunch::cli {

// What a gateway granted, in the form the CLI prints.
struct mapping_view {
  std::string protocol;  // "natpmp" or "pcp"
  core::ip_protocol transport = core::ip_protocol::tcp;
  asio::ip::address external_ip;
  std::uint16_t external_port = 0;
  asio::ip::address internal_ip;
  std::uint16_t internal_port = 0;
  std::uint32_t lifetime = 0;
  std::uint32_t epoch = 0;
  asio::ip::address gateway;
  std::optional<std::string> nonce;  // PCP: the mapping's nonce in hex (needed to delete it later)
  // Time spent waiting on the gateway for this mapping (first send to accepted answer, all requests).
  std::chrono::microseconds gateway_time{0};
  std::optional<std::string> description;  // UPnP: the label the gateway holds
  std::optional<std::string> igd;          // UPnP: the description URL of the gateway used
};

// What an unsolicited datagram on the announcement port means for a held mapping.
enum class unsolicited {
  not_from_gateway,  // ignore
  nothing_new,       // a valid announcement that changes nothing
  renew_now,         // it shows a reboot or a new address: renew at once
  revalidate,        // a PCP ANNOUNCE or anything else from the gateway: renew after RFC 6887 §14.1.3's random 0-5 s
};

class mapper {
 public:
  virtual ~mapper() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual asio::ip::address gateway() const = 0;
  virtual void set_deadline(std::chrono::milliseconds deadline) = 0;

  // Creates the mapping for (transport, internal port), or renews it once it exists (PCP: same nonce).
  virtual asio::awaitable<core::result<mapping_view>> async_map(std::uint16_t suggested_external_port,
                                                                std::uint32_t lifetime) = 0;
  // Removes the mapping made by async_map, or the one named when the mapper was made (`delete`).
  virtual asio::awaitable<core::result<void>> async_unmap() = 0;
  virtual asio::awaitable<core::result<asio::ip::address>> async_external_address() = 0;
  // Whether the gateway announces on the announcement port (5350): NAT-PMP and PCP do, UPnP
  // gateways announce over SSDP, so `--keep` opens no socket there for them.
  [[nodiscard]] virtual bool hears_announcements() const { return true; }
  // A datagram that arrived on the announcement port (5350).
  virtual unsolicited observe(core::byte_span datagram, const asio::ip::udp::endpoint& from) = 0;
  // True once since the last call if anything showed that the gateway lost its state.
  virtual bool take_lost_state() = 0;
  // The gateway's own words about the last refusal, when its protocol carries any (UPnP's
  // errorDescription); empty otherwise.
  [[nodiscard]] virtual std::string gateway_text() const { return {}; }
};

struct mapper_target {
  asio::ip::address gateway;
  std::uint16_t port = 5351;  // NAT-PMP and PCP share it
  core::ip_protocol transport = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::optional<std::uint16_t> external_port;  // as asked (UPnP deletes by external port)
  std::chrono::milliseconds deadline{std::chrono::seconds(10)};
  // An IPv6 gateway's link-local address (the default route's next hop): PCP ANNOUNCEs come from it.
  std::optional<asio::ip::address> link_local_gateway;
  std::optional<std::string> pcp_nonce_hex;  // `delete --nonce`: the PCP mapping to remove
  bool prefer_failure = false;               // PCP §13.2
  std::vector<filter_spec> filters;          // PCP §13.3
  std::optional<asio::ip::address> third_party;                        // PCP §13.1
  std::optional<std::pair<asio::ip::address, std::uint16_t>> remote;  // PCP PEER (§12) instead of MAP
};

std::unique_ptr<mapper> make_natpmp_mapper(asio::any_io_executor executor, const mapper_target& target);
std::unique_ptr<mapper> make_pcp_mapper(asio::any_io_executor executor, const mapper_target& target);

// Hex of a PCP nonce, and back (24 hex digits).
std::string to_hex(const core::byte_span bytes);
std::optional<std::array<std::uint8_t, 12>> parse_nonce(const std::string& hex);

}  // namespace natpunch::cli
