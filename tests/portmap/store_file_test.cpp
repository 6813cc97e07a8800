// The state store's file (portmap/store.hpp, store_file.cpp): private, locked, replaced whole, bounded,
// and each refusal the security review asked for: a symlinked or shared directory, a FIFO or a symlink at
// the file's path, a foreign file (left untouched), an oversize file.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "natpunch/portmap/store.hpp"

using namespace natpunch;
using namespace natpunch::portmap;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t t0 = 1795541279;

pinhole_record pinhole(std::uint16_t id) {
  return {"http://[fd00:86::1]:5000/rootDesc.xml", "uuid:9d008fc5", id, "fd00:86::250", 8443, core::ip_protocol::tcp,
          600, t0};
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A private temporary directory (mkdtemp: 0700), removed when the test ends.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "natpunch-store.XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::uint32_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

state_store fixed_clock(state_store s) {
  s.set_clock([] { return t0; });
  return s;
}

auto add_pinhole(std::uint16_t id) {
  return [id](store_contents& c) { c.pinholes.push_back(pinhole(id)); };
}

// The variables store_directory reads, put back as they were: other cases in this binary may read them.
struct saved_env {
  struct var {
    const char* name;
    std::optional<std::string> value;
  } vars[3] = {{"NATPUNCH_STATE_DIR", {}}, {"XDG_STATE_HOME", {}}, {"HOME", {}}};
  saved_env() {
    for (auto& v : vars) {
      if (const char* e = std::getenv(v.name)) v.value = e;
    }
  }
  ~saved_env() {
    for (const auto& v : vars) {
      if (v.value) ::setenv(v.name, v.value->c_str(), 1);
      else ::unsetenv(v.name);
    }
  }
};

}  // namespace

TEST_CASE("store: a missing directory or file loads as empty, and loading makes nothing") {
  temp_dir tmp;
  const state_store store(tmp.path / "a" / "natpunch");
  auto none = store.load();
  REQUIRE(none.has_value());
  CHECK(none->pinholes.empty());
  CHECK_FALSE(fs::exists(tmp.path / "a"));
  REQUIRE(state_store(tmp.path).load().has_value());  // the directory without a file
  CHECK(state_store(tmp.path).file() == tmp.path / "state");
}

TEST_CASE("store: update saves a private file in private directories and reads back") {
  temp_dir tmp;
  auto store = fixed_clock(state_store(tmp.path / "a" / "b" / "natpunch"));
  auto saved = store.update(add_pinhole(1));
  REQUIRE(saved.has_value());
  CHECK(saved->pinholes == std::vector{pinhole(1)});
  saved = store.update(add_pinhole(2));
  REQUIRE(saved.has_value());
  CHECK(saved->pinholes == std::vector{pinhole(1), pinhole(2)});
  CHECK(mode_of(store.file()) == 0600);
  CHECK(mode_of(store.directory() / "state.lock") == 0600);
  for (const auto& d : {tmp.path / "a", tmp.path / "a" / "b", store.directory()}) CHECK(mode_of(d) == 0700);
  auto back = store.load();
  REQUIRE(back.has_value());
  CHECK(back->pinholes == saved->pinholes);
  // Only the file and its lock: no temporary left, and one left by a crash is removed by the next update.
  std::ofstream(store.directory() / "state.new-0123456789abcdef") << "half";
  REQUIRE(store.update([](store_contents&) {}).has_value());
  CHECK(std::distance(fs::directory_iterator(store.directory()), fs::directory_iterator{}) == 2);
}

TEST_CASE("store: update trims at its clock and reports what it could not write") {
  temp_dir tmp;
  state_store store(tmp.path);
  store.set_clock([] { return t0 + 86400 + 600; });  // pinhole(1) ended exactly a day ago
  auto saved = store.update([](store_contents& c) {
    c.pinholes = {pinhole(1), pinhole(2)};
    c.pinholes[1].since = t0 + 1;
    c.pinholes.push_back(pinhole(3));
    c.pinholes.back().udn = "uuid:x\npinhole\thttp://[fd00::1]/d.xml\tu\t1\tfd00::1\t22\ttcp\t60\t1099511627776";
  });
  REQUIRE(saved.has_value());
  REQUIRE(saved->pinholes.size() == 1);  // 1 trimmed, 3 invalid (trim drops what cannot be written)
  CHECK(saved->pinholes[0].id == 2);
  CHECK(saved->skipped == 1);  // the invalid one, made visible; the expired one is not a problem
  CHECK(slurp(store.file()).find("1099511627776") == std::string::npos);
}

TEST_CASE("store: a foreign file is an error, and update leaves it untouched") {
  temp_dir tmp;
  state_store store(tmp.path);
  const std::string foreign = "PATH=/usr/bin\nsecret=1\n";
  std::ofstream(store.file()) << foreign;
  auto loaded = store.load();
  REQUIRE_FALSE(loaded.has_value());
  CHECK(loaded.error() == store_errc::foreign_file);
  CHECK(store.failed_path() == store.file());
  bool changed = false;
  auto updated = store.update([&](store_contents&) { changed = true; });
  REQUIRE_FALSE(updated.has_value());
  CHECK(updated.error() == store_errc::foreign_file);
  CHECK_FALSE(changed);
  CHECK(slurp(store.file()) == foreign);
}

TEST_CASE("store: the lock is exclusive, bounded in wait, and released with its holder") {
  temp_dir tmp;
  state_store store(tmp.path);
  store.set_lock_wait(std::chrono::milliseconds(100));
  {
    auto first = store.lock();
    REQUIRE(first.has_value());
    const auto start = std::chrono::steady_clock::now();
    auto second = store.lock();
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error() == store_errc::locked);
    CHECK(store.failed_path() == store.directory() / "state.lock");
    auto updated = store.update(add_pinhole(1));  // update waits for the same lock
    REQUIRE_FALSE(updated.has_value());
    CHECK(updated.error() == store_errc::locked);
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= std::chrono::milliseconds(200));
    CHECK(waited < std::chrono::seconds(2));
    CHECK_FALSE(fs::exists(store.file()));
  }
  store.set_lock_wait(std::chrono::milliseconds(0));
  CHECK(store.lock().has_value());
  CHECK(store.update(add_pinhole(1)).has_value());
}

TEST_CASE("store: a symlink as the directory, or in the part natpunch manages, is refused") {
  temp_dir tmp;
  fs::create_directory(tmp.path / "real", tmp.path);  // 0700 like its parent
  fs::create_directory_symlink(tmp.path / "real", tmp.path / "link");
  state_store store(tmp.path / "link");
  for (const auto& r : {store.load(), store.update(add_pinhole(1))}) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == store_errc::unsafe_directory);
  }
  CHECK(store.failed_path() == tmp.path / "link");
  CHECK(fs::is_empty(tmp.path / "real"));
  // The user's own part ($HOME here) may be a link; ~/.local/state below it may not.
  saved_env env;
  ::unsetenv("NATPUNCH_STATE_DIR");
  ::unsetenv("XDG_STATE_HOME");
  ::setenv("HOME", (tmp.path / "link").c_str(), 1);
  auto home = state_store::open_default();
  REQUIRE(home.has_value());
  REQUIRE(home->update(add_pinhole(1)).has_value());
  CHECK(fs::exists(tmp.path / "real" / ".local" / "state" / "natpunch" / "state"));
  fs::remove_all(tmp.path / "real" / ".local" / "state");
  fs::create_directory_symlink(tmp.path / "real", tmp.path / "real" / ".local" / "state");
  auto linked = state_store::open_default();
  REQUIRE_FALSE(linked.has_value());
  CHECK(linked.error() == store_errc::unsafe_directory);
}

TEST_CASE("store: a directory writable by group or others is refused") {
  temp_dir tmp;
  for (const auto mode : {0777, 0770, 01777, 0702}) {
    CAPTURE(mode);
    REQUIRE(::chmod(tmp.path.c_str(), static_cast<mode_t>(mode)) == 0);
    auto r = state_store(tmp.path).update(add_pinhole(1));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == store_errc::unsafe_directory);
  }
  REQUIRE(::chmod(tmp.path.c_str(), 0755) == 0);  // readable by others is the owner's choice
  CHECK(state_store(tmp.path).update(add_pinhole(1)).has_value());
}

TEST_CASE("store: a directory owned by another user is refused") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: chown to another user needs root");
    return;
  }
  temp_dir tmp;
  REQUIRE(::chown(tmp.path.c_str(), 65534, 65534) == 0);  // nobody
  auto r = state_store(tmp.path).update(add_pinhole(1));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == store_errc::unsafe_directory);
  CHECK_FALSE(fs::exists(tmp.path / "state"));
}

TEST_CASE("store: a FIFO at the file's path is refused at once (it once hung natpunch for ever)") {
  temp_dir tmp;
  state_store store(tmp.path);
  REQUIRE(::mkfifo(store.file().c_str(), 0600) == 0);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& r : {store.load(), store.update(add_pinhole(1))}) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == store_errc::not_regular_file);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
  CHECK(fs::is_fifo(store.file()));  // not replaced
  // At the lock's path too.
  fs::remove(store.file());
  fs::remove(tmp.path / "state.lock");
  REQUIRE(::mkfifo((tmp.path / "state.lock").c_str(), 0600) == 0);
  auto r = store.update(add_pinhole(1));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == store_errc::not_regular_file);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500));
}

TEST_CASE("store: a symlink or a directory at the file's path is refused, not followed") {
  temp_dir tmp;
  state_store store(tmp.path);
  std::ofstream(tmp.path / "elsewhere") << "# natpunch state 1\n";
  fs::create_symlink(tmp.path / "elsewhere", store.file());
  for (const auto& r : {store.load(), store.update(add_pinhole(1))}) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == store_errc::not_regular_file);
  }
  CHECK(slurp(tmp.path / "elsewhere") == "# natpunch state 1\n");
  fs::remove(store.file());
  fs::create_directory(store.file());
  CHECK(store.load().error() == store_errc::not_regular_file);
}

TEST_CASE("store: an oversize file is refused") {
  temp_dir tmp;
  state_store store(tmp.path);
  std::ofstream(store.file()) << "# natpunch state 1\n" << std::string(max_store_file_bytes, '#');
  CHECK(store.load().error() == store_errc::file_too_large);
  CHECK(store.update(add_pinhole(1)).error() == store_errc::file_too_large);
  CHECK(fs::file_size(store.file()) > max_store_file_bytes);  // left as it was
}

TEST_CASE("store: where it lives") {
  saved_env env;
  ::setenv("NATPUNCH_STATE_DIR", "/var/lib/natpunch", 1);
  ::setenv("XDG_STATE_HOME", "/x/state", 1);
  ::setenv("HOME", "/home/u", 1);
  CHECK(store_directory() == fs::path("/var/lib/natpunch"));
  ::unsetenv("NATPUNCH_STATE_DIR");
  CHECK(store_directory() == fs::path("/x/state/natpunch"));
  ::setenv("XDG_STATE_HOME", "relative/state", 1);  // the XDG spec: a relative path is ignored
  CHECK(store_directory() == fs::path("/home/u/.local/state/natpunch"));
  ::setenv("XDG_STATE_HOME", "", 1);
  CHECK(store_directory() == fs::path("/home/u/.local/state/natpunch"));
  ::unsetenv("HOME");
  CHECK_FALSE(store_directory().has_value());
  auto none = state_store::open_default();
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error() == store_errc::no_directory);
  temp_dir tmp;
  ::setenv("NATPUNCH_STATE_DIR", (tmp.path / "s").c_str(), 1);
  auto store = state_store::open_default();
  REQUIRE(store.has_value());
  CHECK(store->file() == tmp.path / "s" / "state");
}
