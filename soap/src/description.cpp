#include "natpunch/soap/description.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "xml.hpp"

namespace natpunch::soap {

namespace {

using detail::child;

constexpr std::string_view upnp_org_prefix = "urn:schemas-upnp-org:";
constexpr std::string_view dslforum_prefix = "urn:dslforum-org:";

bool equal_nocase(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

class reader {
 public:
  explicit reader(const description_limits& limits) : limits_(limits) {}

  // A text field: empty when absent, trimmed when present.
  std::error_code field(const pugi::xml_node& parent, std::string_view name, std::string& out) const {
    const pugi::xml_node node = child(parent, name);
    if (!node) return {};
    auto text = detail::leaf_text(node, limits_.max_field_bytes);
    if (!text) return text.error();
    out = detail::trim(*text);
    return {};
  }

  std::error_code read_service(const pugi::xml_node& node, service& out) {
    if (++services_ > limits_.max_services) return errc::too_many_services;
    for (const auto& [name, target] : {std::pair<std::string_view, std::string*>{"serviceType", &out.type},
                                       {"serviceId", &out.id},
                                       {"controlURL", &out.control_url},
                                       {"eventSubURL", &out.event_url},
                                       {"SCPDURL", &out.scpd_url}}) {
      if (const std::error_code ec = field(node, name, *target)) return ec;
    }
    return {};
  }

  // Recursion follows <deviceList> nesting, which load() has already bounded by max_depth (each level
  // is two elements deep).
  std::error_code read_device(const pugi::xml_node& node, device& out) {
    if (++devices_ > limits_.max_devices) return errc::too_many_devices;
    for (const auto& [name, target] : {std::pair<std::string_view, std::string*>{"deviceType", &out.type},
                                       {"friendlyName", &out.friendly_name},
                                       {"manufacturer", &out.manufacturer},
                                       {"modelName", &out.model_name},
                                       {"UDN", &out.udn},
                                       {"presentationURL", &out.presentation_url}}) {
      if (const std::error_code ec = field(node, name, *target)) return ec;
    }
    const pugi::xml_node service_list = child(node, "serviceList");
    for (pugi::xml_node s = child(service_list, "service"); s; s = detail::next_element(s)) {
      if (detail::local_name(s) != "service") continue;
      if (const std::error_code ec = read_service(s, out.services.emplace_back())) return ec;
    }
    const pugi::xml_node device_list = child(node, "deviceList");
    for (pugi::xml_node d = child(device_list, "device"); d; d = detail::next_element(d)) {
      if (detail::local_name(d) != "device") continue;
      if (const std::error_code ec = read_device(d, out.devices.emplace_back())) return ec;
    }
    return {};
  }

 private:
  const description_limits& limits_;
  std::size_t devices_ = 0;
  std::size_t services_ = 0;
};

std::error_code read_spec_version(const pugi::xml_node& root, description& out) {
  const pugi::xml_node spec = child(root, "specVersion");
  if (!spec) return {};
  const pugi::xml_node major = child(spec, "major");
  if (!major) return errc::bad_value;
  auto major_text = detail::leaf_text(major, 16);
  if (!major_text) return major_text.error() == errc::field_too_long ? errc::bad_value : major_text.error();
  const auto major_value = detail::parse_uint(*major_text, 999);
  if (!major_value) return errc::bad_value;
  out.spec_major = static_cast<int>(*major_value);
  out.spec_minor = 0;
  if (const pugi::xml_node minor = child(spec, "minor")) {
    auto minor_text = detail::leaf_text(minor, 16);
    if (!minor_text) return minor_text.error() == errc::field_too_long ? errc::bad_value : minor_text.error();
    const auto minor_value = detail::parse_uint(*minor_text, 999);
    if (!minor_value) return errc::bad_value;
    out.spec_minor = static_cast<int>(*minor_value);
  }
  return {};
}

// Devices in document order (pre-order), each with the index of its parent (npos for the root).
struct flat_device {
  const device* dev;
  std::size_t parent;
};
constexpr std::size_t no_parent = static_cast<std::size_t>(-1);

std::vector<flat_device> flatten(const device& root) {
  std::vector<flat_device> out;
  std::vector<std::pair<const device*, std::size_t>> stack{{&root, no_parent}};
  while (!stack.empty()) {
    const auto [dev, parent] = stack.back();
    stack.pop_back();
    const std::size_t index = out.size();
    out.push_back({dev, parent});
    for (auto it = dev->devices.rbegin(); it != dev->devices.rend(); ++it) stack.emplace_back(&*it, index);
  }
  return out;
}

// The first service of this kind in the device at `start` or its nearest ancestor holding one, else the
// first anywhere; within a device, the domains in the order given.
std::optional<service> nearest(const std::vector<flat_device>& devices, std::size_t start, std::string_view kind,
                               std::initializer_list<type_domain> domains) {
  const auto match = [&](const device& d) -> const service* {
    for (const type_domain domain : domains) {
      for (const service& s : d.services) {
        if (!s.control_url.empty() && type_version(s.type, kind, domain)) return &s;
      }
    }
    return nullptr;
  };
  for (std::size_t i = start; i != no_parent; i = devices[i].parent) {
    if (const service* s = match(*devices[i].dev)) return *s;
  }
  for (const flat_device& d : devices) {
    if (const service* s = match(*d.dev)) return *s;
  }
  return std::nullopt;
}

}  // namespace

core::result<description> parse_description(std::string_view xml, const description_limits& limits) {
  pugi::xml_document doc;
  if (const std::error_code ec = detail::load(doc, xml, limits.max_xml_bytes, limits.max_depth)) return ec;
  const pugi::xml_node root = doc.document_element();
  if (detail::local_name(root) != "root") return errc::not_a_description;
  description out;
  if (const std::error_code ec = read_spec_version(root, out)) return ec;
  reader read(limits);
  if (child(root, "URLBase")) {
    std::string base;
    if (const std::error_code ec = read.field(root, "URLBase", base)) return ec;
    if (!base.empty()) out.url_base = std::move(base);
  }
  const pugi::xml_node device_node = child(root, "device");
  if (!device_node) return errc::no_root_device;
  if (const std::error_code ec = read.read_device(device_node, out.root)) return ec;
  return out;
}

std::optional<int> type_version(std::string_view type, std::string_view kind_and_name, type_domain in) noexcept {
  const std::string_view domain = in == type_domain::dslforum ? dslforum_prefix : upnp_org_prefix;
  const std::size_t prefix_size = domain.size() + kind_and_name.size() + 1;
  if (type.size() <= prefix_size || type.size() > prefix_size + 3) return std::nullopt;
  if (!equal_nocase(type.substr(0, domain.size()), domain) ||
      !equal_nocase(type.substr(domain.size(), kind_and_name.size()), kind_and_name) ||
      type[prefix_size - 1] != ':') {
    return std::nullopt;
  }
  const auto version = detail::parse_uint(type.substr(prefix_size), 999);
  if (!version || *version == 0 || detail::trim(type.substr(prefix_size)).size() != type.size() - prefix_size) {
    return std::nullopt;
  }
  return static_cast<int>(*version);
}

bool igd_services::dslforum() const noexcept {
  return equal_nocase(std::string_view(connection.type).substr(0, dslforum_prefix.size()), dslforum_prefix);
}

const service* igd_services::find(service_kind kind) const noexcept {
  switch (kind) {
    case service_kind::connection: return &connection;
    case service_kind::common_interface: return common_interface ? &*common_interface : nullptr;
    case service_kind::ipv6_firewall: return ipv6_firewall ? &*ipv6_firewall : nullptr;
  }
  return nullptr;
}

std::optional<igd_services> choose_services(const description& desc) {
  const std::vector<flat_device> devices = flatten(desc.root);
  std::size_t best_device = no_parent;
  const service* best = nullptr;
  int best_version = 0;
  bool best_ppp = false;
  type_domain best_domain = type_domain::upnp_org;
  // The UPnP Forum's types first: a router publishing both (an IGD beside a TR-064 tree) meant its IGD
  // for port mappings, and the TR-064 one may want a login (AVM's FRITZ!Box asks for one on its TR-064
  // control URLs).
  for (const type_domain domain : {type_domain::upnp_org, type_domain::dslforum}) {
    for (const bool ppp : {false, true}) {
      for (std::size_t i = 0; i < devices.size(); ++i) {
        for (const service& s : devices[i].dev->services) {
          const auto version =
              type_version(s.type, ppp ? "service:WANPPPConnection" : "service:WANIPConnection", domain);
          if (!version || s.control_url.empty() || *version <= best_version) continue;
          best = &s;
          best_device = i;
          best_version = *version;
          best_ppp = ppp;
          best_domain = domain;
        }
      }
      if (best != nullptr) break;
    }
    if (best != nullptr) break;
  }
  if (best == nullptr) return std::nullopt;

  igd_services out;
  out.connection = *best;
  out.connection_version = best_version;
  out.ppp = best_ppp;
  out.igd_version = !best_ppp && best_version >= 2 ? 2 : 1;
  for (std::size_t i = best_device; i != no_parent; i = devices[i].parent) {
    const std::string& type = devices[i].dev->type;
    auto v = type_version(type, "device:InternetGatewayDevice");
    if (!v) v = type_version(type, "device:InternetGatewayDevice", type_domain::dslforum);
    if (v) {
      out.igd_version = std::min(*v, 2);
      break;
    }
  }
  const type_domain other = best_domain == type_domain::upnp_org ? type_domain::dslforum : type_domain::upnp_org;
  out.common_interface = nearest(devices, best_device, "service:WANCommonInterfaceConfig", {best_domain, other});
  out.ipv6_firewall = nearest(devices, best_device, "service:WANIPv6FirewallControl", {type_domain::upnp_org});
  return out;
}

}  // namespace natpunch::soap
