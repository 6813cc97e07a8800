#include <doctest/doctest.h>

#include "args.hpp"

using namespace natpunch::cli;
using natpunch::core::ip_protocol;

namespace {

invocation parse_ok(std::vector<std::string> args) {
  auto parsed = parse_args(args);
  if (const auto* err = std::get_if<usage_error>(&parsed)) FAIL_CHECK("unexpected usage error: " << err->message);
  REQUIRE(std::holds_alternative<invocation>(parsed));
  return std::get<invocation>(parsed);
}

std::string parse_error(std::vector<std::string> args) {
  auto parsed = parse_args(args);
  REQUIRE_MESSAGE(std::holds_alternative<usage_error>(parsed), "expected a usage error");
  return std::get<usage_error>(parsed).message;
}

}  // namespace

TEST_CASE("cli: port spec is INTERNAL[:EXTERNAL]/tcp|udp") {
  SUBCASE("internal only") {
    const auto spec = parse_port_spec("8333/tcp");
    REQUIRE(spec.has_value());
    CHECK(spec->internal_port == 8333);
    CHECK_FALSE(spec->external_port.has_value());
    CHECK(spec->protocol == ip_protocol::tcp);
  }
  SUBCASE("internal first, then external: local ssh on public port 2222") {
    const auto spec = parse_port_spec("22:2222/tcp");
    REQUIRE(spec.has_value());
    CHECK(spec->internal_port == 22);
    CHECK(spec->external_port == 2222);
  }
  SUBCASE("protocol in any case") { CHECK(parse_port_spec("53/UDP")->protocol == ip_protocol::udp); }
  SUBCASE("rejected") {
    for (const char* bad : {"", "8333", "8333/", "/tcp", "0/tcp", "65536/tcp", "8333/sctp", "8333:0/tcp",
                            "8333:/tcp", ":80/tcp", "-1/tcp", "+80/tcp", "80 /tcp", "80:90:100/tcp", "١٢/tcp"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_port_spec(bad).has_value());
    }
  }
}

TEST_CASE("cli: commands and their options") {
  SUBCASE("add with everything") {
    const auto inv = parse_ok({"--protocol", "natpmp", "--gateway=192.168.1.1", "--timeout", "3", "--json", "-vv",
                               "add", "8333/udp", "--lifetime", "60", "--description", "node", "--keep"});
    CHECK(inv.options.protocol == protocol_choice::natpmp);
    CHECK(inv.options.gateway == "192.168.1.1");
    CHECK(inv.options.timeout == std::chrono::seconds(3));
    CHECK(inv.options.json);
    CHECK(inv.options.verbosity == 2);
    CHECK(inv.cmd.kind == command_kind::add);
    CHECK(inv.cmd.ports.internal_port == 8333);
    CHECK(inv.cmd.lifetime == 60);
    CHECK(inv.cmd.description == "node");
    CHECK(inv.cmd.keep);
  }
  SUBCASE("defaults") {
    const auto inv = parse_ok({"add", "8333/tcp"});
    CHECK(inv.options.protocol == protocol_choice::automatic);
    CHECK(inv.options.timeout == std::chrono::seconds(10));
    CHECK(inv.cmd.lifetime == 7200);
    CHECK_FALSE(inv.cmd.keep);
  }
  SUBCASE("delete and external-ip") {
    CHECK(parse_ok({"delete", "22:2222/tcp"}).cmd.kind == command_kind::remove);
    CHECK(parse_ok({"external-ip"}).cmd.kind == command_kind::external_ip);
  }
}

TEST_CASE("cli: help is reachable every way") {
  CHECK(parse_ok({}).cmd.kind == command_kind::help);
  CHECK(parse_ok({"--help"}).cmd.help_topic.empty());
  CHECK(parse_ok({"add", "--help"}).cmd.help_topic == "add");
  CHECK(parse_ok({"help", "delete"}).cmd.help_topic == "delete");
  CHECK(parse_ok({"add", "-h", "not-a-spec"}).cmd.kind == command_kind::help);
  for (const char* topic : {"", "add", "delete", "external-ip"}) {
    CAPTURE(topic);
    CHECK(help_text(topic).find("usage: natpunch") != std::string::npos);
  }
  CHECK(help_text("add").find("22:2222/tcp") != std::string::npos);
}

TEST_CASE("cli: usage errors say what is wrong") {
  CHECK(parse_error({"frobnicate"}).find("unknown command 'frobnicate'") != std::string::npos);
  CHECK(parse_error({"add"}).find("exactly one") != std::string::npos);
  CHECK(parse_error({"add", "1/tcp", "2/tcp"}).find("exactly one") != std::string::npos);
  CHECK(parse_error({"add", "70000/tcp"}).find("'70000/tcp' is not") != std::string::npos);
  CHECK(parse_error({"--protocol", "smtp", "external-ip"}).find("unknown protocol 'smtp'") != std::string::npos);
  CHECK(parse_error({"--protocol"}).find("needs a value") != std::string::npos);
  CHECK(parse_error({"--timeout", "0", "external-ip"}).find("--timeout must be") != std::string::npos);
  CHECK(parse_error({"--timeout", "3601", "external-ip"}).find("--timeout must be") != std::string::npos);
  CHECK(parse_error({"add", "1/tcp", "--lifetime", "0"}).find("--lifetime must be") != std::string::npos);
  CHECK(parse_error({"add", "1/tcp", "--lifetime", "4294967296"}).find("--lifetime must be") != std::string::npos);
  CHECK(parse_error({"--bogus", "external-ip"}).find("unknown option '--bogus'") != std::string::npos);
  CHECK(parse_error({"external-ip", "extra"}).find("takes no argument") != std::string::npos);
  SUBCASE("flags take no value") {
    CHECK(parse_error({"--json=false", "external-ip"}) == "--json takes no value");
    CHECK(parse_error({"add", "1/tcp", "--keep=no"}) == "--keep takes no value");
  }
  SUBCASE("add-only options are refused elsewhere, not ignored") {
    CHECK(parse_error({"delete", "1/tcp", "--keep"}) == "--keep goes with add");
    CHECK(parse_error({"delete", "1/tcp", "--lifetime", "60"}) == "--lifetime goes with add, peer, pinhole add or pinhole update");
    CHECK(parse_error({"external-ip", "--description", "x"}) == "--description goes with add");
  }
  SUBCASE("the error names the command whose help to read") {
    auto parsed = parse_args({"add", "nope"});
    REQUIRE(std::holds_alternative<usage_error>(parsed));
    CHECK(std::get<usage_error>(parsed).topic == "add");
  }
}

TEST_CASE("cli: PCP options") {
  CHECK(parse_ok({"add", "80/tcp", "--prefer-failure"}).cmd.prefer_failure);
  CHECK(parse_ok({"delete", "80/tcp", "--nonce", "5f0c2a9be41d7730aa61c0de"}).cmd.nonce == "5f0c2a9be41d7730aa61c0de");
  CHECK(parse_error({"delete", "80/tcp", "--nonce", "xyz"}).find("--nonce must be 24 hex digits") != std::string::npos);
  CHECK(parse_ok({"add", "80/tcp", "--nonce", "5f0c2a9be41d7730aa61c0de"}).cmd.nonce == "5f0c2a9be41d7730aa61c0de");
  CHECK(parse_error({"external-ip", "--nonce", "5f0c2a9be41d7730aa61c0de"}) == "--nonce goes with add, peer or delete");
  CHECK(parse_error({"announce", "--nonce", "5f0c2a9be41d7730aa61c0de"}) == "--nonce goes with add, peer or delete");
  CHECK(parse_ok({"peer", "80/udp", "11.0.0.1:7000", "--nonce", "5f0c2a9be41d7730aa61c0de"}).cmd.nonce ==
        "5f0c2a9be41d7730aa61c0de");
  CHECK(parse_error({"delete", "80/tcp", "--prefer-failure"}) == "--prefer-failure goes with add or peer");
  CHECK(parse_error({"add", "80/tcp", "--prefer-failure=1"}) == "--prefer-failure takes no value");
}

TEST_CASE("cli: --filter ADDR[/LEN][:PORT]") {
  const auto f = parse_filter("203.0.113.0/24:443");
  REQUIRE(f.has_value());
  CHECK(f->address.to_string() == "203.0.113.0");
  CHECK(f->prefix_length == 24);
  CHECK(f->port == 443);
  CHECK(parse_filter("203.0.113.9")->prefix_length == 32);  // a host by default
  CHECK(parse_filter("203.0.113.9:0")->port == 0);          // any port
  const auto v6 = parse_filter("[2001:db8::]/32:443");
  REQUIRE(v6.has_value());
  CHECK(v6->prefix_length == 32);
  CHECK(parse_filter("[2001:db8::1]")->prefix_length == 128);
  for (const char* bad : {"", "/24", "203.0.113.0/33", "203.0.113.0/", "203.0.113.0:", "203.0.113.0:65536",
                          "[2001:db8::]/129", "2001:db8::1", "[2001:db8::1", "host.example/24", "1.2.3.4/24:80x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_filter(bad).has_value());
  }
}

TEST_CASE("cli: REMOTE_ADDR:PORT") {
  CHECK(parse_endpoint("11.0.0.1:7000")->second == 7000);
  CHECK(parse_endpoint("[2001:db8::7]:50000")->first.to_string() == "2001:db8::7");
  for (const char* bad : {"11.0.0.1", "11.0.0.1:0", "11.0.0.1:70000", "2001:db8::7:80", "[2001:db8::7]", "[::1]80", ":80"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_endpoint(bad).has_value());
  }
  const auto inv = parse_ok({"peer", "51413/udp", "203.0.113.9:6881"});
  CHECK(inv.cmd.kind == command_kind::peer);
  CHECK(inv.cmd.remote->second == 6881);
  CHECK(parse_error({"peer", "51413/udp"}).find("peer needs") != std::string::npos);
  CHECK(parse_error({"announce", "x"}) == "announce takes no argument");
}

TEST_CASE("cli: UPnP commands and --igd") {
  CHECK(parse_ok({"discover"}).cmd.kind == command_kind::discover);
  CHECK(parse_ok({"status"}).cmd.kind == command_kind::status);
  CHECK(parse_ok({"--json", "list"}).cmd.kind == command_kind::list);
  const auto igd = parse_ok({"--igd", "http://192.168.1.1:5000/rootDesc.xml", "list"});
  REQUIRE(igd.options.igd.has_value());
  CHECK(*igd.options.igd == "http://192.168.1.1:5000/rootDesc.xml");
  CHECK(parse_ok({"--igd=http://10.0.0.1/d.xml", "status"}).options.igd == "http://10.0.0.1/d.xml");
  const auto range = parse_ok({"delete-range", "8000-8099/udp"});
  CHECK(range.cmd.kind == command_kind::delete_range);
  CHECK(range.cmd.range == std::pair<std::uint16_t, std::uint16_t>{8000, 8099});
  CHECK(range.cmd.ports.protocol == ip_protocol::udp);
  CHECK(parse_ok({"delete-range", "22-22/tcp"}).cmd.range == std::pair<std::uint16_t, std::uint16_t>{22, 22});
  for (const char* bad : {"8099-8000/tcp", "0-10/tcp", "1-65536/tcp", "1-10", "1-10/sctp", "10/tcp", "a-b/tcp"}) {
    CAPTURE(bad);
    CHECK(parse_error({"delete-range", bad}).find("FIRST-LAST/tcp|udp") != std::string::npos);
  }
  CHECK(parse_error({"delete-range"}).find("FIRST-LAST/tcp|udp") != std::string::npos);
  CHECK(parse_error({"list", "extra"}).find("takes no argument") != std::string::npos);
  CHECK(parse_error({"--igd", "", "list"}).find("--igd needs") != std::string::npos);
  CHECK(parse_error({"--igd"}).find("--igd needs") != std::string::npos);
  for (const char* topic : {"discover", "status", "list", "delete-range"}) {
    CAPTURE(topic);
    CHECK(help_text(topic).find(std::string("usage: natpunch [OPTIONS] ") + topic) != std::string::npos);
  }
}

TEST_CASE("cli: pinhole actions") {
  const auto add = parse_ok({"pinhole", "add", "443/tcp"});
  CHECK(add.cmd.kind == command_kind::pinhole);
  CHECK(add.cmd.pinhole_action == "add");
  CHECK(add.cmd.ports.internal_port == 443);
  CHECK(add.cmd.lifetime == 3600);
  CHECK(parse_ok({"pinhole", "add", "53/udp", "--lifetime", "86400"}).cmd.lifetime == 86400);
  const auto update = parse_ok({"pinhole", "update", "7", "--lifetime", "600"});
  CHECK(update.cmd.pinhole_id == 7);
  CHECK(update.cmd.lifetime == 600);
  CHECK(parse_ok({"pinhole", "delete", "0"}).cmd.pinhole_id == 0);
  CHECK(parse_ok({"pinhole", "check", "65535"}).cmd.pinhole_id == 65535);
  CHECK(parse_ok({"pinhole", "status"}).cmd.pinhole_action == "status");
  CHECK(parse_error({"pinhole"}).find("needs an action") != std::string::npos);
  CHECK(parse_error({"pinhole", "open", "1"}).find("needs an action") != std::string::npos);
  CHECK(parse_error({"pinhole", "add"}).find("PORT/tcp|udp") != std::string::npos);
  CHECK(parse_error({"pinhole", "add", "1:2/tcp"}).find("PORT/tcp|udp") != std::string::npos);
  CHECK(parse_error({"pinhole", "add", "443/tcp", "--lifetime", "86401"}).find("1 to 86400") != std::string::npos);
  CHECK(parse_error({"pinhole", "update", "7"}).find("needs --lifetime") != std::string::npos);
  CHECK(parse_error({"pinhole", "delete", "65536"}).find("needs the pinhole's ID") != std::string::npos);
  CHECK(parse_error({"pinhole", "delete", "1", "--lifetime", "5"}).find("--lifetime goes with") != std::string::npos);
  CHECK(parse_error({"pinhole", "status", "x"}).find("takes no argument") != std::string::npos);
  CHECK(parse_ok({"pinhole", "list"}).cmd.pinhole_action == "list");
  CHECK(parse_error({"pinhole", "list", "1"}).find("pinhole list takes no argument") != std::string::npos);
  CHECK(help_text("pinhole").find("NATPUNCH_STATE_DIR") != std::string::npos);
  CHECK(help_text("pinhole").find("usage: natpunch [OPTIONS] pinhole add") != std::string::npos);
}
