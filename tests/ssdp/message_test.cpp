// SSDP codec: what each header decodes to, the tolerated variants, the encoders and the M-SEARCH builder.
// Refusals and limits are in strict_test.cpp, real miniupnpd captures in capture_test.cpp.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>

#include "wire.hpp"

using namespace ssdp_test;
using ssdp::errc;
using namespace std::chrono_literals;

TEST_CASE("ssdp: parse a search response") {
  const auto r = response(igd_response);
  REQUIRE(r.has_value());
  CHECK(r->location == "http://10.0.0.1:49152/igd.xml");
  CHECK(r->st == ssdp::igd1);
  CHECK(r->usn == "uuid:0A1B2C3D-0000-4000-8000-00000000CAFE::urn:schemas-upnp-org:device:InternetGatewayDevice:1");
  CHECK(r->server == "Linux/5.4 UPnP/1.1 TestRouter/1.0");
  CHECK(r->max_age == 1800s);
  CHECK(r->boot_id == 7u);
  CHECK(r->config_id == 42u);
  SUBCASE("optional headers may be absent") {
    const auto m = response(minimal_response);
    REQUIRE(m.has_value());
    CHECK(m->server.empty());
    CHECK(!m->max_age);
    CHECK(!m->boot_id);
    CHECK(!m->config_id);
  }
}

TEST_CASE("ssdp: parse NOTIFY alive, byebye and update") {
  SUBCASE("alive") {
    const auto n = notify(alive_notify);
    REQUIRE(n.has_value());
    CHECK(n->nt == ssdp::wan_ip_connection2);
    CHECK(n->nts == ssdp::notify_type::alive);
    CHECK(n->usn == "uuid:0a1b2c3d-0000-4000-8000-00000000cafe::urn:schemas-upnp-org:service:WANIPConnection:2");
    CHECK(n->location == "http://10.0.0.1:49152/igd.xml");
    CHECK(n->server == "Linux/5.4 UPnP/1.1 TestRouter/1.0");
    CHECK(n->max_age == 1800s);
    CHECK(n->boot_id == 7u);
    CHECK(n->config_id == 42u);
    CHECK(!n->next_boot_id);
  }
  SUBCASE("byebye carries no LOCATION") {
    const auto n = notify(byebye_notify);
    REQUIRE(n.has_value());
    CHECK(n->nts == ssdp::notify_type::byebye);
    CHECK(n->nt == "upnp:rootdevice");
    CHECK(n->location.empty());
    CHECK(!n->max_age);
  }
  SUBCASE("update carries NEXTBOOTID.UPNP.ORG") {
    const auto n = notify(update_notify);
    REQUIRE(n.has_value());
    CHECK(n->nts == ssdp::notify_type::update);
    CHECK(n->location == "http://[fd00::1]:49152/igd.xml");
    CHECK(n->boot_id == 7u);
    CHECK(n->next_boot_id == 8u);
  }
  SUBCASE("NTS is matched without case") {
    CHECK(notify(replace(alive_notify, "ssdp:alive", "SSDP:Alive"))->nts == ssdp::notify_type::alive);
  }
}

TEST_CASE("ssdp: parse_message tells a search response from a NOTIFY") {
  const auto r = ssdp::parse_message(span(igd_response));
  REQUIRE(r.has_value());
  CHECK(std::get<ssdp::search_response>(*r) == *response(igd_response));
  const auto n = ssdp::parse_message(span(alive_notify));
  REQUIRE(n.has_value());
  CHECK(std::get<ssdp::notify>(*n) == *notify(alive_notify));
  SUBCASE("another control point's M-SEARCH is unexpected_method") {
    const std::string search = ssdp::build_msearch(ssdp::igd1, 2s, ssdp::ipv4_multicast_host);
    CHECK(ssdp::parse_message(span(search)).error() == errc::unexpected_method);
  }
  SUBCASE("each parser's refusals come through") {
    CHECK(ssdp::parse_message(span(replace(igd_response, "200 OK", "404 Not Found"))).error() ==
          errc::unexpected_status);
    CHECK(ssdp::parse_message(span(replace(alive_notify, "NOTIFY *", "NOTIFY /event"))).error() ==
          errc::not_a_notify);
    CHECK(ssdp::parse_message(span(replace(alive_notify, "NTS: ssdp:alive", "NTS: ssdp:gone"))).error() ==
          errc::bad_nts);
  }
}

TEST_CASE("ssdp: header names match without case") {
  for (const char* name : {"location", "Location", "LoCaTiOn"}) {
    CAPTURE(name);
    const auto r = response(replace(igd_response, "LOCATION", name));
    REQUIRE(r.has_value());
    CHECK(r->location == "http://10.0.0.1:49152/igd.xml");
  }
  const auto r = response(
      "HTTP/1.1 200 OK\r\ncache-control: max-age=60\r\nlocation: http://a/\r\nserver: s\r\nst: ssdp:all\r\n"
      "usn: uuid:1\r\nbootid.upnp.org: 3\r\nConfigId.UPnP.org: 4\r\n\r\n");
  REQUIRE(r.has_value());
  CHECK(*r == ssdp::search_response{"http://a/", "ssdp:all", "uuid:1", "s", 60s, 3u, 4u});
  const auto n = notify("NOTIFY * HTTP/1.1\r\nnt: upnp:rootdevice\r\nnts: ssdp:update\r\nusn: uuid:1\r\n"
                        "location: http://a/\r\nNextBootId.Upnp.Org: 9\r\n\r\n");
  REQUIRE(n.has_value());
  CHECK(n->next_boot_id == 9u);
}

TEST_CASE("ssdp: whitespace around values, bare LF, unknown headers") {
  SUBCASE("no space, or spaces and tabs, around the value") {
    for (const char* line : {"LOCATION:http://a/", "LOCATION: \t http://a/ \t", "LOCATION:\thttp://a/"}) {
      CAPTURE(line);
      const auto r = response(replace(minimal_response, "LOCATION: http://10.0.0.1/d.xml", line));
      REQUIRE(r.has_value());
      CHECK(r->location == "http://a/");
    }
  }
  SUBCASE("SERVER keeps its inner spaces and tabs, and non-ASCII bytes (RFC 7230 obs-text)") {
    const auto r = response(replace(igd_response, "Linux/5.4 UPnP", "Linux/5.4 \t  UPnP\xc3\xa9"));
    REQUIRE(r.has_value());
    CHECK(r->server == "Linux/5.4 \t  UPnP\xc3\xa9/1.1 TestRouter/1.0");
  }
  SUBCASE("lines ending in a bare LF, alone or mixed with CRLF") {
    std::string lf = igd_response;
    for (std::size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
    CHECK(*response(lf) == *response(igd_response));
    CHECK(*response(replace(igd_response, "EXT:\r\n", "EXT:\n")) == *response(igd_response));
  }
  SUBCASE("the same header twice with the same value") {
    const std::string twice = "EXT:\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n";
    CHECK(*response(replace(igd_response, "EXT:\r\n", twice)) == *response(igd_response));
  }
  SUBCASE("unknown headers, repeated or empty, are skipped") {
    CHECK(*response(replace(igd_response, "EXT:\r\n", "EXT:\r\nX-A: 1\r\nX-A: 2\r\nX-B:\r\n01-NLS: x\r\n")) ==
          *response(igd_response));
  }
  SUBCASE("an empty optional header counts as absent") {
    const auto r =
        response(replace(replace(igd_response, "max-age=1800", ""), "BOOTID.UPNP.ORG: 7", "BOOTID.UPNP.ORG:"));
    REQUIRE(r.has_value());
    CHECK(!r->max_age);
    CHECK(!r->boot_id);
  }
}

TEST_CASE("ssdp: status line variants") {
  for (const char* line : {"HTTP/1.1 200 OK", "HTTP/1.1 200 Everything is fine", "HTTP/1.0 200 OK", "HTTP/1.1 200",
                           "HTTP/1.1 200 ", "HTTP/1.1 200 ok\t!"}) {
    CAPTURE(line);
    CHECK(response(replace(igd_response, "HTTP/1.1 200 OK", line)).has_value());
  }
  for (const char* line : {"HTTP/1.1 404 Not Found", "HTTP/1.1 500 Internal Server Error", "HTTP/1.1 201 OK"}) {
    CAPTURE(line);
    CHECK(response(replace(igd_response, "HTTP/1.1 200 OK", line)).error() == errc::unexpected_status);
  }
}

TEST_CASE("ssdp: CACHE-CONTROL max-age") {
  const auto max_age = [](std::string_view value) {
    return response(replace(igd_response, "CACHE-CONTROL: max-age=1800", "Cache-Control: " + std::string(value)));
  };
  CHECK(max_age("max-age=0")->max_age == 0s);
  CHECK(max_age("max-age=2147483647")->max_age == 2147483647s);
  CHECK(max_age("MAX-AGE=60")->max_age == 60s);
  CHECK(max_age("max-age = 60")->max_age == 60s);
  CHECK(max_age("max-age=\"60\"")->max_age == 60s);
  CHECK(max_age("max-age=0060")->max_age == 60s);
  CHECK(max_age("no-cache=\"Ext\", max-age=60, private")->max_age == 60s);
  CHECK(max_age("public,,max-age=60 ,")->max_age == 60s);
  CHECK(max_age("max-age=60, max-age=60")->max_age == 60s);
  CHECK(max_age("private=\"max-age=5,x\", max-age=60")->max_age == 60s);  // a quoted comma does not split
  for (const char* bad : {"no-cache", "max-age", "max-age=", "max-age=-1", "max-age=1a", "max-age=2147483648",
                          "max-age=99999999999999999999", "max-age=60, max-age=61", "max-age=\"60", "max-age=6 0",
                          "maxage=60", "private=\"max-age=60\""}) {
    CAPTURE(bad);
    CHECK(max_age(bad).error() == errc::bad_max_age);
  }
}

TEST_CASE("ssdp: BOOTID, CONFIGID and NEXTBOOTID") {
  const auto boot = [](std::string_view value) {
    return response(replace(igd_response, "BOOTID.UPNP.ORG: 7", "BOOTID.UPNP.ORG: " + std::string(value)));
  };
  const auto config = [](std::string_view value) {
    return response(replace(igd_response, "CONFIGID.UPNP.ORG: 42", "CONFIGID.UPNP.ORG: " + std::string(value)));
  };
  CHECK(boot("0")->boot_id == 0u);
  CHECK(boot("0000000000012")->boot_id == 12u);  // UDA: leading zeros are ignored
  CHECK(boot("2147483647")->boot_id == 2147483647u);
  CHECK(config("2147483647")->config_id == 2147483647u);
  for (const char* bad : {"2147483648", "4294967296", "-1", "+1", "1a", "0x10", "1 2", "1.0"}) {
    CAPTURE(bad);
    CHECK(boot(bad).error() == errc::bad_boot_id);
    CHECK(config(bad).error() == errc::bad_config_id);
    CHECK(notify(replace(update_notify, "NEXTBOOTID.UPNP.ORG: 8", "NEXTBOOTID.UPNP.ORG: " + std::string(bad)))
              .error() == errc::bad_boot_id);
  }
}

TEST_CASE("ssdp: format_search_response writes every field, and parses back") {
  const ssdp::search_response r{"http://10.0.0.1:5000/rootDesc.xml", std::string(ssdp::igd2), "uuid:a::upnp:rootdevice",
                                "Linux UPnP/1.1 gwsim/1", 120s, 1u, 1337u};
  const std::string wire = ssdp::format_search_response(r);
  CHECK(wire ==
        "HTTP/1.1 200 OK\r\n"
        "CACHE-CONTROL: max-age=120\r\n"
        "EXT:\r\n"
        "LOCATION: http://10.0.0.1:5000/rootDesc.xml\r\n"
        "SERVER: Linux UPnP/1.1 gwsim/1\r\n"
        "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n"
        "USN: uuid:a::upnp:rootdevice\r\n"
        "BOOTID.UPNP.ORG: 1\r\n"
        "CONFIGID.UPNP.ORG: 1337\r\n"
        "\r\n");
  CHECK(*response(wire) == r);
  CHECK(*response(ssdp::format_search_response(*response(igd_response))) == *response(igd_response));
  SUBCASE("empty strings and absent optionals are left out (the simulator plays a broken router so)") {
    CHECK(ssdp::format_search_response({}) == "HTTP/1.1 200 OK\r\nEXT:\r\n\r\n");
    CHECK(response(ssdp::format_search_response({})).error() == errc::missing_location);
  }
}

TEST_CASE("ssdp: format_notify writes every field, and parses back") {
  ssdp::notify n{"upnp:rootdevice", ssdp::notify_type::update, "uuid:a::upnp:rootdevice", "http://10.0.0.1/d.xml",
                 "s/1", 60s, 1u, 2u, 3u};
  CHECK(ssdp::format_notify(n, ssdp::ipv6_link_local_host) ==
        "NOTIFY * HTTP/1.1\r\n"
        "HOST: [ff02::c]:1900\r\n"
        "CACHE-CONTROL: max-age=60\r\n"
        "LOCATION: http://10.0.0.1/d.xml\r\n"
        "NT: upnp:rootdevice\r\n"
        "NTS: ssdp:update\r\n"
        "SERVER: s/1\r\n"
        "USN: uuid:a::upnp:rootdevice\r\n"
        "BOOTID.UPNP.ORG: 1\r\n"
        "CONFIGID.UPNP.ORG: 2\r\n"
        "NEXTBOOTID.UPNP.ORG: 3\r\n"
        "\r\n");
  CHECK(*notify(ssdp::format_notify(n)) == n);
  for (const std::string* wire : {&alive_notify, &byebye_notify, &update_notify}) {
    CHECK(*notify(ssdp::format_notify(*notify(*wire))) == *notify(*wire));
  }
  CHECK(ssdp::format_notify({}).starts_with("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNTS: ssdp:alive\r\n"));
}

TEST_CASE("ssdp: build_msearch, byte for byte") {
  const std::string ua = "USER-AGENT: " + std::string(ssdp::user_agent()) + "\r\n";
  CHECK(ssdp::build_msearch(ssdp::igd1, 2s, ssdp::ipv4_multicast_host) ==
        "M-SEARCH * HTTP/1.1\r\n"
        "HOST: 239.255.255.250:1900\r\n"
        "MAN: \"ssdp:discover\"\r\n"
        "MX: 2\r\n"
        "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n" +
            ua + "\r\n");
  CHECK(ssdp::build_msearch(ssdp::ssdp_all, 1s, ssdp::ipv6_site_local_host) ==
        "M-SEARCH * HTTP/1.1\r\nHOST: [ff05::c]:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n" + ua +
            "\r\n");
  SUBCASE("a unicast search has no MX (UDA 1.1 §1.3.2)") {
    CHECK(ssdp::build_msearch(ssdp::wan_ip_connection2, 2s, "192.168.1.1:1900") ==
          "M-SEARCH * HTTP/1.1\r\nHOST: 192.168.1.1:1900\r\nMAN: \"ssdp:discover\"\r\n"
          "ST: urn:schemas-upnp-org:service:WANIPConnection:2\r\n" + ua + "\r\n");
  }
  SUBCASE("MX is clamped to 1..5") {
    CHECK(ssdp::build_msearch("ssdp:all", 0s, ssdp::ipv4_multicast_host).find("\r\nMX: 1\r\n") != std::string::npos);
    CHECK(ssdp::build_msearch("ssdp:all", -3s, ssdp::ipv4_multicast_host).find("\r\nMX: 1\r\n") != std::string::npos);
    CHECK(ssdp::build_msearch("ssdp:all", 120s, ssdp::ipv4_multicast_host).find("\r\nMX: 5\r\n") != std::string::npos);
  }
  SUBCASE("the USER-AGENT names natpunch in UDA product-token form") {
    CHECK(ssdp::user_agent().find(" UPnP/1.1 natpunch/") != std::string_view::npos);
  }
  SUBCASE("a header injection is a programming error") {
    CHECK_THROWS_AS((void)ssdp::build_msearch("ssdp:all\r\nX: y", 1s, ssdp::ipv4_multicast_host),
                    std::invalid_argument);
    CHECK_THROWS_AS((void)ssdp::build_msearch("ssdp:all", 1s, "1.2.3.4:1900\n"), std::invalid_argument);
    CHECK_THROWS_AS((void)ssdp::build_msearch("", 1s, ssdp::ipv4_multicast_host), std::invalid_argument);
  }
}

TEST_CASE("ssdp: multicast hosts") {
  for (const char* host : {"239.255.255.250:1900", "[ff02::c]:1900", "[FF05::C]:1900", "[ff0e::c]:1900",
                           "239.255.255.250:5000"}) {
    CAPTURE(host);
    CHECK(ssdp::is_multicast_host(host));
  }
  for (const char* host : {"192.168.1.1:1900", "239.255.255.250", "239.255.255.250:", "239.255.255.250:x",
                           "[ff02::c]", "[ff02::d]:1900", "[fe80::1]:1900", "[ff02::c]:1234567", "[ff0g::c]:1900",
                           ""}) {
    CAPTURE(host);
    CHECK(!ssdp::is_multicast_host(host));
  }
}

TEST_CASE("ssdp: device UUID from a USN") {
  CHECK(ssdp::device_uuid("uuid:0A1B-CAFE::urn:schemas-upnp-org:device:InternetGatewayDevice:1") == "0a1b-cafe");
  CHECK(ssdp::device_uuid("uuid:0a1b-cafe") == "0a1b-cafe");
  CHECK(ssdp::device_uuid("UUID:AB::upnp:rootdevice") == "ab");
  CHECK(ssdp::device_uuid("uuid:") == "");
  CHECK(ssdp::device_uuid("uuid:::x") == "");
  CHECK(ssdp::device_uuid("urn:x::uuid:1") == "");
  CHECK(ssdp::device_uuid("") == "");
}

TEST_CASE("ssdp: search targets, in discovery order") {
  CHECK(ssdp::search_targets ==
        std::array<std::string_view, 7>{"urn:schemas-upnp-org:device:InternetGatewayDevice:1",
                                        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
                                        "urn:schemas-upnp-org:service:WANIPConnection:1",
                                        "urn:schemas-upnp-org:service:WANIPConnection:2",
                                        "urn:schemas-upnp-org:service:WANPPPConnection:1",
                                        "urn:dslforum-org:device:InternetGatewayDevice:1", "ssdp:all"});
  CHECK(ssdp::to_string(ssdp::notify_type::alive) == "ssdp:alive");
  CHECK(ssdp::to_string(ssdp::notify_type::byebye) == "ssdp:byebye");
  CHECK(ssdp::to_string(ssdp::notify_type::update) == "ssdp:update");
}
