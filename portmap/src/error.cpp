#include "natpunch/portmap/error.hpp"

#include "natpunch/core/error.hpp"
#include "natpunch/natpmp/error.hpp"
#include "natpunch/pcp/error.hpp"
#include "natpunch/soap/error.hpp"

namespace natpunch::portmap {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::bad_gateway_address: return "--gateway must be an IP address (e.g. 192.168.1.1, [fd00::1]:5351)";
    case errc::bad_gateway_port: return "--gateway's port must be from 1 to 65535";
    case errc::no_gateway: return "no default route and no --gateway: nowhere to ask";
    case errc::no_protocol_answered: return "no PCP, NAT-PMP or UPnP IGD gateway answered";
    case errc::not_recorded: return "natpunch has no record of such a mapping on this gateway";
    case errc::ambiguous: return "several recorded mappings match: name the external port or the protocol";
    case errc::needs_pcp: return "this option needs PCP, and the gateway does not speak it";
    case errc::no_external_address: return "the gateway has no usable external address";
  }
  return nullptr;
}

const std::error_category& category() noexcept {
  static const core::enum_category<errc> instance("portmap");
  return instance;
}

bool gateway_refused(const std::error_code& ec) noexcept {
  return ec.category() == natpmp::result_code_category() || ec.category() == pcp::result_code_category() ||
         ec == pcp::errc::natpmp_only || ec.category() == soap::upnp_error_category() ||
         ec.category() == soap::firewall_error_category();
}

bool mapping_gone(const std::error_code& ec) noexcept {
  return ec == std::error_code(714, soap::upnp_error_category());
}

}  // namespace natpunch::portmap
