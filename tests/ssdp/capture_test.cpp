// Every real miniupnpd SSDP datagram captured in the lab (tests/data/ssdp/<gateway>/, see its README):
// search answers "<target>.<unicast|multicast>.NN.ssdp", NOTIFYs "notify.<start|running|stop>.<v4|v6>.NN.ssdp",
// and the M-SEARCH each answer came for, "<target>.<mode>.request".
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "wire.hpp"

using namespace ssdp_test;
using ssdp::errc;

namespace {

namespace fs = std::filesystem;

struct capture {
  std::string name;    // relative to tests/data/ssdp, e.g. "miniupnpd_2.3.1/rootdevice.unicast.01.ssdp"
  std::string folder;  // the gateway and mode it came from
  std::string text;
};

// Every file under tests/data/ssdp whose name ends with `suffix` (and, when given, starts with `prefix`).
std::vector<capture> captures(std::string_view suffix, std::string_view prefix = {}) {
  const fs::path root = fs::path(NATPUNCH_TEST_DATA) / "ssdp";
  std::vector<capture> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || !file.ends_with(suffix) || !file.starts_with(prefix)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    out.push_back({fs::relative(entry.path(), root).string(), fs::relative(entry.path().parent_path(), root).string(),
                   std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>())});
  }
  std::sort(out.begin(), out.end(), [](const capture& a, const capture& b) { return a.name < b.name; });
  REQUIRE_MESSAGE(!out.empty(), "no SSDP captures ending in " << suffix << " under " << root.string());
  return out;
}

bool is_notify(const capture& c) { return fs::path(c.name).filename().string().starts_with("notify."); }

std::vector<capture> answers() {
  std::vector<capture> out = captures(".ssdp");
  std::erase_if(out, is_notify);
  return out;
}

// The search target a capture's file name stands for: "WANIPConnection_2" → its URN.
std::string target_of(const capture& c) {
  const std::string file = fs::path(c.name).filename().string();
  const std::string stem = file.substr(0, file.find('.'));
  if (stem == "rootdevice") return "upnp:rootdevice";
  if (stem == "all") return std::string(ssdp::ssdp_all);
  const std::size_t underscore = stem.rfind('_');
  const std::string type = stem.substr(0, underscore);
  const char* kind = type == "InternetGatewayDevice" ? "device" : "service";
  return "urn:schemas-upnp-org:" + std::string(kind) + ":" + type + ":" + stem.substr(underscore + 1);
}

// A USN names its service or device type after the device UUID, or is the bare UUID (UDA §1.1.4).
bool usn_matches(const std::string& usn, const std::string& type) {
  return usn == type || usn.ends_with("::" + type);
}

// The value of header `name` in a request we did not parse ourselves, or "" (exact name, as captured).
std::string header(const std::string& text, const std::string& name) {
  const std::size_t at = text.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  const std::size_t from = at + name.size() + 4;
  return text.substr(from, text.find("\r\n", from) - from);
}

}  // namespace

TEST_CASE("ssdp capture: every miniupnpd search answer parses, and formats back to the same value") {
  for (const capture& c : answers()) {
    CAPTURE(c.name);
    const auto r = response(c.text);
    REQUIRE(r.has_value());
    CHECK(std::get<ssdp::search_response>(*ssdp::parse_message(span(c.text))) == *r);
    CHECK(*response(ssdp::format_search_response(*r)) == *r);
    CHECK(r->location.starts_with("http://"));
    CHECK(r->server.find("MiniUPnPd/2.3.1") != std::string::npos);
    CHECK(usn_matches(r->usn, r->st));
    CHECK(!ssdp::device_uuid(r->usn).empty());
    CHECK(r->max_age.has_value());
    CHECK(r->boot_id.has_value());
    CHECK(r->config_id.has_value());
  }
}

TEST_CASE("ssdp capture: miniupnpd answers a search with the target searched") {
  std::map<std::string, std::set<std::string>> all_targets;  // folder → every ST answered to ssdp:all
  for (const capture& c : answers()) {
    CAPTURE(c.name);
    const auto r = response(c.text);
    REQUIRE(r.has_value());
    if (target_of(c) == ssdp::ssdp_all) {
      all_targets[c.folder].insert(r->st);
    } else {
      CHECK(r->st == target_of(c));
    }
  }
  for (const auto& entry : all_targets) {
    const std::string& folder = entry.first;
    const auto& targets = entry.second;
    CAPTURE(folder);
    CHECK(targets.count("upnp:rootdevice") == 1);
    CHECK(targets.count(std::string(ssdp::wan_ppp_connection1)) == 1);
    CHECK((targets.count(std::string(ssdp::igd1)) + targets.count(std::string(ssdp::igd2))) == 1);
    CHECK((targets.count(std::string(ssdp::wan_ip_connection1)) +
           targets.count(std::string(ssdp::wan_ip_connection2))) == 1);
  }
}

TEST_CASE("ssdp capture: every miniupnpd NOTIFY parses, and formats back to the same value") {
  for (const capture& c : captures(".ssdp", "notify.")) {
    CAPTURE(c.name);
    const auto n = notify(c.text);
    REQUIRE(n.has_value());
    CHECK(std::get<ssdp::notify>(*ssdp::parse_message(span(c.text))) == *n);
    CHECK(*notify(ssdp::format_notify(*n)) == *n);
    CHECK(usn_matches(n->usn, n->nt));
    CHECK(!ssdp::device_uuid(n->usn).empty());
    CHECK(n->boot_id.has_value());
    if (c.name.find("notify.stop.") != std::string::npos) {
      CHECK(n->nts == ssdp::notify_type::byebye);
      CHECK(n->location.empty());
    } else {
      CHECK(n->nts == ssdp::notify_type::alive);
      CHECK(n->location.starts_with("http://"));
      CHECK(n->max_age.has_value());
    }
  }
}

TEST_CASE("ssdp capture: what miniupnpd 2.3.1 announces (see tests/data/ssdp/README.md)") {
  std::map<std::string, std::set<std::uint32_t>> boot_ids;  // folder → BOOTID.UPNP.ORG values
  for (const capture& c : captures(".ssdp")) {
    CAPTURE(c.name);
    const auto m = ssdp::parse_message(span(c.text));
    REQUIRE(m.has_value());
    if (const auto* r = std::get_if<ssdp::search_response>(&*m)) {
      CHECK(r->max_age == std::chrono::seconds(120));
      CHECK(r->config_id == 1337u);
      CHECK((r->location == "http://192.168.86.1:5000/rootDesc.xml" ||
             r->location == "http://[fd00:86::1]:5000/rootDesc.xml"));
      boot_ids[c.folder].insert(r->boot_id.value_or(0));
    } else {
      const auto& n = std::get<ssdp::notify>(*m);
      if (n.nts == ssdp::notify_type::alive) CHECK(n.max_age == std::chrono::seconds(60));
      CHECK(n.config_id == 1337u);
      boot_ids[c.folder].insert(n.boot_id.value_or(0));
    }
  }
  for (const auto& entry : boot_ids) {
    const std::string& folder = entry.first;
    const auto& ids = entry.second;
    CAPTURE(folder);
    CHECK(ids.size() == 1);  // one miniupnpd start per folder
  }
}

TEST_CASE("ssdp capture: device_uuid groups a gateway's answers by device") {
  std::map<std::string, std::set<std::string>> devices;  // folder → device UUIDs
  for (const capture& c : captures(".ssdp")) {
    const auto m = ssdp::parse_message(span(c.text));
    REQUIRE(m.has_value());
    const std::string& usn = std::visit([](const auto& v) -> const std::string& { return v.usn; }, *m);
    devices[c.folder].insert(ssdp::device_uuid(usn));
  }
  for (const auto& entry : devices) {
    const std::string& folder = entry.first;
    const auto& uuids = entry.second;
    CAPTURE(folder);
    CHECK(uuids.size() == 3);  // InternetGatewayDevice, WANDevice, WANConnectionDevice
  }
}

TEST_CASE("ssdp capture: the searches miniupnpd answered are what build_msearch writes, less USER-AGENT") {
  for (const capture& c : captures(".request")) {
    CAPTURE(c.name);
    CHECK(ssdp::parse_message(span(c.text)).error() == errc::unexpected_method);
    const std::string host = header(c.text, "HOST");
    const std::string mx = header(c.text, "MX");
    CHECK(mx.empty() != ssdp::is_multicast_host(host));
    const std::chrono::seconds wait(mx.empty() ? 1 : std::stoi(mx));
    std::string ours = ssdp::build_msearch(header(c.text, "ST"), wait, host);
    ours = replace(ours, "USER-AGENT: " + std::string(ssdp::user_agent()) + "\r\n", "");
    CHECK(ours == c.text);
  }
}

TEST_CASE("ssdp capture: every truncated prefix of a real answer and NOTIFY is refused") {
  const capture picked[] = {answers().front(), captures(".ssdp", "notify.").front()};
  for (const capture& c : picked) {
    CAPTURE(c.name);
    for (std::size_t n = 0; n < c.text.size(); ++n) {
      CHECK(ssdp::parse_message(span(std::string_view(c.text).substr(0, n))).error() == errc::truncated);
    }
  }
}
