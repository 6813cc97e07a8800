// `natpunch add --keep`: the keeper (portmap/keeper.hpp) with its events printed.
#pragma once

#include <asio/awaitable.hpp>

#include "args.hpp"
#include "natpunch/portmap/keeper.hpp"
#include "natpunch/portmap/mapper.hpp"

namespace natpunch::cli {

// Runs until cancelled (the CLI's signal handler cancels), then deletes the mapping. Returns the exit
// status: 0 when the mapping was removed on exit, otherwise the delete's error status.
// `also` sees every event too (the CLI records renewals and forgets the mapping once removed).
asio::awaitable<int> keep_mapping(portmap::mapper& m, const invocation& inv, portmap::mapping current,
                                  portmap::event_handler also = {});

}  // namespace natpunch::cli
