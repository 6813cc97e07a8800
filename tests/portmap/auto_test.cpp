// auto's choice among protocols, with fake mappers (fake_mapper.hpp): PCP first, NAT-PMP when the
// gateway says so, UPnP IGD when neither maps and an IGD answered; never two mappings.
#include <doctest/doctest.h>

#include <map>

#include "../support/loopback.hpp"
#include "fake_mapper.hpp"
#include "natpunch/pcp/error.hpp"
#include "natpunch/portmap/error.hpp"

using namespace natpunch;
using portmap::protocol;
using namespace std::chrono_literals;

namespace {

struct world {
  asio::io_context io;
  portmap::gateway gw;
  portmap::mapping_request request;
  std::map<protocol, test::fake_script> scripts;
  std::map<protocol, std::shared_ptr<test::fake_log>> logs{{protocol::pcp, std::make_shared<test::fake_log>()},
                                                           {protocol::natpmp, std::make_shared<test::fake_log>()},
                                                           {protocol::upnp, std::make_shared<test::fake_log>()}};
  std::vector<std::string> trace;

  world() {
    gw.address = asio::ip::make_address("192.168.1.1");
    gw.igd.gateway = asio::ip::make_address_v4("192.168.1.1");
    request.internal_port = 8333;
  }

  std::unique_ptr<portmap::mapper> make(portmap::auto_options o = {}) {
    o.pcp_grace = 50ms;
    o.head_start = 10ms;
    o.trace = [this](const std::string& line) { trace.push_back(line); };
    o.make = [this](protocol p, std::chrono::milliseconds) {
      return std::make_shared<test::fake_mapper>(p, scripts[p], logs[p], request);
    };
    return portmap::make_auto_mapper(io.get_executor(), gw, request, 2s, std::move(o));
  }
  core::result<portmap::mapping> map(portmap::mapper& m) { return test::run(io, m.async_map(8333, 600)); }
  unsigned maps(protocol p) { return logs[p]->maps; }
};

}  // namespace

TEST_CASE("auto: a PCP gateway answering within the head start is mapped over PCP, no IGD searched") {
  world w;
  auto m = w.make();
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::pcp);
  CHECK(w.logs[protocol::upnp]->prepares == 0);
  CHECK(w.maps(protocol::upnp) == 0);
}

TEST_CASE("auto: a slower PCP gateway is mapped over PCP only, while the IGD search runs beside it") {
  world w;
  w.scripts[protocol::pcp].delay = 40ms;  // past the head start, within the grace
  w.scripts[protocol::upnp].delay = 5ms;
  auto m = w.make();
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::pcp);
  CHECK(m->proto() == protocol::pcp);
  CHECK(w.maps(protocol::pcp) == 1);
  CHECK(w.maps(protocol::natpmp) == 0);
  CHECK(w.maps(protocol::upnp) == 0);     // never two mappings
  CHECK(w.logs[protocol::upnp]->prepares == 1);  // but it was searched for at the same time
  // Later operations go to the chosen one.
  REQUIRE(test::run(w.io, m->async_map(8333, 600)).has_value());
  CHECK(w.maps(protocol::pcp) == 2);
}

TEST_CASE("auto: a gateway answering PCP with NAT-PMP's 'unsupported version' is mapped over NAT-PMP") {
  world w;
  w.scripts[protocol::pcp].map_error = pcp::errc::natpmp_only;
  auto m = w.make();
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::natpmp);
  CHECK(w.maps(protocol::upnp) == 0);
}

TEST_CASE("auto: a UPnP-only gateway (5351 closed) is mapped over UPnP") {
  world w;
  w.scripts[protocol::pcp].map_error = core::transport_errc::connection_refused;
  w.scripts[protocol::upnp].delay = 10ms;
  auto m = w.make();
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::upnp);
  CHECK(w.maps(protocol::pcp) == 1);
  CHECK(w.maps(protocol::upnp) == 1);
  CHECK(std::any_of(w.trace.begin(), w.trace.end(), [](const auto& l) { return l.starts_with("PCP: "); }));
}

TEST_CASE("auto: PCP silent while an IGD answered: UPnP after the grace, the PCP request abandoned") {
  world w;
  w.scripts[protocol::pcp].silent = true;
  auto m = w.make();
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::upnp);
  CHECK(w.logs[protocol::pcp]->cancelled == 1);
  CHECK(w.maps(protocol::upnp) == 1);
  // The abandoned PCP request may have made a mapping its answer never told of: it is deleted.
  w.io.restart();
  w.io.run_for(100ms);
  CHECK(w.logs[protocol::pcp]->unmaps == 1);
  CHECK(w.logs[protocol::upnp]->unmaps == 0);
}

TEST_CASE("auto: PCP refuses outright (real routers: NOT_AUTHORIZED) and an IGD answered: UPnP maps") {
  world w;
  w.scripts[protocol::pcp].map_error = pcp::result_code::not_authorized;
  auto m = w.make();
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::upnp);
}

TEST_CASE("auto: nothing answers: one clear error; a refusal with no IGD keeps the gateway's own code") {
  world w;
  w.scripts[protocol::pcp].map_error = core::transport_errc::connection_refused;
  w.scripts[protocol::upnp].prepare_error = make_error_code(core::transport_errc::timed_out);
  SUBCASE("no answer anywhere") {
    auto m = w.make();
    CHECK(w.map(*m).error() == portmap::errc::no_protocol_answered);
  }
  SUBCASE("PCP said no") {
    w.scripts[protocol::pcp].map_error = pcp::result_code::not_authorized;
    auto m = w.make();
    CHECK(w.map(*m).error() == pcp::result_code::not_authorized);
  }
  CHECK(w.maps(protocol::upnp) == 0);
}

TEST_CASE("auto: options only PCP carries never fall over to UPnP") {
  world w;
  w.request.filters.push_back(pcp::filter_option{128, 443, {}});
  w.scripts[protocol::pcp].map_error = core::transport_errc::connection_refused;
  auto m = w.make();
  CHECK_FALSE(w.map(*m).has_value());
  CHECK(w.logs[protocol::upnp]->prepares == 0);
  CHECK(w.maps(protocol::upnp) == 0);
}

TEST_CASE("auto: the protocol that served this gateway last is asked alone first") {
  world w;
  portmap::auto_options o;
  o.preferred = protocol::upnp;
  auto m = w.make(o);
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::upnp);
  CHECK(w.maps(protocol::pcp) == 0);
  SUBCASE("and when it fails now, the full search runs in the same deadline") {
    world v;
    v.scripts[protocol::upnp].map_error = core::transport_errc::connection_refused;
    v.scripts[protocol::upnp].prepare_error = make_error_code(core::transport_errc::connection_refused);
    auto n = v.make(o);
    auto again = v.map(*n);
    REQUIRE(again.has_value());
    CHECK(again->proto == protocol::pcp);
  }
}

TEST_CASE("auto: a PCP-only option is never dropped by the protocol that served the gateway last") {
  world w;
  w.request.filters.push_back(pcp::filter_option{128, 443, {}});
  portmap::auto_options o;
  o.preferred = protocol::natpmp;  // e.g. an earlier --protocol natpmp add
  auto m = w.make(o);
  auto mapped = w.map(*m);
  REQUIRE(mapped.has_value());
  CHECK(mapped->proto == protocol::pcp);
  CHECK(w.maps(protocol::natpmp) == 0);
}

TEST_CASE("auto: an IPv6 gateway is never searched for an IGD (UPnP port mappings are IPv4)") {
  world w;
  w.gw.address = asio::ip::make_address("fd00::1");
  auto m = w.make();
  REQUIRE(w.map(*m).has_value());
  CHECK(w.logs[protocol::upnp]->prepares == 0);
}

TEST_CASE("auto: no PCP gateway to ask (only an IGD to search for): UPnP, once its search is done") {
  world w;
  w.gw.address.reset();
  w.scripts[protocol::upnp].delay = 10ms;
  SUBCASE("found: mapped over UPnP, after the search") {
    auto m = w.make();
    auto mapped = w.map(*m);
    REQUIRE(mapped.has_value());
    CHECK(mapped->proto == protocol::upnp);
    CHECK(w.logs[protocol::upnp]->prepares == 1);
    CHECK(w.maps(protocol::pcp) == 0);
  }
  SUBCASE("not found: the search's own error, nothing mapped") {
    w.scripts[protocol::upnp].prepare_error = make_error_code(core::transport_errc::connection_refused);
    auto m = w.make();
    CHECK(w.map(*m).error() == core::transport_errc::connection_refused);
    CHECK(w.maps(protocol::upnp) == 0);
  }
}
