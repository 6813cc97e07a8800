#!/usr/bin/env python3
"""Lab helper for tests/lab/capture_upnp.sh: records miniupnpd's SSDP and UPnP IGD (HTTP/SOAP) answers
byte-exact. A lab diagnostic, not product code; run it inside the lab's lan namespace only.

  upnp_capture.py notify OUT_DIR LAN_IF_ADDR LAN_IFNAME MARK_DIR SECONDS
      listen for NOTIFY on 239.255.255.250:1900 (and [ff02::c]:1900 when LAN_IFNAME has IPv6);
      each message is saved as notify.<phase>.<NN>.ssdp; the phase is "start", "running", "stop" (or
      "restart", see capture_upnp.sh) depending on which marker files exist in MARK_DIR; ends when MARK_DIR/done exists or after SECONDS
  upnp_capture.py ssdp OUT_DIR GW_ADDR LAN_IF_ADDR [LAN_IFNAME LAN_ADDR6]
      one unicast and one multicast M-SEARCH per search target; answers saved one file each
      (with LAN_IFNAME and LAN_ADDR6: also one M-SEARCH to [ff02::c]:1900)
  upnp_capture.py http OUT_DIR GW_ADDR PORT igd1|igd2 LAN_ADDR OTHER_LAN_ADDR [GW_ADDR6 LAN_ADDR6]
      the root description, every SCPD it links, and the SOAP calls of the README

Every socket read has a timeout; traffic goes only to the addresses given (the lab's gateway).
Prints one summary line per exchange (name, sizes, status or fault, time) on stdout.
"""
import os
import re
import socket
import struct
import sys
import time
import xml.etree.ElementTree as ET

SSDP_GROUP = "239.255.255.250"
SSDP_GROUP6 = "ff02::c"
SSDP_PORT = 1900
SEARCH_TARGETS = [
    "urn:schemas-upnp-org:device:InternetGatewayDevice:1",
    "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
    "urn:schemas-upnp-org:service:WANIPConnection:1",
    "urn:schemas-upnp-org:service:WANIPConnection:2",
    "urn:schemas-upnp-org:service:WANPPPConnection:1",
    "upnp:rootdevice",
    "ssdp:all",
]


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def slug(st):
    """A file-name form of a search target: upnp:rootdevice -> rootdevice, urn:...:device:X:1 -> X_1."""
    if st.startswith("urn:"):
        parts = st.split(":")
        return f"{parts[-2]}_{parts[-1]}"
    return st.split(":")[-1]


def header(msg, name):
    m = re.search(rb"\r\n" + name.encode() + rb":[ \t]*([^\r\n]*)", msg, re.IGNORECASE)
    return m.group(1).decode(errors="replace") if m else ""


# --------------------------------------------------------------------------------------------------
# SSDP


def cmd_notify(out, ifaddr, ifname, marks, seconds):
    socks = []
    s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s4.bind((SSDP_GROUP, SSDP_PORT))
    s4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                  struct.pack("4s4s", socket.inet_aton(SSDP_GROUP), socket.inet_aton(ifaddr)))
    socks.append(s4)
    try:
        idx = socket.if_nametoindex(ifname)
        s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s6.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s6.bind((SSDP_GROUP6, SSDP_PORT, 0, idx))
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                      socket.inet_pton(socket.AF_INET6, SSDP_GROUP6) + struct.pack("@I", idx))
        socks.append(s6)
    except OSError as e:
        print(f"notify: no IPv6 listener ({e})", flush=True)
    import select
    write(os.path.join(marks, "notify.ready"), b"")
    t0 = time.monotonic()
    counts = {}
    log = open(os.path.join(out, "notify.log"), "a")
    while time.monotonic() - t0 < seconds and not os.path.exists(os.path.join(marks, "done")):
        r, _, _ = select.select(socks, [], [], 0.1)
        for s in r:
            data, peer = s.recvfrom(65536)
            if not data.startswith(b"NOTIFY "):
                continue  # our own M-SEARCHes come back here through multicast loopback
            phase = ("stop" if os.path.exists(os.path.join(marks, "stopping")) else
                     "restart" if os.path.exists(os.path.join(marks, "restarted")) else
                     "running" if os.path.exists(os.path.join(marks, "running")) else "start")
            fam = "v6" if s.family == socket.AF_INET6 else "v4"
            key = (phase, fam)
            counts[key] = counts.get(key, 0) + 1
            name = f"notify.{phase}.{fam}.{counts[key]:02d}.ssdp"
            write(os.path.join(out, name), data)
            rel = time.monotonic() - t0
            log.write(f"{rel:8.3f}s {name} from {peer[0]}:{peer[1]} {len(data)} bytes "
                      f"NTS={header(data, 'NTS')} NT={header(data, 'NT')}\n")
            log.flush()


def msearch(st, host, mx):
    lines = ["M-SEARCH * HTTP/1.1", f"HOST: {host}", 'MAN: "ssdp:discover"']
    if mx is not None:
        lines.append(f"MX: {mx}")
    lines.append(f"ST: {st}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def search(out, name, req, dest, ifaddr, window, summary, ifname=None):
    write(os.path.join(out, name + ".request"), req)
    if ifname:  # IPv6: DEST is a link-scope group, sent out of IFNAME
        idx = socket.if_nametoindex(ifname)
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        s.bind((ifaddr, 0))
        target = (dest, SSDP_PORT, 0, idx)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
        s.bind((ifaddr, 0))
        target = (dest, SSDP_PORT)
    t0 = time.monotonic()
    s.sendto(req, target)
    answers = []
    while True:
        left = window - (time.monotonic() - t0)
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(65536)
        except socket.timeout:
            break
        answers.append(((time.monotonic() - t0) * 1000, peer, data))
    s.close()
    for i, (ms, peer, data) in enumerate(answers, 1):
        write(os.path.join(out, f"{name}.{i:02d}.ssdp"), data)
    if not answers:
        summary.append(f"{name}: no answer within {window:.1f}s")
    else:
        delays = ", ".join(f"{ms:.0f}" for ms, _, _ in answers)
        sts = "; ".join(header(d, "ST") for _, _, d in answers)
        summary.append(f"{name}: {len(answers)} answer(s) after ms [{delays}] from {answers[0][1][0]}:"
                       f"{answers[0][1][1]}; ST: {sts}")
    print(summary[-1], flush=True)


def cmd_ssdp(out, gw, ifaddr, ifname=None, ifaddr6=None):
    summary = []
    for st in SEARCH_TARGETS:
        # Unicast (UDA 1.1 section 1.3.2): HOST names the device, no MX.
        search(out, f"{slug(st)}.unicast", msearch(st, f"{gw}:{SSDP_PORT}", None), gw, ifaddr, 1.5, summary)
        # Multicast with MX: 1; answers may come up to MX seconds later.
        search(out, f"{slug(st)}.multicast", msearch(st, f"{SSDP_GROUP}:{SSDP_PORT}", 1), SSDP_GROUP,
               ifaddr, 2.5, summary)
    # A multicast M-SEARCH with MX: 3, to see whether miniupnpd spreads its answers over MX.
    search(out, "rootdevice.multicast_mx3", msearch("upnp:rootdevice", f"{SSDP_GROUP}:{SSDP_PORT}", 3),
           SSDP_GROUP, ifaddr, 4.0, summary)
    if ifname and ifaddr6:
        # IPv6 (UDA 1.1 section 1.3.2: link-local scope group ff02::c, HOST in brackets).
        search(out, "rootdevice.multicast6", msearch("upnp:rootdevice", f"[{SSDP_GROUP6}]:{SSDP_PORT}", 1),
               SSDP_GROUP6, ifaddr6, 2.5, summary, ifname=ifname)
    write(os.path.join(out, "summary.txt"), ("\n".join(summary) + "\n").encode())


# --------------------------------------------------------------------------------------------------
# HTTP / SOAP


class Http:
    def __init__(self, out, gw, port, src, summary):
        self.out, self.gw, self.port, self.src, self.summary = out, gw, port, src, summary

    def exchange(self, name, req, src=None, gw=None, note="", save=True):
        """Sends REQ on a fresh TCP connection and reads until the server closes it (at most 5 s)."""
        gw = gw or self.gw
        src = src or self.src
        if save:
            write(os.path.join(self.out, name + ".request"), req)
        fam = socket.AF_INET6 if ":" in gw else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(5)
        s.bind((src, 0))
        t0 = time.monotonic()
        data = b""
        closed = False
        try:
            s.connect((gw, self.port))
            s.sendall(req)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except socket.timeout:
            pass
        except OSError as e:
            note += f" ({type(e).__name__}: {e})"
        took = (time.monotonic() - t0) * 1000
        s.close()
        if data and save:
            write(os.path.join(self.out, name + ".http"), data)
        self.summary.append(f"{name}: {describe(data)}; {len(data)} bytes; "
                            f"{'closed by server' if closed else 'NOT closed (5 s timeout)'}; "
                            f"{took:.1f} ms{note}")
        print(self.summary[-1], flush=True)
        return data

    def get(self, name, path, keep_alive=False):
        host = f"[{self.gw}]" if ":" in self.gw else self.gw
        req = f"GET {path} HTTP/1.1\r\nHost: {host}:{self.port}\r\n"
        if not keep_alive:
            req += "Connection: close\r\n"
        return self.exchange(name, (req + "\r\n").encode())

    def soap(self, name, control, service, action, args, src=None, gw=None, body=None, soapaction=True,
             save=True):
        gw = gw or self.gw
        host = f"[{gw}]" if ":" in gw else gw
        if body is None:
            inner = "".join(f"<{k}>{v}</{k}>" for k, v in args)
            body = ('<?xml version="1.0"?>\r\n'
                    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
                    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
                    f'<s:Body><u:{action} xmlns:u="{service}">{inner}</u:{action}></s:Body>'
                    '</s:Envelope>\r\n').encode()
        head = (f"POST {control} HTTP/1.1\r\nHost: {host}:{self.port}\r\n"
                f'Content-Type: text/xml; charset="utf-8"\r\n')
        if soapaction:
            head += f'SOAPAction: "{service}#{action}"\r\n'
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        return self.exchange(name, head.encode() + body, src=src, gw=gw, save=save)


def describe(data):
    if not data:
        return "no answer"
    status = data.split(b"\r\n", 1)[0].decode(errors="replace")
    m = re.search(rb"<errorCode>(\d+)</errorCode>\s*<errorDescription>([^<]*)<", data)
    if m:
        return f"{status} fault {m.group(1).decode()} {m.group(2).decode()}"
    m = re.search(rb"<(?:\w+:)?Body>\s*<(?:\w+:)?(\w+)", data)
    return f"{status} {m.group(1).decode()}" if m else status


def xml_body(data):
    return data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""


def services(desc):
    """serviceType -> (SCPDURL, controlURL), walking nested devices."""
    root = ET.fromstring(xml_body(desc))
    found = {}
    for svc in root.iter():
        if svc.tag.endswith("}service"):
            kids = {c.tag.split("}")[-1]: (c.text or "").strip() for c in svc}
            found[kids.get("serviceType", "")] = (kids.get("SCPDURL", ""), kids.get("controlURL", ""))
    return found


def mapping(ext, proto, iport, client, lease, desc="natpunch capture", remote=""):
    return [("NewRemoteHost", remote), ("NewExternalPort", ext), ("NewProtocol", proto),
            ("NewInternalPort", iport), ("NewInternalClient", client), ("NewEnabled", 1),
            ("NewPortMappingDescription", desc), ("NewLeaseDuration", lease)]


def cmd_http(out, gw, port, mode, lan, other, gw6=None, lan6=None):
    summary = []
    h = Http(out, gw, int(port), lan, summary)
    desc = h.get("rootDesc", "/rootDesc.xml")
    svc = services(desc)
    for st, (scpd, _) in sorted(svc.items()):
        h.get(f"scpd.{slug(st)}", scpd)
    h.get("rootDesc.keep_alive", "/rootDesc.xml", keep_alive=True)
    h.get("not_found", "/nothing-here.xml")

    ipc = next(st for st in svc if "WANIPConnection" in st)
    cic = next(st for st in svc if "WANCommonInterfaceConfig" in st)
    ctl, cctl = svc[ipc][1], svc[cic][1]

    def ip(name, action, args=(), **kw):
        return h.soap(name, ctl, ipc, action, list(args), **kw)

    ip("GetExternalIPAddress", "GetExternalIPAddress")
    ip("GetStatusInfo", "GetStatusInfo")
    ip("GetConnectionTypeInfo", "GetConnectionTypeInfo")
    ip("GetNATRSIPStatus", "GetNATRSIPStatus")
    h.soap("GetCommonLinkProperties", cctl, cic, "GetCommonLinkProperties", [])
    if mode == "igd2":
        ip("GetListOfPortMappings.empty", "GetListOfPortMappings",
           [("NewStartPort", 1024), ("NewEndPort", 65535), ("NewProtocol", "TCP"), ("NewManage", 0),
            ("NewNumberOfPorts", 1000)])
    ip("GetGenericPortMappingEntry.empty", "GetGenericPortMappingEntry", [("NewPortMappingIndex", 0)])
    ip("AddPortMapping.ok", "AddPortMapping", mapping(8080, "TCP", 8080, lan, 3600))
    ip("AddPortMapping.udp", "AddPortMapping", mapping(9090, "UDP", 9090, lan, 3600))
    ip("AddPortMapping.same_again", "AddPortMapping", mapping(8080, "TCP", 8080, lan, 3600))
    # A mapping held for another internal client, made by that client itself (secure_mode).
    ip("AddPortMapping.other_client", "AddPortMapping", mapping(9000, "TCP", 9000, other, 3600), src=other)
    ip("AddPortMapping.conflict", "AddPortMapping", mapping(9000, "TCP", 9000, lan, 3600))
    ip("AddPortMapping.secure_mode", "AddPortMapping", mapping(9001, "TCP", 9001, other, 3600))
    ip("AddPortMapping.lease0", "AddPortMapping", mapping(8081, "TCP", 8081, lan, 0))
    ip("AddPortMapping.remote_host", "AddPortMapping",
       mapping(8082, "TCP", 8082, lan, 3600, remote="11.0.0.1"))
    ip("AddPortMapping.bad_protocol", "AddPortMapping", mapping(8083, "SCTP", 8083, lan, 3600))
    ip("AddPortMapping.missing_args", "AddPortMapping", [("NewExternalPort", 8084), ("NewProtocol", "TCP")])
    ip("AddPortMapping.escaped_description", "AddPortMapping",
       mapping(8085, "TCP", 8085, lan, 3600, desc="a &lt;b&gt; &amp; &quot;c&quot; &#233;"))
    ip("AddAnyPortMapping", "AddAnyPortMapping", mapping(8080, "TCP", 8080, lan, 3600))  # ours already
    ip("AddAnyPortMapping.taken", "AddAnyPortMapping", mapping(9000, "TCP", 9002, lan, 3600))  # another's
    ip("AddAnyPortMapping.free", "AddAnyPortMapping", mapping(8087, "TCP", 8087, lan, 3600))
    ip("GetGenericPortMappingEntry.index0", "GetGenericPortMappingEntry", [("NewPortMappingIndex", 0)])
    ip("GetGenericPortMappingEntry.index1", "GetGenericPortMappingEntry", [("NewPortMappingIndex", 1)])
    ip("GetGenericPortMappingEntry.out_of_range", "GetGenericPortMappingEntry",
       [("NewPortMappingIndex", 999)])
    ip("GetSpecificPortMappingEntry.found", "GetSpecificPortMappingEntry",
       [("NewRemoteHost", ""), ("NewExternalPort", 8080), ("NewProtocol", "TCP")])
    ip("GetSpecificPortMappingEntry.lease0", "GetSpecificPortMappingEntry",
       [("NewRemoteHost", ""), ("NewExternalPort", 8081), ("NewProtocol", "TCP")])
    ip("GetSpecificPortMappingEntry.escaped_description", "GetSpecificPortMappingEntry",
       [("NewRemoteHost", ""), ("NewExternalPort", 8085), ("NewProtocol", "TCP")])
    ip("GetSpecificPortMappingEntry.bad_protocol", "GetSpecificPortMappingEntry",
       [("NewRemoteHost", ""), ("NewExternalPort", 8083), ("NewProtocol", "SCTP")])
    ip("GetSpecificPortMappingEntry.remote_host", "GetSpecificPortMappingEntry",
       [("NewRemoteHost", "11.0.0.1"), ("NewExternalPort", 8082), ("NewProtocol", "TCP")])
    ip("GetSpecificPortMappingEntry.not_found", "GetSpecificPortMappingEntry",
       [("NewRemoteHost", ""), ("NewExternalPort", 7777), ("NewProtocol", "TCP")])
    ip("DeletePortMapping.ok", "DeletePortMapping",
       [("NewRemoteHost", ""), ("NewExternalPort", 8080), ("NewProtocol", "TCP")])
    ip("DeletePortMapping.not_found", "DeletePortMapping",
       [("NewRemoteHost", ""), ("NewExternalPort", 7777), ("NewProtocol", "TCP")])
    ip("DeletePortMapping.other_client", "DeletePortMapping",
       [("NewRemoteHost", ""), ("NewExternalPort", 9000), ("NewProtocol", "TCP")])
    # GetListOfPortMappings with one entry in the range, then ~20.
    ip("GetListOfPortMappings.one", "GetListOfPortMappings",
       [("NewStartPort", 9090), ("NewEndPort", 9090), ("NewProtocol", "UDP"), ("NewManage", 0),
        ("NewNumberOfPorts", 1000)])
    for i in range(20):  # not saved: only the list matters
        ip(f"bulk{i:02d}", "AddPortMapping",
           mapping(30000 + i, "TCP", 30000 + i, lan, 3600, desc=f"natpunch bulk {i}"), save=False)
    ip("GetListOfPortMappings.twenty", "GetListOfPortMappings",
       [("NewStartPort", 30000), ("NewEndPort", 30019), ("NewProtocol", "TCP"), ("NewManage", 0),
        ("NewNumberOfPorts", 1000)])
    ip("GetListOfPortMappings.all_manage1", "GetListOfPortMappings",
       [("NewStartPort", 0), ("NewEndPort", 65535), ("NewProtocol", "TCP"), ("NewManage", 1),
        ("NewNumberOfPorts", 5)])
    ip("DeletePortMappingRange", "DeletePortMappingRange",
       [("NewStartPort", 30000), ("NewEndPort", 30009), ("NewProtocol", "TCP"), ("NewManage", 0)])
    ip("DeletePortMappingRange.not_found", "DeletePortMappingRange",
       [("NewStartPort", 40000), ("NewEndPort", 40009), ("NewProtocol", "TCP"), ("NewManage", 0)])
    ip("UnknownAction", "FrobnicatePortMapping", [("NewExternalPort", 1)])
    ip("malformed_body", "GetExternalIPAddress", body=b"<s:Envelope><s:Body><u:GetExt")
    ip("not_xml_body", "GetExternalIPAddress", body=b"hello, gateway\r\n")
    ip("no_soapaction", "GetExternalIPAddress", soapaction=False)
    ip("wrong_service_type", "GetExternalIPAddress",
       body=('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
             '<s:Body><u:GetExternalIPAddress xmlns:u="urn:schemas-upnp-org:service:WANPPPConnection:1"/>'
             '</s:Body></s:Envelope>').encode())

    fw = next((st for st in svc if "WANIPv6FirewallControl" in st), None)
    if fw and gw6:
        fctl = svc[fw][1]
        h6 = Http(out, gw6, int(port), lan6, summary)

        def f(name, action, args=(), **kw):
            return h6.soap(name, fctl, fw, action, list(args), **kw)

        f("GetFirewallStatus", "GetFirewallStatus")
        f("GetOutboundPinholeTimeout", "GetOutboundPinholeTimeout",
          [("RemoteHost", ""), ("RemotePort", 0), ("InternalClient", lan6), ("InternalPort", 8080),
           ("Protocol", 6)])
        f("GetOutboundPinholeTimeout.remote_host", "GetOutboundPinholeTimeout",
          [("RemoteHost", "2001:db8:11::1"), ("RemotePort", 443), ("InternalClient", lan6),
           ("InternalPort", 8080), ("Protocol", 6)])
        pin = [("RemoteHost", ""), ("RemotePort", 0), ("InternalClient", lan6), ("InternalPort", 8080),
               ("Protocol", 6), ("LeaseTime", 3600)]
        r = f("AddPinhole", "AddPinhole", pin)
        m = re.search(rb"<UniqueID>(\d+)</UniqueID>", r)
        uid = m.group(1).decode() if m else "1"
        f("AddPinhole.udp", "AddPinhole",
          [("RemoteHost", "2001:db8:11::1"), ("RemotePort", 4000), ("InternalClient", lan6),
           ("InternalPort", 9090), ("Protocol", 17), ("LeaseTime", 600)])
        f("AddPinhole.other_client", "AddPinhole",
          [("RemoteHost", ""), ("RemotePort", 0), ("InternalClient", "fd00:86::251"),
           ("InternalPort", 8081), ("Protocol", 6), ("LeaseTime", 3600)])
        f("UpdatePinhole", "UpdatePinhole", [("UniqueID", uid), ("NewLeaseTime", 7200)])
        f("GetPinholePackets", "GetPinholePackets", [("UniqueID", uid)])
        f("CheckPinholeWorking", "CheckPinholeWorking", [("UniqueID", uid)])
        f("DeletePinhole", "DeletePinhole", [("UniqueID", uid)])
        f("DeletePinhole.not_found", "DeletePinhole", [("UniqueID", uid)])
        f("UpdatePinhole.not_found", "UpdatePinhole", [("UniqueID", "54321"), ("NewLeaseTime", 7200)])
        # The same service asked over IPv4.
        h.soap("AddPinhole.over_ipv4", fctl, fw, "AddPinhole", pin)
    write(os.path.join(out, "summary.txt"), ("\n".join(summary) + "\n").encode())


def main(argv):
    cmd = argv[1]
    if cmd == "notify":
        cmd_notify(argv[2], argv[3], argv[4], argv[5], float(argv[6]))
    elif cmd == "ssdp":
        cmd_ssdp(*argv[2:])
    elif cmd == "http":
        cmd_http(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
