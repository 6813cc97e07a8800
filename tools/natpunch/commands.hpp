// Runs one parsed CLI command against the gateway and prints its outcome.
#pragma once

#include <asio/awaitable.hpp>

#include <string_view>

#include "args.hpp"
#include "natpunch/natpmp/client.hpp"
#include "output.hpp"

namespace natpunch::cli {

// One mapping as a JSON object (the `add --json` line); `event` is set in --keep mode.
json_object mapping_json(const natpmp::client& client, const asio::ip::address_v4& external,
                         const natpmp::mapping_info& m, std::string_view event);

// Returns the process exit status (see output.hpp).
asio::awaitable<int> run_command(const invocation& inv);

}  // namespace natpunch::cli
