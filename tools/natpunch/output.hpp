// Output for the CLI: one JSON object per line with --json, plain sentences otherwise.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include "natpunch/core/log.hpp"

namespace natpunch::cli {

// A flat JSON object built field by field, in insertion order.
class json_object {
 public:
  json_object& add(std::string_view key, std::string_view value);
  json_object& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  json_object& add(std::string_view key, std::int64_t value);
  json_object& add(std::string_view key, bool value);
  json_object& add_raw(std::string_view key, std::string_view json);  // an already-encoded value
  [[nodiscard]] std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_;
};

std::string json_escape(std::string_view text);

// Gateway text for a terminal (log.hpp).
using core::log::printable;

// Exit statuses (documented in `natpunch --help`).
enum exit_status : int {
  exit_ok = 0,
  exit_refused = 1,
  exit_usage = 2,
  exit_unreachable = 3,
  exit_bad_answer = 4,
  exit_interrupted = 130,  // SIGINT/SIGTERM, as shells report 128 + SIGINT
};

// Which exit status an error maps to, by its category.
exit_status exit_status_for(const std::error_code& ec);

// Prints an error: "natpunch: error: <what>: <category>: <message>" on stderr, and with --json also
// {"error":{...}} on stdout so scripts read one stream.
// `gateway_text`: the gateway's own words (UPnP errorDescription), printed and kept in the JSON.
void print_error(bool json, std::string_view what, const std::error_code& ec, std::string_view gateway_text = {});

}  // namespace natpunch::cli
