#include <doctest/doctest.h>

#include "../support/loopback.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/soap/http_client.hpp"

using namespace natpunch;
using namespace std::chrono_literals;

namespace {

std::string ok_response(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

soap::http_request get(const std::string& target) {
  soap::http_request r;
  r.target = target;
  r.host = "127.0.0.1";
  return r;
}

}  // namespace

TEST_CASE("http client: a kept-alive connection carries the next request") {
  asio::io_context io;
  test::tcp_peer gw(io, [](const std::string&, unsigned i) { return test::reply(ok_response("body" + std::to_string(i))); });
  soap::http_client client(io.get_executor());
  auto first = test::run(io, client.async_request(gw.endpoint(), get("/a")));
  REQUIRE(first.has_value());
  CHECK(first->status == 200);
  CHECK(first->body == "body0");
  CHECK(first->keep_alive);
  auto second = test::run(io, client.async_request(gw.endpoint(), get("/b")));
  REQUIRE(second.has_value());
  CHECK(second->body == "body1");
  CHECK(client.connections_opened() == 1);
  CHECK(gw.connections() == 1);
  REQUIRE(gw.requests().size() == 2);
  CHECK(gw.requests()[1].starts_with("GET /b HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
}

TEST_CASE("http client: Connection: close means a new connection next time") {
  asio::io_context io;
  test::tcp_peer gw(io, [](const std::string&, unsigned) {
    return test::reply(ok_response("x", "Connection: close\r\n"), true);
  });
  soap::http_client client(io.get_executor());
  for (int i = 0; i < 3; ++i) {
    auto r = test::run(io, client.async_request(gw.endpoint(), get("/")));
    REQUIRE(r.has_value());
    CHECK_FALSE(r->keep_alive);
  }
  CHECK(client.connections_opened() == 3);
  CHECK(gw.connections() == 3);
}

TEST_CASE("http client: a kept connection the gateway closed while idle is replaced, the request sent once more") {
  asio::io_context io;
  // Says nothing of closing, then closes: the next request finds the connection dead.
  test::tcp_peer gw(io, [](const std::string&, unsigned i) { return test::reply(ok_response(std::to_string(i)), true); });
  soap::http_client client(io.get_executor());
  REQUIRE(test::run(io, client.async_request(gw.endpoint(), get("/"))).has_value());
  auto again = test::run(io, client.async_request(gw.endpoint(), get("/")));
  REQUIRE(again.has_value());
  CHECK(again->body == "1");
  CHECK(client.connections_opened() == 2);
  CHECK(gw.requests().size() == 2);  // the dead connection never delivered the first try
}

TEST_CASE("http client: a response arriving in pieces, chunked or read to close, is whole") {
  asio::io_context io;
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n";
  const std::string to_close = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end";
  test::tcp_peer gw(io, [&](const std::string& req, unsigned) {
    if (req.starts_with("GET /chunked")) return test::reply(chunked, false, {1, 17, 30, 45, 50}, 20ms);
    return test::reply(to_close, true, {5, 40}, 20ms);
  });
  soap::http_client client(io.get_executor());
  auto a = test::run(io, client.async_request(gw.endpoint(), get("/chunked")));
  REQUIRE(a.has_value());
  CHECK(a->body == "abcdefg");
  CHECK(a->keep_alive);
  auto b = test::run(io, client.async_request(gw.endpoint(), get("/close")));
  REQUIRE(b.has_value());
  CHECK(b->body == "until the end");
  CHECK_FALSE(b->keep_alive);
}

TEST_CASE("http client: one deadline for the whole exchange, however slowly the gateway drips") {
  asio::io_context io;
  const std::string response = ok_response("0123456789");
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < response.size(); ++i) cuts.push_back(i);
  test::tcp_peer gw(io, [&](const std::string&, unsigned) { return test::reply(response, false, cuts, 20ms); });
  soap::http_client client(io.get_executor(), {300ms, {}});
  const auto start = std::chrono::steady_clock::now();
  auto r = test::run(io, client.async_request(gw.endpoint(), get("/")));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.error() == core::transport_errc::timed_out);
  CHECK(took >= 300ms);
  CHECK(took < 1s);  // a byte every 20 ms would take about 1.5 s
}

TEST_CASE("http client: errors") {
  asio::io_context io;
  SUBCASE("nobody listening: connection refused") {
    asio::ip::tcp::acceptor probe(io, asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
    const auto closed = probe.local_endpoint();
    probe.close();
    soap::http_client client(io.get_executor());
    CHECK(test::run(io, client.async_request(closed, get("/"))).error() == core::transport_errc::connection_refused);
  }
  SUBCASE("a body over the limit ends the exchange with the limit's error") {
    test::tcp_peer gw(io, [](const std::string&, unsigned) { return test::reply(ok_response(std::string(2000, 'x'))); });
    soap::http_limits small;
    small.max_body = 1000;
    soap::http_client client(io.get_executor(), {2s, small});
    CHECK(test::run(io, client.async_request(gw.endpoint(), get("/"))).error() == soap::http_errc::body_too_large);
  }
  SUBCASE("closed mid-response on a new connection: truncated, not retried") {
    test::tcp_peer gw(io, [](const std::string&, unsigned) {
      return test::reply("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", true);
    });
    soap::http_client client(io.get_executor());
    CHECK(test::run(io, client.async_request(gw.endpoint(), get("/"))).error() == soap::http_errc::truncated);
    CHECK(gw.requests().size() == 1);
  }
  SUBCASE("a header injection in the request is refused before anything is sent") {
    test::tcp_peer gw(io, [](const std::string&, unsigned) { return test::reply(ok_response("")); });
    soap::http_client client(io.get_executor());
    auto r = get("/");
    r.headers.emplace_back("SOAPAction", "\"x\"\r\nEvil: 1");
    CHECK(test::run(io, client.async_request(gw.endpoint(), r)).error() == soap::http_errc::bad_request_field);
    CHECK(client.connections_opened() == 0);
  }
}
