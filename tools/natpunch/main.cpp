// natpunch: open a TCP or UDP port on the home gateway. See `natpunch --help`.
#include <csignal>
#include <exception>
#include <chrono>
#include <functional>
#include <optional>
#include <iostream>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "natpunch/core/log.hpp"
#include "output.hpp"

int main(int argc, char** argv) {
  using namespace natpunch;
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto parsed = cli::parse_args(args);
  if (const auto* err = std::get_if<cli::usage_error>(&parsed)) {
    std::cerr << "natpunch: " << err->message << "\n"
              << "try 'natpunch " << (err->topic.empty() ? "" : err->topic + " ") << "--help'\n";
    return cli::exit_usage;
  }
  const auto& inv = std::get<cli::invocation>(parsed);
  if (inv.cmd.kind == cli::command_kind::help) {
    const auto& topic = inv.cmd.help_topic;
    if (!topic.empty() && topic != "external-ip" && topic != "add" && topic != "delete" && topic != "peer" &&
        topic != "announce" && topic != "discover" && topic != "status" && topic != "list" &&
        topic != "delete-range" && topic != "pinhole" && topic != "help") {
      std::cerr << "natpunch: no help for '" << topic << "': it is not a command\n";
      return cli::exit_usage;
    }
    std::cout << cli::help_text(topic == "help" ? "" : topic);
    return cli::exit_ok;
  }
  core::log::set_level(inv.options.verbosity >= 2   ? core::log::level::debug
                       : inv.options.verbosity == 1 ? core::log::level::info
                                                    : core::log::level::error);

  asio::io_context io;
  // Ctrl-C / SIGTERM cancel the request in flight; the command then undoes what it may have made and exits with status 130.
  asio::cancellation_signal cancel;
  // Re-armed after every signal: a second Ctrl-C during `add --keep`'s delete-on-exit cancels it too.
  // A repeat within a second is the same request delivered twice, not a second request: GNU timeout
  // signals the child and then its whole process group, and systemd's control-group kill does alike.
  // Counting it would cancel the delete-on-exit and leave the mapping behind.
  constexpr auto duplicate_window = std::chrono::seconds(1);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::optional<std::chrono::steady_clock::time_point> last_signal;
  std::function<void(const std::error_code&, int)> on_signal = [&](const std::error_code& ec, int) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    if (!last_signal || now - *last_signal >= duplicate_window) {
      cancel.emit(asio::cancellation_type::terminal);
      last_signal = now;
    }
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  int status = cli::exit_unreachable;
  std::exception_ptr failure;
  asio::co_spawn(io, cli::run_command(inv),
                 asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, int s) {
                   failure = e;
                   status = s;
                   signals.cancel();
                 }));
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::cerr << "natpunch: internal error: " << e.what() << "\n";
    }
    return 70;  // EX_SOFTWARE: a bug in natpunch, not in the network
  }
  return status;
}
