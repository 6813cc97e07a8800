// The state store's codec (portmap/store.hpp, store_codec.cpp): it round-trips, skips what is damaged,
// never lets a field write a record of its own, and keeps its caps. The file: store_file_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "natpunch/portmap/store.hpp"

using namespace natpunch;
using namespace natpunch::portmap;

namespace {

constexpr std::int64_t t0 = 1795541279;

mapping_record pcp_mapping(std::uint16_t port) {
  return {protocol::pcp, "192.168.1.1", "", "", core::ip_protocol::tcp, "192.168.1.20", port, "203.0.113.7", port,
          "5f0c2a9be41d7730aa61c0de", 7200, t0, ""};
}
mapping_record upnp_mapping(std::uint16_t port) {
  return {protocol::upnp, "192.168.1.1", "http://192.168.1.1:5000/rootDesc.xml", "uuid:9d008fc5-025c-436d",
          core::ip_protocol::udp, "192.168.1.20", port, "203.0.113.7", 2222, "", 0, t0, "ssh \xc3\xa9t\xc3\xa9"};
}
pinhole_record pinhole(std::uint16_t id) {
  return {"http://[fd00:86::1]:5000/rootDesc.xml", "uuid:9d008fc5-025c-436d-be41-335f728500d2", id, "fd00:86::250",
          8443, core::ip_protocol::tcp, 600, t0};
}
gateway_record upnp_gateway(std::string ip) {
  return {std::move(ip), protocol::upnp, "http://192.168.1.1:5000/rootDesc.xml", "uuid:1",
          "urn:schemas-upnp-org:service:WANIPConnection:2", "http://192.168.1.1:5000/ctl/IPConn", 2,
          "http://192.168.1.1:5000/ctl/IP6FCtl", "", t0};
}

store_contents sample() {
  store_contents c;
  c.mappings = {pcp_mapping(8333), upnp_mapping(22)};
  c.mappings.push_back(pcp_mapping(30303));
  c.mappings.back().proto = protocol::natpmp;
  c.mappings.back().nonce.clear();
  c.pinholes = {pinhole(1), pinhole(65535)};
  c.pinholes[1].udn.clear();
  c.gateways = {upnp_gateway("192.168.1.1"), {"fe80::1", protocol::pcp, "", "", "", "", 0, "", "", t0}};
  return c;
}

store_contents parse(std::string_view text) {
  auto r = parse_store(text);
  REQUIRE(r.has_value());
  return std::move(*r);
}

}  // namespace

TEST_CASE("store: format then parse gives the same records, all three kinds") {
  const auto in = sample();
  const auto out = format_store(in);
  CHECK(out.dropped == 0);
  CHECK(out.text.starts_with("# natpunch state 1\n"));
  const auto back = parse(out.text);
  CHECK(back.mappings == in.mappings);
  CHECK(back.pinholes == in.pinholes);
  CHECK(back.gateways == in.gateways);
  CHECK(back.skipped == 0);
  CHECK(out.text.find("mapping\tpcp\t192.168.1.1\t\t\ttcp\t192.168.1.20\t8333\t203.0.113.7\t8333\t"
                      "5f0c2a9be41d7730aa61c0de\t7200\t1795541279\t\n") != std::string::npos);
}

TEST_CASE("store: empty text is empty; a first line that is not the header is a foreign file") {
  const auto empty = parse("");
  CHECK(empty.mappings.empty());
  CHECK(empty.skipped == 0);
  CHECK(parse("# natpunch state 1").mappings.empty());
  for (const char* text : {"# natpunch state 2\n", "# natpunch pinholes 1\n", "\n# natpunch state 1\n",
                           "# natpunch state 1\r\n", "PATH=/usr/bin\n", "pinhole\thttp://x/\t\t1\tfd00::1\t22\ttcp\t6\t1\n"}) {
    CAPTURE(text);
    const auto r = parse_store(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == store_errc::foreign_file);
  }
  CHECK(parse_store(std::string(max_store_file_bytes + 1, '#')).error() == store_errc::file_too_large);
}

TEST_CASE("store: damaged lines are skipped and counted, never half-kept") {
  const std::string good_pinhole = "pinhole\thttp://[fd00::1]/d.xml\tuuid:1\t3\tfd00::250\t22\tudp\t60\t100";
  const std::string good_mapping = "mapping\tnatpmp\t10.0.0.1\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t2222\t\t60\t100\t";
  const char* bad[] = {
      "pinhole\thttp://[fd00::1]/d.xml\tu\t65536\tfd00::1\t22\ttcp\t60\t100",      // id out of range
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\t10.0.0.1\t22\ttcp\t60\t100",         // pinholes are IPv6
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t0\ttcp\t60\t100",           // port 0
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\tTCP\t60\t100",          // one spelling
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t-1\t100",          // lifetime
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t060\t100",         // leading zero
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t1099511627777",  // since past 2^40
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60",               // a field short
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t100\tx",       // a field more
      "pinhole\tftp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t100",           // not http
      "pinhole\thttp://[fd00::1]/d.xml\tu u\t1\tfd00::1\t22\ttcp\t60\t100",        // a space in the UDN
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tFD00::1\t22\ttcp\t60\t100",          // not canonical
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfe80::1%2\t22\ttcp\t60\t100",        // a zone
      "pinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t100\r",        // CRLF
      "mapping\tpcp\t10.0.0.1\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\tABCDEF0123456789abcdef01\t60\t1\t",  // nonce case
      "mapping\tpcp\t10.0.0.1\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\t\t60\t1\t",  // PCP without a nonce
      "mapping\tnatpmp\t10.0.0.1\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\t\t0\t1\t",  // lifetime 0 outside UPnP
      "mapping\tnatpmp\t10.0.0.1\thttp://x/\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\t\t60\t1\t",  // an IGD outside UPnP
      "mapping\tupnp\t10.0.0.1\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\t\t0\t1\t",  // UPnP without its IGD
      "mapping\tigd\t10.0.0.1\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\t\t60\t1\t",  // no such protocol
      "mapping\tnatpmp\t10.0.0.256\t\t\ttcp\t10.0.0.2\t22\t198.51.100.1\t22\t\t60\t1\t",  // not an address
      "gateway\t10.0.0.1\tupnp\thttp://x/d\t\turn:x\thttp://x/c\t3\t\t\t1",          // IGD version 3
      "gateway\t10.0.0.1\tpcp\t\t\t\t\t1\t\t\t1",                                     // a version outside UPnP
      "lease\t10.0.0.1\t7",                                                          // a kind from the future
      "mapping",                                                                     // no fields
  };
  std::string text = "# natpunch state 1\n" + good_pinhole + "\n\n# a comment\n" + good_mapping + "\n";
  for (const char* line : bad) text += std::string(line) + "\n";
  const auto out = parse(text);
  CHECK(out.skipped == std::size(bad));
  REQUIRE(out.pinholes.size() == 1);
  CHECK(out.pinholes[0].id == 3);
  CHECK(out.pinholes[0].transport == core::ip_protocol::udp);
  REQUIRE(out.mappings.size() == 1);
  CHECK(out.mappings[0].proto == protocol::natpmp);
  CHECK(out.mappings[0].external_port == 2222);
  CHECK(out.gateways.empty());
}

TEST_CASE("store: a hostile field never adds or alters a record") {
  // The review's exploit on the old pinhole file: a gateway's UDN carrying a line of its own.
  const std::string injected = "uuid:x\npinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t1099511627776";
  const std::string hostile[] = {injected, "a\tb", "a\rb", std::string("a\0b", 3), "a\x1b[2Jb", "a\x7f", "a\xc2\x9b" "b",
                                 "\xff", std::string(max_store_url_bytes + 1, 'a'), "a b"};
  for (const auto& bad : hostile) {
    CAPTURE(bad);
    std::vector<store_contents> cases(9, sample());
    cases[0].pinholes[0].udn = bad;
    cases[1].pinholes[0].igd = "http://" + bad;
    cases[2].mappings[1].udn = bad;
    cases[3].mappings[1].description = bad;
    cases[4].mappings[1].igd = "http://x/" + bad;
    cases[5].gateways[0].udn = bad;
    cases[6].gateways[0].service_type = bad;
    cases[7].gateways[0].control_url = "http://x/" + bad;
    cases[8].gateways[0].firewall_control_url = "http://x/" + bad;
    for (auto& c : cases) {
      if (bad == "a b" && &c == &cases[3]) continue;  // a space is fine in a label
      const auto out = format_store(c);
      CHECK(out.dropped == 1);
      const auto back = parse(out.text);
      CHECK(back.skipped == 0);
      // Exactly the valid records, unchanged.
      std::erase_if(c.mappings, [](const auto& r) { return !is_valid(r); });
      std::erase_if(c.pinholes, [](const auto& r) { return !is_valid(r); });
      std::erase_if(c.gateways, [](const auto& r) { return !is_valid(r); });
      CHECK(back.mappings == c.mappings);
      CHECK(back.pinholes == c.pinholes);
      CHECK(back.gateways == c.gateways);
    }
  }
}

TEST_CASE("store: random bytes in every text field never make a record that was not given") {
  std::mt19937 rng(20261124);
  const auto noise = [&] {
    std::string s(rng() % 12, '\0');
    for (auto& ch : s) ch = static_cast<char>(rng() % 4 == 0 ? "\t\n\r#"[rng() % 4] : rng() % 256);
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    auto c = sample();
    auto& m = c.mappings[rng() % c.mappings.size()];
    auto& g = c.gateways[0];
    std::string* fields[] = {&m.gateway, &m.igd, &m.udn, &m.internal_ip, &m.external_ip, &m.nonce, &m.description,
                             &c.pinholes[0].igd, &c.pinholes[0].udn, &c.pinholes[0].internal_ip, &g.gateway,
                             &g.location, &g.udn, &g.service_type, &g.control_url, &g.common_interface_control_url};
    *fields[rng() % std::size(fields)] += noise();
    const auto out = format_store(c);
    const auto back = parse(out.text);
    CHECK(back.skipped == 0);
    CHECK(back.mappings.size() + back.pinholes.size() + back.gateways.size() + out.dropped == 7);
    for (const auto& r : back.mappings) CHECK(std::find(c.mappings.begin(), c.mappings.end(), r) != c.mappings.end());
    for (const auto& r : back.pinholes) CHECK(std::find(c.pinholes.begin(), c.pinholes.end(), r) != c.pinholes.end());
    for (const auto& r : back.gateways) CHECK(std::find(c.gateways.begin(), c.gateways.end(), r) != c.gateways.end());
  }
}

TEST_CASE("store: no more than max_store_records of each kind, nor max_store_file_bytes, are read or written") {
  store_contents many;
  many.pinholes.assign(max_store_records + 5, pinhole(7));
  const auto out = format_store(many);
  CHECK(out.dropped == 5);
  CHECK(parse(out.text).pinholes.size() == max_store_records);
  const auto body = out.text.substr(out.text.find("\npinhole\t") + 1);
  const auto doubled = parse(out.text + body);
  CHECK(doubled.pinholes.size() == max_store_records);
  CHECK(doubled.skipped == max_store_records);
  // Long (valid) URLs: the file cap binds before the record cap, and what is written still parses.
  store_contents big;
  big.mappings.assign(max_store_records, upnp_mapping(1));
  for (auto& m : big.mappings) m.igd = "http://10.0.0.1/" + std::string(max_store_url_bytes - 16, 'x');
  REQUIRE(is_valid(big.mappings[0]));
  const auto capped = format_store(big);
  CHECK(capped.text.size() <= max_store_file_bytes);
  CHECK(capped.dropped > 0);
  CHECK(parse(capped.text).mappings.size() + capped.dropped == max_store_records);
  CHECK(parse(std::string("# natpunch state 1\n") + std::string(max_store_line_bytes + 1, 'm')).skipped == 1);
}

TEST_CASE("store: one gateway record per gateway, the newest") {
  auto older = upnp_gateway("10.0.0.1");
  auto newer = older;
  newer.since = older.since + 10;
  newer.control_url = "http://10.0.0.1/ctl2";
  const auto a = format_store({{}, {}, {older, newer}});
  CHECK(a.dropped == 1);
  CHECK(parse(a.text).gateways == std::vector{newer});
  const auto b = format_store({{}, {}, {newer, older}});
  CHECK(parse(b.text).gateways == std::vector{newer});
  // Read from a file that has both: the newer wins, the other is counted.
  const auto body = [](const gateway_record& g) { auto t = format_store({{}, {}, {g}}).text; return t.substr(t.find("\ngateway\t") + 1); };
  const auto read = parse("# natpunch state 1\n" + body(newer) + body(older));
  CHECK(read.gateways == std::vector{newer});
  CHECK(read.skipped == 1);
  store_contents c;
  remember_gateway(c, older);
  remember_gateway(c, upnp_gateway("10.0.0.2"));
  auto pcp = older;
  pcp = {"10.0.0.1", protocol::pcp, "", "", "", "", 0, "", "", t0};
  remember_gateway(c, pcp);  // replaces, in place
  REQUIRE(c.gateways.size() == 2);
  CHECK(c.gateways[0] == pcp);
}

TEST_CASE("store: trimming drops the long expired, stale gateways, then the oldest past the cap") {
  const std::int64_t now = t0 + 100000;
  store_contents c;
  c.mappings = {pcp_mapping(1), pcp_mapping(2), upnp_mapping(3)};
  c.mappings[0].since = now - 86400 - 7201;  // ended over a day ago: dropped
  c.mappings[1].since = now - 86400 - 7199;  // ended within the day (a clock may be wrong): kept
  c.mappings[2].since = 0;                   // permanent: kept
  c.pinholes = {pinhole(1), pinhole(2)};
  c.pinholes[0].since = now - 86400 - 601;
  c.pinholes[1].since = now - 86400 - 599;
  c.gateways = {upnp_gateway("10.0.0.1"), upnp_gateway("10.0.0.2")};
  c.gateways[0].since = now - 30 * 86400 - 1;
  c.gateways[1].since = now - 30 * 86400;
  CHECK(trim_store(c, now) == 3);
  CHECK(c.mappings.size() == 2);
  CHECK(c.mappings[0].internal_port == 2);
  REQUIRE(c.pinholes.size() == 1);
  CHECK(c.pinholes[0].id == 2);
  REQUIRE(c.gateways.size() == 1);
  CHECK(c.gateways[0].gateway == "10.0.0.2");
  store_contents many;
  for (std::size_t i = 0; i < max_store_records + 3; ++i) {
    many.pinholes.push_back(pinhole(static_cast<std::uint16_t>(i)));
    many.pinholes.back().since = now - static_cast<std::int64_t>(i) - (i == 1 ? 2000 : 0);  // 1 among the oldest
  }
  CHECK(trim_store(many, now) == 3);
  REQUIRE(many.pinholes.size() == max_store_records);
  CHECK(many.pinholes[0].id == 0);  // order kept
  CHECK(many.pinholes[1].id == 2);
  for (const auto& p : many.pinholes) CHECK(p.id <= max_store_records);  // 1025 and 1026 went too
}

TEST_CASE("store: expiry and matching") {
  const auto m = pcp_mapping(8333);
  CHECK_FALSE(m.expired(m.since + 7199));
  CHECK(m.expired(m.since + 7200));
  CHECK_FALSE(upnp_mapping(22).expired(std::int64_t{1} << 50));  // lifetime 0: permanent
  CHECK(m.matches(core::ip_protocol::tcp, 8333));
  CHECK_FALSE(m.matches(core::ip_protocol::udp, 8333));
  CHECK_FALSE(m.matches(core::ip_protocol::tcp, 8334));
  CHECK(pinhole(1).expired(t0 + 600));
  CHECK(std::string(store_category().name()) == "state");
  CHECK(std::error_code(store_errc::locked).message().find("lock") != std::string::npos);
}
