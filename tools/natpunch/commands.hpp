// Runs one parsed CLI command against the gateway and prints its outcome.
#pragma once

#include <string>
#include <string_view>

#include <asio/awaitable.hpp>

#include "args.hpp"
#include "natpunch/portmap/gateway.hpp"
#include "natpunch/portmap/manager.hpp"
#include "natpunch/portmap/mapper.hpp"
#include "natpunch/portmap/mapping.hpp"
#include "output.hpp"

namespace natpunch::cli {

// One mapping as a JSON object (the `add --json` line); `event` is set in --keep mode.
json_object mapping_json(const portmap::mapping& m, std::string_view event);
// "11.0.0.5:8080" or "[fd00::1]:8080".
std::string endpoint_text(const asio::ip::address& a, std::uint16_t port);
// "8333/tcp".
std::string spec_of(const port_spec& ports);

// What the command line asks to map (or, for delete, names).
portmap::mapping_request request_for(const command& cmd);
// The adapter --protocol names (auto: the auto mapper), without the record (external-ip).
std::unique_ptr<portmap::mapper> make_mapper(const invocation& inv, const portmap::gateway& gw,
                                             const portmap::mapping_request& r, asio::any_io_executor ex);
// The manager with this user's record; a record that cannot be used costs a warning, never the command.
portmap::manager make_manager(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex);
// The gateway a mapper spoke to ("the gateway" until known), and with its protocol: "192.168.1.1 (pcp)".
std::string where(const portmap::mapper& m);
std::string named(const portmap::mapper& m);

// records.cpp: delete (by port, from the record; --all) and list (what natpunch recorded).
asio::awaitable<int> run_delete(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex);
asio::awaitable<int> run_list_recorded(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex);

// Returns the process exit status (see output.hpp).
asio::awaitable<int> run_command(const invocation& inv);

}  // namespace natpunch::cli
