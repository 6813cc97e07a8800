// The pinhole record (pinhole_store.hpp): the text round-trips, a damaged line is skipped and counted,
// never fatal, and the file is replaced whole.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <sys/stat.h>

#include "pinhole_store.hpp"

using namespace natpunch;
using namespace natpunch::cli;

namespace {

pinhole_record sample(std::uint16_t id) {
  return {"http://[fd00:86::1]:5000/rootDesc.xml", id, "fd00:86::250", 8443, core::ip_protocol::tcp, 600, 1795541279};
}

std::filesystem::path temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "natpunch-pinholes.XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

}  // namespace

TEST_CASE("pinhole record: format then parse gives the same records") {
  std::vector<pinhole_record> in{sample(1), sample(65535)};
  in[1].transport = core::ip_protocol::udp;
  in[1].lifetime = 0;
  const auto text = format_pinholes(in);
  CHECK(text.starts_with("# natpunch pinholes 1\n"));
  const auto out = parse_pinholes(text);
  CHECK(out.records == in);
  CHECK(out.skipped == 0);
}

TEST_CASE("pinhole record: damaged lines are skipped and counted, the good ones kept") {
  const std::string good = "http://[fd00:86::1]:5000/rootDesc.xml\t3\tfd00:86::250\t22\tudp\t60\t100";
  const std::string text = "# natpunch pinholes 1\n" + good + "\n" +
                           "http://[fd00:86::1]/d.xml\t65536\tfd00::1\t22\ttcp\t60\t100\n"   // id out of range
                           "http://[fd00:86::1]/d.xml\t1\t10.0.0.1\t22\ttcp\t60\t100\n"      // not IPv6
                           "http://[fd00:86::1]/d.xml\t1\tfd00::1\t0\ttcp\t60\t100\n"        // port 0
                           "http://[fd00:86::1]/d.xml\t1\tfd00::1\t22\tsctp\t60\t100\n"      // transport
                           "http://[fd00:86::1]/d.xml\t1\tfd00::1\t22\ttcp\t-1\t100\n"       // lifetime
                           "http://[fd00:86::1]/d.xml\t1\tfd00::1\t22\ttcp\t60\n"            // a field short
                           "http://[fd00:86::1]/d.xml\t1\tfd00::1\t22\ttcp\t60\t100\tx\n"    // a field more
                           "ftp://[fd00:86::1]/d.xml\t1\tfd00::1\t22\ttcp\t60\t100\n"        // not http
                           "http://[fd00:86::1]/d\x1b.xml\t1\tfd00::1\t22\ttcp\t60\t100\n"   // a control character
                           "http://[fd00:86::1]/d.xml\t1\tFD00::1\t22\ttcp\t60\t100\n"       // not our spelling
                           "http://[fd00:86::1]/d.xml\t01x\tfd00::1\t22\ttcp\t60\t100\n"     // junk after digits
                           "\n# a comment\n";
  const auto out = parse_pinholes(text);
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].id == 3);
  CHECK(out.records[0].transport == core::ip_protocol::udp);
  CHECK(out.skipped == 11);
}

TEST_CASE("pinhole record: no more than max_pinhole_records are read or written") {
  std::vector<pinhole_record> many(max_pinhole_records + 5, sample(7));
  const auto text = format_pinholes(many);
  const auto out = parse_pinholes(text);
  CHECK(out.records.size() == max_pinhole_records);
  CHECK(out.skipped == 0);
  const auto doubled = parse_pinholes(text + text.substr(text.find('\n') + 1));
  CHECK(doubled.records.size() == max_pinhole_records);
  CHECK(doubled.skipped == max_pinhole_records);
}

TEST_CASE("pinhole record: expiry by the record's own clock") {
  const auto r = sample(1);
  CHECK_FALSE(r.expired(r.since + 599));
  CHECK(r.expired(r.since + 600));
}

TEST_CASE("pinhole file: missing is empty, saved is private and read back, an oversize one is refused") {
  const auto dir = temp_dir();
  const auto file = dir / "sub" / "pinholes";
  auto none = load_pinholes(file);
  REQUIRE(none.has_value());
  CHECK(none->records.empty());
  REQUIRE_FALSE(save_pinholes(file, {sample(1), sample(2)}));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = load_pinholes(file);
  REQUIRE(back.has_value());
  CHECK(back->records == std::vector<pinhole_record>{sample(1), sample(2)});
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(file).concat(".tmp")));
  {
    std::ofstream big(file, std::ios::trunc);
    big << std::string(max_pinhole_file_bytes + 1, '#');
  }
  auto refused = load_pinholes(file);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error() == std::errc::file_too_large);
  std::filesystem::remove_all(dir);
}

TEST_CASE("pinhole file: where it lives") {
  // The three variables are put back as they were: other cases in this binary may read them.
  struct saved_env {
    const char* name;
    std::optional<std::string> value;
  } saved[] = {{"NATPUNCH_STATE_DIR", {}}, {"XDG_STATE_HOME", {}}, {"HOME", {}}};
  for (auto& v : saved) {
    if (const char* e = std::getenv(v.name)) v.value = e;
  }
  ::setenv("NATPUNCH_STATE_DIR", "/var/lib/natpunch", 1);
  ::setenv("XDG_STATE_HOME", "/x/state", 1);
  CHECK(pinhole_file() == std::filesystem::path("/var/lib/natpunch/pinholes"));
  ::unsetenv("NATPUNCH_STATE_DIR");
  CHECK(pinhole_file() == std::filesystem::path("/x/state/natpunch/pinholes"));
  ::unsetenv("XDG_STATE_HOME");
  ::setenv("HOME", "/home/u", 1);
  CHECK(pinhole_file() == std::filesystem::path("/home/u/.local/state/natpunch/pinholes"));
  ::unsetenv("HOME");
  CHECK_FALSE(pinhole_file().has_value());
  for (const auto& v : saved) {
    if (v.value) ::setenv(v.name, v.value->c_str(), 1);
  }
}
