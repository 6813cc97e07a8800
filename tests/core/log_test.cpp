#include <doctest/doctest.h>

#include "natpunch/core/log.hpp"

using natpunch::core::log::printable;

TEST_CASE("log: gateway text is made printable for a terminal") {
  CHECK(printable("Debian router 2.3.1") == "Debian router 2.3.1");
  CHECK(printable("Fritz!Box 7590 — Käse") == "Fritz!Box 7590 — Käse");  // UTF-8 stays
  CHECK(printable("a\rb") == "a\\x0db");
  CHECK(printable("line\nfake line") == "line\\x0afake line");
  CHECK(printable("\x1b[31mred") == "\\x1b[31mred");
  CHECK(printable(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(printable("del\x7f") == "del\\x7f");
  CHECK(printable("tab\tx") == "tab\\x09x");
  CHECK(printable("csi \xc2\x9b" "31m") == "csi \\xc2\\x9b31m");  // C1 control, UTF-8 encoded
  CHECK(printable("nbsp \xc2\xa0!") == "nbsp \xc2\xa0!");           // U+00A0 is printable
  CHECK(printable("raw \x9b") == "raw \\x9b");                      // a lone byte that is not UTF-8
  CHECK(printable("cut \xe2\x82") == "cut \\xe2\\x82");              // a truncated sequence
  CHECK(printable("overlong \xc0\xaf") == "overlong \\xc0\\xaf");
  CHECK(printable("") == "");
}
