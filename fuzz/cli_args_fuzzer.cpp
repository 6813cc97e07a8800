// The CLI's argument parser (what a user, a script or a config generator types). The input is split
// on NUL bytes into argv. Invariants: it never throws or crashes; the result is an invocation or a
// usage error with a message; a parsed add/delete/peer has ports in range; --filter prefixes fit.
#include <string>
#include <vector>

#include "args.hpp"
#include "support.hpp"

namespace {

using natpunch::fuzz::require;
using namespace natpunch::cli;

void run(natpunch::core::byte_span input) {
  std::vector<std::string> args(1);
  for (const std::uint8_t b : input) {
    if (b == 0) {
      if (args.size() >= 64) break;  // argv is bounded in practice; keep each run small
      args.emplace_back();
    } else {
      args.back().push_back(static_cast<char>(b));
    }
  }
  const auto parsed = parse_args(args);
  if (const auto* err = std::get_if<usage_error>(&parsed)) {
    require(!err->message.empty());
    require(!help_text(err->topic).empty());
    return;
  }
  const auto& inv = std::get<invocation>(parsed);
  const auto& cmd = inv.cmd;
  // delete --all names no port; --all goes with list and delete only (or asks for help).
  require(!cmd.all || cmd.kind == command_kind::list || cmd.kind == command_kind::remove || cmd.kind == command_kind::help);
  if (cmd.kind == command_kind::add || (cmd.kind == command_kind::remove && !cmd.all) || cmd.kind == command_kind::peer) {
    require(cmd.ports.internal_port != 0);
    require(!cmd.ports.external_port || *cmd.ports.external_port != 0);
  }
  if (cmd.kind == command_kind::peer) require(cmd.remote.has_value() && cmd.remote->second != 0);
  for (const auto& f : cmd.filters) require(f.prefix_length <= (f.address.is_v4() ? 32 : 128));
  if (cmd.nonce) require(cmd.nonce->size() == 24);
  require(inv.options.timeout.count() >= 1000 && inv.options.timeout.count() <= 3'600'000);
  (void)help_text(cmd.help_topic);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
