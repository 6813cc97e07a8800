// The manager with the record (a temporary state directory) and fake mappers: a mapping is named by its
// port whatever protocol made it, a second add renews it, delete --all clears what a killed run left.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <random>

#include "../support/loopback.hpp"
#include "fake_mapper.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/portmap/manager.hpp"

using namespace natpunch;
using portmap::protocol;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("natpunch-manager-" + std::to_string(std::random_device{}()));
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct world {
  asio::io_context io;
  temp_dir dir;
  portmap::gateway gw;
  std::map<protocol, test::fake_script> scripts;
  std::map<protocol, std::shared_ptr<test::fake_log>> logs{{protocol::pcp, std::make_shared<test::fake_log>()},
                                                           {protocol::natpmp, std::make_shared<test::fake_log>()},
                                                           {protocol::upnp, std::make_shared<test::fake_log>()}};

  world() {
    gw.address = asio::ip::make_address("192.168.1.1");
    gw.igd.gateway = asio::ip::make_address_v4("192.168.1.1");
  }

  portmap::manager make(portmap::protocol_choice choice = portmap::protocol_choice::automatic) {
    portmap::manager_options o;
    o.choice = choice;
    o.deadline = 2s;
    o.store = portmap::state_store(dir.path);
    o.make = [this](protocol p, const portmap::mapping_request& r, std::optional<portmap::known_igd>) {
      return std::make_shared<test::fake_mapper>(p, scripts[p], logs[p], r);
    };
    o.on_store_error = [](const std::string& what, const std::error_code& ec) { FAIL(what << ": " << ec.message()); };
    return portmap::manager(io.get_executor(), gw, std::move(o));
  }
  portmap::store_contents stored() { return portmap::state_store(dir.path).load().value(); }
};

portmap::mapping_request port(std::uint16_t internal, std::optional<std::uint16_t> external = std::nullopt) {
  portmap::mapping_request r;
  r.internal_port = internal;
  r.external_port = external;
  return r;
}

}  // namespace

TEST_CASE("manager: an add is recorded, with the protocol that served the gateway") {
  world w;
  auto m = w.make();
  auto mapped = test::run(w.io, m.async_add(port(8333)));
  REQUIRE(mapped.has_value());
  const auto c = w.stored();
  REQUIRE(c.mappings.size() == 1);
  CHECK(c.mappings[0].proto == protocol::pcp);
  CHECK(c.mappings[0].internal_port == 8333);
  CHECK(c.mappings[0].nonce == "0102030405060708090a0b0c");
  REQUIRE(c.gateways.size() == 1);
  CHECK(c.gateways[0].gateway == "192.168.1.1");
  CHECK(c.gateways[0].proto == protocol::pcp);
}

TEST_CASE("manager: a second add renews the recorded mapping: same protocol, nonce and public port") {
  world w;
  w.scripts[protocol::pcp].granted_port = 40001;  // the gateway chose another port the first time
  {
    auto m = w.make();
    REQUIRE(test::run(w.io, m.async_add(port(8333))).has_value());
  }
  const auto first = w.stored().mappings.at(0);
  w.scripts[protocol::pcp].granted_port = 0;
  auto m = w.make();
  auto again = test::run(w.io, m.async_add(port(8333)));
  REQUIRE(again.has_value());
  CHECK(again->external_port == 40001);  // asked for the port it holds
  const auto& asked = *w.logs[protocol::pcp]->last_request;
  REQUIRE(asked.nonce.has_value());
  CHECK(portmap::to_hex(*asked.nonce) == first.nonce);
  CHECK(w.stored().mappings.size() == 1);  // renewed, not a second record
}

TEST_CASE("manager: delete by port finds the mapping whatever protocol made it, and forgets it") {
  world w;
  w.scripts[protocol::pcp].map_error = core::transport_errc::connection_refused;  // a UPnP-only gateway
  {
    auto m = w.make();
    auto mapped = test::run(w.io, m.async_add(port(2222)));
    REQUIRE(mapped.has_value());
    CHECK(mapped->proto == protocol::upnp);
  }
  auto m = w.make();
  auto removed = test::run(w.io, m.async_remove(port(2222)));
  REQUIRE(removed.has_value());
  REQUIRE(removed->size() == 1);
  CHECK((*removed)[0].proto == protocol::upnp);
  CHECK(w.logs[protocol::upnp]->unmaps == 1);
  CHECK(w.logs[protocol::pcp]->unmaps == 0);
  CHECK(w.stored().mappings.empty());
  SUBCASE("a second delete: nothing recorded") {
    CHECK(test::run(w.io, m.async_remove(port(2222))).error() == portmap::errc::not_recorded);
  }
}

TEST_CASE("manager: a PCP mapping is deleted with its recorded nonce; a failed delete keeps the record") {
  world w;
  {
    auto m = w.make();
    REQUIRE(test::run(w.io, m.async_add(port(8333))).has_value());
  }
  w.scripts[protocol::pcp].unmap_error = make_error_code(core::transport_errc::timed_out);
  auto m = w.make();
  CHECK(test::run(w.io, m.async_remove(port(8333))).error() == core::transport_errc::timed_out);
  CHECK(w.stored().mappings.size() == 1);
  REQUIRE(w.logs[protocol::pcp]->last_request->nonce.has_value());
  CHECK(portmap::to_hex(*w.logs[protocol::pcp]->last_request->nonce) == "0102030405060708090a0b0c");
}

TEST_CASE("manager: delete --all removes every mapping recorded on this gateway, and only those") {
  world w;
  {
    auto m = w.make();
    REQUIRE(test::run(w.io, m.async_add(port(8333))).has_value());
    REQUIRE(test::run(w.io, m.async_add(port(30303))).has_value());
  }
  // One made on another network's gateway stays.
  auto other_saved = portmap::state_store(w.dir.path).update([](portmap::store_contents& c) {
    auto other = c.mappings.at(0);
    other.gateway = "10.0.0.1";
    other.internal_port = 9000;
    c.mappings.push_back(other);
  });
  REQUIRE(other_saved.has_value());
  auto m = w.make();
  std::vector<std::pair<portmap::mapping_record, std::error_code>> failed;
  const auto done = test::run(w.io, m.async_remove_all(failed));
  CHECK(done.size() == 2);
  CHECK(failed.empty());
  const auto left = w.stored().mappings;
  REQUIRE(left.size() == 1);
  CHECK(left[0].gateway == "10.0.0.1");
  auto held = m.held();
  REQUIRE(held.has_value());
  REQUIRE(held->size() == 1);
  CHECK_FALSE((*held)[0].this_gateway);
}

TEST_CASE("manager: with a protocol named and nothing recorded, delete names the mapping that protocol's way") {
  world w;
  auto m = w.make(portmap::protocol_choice::natpmp);
  auto removed = test::run(w.io, m.async_remove(port(30303)));
  REQUIRE(removed.has_value());
  CHECK(w.logs[protocol::natpmp]->unmaps == 1);
  auto pcp = w.make(portmap::protocol_choice::pcp);
  CHECK(test::run(w.io, pcp.async_remove(port(30303))).error() == portmap::errc::not_recorded);
}

TEST_CASE("portmap: double NAT is told by the external address's scope") {
  using portmap::address_scope;
  const auto scope = [](const char* a) { return portmap::scope_of(asio::ip::make_address(a)); };
  CHECK(scope("11.0.0.5") == address_scope::public_address);
  CHECK(scope("192.168.1.7") == address_scope::private_address);
  CHECK(scope("10.1.2.3") == address_scope::private_address);
  CHECK(scope("172.16.0.1") == address_scope::private_address);
  CHECK(scope("172.32.0.1") == address_scope::public_address);
  CHECK(scope("100.64.0.1") == address_scope::shared_address);
  CHECK(scope("100.128.0.1") == address_scope::public_address);
  CHECK(scope("203.0.113.7") == address_scope::documentation);
  CHECK(scope("0.0.0.0") == address_scope::unspecified);
  CHECK(scope("127.0.0.1") == address_scope::loopback);
  CHECK(scope("169.254.1.1") == address_scope::link_local);
  CHECK(scope("240.0.0.1") == address_scope::other_reserved);
  CHECK(scope("2001:4860::1") == address_scope::public_address);
  CHECK(scope("fd00::1") == address_scope::private_address);
  CHECK(scope("::ffff:100.64.1.1") == address_scope::shared_address);
  const auto advice = portmap::double_nat_advice(asio::ip::make_address("100.64.0.9"));
  CHECK(advice.find("carrier-grade") != std::string::npos);
  CHECK(advice.find("upstream") != std::string::npos);
}
