// SSDP codec refusals: structure, start lines, header lines, control characters, required headers,
// duplicates, each limit at exactly its value and one over, every truncated prefix, error messages.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <system_error>

#include "wire.hpp"

using namespace ssdp_test;
using ssdp::errc;

TEST_CASE("ssdp: every truncated prefix of a valid message is refused cleanly") {
  std::string lf = alive_notify;
  for (std::size_t at; (at = lf.find("\r\n")) != std::string::npos;) lf.erase(at, 1);
  const std::string* const wires[] = {&igd_response,  &minimal_response, &alive_notify,
                                      &byebye_notify, &update_notify,    &lf};
  for (const std::string* wire : wires) {
    for (std::size_t n = 0; n < wire->size(); ++n) {
      CAPTURE(n);
      const std::string_view prefix(wire->data(), n);
      CHECK(response(prefix).error() == errc::truncated);
      CHECK(notify(prefix).error() == errc::truncated);
      CHECK(ssdp::parse_message(span(prefix)).error() == errc::truncated);
    }
  }
}

TEST_CASE("ssdp: nothing may follow the empty line") {
  for (const std::string& tail : {std::string("x"), std::string("\r\n"), std::string("\n"), std::string(1, '\0'),
                                  std::string("Content: 1\r\n\r\n")}) {
    CAPTURE(tail);
    CHECK(response(igd_response + tail).error() == errc::trailing_data);
  }
}

TEST_CASE("ssdp: malformed start lines") {
  for (const char* line : {"", " HTTP/1.1 200 OK", "HTTP/1.1  200 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK",
                           "HTTP/1.1 200OK", "HTTP/1.1 2x0 OK", "HTTP/2 200 OK", "HTTP/1.2 200 OK", "http/1.1 200 OK",
                           "HTTP/1.1", "NOTIFY * HTTP/1.1 ", "NOTIFY *  HTTP/1.1", "NOTIFY  * HTTP/1.1", "NOTIFY *",
                           "NOTIFY * HTTP/3", "NOT(FY * HTTP/1.1", "garbage"}) {
    CAPTURE(line);
    CHECK(response(replace(igd_response, "HTTP/1.1 200 OK", line)).error() == errc::bad_start_line);
    CHECK(notify(replace(alive_notify, "NOTIFY * HTTP/1.1", line)).error() == errc::bad_start_line);
  }
}

TEST_CASE("ssdp: the wrong kind of message") {
  const std::string search = ssdp::build_msearch(ssdp::igd1, std::chrono::seconds(1), ssdp::ipv4_multicast_host);
  CHECK(response(alive_notify).error() == errc::not_a_search_response);
  CHECK(response(search).error() == errc::not_a_search_response);
  CHECK(notify(igd_response).error() == errc::not_a_notify);
  CHECK(notify(search).error() == errc::not_a_notify);
  CHECK(notify(replace(alive_notify, "NOTIFY *", "NOTIFY /upnp/event")).error() == errc::not_a_notify);  // GENA's
  CHECK(notify(replace(alive_notify, "NOTIFY *", "notify *")).error() == errc::not_a_notify);  // methods have case
  CHECK(ssdp::parse_message(span(replace(alive_notify, "NOTIFY *", "notify *"))).error() == errc::unexpected_method);
}

TEST_CASE("ssdp: malformed header lines") {
  for (const char* line : {"LOCATION http://a/", ": x", "LOCATION : http://a/", "LOCATION\t: http://a/",
                           "LOC ATION: http://a/", "LOC@TION: x", "LOCATION(x): y", " LOCATION: http://a/",
                           "\tfolded continuation", "\xc3\xa9: x"}) {
    CAPTURE(line);
    CHECK(response(replace(igd_response, "EXT:", line)).error() == errc::bad_header_line);
  }
}

TEST_CASE("ssdp: control characters are refused anywhere") {
  const std::string nul(1, '\0');
  for (const std::string& bad : {nul, std::string("\r"), std::string("\x01"), std::string("\x1f"), std::string("\x7f"),
                                 std::string("\x0b"), std::string("\x0c")}) {
    CAPTURE(static_cast<int>(bad[0]));
    CHECK(response(replace(igd_response, "10.0.0.1:49152", "10.0.0.1" + bad + ":49152")).error() ==
          errc::control_character);
    CHECK(response(replace(igd_response, "TestRouter", "Test" + bad)).error() == errc::control_character);
    CHECK(response(replace(igd_response, "EXT:", "X-Vendor: a" + bad + "b")).error() == errc::control_character);
    CHECK(response(replace(igd_response, "200 OK", "200 O" + bad + "K")).error() == errc::control_character);
    CHECK(notify(replace(alive_notify, "ssdp:alive", "ssdp:" + bad + "alive")).error() == errc::control_character);
  }
}

TEST_CASE("ssdp: LOCATION, ST, NT and USN are printable ASCII without spaces") {
  CHECK(response(replace(igd_response, "/igd.xml", "/i gd.xml")).error() == errc::bad_value);
  CHECK(response(replace(igd_response, "/igd.xml", "/i\tgd.xml")).error() == errc::bad_value);
  CHECK(response(replace(igd_response, "/igd.xml", "/\xc3\xa9.xml")).error() == errc::bad_value);
  CHECK(response(replace(igd_response, "device:Internet", "device: Internet")).error() == errc::bad_value);
  CHECK(response(replace(igd_response, "uuid:0A1B", "uuid:0A1B\x80")).error() == errc::bad_value);
  CHECK(notify(replace(alive_notify, "service:WANIP", "service:WAN IP")).error() == errc::bad_value);
}

TEST_CASE("ssdp: required headers") {
  const auto without = [](const std::string& wire, std::string_view line_start) {
    std::string out = wire;
    const std::size_t at = out.find("\n" + std::string(line_start));
    REQUIRE(at != std::string::npos);
    out.erase(at + 1, out.find("\r\n", at + 1) + 2 - (at + 1));
    return out;
  };
  CHECK(response(without(igd_response, "LOCATION:")).error() == errc::missing_location);
  CHECK(response(without(igd_response, "ST:")).error() == errc::missing_st);
  CHECK(response(without(igd_response, "USN:")).error() == errc::missing_usn);
  CHECK(response(replace(igd_response, "http://10.0.0.1:49152/igd.xml", "")).error() == errc::missing_location);
  CHECK(notify(without(alive_notify, "NT:")).error() == errc::missing_nt);
  CHECK(notify(without(alive_notify, "NTS:")).error() == errc::missing_nts);
  CHECK(notify(replace(alive_notify, "NTS: ssdp:alive", "NTS:  ")).error() == errc::missing_nts);
  CHECK(notify(without(alive_notify, "USN:")).error() == errc::missing_usn);
  CHECK(notify(without(alive_notify, "LOCATION:")).error() == errc::missing_location);
  CHECK(notify(without(update_notify, "LOCATION:")).error() == errc::missing_location);
  CHECK(notify(without(update_notify, "NEXTBOOTID")).error() == errc::missing_next_boot_id);
  CHECK(notify(replace(alive_notify, "ssdp:alive", "ssdp:propchange")).error() == errc::bad_nts);
  SUBCASE("a byebye may still carry a LOCATION; it is checked then") {
    const std::string with = replace(byebye_notify, "NT:", "LOCATION: http://10.0.0.1/d.xml\r\nNT:");
    CHECK(notify(with)->location == "http://10.0.0.1/d.xml");
    CHECK(notify(replace(with, "/d.xml", "/d .xml")).error() == errc::bad_value);
  }
}

TEST_CASE("ssdp: a header read twice with different values is refused") {
  for (const char* line : {"LOCATION: http://10.6.6.6/evil.xml", "location: http://10.0.0.1:49152/igd.xml/",
                           "ST: ssdp:all", "USN: uuid:other", "SERVER: other", "CACHE-CONTROL: max-age=1",
                           "BOOTID.UPNP.ORG: 8", "CONFIGID.UPNP.ORG: 43"}) {
    CAPTURE(line);
    CHECK(response(replace(igd_response, "EXT:", line)).error() == errc::duplicate_header);
  }
  CHECK(response(replace(igd_response, "EXT:", "LOCATION: http://10.0.0.1:49152/igd.xml")).has_value());
  CHECK(response(replace(igd_response, "EXT:", "LOCATION:  http://10.0.0.1:49152/igd.xml\t")).has_value());
  CHECK(notify(replace(alive_notify, "HOST:", "NTS: ssdp:byebye\r\nHOST:")).error() == errc::duplicate_header);
  CHECK(notify(replace(alive_notify, "HOST:", "NT: upnp:rootdevice\r\nHOST:")).error() == errc::duplicate_header);
  CHECK(notify(replace(update_notify, "HOST:", "NEXTBOOTID.UPNP.ORG: 9\r\nHOST:")).error() == errc::duplicate_header);
}

namespace {

// A response of exactly `size` bytes (at least minimal_response's): X-Pad lines of 100 bytes, one shorter
// line, and a LOCATION made longer by a remainder too small for a header line.
std::string response_of_size(std::size_t size) {
  std::string head = minimal_response.substr(0, minimal_response.size() - 2);
  std::size_t room = size - head.size() - 2;
  std::string pad;
  for (; room >= 100; room -= 100) pad += "X-Pad: " + std::string(91, 'x') + "\r\n";
  if (room >= 10) {
    pad += "X-Pad: " + std::string(room - 9, 'x') + "\r\n";
    room = 0;
  }
  return replace(head, "d.xml", std::string(room, 'p') + "d.xml") + pad + "\r\n";
}

}  // namespace

TEST_CASE("ssdp: limits, at exactly the limit and one over") {
  const ssdp::limits lim;
  SUBCASE("message size") {
    REQUIRE(response_of_size(lim.max_message_size).size() == lim.max_message_size);
    CHECK(response(response_of_size(lim.max_message_size)).has_value());
    CHECK(response(response_of_size(lim.max_message_size + 1)).error() == errc::too_large);
    CHECK(response(response_of_size(100), ssdp::limits{.max_message_size = 100}).has_value());
    CHECK(response(response_of_size(101), ssdp::limits{.max_message_size = 100}).error() == errc::too_large);
  }
  SUBCASE("header count") {
    std::string wire = minimal_response;
    for (std::size_t i = 3; i < lim.max_headers; ++i) wire = replace(wire, "\r\n\r\n", "\r\nX-A: 1\r\n\r\n");
    CHECK(response(wire).has_value());
    CHECK(response(replace(wire, "\r\n\r\n", "\r\nX-A: 1\r\n\r\n")).error() == errc::too_many_headers);
  }
  SUBCASE("line length, start line or header, CR not counted") {
    const std::string at = "X-Long: " + std::string(lim.max_line_length - 8, 'x');
    CHECK(response(replace(minimal_response, "\r\n\r\n", "\r\n" + at + "\r\n\r\n")).has_value());
    CHECK(response(replace(minimal_response, "\r\n\r\n", "\r\n" + at + "\n\r\n")).has_value());
    CHECK(response(replace(minimal_response, "\r\n\r\n", "\r\n" + at + "x\r\n\r\n")).error() == errc::line_too_long);
    const std::string reason(lim.max_line_length - 13, 'k');
    CHECK(response(replace(minimal_response, "OK", reason)).has_value());
    CHECK(response(replace(minimal_response, "OK", reason + "k")).error() == errc::line_too_long);
    CHECK(response(std::string(lim.max_line_length + 1, 'x')).error() == errc::line_too_long);  // no line end
  }
  SUBCASE("each field") {
    const auto sized = [](std::string_view prefix, std::size_t n) {
      return std::string(prefix) + std::string(n - prefix.size(), 'a');
    };
    const std::string location = "http://10.0.0.1/d.xml";
    const std::string server = "Linux/5.4 UPnP/1.1 TestRouter/1.0";
    CHECK(response(replace(minimal_response, location, sized("http://", lim.max_location))).has_value());
    CHECK(response(replace(minimal_response, location, sized("http://", lim.max_location + 1))).error() ==
          errc::location_too_long);
    CHECK(response(replace(minimal_response, "ssdp:all", sized("urn:", lim.max_target))).has_value());
    CHECK(response(replace(minimal_response, "ssdp:all", sized("urn:", lim.max_target + 1))).error() ==
          errc::target_too_long);
    CHECK(notify(replace(alive_notify, "urn:schemas-upnp-org:service:WANIPConnection:2\r\nNTS",
                         sized("urn:", lim.max_target) + "\r\nNTS")).has_value());
    CHECK(notify(replace(alive_notify, "urn:schemas-upnp-org:service:WANIPConnection:2\r\nNTS",
                         sized("urn:", lim.max_target + 1) + "\r\nNTS")).error() == errc::target_too_long);
    CHECK(response(replace(minimal_response, "uuid:1", sized("uuid:", lim.max_usn))).has_value());
    CHECK(response(replace(minimal_response, "uuid:1", sized("uuid:", lim.max_usn + 1))).error() == errc::usn_too_long);
    CHECK(response(replace(igd_response, server, sized("L ", lim.max_server))).has_value());
    CHECK(response(replace(igd_response, server, sized("L ", lim.max_server + 1))).error() ==
          errc::server_too_long);
  }
  SUBCASE("tighter field limits apply to the same message") {
    CHECK(response(igd_response, ssdp::limits{.max_location = 29}).has_value());
    CHECK(response(igd_response, ssdp::limits{.max_location = 28}).error() == errc::location_too_long);
    CHECK(response(igd_response, ssdp::limits{.max_headers = 10}).has_value());
    CHECK(response(igd_response, ssdp::limits{.max_headers = 9}).error() == errc::too_many_headers);
  }
}

TEST_CASE("ssdp: every error code has a message in the ssdp category") {
  std::set<std::string> seen;
  int code = 1;
  for (; ssdp::describe(static_cast<errc>(code)) != nullptr; ++code) {
    CAPTURE(code);
    const std::error_code ec = ssdp::make_error_code(static_cast<errc>(code));
    CHECK(ec.message() == ssdp::describe(static_cast<errc>(code)));
    CHECK(seen.insert(ec.message()).second);  // each message tells its code apart
  }
  CHECK(code > static_cast<int>(errc::missing_next_boot_id));  // the codes are numbered without gaps
  CHECK(std::error_code(code, ssdp::error_category()).message() == "unknown error " + std::to_string(code));
  CHECK(ssdp::describe(static_cast<errc>(0)) == nullptr);
  CHECK(std::string(ssdp::error_category().name()) == "ssdp");
  CHECK(std::error_code(errc::duplicate_header).category() == ssdp::error_category());
}
