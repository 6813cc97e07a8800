// RFC 6887 §7.3 option framing and the §13 options.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <variant>

#include "options.hpp"

namespace natpunch::pcp::detail {
namespace {

constexpr std::size_t third_party_size = 16;     // §13.1
constexpr std::size_t prefer_failure_size = 0;   // §13.2
constexpr std::size_t filter_size = 20;          // §13.3
constexpr std::size_t max_option_length = 0xffff;  // the 16-bit Option Length field
constexpr std::uint8_t max_prefix_length = 128;
constexpr std::uint8_t min_ipv4_prefix_length = 96;  // §13.3: the ::ffff:0:0/96 part of an IPv4-mapped address

constexpr std::size_t padded(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

std::uint8_t code_of(const option& o) noexcept {
  struct visitor {
    std::uint8_t operator()(const third_party_option&) const noexcept {
      return static_cast<std::uint8_t>(option_code::third_party);
    }
    std::uint8_t operator()(const prefer_failure_option&) const noexcept {
      return static_cast<std::uint8_t>(option_code::prefer_failure);
    }
    std::uint8_t operator()(const filter_option&) const noexcept {
      return static_cast<std::uint8_t>(option_code::filter);
    }
    std::uint8_t operator()(const unknown_option& u) const noexcept { return u.code; }
  };
  return std::visit(visitor{}, o);
}

// The option's data, without its header or padding.
void encode_data(core::byte_writer& out, const option& o) {
  if (const auto* third = std::get_if<third_party_option>(&o)) {
    out.raw(third->internal_address);
  } else if (const auto* filter = std::get_if<filter_option>(&o)) {
    out.u8(0).u8(filter->prefix_length).u16(filter->remote_port).raw(filter->remote_address);
  } else if (const auto* unknown = std::get_if<unknown_option>(&o)) {
    out.raw(unknown->data);
  }
}

std::size_t data_size(const option& o) noexcept {
  if (std::holds_alternative<third_party_option>(o)) return third_party_size;
  if (std::holds_alternative<filter_option>(o)) return filter_size;
  if (const auto* unknown = std::get_if<unknown_option>(&o)) return unknown->data.size();
  return prefer_failure_size;
}

// §13.3: "valid prefix lengths are between 96 and 128 bits" for IPv4-mapped addresses, 0 to 128 otherwise.
bool valid_prefix(const filter_option& f) noexcept {
  if (f.prefix_length > max_prefix_length) return false;
  return !is_ipv4_mapped(f.remote_address) || f.prefix_length >= min_ipv4_prefix_length;
}

bool all_zero(byte_span s) noexcept {
  for (const std::uint8_t b : s) {
    if (b != 0) return false;
  }
  return true;
}

// One known option from its data (already cut to Option Length); `dir` decides how strict.
core::result<option> decode_known(option_code code, byte_span data, direction dir) {
  core::byte_reader in(data);
  switch (code) {
    case option_code::third_party:
      if (data.size() != third_party_size) return errc::option_length;
      return option{third_party_option{in.array<16>()}};
    case option_code::prefer_failure:
      if (data.size() != prefer_failure_size) return errc::option_length;
      return option{prefer_failure_option{}};
    case option_code::filter: {
      if (data.size() != filter_size) return errc::option_length;
      const std::uint8_t reserved = in.u8();
      filter_option f;
      f.prefix_length = in.u8();
      f.remote_port = in.u16();
      f.remote_address = in.array<16>();
      if (dir == direction::request) {
        if (reserved != 0) return errc::bad_request;
        if (!valid_prefix(f)) return errc::bad_filter;
      }
      return option{f};
    }
  }
  return errc::option_length;  // unreachable: the caller passes known codes only
}

bool is_known(std::uint8_t code) noexcept {
  return code == static_cast<std::uint8_t>(option_code::third_party) ||
         code == static_cast<std::uint8_t>(option_code::prefer_failure) ||
         code == static_cast<std::uint8_t>(option_code::filter);
}

}  // namespace

void encode_options(core::byte_writer& out, const std::vector<option>& options) {
  for (const option& o : options) {
    const std::size_t size = data_size(o);
    // A programming error: decode never yields such an option, and no PCP message could carry it.
    if (size > max_option_length) throw std::length_error("PCP option data longer than 65535 bytes");
    out.u8(code_of(o)).u8(0).u16(static_cast<std::uint16_t>(size));
    encode_data(out, o);
    out.zeros(padded(size) - size);
  }
}

core::result<std::vector<option>> decode_options(core::byte_reader& in, const limits& lim, direction dir) {
  std::vector<option> out;
  while (!in.at_end()) {
    if (out.size() >= lim.max_options) return errc::too_many_options;
    const std::uint8_t code = in.u8();
    const std::uint8_t reserved = in.u8();
    const std::uint16_t length = in.u16();
    // With the message a multiple of 4 the header is always whole; checked anyway, it costs nothing.
    if (!in.ok()) return errc::option_overflow;
    if (padded(length) > in.remaining()) return errc::option_overflow;
    const byte_span data = in.span(length);
    const byte_span padding = in.span(padded(length) - length);
    if (dir == direction::request && (reserved != 0 || !all_zero(padding))) return errc::bad_request;

    if (!is_known(code)) {
      // §7.3: a client skips what it does not understand; kept whole so that decode→encode is exact.
      out.push_back(unknown_option{code, bytes(data.begin(), data.end())});
      continue;
    }
    auto known = decode_known(static_cast<option_code>(code), data, dir);
    if (!known) return known.error();
    out.push_back(std::move(*known));
  }
  return out;
}

}  // namespace natpunch::pcp::detail
