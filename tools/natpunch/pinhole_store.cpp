// The pinhole record's file: where it lives, reading, writing and locking it (the text codec is in
// pinhole_record.cpp).
#include "pinhole_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace natpunch::cli {
namespace {

// The directories above the record, those missing made 0700 (the XDG base directory rule for state):
// other users need not learn which ports this host opened. Existing ones are left as they are.
std::error_code make_private_dirs(const std::filesystem::path& dir) {
  if (dir.empty()) return {};
  std::filesystem::path at;
  for (const auto& part : dir) {
    at /= part;
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) return std::error_code(errno, std::generic_category());
  }
  if (!std::filesystem::is_directory(dir)) return std::make_error_code(std::errc::not_a_directory);
  return {};
}

}  // namespace

std::optional<std::filesystem::path> pinhole_file() {
  const auto env = [](const char* name) -> std::optional<std::filesystem::path> {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::filesystem::path(v);
  };
  if (auto d = env("NATPUNCH_STATE_DIR")) return *d / "pinholes";
  if (auto d = env("XDG_STATE_HOME")) return *d / "natpunch" / "pinholes";
  if (auto d = env("HOME")) return *d / ".local" / "state" / "natpunch" / "pinholes";
  return std::nullopt;
}

core::result<parsed_pinholes> load_pinholes(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) return std::make_error_code(std::errc::is_a_directory);
  errno = 0;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return parsed_pinholes{};
    return std::error_code(errno != 0 ? errno : EIO, std::generic_category());
  }
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_pinhole_file_bytes) return std::make_error_code(std::errc::file_too_large);
  }
  return parse_pinholes(text);
}

std::error_code save_pinholes(const std::filesystem::path& file, const std::vector<pinhole_record>& records) {
  std::error_code ec = make_private_dirs(file.parent_path());
  if (ec) return ec;
  std::string temp = std::filesystem::path(file).concat(".XXXXXX").string();
  const int fd = ::mkstemp(temp.data());  // O_EXCL, mode 0600
  if (fd < 0) return std::error_code(errno, std::generic_category());
  const std::string text = format_pinholes(records);
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ec = std::error_code(n < 0 ? errno : EIO, std::generic_category());
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (!ec && ::fsync(fd) != 0) ec = std::error_code(errno, std::generic_category());
  if (::close(fd) != 0 && !ec) ec = std::error_code(errno, std::generic_category());
  if (!ec) std::filesystem::rename(temp, file, ec);
  if (ec) ::unlink(temp.c_str());
  return ec;
}

core::result<pinhole_lock> pinhole_lock::acquire(const std::filesystem::path& file, std::chrono::milliseconds wait) {
  if (const auto ec = make_private_dirs(file.parent_path())) return ec;
  const auto lock_file = std::filesystem::path(file).concat(".lock");
  const int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return std::error_code(errno, std::generic_category());
  const auto end = std::chrono::steady_clock::now() + wait;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return pinhole_lock(fd);
    const int why = errno;
    if ((why != EWOULDBLOCK && why != EINTR) || std::chrono::steady_clock::now() >= end) {
      ::close(fd);
      return std::error_code(why == EWOULDBLOCK ? ETIMEDOUT : why, std::generic_category());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

pinhole_lock::~pinhole_lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace natpunch::cli
