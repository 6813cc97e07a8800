#include "args.hpp"

#include <charconv>
#include <string_view>

namespace natpunch::cli {
namespace {

template <typename T>
std::optional<T> parse_number(std::string_view s, T min, T max) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || value < min || value > max) return std::nullopt;
  return static_cast<T>(value);
}

std::optional<protocol_choice> parse_protocol(std::string_view s) {
  if (s == "auto") return protocol_choice::automatic;
  if (s == "natpmp") return protocol_choice::natpmp;
  if (s == "pcp") return protocol_choice::pcp;
  if (s == "upnp") return protocol_choice::upnp;
  return std::nullopt;
}

std::optional<command_kind> parse_command(std::string_view s) {
  if (s == "external-ip") return command_kind::external_ip;
  if (s == "add") return command_kind::add;
  if (s == "delete") return command_kind::remove;
  if (s == "help") return command_kind::help;
  if (s == "peer") return command_kind::peer;
  if (s == "announce") return command_kind::announce;
  if (s == "discover") return command_kind::discover;
  if (s == "status") return command_kind::status;
  if (s == "list") return command_kind::list;
  if (s == "delete-range") return command_kind::delete_range;
  if (s == "pinhole") return command_kind::pinhole;
  return std::nullopt;
}

}  // namespace

std::optional<port_spec> parse_port_spec(const std::string& text) {
  const std::size_t slash = text.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto protocol = core::parse_ip_protocol(std::string_view(text).substr(slash + 1));
  if (!protocol) return std::nullopt;
  const std::string_view ports = std::string_view(text).substr(0, slash);
  const std::size_t colon = ports.find(':');
  port_spec spec;
  spec.protocol = *protocol;
  const auto internal = parse_number<std::uint16_t>(ports.substr(0, colon), 1, 65535);
  if (!internal) return std::nullopt;
  spec.internal_port = *internal;
  if (colon != std::string_view::npos) {
    const auto external = parse_number<std::uint16_t>(ports.substr(colon + 1), 1, 65535);
    if (!external) return std::nullopt;
    spec.external_port = *external;
  }
  return spec;
}

std::optional<std::pair<asio::ip::address, std::uint16_t>> parse_endpoint(const std::string& text) {
  std::string host;
  std::string port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return std::nullopt;  // bare IPv6 needs brackets
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  const auto number = parse_number<std::uint16_t>(port, 1, 65535);
  if (ec || !number) return std::nullopt;
  return std::make_pair(address, *number);
}

std::optional<filter_spec> parse_filter(const std::string& text) {
  std::string rest = text;
  std::string host;
  filter_spec f;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  } else {
    const auto end = rest.find_first_of("/:");
    host = rest.substr(0, end);
    rest = end == std::string::npos ? "" : rest.substr(end);
  }
  std::error_code ec;
  f.address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  const std::uint8_t full = f.address.is_v4() ? 32 : 128;
  f.prefix_length = full;
  if (rest.starts_with('/')) {
    const auto end = rest.find(':');
    const auto len = parse_number<std::uint8_t>(rest.substr(1, end == std::string::npos ? std::string::npos : end - 1), 0, full);
    if (!len) return std::nullopt;
    f.prefix_length = *len;
    rest = end == std::string::npos ? "" : rest.substr(end);
  }
  if (rest.starts_with(':')) {
    const auto port = parse_number<std::uint16_t>(rest.substr(1), 0, 65535);
    if (!port) return std::nullopt;
    f.port = *port;
    rest.clear();
  }
  if (!rest.empty()) return std::nullopt;
  return f;
}

std::variant<invocation, usage_error> parse_args(const std::vector<std::string>& args) {
  invocation inv;
  std::optional<command_kind> kind;
  std::vector<std::string> positional;
  bool want_help = false;
  bool lifetime_given = false;
  bool description_given = false;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const std::string topic = kind ? inv.cmd.help_topic : "";
    // Options that take a value accept both "--opt VALUE" and "--opt=VALUE".
    std::string name = a;
    std::optional<std::string> inline_value;
    if (a.starts_with("--") && a.find('=') != std::string::npos) {
      name = a.substr(0, a.find('='));
      inline_value = a.substr(a.find('=') + 1);
    }
    const auto value = [&](std::string& out) -> bool {
      if (inline_value) {
        out = *inline_value;
        return true;
      }
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    // Flags take no value: "--json=false" must not quietly mean JSON on.
    const bool is_flag = name == "--help" || name == "--verbose" || name == "--json" || name == "--keep" ||
                         name == "--prefer-failure" || name == "--all";
    if (is_flag && inline_value) return usage_error{name + " takes no value", topic};
    if (name == "-h" || name == "--help") {
      want_help = true;
    } else if (name == "-v" || name == "--verbose") {
      ++inv.options.verbosity;
    } else if (name == "-vv") {
      inv.options.verbosity += 2;
    } else if (name == "--keep") {
      inv.cmd.keep = true;
    } else if (name == "--all") {
      inv.cmd.all = true;
    } else if (name == "--prefer-failure") {
      inv.cmd.prefer_failure = true;
    } else if (name == "--nonce") {
      if (!value(v)) return usage_error{"--nonce needs the 24 hex digits that add printed", topic};
      if (v.size() != 24 || v.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        return usage_error{"--nonce must be 24 hex digits (the PCP mapping nonce add printed), not '" + v + "'", topic};
      }
      inv.cmd.nonce = v;
    } else if (name == "--json") {
      inv.options.json = true;
    } else if (name == "--protocol") {
      if (!value(v)) return usage_error{"--protocol needs a value: auto, natpmp, pcp or upnp", topic};
      const auto p = parse_protocol(v);
      if (!p) return usage_error{"unknown protocol '" + v + "': use auto, natpmp, pcp or upnp", topic};
      inv.options.protocol = *p;
    } else if (name == "--gateway") {
      if (!value(v) || v.empty()) return usage_error{"--gateway needs an address, e.g. --gateway 192.168.1.1", topic};
      inv.options.gateway = v;
    } else if (name == "--igd") {
      if (!value(v) || v.empty()) {
        return usage_error{"--igd needs the gateway's description URL, e.g. --igd http://192.168.1.1:5000/rootDesc.xml", topic};
      }
      inv.options.igd = v;
    } else if (name == "--timeout") {
      if (!value(v)) return usage_error{"--timeout needs a number of seconds", topic};
      const auto t = parse_number<std::uint32_t>(v, 1, 3600);
      if (!t) return usage_error{"--timeout must be a whole number of seconds from 1 to 3600, not '" + v + "'", topic};
      inv.options.timeout = std::chrono::seconds(*t);
    } else if (name == "--lifetime") {
      if (!value(v)) return usage_error{"--lifetime needs a number of seconds", topic};
      // NAT-PMP carries 32 bits; 0 would mean delete, so `add` refuses it.
      const auto t = parse_number<std::uint32_t>(v, 1, 0xffffffffu);
      if (!t) return usage_error{"--lifetime must be a whole number of seconds from 1 to 4294967295, not '" + v + "'", topic};
      inv.cmd.lifetime = *t;
      lifetime_given = true;
    } else if (name == "--filter") {
      if (!value(v)) return usage_error{"--filter needs ADDR[/LEN][:PORT], e.g. 203.0.113.0/24:443", topic};
      const auto f = parse_filter(v);
      if (!f) return usage_error{"--filter must be ADDR[/LEN][:PORT] (IPv6 in brackets: [2001:db8::]/32:443), not '" + v + "'", topic};
      inv.cmd.filters.push_back(*f);
    } else if (name == "--third-party") {
      if (!value(v)) return usage_error{"--third-party needs the IP address of the host to map for", topic};
      std::error_code ec;
      const auto address = asio::ip::make_address(v, ec);
      if (ec) return usage_error{"--third-party must be an IP address, not '" + v + "'", topic};
      inv.cmd.third_party = address;
    } else if (name == "--description") {
      if (!value(v)) return usage_error{"--description needs a text", topic};
      inv.cmd.description = v;
      description_given = true;
    } else if (a.starts_with("-") && a.size() > 1) {
      return usage_error{"unknown option '" + a + "'", topic};
    } else if (!kind) {
      kind = parse_command(a);
      if (!kind) return usage_error{"unknown command '" + a + "'", ""};
      inv.cmd.kind = *kind;
      inv.cmd.help_topic = a;
    } else {
      positional.push_back(a);
    }
  }

  if (!kind || want_help || *kind == command_kind::help) {
    inv.cmd.kind = command_kind::help;
    if (kind == command_kind::help) inv.cmd.help_topic = positional.empty() ? "" : positional.front();
    return inv;
  }
  const std::string topic = inv.cmd.help_topic;
  // Options that only `add` understands are refused elsewhere rather than silently ignored.
  const bool names_nonce = *kind == command_kind::add || *kind == command_kind::peer || *kind == command_kind::remove;
  if (!names_nonce && inv.cmd.nonce) return usage_error{"--nonce goes with add, peer or delete", topic};
  const bool pinhole_sets_lifetime =
      *kind == command_kind::pinhole && !positional.empty() && (positional[0] == "add" || positional[0] == "update");
  const bool maps = *kind == command_kind::add || *kind == command_kind::peer;
  if (inv.cmd.all && *kind != command_kind::list && *kind != command_kind::remove) {
    return usage_error{"--all goes with list or delete", topic};
  }
  if (*kind != command_kind::add) {
    if (inv.cmd.keep) return usage_error{"--keep goes with add", topic};
    if (description_given) return usage_error{"--description goes with add", topic};
  }
  if (!maps) {
    if (inv.cmd.prefer_failure) return usage_error{"--prefer-failure goes with add or peer", topic};
    if (lifetime_given && !pinhole_sets_lifetime) {
      return usage_error{"--lifetime goes with add, peer, pinhole add or pinhole update", topic};
    }
    if (!inv.cmd.filters.empty()) return usage_error{"--filter goes with add or peer", topic};
    if (inv.cmd.third_party) return usage_error{"--third-party goes with add or peer", topic};
  }
  switch (*kind) {
    case command_kind::external_ip:
    case command_kind::announce:
    case command_kind::discover:
    case command_kind::status:
    case command_kind::list:
      if (!positional.empty()) return usage_error{topic + " takes no argument", topic};
      break;
    case command_kind::pinhole: {
      // pinhole add PORT/tcp|udp | update ID | delete ID | check ID | list | status
      const std::string action = positional.empty() ? "" : positional[0];
      inv.cmd.pinhole_action = action;
      if (action == "status" || action == "list") {
        if (positional.size() != 1) return usage_error{"pinhole " + action + " takes no argument", topic};
      } else if (action == "add") {
        const auto spec = positional.size() == 2 ? parse_port_spec(positional[1]) : std::nullopt;
        if (!spec || spec->external_port) return usage_error{"pinhole add needs PORT/tcp|udp (e.g. 443/tcp)", topic};
        inv.cmd.ports = *spec;
        if (!lifetime_given) inv.cmd.lifetime = 3600;
        if (inv.cmd.lifetime > 86400) return usage_error{"a pinhole's --lifetime is 1 to 86400 s (UPnP's limit)", topic};
      } else if (action == "update" || action == "delete" || action == "check") {
        const auto id = positional.size() == 2 ? parse_number<std::uint16_t>(positional[1], 0, 65535) : std::nullopt;
        if (!id) return usage_error{"pinhole " + action + " needs the pinhole's ID (0-65535, as pinhole add printed)", topic};
        inv.cmd.pinhole_id = *id;
        if (action == "update" && !lifetime_given) return usage_error{"pinhole update needs --lifetime SEC", topic};
        if (inv.cmd.lifetime > 86400) return usage_error{"a pinhole's --lifetime is 1 to 86400 s (UPnP's limit)", topic};
      } else {
        return usage_error{"pinhole needs an action: add PORT/tcp|udp, update ID, delete ID, check ID, list or status",
                           topic};
      }
      break;
    }
    case command_kind::delete_range: {
      // FIRST-LAST/tcp|udp: external ports, as DeletePortMappingRange takes them.
      const std::string text = positional.size() == 1 ? positional.front() : "";
      const auto dash = text.find('-');
      const auto slash = text.rfind('/');
      std::optional<std::uint16_t> first, last;
      std::optional<core::ip_protocol> protocol;
      if (dash != std::string::npos && slash != std::string::npos && dash < slash) {
        first = parse_number<std::uint16_t>(std::string_view(text).substr(0, dash), 1, 65535);
        last = parse_number<std::uint16_t>(std::string_view(text).substr(dash + 1, slash - dash - 1), 1, 65535);
        protocol = core::parse_ip_protocol(std::string_view(text).substr(slash + 1));
      }
      if (!first || !last || !protocol || *first > *last) {
        return usage_error{"delete-range needs FIRST-LAST/tcp|udp, external ports from 1 to 65535 with FIRST <= LAST "
                           "(e.g. 8000-8099/tcp)",
                           topic};
      }
      inv.cmd.range = {*first, *last};
      inv.cmd.ports.protocol = *protocol;
      break;
    }
    case command_kind::peer: {
      if (positional.size() != 2) return usage_error{"peer needs INTERNAL[:EXTERNAL]/tcp|udp and REMOTE_ADDR:PORT", topic};
      const auto spec = parse_port_spec(positional[0]);
      if (!spec) return usage_error{"'" + positional[0] + "' is not INTERNAL[:EXTERNAL]/tcp|udp", topic};
      const auto remote = parse_endpoint(positional[1]);
      if (!remote) return usage_error{"'" + positional[1] + "' is not REMOTE_ADDR:PORT (IPv6: [ADDR]:PORT)", topic};
      inv.cmd.ports = *spec;
      inv.cmd.remote = *remote;
      break;
    }
    case command_kind::add:
    case command_kind::remove: {
      if (*kind == command_kind::remove && inv.cmd.all) {
        if (!positional.empty()) return usage_error{"delete --all takes no port: it deletes every mapping natpunch recorded", topic};
        if (inv.cmd.nonce) return usage_error{"delete --all takes no --nonce", topic};
        break;
      }
      if (positional.size() != 1) return usage_error{topic + " needs exactly one INTERNAL[:EXTERNAL]/tcp|udp", topic};
      const auto spec = parse_port_spec(positional.front());
      if (!spec) {
        return usage_error{"'" + positional.front() +
                               "' is not INTERNAL[:EXTERNAL]/tcp|udp with ports from 1 to 65535 (e.g. 8333/tcp, or 22:2222/tcp for local port 22 on public port 2222)",
                           topic};
      }
      inv.cmd.ports = *spec;
      break;
    }
    case command_kind::help: break;
  }
  return inv;
}

}  // namespace natpunch::cli
