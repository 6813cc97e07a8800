// The GetListOfPortMappings listing (soap::parse_port_listing): the PortMappingList document a gateway
// returns inside NewPortListing. Invariants beyond "no crash":
//  - a parse yields a value or an error, never both; errors are soap::errc;
//  - limits hold: input within max_xml_bytes, at most max_listing_entries entries, text fields within
//    max_field_bytes; a tighter entry cap accepts exactly the listings within it;
//  - every entry is usable: both ports 1..65535, protocol TCP or UDP;
//  - decode → encode → decode is stable (the entries written back as a listing read back identical).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support.hpp"
#include "natpunch/soap/igd.hpp"

namespace {

using natpunch::fuzz::require;
namespace soap = natpunch::soap;

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
}

void element(std::string& out, std::string_view name, std::string_view text) {
  out += "<p:";
  out += name;
  out += '>';
  append_escaped(out, text);
  out += "</p:";
  out += name;
  out += '>';
}

// The listing as WANIPConnection:2 writes it.
std::string encode(const std::vector<soap::port_mapping>& entries) {
  std::string out = "<?xml version=\"1.0\"?>\n<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\">";
  for (const soap::port_mapping& m : entries) {
    out += "<p:PortMappingEntry>";
    element(out, "NewRemoteHost", m.remote_host);
    element(out, "NewExternalPort", std::to_string(m.external_port));
    element(out, "NewProtocol", soap::protocol_name(m.protocol));
    element(out, "NewInternalPort", std::to_string(m.internal_port));
    element(out, "NewInternalClient", m.internal_client);
    element(out, "NewEnabled", m.enabled ? "1" : "0");
    element(out, "NewDescription", m.description);
    element(out, "NewLeaseTime", std::to_string(m.lease_duration));
    out += "</p:PortMappingEntry>";
  }
  return out + "</p:PortMappingList>";
}

void run(natpunch::core::byte_span input) {
  const std::string_view xml(reinterpret_cast<const char*>(input.data()), input.size());
  const soap::soap_limits limits;
  const auto parsed = soap::parse_port_listing(xml, limits);
  require(parsed.has_value() != static_cast<bool>(parsed.error()));
  if (!parsed) {
    require(&parsed.error().category() == &soap::error_category());
    return;
  }
  require(xml.size() <= limits.max_xml_bytes);
  const std::vector<soap::port_mapping>& entries = *parsed;
  require(entries.size() <= limits.max_listing_entries);
  for (const soap::port_mapping& m : entries) {
    require(m.external_port >= 1 && m.internal_port >= 1);
    require(m.protocol == natpunch::core::ip_protocol::tcp || m.protocol == natpunch::core::ip_protocol::udp);
    require(m.remote_host.size() <= limits.max_field_bytes);
    require(m.internal_client.size() <= limits.max_field_bytes);
    require(m.description.size() <= limits.max_field_bytes);
  }

  soap::soap_limits tight = limits;
  tight.max_listing_entries = entries.size();
  require(soap::parse_port_listing(xml, tight).has_value());
  if (!entries.empty()) {
    tight.max_listing_entries = entries.size() - 1;
    require(soap::parse_port_listing(xml, tight).error() == soap::errc::too_many_entries);
  }

  const std::string encoded = encode(entries);
  soap::soap_limits roomy = limits;
  roomy.max_xml_bytes = encoded.size();  // escaping may grow the text past the input's size
  const auto again = soap::parse_port_listing(encoded, roomy);
  require(again.has_value() && *again == entries);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
