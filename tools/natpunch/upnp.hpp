// The commands only UPnP IGD has: discover, status, list, delete-range and pinhole.
#pragma once

#include <string_view>
#include <system_error>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "args.hpp"
#include "natpunch/portmap/gateway.hpp"
#include "natpunch/portmap/igd_finder.hpp"
#include "natpunch/soap/client.hpp"

namespace natpunch::cli {

asio::awaitable<int> run_upnp_command(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex);

// pinhole.cpp
asio::awaitable<int> run_pinhole(const invocation& inv, soap::client& c, const portmap::igd_session& s);

// Prints the error with the gateway's own words (its last fault), returns the exit status.
int fail(const invocation& inv, std::string_view what, const std::error_code& ec, const soap::client& c);

}  // namespace natpunch::cli
