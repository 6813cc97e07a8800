#include "natpunch/core/netinfo.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <ifaddrs.h>
#include <netinet/in.h>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

namespace natpunch::core {
namespace {

// /proc files report size 0, so read until EOF; the cap keeps a bogus file from filling memory.
result<std::string> read_small_file(const std::string& path) {
  constexpr std::size_t max_bytes = 16 * 1024 * 1024;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::error_code(errno != 0 ? errno : ENOENT, std::generic_category());
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) return route_errc::too_many_routes;
  }
  return text;
}

}  // namespace

result<gateway_info> find_default_gateway_v4(const std::string& route_file) {
  auto text = read_small_file(route_file);
  if (!text) return text.error();
  auto routes = parse_proc_net_route(*text);
  if (!routes) return routes.error();
  const auto best = pick_default_route(*routes);
  if (!best) return route_errc::no_default_route;
  return gateway_info{asio::ip::address_v4(best->gateway), best->interface};
}

result<gateway_info> find_default_gateway_v6(const std::string& route_file) {
  auto text = read_small_file(route_file);
  if (!text) return text.error();
  auto routes = parse_proc_net_ipv6_route(*text);
  if (!routes) return routes.error();
  const auto best = pick_default_route(*routes);
  if (!best) return route_errc::no_default_route;
  return gateway_info{asio::ip::address_v6(best->next_hop), best->interface};
}

result<std::vector<asio::ip::address_v6>> routable_addresses_v6(const std::string& interface) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::error_code(errno, std::system_category());
  std::vector<asio::ip::address_v6> found;
  for (const ifaddrs* i = list; i != nullptr && found.size() < 64; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET6 || interface != i->ifa_name) continue;
    asio::ip::address_v6::bytes_type bytes{};
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
    std::memcpy(bytes.data(), &sin6->sin6_addr, bytes.size());
    const asio::ip::address_v6 a(bytes);
    if (!a.is_link_local() && !a.is_loopback() && !a.is_multicast() && !a.is_unspecified()) found.push_back(a);
  }
  ::freeifaddrs(list);
  return found;
}

result<asio::ip::address> local_address_towards(const asio::ip::address& peer) {
  asio::io_context io;
  asio::ip::udp::socket socket(io);
  std::error_code ec;
  socket.open(peer.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  if (!ec) socket.connect({peer, 9}, ec);  // any port: connect only selects the route and source
  if (ec) return ec;
  const auto local = socket.local_endpoint(ec);
  if (ec) return ec;
  return local.address();
}

}  // namespace natpunch::core
