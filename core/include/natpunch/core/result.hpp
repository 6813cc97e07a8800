// result<T>: a value or an error_code (std::expected is C++23; GCC 12 lacks it in C++20 mode).
#pragma once

#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace natpunch::core {

template <typename T>
class [[nodiscard]] result {
 public:
  // Only asio::co_spawn's exception path default-constructs a result (it needs one to pass along with
  // the exception); it never reaches a caller as a value.
  result() : v_(std::make_error_code(std::errc::state_not_recoverable)) {}
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose, like std::expected
  result(std::error_code ec) : v_(ec) { assert(ec && "a result error must be an error"); }  // NOLINT
  template <typename E, typename = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e) : result(std::error_code(make_error_code(e))) {}  // NOLINT

  [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] std::error_code error() const noexcept {
    return has_value() ? std::error_code{} : std::get<1>(v_);
  }

 private:
  void check() const {
    if (!has_value()) throw std::system_error(std::get<1>(v_), "result has no value");
  }
  std::variant<T, std::error_code> v_;
};

// result<void>: success or an error.
struct ok_t {};
inline constexpr ok_t ok{};
template <>
class [[nodiscard]] result<void> {
 public:
  result() : ec_(std::make_error_code(std::errc::state_not_recoverable)) {}  // see result<T>()
  result(ok_t) noexcept {}  // NOLINT
  result(std::error_code ec) : ec_(ec) { assert(ec); }  // NOLINT
  template <typename E, typename = std::enable_if_t<std::is_error_code_enum_v<E>>>
  result(E e) : ec_(make_error_code(e)) {}  // NOLINT
  [[nodiscard]] bool has_value() const noexcept { return !ec_; }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] std::error_code error() const noexcept { return ec_; }

 private:
  std::error_code ec_;
};

}  // namespace natpunch::core
