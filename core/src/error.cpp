#include "natpunch/core/error.hpp"

namespace natpunch::core {

const char* describe(transport_errc e) noexcept {
  switch (e) {
    case transport_errc::timed_out: return "no answer before the deadline";
    case transport_errc::cancelled: return "cancelled";
    case transport_errc::connection_refused: return "connection refused (nothing listens on that port)";
    case transport_errc::network_unreachable: return "network unreachable (no route to the peer)";
    case transport_errc::message_too_large: return "message larger than the size limit";
    case transport_errc::closed: return "the peer closed the connection";
  }
  return nullptr;
}

const std::error_category& transport_category() noexcept {
  static const enum_category<transport_errc> category("transport");
  return category;
}

std::string describe(const std::error_code& ec) {
  return std::string(ec.category().name()) + ": " + ec.message();
}

}  // namespace natpunch::core
