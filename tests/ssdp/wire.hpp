// SSDP messages written by hand from UDA 1.1 §1.2.2 and §1.3.3 (shaped like a miniupnpd answer, with our
// own values), never produced by our encoder. Shared by the ssdp tests.
#pragma once

#include <cstdint>
#include <ostream>  // doctest prints std::error_code through the standard operator<<
#include <string>
#include <string_view>

#include "natpunch/ssdp/message.hpp"

namespace ssdp_test {

namespace ssdp = natpunch::ssdp;

inline natpunch::core::byte_span span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline natpunch::core::result<ssdp::search_response> response(std::string_view s, const ssdp::limits& lim = {}) {
  return ssdp::parse_search_response(span(s), lim);
}
inline natpunch::core::result<ssdp::notify> notify(std::string_view s, const ssdp::limits& lim = {}) {
  return ssdp::parse_notify(span(s), lim);
}

// Replaces the first occurrence of `from` (which must be there) with `to`.
inline std::string replace(std::string s, std::string_view from, std::string_view to) {
  const std::size_t at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

inline const std::string igd_response =
    "HTTP/1.1 200 OK\r\n"
    "CACHE-CONTROL: max-age=1800\r\n"
    "DATE: Mon, 24 Nov 2025 10:00:00 GMT\r\n"
    "EXT:\r\n"
    "LOCATION: http://10.0.0.1:49152/igd.xml\r\n"
    "SERVER: Linux/5.4 UPnP/1.1 TestRouter/1.0\r\n"
    "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
    "USN: uuid:0A1B2C3D-0000-4000-8000-00000000CAFE::urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
    "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n"
    "BOOTID.UPNP.ORG: 7\r\n"
    "CONFIGID.UPNP.ORG: 42\r\n"
    "\r\n";

inline const std::string alive_notify =
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "CACHE-CONTROL: max-age=1800\r\n"
    "LOCATION: http://10.0.0.1:49152/igd.xml\r\n"
    "NT: urn:schemas-upnp-org:service:WANIPConnection:2\r\n"
    "NTS: ssdp:alive\r\n"
    "SERVER: Linux/5.4 UPnP/1.1 TestRouter/1.0\r\n"
    "USN: uuid:0a1b2c3d-0000-4000-8000-00000000cafe::urn:schemas-upnp-org:service:WANIPConnection:2\r\n"
    "BOOTID.UPNP.ORG: 7\r\n"
    "CONFIGID.UPNP.ORG: 42\r\n"
    "\r\n";

inline const std::string byebye_notify =
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: 239.255.255.250:1900\r\n"
    "NT: upnp:rootdevice\r\n"
    "NTS: ssdp:byebye\r\n"
    "USN: uuid:0a1b2c3d-0000-4000-8000-00000000cafe::upnp:rootdevice\r\n"
    "BOOTID.UPNP.ORG: 7\r\n"
    "CONFIGID.UPNP.ORG: 42\r\n"
    "\r\n";

inline const std::string update_notify =
    "NOTIFY * HTTP/1.1\r\n"
    "HOST: [FF02::C]:1900\r\n"
    "LOCATION: http://[fd00::1]:49152/igd.xml\r\n"
    "NT: upnp:rootdevice\r\n"
    "NTS: ssdp:update\r\n"
    "USN: uuid:0a1b2c3d-0000-4000-8000-00000000cafe::upnp:rootdevice\r\n"
    "BOOTID.UPNP.ORG: 7\r\n"
    "CONFIGID.UPNP.ORG: 42\r\n"
    "NEXTBOOTID.UPNP.ORG: 8\r\n"
    "SEARCHPORT.UPNP.ORG: 1901\r\n"
    "\r\n";

// The smallest valid search response: only the three required headers.
inline const std::string minimal_response =
    "HTTP/1.1 200 OK\r\n"
    "LOCATION: http://10.0.0.1/d.xml\r\n"
    "ST: ssdp:all\r\n"
    "USN: uuid:1\r\n"
    "\r\n";

}  // namespace ssdp_test
