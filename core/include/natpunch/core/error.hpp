// Error helpers shared by every layer: one enum class + category per layer, built from a table of
// messages so that each layer only lists its codes and their text.
#pragma once

#include <limits>
#include <string>
#include <type_traits>
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

// A category for what a gateway answered (NAT-PMP and PCP result codes): the message is
// "NAME (N): meaning", from `const char* name(Enum)` and `const char* describe(Enum)` found by ADL, or
// "unknown result code N" for a code the protocol does not define (it still decodes, by value).
namespace detail {
// Outside the category class, whose own member name() would hide the protocol's name(Enum) from ADL.
template <typename Enum>
const char* code_name(Enum code) noexcept {
  return name(code);
}
}  // namespace detail

template <typename Enum>
class gateway_code_category final : public std::error_category {
 public:
  explicit constexpr gateway_code_category(const char* category_name) noexcept : name_(category_name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int value) const override {
    // A value outside the enum's wire width must not be truncated into a defined code.
    using wire = std::underlying_type_t<Enum>;
    if (value < 0 || static_cast<unsigned>(value) > std::numeric_limits<wire>::max()) {
      return "unknown result code " + std::to_string(value);
    }
    const auto code = static_cast<Enum>(value);
    const char* code_name = detail::code_name(code);
    if (code_name == nullptr) return "unknown result code " + std::to_string(value);
    return std::string(code_name) + " (" + std::to_string(value) + "): " + describe(code);
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
