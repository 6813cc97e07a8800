// Runs one parsed CLI command against the gateway and prints its outcome.
#pragma once

#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include "args.hpp"
#include "natpunch/portmap/mapping.hpp"
#include "output.hpp"

namespace natpunch::cli {

// One mapping as a JSON object (the `add --json` line); `event` is set in --keep mode.
json_object mapping_json(const portmap::mapping& m, std::string_view event);
// "11.0.0.5:8080" or "[fd00::1]:8080".
std::string endpoint_text(const asio::ip::address& a, std::uint16_t port);
// "8333/tcp".
std::string spec_of(const port_spec& ports);

// Returns the process exit status (see output.hpp).
asio::awaitable<int> run_command(const invocation& inv);

}  // namespace natpunch::cli
