#!/usr/bin/env python3
"""pcp_probe.py - LAB DIAGNOSTIC, NOT PRODUCT CODE.

A hand-built PCP client (RFC 6887) used by tests/lab to prove what the real miniupnpd does, without
natpunch. It exists so that the lab can be checked independently of natpunch's own PCP client: if a
lab test fails with this probe, the lab (or miniupnpd) is at fault, not natpunch. Nothing in natpunch
uses it, and it must not be used as a model for natpunch's encoder: it is deliberately small.

Subcommands (all send to SERVER:5351, IPv4 or IPv6, chosen by the address):

  map      SERVER --proto tcp|udp --internal-port N [--external-port N] [--external-ip ADDR]
           [--lifetime S] [--nonce HEX24] [--client-ip ADDR] [--filter ADDR/PLEN:PORT]
           [--prefer-failure] [--third-party ADDR]
           MAP request (RFC 6887 sections 7.1 and 11.1). --lifetime 0 deletes (same nonce needed).
  peer     SERVER --proto tcp|udp --internal-port N --peer ADDR:PORT (IPv6: [ADDR]:PORT) [...]
           PEER request (section 12.1), to see whether the server supports it.
  announce SERVER                       ANNOUNCE request (section 14.1): the server's epoch.
  listen   [--port 5350] [--group 224.0.0.1] [--seconds S] [--ready FILE]
           print every datagram that arrives on PORT for S seconds: over IPv6 (e.g. to [ff02::1],
           which every IPv6 interface receives), or over IPv4 when --group names the IPv4 group to
           join (unsolicited ANNOUNCEs go to 224.0.0.1:5350 / [ff02::1]:5350, section 14.1.3).

Output: one line of key=value pairs per answer, e.g.
  result=0 result_name=SUCCESS version=2 opcode=MAP lifetime=120 epoch=3 nonce=... protocol=6
  internal_port=8080 external_port=8080 external_ip=fd00:86::250 from=[fd00:86::1]:5351 rtt_ms=1.2
Exit status: 0 answer with result SUCCESS, 1 answer with another result code, 3 no (valid) answer
within the bounded retries, 2 usage error.

Network rule of the lab: this only ever sends to the address it is given (the lab's gateway), at most
--tries times (default 3), each try waiting --timeout seconds (default 1).
"""

import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time

PCP_PORT = 5351
OPCODES = {0: "ANNOUNCE", 1: "MAP", 2: "PEER"}
RESULTS = {
    0: "SUCCESS", 1: "UNSUPP_VERSION", 2: "NOT_AUTHORIZED", 3: "MALFORMED_REQUEST",
    4: "UNSUPP_OPCODE", 5: "UNSUPP_OPTION", 6: "MALFORMED_OPTION", 7: "NETWORK_FAILURE",
    8: "NO_RESOURCES", 9: "UNSUPP_PROTOCOL", 10: "USER_EX_QUOTA", 11: "CANNOT_PROVIDE_EXTERNAL",
    12: "ADDRESS_MISMATCH", 13: "EXCESSIVE_REMOTE_PEERS",
}
PROTOS = {"tcp": 6, "udp": 17, "all": 0}
OPT_THIRD_PARTY, OPT_PREFER_FAILURE, OPT_FILTER = 1, 2, 3


def addr16(text):
    """An address as the 16 bytes PCP carries: IPv6 as is, IPv4 as ::ffff:a.b.c.d (section 5)."""
    ip = ipaddress.ip_address(text)
    if ip.version == 4:
        ip = ipaddress.IPv6Address("::ffff:" + str(ip))
    return ip.packed


def show16(raw):
    ip = ipaddress.IPv6Address(raw)
    return str(ip.ipv4_mapped) if ip.ipv4_mapped else str(ip)


def option(code, body=b""):
    pad = (-len(body)) % 4
    return struct.pack("!BBH", code, 0, len(body)) + body + b"\0" * pad


def open_socket(server, bind=None):
    """A UDP socket connected to SERVER:5351; the kernel's choice of source address is the client IP
    unless BIND gives it (e.g. the host's ULA/global address while talking to a link-local gateway)."""
    # getaddrinfo on a numeric address (no DNS): it also understands a link-local fe80::1%IFNAME.
    fam, _, _, _, sa = socket.getaddrinfo(server, PCP_PORT, type=socket.SOCK_DGRAM,
                                          flags=socket.AI_NUMERICHOST)[0]
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if bind:
        s.bind((bind, 0))
    s.connect(sa)
    return s


def header(opcode, lifetime, client_ip):
    # version 2, R=0 | opcode, reserved (2 bytes), requested lifetime, PCP client's IP address.
    return struct.pack("!BBHI", 2, opcode, 0, lifetime) + addr16(client_ip)


def parse(resp, opcode, nonce):
    """The common response header (section 7.2) and, for MAP/PEER, the opcode-specific part."""
    if len(resp) < 24:
        return None, "short answer (%d bytes)" % len(resp)
    ver, rop, _res, result, lifetime, epoch = struct.unpack("!BBBBII", resp[:12])
    out = {
        "result": result, "result_name": RESULTS.get(result, "?"), "version": ver,
        "opcode": OPCODES.get(rop & 0x7F, str(rop & 0x7F)), "lifetime": lifetime, "epoch": epoch,
        "length": len(resp),
    }
    if not rop & 0x80:
        return None, "R bit not set (a request, not an answer)"
    if ver != 2:
        return out, None  # e.g. UNSUPP_VERSION with the server's version: report as is
    if (rop & 0x7F) != opcode:
        return None, "answer to another opcode (%d)" % (rop & 0x7F)
    if opcode in (1, 2) and len(resp) >= 24 + 36:
        body = resp[24:60]
        r_nonce, proto, iport, eport = struct.unpack("!12sB3xHH", body[:20])
        out.update(nonce=r_nonce.hex(), protocol=proto, internal_port=iport, external_port=eport,
                   external_ip=show16(body[20:36]))
        if r_nonce != nonce:
            return None, "nonce mismatch (%s)" % r_nonce.hex()
        if opcode == 2 and len(resp) >= 24 + 56:
            pport, = struct.unpack("!H", resp[60:62])
            out.update(peer_port=pport, peer_ip=show16(resp[64:80]))
    return out, None


def exchange(args, opcode, payload, nonce=b""):
    s = open_socket(args.server, args.bind)
    client_ip = args.client_ip or s.getsockname()[0].split("%")[0]
    req = header(opcode, args.lifetime, client_ip) + payload
    try:
        for attempt in range(1, args.tries + 1):
            t0 = time.monotonic()
            s.send(req)
            deadline = t0 + args.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([s], [], [], left)[0]:
                    break
                try:
                    resp, src = s.recvfrom(1100)
                except ConnectionRefusedError:  # ICMP port unreachable: nobody on 5351
                    print("# try %d: port unreachable" % attempt, file=sys.stderr)
                    break
                out, why = parse(resp, opcode, nonce)
                if out is None:
                    print("# ignored an answer: %s" % why, file=sys.stderr)
                    continue
                out["client_ip"] = client_ip
                out["from"] = ("[%s]:%d" if ":" in src[0] else "%s:%d") % (src[0], src[1])
                out["rtt_ms"] = "%.1f" % ((time.monotonic() - t0) * 1000)
                out["tries"] = attempt
                print(" ".join("%s=%s" % kv for kv in out.items()))
                return 0 if out["result"] == 0 else 1
    finally:
        s.close()
    print("no answer from %s:%d after %d tries of %.1fs" % (args.server, PCP_PORT, args.tries, args.timeout))
    return 3


def mapping_payload(args, nonce, peer=None):
    ext_ip = args.external_ip or ("::" if ":" in args.server else "0.0.0.0")
    body = nonce + struct.pack("!B3xHH", PROTOS[args.proto], args.internal_port, args.external_port)
    body += addr16(ext_ip)
    if peer is not None:
        host, port = peer
        body += struct.pack("!HH", port, 0) + addr16(host)
    if args.third_party:
        body += option(OPT_THIRD_PARTY, addr16(args.third_party))
    if args.prefer_failure:
        body += option(OPT_PREFER_FAILURE)
    if args.filter:
        net, _, port = args.filter.rpartition(":")
        addr, _, plen = net.replace("[", "").replace("]", "").partition("/")
        plen = int(plen) if plen else (128 if ":" in addr else 32)
        if ":" not in addr:
            plen += 96  # the prefix length counts the ::ffff:0:0/96 of an IPv4-mapped address
        body += option(OPT_FILTER, struct.pack("!xBH", plen, int(port)) + addr16(addr))
    return body


def get_nonce(args):
    if args.nonce:
        n = bytes.fromhex(args.nonce)
        if len(n) != 12:
            sys.exit("--nonce must be 24 hex digits (12 bytes)")
        return n
    return os.urandom(12)


def cmd_map(args):
    nonce = get_nonce(args)
    return exchange(args, 1, mapping_payload(args, nonce), nonce)


def cmd_peer(args):
    nonce = get_nonce(args)
    host, _, port = args.peer.rpartition(":")
    return exchange(args, 2, mapping_payload(args, nonce, (host.strip("[]"), int(port))), nonce)


def cmd_announce(args):
    args.lifetime = 0
    return exchange(args, 0, b"")


def cmd_listen(args):
    """Prints each datagram arriving on --port for --seconds (bounded), decoded when it is PCP."""
    fam = socket.AF_INET6 if args.group is None or ":" in args.group else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # IPv6 only: [ff02::1]:PORT
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", args.port))
    if args.group and fam == socket.AF_INET:
        mreq = socket.inet_aton(args.group) + socket.inet_aton("0.0.0.0")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    if args.ready:
        open(args.ready, "w").close()
    deadline = time.monotonic() + args.seconds
    n = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            break
        data, src = s.recvfrom(1100)
        n += 1
        desc = "len=%d hex=%s" % (len(data), data.hex())
        if len(data) >= 12 and data[0] == 2:
            ver, rop, _r, result, lifetime, epoch = struct.unpack("!BBBBII", data[:12])
            desc = "pcp opcode=%s response=%d result=%d lifetime=%d epoch=%d %s" % (
                OPCODES.get(rop & 0x7F, rop & 0x7F), rop >> 7, result, lifetime, epoch, desc)
        elif len(data) >= 2 and data[0] == 0:
            desc = "natpmp opcode=%d %s" % (data[1], desc)
        print("from=[%s]:%d %s" % (src[0], src[1], desc), flush=True)
    s.close()
    print("# %d datagram(s) in %.1fs" % (n, args.seconds))
    return 0


def main():
    p = argparse.ArgumentParser(description="lab diagnostic PCP client (not product code)")
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("server", help="the PCP server (the lab's gateway), IPv4 or IPv6 address")
        sp.add_argument("--client-ip", help="PCP client IP field (default: this socket's source address)")
        sp.add_argument("--bind", help="source address to send from (default: the kernel's choice)")
        sp.add_argument("--lifetime", type=int, default=120)
        sp.add_argument("--timeout", type=float, default=1.0, help="seconds per try")
        sp.add_argument("--tries", type=int, default=3)

    def mapping(sp):
        common(sp)
        sp.add_argument("--proto", choices=sorted(PROTOS), default="tcp")
        sp.add_argument("--internal-port", type=int, required=True)
        sp.add_argument("--external-port", type=int, default=0, help="suggested (0: none)")
        sp.add_argument("--external-ip", help="suggested external address (default :: / 0.0.0.0)")
        sp.add_argument("--nonce", help="24 hex digits; the same nonce is needed to renew or delete")
        sp.add_argument("--third-party", help="THIRD_PARTY option with this internal address")
        sp.add_argument("--prefer-failure", action="store_true", help="PREFER_FAILURE option")
        sp.add_argument("--filter", help="FILTER option: ADDR[/PLEN]:PORT ([v6]/PLEN:PORT)")

    mapping(sub.add_parser("map"))
    sp = sub.add_parser("peer")
    mapping(sp)
    sp.add_argument("--peer", required=True, help="remote peer ADDR:PORT or [ADDR]:PORT")
    common(sub.add_parser("announce"))
    sp = sub.add_parser("listen")
    sp.add_argument("--port", type=int, default=5350)
    sp.add_argument("--group", help="listen over IPv4 and join this group (IPv6: ff02::1 needs no join)")
    sp.add_argument("--seconds", type=float, default=3.0)
    sp.add_argument("--ready", help="create this file once the socket is bound")
    args = p.parse_args()
    if getattr(args, "tries", 1) < 1 or getattr(args, "tries", 1) > 10:
        p.error("--tries must be 1..10 (the lab's loops are bounded)")
    if getattr(args, "timeout", 1) <= 0 or getattr(args, "timeout", 1) > 10:
        p.error("--timeout must be in (0, 10] seconds")
    if getattr(args, "seconds", 1) > 120:
        p.error("--seconds must be at most 120")
    return {"map": cmd_map, "peer": cmd_peer, "announce": cmd_announce, "listen": cmd_listen}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
