// Command-line parsing for the natpunch CLI: pure functions from argv to a command, so usage errors
// are testable and never touch the network.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <asio/ip/address.hpp>

#include "natpunch/core/ip_protocol.hpp"

namespace natpunch::cli {

enum class protocol_choice { automatic, natpmp, pcp, upnp };

struct global_options {
  protocol_choice protocol = protocol_choice::automatic;
  std::optional<std::string> gateway;  // ADDR or ADDR:PORT; default: the default route's gateway
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::optional<std::string> igd;      // --igd URL: the UPnP description URL, skipping discovery (upnpc -u)
  bool json = false;
  int verbosity = 0;
};

// INTERNAL[:EXTERNAL]/tcp|udp
struct port_spec {
  std::uint16_t internal_port = 0;
  std::optional<std::uint16_t> external_port;
  core::ip_protocol protocol = core::ip_protocol::tcp;
};

enum class command_kind { help, external_ip, add, remove, peer, announce, discover, status, list, delete_range, pinhole };

// --filter ADDR[/LEN][:PORT] (PCP FILTER, RFC 6887 §13.3): only this remote prefix and port may use
// the mapping. LEN is within the address's own family (0..32 or 0..128); PORT 0 means any.
struct filter_spec {
  asio::ip::address address;
  std::uint8_t prefix_length = 0;
  std::uint16_t port = 0;
  friend bool operator==(const filter_spec&, const filter_spec&) = default;
};

struct command {
  command_kind kind = command_kind::help;
  std::string help_topic;  // for kind == help: "" (general) or a command name
  port_spec ports;
  std::uint32_t lifetime = 7200;
  std::string description = "natpunch";
  bool keep = false;  // add --keep: hold the mapping until stopped, then delete it
  bool all = false;   // list --all: the gateway's whole table too; delete --all: every recorded mapping
  bool prefer_failure = false;       // add --prefer-failure (PCP §13.2)
  std::optional<std::string> nonce;  // delete --nonce HEX (PCP: the mapping's nonce, 24 hex digits)
  std::vector<filter_spec> filters;               // add/peer --filter (PCP)
  std::optional<asio::ip::address> third_party;   // add/peer --third-party IP (PCP §13.1)
  std::optional<std::pair<asio::ip::address, std::uint16_t>> remote;  // peer: REMOTE_ADDR:PORT
  std::pair<std::uint16_t, std::uint16_t> range{0, 0};  // delete-range FIRST-LAST/tcp|udp (external ports)
  std::string pinhole_action;      // pinhole add|update|delete|check|status
  std::uint16_t pinhole_id = 0;    // pinhole update|delete|check ID (the UniqueID add printed)
};

struct invocation {
  global_options options;
  command cmd;
};

struct usage_error {
  std::string message;
  std::string topic;  // the command whose usage to point at ("" = general)
};

std::variant<invocation, usage_error> parse_args(const std::vector<std::string>& args);
std::optional<port_spec> parse_port_spec(const std::string& text);
std::optional<filter_spec> parse_filter(const std::string& text);
// ADDR:PORT or [IPV6]:PORT, port 1..65535.
std::optional<std::pair<asio::ip::address, std::uint16_t>> parse_endpoint(const std::string& text);
std::string help_text(const std::string& topic);

}  // namespace natpunch::cli
