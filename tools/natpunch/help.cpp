// Every `--help` text: what a user reads to learn natpunch (args.hpp help_text).
#include <string>

#include "args.hpp"

namespace natpunch::cli {

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
which public address and port the remote peer sees, and the mapping's nonce (a PEER mapping is not
kept in natpunch's record: keep the nonce to extend it). PCP only.

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
deletes in its record ($NATPUNCH_STATE_DIR/state, default $XDG_STATE_HOME/natpunch/state, else
~/.local/state/natpunch/state), and list shows those still open on this gateway, each with its
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
