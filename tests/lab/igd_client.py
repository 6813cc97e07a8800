"""The gateway's own times for the lab's benchmarks: a minimal in-process UPnP IGD client (one HTTP
exchange per connection, as miniupnpd closes each after its answer), with no process start and no
parsing worth the name. Also used for untimed setup and cleanup. Lab use only: it talks to the lab's
gateway inside the namespaces."""
import re
import socket
import time


class Igd:
    def __init__(self, gw, igd_url):
        self.gw = gw
        self.igd_url = igd_url
        self.port = int(re.match(r"http://[^/:]+:(\d+)/", igd_url).group(1))
        desc = self.get_description().decode(errors="replace")
        self.service = re.search(r"urn:schemas-upnp-org:service:WANIPConnection:\d", desc).group(0)
        self.control = re.search(re.escape(self.service) + r"</serviceType>.*?<controlURL>([^<]+)</controlURL>",
                                 desc, re.S).group(1)

    def http(self, request):
        c = socket.create_connection((self.gw, self.port), timeout=10)
        try:
            c.sendall(request)
            data = b""
            while True:
                b = c.recv(65536)
                if not b:
                    return data
                data += b
        finally:
            c.close()

    def get_description(self):
        return self.http(f"GET {self.igd_url[self.igd_url.index('/', 7):]} HTTP/1.1\r\nHost: {self.gw}:{self.port}\r\n"
                         "Connection: close\r\n\r\n".encode())

    def soap(self, action, args=()):
        body = ('<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
                's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
                f'<u:{action} xmlns:u="{self.service}">' + "".join(f"<{k}>{v}</{k}>" for k, v in args) +
                f'</u:{action}></s:Body></s:Envelope>\r\n').encode()
        answer = self.http(f"POST {self.control} HTTP/1.1\r\nHost: {self.gw}:{self.port}\r\n"
                           f"Content-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"{self.service}#{action}\"\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        if not answer.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"{action}: {answer[:400]!r}")
        return answer

    @staticmethod
    def key(port):
        return [("NewRemoteHost", ""), ("NewExternalPort", port), ("NewProtocol", "TCP")]

    def add(self, port, lan, lease=3600):
        return self.soap("AddPortMapping", self.key(port) + [
            ("NewInternalPort", port), ("NewInternalClient", lan), ("NewEnabled", 1),
            ("NewPortMappingDescription", "bench"), ("NewLeaseDuration", lease)])

    def delete(self, port):
        self.soap("DeletePortMapping", self.key(port))


def ms(t0):
    return (time.perf_counter() - t0) * 1000.0
