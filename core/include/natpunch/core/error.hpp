// Error helpers shared by every layer: one enum class + category per layer, built from a table of
// messages so that each layer only lists its codes and their text.
#pragma once

#include <string>
#include <system_error>

namespace natpunch::core {

// A category for an error enum whose messages come from a free function found by ADL:
//   const char* describe(Enum) noexcept;
// Instantiate once per enum via `category_of<Enum>()`, and give the enum a make_error_code overload.
template <typename Enum>
class enum_category final : public std::error_category {
 public:
  explicit constexpr enum_category(const char* name) noexcept : name_(name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int value) const override {
    const char* text = describe(static_cast<Enum>(value));
    return text != nullptr ? text : "unknown error " + std::to_string(value);
  }

 private:
  const char* name_;
};

// Codes for the transport layer: what went wrong moving bytes, not what the bytes said.
enum class transport_errc {
  timed_out = 1,           // no acceptable answer before the deadline
  cancelled,               // the caller cancelled the exchange
  connection_refused,      // ICMP port unreachable / TCP RST: nothing listens there
  network_unreachable,     // no route to the peer
  message_too_large,       // a datagram or read exceeded its size limit
  closed,                  // the peer closed the connection early
};
const char* describe(transport_errc e) noexcept;
const std::error_category& transport_category() noexcept;
inline std::error_code make_error_code(transport_errc e) noexcept {
  return {static_cast<int>(e), transport_category()};
}

// "<category>: <message>" — what the CLI prints after "error: ".
std::string describe(const std::error_code& ec);

}  // namespace natpunch::core

template <>
struct std::is_error_code_enum<natpunch::core::transport_errc> : std::true_type {};
