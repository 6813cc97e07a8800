// `natpunch add --keep`: hold a mapping until stopped, whatever the protocol. Renews at half the granted
// lifetime (RFC 6886 §3.3, RFC 6887 §11.2.1), re-creates it at once when the gateway shows it lost its
// state (the epoch rules, from an answer or from an announcement), reports a changed external address
// or port, and deletes the mapping on SIGINT/SIGTERM.
#pragma once

#include <asio/awaitable.hpp>

#include "args.hpp"
#include "mapper.hpp"

namespace natpunch::cli {

// Runs until cancelled (the CLI's signal handler cancels), then deletes the mapping. Returns the exit
// status: 0 when the mapping was removed on exit, otherwise the delete's error status.
asio::awaitable<int> keep_mapping(mapper& m, const invocation& inv, mapping_view current);

}  // namespace natpunch::cli
