// gwsim: a scriptable home-gateway simulator for tests, honest or hostile (see gwsim.hpp, attacks.cpp).
// Every request, answer and attack is logged as one JSON line on stdout so tests assert what the
// gateway saw. It stops by itself after --run-seconds (default 60) or on SIGINT/SIGTERM.
#include <charconv>
#include <csignal>
#include <filesystem>
#include <string>
#include <sys/stat.h>

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "gwsim.hpp"

namespace {

using namespace natpunch::gwsim;

constexpr std::string_view usage_text = R"(usage: gwsim [OPTIONS]
A home gateway for tests: NAT-PMP (and PCP with --pcp) on UDP, a UPnP IGD with --http, an SSDP
responder with --ssdp. Honest, or playing one --attack. Logs JSON lines on stdout.

  --listen ADDR:PORT     the NAT-PMP/PCP socket (default 127.0.0.1:0, an ephemeral port); ADDR is
                         also where --http and --ssdp listen. Loopback only, unless gwsim runs in a
                         namespace made by `ip netns add` (a test lab's), never on the machine's network.
  --pcp                  speak PCP too (default: NAT-PMP only, PCP answered "unsupported version")
  --external IP          the public address it hands out (default 11.0.0.5)
  --delay-ms N           delay each NAT-PMP/PCP answer (and, under attack, the honest one) N ms
  --epoch-start N        the NAT-PMP/PCP epoch at start (default 0)
  --http PORT            serve a UPnP IGD:1 (description at /rootDesc.xml) on ADDR:PORT (0: ephemeral)
  --control-url URL      the controlURL the description names (default /ctl/IPConn)
  --dslforum             publish the IGD in TR-064's domain (urn:dslforum-org:, its connection a
                         WANPPPConnection:1, like Huawei's HG531 V1) and refuse a call whose SOAPAction
                         or namespace names another type (401 Invalid Action); --ssdp then answers only
                         a search for urn:dslforum-org:device:InternetGatewayDevice:1, and ssdp:all
  --ssdp                 answer M-SEARCH on ADDR's interface, port 1900
  --location URL         a LOCATION the SSDP answers name (repeatable; default: the --http IGD)
  --attack NAME          play one attack (list below); --attack-arg N tunes it
  --attack-on control    an HTTP framing attack on the SOAP answers instead of the description
  --decoy ADDR           where wrong-source and downgrade forgeries come from (same port)
  --run-seconds N        stop after N seconds (default 60, at most 3600)

attacks:
)";

bool parse_u64(const std::string& s, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

int usage(const std::string& why) {
  std::cerr << "gwsim: " << why << "\n(gwsim --help lists the options)\n";
  return 2;
}

// Loopback, or any address when this process lives in a network namespace made with `ip netns add`
// (a test lab's: /run/netns names it), which has no route off the machine. The machine's own namespace
// is never there. (init's /proc/1/ns/net cannot be read from inside a lab here, so it is not compared.)
bool allowed(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  struct stat self {};
  if (::stat("/proc/self/ns/net", &self) != 0) return false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    struct stat named {};
    if (::stat(entry.path().c_str(), &named) == 0 && named.st_ino == self.st_ino && named.st_dev == self.st_dev) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  settings config;
  bool pcp = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage_text;
      for (const auto& k : all_attacks()) std::cout << "  " << k.name << std::string(22 - std::min<std::size_t>(21, k.name.size()), ' ') << k.what << "\n";
      return 0;
    }
    if (a == "--pcp") { pcp = true; continue; }
    if (a == "--ssdp") { config.ssdp = true; continue; }
    if (a == "--dslforum") { config.dslforum = true; continue; }
    if (i + 1 >= argc) return usage(a + " needs a value");
    const std::string v = argv[++i];
    std::uint64_t n = 0;
    std::error_code ec;
    if (a == "--listen") {
      const auto colon = v.rfind(':');
      if (colon == std::string::npos || !parse_u64(v.substr(colon + 1), n) || n > 65535) return usage("bad --listen " + v);
      std::string host = v.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      config.address = asio::ip::make_address(host, ec);
      if (ec || !allowed(config.address)) return usage("--listen " + v + ": loopback only, outside a lab's network namespace");
      config.udp_port = static_cast<std::uint16_t>(n);
    } else if (a == "--decoy") {
      config.decoy = asio::ip::make_address(v, ec);
      if (ec || !allowed(*config.decoy)) return usage("--decoy " + v + ": loopback only, outside a lab's network namespace");
    } else if (a == "--external") {
      config.external = asio::ip::make_address_v4(v, ec);
      if (ec) return usage("bad --external " + v);
    } else if (a == "--delay-ms" && parse_u64(v, n) && n <= 60000) {
      config.delay = std::chrono::milliseconds(n);
    } else if (a == "--epoch-start" && parse_u64(v, n) && n <= UINT32_MAX) {
      config.epoch_start = static_cast<std::uint32_t>(n);
    } else if (a == "--run-seconds" && parse_u64(v, n) && n >= 1 && n <= 3600) {
      config.run = std::chrono::seconds(n);
    } else if (a == "--http" && parse_u64(v, n) && n <= 65535) {
      config.http_port = static_cast<std::uint16_t>(n);
    } else if (a == "--control-url" && !v.empty()) {
      config.control_url = v;
    } else if (a == "--location" && !v.empty() && v.size() < 1024) {
      config.locations.push_back(v);
    } else if (a == "--attack") {
      config.hostile = find_attack(v);
      if (!config.hostile) return usage("unknown attack " + v + " (gwsim --help lists them)");
    } else if (a == "--attack-arg" && parse_u64(v, n)) {
      config.attack_arg = n;
    } else if (a == "--attack-on" && (v == "control" || v == "description")) {
      config.attack_on_control = v == "control";
    } else {
      return usage("bad option " + a + " " + v);
    }
  }
  if (config.ssdp && !config.address.is_v4()) return usage("--ssdp answers on IPv4 only");

  asio::io_context io;
  std::vector<std::unique_ptr<part>> parts;
  try {
    parts.push_back(start_udp(io, config, pcp));
    std::string location;
    if (config.http_port) parts.push_back(start_igd(io, config, location));
    if (config.ssdp) {
      auto locations = config.locations;
      if (locations.empty() && !location.empty()) locations.push_back(location);
      parts.push_back(start_ssdp(io, config, locations));
    }
  } catch (const std::system_error& e) {
    std::cerr << "gwsim: cannot listen: " << e.what() << "\n";
    return 1;
  }
  asio::steady_timer stop_after(io, config.run);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto stop = [&] {
    for (auto& p : parts) p->stop();
    stop_after.cancel();
    signals.cancel();
  };
  stop_after.async_wait([&](std::error_code) { stop(); });
  signals.async_wait([&](std::error_code, int) { stop(); });
  io.run();
  parts.clear();
  return 0;
}
