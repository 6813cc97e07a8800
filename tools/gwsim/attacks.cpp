// The hostile behaviours gwsim can play, one per run. Each names the part it corrupts and what a
// client must survive; tests/lab/hostile_test.sh runs natpunch against every one of them.
#include <algorithm>

#include "gwsim.hpp"

namespace natpunch::gwsim {

const std::vector<attack>& all_attacks() {
  static const std::vector<attack> list = {
      // NAT-PMP and PCP: forged answers come first, the honest one --delay-ms later.
      {"wrong-source", layer::udp, "a forged answer (external 6.6.6.6:6666) from --decoy ADDR, then the honest one"},
      {"wrong-port", layer::udp, "a forged answer from the gateway's address but another port, then the honest one"},
      {"wrong-nonce", layer::udp, "PCP: a forged answer with another mapping nonce, then the honest one"},
      {"garbage", layer::udp, "malformed datagrams from the gateway's own address and port, then the honest answer"},
      {"downgrade", layer::udp, "PCP: a forged NAT-PMP 'unsupported version' from --decoy ADDR, then the honest answer"},
      {"flood", layer::udp, "N (--attack-arg, 1000) answers to nothing asked (stale or other nonces), then the honest one"},
      {"silent", layer::udp, "never answers"},
      {"announce", layer::udp,
       "at start, N (--attack-arg, 5) forged NAT-PMP and PCP announcements (epoch 0, 6.6.6.6) to 224.0.0.1:5350"},
      // HTTP framing, on the description (default) or, with --attack-on control, the SOAP answer.
      {"length-overflow", layer::http, "Content-Length: 184467440737095516160 (over 64 bits)"},
      {"length-huge", layer::http, "Content-Length: 1 TiB, then body bytes as fast as the client reads (64 MiB at most)"},
      {"chunk-overflow", layer::http, "a chunk size of 17 hex digits (over 64 bits)"},
      {"chunk-negative", layer::http, "a chunk size of -10"},
      {"chunk-endless", layer::http, "16 KiB chunks without end (64 MiB at most)"},
      {"smuggle-cl-te", layer::http, "both Content-Length and Transfer-Encoding: chunked"},
      {"smuggle-two-lengths", layer::http, "two different Content-Length fields"},
      {"header-flood", layer::http, "header lines without end (64 MiB at most)"},
      {"line-endless", layer::http, "a status line without end (64 MiB at most)"},
      {"status-garbage", layer::http, "a status code of 13 digits"},
      {"redirect", layer::http, "302 Found to http://127.0.0.1:1/ (a client must not follow)"},
      {"drip", layer::http, "the honest answer one byte every N ms (--attack-arg, 100)"},
      {"stall", layer::http, "reads the request and never answers"},
      {"truncate", layer::http, "the honest answer cut after N bytes (--attack-arg, half of it), then closed"},
      // The device description (HTTP framing intact).
      {"xml-deep", layer::description, "elements nested N deep (--attack-arg, 5000)"},
      {"xml-doctype", layer::description, "a DOCTYPE with nested entities (billion laughs)"},
      {"xml-huge", layer::description, "a valid description padded to 10 MiB"},
      {"xml-many-devices", layer::description, "N embedded devices (--attack-arg, 2000)"},
      {"xml-long-field", layer::description, "a friendlyName of 100 KiB"},
      {"xml-no-igd", layer::description, "a well-formed device without any WAN connection service"},
      // SOAP answers (HTTP framing intact).
      {"soap-garbage", layer::soap, "200 OK with a body that is not XML"},
      {"soap-deep", layer::soap, "an envelope nested N deep (--attack-arg, 5000)"},
      {"soap-doctype", layer::soap, "an envelope with a DOCTYPE (billion laughs)"},
      {"soap-huge-fault", layer::soap, "a UPnPError whose errorDescription is 100 KiB"},
      {"soap-many-args", layer::soap, "a response with N arguments (--attack-arg, 10000)"},
      {"soap-wrong-action", layer::soap, "the answer to another action"},
      {"soap-bad-address", layer::soap, "GetExternalIPAddress answers 256.1.2.3; AddAnyPortMapping answers port 0"},
      // SSDP answers to each M-SEARCH.
      {"ssdp-flood", layer::ssdp, "N answers (--attack-arg, 5000), each a new device at a LOCATION of ours"},
      {"ssdp-garbage", layer::ssdp, "malformed answers (binary, oversized, fields missing or forged), then the honest ones"},
  };
  return list;
}

const attack* find_attack(std::string_view name) noexcept {
  const auto& list = all_attacks();
  const auto it = std::find_if(list.begin(), list.end(), [&](const attack& a) { return a.name == name; });
  return it == list.end() ? nullptr : &*it;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace natpunch::gwsim
