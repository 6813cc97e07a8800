// gwsim's NAT-PMP (RFC 6886) and PCP (RFC 6887) gateway, through the same codecs the client uses:
// a mapping table, a per-answer delay, a start epoch; honest, or playing one udp attack.
#include <map>
#include <memory>
#include <tuple>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/multicast.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include "gwsim.hpp"
#include "natpunch/natpmp/codec.hpp"
#include "natpunch/pcp/codec.hpp"

namespace natpunch::gwsim {
namespace {

using asio::ip::udp;
using core::bytes;

const auto forged_address = asio::ip::make_address_v4("6.6.6.6");
constexpr std::uint16_t forged_port = 6666;
constexpr unsigned max_pending = 64;  // a flood of requests cannot grow the simulator without bound

// RFC 6886 §3.5: a NAT-PMP gateway answers any other version (e.g. a PCP request) with "unsupported
// version": version 0, opcode 128 + the request's, result 1, its epoch.
bytes unsupported_version(std::uint8_t request_opcode, std::uint32_t epoch) {
  return core::byte_writer(8).u8(0).u8(static_cast<std::uint8_t>(0x80 | (request_opcode & 0x7f))).u16(1).u32(epoch).view();
}

class udp_gateway final : public part {
 public:
  udp_gateway(asio::io_context& io, const settings& s, bool speak_pcp)
      : config_(s), pcp_(speak_pcp), socket_(io, udp::endpoint(s.address, s.udp_port)), side_(io, udp::endpoint(s.address, 0)) {
    if (s.decoy) decoy_.emplace(io, udp::endpoint(*s.decoy, socket_.local_endpoint().port()));
    log_json(R"({"listening":")" + s.address.to_string() + ":" + std::to_string(socket_.local_endpoint().port()) +
             R"(","pcp":)" + (pcp_ ? "true" : "false") + "}");
    asio::co_spawn(io, serve(), asio::detached);
    if (attacking(s, layer::udp) && s.hostile->name == "announce") asio::co_spawn(io, announce(), asio::detached);
  }

  ~udp_gateway() override {
    log_json(R"({"stopped":true,"mappings":)" + std::to_string(mappings_.size()) + "}");
  }

  void stop() override {
    std::error_code ignored;
    socket_.close(ignored);
    side_.close(ignored);
    if (decoy_) decoy_->close(ignored);
    for (auto* t : timers_) t->cancel();  // delayed answers: stop now, not --delay-ms later
  }

 private:
  std::uint32_t epoch() const {
    return config_.epoch_start +
           static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - started_).count());
  }

  // The honest NAT-PMP answer, with `external`/`port` in place of ours for a forgery.
  natpmp::response answer(const natpmp::request& req, std::string& log, asio::ip::address_v4 external, bool record) {
    if (std::holds_alternative<natpmp::external_address_request>(req)) {
      log = R"({"request":"external_address"})";
      return natpmp::external_address_response{natpmp::result_code::success, epoch(), external.to_bytes()};
    }
    const auto& m = std::get<natpmp::map_request>(req);
    natpmp::map_response resp{m.protocol, natpmp::result_code::success, epoch(), m.internal_port, 0, 0};
    const bool remove = m.lifetime == 0;
    log = std::string(R"({"request":")") + (remove ? "delete" : "map") + R"(","transport":")" +
          std::string(core::to_string(m.protocol)) + R"(","internal_port":)" + std::to_string(m.internal_port) +
          R"(,"suggested_external_port":)" + std::to_string(m.suggested_external_port) + R"(,"lifetime":)" +
          std::to_string(m.lifetime) + "}";
    if (remove) {
      if (record) mappings_.erase({m.protocol, m.internal_port});
      return resp;
    }
    const std::uint16_t port = m.suggested_external_port != 0 ? m.suggested_external_port : m.internal_port;
    if (record) mappings_[{m.protocol, m.internal_port}] = {port, m.lifetime};
    resp.external_port = record ? port : forged_port;
    resp.lifetime = m.lifetime;
    return resp;
  }

  // The honest PCP answer (options are not processed: a gateway may ignore them, §7.3).
  pcp::response answer(const pcp::request& req, std::string& log, asio::ip::address_v4 external, bool record) {
    pcp::response resp;
    resp.op = req.op;
    resp.lifetime = req.lifetime;
    resp.epoch = epoch();
    log = R"({"request":"pcp_)" + std::string(req.op == pcp::opcode::announce ? "announce" : req.op == pcp::opcode::map ? "map" : "peer");
    const pcp::map_body* asked = std::get_if<pcp::map_body>(&req.payload);
    if (const auto* p = std::get_if<pcp::peer_body>(&req.payload)) asked = &p->map;
    if (!asked) {
      log += "\"}";
      return resp;
    }
    pcp::map_body m = *asked;
    const core::ip_protocol protocol = m.protocol == pcp::protocol_udp ? core::ip_protocol::udp : core::ip_protocol::tcp;
    log += R"(","protocol":)" + std::to_string(m.protocol) + R"(,"internal_port":)" + std::to_string(m.internal_port) +
           R"(,"suggested_external_port":)" + std::to_string(m.external_port) + R"(,"lifetime":)" + std::to_string(req.lifetime) + "}";
    if (req.lifetime == 0) {
      if (record) mappings_.erase({protocol, m.internal_port});
      m.external_port = 0;
    } else {
      const std::uint16_t port = m.external_port != 0 ? m.external_port : m.internal_port;
      if (record) mappings_[{protocol, m.internal_port}] = {port, req.lifetime};
      m.external_port = record ? port : forged_port;
      m.external_address = pcp::ipv4_mapped(external.to_bytes());
    }
    if (const auto* p = std::get_if<pcp::peer_body>(&req.payload)) {
      pcp::peer_body body = *p;
      body.map = m;
      resp.payload = body;
    } else {
      resp.payload = m;
    }
    return resp;
  }

  // What the attack sends before the honest answer (datagram, and the socket it leaves from).
  std::vector<std::pair<bytes, udp::socket*>> forgeries(const bytes& request, const std::optional<natpmp::request>& nat,
                                                         const std::optional<pcp::request>& pc) {
    std::vector<std::pair<bytes, udp::socket*>> out;
    if (!attacking(config_, layer::udp)) return out;
    const std::string_view name = config_.hostile->name;
    std::string ignored;
    const auto forged = [&]() -> bytes {
      if (nat) return natpmp::encode(answer(*nat, ignored, forged_address, false));
      if (pc) return pcp::encode(answer(*pc, ignored, forged_address, false));
      return {};
    };
    if (name == "wrong-source" && decoy_) {
      out.emplace_back(forged(), &*decoy_);
    } else if (name == "wrong-port") {
      out.emplace_back(forged(), &side_);
    } else if (name == "wrong-nonce" && pc) {
      pcp::request other = *pc;
      if (auto* m = std::get_if<pcp::map_body>(&other.payload)) m->mapping_nonce[0] ^= 0xff;
      if (auto* p = std::get_if<pcp::peer_body>(&other.payload)) p->map.mapping_nonce[0] ^= 0xff;
      out.emplace_back(pcp::encode(answer(other, ignored, forged_address, false)), &socket_);
    } else if (name == "downgrade" && pc && decoy_) {
      out.emplace_back(unsupported_version(request[1], 0), &*decoy_);
    } else if (name == "garbage") {
      const bytes honest = forged();
      // Every proper prefix of a forged answer, then sizes no answer has, then wrong versions and no R bit.
      for (std::size_t n = 0; n < honest.size(); ++n) out.emplace_back(bytes(honest.begin(), honest.begin() + n), &socket_);
      out.emplace_back(bytes(1101, 0x02), &socket_);
      out.emplace_back(bytes(65000, 0xff), &socket_);
      for (const std::uint8_t version : {1, 3, 255}) {
        bytes b = honest;
        if (!b.empty()) b[0] = version;
        out.emplace_back(b, &socket_);
      }
      bytes no_r = honest;
      if (no_r.size() > 1) no_r[1] &= 0x7f;
      out.emplace_back(no_r, &socket_);
    } else if (name == "flood") {
      const auto n = attack_count(config_, 1000);
      for (std::uint64_t i = 0; i < n; ++i) {
        if (pc) {
          pcp::request other = *pc;
          if (auto* m = std::get_if<pcp::map_body>(&other.payload)) m->mapping_nonce[i % 12] ^= static_cast<std::uint8_t>(1 + i % 255);
          other.op = std::holds_alternative<std::monostate>(other.payload) ? pcp::opcode::announce : other.op;
          out.emplace_back(pcp::encode(answer(other, ignored, forged_address, false)), &socket_);
        } else if (nat) {
          // Answers to requests not made: a map for another internal port, or a map when the
          // external address was asked (NAT-PMP has no nonce: only the opcode and port tell).
          natpmp::map_request other{core::ip_protocol::tcp, static_cast<std::uint16_t>(1 + i % 1000), 0, 60};
          if (const auto* m = std::get_if<natpmp::map_request>(&*nat)) {
            other = *m;
            other.internal_port = static_cast<std::uint16_t>(m->internal_port + 1 + i % 1000);
          }
          out.emplace_back(natpmp::encode(answer(natpmp::request(other), ignored, forged_address, false)), &socket_);
        }
      }
    }
    return out;
  }

  asio::awaitable<void> send_later(bytes reply, udp::endpoint to) {
    asio::steady_timer timer(socket_.get_executor(), config_.delay);
    timers_.push_back(&timer);
    co_await timer.async_wait(use_tuple);
    std::erase(timers_, &timer);
    if (socket_.is_open()) co_await socket_.async_send_to(asio::buffer(reply), to, use_tuple);
    --pending_;
  }

  asio::awaitable<void> serve() {
    bytes buffer(pcp::limits{}.max_message_size);
    for (;;) {
      udp::endpoint from;
      auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buffer), from, use_tuple);
      if (ec) co_return;
      const bytes request(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      std::optional<natpmp::request> nat;
      std::optional<pcp::request> pc;
      bytes reply;
      std::string log;
      if (auto r = natpmp::decode_request(request)) {
        nat = *r;
        reply = natpmp::encode(answer(*nat, log, config_.external, true));
      } else if (n >= 2 && request[0] == pcp::version && pcp_) {
        auto p = pcp::decode_request(request);
        if (!p) {
          log_json(R"({"ignored":)" + json_string(p.error().message()) + R"(,"bytes":)" + std::to_string(n) + "}");
          continue;
        }
        pc = *p;
        reply = pcp::encode(answer(*pc, log, config_.external, true));
      } else if (n >= 2 && request[0] != 0) {
        reply = unsupported_version(request[1], epoch());
        log = R"({"request":"other_version","version":)" + std::to_string(request[0]) + "}";
      } else {
        log_json(R"({"ignored":"malformed","bytes":)" + std::to_string(n) + "}");
        continue;
      }
      log_json(log);
      const auto forged = forgeries(request, nat, pc);
      for (auto& [datagram, via] : forged) co_await via->async_send_to(asio::buffer(datagram), from, use_tuple);
      if (!forged.empty()) log_json(R"({"attack":)" + json_string(config_.hostile->name) + R"(,"datagrams":)" + std::to_string(forged.size()) + "}");
      if (attacking(config_, layer::udp) && config_.hostile->name == "silent") continue;
      if (config_.delay.count() == 0) {
        co_await socket_.async_send_to(asio::buffer(reply), from, use_tuple);
      } else if (pending_ < max_pending) {
        ++pending_;
        asio::co_spawn(socket_.get_executor(), send_later(reply, from), asio::detached);
      }
    }
  }

  // Forged announcements (RFC 6886 §3.2.1, RFC 6887 §14.1.3): epoch 0 says "I rebooted", 6.6.6.6 a new
  // public address. Sent from our own address: a client must believe only its gateway.
  asio::awaitable<void> announce() {
    const udp::endpoint group(asio::ip::make_address_v4("224.0.0.1"), natpmp::announce_port);
    if (config_.address.is_v4()) socket_.set_option(asio::ip::multicast::outbound_interface(config_.address.to_v4()));
    const auto rounds = attack_count(config_, 5, 100);
    asio::steady_timer timer(socket_.get_executor());
    for (std::uint64_t i = 0; i < rounds && socket_.is_open(); ++i) {
      const bytes nat = natpmp::encode(natpmp::external_address_response{natpmp::result_code::success, 0, forged_address.to_bytes()});
      pcp::response pc;
      pc.op = pcp::opcode::announce;
      const bytes pcp_announce = pcp::encode(pc);
      co_await socket_.async_send_to(asio::buffer(nat), group, use_tuple);
      co_await socket_.async_send_to(asio::buffer(pcp_announce), group, use_tuple);
      log_json(R"({"attack":"announce","round":)" + std::to_string(i + 1) + "}");
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(use_tuple);
    }
  }

  settings config_;
  bool pcp_;
  clock_type::time_point started_ = clock_type::now();
  udp::socket socket_;
  udp::socket side_;  // another port on our address: wrong-port forgeries
  std::optional<udp::socket> decoy_;
  unsigned pending_ = 0;
  std::vector<asio::steady_timer*> timers_;  // delayed answers still waiting
  // (protocol, internal port) -> (external port, lifetime)
  std::map<std::pair<core::ip_protocol, std::uint16_t>, std::pair<std::uint16_t, std::uint32_t>> mappings_;
};

}  // namespace

std::unique_ptr<part> start_udp(asio::io_context& io, const settings& s, bool speak_pcp) {
  return std::make_unique<udp_gateway>(io, s, speak_pcp);
}

}  // namespace natpunch::gwsim
