// TCP with deadlines, for the HTTP client: every step takes an absolute deadline so that one
// exchange (connect, write, every read) has a single wall-clock limit that a slow peer cannot stretch.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/result.hpp"

namespace natpunch::core {

using deadline_clock = std::chrono::steady_clock;

// Errors: transport_errc::timed_out, cancelled, connection_refused, network_unreachable, or the OS error.
asio::awaitable<result<asio::ip::tcp::socket>> async_tcp_connect(asio::ip::tcp::endpoint peer,
                                                                 deadline_clock::time_point deadline);

// Writes all of `data` or fails.
asio::awaitable<result<void>> async_write_all(asio::ip::tcp::socket& socket, byte_span data,
                                              deadline_clock::time_point deadline);

// Reads what is available (at least one byte). Returns 0 when the peer closed the connection cleanly.
asio::awaitable<result<std::size_t>> async_read_some(asio::ip::tcp::socket& socket, std::span<std::uint8_t> into,
                                                     deadline_clock::time_point deadline);

}  // namespace natpunch::core
