// HTTP/1.1 response parser (what the SOAP client reads from a gateway), fed raw bytes then EOF.
// Invariants beyond "no crash":
//  - done xor failed after EOF, never both: an error exactly when failed, always in the "http" category;
//  - the input whole, byte by byte and split in two (at a point that depends on the input) gives the same
//    outcome: the same error, or the same response and the same count of consumed bytes;
//  - limits hold: body, header count, header bytes and reason phrase within http_limits;
//  - tighter limits never accept what the defaults refuse, and what they accept is the same response;
//  - pipelined responses after the first parse in turn, each consuming at least one byte;
//  - format_request writes the parsed fields back (but those it owns) as exactly one line each: no CR or LF
//    smuggled into the head.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "support.hpp"
#include "natpunch/soap/http.hpp"

namespace {

using natpunch::fuzz::require;
namespace soap = natpunch::soap;
using state = soap::response_parser::state;

struct outcome {
  state result = state::need_more;
  std::error_code error;
  soap::http_response response;
  std::size_t consumed = 0;

  bool operator==(const outcome& o) const {
    return result == o.result && error == o.error &&
           (result != state::done || (response == o.response && consumed == o.consumed));
  }
};

outcome parse(const std::vector<std::string_view>& pieces, const soap::http_limits& limits) {
  soap::response_parser parser(limits);
  outcome out;
  for (const std::string_view piece : pieces) {
    std::size_t used = 0;
    out.result = parser.feed(piece, used);
    require(used <= piece.size());
    out.consumed += used;
    if (out.result != state::need_more) break;
    require(used == piece.size());
  }
  if (out.result == state::need_more) out.result = parser.finish_eof();
  require(out.result != state::need_more);
  require(parser.current() == out.result);
  out.error = parser.error();
  out.response = parser.response();
  require((out.result == state::failed) == static_cast<bool>(out.error));
  if (out.error) {
    require(&out.error.category() == &soap::http_category());
    require(!out.error.message().empty());
  }
  return out;
}

void check_limits(const outcome& out, const soap::http_limits& limits) {
  if (out.result != state::done) return;
  const soap::http_response& r = out.response;
  require(r.status >= 200 && r.status <= 599);
  require(r.body.size() <= limits.max_body);
  require(r.headers.size() <= limits.max_headers);
  require(r.reason.size() <= limits.max_start_line);
  std::size_t header_bytes = 0;
  for (const auto& [name, value] : r.headers) header_bytes += name.size() + value.size();
  require(header_bytes <= limits.max_header_bytes);
  if (r.status == 204 || r.status == 304) require(r.body.empty());
}

// The parsed fields sent back out: one head line per field and nothing else.
void check_format(const soap::http_response& r) {
  // Without the fields format_request owns (every framed response has one), so most requests go through.
  soap::header_list fields;
  for (const auto& field : r.headers) {
    if (!soap::find_header({field}, "Host") && !soap::find_header({field}, "Content-Length") &&
        !soap::find_header({field}, "Transfer-Encoding")) {
      fields.push_back(field);
    }
  }
  const soap::http_request request{.method = "POST", .target = "/ctl", .host = "h", .headers = fields, .body = r.body};
  // Every field the parser accepts is one format_request can write (same token and text rules).
  const auto wire = soap::format_request(request);
  require(wire.has_value() && !wire.error());
  const std::string_view text = *wire;
  const std::size_t head_end = text.find("\r\n\r\n");
  require(head_end != std::string_view::npos);
  require(text.substr(head_end + 4) == r.body);
  const std::string_view head = text.substr(0, head_end + 2);
  std::size_t lines = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r') {
      require(i + 1 < head.size() && head[i + 1] == '\n');
      ++lines;
      ++i;
    } else {
      require(head[i] != '\n');
    }
  }
  require(lines == fields.size() + 3);  // request line, Host, the fields, Content-Length
}

void run(natpunch::core::byte_span input) {
  const std::string_view wire(reinterpret_cast<const char*>(input.data()), input.size());
  const soap::http_limits defaults;
  const outcome whole = parse({wire}, defaults);
  check_limits(whole, defaults);

  std::vector<std::string_view> bytes;
  bytes.reserve(wire.size());
  for (std::size_t i = 0; i < wire.size(); ++i) bytes.push_back(wire.substr(i, 1));
  require(parse(bytes, defaults) == whole);
  std::size_t hash = 0;
  for (const char c : wire) hash = hash * 31 + static_cast<unsigned char>(c);
  const std::size_t at = wire.empty() ? 0 : hash % (wire.size() + 1);
  require(parse({wire.substr(0, at), wire.substr(at)}, defaults) == whole);

  const soap::http_limits tight{.max_start_line = 32, .max_header_bytes = 128, .max_headers = 4, .max_body = 256,
                                .max_chunk_line = 8, .max_trailer_bytes = 16, .max_interim = 1};
  const outcome small = parse({wire}, tight);
  check_limits(small, tight);
  if (small.result == state::done) require(whole.result == state::done && small.response == whole.response);

  if (whole.result != state::done) return;
  check_format(whole.response);
  // Pipelined responses: each parse starts where the last one stopped.
  std::size_t offset = whole.consumed;
  for (int n = 0; n < 16 && offset < wire.size(); ++n) {
    require(offset > 0);
    const outcome next = parse({wire.substr(offset)}, defaults);
    check_limits(next, defaults);
    if (next.result != state::done) break;
    require(next.consumed > 0);
    offset += next.consumed;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
