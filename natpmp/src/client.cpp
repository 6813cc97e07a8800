#include "natpunch/natpmp/client.hpp"

#include <asio/use_awaitable.hpp>

#include "natpunch/core/error.hpp"
#include "natpunch/core/log.hpp"

namespace natpunch::natpmp {

client::client(asio::any_io_executor executor, client_options options)
    : options_(std::move(options)), socket_(std::move(executor)) {}

std::error_code client::ensure_open() {
  if (socket_.is_open()) return {};
  return core::open_connected(socket_, {options_.gateway, options_.port});
}

bool client::observe_epoch(std::uint32_t epoch) {
  const bool lost = epoch_.observe(epoch, std::chrono::steady_clock::now());
  if (lost) {
    lost_state_pending_ = true;
    core::log::warn("gateway ", options_.gateway.to_string(), " lost its mapping state (epoch now ", epoch,
                    " s): it rebooted or changed its external address");
  }
  return lost;
}

asio::ip::address client::local_address() const {
  std::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  return ec ? asio::ip::address{} : local.address();
}

asio::awaitable<core::result<response>> client::async_request(const request& req) {
  if (const auto ec = ensure_open()) co_return ec;
  const bytes wire = encode(req);
  // A datagram that cannot answer this request (malformed, or an answer to an earlier one) is ignored
  // and the exchange keeps waiting; one that does answer it is accepted and judged below.
  const auto check = [&req](byte_span datagram) -> std::error_code {
    auto decoded = decode_response(datagram);
    if (!decoded) return decoded.error();
    return mismatch(req, *decoded);
  };
  core::exchange_options exchange{options_.schedule, options_.deadline, max_message_size};
  auto reply = co_await core::async_udp_exchange(socket_, {options_.gateway, options_.port}, wire, check, exchange);
  if (!reply) co_return reply.error();  // after a socket error the exchange closed it: reopened next time
  last_exchange_ = *reply;
  auto resp = decode_response(reply->payload);  // cannot fail: the check accepted it
  if (!resp) co_return resp.error();
  // §3.6: every answer's epoch counts, a refusal's too (the epoch is in the 8 bytes every answer has).
  lost_state_in_last_answer_ = observe_epoch(std::visit([](const auto& r) { return r.epoch; }, *resp));
  if (const auto verdict = check_answer(req, *resp); !verdict) co_return verdict.error();
  co_return std::move(*resp);
}

core::result<external_address_info> client::observe_announcement(byte_span datagram,
                                                                  const asio::ip::udp::endpoint& from) {
  if (from.address() != asio::ip::address(options_.gateway) || from.port() != options_.port) {
    return errc::foreign_sender;
  }
  const request asked = external_address_request{};
  auto resp = decode_response(datagram);
  if (!resp) return resp.error();
  if (const std::error_code ec = mismatch(asked, *resp)) return ec;
  if (const auto verdict = check_answer(asked, *resp); !verdict) return verdict.error();
  const auto& r = std::get<external_address_response>(*resp);
  const bool lost = observe_epoch(r.epoch);
  return external_address_info{asio::ip::address_v4(r.external_address), r.epoch, lost};
}

asio::awaitable<core::result<external_address_info>> client::async_external_address() {
  auto resp = co_await async_request(external_address_request{});
  if (!resp) co_return resp.error();
  const auto& r = std::get<external_address_response>(*resp);
  co_return external_address_info{asio::ip::address_v4(r.external_address), r.epoch, lost_state_in_last_answer_};
}

asio::awaitable<core::result<mapping_info>> client::async_map(core::ip_protocol protocol, std::uint16_t internal_port,
                                                              std::uint16_t suggested_external_port,
                                                              std::uint32_t lifetime) {
  auto resp = co_await async_request(map_request{protocol, internal_port, suggested_external_port, lifetime});
  if (!resp) co_return resp.error();
  const auto& r = std::get<map_response>(*resp);
  co_return mapping_info{r.protocol, r.internal_port, r.external_port, r.lifetime, r.epoch, lost_state_in_last_answer_};
}

asio::awaitable<core::result<mapping_info>> client::async_delete(core::ip_protocol protocol,
                                                                 std::uint16_t internal_port) {
  return async_map(protocol, internal_port, 0, 0);
}

}  // namespace natpunch::natpmp
