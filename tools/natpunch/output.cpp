#include "output.hpp"

#include "natpunch/portmap/error.hpp"

#include <cstdio>
#include <iostream>

#include "natpunch/core/error.hpp"
#include "natpunch/core/route.hpp"
#include "natpunch/natpmp/error.hpp"
#include "natpunch/pcp/error.hpp"
#include "natpunch/soap/error.hpp"
#include "natpunch/soap/http_error.hpp"
#include "natpunch/soap/url.hpp"
#include "natpunch/ssdp/error.hpp"

namespace natpunch::cli {

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

void json_object::key(std::string_view k) {
  if (!body_.empty()) body_.push_back(',');
  body_ += json_escape(k);
  body_.push_back(':');
}
json_object& json_object::add(std::string_view k, std::string_view value) {
  key(k);
  body_ += json_escape(value);
  return *this;
}
json_object& json_object::add(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}
json_object& json_object::add(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}
json_object& json_object::add_raw(std::string_view k, std::string_view json) {
  key(k);
  body_ += json;
  return *this;
}

exit_status exit_status_for(const std::error_code& ec) {
  if (ec.category() == natpmp::result_code_category()) return exit_refused;
  if (ec.category() == natpmp::error_category()) return exit_bad_answer;
  if (ec.category() == pcp::result_code_category()) return exit_refused;
  // The gateway said it speaks NAT-PMP, not PCP: a refusal of the protocol, not a broken answer.
  if (ec == pcp::errc::natpmp_only) return exit_refused;
  if (ec == pcp::errc::downgrade_ignored) return exit_unreachable;  // in effect: no usable answer
  if (ec.category() == pcp::error_category()) return exit_bad_answer;
  // UPnP: a UPnPError fault is the gateway refusing; a broken answer (HTTP, XML, SOAP, a URL or an
  // SSDP answer that fails the trust rule) is a bad answer; no IGD found is "no usable answer".
  if (ec.category() == soap::upnp_error_category() || ec.category() == soap::firewall_error_category()) {
    return exit_refused;
  }
  if (ec == ssdp::errc::no_gateway_found) return exit_unreachable;
  if (ec.category() == soap::error_category() || ec.category() == soap::http_category() ||
      ec.category() == soap::url_category() || ec.category() == ssdp::error_category()) {
    return exit_bad_answer;
  }
  if (ec == core::transport_errc::message_too_large) return exit_bad_answer;  // an oversize answer is malformed
  // The manager's own decisions: a PCP-only option on a gateway that answered it speaks no PCP is its
  // refusal; no such recorded mapping, or several, is the user's to name better.
  if (ec == portmap::errc::needs_pcp) return exit_refused;
  if (ec == portmap::errc::no_external_address) return exit_bad_answer;
  if (ec == portmap::errc::not_recorded || ec == portmap::errc::ambiguous) return exit_usage;
  if (ec == core::transport_errc::cancelled) return exit_interrupted;
  return exit_unreachable;  // transport, routing and OS errors: no usable answer
}

void print_error(bool json, std::string_view what, const std::error_code& ec, std::string_view gateway_text) {
  std::cerr << "natpunch: error: " << printable(what) << ": " << core::describe(ec);
  if (!gateway_text.empty()) std::cerr << " (the gateway says: \"" << printable(gateway_text) << "\")";
  std::cerr << "\n";
  if (!json) return;
  json_object err;
  err.add("what", what).add("category", ec.category().name()).add("code", std::int64_t{ec.value()});
  if (ec.category() == natpmp::result_code_category()) {
    if (const char* n = natpmp::name(static_cast<natpmp::result_code>(ec.value()))) err.add("name", n);
  }
  if (ec.category() == pcp::result_code_category()) {
    if (const char* n = pcp::name(static_cast<pcp::result_code>(ec.value()))) err.add("name", n);
  }
  if (ec.category() == soap::upnp_error_category()) {
    if (const char* n = soap::name(static_cast<soap::upnp_error>(ec.value()))) err.add("name", n);
  }
  if (ec.category() == soap::firewall_error_category()) {
    if (const char* n = soap::name(static_cast<soap::firewall_error>(ec.value()))) err.add("name", n);
  }
  err.add("message", ec.message());
  if (!gateway_text.empty()) err.add("gateway_text", gateway_text);
  std::cout << json_object().add_raw("error", err.str()).str() << std::endl;
}

}  // namespace natpunch::cli
