// The pinhole record (pinhole_store.hpp): the text round-trips, a damaged line is skipped and counted,
// never fatal, and the file is replaced whole.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <iterator>
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
  return {"http://[fd00:86::1]:5000/rootDesc.xml", "uuid:9d008fc5-025c-436d-be41-335f728500d2", id, "fd00:86::250",
          8443, core::ip_protocol::tcp, 600, 1795541279};
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
  const std::string good = "http://[fd00:86::1]:5000/rootDesc.xml\tuuid:1\t3\tfd00:86::250\t22\tudp\t60\t100";
  const std::string no_udn = "http://[fd00:86::1]:5000/rootDesc.xml\t\t4\tfd00:86::250\t22\ttcp\t60\t100";
  const std::string text = "# natpunch pinholes 1\n" + good + "\n" + no_udn + "\n" +
                           "http://[fd00:86::1]/d.xml\tu\t65536\tfd00::1\t22\ttcp\t60\t100\n"   // id out of range
                           "http://[fd00:86::1]/d.xml\tu\t1\t10.0.0.1\t22\ttcp\t60\t100\n"      // not IPv6
                           "http://[fd00:86::1]/d.xml\tu\t1\tfd00::1\t0\ttcp\t60\t100\n"        // port 0
                           "http://[fd00:86::1]/d.xml\tu\t1\tfd00::1\t22\tsctp\t60\t100\n"      // transport
                           "http://[fd00:86::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t-1\t100\n"       // lifetime
                           "http://[fd00:86::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\n"            // a field short
                           "http://[fd00:86::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t100\tx\n"    // a field more
                           "ftp://[fd00:86::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t100\n"        // not http
                           "http://[fd00:86::1]/d\x1b.xml\tu\t1\tfd00::1\t22\ttcp\t60\t100\n"   // a control character
                           "http://[fd00:86::1]/d.xml\tu u\t1\tfd00::1\t22\ttcp\t60\t100\n"     // a space in the UDN
                           "http://[fd00:86::1]/d.xml\tu\t1\tFD00::1\t22\ttcp\t60\t100\n"       // not our spelling
                           "http://[fd00:86::1]/d.xml\tu\t01x\tfd00::1\t22\ttcp\t60\t100\n"     // junk after digits
                           "\n# a comment\n";
  const auto out = parse_pinholes(text);
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].id == 3);
  CHECK(out.records[0].udn == "uuid:1");
  CHECK(out.records[0].transport == core::ip_protocol::udp);
  CHECK(out.records[1].udn.empty());
  CHECK(out.skipped == 12);
}

TEST_CASE("pinhole record: trimming drops the long-expired, then the oldest past the cap") {
  const std::int64_t now = 1795541279;
  std::vector<pinhole_record> r{sample(1), sample(2), sample(3)};
  r[0].since = now - 86400 - 601;  // ended over a day ago: dropped
  r[1].since = now - 86400 + 10;   // ended, but within the day (a clock may be wrong): kept
  r[2].since = now;
  CHECK(trim_pinholes(r, now) == 1);
  REQUIRE(r.size() == 2);
  CHECK(r[0].id == 2);
  std::vector<pinhole_record> many;
  for (std::size_t i = 0; i < max_pinhole_records + 3; ++i) {
    many.push_back(sample(static_cast<std::uint16_t>(i)));
    many.back().since = now - static_cast<std::int64_t>(i);  // id 0 newest
  }
  CHECK(trim_pinholes(many, now) == 3);
  CHECK(many.size() == max_pinhole_records);
  for (const auto& x : many) CHECK(x.id < max_pinhole_records);  // the three oldest went
}

TEST_CASE("pinhole file: the lock is exclusive, bounded in wait, and released with its holder") {
  const auto dir = temp_dir();
  const auto file = dir / "pinholes";
  {
    auto first = pinhole_lock::acquire(file);
    REQUIRE(first.has_value());
    const auto t0 = std::chrono::steady_clock::now();
    auto second = pinhole_lock::acquire(file, std::chrono::milliseconds(100));
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error() == std::errc::timed_out);
    CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(100));
  }
  CHECK(pinhole_lock::acquire(file, std::chrono::milliseconds(0)).has_value());
  std::filesystem::remove_all(dir);
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
  REQUIRE(::stat(file.parent_path().c_str(), &st) == 0);  // made here: private too
  CHECK((st.st_mode & 0777) == 0700);
  auto back = load_pinholes(file);
  REQUIRE(back.has_value());
  CHECK(back->records == std::vector<pinhole_record>{sample(1), sample(2)});
  // No temporary file left beside it.
  CHECK(std::distance(std::filesystem::directory_iterator(file.parent_path()), std::filesystem::directory_iterator{}) == 1);
  {
    std::ofstream big(file, std::ios::trunc);
    big << std::string(max_pinhole_file_bytes + 1, '#');
  }
  auto refused = load_pinholes(file);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error() == std::errc::file_too_large);
  auto directory = load_pinholes(dir);
  REQUIRE_FALSE(directory.has_value());
  CHECK(directory.error() == std::errc::is_a_directory);
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
