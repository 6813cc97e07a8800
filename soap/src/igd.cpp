#include "natpunch/soap/igd.hpp"

#include <limits>
#include <string>
#include <utility>

#include "xml.hpp"

namespace natpunch::soap {

namespace {

constexpr std::uint32_t ui2_max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t ui4_max = std::numeric_limits<std::uint32_t>::max();
const soap_limits default_limits{};  // for decoders that keep no text field

argument arg(std::string_view name, std::string value) { return {std::string(name), std::move(value)}; }
argument arg(std::string_view name, std::uint32_t value) { return {std::string(name), std::to_string(value)}; }
argument flag(std::string_view name, bool value) { return {std::string(name), value ? "1" : "0"}; }
argument proto(core::ip_protocol p) { return {"NewProtocol", std::string(protocol_name(p))}; }

call connection_call(std::string_view action, std::vector<argument> args = {}) {
  return {action, std::move(args), service_kind::connection};
}
call firewall_call(std::string_view action, std::vector<argument> args = {}) {
  return {action, std::move(args), service_kind::ipv6_firewall};
}

// Reads the named arguments of one answer (or of one port listing entry).
class fields {
 public:
  fields(const std::vector<argument>& args, const soap_limits& limits) : args_(args), limits_(limits) {}

  core::result<std::string_view> raw(std::string_view name) const {
    for (const argument& a : args_) {
      if (a.name == name) return std::string_view(a.value);
    }
    return errc::missing_argument;
  }
  // Text kept exactly (a mapping's description) or trimmed (hosts, status words).
  core::result<std::string> text(std::string_view name, bool trimmed = true) const {
    auto v = raw(name);
    if (!v) return v.error();
    const std::string_view s = trimmed ? detail::trim(*v) : *v;
    if (s.size() > limits_.max_field_bytes) return errc::field_too_long;
    return std::string(s);
  }
  core::result<std::uint32_t> number(std::string_view name, std::uint32_t max, std::uint32_t min = 0) const {
    auto v = raw(name);
    if (!v) return v.error();
    const auto n = detail::parse_uint(*v, max);
    if (!n || *n < min) return errc::bad_value;
    return *n;
  }
  core::result<std::uint16_t> port(std::string_view name) const {
    auto n = number(name, ui2_max, 1);
    if (!n) return n.error();
    return static_cast<std::uint16_t>(*n);
  }
  core::result<bool> boolean(std::string_view name) const {
    auto v = raw(name);
    if (!v) return v.error();
    const auto b = detail::parse_bool(*v);
    if (!b) return errc::bad_value;
    return *b;
  }
  core::result<core::ip_protocol> protocol(std::string_view name) const {
    auto v = raw(name);
    if (!v) return v.error();
    const auto p = core::parse_ip_protocol(detail::trim(*v));
    if (!p) return errc::bad_value;
    return *p;
  }

 private:
  const std::vector<argument>& args_;
  const soap_limits& limits_;
};

// The fields every entry getter returns after its key; `description` and `lease` name them (the port
// listing says NewDescription / NewLeaseTime where the actions say NewPortMappingDescription /
// NewLeaseDuration).
std::error_code read_mapping_tail(const fields& f, std::string_view description, std::string_view lease,
                                  port_mapping& out) {
  auto internal_port = f.port("NewInternalPort");
  if (!internal_port) return internal_port.error();
  auto client = f.text("NewInternalClient");
  if (!client) return client.error();
  auto enabled = f.boolean("NewEnabled");
  if (!enabled) return enabled.error();
  auto text = f.text(description, false);
  if (!text) return text.error();
  auto duration = f.number(lease, ui4_max);
  if (!duration) return duration.error();
  out.internal_port = *internal_port;
  out.internal_client = std::move(*client);
  out.enabled = *enabled;
  out.description = std::move(*text);
  out.lease_duration = *duration;
  return {};
}

std::error_code read_mapping_key(const fields& f, port_mapping& out) {
  auto remote = f.text("NewRemoteHost");
  if (!remote) return remote.error();
  auto external_port = f.port("NewExternalPort");
  if (!external_port) return external_port.error();
  auto protocol = f.protocol("NewProtocol");
  if (!protocol) return protocol.error();
  out.remote_host = std::move(*remote);
  out.external_port = *external_port;
  out.protocol = *protocol;
  return {};
}

std::vector<argument> mapping_args(const port_mapping& m) {
  return {arg("NewRemoteHost", m.remote_host),
          arg("NewExternalPort", m.external_port),
          proto(m.protocol),
          arg("NewInternalPort", m.internal_port),
          arg("NewInternalClient", m.internal_client),
          flag("NewEnabled", m.enabled),
          arg("NewPortMappingDescription", m.description),
          arg("NewLeaseDuration", m.lease_duration)};
}

std::vector<argument> pinhole_args(const pinhole& p) {
  return {arg("RemoteHost", p.remote_host), arg("RemotePort", p.remote_port),
          arg("InternalClient", p.internal_client), arg("InternalPort", p.internal_port),
          arg("Protocol", p.protocol)};
}

}  // namespace

std::string_view protocol_name(core::ip_protocol p) noexcept { return p == core::ip_protocol::tcp ? "TCP" : "UDP"; }

std::error_code fault_error(const fault& f, service_kind service) {
  const int code = f.code == 0 ? 501 : f.code;  // a default-constructed fault: "ActionFailed", never success
  if (service == service_kind::ipv6_firewall) return {code, firewall_error_category()};
  return {code, upnp_error_category()};
}

// --- WANIPConnection / WANPPPConnection -------------------------------------------------------------
call get_external_ip_address_call() { return connection_call("GetExternalIPAddress"); }
call get_status_info_call() { return connection_call("GetStatusInfo"); }
call get_connection_type_info_call() { return connection_call("GetConnectionTypeInfo"); }
call add_port_mapping_call(const port_mapping& m) { return connection_call("AddPortMapping", mapping_args(m)); }
call add_any_port_mapping_call(const port_mapping& m) { return connection_call("AddAnyPortMapping", mapping_args(m)); }

call delete_port_mapping_call(std::string_view remote_host, std::uint16_t external_port, core::ip_protocol protocol) {
  return connection_call("DeletePortMapping", {arg("NewRemoteHost", std::string(remote_host)),
                                               arg("NewExternalPort", external_port), proto(protocol)});
}

call delete_port_mapping_range_call(std::uint16_t start_port, std::uint16_t end_port, core::ip_protocol protocol,
                                    bool manage) {
  return connection_call("DeletePortMappingRange", {arg("NewStartPort", start_port), arg("NewEndPort", end_port),
                                                    proto(protocol), flag("NewManage", manage)});
}

call get_generic_port_mapping_entry_call(std::uint16_t index) {
  return connection_call("GetGenericPortMappingEntry", {arg("NewPortMappingIndex", index)});
}

call get_specific_port_mapping_entry_call(std::string_view remote_host, std::uint16_t external_port,
                                          core::ip_protocol protocol) {
  return connection_call("GetSpecificPortMappingEntry", {arg("NewRemoteHost", std::string(remote_host)),
                                                         arg("NewExternalPort", external_port), proto(protocol)});
}

call get_list_of_port_mappings_call(std::uint16_t start_port, std::uint16_t end_port, core::ip_protocol protocol,
                                    bool manage, std::uint16_t count) {
  return connection_call("GetListOfPortMappings", {arg("NewStartPort", start_port), arg("NewEndPort", end_port),
                                                   proto(protocol), flag("NewManage", manage),
                                                   arg("NewNumberOfPorts", count)});
}

core::result<asio::ip::address> decode_external_ip(const action_response& r) {
  auto v = fields(r.args, default_limits).raw("NewExternalIPAddress");
  if (!v) return v.error();
  const std::string_view text = detail::trim(*v);
  if (text.empty()) return asio::ip::address(asio::ip::address_v4());
  // make_address would look a scope name up among the host's interfaces; an address has no business
  // carrying one here. 45 characters is the longest IPv6 text form.
  if (text.size() > 45 || text.find('%') != std::string_view::npos) return errc::bad_value;
  std::error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(text), ec);
  if (ec) return errc::bad_value;
  return address;
}

core::result<asio::ip::address> usable_external_ip(const asio::ip::address& a) {
  // ::ffff:a.b.c.d is judged as a.b.c.d.
  asio::ip::address plain = a;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) plain = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  if (plain.is_unspecified()) return errc::no_external_address;
  if (plain.is_loopback() || plain.is_multicast()) return errc::bad_value;
  if (plain.is_v4() && plain.to_v4() == asio::ip::address_v4::broadcast()) return errc::bad_value;
  return a;
}

core::result<status_info> decode_status_info(const action_response& r, const soap_limits& limits) {
  const fields f(r.args, limits);
  auto status = f.text("NewConnectionStatus");
  if (!status) return status.error();
  auto last_error = f.text("NewLastConnectionError");
  if (!last_error) return last_error.error();
  auto uptime = f.number(f.raw("NewUptime") ? "NewUptime" : "NewUpTime", ui4_max);
  if (!uptime) return uptime.error();
  return status_info{std::move(*status), std::move(*last_error), *uptime};
}

core::result<connection_type_info> decode_connection_type_info(const action_response& r, const soap_limits& limits) {
  const fields f(r.args, limits);
  auto type = f.text("NewConnectionType");
  if (!type) return type.error();
  auto possible = f.text("NewPossibleConnectionTypes");
  if (!possible) return possible.error();
  return connection_type_info{std::move(*type), std::move(*possible)};
}

core::result<std::uint16_t> decode_reserved_port(const action_response& r) {
  return fields(r.args, default_limits).port("NewReservedPort");
}

core::result<port_mapping> decode_generic_entry(const action_response& r, const soap_limits& limits) {
  const fields f(r.args, limits);
  port_mapping out;
  if (const std::error_code ec = read_mapping_key(f, out)) return ec;
  if (const std::error_code ec = read_mapping_tail(f, "NewPortMappingDescription", "NewLeaseDuration", out)) return ec;
  return out;
}

core::result<port_mapping> decode_specific_entry(const action_response& r, std::string_view remote_host,
                                                 std::uint16_t external_port, core::ip_protocol protocol,
                                                 const soap_limits& limits) {
  port_mapping out;
  out.remote_host = remote_host;
  out.external_port = external_port;
  out.protocol = protocol;
  if (const std::error_code ec =
          read_mapping_tail(fields(r.args, limits), "NewPortMappingDescription", "NewLeaseDuration", out)) {
    return ec;
  }
  return out;
}

core::result<std::vector<port_mapping>> decode_port_listing(const action_response& r, const soap_limits& limits) {
  auto listing = fields(r.args, limits).raw("NewPortListing");
  if (!listing) return listing.error();
  if (detail::trim(*listing).empty()) return std::vector<port_mapping>{};  // no mapping, said without XML
  return parse_port_listing(*listing, limits);
}

core::result<std::vector<port_mapping>> parse_port_listing(std::string_view xml, const soap_limits& limits) {
  pugi::xml_document doc;
  if (const std::error_code ec = detail::load(doc, xml, limits.max_xml_bytes, limits.max_depth)) return ec;
  const pugi::xml_node list = doc.document_element();
  if (detail::local_name(list) != "PortMappingList") return errc::not_a_port_listing;
  std::vector<port_mapping> out;
  std::vector<argument> entry_fields;
  for (pugi::xml_node entry = detail::first_element(list); entry; entry = detail::next_element(entry)) {
    if (detail::local_name(entry) != "PortMappingEntry") continue;
    if (out.size() >= limits.max_listing_entries) return errc::too_many_entries;
    entry_fields.clear();
    for (pugi::xml_node n = detail::first_element(entry); n; n = detail::next_element(n)) {
      // Each field's text is capped here, so a long unknown field cannot slip past max_field_bytes.
      auto value = detail::leaf_text(n, limits.max_field_bytes);
      if (!value) return value.error();
      entry_fields.push_back({std::string(detail::local_name(n)), std::move(*value)});
    }
    const fields f(entry_fields, limits);
    port_mapping m;
    if (const std::error_code ec = read_mapping_key(f, m)) return ec;
    const std::string_view description = f.raw("NewDescription") ? "NewDescription" : "NewPortMappingDescription";
    const std::string_view lease = f.raw("NewLeaseTime") ? "NewLeaseTime" : "NewLeaseDuration";
    if (const std::error_code ec = read_mapping_tail(f, description, lease, m)) return ec;
    out.push_back(std::move(m));
  }
  return out;
}

// --- WANCommonInterfaceConfig ------------------------------------------------------------------------
call get_common_link_properties_call() {
  return {"GetCommonLinkProperties", {}, service_kind::common_interface};
}

core::result<link_properties> decode_common_link_properties(const action_response& r, const soap_limits& limits) {
  const fields f(r.args, limits);
  auto access = f.text("NewWANAccessType");
  if (!access) return access.error();
  auto up = f.number("NewLayer1UpstreamMaxBitRate", ui4_max);
  if (!up) return up.error();
  auto down = f.number("NewLayer1DownstreamMaxBitRate", ui4_max);
  if (!down) return down.error();
  auto link = f.text("NewPhysicalLinkStatus");
  if (!link) return link.error();
  return link_properties{std::move(*access), *up, *down, std::move(*link)};
}

// --- WANIPv6FirewallControl --------------------------------------------------------------------------
call get_firewall_status_call() { return firewall_call("GetFirewallStatus"); }
call get_outbound_pinhole_timeout_call(const pinhole& p) {
  return firewall_call("GetOutboundPinholeTimeout", pinhole_args(p));
}
call add_pinhole_call(const pinhole& p) {
  std::vector<argument> args = pinhole_args(p);
  args.push_back(arg("LeaseTime", p.lease_time));
  return firewall_call("AddPinhole", std::move(args));
}
call update_pinhole_call(std::uint16_t unique_id, std::uint32_t lease_time) {
  return firewall_call("UpdatePinhole", {arg("UniqueID", unique_id), arg("NewLeaseTime", lease_time)});
}
call delete_pinhole_call(std::uint16_t unique_id) { return firewall_call("DeletePinhole", {arg("UniqueID", unique_id)}); }
call get_pinhole_packets_call(std::uint16_t unique_id) {
  return firewall_call("GetPinholePackets", {arg("UniqueID", unique_id)});
}
call check_pinhole_working_call(std::uint16_t unique_id) {
  return firewall_call("CheckPinholeWorking", {arg("UniqueID", unique_id)});
}

core::result<firewall_status> decode_firewall_status(const action_response& r) {
  const fields f(r.args, default_limits);
  auto enabled = f.boolean("FirewallEnabled");
  if (!enabled) return enabled.error();
  auto inbound = f.boolean("InboundPinholeAllowed");
  if (!inbound) return inbound.error();
  return firewall_status{*enabled, *inbound};
}

core::result<std::uint32_t> decode_outbound_pinhole_timeout(const action_response& r) {
  return fields(r.args, default_limits).number("OutboundPinholeTimeout", ui4_max);
}

core::result<std::uint16_t> decode_pinhole_id(const action_response& r) {
  auto id = fields(r.args, default_limits).number("UniqueID", ui2_max);
  if (!id) return id.error();
  return static_cast<std::uint16_t>(*id);
}

core::result<std::uint32_t> decode_pinhole_packets(const action_response& r) {
  return fields(r.args, default_limits).number("PinholePackets", ui4_max);
}

core::result<bool> decode_pinhole_working(const action_response& r) { return fields(r.args, default_limits).boolean("IsWorking"); }

}  // namespace natpunch::soap
