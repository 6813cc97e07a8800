// PCP client (RFC 6887): the only PCP code that touches a socket. One client talks to one server over
// one UDP socket (IPv4 or IPv6), keeps the server's epoch (§8.5) across requests, and remembers whether
// the server has ever answered in PCP (any result), so that a later "unsupported version" is never taken
// as a reason to downgrade (§9; a forged answer could otherwise push a client to NAT-PMP).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/core/udp_exchange.hpp"
#include "natpunch/pcp/codec.hpp"

namespace natpunch::pcp {

// §8.1.1: IRT 3 s, doubling, MRT 1024 s, RAND ±0.1; MRC and MRD 0 (unbounded). Unbounded is for a
// long-lived keeper; natpunch still bounds it: a count no caller reaches, and the caller's deadline.
inline constexpr core::retransmission_schedule rfc_schedule{std::chrono::seconds(3), 2.0, std::chrono::seconds(1024),
                                                            1000, 0.1};
// For one-shot use (the CLI): answers come in milliseconds on a LAN, so resend sooner, still doubling.
inline constexpr core::retransmission_schedule quick_schedule{std::chrono::milliseconds(250), 2.0,
                                                              std::chrono::seconds(4), 1000, 0.1};

struct client_options {
  asio::ip::address gateway;
  std::uint16_t port = server_port;  // only tests and simulators use another port
  core::retransmission_schedule schedule = rfc_schedule;
  std::chrono::milliseconds deadline{std::chrono::seconds(30)};
  limits wire_limits{};
  // §14.1.1 over IPv6: an ANNOUNCE to ff02::1 leaves from the gateway's link-local address, which is
  // not the address it is asked at (e.g. fd00::1). When set (the default route's next hop), it counts
  // as the gateway's too, whatever its scope id.
  std::optional<asio::ip::address> link_local_gateway;
};

// What to ask for in a MAP (§11) or PEER (§12) request.
struct map_params {
  core::ip_protocol protocol = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::uint16_t suggested_external_port = 0;
  std::optional<asio::ip::address> suggested_external_address;  // none: any (:: / ::ffff:0.0.0.0)
  std::uint32_t lifetime = 7200;
  std::optional<nonce> mapping_nonce;   // none: a new random one; a renewal or delete passes the mapping's
  bool prefer_failure = false;          // §13.2
  std::vector<filter_option> filters;   // §13.3
  std::optional<asio::ip::address> third_party;  // §13.1: map for another host
  // PEER only (§12): the remote peer of an existing outbound flow.
  std::optional<std::pair<asio::ip::address, std::uint16_t>> remote_peer;
  // True when this request creates the mapping (not a renewal of one the caller already holds): then a
  // SUCCESS the client must reject is deleted again, since nothing of the caller's existed before.
  bool creates = false;
};

struct mapping_info {
  opcode op = opcode::map;  // MAP or PEER: a delete repeats it
  nonce mapping_nonce{};
  core::ip_protocol protocol = core::ip_protocol::tcp;
  std::uint16_t internal_port = 0;
  std::uint16_t external_port = 0;
  asio::ip::address external_address;
  std::uint32_t lifetime = 0;  // granted
  std::uint32_t epoch = 0;
  bool gateway_lost_state = false;  // §8.5: this answer's epoch shows a reset since the last one
  std::optional<asio::ip::address> third_party;                        // repeated by a delete (§13.1)
  std::optional<std::pair<asio::ip::address, std::uint16_t>> remote_peer;  // PEER: repeated by a delete
};

struct announce_info {
  std::uint32_t epoch = 0;
  bool gateway_lost_state = false;
};

class client {
 public:
  client(asio::any_io_executor executor, client_options options);

  // §14.1: an ANNOUNCE request: does the gateway speak PCP (and what is its epoch)? A NAT-PMP-only
  // gateway yields errc::natpmp_only.
  asio::awaitable<core::result<announce_info>> async_announce();

  // §11: MAP create or renew (same nonce and ports renew), delete with lifetime 0.
  asio::awaitable<core::result<mapping_info>> async_map(const map_params& params);
  // §12: PEER create or renew; params.remote_peer is required.
  asio::awaitable<core::result<mapping_info>> async_peer(const map_params& params);
  // Deletes `m`: its opcode (MAP or PEER), nonce, ports, third party and remote peer, with lifetime 0.
  asio::awaitable<core::result<mapping_info>> async_delete(const mapping_info& m);

  // §14.1.1: an unsolicited ANNOUNCE (to 224.0.0.1 / ff02::1 port 5350) from the gateway. Judged by
  // sender (the gateway's address, port 5351) and form; its epoch feeds the §8.5 tracker.
  core::result<announce_info> observe_announcement(byte_span datagram, const asio::ip::udp::endpoint& from);
  // True if `sender` is the gateway: its address, or its link-local address (client_options).
  [[nodiscard]] bool is_gateway(const asio::ip::address& sender) const noexcept;

  // True once since the last call if any observation showed that the gateway lost its state.
  [[nodiscard]] bool take_lost_state() noexcept { return std::exchange(lost_state_pending_, false); }
  [[nodiscard]] bool pcp_succeeded() const noexcept { return succeeded_; }
  [[nodiscard]] asio::ip::address local_address() const;
  [[nodiscard]] const client_options& options() const noexcept { return options_; }
  void set_deadline(std::chrono::milliseconds deadline) noexcept { options_.deadline = deadline; }
  [[nodiscard]] const core::exchange_reply& last_exchange() const noexcept { return last_exchange_; }

 private:
  // `undo_rejected`: delete what a SUCCESS we must reject created (only for requests that create).
  asio::awaitable<core::result<response>> async_request(request req, bool undo_rejected = false);
  // By value: the public wrappers return this coroutine directly, and a reference would dangle.
  asio::awaitable<core::result<mapping_info>> async_map_or_peer(opcode op, map_params params);
  std::error_code ensure_open();
  bool observe_epoch(std::uint32_t epoch);

  client_options options_;
  asio::ip::udp::socket socket_;
  epoch_tracker epoch_;
  bool succeeded_ = false;
  bool lost_state_in_last_answer_ = false;
  bool lost_state_pending_ = false;
  core::exchange_reply last_exchange_;
};

// Converts between asio addresses and PCP's 128-bit form (IPv4 as IPv4-mapped).
address to_pcp_address(const asio::ip::address& a);
asio::ip::address from_pcp_address(const address& a);

}  // namespace natpunch::pcp
