// The control client against a scripted IGD on loopback: what real routers need (725, 718/729, 724),
// the trust rule, pinning control URLs, listing in batches.
#include <doctest/doctest.h>

#include <map>

#include "../support/fake_igd.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/soap/client.hpp"

using namespace natpunch;
using namespace std::chrono_literals;

namespace {

using test::fake_igd;
using test::fault;
using test::ok;

std::string arg(const soap::soap_call& c, std::string_view name) {
  for (const auto& a : c.args) {
    if (a.name == name) return a.value;
  }
  return "<absent>";
}

// GetSpecificPortMappingEntry's answer for what was added last.
std::pair<int, std::string> entry_for(const soap::soap_call& c, const std::map<std::string, std::string>& added) {
  return ok(c, {{"NewInternalPort", added.at("NewInternalPort")},
                {"NewInternalClient", added.at("NewInternalClient")},
                {"NewEnabled", "1"},
                {"NewPortMappingDescription", added.at("NewPortMappingDescription")},
                {"NewLeaseDuration", added.at("NewLeaseDuration")}});
}

std::map<std::string, std::string> args_of(const soap::soap_call& c) {
  std::map<std::string, std::string> m;
  for (const auto& a : c.args) m[a.name] = a.value;
  return m;
}

soap::port_mapping wanted(std::uint16_t external, std::uint16_t internal, std::uint32_t lease = 3600) {
  soap::port_mapping m;
  m.external_port = external;
  m.internal_port = internal;
  m.internal_client = "192.168.1.20";
  m.description = "test";
  m.lease_duration = lease;
  return m;
}

}  // namespace

TEST_CASE("soap client: the trust rule for a LOCATION") {
  const auto responder = asio::ip::make_address("192.168.1.1");
  const auto gateway = asio::ip::make_address("192.168.1.1");
  CHECK(soap::check_location("http://192.168.1.1:5000/rootDesc.xml", responder, gateway).has_value());
  // Another LAN host may serve its own description, never point elsewhere.
  CHECK(soap::check_location("http://192.168.1.7:80/d.xml", asio::ip::make_address("192.168.1.7"), gateway).has_value());
  for (const char* bad : {"https://192.168.1.1/d.xml", "http://router.lan:5000/d.xml", "http://10.0.0.9:5000/d.xml",
                          "http://127.0.0.1:5000/d.xml", "http://169.254.1.1/d.xml", "http://[fe80::1]/d.xml",
                          "http://239.255.255.250:1900/", "http://0.0.0.0:5000/"}) {
    CAPTURE(bad);
    CHECK_FALSE(soap::check_location(bad, responder, gateway).has_value());
  }
  CHECK(soap::check_location("http://10.0.0.9:5000/d.xml", asio::ip::make_address("10.0.0.9"), std::nullopt).has_value());
  CHECK(soap::check_location("ftp://192.168.1.1:21/d.xml", responder, gateway).error() == soap::errc::untrusted_location);
}

TEST_CASE("soap client: a control URL on another host or port is refused") {
  asio::io_context io;
  fake_igd igd(io, 2, [](const soap::soap_call& c) { return ok(c); }, "http://192.168.1.66:5000/ctl/IPConn");
  soap::client c(io.get_executor());
  CHECK(test::run(io, c.async_describe(igd.location())).error() == soap::errc::foreign_control_url);
}

TEST_CASE("soap client: add with the fallbacks real routers need") {
  asio::io_context io;
  std::map<std::string, std::string> last;
  SUBCASE("725 OnlyPermanentLeasesSupported: asked again with lease 0, remembered") {
    fake_igd igd(io, 1, [&](const soap::soap_call& c) {
      if (c.action == "AddPortMapping") {
        if (arg(c, "NewLeaseDuration") != "0") return fault(725, "OnlyPermanentLeasesSupported");
        last = args_of(c);
        return ok(c);
      }
      return entry_for(c, last);
    });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(8080, 8080), false));
    REQUIRE(added.has_value());
    CHECK(added->permanent_only);
    CHECK(added->mapping.lease_duration == 0);
    REQUIRE(igd.calls.size() == 3);
    CHECK(arg(igd.calls[1], "NewLeaseDuration") == "0");
    CHECK(igd.calls[2].action == "GetSpecificPortMappingEntry");
  }
  SUBCASE("718 on IGD:2: AddAnyPortMapping, and the port it reserved is reported") {
    fake_igd igd(io, 2, [&](const soap::soap_call& c) {
      if (c.action == "AddPortMapping") return fault(718, "ConflictInMappingEntry");
      if (c.action == "AddAnyPortMapping") {
        last = args_of(c);
        return ok(c, {{"NewReservedPort", "8081"}});
      }
      CHECK(arg(c, "NewExternalPort") == "8081");
      return entry_for(c, last);
    });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(8080, 8080), false));
    REQUIRE(added.has_value());
    CHECK(added->other_port);
    CHECK(added->mapping.external_port == 8081);
    // Only the reserved port may be undone: 8080 belongs to whoever holds it.
    using sent = std::vector<std::pair<std::uint16_t, core::ip_protocol>>;
    CHECK(client.sent_adds() == sent{{8081, core::ip_protocol::tcp}});
  }
  SUBCASE("added as asked at once: no read-back, the mapping as asked") {
    fake_igd igd(io, 2, [&](const soap::soap_call& c) { return ok(c); });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(8080, 8080), false));
    REQUIRE(added.has_value());
    CHECK(added->mapping == wanted(8080, 8080));
    CHECK(igd.calls.size() == 1);
  }
  SUBCASE("a failed read-back after a fallback's success: success, the mapping as asked") {
    fake_igd igd(io, 1, [&](const soap::soap_call& c) {
      if (c.action == "AddPortMapping") {
        return arg(c, "NewLeaseDuration") == "0" ? ok(c) : fault(725, "OnlyPermanentLeasesSupported");
      }
      return fault(501, "ActionFailed");
    });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(8080, 8080), false));
    REQUIRE(added.has_value());
    CHECK_FALSE(added->read_back);
    CHECK(added->mapping.external_port == 8080);
    CHECK(added->mapping.lease_duration == 0);
    CHECK(igd.calls.size() == 3);
  }
  SUBCASE("729 on IGD:1: the next ports up, a bounded number of times") {
    fake_igd igd(io, 1, [&](const soap::soap_call& c) {
      if (c.action == "AddPortMapping") {
        if (arg(c, "NewExternalPort") != "8083") return fault(729, "ConflictWithOtherMechanisms");
        last = args_of(c);
        return ok(c);
      }
      return entry_for(c, last);
    });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(8080, 8080), false));
    REQUIRE(added.has_value());
    CHECK(added->mapping.external_port == 8083);
    CHECK(igd.calls.size() == 5);  // 8080, 8081, 8082, 8083, then the read-back
  }
  SUBCASE("a conflict with the exact port required: the gateway's code, nothing else tried") {
    fake_igd igd(io, 2, [&](const soap::soap_call&) { return fault(718, "ConflictInMappingEntry"); });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(8080, 8080), true));
    CHECK(added.error() == soap::upnp_error::conflict_in_mapping_entry);
    REQUIRE(client.last_fault().has_value());
    CHECK(client.last_fault()->description == "ConflictInMappingEntry");
    CHECK(igd.calls.size() == 1);
  }
  SUBCASE("724 SamePortValuesRequired: external = internal") {
    fake_igd igd(io, 1, [&](const soap::soap_call& c) {
      if (c.action == "AddPortMapping") {
        if (arg(c, "NewExternalPort") != arg(c, "NewInternalPort")) return fault(724, "SamePortValuesRequired");
        last = args_of(c);
        return ok(c);
      }
      return entry_for(c, last);
    });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    auto added = test::run(io, client.async_add(*gw, wanted(2222, 22), false));
    REQUIRE(added.has_value());
    CHECK(added->mapping.external_port == 22);
  }
  SUBCASE("IGD:2 leases are capped at 604800 s; 0 (permanent) is sent as 604800") {
    fake_igd igd(io, 2, [&](const soap::soap_call& c) {
      if (c.action == "AddPortMapping") {
        last = args_of(c);
        return ok(c);
      }
      return entry_for(c, last);
    });
    soap::client client(io.get_executor());
    auto gw = test::run(io, client.async_describe(igd.location()));
    REQUIRE(gw.has_value());
    REQUIRE(test::run(io, client.async_add(*gw, wanted(8080, 8080, 0), false)).has_value());
    CHECK(arg(igd.calls[0], "NewLeaseDuration") == "604800");
    REQUIRE(test::run(io, client.async_add(*gw, wanted(8080, 8080, 10'000'000), false)).has_value());
    REQUIRE(igd.calls.size() == 2);  // added as asked: no read-back
    CHECK(arg(igd.calls[1], "NewLeaseDuration") == "604800");
  }
}

TEST_CASE("soap client: list on IGD:2 splits a full batch's range until every mapping is seen") {
  asio::io_context io;
  // 7 TCP mappings on ports 100..700, answered newest first, at most 3 per call.
  fake_igd igd(io, 2, [](const soap::soap_call& c) {
    const unsigned lo = std::stoul(arg(c, "NewStartPort"));
    const unsigned hi = std::stoul(arg(c, "NewEndPort"));
    const unsigned count = std::stoul(arg(c, "NewNumberOfPorts"));
    std::string list = R"(<p:PortMappingList xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection">)";
    unsigned n = 0;
    for (unsigned port = 700; port >= 100 && n < count; port -= 100) {
      if (arg(c, "NewProtocol") != "TCP" || port < lo || port > hi) continue;
      ++n;
      list += "<p:PortMappingEntry><p:NewRemoteHost></p:NewRemoteHost><p:NewExternalPort>" + std::to_string(port) +
              "</p:NewExternalPort><p:NewProtocol>TCP</p:NewProtocol><p:NewInternalPort>" + std::to_string(port) +
              "</p:NewInternalPort><p:NewInternalClient>192.168.1.20</p:NewInternalClient><p:NewEnabled>1</p:NewEnabled>"
              "<p:NewDescription>x</p:NewDescription><p:NewLeaseTime>60</p:NewLeaseTime></p:PortMappingEntry>";
    }
    list += "</p:PortMappingList>";
    return ok(c, {{"NewPortListing", list}});
  });
  soap::client_options o;
  o.list_batch = 3;
  soap::client client(io.get_executor(), o);
  auto gw = test::run(io, client.async_describe(igd.location()));
  REQUIRE(gw.has_value());
  auto all = test::run(io, client.async_list(*gw));
  REQUIRE(all.has_value());
  std::vector<unsigned> ports;
  for (const auto& m : *all) ports.push_back(m.external_port);
  std::sort(ports.begin(), ports.end());
  CHECK(ports == std::vector<unsigned>{100, 200, 300, 400, 500, 600, 700});
}

TEST_CASE("soap client: list on IGD:1 reads entries until 713") {
  asio::io_context io;
  fake_igd igd(io, 1, [](const soap::soap_call& c) {
    const unsigned index = std::stoul(arg(c, "NewPortMappingIndex"));
    if (index >= 3) return fault(713, "SpecifiedArrayIndexInvalid");
    const std::string port = std::to_string(5000 + index);
    return ok(c, {{"NewRemoteHost", ""}, {"NewExternalPort", port}, {"NewProtocol", "UDP"}, {"NewInternalPort", port},
                  {"NewInternalClient", "192.168.1.20"}, {"NewEnabled", "1"}, {"NewPortMappingDescription", "d"},
                  {"NewLeaseDuration", "0"}});
  });
  soap::client client(io.get_executor());
  auto gw = test::run(io, client.async_describe(igd.location()));
  REQUIRE(gw.has_value());
  auto all = test::run(io, client.async_list(*gw));
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 3);
  CHECK((*all)[2].external_port == 5002);
  CHECK(igd.calls.size() == 4);
}

TEST_CASE("soap client: the overall deadline stops a long series of calls") {
  asio::io_context io;
  fake_igd igd(io, 1, [](const soap::soap_call& c) {
    return ok(c, {{"NewRemoteHost", ""}, {"NewExternalPort", "5000"}, {"NewProtocol", "TCP"}, {"NewInternalPort", "5000"},
                  {"NewInternalClient", "192.168.1.20"}, {"NewEnabled", "1"}, {"NewPortMappingDescription", "d"},
                  {"NewLeaseDuration", "0"}});
  });
  soap::client client(io.get_executor());
  auto gw = test::run(io, client.async_describe(igd.location()));
  REQUIRE(gw.has_value());
  // A gateway that never says 713 would be read max_generic_entries times; the deadline ends it first.
  client.set_overall_deadline(std::chrono::steady_clock::now() + 300ms);
  auto all = test::run(io, client.async_list(*gw));
  CHECK(all.error() == core::transport_errc::timed_out);
  CHECK(igd.calls.size() < 4096);
}

TEST_CASE("soap client: an HTTP error without a fault is unexpected_status") {
  asio::io_context io;
  fake_igd igd(io, 2, [](const soap::soap_call&) { return std::pair<int, std::string>{404, "not here"}; });
  soap::client client(io.get_executor());
  auto gw = test::run(io, client.async_describe(igd.location()));
  REQUIRE(gw.has_value());
  CHECK(test::run(io, client.async_external_ip(*gw)).error() == soap::errc::unexpected_status);
}

TEST_CASE("soap client: an external address of 0.0.0.0, none or nonsense is an error; status can still see it") {
  const auto usable = [](const char* a) { return soap::usable_external_ip(asio::ip::make_address(a)); };
  for (const char* none : {"0.0.0.0", "::", "::ffff:0.0.0.0"}) {
    CAPTURE(none);
    CHECK(usable(none).error() == soap::errc::no_external_address);
  }
  for (const char* nonsense : {"127.0.0.1", "::1", "224.0.0.1", "ff02::1", "255.255.255.255", "::ffff:127.0.0.1"}) {
    CAPTURE(nonsense);
    CHECK(usable(nonsense).error() == soap::errc::bad_value);
  }
  for (const char* fine : {"203.0.113.7", "10.64.0.9", "100.64.1.1", "2001:db8::1"}) {
    CAPTURE(fine);
    CHECK(usable(fine).value() == asio::ip::make_address(fine));
  }
  // The words the CLI prints, in the category it maps to exit status 4 (a malformed or nonsensical answer).
  const std::error_code none = soap::errc::no_external_address;
  CHECK(none.category() == soap::error_category());
  CHECK(none.message() == "the gateway has no external address (0.0.0.0): its WAN link may be down");

  asio::io_context io;
  std::string sent;
  fake_igd igd(io, 1, [&](const soap::soap_call& c) { return ok(c, {{"NewExternalIPAddress", sent}}); });
  soap::client client(io.get_executor());
  auto gw = test::run(io, client.async_describe(igd.location()));
  REQUIRE(gw.has_value());
  struct expectation {
    std::string sent;
    std::error_code used;          // async_external_ip
    std::string reported;          // async_reported_external_ip, or the error's message
  };
  const std::error_code none_ec = soap::errc::no_external_address;
  const std::error_code bad = soap::errc::bad_value;
  for (const expectation& e : {expectation{"", none_ec, "0.0.0.0"}, expectation{"0.0.0.0", none_ec, "0.0.0.0"},
                               expectation{" :: ", none_ec, "::"}, expectation{"127.0.0.1", bad, "127.0.0.1"},
                               expectation{"n/a", bad, bad.message()}, expectation{"1.2.3", bad, bad.message()},
                               expectation{"198.51.100.4", {}, "198.51.100.4"}}) {
    CAPTURE(e.sent);
    sent = e.sent;
    const auto used = test::run(io, client.async_external_ip(*gw));
    if (e.used) {
      CHECK(used.error() == e.used);
    } else {
      CHECK(used.value().to_string() == e.sent);
    }
    const auto reported = test::run(io, client.async_reported_external_ip(*gw));
    CHECK((reported ? reported->to_string() : reported.error().message()) == e.reported);
  }
}
