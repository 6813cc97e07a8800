// The state file (store.hpp): where it lives, and reading, locking and replacing it. Every operation
// works relative to one directory fd opened component by component, so nothing between the check of a
// path and its use can redirect a write (a security review found root writing through a user's
// ~/.local/state/natpunch symlink, and the old code blocking for ever on a FIFO at the file's path).
// The text codec is in store_codec.cpp; the error category is here, apart from what the fuzzer measures.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "natpunch/core/error.hpp"
#include "natpunch/portmap/store.hpp"

namespace natpunch::portmap {
namespace {

constexpr const char* state_name = "state";
constexpr const char* lock_name = "state.lock";
constexpr std::string_view temp_prefix = "state.new-";

std::error_code sys(int e) { return {e, std::generic_category()}; }

class unique_fd {
 public:
  explicit unique_fd(int fd = -1) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~unique_fd() { reset(); }
  void reset() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::optional<std::filesystem::path> env_path(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::filesystem::path(v);
}

// One component below `at`. `follow`: the user's own part of the path (a symlinked $HOME is theirs to
// have). A component natpunch makes is made 0700 (the XDG rule for state: other users need not learn
// which ports this host opened) and opened without following, so a link raced into its place is refused.
core::result<unique_fd> open_component(int at, const std::filesystem::path& name, bool follow, bool create,
                                       bool last) {
  const int flags = O_DIRECTORY | O_CLOEXEC | (last ? O_RDONLY : O_PATH);  // O_PATH: traversal needs only x
  int fd = ::openat(at, name.c_str(), flags | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0 && errno == ENOENT && create) {
    if (::mkdirat(at, name.c_str(), 0700) != 0 && errno != EEXIST) return sys(errno);
    fd = ::openat(at, name.c_str(), flags | O_NOFOLLOW);
  }
  if (fd >= 0) return unique_fd(fd);
  const int why = errno;
  struct stat st {};
  if ((why == ELOOP || why == ENOTDIR) && ::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    return store_errc::unsafe_directory;
  }
  return sys(why);
}

// Opens base/below. Without `create`, a missing component gives no fd (and no error).
core::result<std::optional<unique_fd>> open_directory(const std::filesystem::path& base, const std::filesystem::path& below,
                                                      bool create, std::filesystem::path& failed) {
  std::vector<std::pair<std::filesystem::path, bool>> parts;  // name, follow
  for (const auto& p : base) parts.emplace_back(p, true);
  for (const auto& p : below) parts.emplace_back(p, false);
  std::erase_if(parts, [](const auto& p) { return p.first.empty() || p.first == "."; });
  const bool absolute = base.is_absolute() || (base.empty() && below.is_absolute());
  unique_fd dir(::open(absolute ? "/" : ".", O_DIRECTORY | O_CLOEXEC | (parts.empty() ? O_RDONLY : O_PATH)));
  if (dir.get() < 0) return sys(errno);
  failed = absolute ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& [name, follow] = parts[i];
    failed /= name;
    if (name == "/") continue;  // the start, opened above
    auto next = open_component(dir.get(), name, follow, create, i + 1 == parts.size());
    if (!next) {
      if (!create && next.error() == std::errc::no_such_file_or_directory) {
        failed.clear();
        return std::optional<unique_fd>{};  // nothing there yet: nothing to read
      }
      return next.error();
    }
    dir = std::move(*next);
  }
  // The directory itself: ours alone to write (unsafe_directory otherwise), whoever made it.
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return sys(errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return store_errc::unsafe_directory;
  }
  failed.clear();
  return std::optional<unique_fd>(std::move(dir));
}

// Reads `state` in `dir`: a regular file, at most max_store_file_bytes. O_NONBLOCK: a FIFO put there
// must be refused, not waited on for a writer that never comes.
core::result<store_contents> read_state(int dir) {
  unique_fd fd(::openat(dir, state_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return store_contents{};
    return errno == ELOOP ? std::error_code(store_errc::not_regular_file) : sys(errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys(errno);
  if (!S_ISREG(st.st_mode)) return store_errc::not_regular_file;
  if (st.st_size > static_cast<off_t>(max_store_file_bytes)) return store_errc::file_too_large;
  std::string text;
  char chunk[16384];
  while (text.size() <= max_store_file_bytes) {  // bounded even if the file grows while read
    const auto n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys(errno);
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  if (text.size() > max_store_file_bytes) return store_errc::file_too_large;
  return parse_store(text);
}

// Under the lock no other natpunch is between creating and renaming a temporary file: any left is from
// a crash, and goes.
void remove_stale_temporaries(int dir) {
  const int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return;
  DIR* d = ::fdopendir(copy);
  if (d == nullptr) {
    ::close(copy);
    return;
  }
  for (int seen = 0; seen < 4096; ++seen) {  // the directory is natpunch's: a few entries
    const dirent* e = ::readdir(d);
    if (e == nullptr) break;
    if (std::string_view(e->d_name).starts_with(temp_prefix)) ::unlinkat(dir, e->d_name, 0);
  }
  ::closedir(d);
}

// A new file (0600, a fresh random name, O_EXCL so never another's), flushed, renamed over `state`, and
// the directory flushed: a crash leaves the old file or the new one, never a mix.
std::error_code replace_state(int dir, const std::string& text) {
  remove_stale_temporaries(dir);
  std::random_device rng;
  std::string name;
  unique_fd fd;
  for (int attempt = 0; attempt < 8 && fd.get() < 0; ++attempt) {
    char hex[17];
    const auto bits = (std::uint64_t{rng()} << 32) | rng();
    for (int i = 0; i < 16; ++i) hex[i] = "0123456789abcdef"[(bits >> (4 * i)) & 0xf];
    name = std::string(temp_prefix) + std::string(hex, 16);
    fd = unique_fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0 && errno != EEXIST) return sys(errno);
  }
  if (fd.get() < 0) return sys(EEXIST);
  std::error_code ec;
  for (std::size_t done = 0; done < text.size() && !ec;) {
    const auto n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ec = sys(n < 0 ? errno : EIO);
    else done += static_cast<std::size_t>(n);
  }
  if (!ec && ::fsync(fd.get()) != 0) ec = sys(errno);
  if (::close(fd.release()) != 0 && !ec) ec = sys(errno);
  if (!ec && ::renameat(dir, name.c_str(), dir, state_name) != 0) ec = sys(errno);
  if (ec) {
    ::unlinkat(dir, name.c_str(), 0);
    return ec;
  }
  if (::fsync(dir) != 0) return sys(errno);
  return {};
}

// The lock's fd, flocked (store_lock owns it from there).
core::result<int> lock_in(int dir, std::chrono::milliseconds wait) {
  unique_fd fd(::openat(dir, lock_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return errno == ELOOP || errno == EISDIR ? std::error_code(store_errc::not_regular_file) : sys(errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys(errno);
  if (!S_ISREG(st.st_mode)) return store_errc::not_regular_file;
  // Polled, not a blocking flock: a holder that never lets go costs `wait`, not the command.
  const auto end = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return fd.release();
    if (errno != EWOULDBLOCK && errno != EINTR) return sys(errno);
    if (std::chrono::steady_clock::now() >= end) return store_errc::locked;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}


}  // namespace

const char* describe(store_errc e) noexcept {
  switch (e) {
    case store_errc::foreign_file:
      return "the state file does not start with \"# natpunch state 1\": another program's file (or a newer "
             "natpunch's), left untouched";
    case store_errc::not_regular_file:
      return "the state file or its lock is not a regular file (a FIFO, device, directory or symbolic link)";
    case store_errc::unsafe_directory:
      return "the state directory is a symbolic link, not owned by this user, or writable by group or others";
    case store_errc::file_too_large: return "the state file is larger than 1 MiB";
    case store_errc::locked: return "another natpunch held the state file's lock for too long";
    case store_errc::no_directory:
      return "no place for the state file: none of NATPUNCH_STATE_DIR, XDG_STATE_HOME, HOME is set";
  }
  return nullptr;
}

const std::error_category& store_category() noexcept {
  static const core::enum_category<store_errc> category("state");
  return category;
}

std::optional<std::filesystem::path> store_directory() {
  if (auto d = env_path("NATPUNCH_STATE_DIR")) return *d;
  if (auto d = env_path("XDG_STATE_HOME"); d && d->is_absolute()) return *d / "natpunch";
  if (auto d = env_path("HOME")) return *d / ".local" / "state" / "natpunch";
  return std::nullopt;
}

store_lock::~store_lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

state_store::state_store(std::filesystem::path directory) : now_(unix_now) {
  directory = directory.lexically_normal();
  if (!directory.has_filename() && directory.has_relative_path()) directory = directory.parent_path();  // "a/b/"
  base_ = directory.has_relative_path() ? directory.parent_path() : directory;
  below_ = directory.has_relative_path() ? directory.filename() : std::filesystem::path();
}

state_store::state_store(std::filesystem::path base, std::filesystem::path below)
    : base_(std::move(base)), below_(std::move(below)), now_(unix_now) {}

core::result<state_store> state_store::open_default() {
  // The part natpunch manages, below the directory the environment names, is never a symlink.
  std::optional<state_store> store;
  if (auto d = env_path("NATPUNCH_STATE_DIR")) {
    store.emplace(*d);
  } else if (auto x = env_path("XDG_STATE_HOME"); x && x->is_absolute()) {
    store = state_store(*x, "natpunch");
  } else if (auto h = env_path("HOME")) {
    store = state_store(*h, std::filesystem::path(".local") / "state" / "natpunch");
  } else {
    return store_errc::no_directory;
  }
  auto dir = open_directory(store->base_, store->below_, false, store->failed_path_);
  if (!dir) return dir.error();
  return std::move(*store);
}

core::result<store_contents> state_store::load() const {
  auto dir = open_directory(base_, below_, false, failed_path_);
  if (!dir) return dir.error();
  if (!dir->has_value()) return store_contents{};
  auto contents = read_state((*dir)->get());
  if (!contents) failed_path_ = file();
  return contents;
}

core::result<store_lock> state_store::lock() const {
  auto dir = open_directory(base_, below_, true, failed_path_);
  if (!dir) return dir.error();
  auto held = lock_in((*dir)->get(), lock_wait_);
  if (!held) {
    failed_path_ = directory() / lock_name;
    return held.error();
  }
  return store_lock(*held);
}

core::result<store_contents> state_store::update(const std::function<void(store_contents&)>& change) {
  auto dir = open_directory(base_, below_, true, failed_path_);
  if (!dir) return dir.error();
  const int fd = (*dir)->get();
  auto locked = lock_in(fd, lock_wait_);
  if (!locked) {
    failed_path_ = directory() / lock_name;
    return locked.error();
  }
  const store_lock held(*locked);  // until the file is replaced
  auto contents = read_state(fd);
  if (!contents) {
    failed_path_ = file();
    return contents.error();
  }
  change(*contents);
  const auto invalid = [](const auto& records) {
    return static_cast<std::size_t>(std::count_if(records.begin(), records.end(), [](const auto& r) { return !is_valid(r); }));
  };
  const auto unwritable = invalid(contents->mappings) + invalid(contents->pinholes) + invalid(contents->gateways);
  trim_store(*contents, now_());
  const auto formatted = format_store(*contents);
  if (const auto ec = replace_state(fd, formatted.text)) {
    failed_path_ = file();
    return ec;
  }
  auto saved = parse_store(formatted.text);  // exactly what the file now holds
  if (saved) saved->skipped = contents->skipped + unwritable + formatted.dropped;
  return saved;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace natpunch::portmap
