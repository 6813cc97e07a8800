// The mapping manager's own errors: what it decided, apart from what a gateway or the network said
// (those keep their own categories: pcp, natpmp, soap, transport ...).
#pragma once

#include <system_error>

namespace natpunch::portmap {

enum class errc {
  bad_gateway_address = 1,  // --gateway is not an IP address
  bad_gateway_port,         // --gateway's port is not 1..65535
  no_gateway,               // no default route and no --gateway: nowhere to ask
  no_protocol_answered,     // auto: no PCP, NAT-PMP or UPnP IGD answered within the deadline
  not_recorded,             // delete by port: natpunch has no record of such a mapping
  ambiguous,                // delete by port: several recorded mappings match
  needs_pcp,                // a PCP-only option, and the gateway speaks no PCP
  no_external_address,      // the gateway gave 0.0.0.0 or no address as its external address
};
const std::error_category& category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

// The gateway answered and said no: a NAT-PMP or PCP result code, a UPnP fault, or PCP's
// "unsupported version" from a NAT-PMP-only gateway. Not a timeout, a transport error or garbage.
bool gateway_refused(const std::error_code& ec) noexcept;
// The gateway says it no longer holds the mapping (UPnP 714 NoSuchEntryInArray): deleting it is done.
bool mapping_gone(const std::error_code& ec) noexcept;

}  // namespace natpunch::portmap

template <>
struct std::is_error_code_enum<natpunch::portmap::errc> : std::true_type {};
