// Bounds-checked big-endian byte reader and writer: every wire codec reads and writes through these,
// never by casting a buffer to a struct.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace natpunch::core {

using byte_span = std::span<const std::uint8_t>;
using bytes = std::vector<std::uint8_t>;

// Reads network-order integers from a span. A read past the end returns 0, reads nothing and latches
// `ok() == false`, so a parser can read a whole fixed layout and check once at the end.
class byte_reader {
 public:
  explicit byte_reader(byte_span data) noexcept : data_(data) {}

  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(take(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(take(2)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(take(4)); }

  // Copies N bytes; all zero when out of bounds.
  template <std::size_t N>
  std::array<std::uint8_t, N> array() noexcept {
    std::array<std::uint8_t, N> out{};
    const byte_span src = span(N);
    for (std::size_t i = 0; i < src.size(); ++i) out[i] = src[i];
    return out;
  }

  // A view of the next n bytes, or an empty span (and !ok()) when fewer remain.
  byte_span span(std::size_t n) noexcept {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    const byte_span out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

  void skip(std::size_t n) noexcept { (void)span(n); }

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] bool at_end() const noexcept { return remaining() == 0; }

 private:
  std::uint64_t take(std::size_t n) noexcept {
    const byte_span src = span(n);
    std::uint64_t value = 0;
    for (const std::uint8_t b : src) value = (value << 8) | b;
    return value;
  }

  byte_span data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Appends network-order integers to a growing buffer.
class byte_writer {
 public:
  byte_writer() = default;
  explicit byte_writer(std::size_t reserve) { out_.reserve(reserve); }

  byte_writer& u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
  }
  byte_writer& u16(std::uint16_t v) { return put(v, 2); }
  byte_writer& u32(std::uint32_t v) { return put(v, 4); }
  byte_writer& raw(byte_span data) {
    out_.insert(out_.end(), data.begin(), data.end());
    return *this;
  }
  byte_writer& zeros(std::size_t n) {
    out_.insert(out_.end(), n, 0);
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  [[nodiscard]] const bytes& view() const noexcept { return out_; }
  [[nodiscard]] bytes take() && { return std::move(out_); }

 private:
  byte_writer& put(std::uint64_t v, std::size_t n) {
    for (std::size_t i = n; i-- > 0;) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }

  bytes out_;
};

}  // namespace natpunch::core
