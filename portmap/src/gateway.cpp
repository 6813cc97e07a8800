// The gateway value: --gateway parsed once, the default routes read once, and the IPv6 side of SSDP
// worked out only when a command searches over IPv6.
#include "natpunch/portmap/gateway.hpp"

#include <algorithm>
#include <charconv>

#include <net/if.h>

#include "natpunch/core/log.hpp"
#include "natpunch/core/netinfo.hpp"
#include "natpunch/natpmp/client.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/ssdp/discovery.hpp"

namespace natpunch::portmap {
namespace {

namespace log = core::log;

struct address_and_port {
  asio::ip::address address;
  std::optional<std::uint16_t> port;
};

// ADDR, ADDR:PORT, IPV6 or [IPV6]:PORT.
core::result<address_and_port> parse_gateway_text(const std::string& given) {
  std::string text = given;
  std::optional<std::string> port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos) return errc::bad_gateway_address;
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return errc::bad_gateway_address;
      port = text.substr(close + 2);
    }
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    port = text.substr(text.find(':') + 1);
    text.resize(text.find(':'));
  }
  address_and_port out;
  if (port) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || ec != std::errc{} || end != port->data() + port->size() || value == 0 || value > 65535) {
      return errc::bad_gateway_port;
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  std::error_code ec;
  out.address = asio::ip::make_address(text, ec);
  if (ec) return errc::bad_gateway_address;
  return out;
}

// The IPv6 side of an SSDP search: the gateway, its interface, and one global or ULA source per /64
// there (the gateway answers each from its own address in that prefix; its LOCATION names one of them).
void fill_ipv6_search(igd_search& s, const std::optional<asio::ip::address>& given, const gateway_options& o) {
  std::string interface;
  if (given && given->is_v6()) {
    s.gateway6 = given->to_v6();
    s.interface6 = static_cast<unsigned>(s.gateway6->scope_id());  // fe80::1%eth0: its interface
  }
  // An IPv4 --gateway says nothing about IPv6: the IPv6 default route still does.
  if (!s.gateway6) {
    if (auto hop = core::find_default_gateway_v6(o.route_file_v6); hop && hop->address.is_v6()) {
      s.gateway6 = hop->address.to_v6();
      interface = hop->interface;
      s.interface6 = ::if_nametoindex(interface.c_str());
      if (s.gateway6->is_link_local()) s.gateway6->scope_id(s.interface6);
    }
  }
  if (interface.empty() && s.interface6 != 0) {
    char name[IF_NAMESIZE] = {};
    if (::if_indextoname(s.interface6, name) != nullptr) interface = name;
  }
  std::vector<asio::ip::address_v6> candidates;
  if (s.gateway6 && !s.gateway6->is_link_local()) {
    if (auto local = core::local_address_towards(*s.gateway6); local && local->is_v6()) candidates.push_back(local->to_v6());
  }
  if (!interface.empty()) {
    if (auto all = core::routable_addresses_v6(interface)) candidates.insert(candidates.end(), all->begin(), all->end());
  }
  const auto prefix = [](const asio::ip::address_v6& x) {
    const auto b = x.to_bytes();
    return std::vector<unsigned char>(b.begin(), b.begin() + 8);
  };
  for (const auto& a : candidates) {
    const bool seen = std::any_of(s.sources6.begin(), s.sources6.end(), [&](const auto& x) { return prefix(x) == prefix(a); });
    if (!seen && !a.is_link_local() && s.sources6.size() < ssdp::max_ipv6_sources) s.sources6.push_back(a);
  }
}

}  // namespace

core::result<gateway> find_gateway(const gateway_options& options) {
  gateway gw;
  std::optional<asio::ip::address> given;
  if (options.address) {
    auto parsed = parse_gateway_text(*options.address);
    if (!parsed) return parsed.error();
    given = parsed->address;
    gw.address = parsed->address;
    gw.port = parsed->port.value_or(natpmp::server_port);
  } else if (auto found = core::find_default_gateway_v4(options.route_file_v4)) {
    gw.address = found->address;
    log::info("gateway ", found->address.to_string(), " (default route via ", found->interface, ")");
  } else {
    gw.route_error = found.error();
  }
  if (gw.address && gw.address->is_v6() && !gw.address->to_v6().is_link_local()) {
    // The gateway's ANNOUNCEs to ff02::1 come from its link-local address: the IPv6 default route's
    // next hop (when there is one) stands for it.
    if (auto hop = core::find_default_gateway_v6(options.route_file_v6);
        hop && hop->address.is_v6() && hop->address.to_v6().is_link_local()) {
      gw.link_local = hop->address;
    }
  }
  auto& s = gw.igd;
  s.igd_url = options.igd_url;
  s.search_v4 = options.ipv4_search;
  s.search_v6 = options.ipv6_search;
  // UPnP's gateway is IPv4 (an IPv4 --gateway, else the default route's), whatever --gateway said.
  if (gw.address && gw.address->is_v4()) {
    s.gateway = gw.address->to_v4();
  } else if (given) {
    if (auto found = core::find_default_gateway_v4(options.route_file_v4); found && found->address.is_v4()) {
      s.gateway = found->address.to_v4();
    }
  }
  if (s.search_v6) fill_ipv6_search(s, given, options);
  return gw;
}

}  // namespace natpunch::portmap
