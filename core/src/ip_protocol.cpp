#include "natpunch/core/ip_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace natpunch::core {

std::optional<ip_protocol> parse_ip_protocol(std::string_view text) noexcept {
  if (text.size() != 3) return std::nullopt;
  char lower[3];
  std::transform(text.begin(), text.end(), lower,
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  const std::string_view l(lower, 3);
  if (l == "tcp") return ip_protocol::tcp;
  if (l == "udp") return ip_protocol::udp;
  return std::nullopt;
}

}  // namespace natpunch::core
