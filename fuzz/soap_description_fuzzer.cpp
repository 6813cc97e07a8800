// UPnP device description parser (soap::parse_description) and service choice (choose_services).
// Invariants beyond "no crash":
//  - a parse yields a value or an error, never both (and never neither); errors are soap::errc;
//  - limits hold: at most max_xml_bytes of input, max_devices devices, max_services services, every kept
//    field at most max_field_bytes, trimmed, and free of control characters other than tab and LF/CR;
//  - tighter device and service limits accept exactly the descriptions within them;
//  - parsing is deterministic (the same input gives the same value);
//  - a chosen connection service is a WANIPConnection/WANPPPConnection with a controlURL, found in the
//    tree, and the IGD version is 1 or 2;
//  - a TR-064 (urn:dslforum-org:) connection is chosen only when the tree holds no UPnP Forum one.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "support.hpp"
#include "natpunch/soap/description.hpp"

namespace {

using natpunch::fuzz::require;
namespace soap = natpunch::soap;

struct counts {
  std::size_t devices = 0;
  std::size_t services = 0;
};

void check_field(const std::string& field, const soap::description_limits& limits) {
  require(field.size() <= limits.max_field_bytes);
  if (field.empty()) return;
  constexpr std::string_view space = " \t\r\n";
  require(space.find(field.front()) == std::string_view::npos);
  require(space.find(field.back()) == std::string_view::npos);
  for (const char ch : field) {
    const auto c = static_cast<unsigned char>(ch);
    require(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
    require(c != 0x7f);
  }
}

// Recursion is bounded: the parser refused anything deeper than max_depth.
void walk(const soap::device& d, const soap::description_limits& limits, counts& n) {
  ++n.devices;
  for (const std::string* f : {&d.type, &d.friendly_name, &d.manufacturer, &d.model_name, &d.udn, &d.presentation_url}) {
    check_field(*f, limits);
  }
  for (const soap::service& s : d.services) {
    ++n.services;
    for (const std::string* f : {&s.type, &s.id, &s.control_url, &s.event_url, &s.scpd_url}) check_field(*f, limits);
  }
  for (const soap::device& child : d.devices) walk(child, limits, n);
}

// A WANIPConnection or WANPPPConnection of the UPnP Forum's domain, with a controlURL, anywhere.
bool has_standard_connection(const soap::device& d) {
  for (const soap::service& s : d.services) {
    if (s.control_url.empty()) continue;
    if (soap::type_version(s.type, "service:WANIPConnection") || soap::type_version(s.type, "service:WANPPPConnection")) {
      return true;
    }
  }
  for (const soap::device& child : d.devices) {
    if (has_standard_connection(child)) return true;
  }
  return false;
}

bool contains(const soap::device& d, const soap::service& wanted) {
  for (const soap::service& s : d.services) {
    if (s == wanted) return true;
  }
  for (const soap::device& child : d.devices) {
    if (contains(child, wanted)) return true;
  }
  return false;
}

void check_choice(const soap::description& desc) {
  const std::optional<soap::igd_services> chosen = soap::choose_services(desc);
  if (!chosen) return;
  require(chosen->igd_version == 1 || chosen->igd_version == 2);
  require(!chosen->connection.control_url.empty());
  const auto domain = chosen->dslforum() ? soap::type_domain::dslforum : soap::type_domain::upnp_org;
  const auto version = soap::type_version(chosen->connection.type,
                                          chosen->ppp ? "service:WANPPPConnection" : "service:WANIPConnection", domain);
  require(version && *version == chosen->connection_version);
  if (chosen->dslforum()) require(!has_standard_connection(desc.root));
  require(contains(desc.root, chosen->connection));
  if (chosen->common_interface) require(contains(desc.root, *chosen->common_interface));
  if (chosen->ipv6_firewall) require(contains(desc.root, *chosen->ipv6_firewall));
  require(chosen->find(soap::service_kind::connection) == &chosen->connection);
}

void run(natpunch::core::byte_span input) {
  const std::string_view xml(reinterpret_cast<const char*>(input.data()), input.size());
  const soap::description_limits limits;
  const auto parsed = soap::parse_description(xml, limits);
  require(parsed.has_value() != static_cast<bool>(parsed.error()));
  if (!parsed) {
    require(&parsed.error().category() == &soap::error_category());
    require(!parsed.error().message().empty());
    return;
  }
  require(xml.size() <= limits.max_xml_bytes);
  counts n;
  walk(parsed->root, limits, n);
  require(n.devices >= 1 && n.devices <= limits.max_devices);
  require(n.services <= limits.max_services);
  if (parsed->url_base) {
    require(!parsed->url_base->empty());
    check_field(*parsed->url_base, limits);
  }

  const auto again = soap::parse_description(xml, limits);
  require(again.has_value() && *again == *parsed);

  soap::description_limits tight = limits;
  tight.max_devices = n.devices;
  require(soap::parse_description(xml, tight).has_value());
  tight.max_devices = n.devices - 1;
  require(soap::parse_description(xml, tight).error() == soap::errc::too_many_devices);
  tight = limits;
  tight.max_services = n.services;
  require(soap::parse_description(xml, tight).has_value());
  if (n.services > 0) {
    tight.max_services = n.services - 1;
    require(soap::parse_description(xml, tight).error() == soap::errc::too_many_services);
  }

  check_choice(*parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
