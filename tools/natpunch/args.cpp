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

std::string help_text(const std::string& topic) {
  if (topic == "external-ip") {
    return R"(usage: natpunch [OPTIONS] external-ip

Asks the gateway for its public (external) IPv4 address and prints it: over NAT-PMP, else (auto) over
UPnP IGD when the gateway speaks only that. An address that is not public (private, 100.64/10 carrier-
grade NAT, ...) means another NAT upstream: natpunch warns, and "double_nat" is true in --json.

examples:
  natpunch external-ip
  natpunch --json external-ip     {"protocol":"natpmp","external_ip":"203.0.113.7","gateway":"192.168.1.1","epoch":1234}
)";
  }
  if (topic == "add") {
    return R"(usage: natpunch [OPTIONS] add INTERNAL[:EXTERNAL]/tcp|udp [--lifetime SEC] [--description TEXT]
                                                             [--prefer-failure] [--nonce HEX] [--keep]
                                                             [--filter ADDR[/LEN][:PORT]] [--third-party IP]

Asks the gateway to forward a public port to INTERNAL on this machine (the local address that faces
the gateway). EXTERNAL is only a suggestion: the gateway may grant another port, and natpunch prints
the port and lifetime it actually granted. Run it again before the lifetime ends to renew: natpunch
records every mapping it makes (see `natpunch help list`), so a second add renews the same mapping, on
the same protocol, with the same public port (PCP: the same nonce).

By default (--protocol auto) natpunch asks PCP and looks for a UPnP IGD at the same time, and maps over
the best that answers: PCP, else NAT-PMP, else UPnP IGD; never over two. It remembers which one served
this gateway (and where its IGD is), so the next command goes straight there. -v says what each saw.
If the public address is not public (another NAT upstream), natpunch says so and what you can do.

  --lifetime SEC       requested lifetime in seconds (default 7200, RFC 6886's recommendation)
  --description TEXT   label shown in the router's list (UPnP only; NAT-PMP has no labels)
  --prefer-failure     PCP: fail (CANNOT_PROVIDE_EXTERNAL) rather than accept another external port
  --filter ADDR[/LEN][:PORT]
                       PCP: only this remote prefix (and port, 0 = any) may use the mapping; repeatable.
                       IPv6 in brackets: --filter [2001:db8::]/32:443
  --third-party IP     PCP: map for another host on the LAN (gateways usually refuse: UNSUPP_OPTION)
  --nonce HEX          PCP: renew the mapping with this nonce (24 hex digits from add's output)
                       instead of the recorded one or a new one; renewing keeps its external port
  --keep               stay running and keep the mapping alive: renew at half its lifetime, re-create
                       it at once when the gateway reboots (the RFC 6886 epoch rule, also from the
                       gateway's announcements), report a new public address or port, and delete the
                       mapping on Ctrl-C or SIGTERM. With --json every line carries an "event":
                       mapped, renewed, gateway_lost_state, external_ip_changed, external_port_changed,
                       removed. A failed renewal is reported and retried (2 s, 4 s ... 60 s apart).

examples:
  natpunch add 8333/tcp                  forward the same public port to local port 8333
  natpunch add 22:2222/tcp               public port 2222 reaches local ssh on port 22
  natpunch add 8333/tcp --keep           hold it until Ctrl-C, through gateway reboots
  natpunch --json add 30303/udp --lifetime 3600
      {"protocol":"pcp","external_ip":"203.0.113.7","external_port":30303,"internal_ip":"192.168.1.20",
       "internal_port":30303,"transport":"udp","lifetime":3600,"gateway":"192.168.1.1","epoch":1234,
       "nonce":"5f0c2a9be41d7730aa61c0de"}
)";
  }
  if (topic == "peer") {
    return R"(usage: natpunch [OPTIONS] peer INTERNAL[:EXTERNAL]/tcp|udp REMOTE_ADDR:PORT [--lifetime SEC]
                                      [--nonce HEX] [--filter ...] [--third-party IP]

PCP PEER (RFC 6887 §12): create or extend the gateway's mapping for an outbound flow this host already
has with REMOTE, so it survives idle periods (keep-alive without keep-alive packets). The answer says
which public address and port the remote peer sees, and the mapping's nonce. PCP only.

  --nonce HEX   extend the PEER mapping made earlier: the 24 hex digits the first `peer` printed
                (PCP names a mapping by its nonce; without it the gateway sees a new request)

examples:
  natpunch peer 51413/udp 203.0.113.9:6881 --lifetime 3600
  natpunch peer 51413/udp 203.0.113.9:6881 --lifetime 3600 --nonce 5f0c2a9be41d7730aa61c0de
  natpunch --gateway [fd00::1] peer 443/tcp [2001:db8::7]:50000
)";
  }
  if (topic == "announce") {
    return R"(usage: natpunch [OPTIONS] announce

Sends a PCP ANNOUNCE (RFC 6887 §14.1) to ask whether the gateway speaks PCP, and prints its epoch (the
seconds since its mapping state began: a small number means it rebooted recently). Exit 0: it speaks
PCP; exit 1: it answered that it speaks only NAT-PMP; exit 3: no answer.

example:
  natpunch --json announce       {"protocol":"pcp","gateway":"192.168.1.1","epoch":86017}
)";
  }
  if (topic == "discover") {
    return R"(usage: natpunch [OPTIONS] discover

Searches the LAN for UPnP Internet Gateway Devices for about 1.5 s: SSDP over IPv4 (239.255.255.250:1900
and the default gateway) and over IPv6 (ff02::c, ff05::c and the IPv6 default gateway) at once. Prints
each one that answers (a dual-stack gateway answers on both, with one description URL each): where its
description is, its IGD version and connection service, and whether it offers IPv6 pinholes. Only
answers whose description URL is an http address of the answering device itself (or the default
gateway) are followed. Then it asks the default gateway whether it speaks PCP (an ANNOUNCE) and NAT-PMP (an address
request), a second each at most. Exit 3 when nothing answered in any protocol.

examples:
  natpunch discover
  natpunch --json discover   one line per device: {"protocol":"upnp","responder":"192.168.1.1",
                             "default_gateway":true,"location":"http://192.168.1.1:5000/rootDesc.xml",...}
)";
  }
  if (topic == "status") {
    return R"(usage: natpunch [OPTIONS] status

UPnP: the gateway's WAN connection (status, uptime, last error, connection type), its public address,
and, when it offers WANCommonInterfaceConfig, the link type and rates (as `upnpc -s` shows them).

examples:
  natpunch status
  natpunch --igd http://192.168.1.1:5000/rootDesc.xml --json status
)";
  }
  if (topic == "list") {
    return R"(usage: natpunch [OPTIONS] list [--all]

The mappings this host made through natpunch, on every protocol, with the time each has left (NAT-PMP
and PCP cannot list a gateway's mappings, so natpunch records what it makes: $NATPUNCH_STATE_DIR/state,
default $XDG_STATE_HOME/natpunch/state, else ~/.local/state/natpunch/state). Expired ones are dropped.

With --all, or --protocol upnp, or --igd: also (or only) every port mapping the UPnP gateway holds,
whoever made it. IGD:2 gateways are asked in batches (GetListOfPortMappings), IGD:1 entry by entry
(slow on a large table: raise --timeout).

examples:
  natpunch list
  natpunch --json list       one line per recorded mapping: {"protocol":"pcp","gateway":"192.168.1.1",
                             "external_ip":"203.0.113.7","external_port":8333,"internal_port":8333,
                             "transport":"tcp","lifetime":7200,"expires_in":7012,"nonce":"5f0c..."}
  natpunch --protocol upnp --json list     one line per mapping the gateway holds: {"protocol":"upnp","external_port":2222,
                             "internal_ip":"192.168.1.20","internal_port":22,"transport":"tcp",
                             "description":"ssh","lifetime":3600,"enabled":true,"remote_host":""}
)";
  }
  if (topic == "pinhole") {
    return R"(usage: natpunch [OPTIONS] pinhole add PORT/tcp|udp [--lifetime SEC]
       natpunch [OPTIONS] pinhole update ID --lifetime SEC
       natpunch [OPTIONS] pinhole delete ID | check ID | list | status

UPnP IGD:2 IPv6 firewall control (WANIPv6FirewallControl): open this host's own IPv6 address and PORT
to inbound connections from anywhere (IPv6 needs no address translation, only a hole in the firewall).
add prints the pinhole's ID; update renews it, delete closes it, check says whether packets went
through it, status shows whether the firewall is on and pinholes are allowed.

The gateway is asked over IPv6 (gateways refuse pinholes asked over IPv4): SSDP searches ff02::c and
ff05::c on the IPv6 default route's interface, or give the IPv6 description URL with --igd.

UPnP has no action that lists a gateway's pinholes: natpunch records the ones it adds, updates and
deletes in $NATPUNCH_STATE_DIR/pinholes (default $XDG_STATE_HOME/natpunch/pinholes, else
~/.local/state/natpunch/pinholes), and list shows those still open on this gateway, each with its
packet count; pinholes opened by other programs are not shown.

  --lifetime SEC   1..86400 s (default 3600); the gateway closes the pinhole after it

examples:
  natpunch pinhole add 443/tcp --lifetime 7200
  natpunch --json pinhole list    one line per pinhole: {"protocol":"upnp","gateway":"fd00::1","id":1,
                                  "internal_ip":"fd00::20","internal_port":443,"transport":"tcp",
                                  "lifetime":7200,"expires_in":7170,"packets":12}
  natpunch --igd http://[fd00::1]:5000/rootDesc.xml --json pinhole check 1
)";
  }
  if (topic == "delete-range") {
    return R"(usage: natpunch [OPTIONS] delete-range FIRST-LAST/tcp|udp

UPnP: removes every mapping of this host's with an external port from FIRST to LAST
(DeletePortMappingRange on IGD:2; on IGD:1 the listed mappings in the range, one by one).

examples:
  natpunch delete-range 8000-8099/tcp
)";
  }
  if (topic == "delete") {
    return R"(usage: natpunch [OPTIONS] delete INTERNAL[:EXTERNAL]/tcp|udp [--nonce HEX]
       natpunch [OPTIONS] delete --all

Removes the mapping that forwards to local port INTERNAL, whatever protocol made it: natpunch looks it
up in its record (`natpunch help list`) and asks the gateway the way that protocol names a mapping
(PCP by its nonce, NAT-PMP by internal port, UPnP by external port), then forgets it. With EXTERNAL,
only the mapping on that public port.

A mapping natpunch did not record (made by another program): name the protocol. NAT-PMP names it by
its internal port; UPnP by its external port (EXTERNAL, or INTERNAL when not given); PCP by the nonce.

  --all                every mapping natpunch recorded on this gateway (what a natpunch killed by
                       SIGKILL or a power cut left behind)
  --nonce HEX          PCP: the mapping's nonce, from add's output ("nonce" in --json)

examples:
  natpunch delete 8333/tcp                         the mapping add 8333/tcp made, on any protocol
  natpunch delete --all
  natpunch --protocol natpmp delete 22:2222/tcp
  natpunch delete 8333/tcp --nonce 5f0c2a9be41d7730aa61c0de
  natpunch --protocol upnp delete 22:2222/tcp     (what upnpc -d 2222 TCP does)
)";
  }
  return R"(natpunch - open a TCP or UDP port on your home gateway and keep it reachable from the internet

usage: natpunch [OPTIONS] COMMAND [ARGS]

commands:
  external-ip                           print the gateway's public IPv4 address
  add INTERNAL[:EXTERNAL]/tcp|udp       forward a public port to a local port (--keep: hold it)
  delete INTERNAL[:EXTERNAL]/tcp|udp    remove that forwarding (--all: every one natpunch made)
  peer INTERNAL/tcp|udp REMOTE:PORT     PCP: keep an outbound flow's mapping alive
  announce                              PCP: does the gateway speak PCP? (and its epoch)
  discover                              every IGD on the LAN, and whether the gateway speaks PCP/NAT-PMP
  status                                UPnP: the WAN connection, uptime, link rates, public address
  list                                  the mappings natpunch made (--all: the UPnP gateway's whole table)
  delete-range FIRST-LAST/tcp|udp       UPnP: remove this host's mappings in a port range
  pinhole add|update|delete|check|list|status   UPnP: IPv6 firewall pinholes to this host
  help [COMMAND]                        this text, or one command's (also: COMMAND --help)

options:
  --protocol auto|natpmp|pcp|upnp   gateway protocol (default auto: whichever the gateway speaks,
                                    PCP (RFC 6887), else NAT-PMP (RFC 6886), else UPnP IGD v1/v2
                                    found by SSDP; discover, status and delete-range always use UPnP)
  --igd URL                         UPnP: the gateway's description URL (http://IP:PORT/PATH, as
                                    discover prints it): skips discovery, like upnpc -u
  --gateway ADDR[:PORT]             the gateway (default: the default route's gateway; port 5351);
                                    IPv6 as fd00::1 or [fd00::1]:5351 (PCP only)
  --timeout SEC                     give up after SEC seconds in all (default 10; 1..3600). Requests
                                    are resent after 0.25, 0.5, 1, 2 ... s as RFC 6886 asks.
  --json                            print one JSON object per line, for scripts (errors too)
  -v, --verbose                     say what happens; twice (-vv) adds every packet in hex
  -h, --help                        help; after a command, that command's help

exit status:
  0  success
  1  the gateway refused the request (its result code is printed, e.g. NOT_AUTHORIZED (2))
  2  usage error (nothing was sent)
  3  no usable answer: timeout, no gateway, port unreachable, no route
  4  the gateway's answer was malformed or nonsensical (e.g. external address 0.0.0.0)
  130  interrupted (Ctrl-C, SIGTERM); an interrupted add deletes what it may have made

examples:
  natpunch add 8333/tcp           forward public port 8333 to this machine's port 8333
  natpunch list                   what natpunch holds, on which protocol, for how long
  natpunch delete 8333/tcp        remove it again (whatever protocol made it)
  natpunch --protocol upnp list   every mapping the UPnP gateway holds
  natpunch -v --gateway 192.168.1.1 external-ip
)";
}

}  // namespace natpunch::cli
