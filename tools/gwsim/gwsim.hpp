// gwsim: a scriptable home-gateway simulator for tests, honest or hostile. The parts, each optional:
// a NAT-PMP + PCP gateway (udp.cpp), a UPnP IGD over HTTP (igd.cpp), an SSDP responder (ssdp.cpp).
// One attack at a time (--attack NAME) turns one of them hostile; attacks.cpp lists them.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/use_awaitable.hpp>

namespace natpunch::gwsim {

using clock_type = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

enum class layer { udp, http, description, soap, ssdp };

struct attack {
  std::string_view name;
  layer target;
  std::string_view what;  // one line for --help and the README
};
// The attack called `name`, or nullptr.
const attack* find_attack(std::string_view name) noexcept;
const std::vector<attack>& all_attacks();

struct settings {
  asio::ip::address address = asio::ip::make_address_v4("127.0.0.1");
  std::uint16_t udp_port = 0;                   // NAT-PMP/PCP; 0 = ephemeral
  std::optional<std::uint16_t> http_port;       // the IGD, when asked for (0 = ephemeral)
  bool ssdp = false;                            // answer M-SEARCH (port 1900, the address's interface)
  std::vector<std::string> locations;           // LOCATIONs the SSDP answers name (default: our IGD)
  std::string control_url = "/ctl/IPConn";      // what the description names as controlURL
  bool dslforum = false;                        // the IGD in TR-064's domain, as Huawei's HG531 V1 publishes it
  asio::ip::address_v4 external = asio::ip::make_address_v4("11.0.0.5");
  std::chrono::milliseconds delay{0};           // before each honest NAT-PMP/PCP answer
  std::uint32_t epoch_start = 0;
  std::chrono::seconds run{60};
  const attack* hostile = nullptr;
  std::optional<std::uint64_t> attack_arg;      // a number some attacks take (see attacks.cpp)
  bool attack_on_control = false;               // an http-* attack on the SOAP answer, not the description
  std::optional<asio::ip::address> decoy;       // where wrong-source answers come from
};

inline bool attacking(const settings& s, layer l) { return s.hostile && s.hostile->target == l; }
inline std::uint64_t attack_arg(const settings& s, std::uint64_t otherwise) { return s.attack_arg.value_or(otherwise); }
// A count an attack repeats something (answers, elements, arguments): --attack-arg or `otherwise`,
// never more than `cap`, so no argument makes gwsim itself allocate without bound.
inline std::uint64_t attack_count(const settings& s, std::uint64_t otherwise, std::uint64_t cap = 100000) {
  return std::min(attack_arg(s, otherwise), cap);
}

// Every event is one JSON line on stdout, so tests assert what the gateway saw and did.
inline void log_json(const std::string& line) { std::cout << line << std::endl; }
std::string json_string(std::string_view s);  // quoted and escaped

// Each part serves until stop() (the run limit or a signal). Each prints where it listens first.
class part {
 public:
  virtual ~part() = default;
  virtual void stop() = 0;
};
std::unique_ptr<part> start_udp(asio::io_context& io, const settings& s, bool speak_pcp);
// The IGD's description URL is returned in `location`.
std::unique_ptr<part> start_igd(asio::io_context& io, const settings& s, std::string& location);
std::unique_ptr<part> start_ssdp(asio::io_context& io, const settings& s, std::vector<std::string> locations);

}  // namespace natpunch::gwsim
