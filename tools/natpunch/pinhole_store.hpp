// The pinholes this host opened, kept in a small text file: UPnP has no action that lists a gateway's
// pinholes, so `pinhole list` shows the ones natpunch added here and asks the gateway about each.
// The codec (text <-> records) is sans-I/O and fuzzed; load/save touch the file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "natpunch/core/ip_protocol.hpp"
#include "natpunch/core/result.hpp"

namespace natpunch::cli {

struct pinhole_record {
  std::string igd;  // the gateway's description URL and its root device's UDN: which gateway the ID
  std::string udn;  // belongs to (two LANs may have a gateway at the same URL; not the same UDN)
  std::uint16_t id = 0;
  std::string internal_ip;
  std::uint16_t internal_port = 0;
  core::ip_protocol transport = core::ip_protocol::tcp;
  std::uint32_t lifetime = 0;  // s, as last granted
  std::int64_t since = 0;      // unix time of the add or last update
  [[nodiscard]] bool expired(std::int64_t now) const noexcept { return now >= since + std::int64_t{lifetime}; }
  bool operator==(const pinhole_record&) const = default;
};

struct parsed_pinholes {
  std::vector<pinhole_record> records;
  std::size_t skipped = 0;  // malformed lines, or lines past the cap
};

// At most this many records are read or written (a gateway has 65536 IDs; a host opens a few).
inline constexpr std::size_t max_pinhole_records = 1024;
inline constexpr std::size_t max_pinhole_file_bytes = 1024 * 1024;

// "# natpunch pinholes 1" then one line per record: IGD, UDN (may be empty), ID, internal IP, port,
// tcp|udp, lifetime, since, separated by tabs. A line that is not exactly that is skipped and counted,
// never fatal. format_pinholes writes the first max_pinhole_records only (see trim_pinholes).
parsed_pinholes parse_pinholes(std::string_view text);
std::string format_pinholes(const std::vector<pinhole_record>& records);

// Where the file lives: $NATPUNCH_STATE_DIR/pinholes, else $XDG_STATE_HOME/natpunch/pinholes, else
// $HOME/.local/state/natpunch/pinholes. None when none of these is set.
std::optional<std::filesystem::path> pinhole_file();

// Keeps the file bounded: drops records whose lifetime ended over a day ago (by this host's clock,
// which may be wrong after a boot: hence the day), then the oldest while over max_pinhole_records.
// Returns how many were dropped.
std::size_t trim_pinholes(std::vector<pinhole_record>& records, std::int64_t now);

// Missing file: no records. Errors: the file's read error (a directory is is_a_directory), or
// file_too_large past the byte cap.
core::result<parsed_pinholes> load_pinholes(const std::filesystem::path& file);
// Written whole to a new temporary file (mkstemp: mode 0600, a fresh name, so two writers never share
// it), flushed to disk, and renamed over: a crash leaves the old or the new, never a mix.
std::error_code save_pinholes(const std::filesystem::path& file, const std::vector<pinhole_record>& records);

// An exclusive lock on `file`.lock for one read-modify-write (flock; released when destroyed). Taken for
// milliseconds, never across a gateway call; waits at most `wait` for another natpunch.
class pinhole_lock {
 public:
  static core::result<pinhole_lock> acquire(const std::filesystem::path& file,
                                            std::chrono::milliseconds wait = std::chrono::seconds(2));
  pinhole_lock(pinhole_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  pinhole_lock& operator=(pinhole_lock&&) = delete;
  ~pinhole_lock();

 private:
  explicit pinhole_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace natpunch::cli
