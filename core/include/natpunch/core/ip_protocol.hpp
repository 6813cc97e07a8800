// The transport protocol of a port mapping, shared by every gateway protocol.
#pragma once

#include <optional>
#include <string_view>

namespace natpunch::core {

enum class ip_protocol { tcp, udp };

constexpr std::string_view to_string(ip_protocol p) noexcept { return p == ip_protocol::tcp ? "tcp" : "udp"; }

// Accepts "tcp"/"udp" in any letter case.
std::optional<ip_protocol> parse_ip_protocol(std::string_view text) noexcept;

}  // namespace natpunch::core
