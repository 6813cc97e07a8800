// UPnP device description (UPnP Device Architecture 1.1 §2.3, "Device description"): the XML document a
// gateway's SSDP LOCATION points to, and the choice of the IGD services to control. Sans-I/O: text in,
// values out; URLs are kept as written (resolving them against URLBase or the LOCATION is url.hpp's job).
//
//   <root xmlns="urn:schemas-upnp-org:device-1-0">
//     <specVersion><major>1</major><minor>1</minor></specVersion>
//     <URLBase>http://192.168.1.1:5000/</URLBase>                  (optional, deprecated in UDA 1.1)
//     <device>
//       <deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>
//       <friendlyName/> <manufacturer/> <modelName/> <UDN/> <presentationURL/>
//       <serviceList><service>
//         <serviceType/> <serviceId/> <SCPDURL/> <controlURL/> <eventSubURL/>
//       </service></serviceList>
//       <deviceList><device>...</device></deviceList>               (WANDevice, then WANConnectionDevice)
//     </device>
//   </root>
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natpunch/core/result.hpp"
#include "natpunch/soap/error.hpp"

namespace natpunch::soap {

// Limits on a description we accept. One struct, with why.
struct description_limits {
  // miniupnpd's rootDesc.xml is about 4 KiB and vendor descriptions with every optional field stay under
  // 32 KiB; 128 KiB leaves room for all of them and nothing for a flood.
  std::size_t max_xml_bytes = 128 * 1024;
  // An IGD nests three devices (IGD, WANDevice, WANConnectionDevice), which puts a service's controlURL at
  // depth 9 (root/device/deviceList/device/deviceList/device/serviceList/service/controlURL); each more
  // device level adds 2. 24 allows about ten levels.
  std::size_t max_depth = 24;
  // Root and embedded devices together: an IGD has 3, a combined router with several WAN links and
  // media devices a dozen.
  std::size_t max_devices = 32;
  // Over all devices: an IGD:2 has 6 (Layer3Forwarding, WANCommonInterfaceConfig, WANIPConnection,
  // WANIPv6FirewallControl, DeviceProtection, ...).
  std::size_t max_services = 64;
  // Each kept field (types, names, URLs, UDN). UDA 1.1 caps the names at 64 characters (§2.3); URLs
  // have no cap there but gateways use short paths.
  std::size_t max_field_bytes = 1024;
};

struct service {
  std::string type;         // serviceType, e.g. urn:schemas-upnp-org:service:WANIPConnection:2
  std::string id;           // serviceId
  std::string control_url;  // controlURL, as written
  std::string event_url;    // eventSubURL, as written
  std::string scpd_url;     // SCPDURL, as written
  friend bool operator==(const service&, const service&) = default;
};

struct device {
  std::string type;  // deviceType
  std::string friendly_name;
  std::string manufacturer;
  std::string model_name;
  std::string udn;
  std::string presentation_url;
  std::vector<service> services;
  std::vector<device> devices;  // embedded devices (deviceList), in document order
  friend bool operator==(const device&, const device&) = default;
};

struct description {
  std::optional<std::string> url_base;  // URLBase when present
  int spec_major = 1;                   // specVersion (1.0 when absent)
  int spec_minor = 0;
  device root;
  friend bool operator==(const description&, const description&) = default;
};

// Every field is trimmed of surrounding whitespace; absent fields are empty. Errors: xml_too_large,
// bad_xml, doctype_forbidden, xml_too_deep, bad_text, not_a_description (document element is not
// <root>), no_root_device, too_many_devices, too_many_services, field_too_long, bad_value (a specVersion
// that is not a small number, or an element inside a text field). Unknown elements are ignored; a
// field given twice counts once (the first).
core::result<description> parse_description(std::string_view xml, const description_limits& limits = {});

// The three services natpunch controls, as found in a description.
enum class service_kind {
  connection,        // WANIPConnection or WANPPPConnection: port mappings, external address, status
  common_interface,  // WANCommonInterfaceConfig: link type and rates
  ipv6_firewall,     // WANIPv6FirewallControl: IPv6 pinholes
};

struct igd_services {
  int igd_version = 1;       // 1 or 2: the InternetGatewayDevice holding the connection, else the connection's
  service connection;        // WANIPConnection:2 over :1 over WANPPPConnection:1 (then the same in TR-064's domain)
  int connection_version = 1;
  bool ppp = false;          // connection is a WANPPPConnection
  std::optional<service> common_interface;  // WANCommonInterfaceConfig
  std::optional<service> ipv6_firewall;     // WANIPv6FirewallControl
  const service* find(service_kind kind) const noexcept;
  // The connection is a TR-064 one (urn:dslforum-org:service:...). Read from its type, so that it holds
  // for services rebuilt from a record as well.
  bool dslforum() const noexcept;
  friend bool operator==(const igd_services&, const igd_services&) = default;
};

// Picks the connection service: the highest WANIPConnection version anywhere (document order among
// equals), else WANPPPConnection; a service without a controlURL does not count. Only when the UPnP
// Forum's types are absent, the same in the DSL Forum's TR-064 domain (urn:dslforum-org:service:
// WANIPConnection:1, then WANPPPConnection:1): some routers publish their whole IGD there (Huawei HG531
// V1, tailscale/tailscale#10911), and they expect that type back in SOAPAction and the body's namespace,
// which build_request writes as the description gives it. The interface config and the firewall come
// from the connection's own device or its nearest ancestor holding one (they sit in the WANDevice and
// the WANConnectionDevice), else from anywhere; an interface config of the connection's own domain
// first in each device (TR-064 has one too; it has no IPv6 firewall). nullopt when there is no
// connection service: not an Internet gateway we can drive.
std::optional<igd_services> choose_services(const description& desc);

// Whose type names these are: the UPnP Forum's ("urn:schemas-upnp-org:") or the DSL Forum's TR-064
// ("urn:dslforum-org:"), whose TR-064 defines WANIPConnection:1, WANPPPConnection:1 and
// WANCommonInterfaceConfig:1 with the actions and arguments of their IGD:1 namesakes (GetStatusInfo's
// uptime aside: see decode_status_info).
enum class type_domain { upnp_org, dslforum };

// The version of a UPnP type in `domain`: type_version("urn:schemas-upnp-org:service:WANIPConnection:2",
// "service:WANIPConnection") is 2, and with type_domain::dslforum so is
// "urn:dslforum-org:service:WANIPConnection:2". The prefix is matched in any letter case; the version is
// 1..999. nullopt for another type or another domain.
std::optional<int> type_version(std::string_view type, std::string_view kind_and_name,
                                type_domain domain = type_domain::upnp_org) noexcept;

}  // namespace natpunch::soap
