#include "natpunch/soap/envelope.hpp"

#include <algorithm>
#include <limits>

#include "xml.hpp"

namespace natpunch::soap {

namespace {

constexpr std::size_t max_service_type = 256;

bool valid_service_type(std::string_view type) noexcept {
  if (type.empty() || type.size() > max_service_type) return false;
  constexpr std::string_view unsafe = "\"'#<>&\\";
  return std::all_of(type.begin(), type.end(), [&](char c) {
    return c > 0x20 && c < 0x7f && unsafe.find(c) == std::string_view::npos;
  });
}

std::error_code check_parts(std::string_view service_type, std::string_view action, std::span<const argument> args) {
  if (!valid_service_type(service_type)) return errc::bad_service_type;
  if (!detail::is_plain_name(action)) return errc::bad_name;
  for (const argument& a : args) {
    if (!detail::is_plain_name(a.name)) return errc::bad_name;
    if (!detail::valid_text(a.value)) return errc::bad_text;
  }
  return {};
}

void open_envelope(std::string& out) {
  out += "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"";
  out += envelope_namespace;
  out += "\" s:encodingStyle=\"";
  out += encoding_style;
  out += "\"><s:Body>";
}

void close_envelope(std::string& out) { out += "</s:Body></s:Envelope>\r\n"; }

// <u:element xmlns:u="type"><Name>value</Name>...</u:element>
void write_action(std::string& out, std::string_view service_type, std::string_view element,
                  std::span<const argument> args) {
  out += "<u:";
  out += element;
  out += " xmlns:u=\"";
  detail::append_escaped(out, service_type);
  out += "\">";
  for (const argument& a : args) {
    out += '<';
    out += a.name;
    out += '>';
    detail::append_escaped(out, a.value);
    out += "</";
    out += a.name;
    out += '>';
  }
  out += "</u:";
  out += element;
  out += '>';
}

// Envelope -> Body -> the Body's first element.
core::result<pugi::xml_node> body_element(const pugi::xml_document& doc) {
  const pugi::xml_node envelope = doc.document_element();
  if (detail::local_name(envelope) != "Envelope") return errc::not_an_envelope;
  const pugi::xml_node body = detail::child(envelope, "Body");
  if (!body) return errc::no_body;
  const pugi::xml_node first = detail::first_element(body);
  if (!first) return errc::no_body;
  return first;
}

std::error_code read_arguments(const pugi::xml_node& parent, const soap_limits& limits, std::vector<argument>& out) {
  for (pugi::xml_node n = detail::first_element(parent); n; n = detail::next_element(n)) {
    if (out.size() >= limits.max_arguments) return errc::too_many_arguments;
    const std::string_view name = detail::local_name(n);
    if (!detail::is_plain_name(name)) return errc::bad_value;
    auto value = detail::leaf_text(n, std::numeric_limits<std::size_t>::max());
    if (!value) return value.error();
    out.push_back({std::string(name), std::move(*value)});
  }
  return {};
}

core::result<fault> read_fault(const pugi::xml_node& node, const soap_limits& limits) {
  const pugi::xml_node upnp = detail::child(detail::child(node, "detail"), "UPnPError");
  const pugi::xml_node code_node = detail::child(upnp, "errorCode");
  if (!code_node) return errc::not_a_upnp_fault;
  auto code_text = detail::leaf_text(code_node, 32);
  if (!code_text) return code_text.error() == errc::field_too_long ? errc::bad_value : code_text.error();
  const auto code = detail::parse_uint(*code_text, std::numeric_limits<std::uint16_t>::max());
  if (!code || *code == 0) return errc::bad_value;  // 0 would read as success in a std::error_code
  fault out;
  out.code = static_cast<std::uint16_t>(*code);
  if (const pugi::xml_node text = detail::child(upnp, "errorDescription")) {
    auto description = detail::leaf_text(text, limits.max_field_bytes);
    if (!description) return description.error();
    out.description = detail::trim(*description);
  }
  return out;
}

}  // namespace

core::result<soap_request> build_request(std::string_view service_type, std::string_view action,
                                         std::span<const argument> args) {
  if (const std::error_code ec = check_parts(service_type, action, args)) return ec;
  soap_request out;
  out.soap_action.reserve(service_type.size() + action.size() + 3);
  out.soap_action += '"';
  out.soap_action += service_type;
  out.soap_action += '#';
  out.soap_action += action;
  out.soap_action += '"';
  open_envelope(out.body);
  write_action(out.body, service_type, action, args);
  close_envelope(out.body);
  return out;
}

core::result<std::string> build_response(std::string_view service_type, std::string_view action,
                                         std::span<const argument> args) {
  if (const std::error_code ec = check_parts(service_type, action, args)) return ec;
  std::string out;
  open_envelope(out);
  write_action(out, service_type, std::string(action) + "Response", args);
  close_envelope(out);
  return out;
}

core::result<std::string> build_fault(std::uint16_t code, std::string_view description) {
  if (!detail::valid_text(description)) return errc::bad_text;
  std::string out;
  open_envelope(out);
  out += "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"";
  out += control_namespace;
  out += "\"><errorCode>";
  out += std::to_string(code);
  out += "</errorCode><errorDescription>";
  detail::append_escaped(out, description);
  out += "</errorDescription></UPnPError></detail></s:Fault>";
  close_envelope(out);
  return out;
}

const argument* action_response::find(std::string_view name) const noexcept {
  const auto it = std::find_if(args.begin(), args.end(), [&](const argument& a) { return a.name == name; });
  return it == args.end() ? nullptr : &*it;
}

core::result<std::variant<action_response, fault>> parse_response(std::string_view xml, std::string_view action,
                                                                   const soap_limits& limits) {
  pugi::xml_document doc;
  if (const std::error_code ec = detail::load(doc, xml, limits.max_xml_bytes, limits.max_depth)) return ec;
  const auto first = body_element(doc);
  if (!first) return first.error();
  const std::string_view name = detail::local_name(*first);
  if (name == "Fault") {
    auto f = read_fault(*first, limits);
    if (!f) return f.error();
    return std::variant<action_response, fault>(std::move(*f));
  }
  constexpr std::string_view suffix = "Response";
  if (name.size() != action.size() + suffix.size() || !name.starts_with(action) || !name.ends_with(suffix)) {
    return errc::unexpected_action;
  }
  action_response out;
  if (const std::error_code ec = read_arguments(*first, limits, out.args)) return ec;
  return std::variant<action_response, fault>(std::move(out));
}

core::result<soap_call> parse_request(std::string_view xml, const soap_limits& limits) {
  pugi::xml_document doc;
  if (const std::error_code ec = detail::load(doc, xml, limits.max_xml_bytes, limits.max_depth)) return ec;
  const auto first = body_element(doc);
  if (!first) return first.error();
  soap_call out;
  out.action = detail::local_name(*first);
  if (!detail::is_plain_name(out.action)) return errc::bad_name;
  out.service_type = detail::namespace_uri(*first);
  if (!valid_service_type(out.service_type)) return errc::bad_service_type;
  if (const std::error_code ec = read_arguments(*first, limits, out.args)) return ec;
  return out;
}

}  // namespace natpunch::soap
