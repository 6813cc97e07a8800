// `natpunch add --keep`: hold a mapping until stopped. Renews at half the granted lifetime (RFC 6886
// §3.3), re-creates it at once when the gateway shows it lost its state (§3.6 epoch rule, from an answer
// or from the gateway's §3.2.1 announcement), reports a changed external address or port, and deletes
// the mapping on SIGINT/SIGTERM.
#pragma once

#include <asio/awaitable.hpp>

#include "args.hpp"
#include "natpunch/natpmp/client.hpp"

namespace natpunch::cli {

struct kept_mapping {
  natpmp::mapping_info mapping;
  asio::ip::address_v4 external_address;
};

// Runs until cancelled (the CLI's signal handler cancels), then deletes the mapping. Returns the exit
// status: 0 when the mapping was removed on exit, otherwise the delete's error status.
asio::awaitable<int> keep_mapping(natpmp::client& client, const invocation& inv, kept_mapping current);

}  // namespace natpunch::cli
