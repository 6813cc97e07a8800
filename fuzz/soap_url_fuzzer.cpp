// URL parsing and resolution. The input is "base\nreference" (no newline: the whole input is both the URL
// to parse and the reference, resolved against a description URL like the one a gateway gives).
// Invariants beyond "no crash":
//  - a value xor an error, the error in the "url" category with a message;
//  - a parsed URL is well formed (lower-case scheme, a host, a port, a target starting with "/"), prints
//    within max_url_length, and parse_url(to_string(u)) == u; same_origin(u, u);
//  - resolve never yields a URL that fails to_string → parse_url, and resolving its own printed form, or
//    the empty reference, against a result gives that result back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "support.hpp"
#include "natpunch/soap/url.hpp"

namespace {

using natpunch::fuzz::require;
namespace soap = natpunch::soap;

void check_error(const std::error_code& ec) {
  require(static_cast<bool>(ec));
  require(&ec.category() == &soap::url_category());
  require(!ec.message().empty());
}

void check_url(const soap::url& u) {
  require(!u.scheme.empty() && !u.host.empty() && u.port != 0);
  for (const char c : u.scheme) require(!(c >= 'A' && c <= 'Z'));
  for (const char c : u.host) require(!(c >= 'A' && c <= 'Z'));
  require(!u.target.empty() && u.target.front() == '/');
  require(u.target.find('#') == std::string::npos);
  const std::string text = soap::to_string(u);
  require(text.size() <= soap::max_url_length);
  const auto again = soap::parse_url(text);
  require(again.has_value() && *again == u);
  require(soap::same_origin(u, u));
  // An IPv6 host is always a literal (names never hold a colon).
  if (u.host.find(':') != std::string::npos) require(soap::literal_address(u).has_value());
}

void check_resolve(const soap::url& base, std::string_view ref) {
  const auto r = soap::resolve(base, ref);
  require(r.has_value() != static_cast<bool>(r.error()));
  if (!r) return check_error(r.error());
  check_url(*r);
  const auto self = soap::resolve(base, soap::to_string(*r));
  require(self.has_value() && *self == *r);
  const auto same = soap::resolve(*r, "");
  require(same.has_value() && *same == *r);
}

void run(natpunch::core::byte_span input) {
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  const std::size_t newline = text.find('\n');
  const std::string_view first = text.substr(0, newline);
  const std::string_view ref = newline == std::string_view::npos ? text : text.substr(newline + 1);

  const auto parsed = soap::parse_url(first);
  require(parsed.has_value() != static_cast<bool>(parsed.error()));
  if (parsed) {
    check_url(*parsed);
    check_resolve(*parsed, ref);
  } else {
    check_error(parsed.error());
  }
  static const soap::url description = *soap::parse_url("http://192.168.1.1:5000/rootDesc.xml?a=b");
  check_resolve(description, ref);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return natpunch::fuzz::guarded(run, data, size);
}
