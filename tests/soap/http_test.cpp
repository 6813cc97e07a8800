// HTTP/1.1 codec: every message parsed whole, split at every offset and byte by byte must give the same
// outcome; every truncated prefix fails at EOF; each limit holds exactly at its value and fails one over;
// smuggling tricks are refused; format_request writes exact bytes and refuses injection.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "natpunch/soap/http.hpp"

namespace soap = natpunch::soap;
using soap::http_errc;
using soap::http_limits;
using soap::response_parser;
using state = response_parser::state;

namespace {

struct outcome {
  state result = state::need_more;
  std::error_code error;
  soap::http_response response;
  std::size_t consumed = 0;  // over all pieces
  // A failure is its error code: how much of a bad message was read before the verdict may differ.
  bool operator==(const outcome& o) const {
    return result == o.result && error == o.error &&
           (result != state::done || (response == o.response && consumed == o.consumed));
  }
};

// Feeds the pieces in order until done or failed, then (if asked) tells the parser the peer closed.
outcome parse_pieces(const std::vector<std::string_view>& pieces, bool eof, const http_limits& limits) {
  response_parser parser(limits);
  outcome out;
  for (const std::string_view piece : pieces) {
    std::size_t used = 0;
    out.result = parser.feed(piece, used);
    out.consumed += used;
    if (out.result != state::need_more) break;
    CHECK(used == piece.size());
  }
  if (eof && out.result == state::need_more) out.result = parser.finish_eof();
  out.error = parser.error();
  out.response = parser.response();
  CHECK((out.result == state::failed) == static_cast<bool>(out.error));
  return out;
}

// The outcome of `wire` fed whole, after checking that every two-piece split and a byte-by-byte feed agree.
outcome parse(std::string_view wire, bool eof = true, const http_limits& limits = {}) {
  const outcome whole = parse_pieces({wire}, eof, limits);
  for (std::size_t at = 0; at <= wire.size(); ++at) {
    CAPTURE(at);
    REQUIRE(parse_pieces({wire.substr(0, at), wire.substr(at)}, eof, limits) == whole);
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < wire.size(); ++i) bytes.push_back(wire.substr(i, 1));
  REQUIRE(parse_pieces(bytes, eof, limits) == whole);
  return whole;
}

outcome parse_ok(std::string_view wire, const http_limits& limits = {}) {
  const outcome out = parse(wire, true, limits);
  REQUIRE(out.result == state::done);
  return out;
}

std::error_code parse_error(std::string_view wire, const http_limits& limits = {}) {
  const outcome out = parse(wire, true, limits);
  CHECK(out.result == state::failed);
  return out.error;
}

// Every proper prefix of a complete message needs more bytes, and the peer closing there is an error.
void check_truncations(std::string_view wire) {
  for (std::size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    const outcome out = parse_pieces({wire.substr(0, n)}, true, {});
    REQUIRE(out.result == state::failed);
    CHECK(out.error == (n == 0 ? http_errc::closed_without_response : http_errc::truncated));
  }
}

constexpr std::string_view length_framed =
    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5\r\n\r\nhello";
constexpr std::string_view chunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: yes\r\n\r\n";
constexpr std::string_view to_close = "HTTP/1.0 200 OK\r\nServer: gw\r\n\r\n<root/>";

std::string with_header(std::string_view header, std::string_view rest = "\r\n") {
  return "HTTP/1.1 200 OK\r\n" + std::string(header) + "\r\n" + std::string(rest);
}

std::string chunked_body(std::string_view chunks) {
  return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(chunks);
}

}  // namespace

TEST_CASE("http: a Content-Length response") {
  const outcome out = parse_ok(length_framed);
  CHECK(out.response.status == 200);
  CHECK(out.response.minor_version == 1);
  CHECK(out.response.reason == "OK");
  CHECK(out.response.body == "hello");
  CHECK(out.response.keep_alive);
  CHECK(out.consumed == length_framed.size());
  CHECK(out.response.header("content-type") == "text/xml");
  CHECK(out.response.header("CONTENT-LENGTH") == "5");
  CHECK_FALSE(out.response.header("Content-Typ").has_value());
  check_truncations(length_framed);
}

TEST_CASE("http: a chunked response with extensions, trailers, upper-case hex and leading zeros") {
  const outcome out = parse_ok(chunked);
  CHECK(out.response.body == "hello, world!!!");
  CHECK(out.response.keep_alive);
  CHECK(out.response.headers.size() == 1);  // the trailer is read and dropped
  check_truncations(chunked);
  CHECK(parse_ok(chunked_body("0005\r\nhello\r\n000a\r\n, world!!!\r\n00\r\n\r\n")).response.body ==
        "hello, world!!!");
  CHECK(parse_ok(chunked_body("5 \r\nhello\r\n5\t;a=\"b c\";d\r\nhello\r\n0\r\n\r\n")).response.body == "hellohello");
  CHECK(parse_ok(chunked_body("1F\r\n" + std::string(31, 'x') + "\r\n0\r\n\r\n")).response.body.size() == 31);
  SUBCASE("a folded trailer line") {
    CHECK(parse_ok(chunked_body("0\r\nA: b\r\n c\r\n\r\n")).result == state::done);
    CHECK(parse_error(chunked_body("0\r\n c\r\n\r\n")) == http_errc::bad_header_line);
  }
}

TEST_CASE("http: a body read to the close of the connection") {
  const outcome out = parse_ok(to_close);
  CHECK(out.response.minor_version == 0);
  CHECK(out.response.body == "<root/>");
  CHECK_FALSE(out.response.keep_alive);
  const std::size_t header_end = to_close.find("\r\n\r\n") + 4;
  for (std::size_t n = 0; n <= to_close.size(); ++n) {
    CAPTURE(n);
    const outcome prefix = parse_pieces({to_close.substr(0, n)}, true, {});
    CHECK((prefix.result == state::done) == (n >= header_end));
    if (n >= header_end) CHECK(prefix.response.body == to_close.substr(header_end, n - header_end));
  }
  CHECK(parse("HTTP/1.1 200 OK\r\n\r\nabc", false).result == state::need_more);  // no EOF yet: more may come
}

TEST_CASE("http: interim 1xx responses are skipped") {
  const outcome out = parse_ok("HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  CHECK(out.response.status == 200);
  CHECK(out.response.body == "hi");
  CHECK_FALSE(out.response.header("X-A").has_value());
  check_truncations("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  CHECK(parse_error("HTTP/1.1 101 Switching Protocols\r\n\r\n") == http_errc::bad_status);
}

TEST_CASE("http: 204 and 304 have no body whatever their fields say") {
  for (const std::string_view wire : {"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
                                      "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                                      "HTTP/1.1 204 No Content\r\n\r\n"}) {
    CAPTURE(wire);
    const outcome out = parse(wire, false);
    CHECK(out.result == state::done);
    CHECK(out.response.body.empty());
    CHECK(out.response.keep_alive);
  }
}

TEST_CASE("http: lenient where servers differ: bare LF, obs-fold, no reason phrase, empty values") {
  CHECK(parse_ok("HTTP/1.1 200 OK\nContent-Length: 2\n\nhi").response.body == "hi");
  CHECK(parse_ok(chunked_body("2\nhi\n0\n\n")).response.body == "hi");
  const outcome folded = parse_ok("HTTP/1.1 200 OK\r\nX-A: one\r\n  two \r\n\tthree\r\nContent-Length: 0\r\n\r\n");
  CHECK(folded.response.header("x-a") == "one two three");
  const outcome bare = parse_ok("HTTP/1.1 500\r\nExt:\r\nContent-Length:0\r\n\r\n");
  CHECK(bare.response.status == 500);
  CHECK(bare.response.reason.empty());
  CHECK(bare.response.header("ext") == "");
  CHECK(parse_ok("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").response.reason.empty());
  CHECK(parse_ok("HTTP/1.1 200 Fine \xe9t\xe9\r\nContent-Length: 0\r\n\r\n").response.reason == "Fine \xe9t\xe9");
  CHECK(parse_ok("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n").response.minor_version == 2);
}

TEST_CASE("http: connection reuse follows the version and the Connection field") {
  const auto keep = [](std::string_view version, std::string_view fields) {
    return parse_ok("HTTP/" + std::string(version) + " 200 OK\r\n" + std::string(fields) + "Content-Length: 0\r\n\r\n")
        .response.keep_alive;
  };
  CHECK(keep("1.1", ""));
  CHECK_FALSE(keep("1.1", "Connection: close\r\n"));
  CHECK_FALSE(keep("1.1", "Connection: Upgrade, CLOSE\r\n"));
  CHECK_FALSE(keep("1.1", "Connection: keep-alive\r\nConnection: close\r\n"));
  CHECK_FALSE(keep("1.0", ""));
  CHECK(keep("1.0", "Connection: Keep-Alive\r\n"));
  CHECK_FALSE(keep("1.0", "Connection: keep-alive, close\r\n"));
  CHECK(keep("1.1", "Connection: closed\r\n"));  // a token, not a prefix
}

TEST_CASE("http: malformed status lines") {
  CHECK(parse_error("HTTP/2.0 200 OK\r\n\r\n") == http_errc::bad_version);
  CHECK(parse_error("HTTP/0.9 200 OK\r\n\r\n") == http_errc::bad_version);
  CHECK(parse_error("HTTP/1.x 200 OK\r\n\r\n") == http_errc::bad_version);
  CHECK(parse_error("HTTP/1.\r\n\r\n") == http_errc::bad_version);
  CHECK(parse_error("HTTP/1.1\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error("HTTP/1.10 200 OK\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error("http/1.1 200 OK\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error("ICY 200 OK\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error("\r\nHTTP/1.1 200 OK\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error("HTTP/1.1 200 O\x01K\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error("HTTP/1.1 200 O\rK\r\n\r\n") == http_errc::bad_start_line);
  CHECK(parse_error(std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20)) == http_errc::bad_start_line);
  for (const std::string_view code : {"099", "600", "999", "20x", "2000", " 200", "-20", "20"}) {
    CAPTURE(code);
    CHECK(parse_error("HTTP/1.1 " + std::string(code) + " OK\r\n\r\n") == http_errc::bad_status);
  }
}

TEST_CASE("http: malformed header lines") {
  CHECK(parse_error(with_header("Content-Length : 5", "\r\nhello")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header(" X-A: first line folded")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header("no colon here")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header(": no name")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header("X(A): bad name")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header("X-A: bare\rCR")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header("X-A: cr before crlf\r")) == http_errc::bad_header_line);
  CHECK(parse_error(with_header(std::string("X-A: nul\0byte", 13))) == http_errc::bad_header_line);
  CHECK(parse_error(with_header("X-A: del\x7f")) == http_errc::bad_header_line);
}

TEST_CASE("http: Content-Length must be a plain decimal") {
  for (const std::string_view value : {"-1", "+5", "5 5", "", " ", "0x5", "5;", ",", " , ", "99999999999999999999",
                                       "18446744073709551616"}) {
    CAPTURE(value);
    CHECK(parse_error(with_header("Content-Length: " + std::string(value), "\r\nhello")) ==
          http_errc::bad_content_length);
  }
  CHECK(parse_ok(with_header("Content-Length:   5  ", "\r\nhello")).response.body == "hello");
  CHECK(parse_ok(with_header("Content-Length: 005", "\r\nhello")).response.body == "hello");
  CHECK(parse_error(with_header("Content-Length: 18446744073709551615", "\r\nhello")) == http_errc::body_too_large);
}

TEST_CASE("http: smuggling: ambiguous lengths are refused") {
  CHECK(parse_error(with_header("Content-Length: 5\r\nTransfer-Encoding: chunked", "\r\n5\r\nhello\r\n0\r\n\r\n")) ==
        http_errc::conflicting_length);
  CHECK(parse_error(with_header("Transfer-Encoding: chunked\r\nContent-Length: 5", "\r\n5\r\nhello\r\n0\r\n\r\n")) ==
        http_errc::conflicting_length);
  CHECK(parse_error(with_header("Content-Length: 5\r\nContent-Length: 6", "\r\nhello!")) ==
        http_errc::conflicting_length);
  CHECK(parse_error(with_header("Content-Length: 5, 6", "\r\nhello!")) == http_errc::conflicting_length);
  CHECK(parse_error(with_header("Content-Length: 5\r\n 6", "\r\nhello!")) == http_errc::bad_content_length);
  CHECK(parse_ok(with_header("Content-Length: 5\r\nContent-Length: 5", "\r\nhello")).response.body == "hello");
  CHECK(parse_ok(with_header("Content-Length: 5, 5", "\r\nhello")).response.body == "hello");
}

TEST_CASE("http: smuggling: only Transfer-Encoding: chunked, and only in HTTP/1.1") {
  for (const std::string_view value : {"gzip, chunked", "chunked, chunked", "identity", "chunked;q=1", "", "chunked, gzip"}) {
    CAPTURE(value);
    CHECK(parse_error(with_header("Transfer-Encoding: " + std::string(value), "\r\n0\r\n\r\n")) ==
          http_errc::unsupported_transfer_encoding);
  }
  CHECK(parse_error(with_header("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "\r\n0\r\n\r\n")) ==
        http_errc::unsupported_transfer_encoding);
  CHECK(parse_error("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") ==
        http_errc::unsupported_transfer_encoding);
  CHECK(parse_ok(with_header("Transfer-Encoding: CHUNKED", "\r\n0\r\n\r\n")).result == state::done);
  CHECK(parse_ok(with_header("Transfer-Encoding: , chunked ,", "\r\n0\r\n\r\n")).result == state::done);
}

TEST_CASE("http: malformed chunks") {
  for (const std::string_view line : {"", " 5", "-5", "5x", "+5", "0x5", "5\x01", ";ext", "5 6"}) {
    CAPTURE(line);
    CHECK(parse_error(chunked_body(std::string(line) + "\r\nhello\r\n0\r\n\r\n")) == http_errc::bad_chunk_size);
  }
  // 2^64 does not fit; 2^64 - 1 does, and is far over the body limit.
  CHECK(parse_error(chunked_body("10000000000000000\r\nhello\r\n0\r\n\r\n")) == http_errc::bad_chunk_size);
  CHECK(parse_error(chunked_body("FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n")) == http_errc::body_too_large);
  CHECK(parse_ok(chunked_body("0000000000000000000000000000000000000005\r\nhello\r\n0\r\n\r\n")).response.body ==
        "hello");
  CHECK(parse_error(chunked_body("5\r\nhelloX\r\n0\r\n\r\n")) == http_errc::bad_chunk_end);
  CHECK(parse_error(chunked_body("5\r\nhello\r\r\n0\r\n\r\n")) == http_errc::bad_chunk_end);
  CHECK(parse_error(chunked_body("3\r\nhello\r\n0\r\n\r\n")) == http_errc::bad_chunk_end);
  CHECK(parse_error(chunked_body("0\r\nbad trailer\r\n\r\n")) == http_errc::bad_header_line);
}

TEST_CASE("http: each limit holds exactly at its value and fails one over") {
  SUBCASE("status line") {
    const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";  // status line: 15 bytes
    CHECK(parse_ok(wire, {.max_start_line = 15}).result == state::done);
    CHECK(parse_error(wire, {.max_start_line = 14}) == http_errc::start_line_too_long);
    CHECK(parse_error("HTTP/1.1 200 OK" + std::string(2000, 'x'), {}) == http_errc::start_line_too_long);
  }
  SUBCASE("header bytes, line endings not counted") {
    const std::string wire = with_header("Content-Length: 0\r\nA: b");  // 17 + 4 bytes
    CHECK(parse_ok(wire, {.max_header_bytes = 21}).result == state::done);
    CHECK(parse_error(wire, {.max_header_bytes = 20}) == http_errc::headers_too_large);
    CHECK(parse_error(with_header("X: " + std::string(9000, 'x')), {}) == http_errc::headers_too_large);
  }
  SUBCASE("header count") {
    const std::string wire = with_header("Content-Length: 0\r\nA: b\r\n c");  // the fold is not a field
    CHECK(parse_ok(wire, {.max_headers = 2}).result == state::done);
    CHECK(parse_error(wire, {.max_headers = 1}) == http_errc::too_many_headers);
  }
  SUBCASE("body") {
    CHECK(parse_ok(length_framed, {.max_body = 5}).result == state::done);
    CHECK(parse_error(length_framed, {.max_body = 4}) == http_errc::body_too_large);
    CHECK(parse_ok(chunked, {.max_body = 15}).result == state::done);
    CHECK(parse_error(chunked, {.max_body = 14}) == http_errc::body_too_large);
    CHECK(parse_error(chunked, {.max_body = 4}) == http_errc::body_too_large);
    CHECK(parse_ok(to_close, {.max_body = 7}).result == state::done);
    CHECK(parse_error(to_close, {.max_body = 6}) == http_errc::body_too_large);
  }
  SUBCASE("chunk-size line (\"5;name=value\": 12 bytes)") {
    CHECK(parse_ok(chunked, {.max_chunk_line = 12}).result == state::done);
    CHECK(parse_error(chunked, {.max_chunk_line = 11}) == http_errc::chunk_line_too_long);
  }
  SUBCASE("trailers (\"X-Trailer: yes\": 14 bytes)") {
    CHECK(parse_ok(chunked, {.max_trailer_bytes = 14}).result == state::done);
    CHECK(parse_error(chunked, {.max_trailer_bytes = 13}) == http_errc::trailers_too_large);
  }
  SUBCASE("interim responses") {
    const std::string wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    CHECK(parse_ok(wire, {.max_interim = 2}).result == state::done);
    CHECK(parse_error(wire, {.max_interim = 1}) == http_errc::too_many_interim);
  }
}

TEST_CASE("http: pipelined responses stay unread until reset") {
  const std::string two = std::string(length_framed) + std::string(chunked);
  response_parser parser;
  std::size_t used = 0;
  REQUIRE(parser.feed(two, used) == state::done);
  CHECK(used == length_framed.size());
  CHECK(parser.response().body == "hello");
  CHECK(parser.feed(std::string_view(two).substr(used), used) == state::done);  // done: nothing more is taken
  CHECK(used == 0);
  CHECK(parser.finish_eof() == state::done);
  parser.reset();
  REQUIRE(parser.feed(std::string_view(two).substr(length_framed.size()), used) == state::done);
  CHECK(used == chunked.size());
  CHECK(parser.response().body == "hello, world!!!");
}

TEST_CASE("http: after a failure nothing more is consumed and the error stays") {
  response_parser parser;
  std::size_t used = 0;
  REQUIRE(parser.feed(std::string_view("HTTP/3 200 OK\r\n"), used) == state::failed);
  CHECK(parser.error() == http_errc::bad_version);
  CHECK(parser.feed(std::string_view("HTTP/1.1 200 OK\r\n"), used) == state::failed);
  CHECK(used == 0);
  CHECK(parser.finish_eof() == state::failed);
  CHECK(parser.error() == http_errc::bad_version);
  parser.reset();
  CHECK_FALSE(parser.error());
  CHECK(parser.finish_eof() == state::failed);
  CHECK(parser.error() == http_errc::closed_without_response);
}

TEST_CASE("http: real miniupnpd answers") {
  const std::filesystem::path root = std::filesystem::path(NATPUNCH_TEST_DATA) / "upnp";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".http") continue;
    CAPTURE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string wire((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const outcome out = parse_ok(wire);
    CHECK(out.consumed == wire.size());
    CHECK((out.response.status == 200 || out.response.status >= 400));
    CHECK(out.response.header("Content-Length") == std::to_string(out.response.body.size()));
    CHECK_FALSE(out.response.keep_alive);  // miniupnpd 2.3.1 always says Connection: close
    if (files % 16 == 0) check_truncations(wire);
    ++files;
  }
  CHECK(files >= 50);
}

TEST_CASE("http: format a GET and a POST") {
  auto get = soap::format_request({.method = "GET", .target = "/rootDesc.xml", .host = "192.168.1.1:5000"});
  REQUIRE(get.has_value());
  CHECK(*get == "GET /rootDesc.xml HTTP/1.1\r\nHost: 192.168.1.1:5000\r\n\r\n");

  auto post = soap::format_request({.method = "POST",
                                    .target = "/ctl/IPConn",
                                    .host = "[fd00::1]:5000",
                                    .headers = {{"Content-Type", "text/xml; charset=\"utf-8\""},
                                                {"SOAPAction", "\"urn:schemas-upnp-org:service:WANIPConnection:1#X\""}},
                                    .body = "<x/>"});
  REQUIRE(post.has_value());
  CHECK(*post ==
        "POST /ctl/IPConn HTTP/1.1\r\nHost: [fd00::1]:5000\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
        "SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:1#X\"\r\nContent-Length: 4\r\n\r\n<x/>");
  CHECK(*soap::format_request({.method = "POST", .target = "/", .host = "h"}) ==
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  CHECK(*soap::format_request({.method = "GET", .target = "/", .host = "h", .headers = {{"Connection", "close"}}}) ==
        "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
}

TEST_CASE("http: format_request refuses header injection and fields it owns") {
  const auto refused = [](const soap::http_request& r) {
    return soap::format_request(r).error() == http_errc::bad_request_field;
  };
  const soap::http_request good{.method = "GET", .target = "/", .host = "h", .headers = {}, .body = {}};
  CHECK(soap::format_request(good).has_value());
  for (const std::string_view method : {"", "GE T", "GET\r\n", "G(T"}) {
    CHECK(refused({.method = std::string(method), .target = "/", .host = "h"}));
  }
  for (const std::string_view target : {"", "/a b", "/\r\nX: y", "/\x7f", "/\xc3\xa9"}) {
    CHECK(refused({.method = "GET", .target = std::string(target), .host = "h"}));
  }
  CHECK(refused({.method = "GET", .target = "/", .host = ""}));
  CHECK(refused({.method = "GET", .target = "/", .host = "h\r\nX: y"}));
  const soap::header_list bad_fields{{"X", "a\r\nInjected: 1"}, {"X", "a\nb"}, {"X", "a\rb"},
                                     {"X", std::string("a\0b", 3)}, {"X Y", "v"}, {"", "v"}, {"X:", "v"},
                                     {"Host", "other"}, {"content-length", "9"}, {"Transfer-Encoding", "chunked"}};
  for (const auto& field : bad_fields) {
    CAPTURE(field.first);
    CHECK(refused({.method = "GET", .target = "/", .host = "h", .headers = {field}}));
  }
  CHECK(soap::format_request({.method = "GET", .target = "/", .host = "h", .headers = {{"X", "tab\tok"}}}).has_value());
}

TEST_CASE("http: every error has a message in the \"http\" category") {
  CHECK(std::string(soap::http_category().name()) == "http");
  for (int e = 1; e <= static_cast<int>(http_errc::bad_request_field); ++e) {
    const std::error_code ec = static_cast<http_errc>(e);
    CHECK(ec.message().find("unknown") == std::string::npos);
    CHECK_FALSE(ec.message().empty());
  }
}
