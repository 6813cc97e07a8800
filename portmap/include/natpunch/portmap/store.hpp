// The mapping manager's state: one private text file holding everything natpunch made — port mappings,
// UPnP pinholes — and which protocol and IGD served each gateway last (so the next command goes straight
// there). UPnP cannot list pinholes and NAT-PMP/PCP cannot list mappings: this record is how `list` and
// `delete` know what this host opened. It replaces the CLI's old `pinholes` file.
//
// The codec (text <-> records, store_codec.cpp) is sans-I/O and fuzzed (portmap_store_fuzzer); the file
// (store_file.cpp) is reached through a directory fd opened without following symlinks, locked, and
// replaced whole. Every field is validated when read AND when written: a value that came from a gateway
// (a UDN, a URL, a label) can never add or change a record.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "natpunch/core/ip_protocol.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/portmap/mapping.hpp"

namespace natpunch::portmap {

// A port mapping natpunch made, as granted.
struct mapping_record {
  protocol proto = protocol::pcp;
  std::string gateway;      // IP text: the NAT-PMP/PCP gateway, or the UPnP IGD's host
  std::string igd;          // UPnP: the description URL (http://...); empty otherwise
  std::string udn;          // UPnP: the root device's UDN, may be empty; empty otherwise
  core::ip_protocol transport = core::ip_protocol::tcp;
  std::string internal_ip;  // IP text
  std::uint16_t internal_port = 0;
  std::string external_ip;  // IP text
  std::uint16_t external_port = 0;
  std::string nonce;        // PCP: 24 lowercase hex digits (always); empty otherwise
  std::uint32_t lifetime = 0;  // s, as granted; 0 = permanent (UPnP only)
  std::int64_t since = 0;      // unix time of the grant
  std::string description;     // UPnP: the label, may be empty; empty otherwise

  [[nodiscard]] bool expired(std::int64_t now) const noexcept {
    return lifetime != 0 && now >= since + std::int64_t{lifetime};
  }
  [[nodiscard]] bool matches(core::ip_protocol t, std::uint16_t port) const noexcept {
    return transport == t && internal_port == port;
  }
  bool operator==(const mapping_record&) const = default;
};

// A UPnP IPv6 pinhole natpunch opened (WANIPv6FirewallControl has no action that lists them).
struct pinhole_record {
  std::string igd;  // the gateway's description URL and its root device's UDN: which gateway the ID
  std::string udn;  // belongs to (two LANs may have a gateway at the same URL; not the same UDN)
  std::uint16_t id = 0;
  std::string internal_ip;  // IPv6 text
  std::uint16_t internal_port = 0;
  core::ip_protocol transport = core::ip_protocol::tcp;
  std::uint32_t lifetime = 0;  // s, as last granted
  std::int64_t since = 0;      // unix time of the add or last update
  [[nodiscard]] bool expired(std::int64_t now) const noexcept { return now >= since + std::int64_t{lifetime}; }
  bool operator==(const pinhole_record&) const = default;
};

// Which protocol (and for UPnP which IGD and services) served a gateway last. One per `gateway`.
struct gateway_record {
  std::string gateway;  // the key: the default gateway's IP text, as the route table gave it
  protocol proto = protocol::pcp;
  // UPnP only (all empty / 0 otherwise):
  std::string location;      // description URL
  std::string udn;           // root device UDN, may be empty
  std::string service_type;  // e.g. urn:schemas-upnp-org:service:WANIPConnection:2
  std::string control_url;   // absolute http URL of the connection service's control
  unsigned igd_version = 0;  // 1 or 2
  std::string firewall_control_url;          // absolute, may be empty
  std::string common_interface_control_url;  // absolute, may be empty
  std::int64_t since = 0;  // unix time it was last confirmed
  bool operator==(const gateway_record&) const = default;
};

struct store_contents {
  std::vector<mapping_record> mappings;
  std::vector<pinhole_record> pinholes;
  std::vector<gateway_record> gateways;
  std::size_t skipped = 0;  // lines not kept when read: damaged, unknown kind, past a cap, a replaced gateway
};

// Bounds. A host makes a handful of mappings; 1024 of each kind leaves room for a busy node and bounds
// the work on a damaged file. Field caps: URLs as long as soap::max_url_length (anything natpunch accepted
// from a gateway fits), UDNs and service types as soap's description_limits::max_field_bytes, labels 256.
inline constexpr std::size_t max_store_records = 1024;  // of each kind
inline constexpr std::size_t max_store_file_bytes = 1024 * 1024;
inline constexpr std::size_t max_store_url_bytes = 2048;
inline constexpr std::size_t max_store_name_bytes = 1024;  // UDN, service type
inline constexpr std::size_t max_store_description_bytes = 256;
inline constexpr std::size_t max_store_line_bytes = 16 * 1024;  // longer than any valid record line
inline constexpr std::int64_t max_store_time = std::int64_t{1} << 40;  // `since` range: 0 .. this
// trim_store: expired mappings and pinholes are kept a day (this host's clock may be wrong after a
// boot), gateway records 30 days from their last confirmation.
inline constexpr std::int64_t store_expiry_grace = 86400;
inline constexpr std::int64_t store_gateway_max_age = 30 * 86400;

enum class store_errc {
  foreign_file = 1,   // the file's first line is not natpunch's header: someone else's file, never overwritten
  not_regular_file,   // the file or its lock is a FIFO, device, directory or symlink
  unsafe_directory,   // the directory (or a part natpunch manages) is a symlink, not ours, or writable by others
  file_too_large,     // over max_store_file_bytes
  locked,             // another natpunch held the lock for longer than the wait
  no_directory,       // none of NATPUNCH_STATE_DIR, XDG_STATE_HOME, HOME is set
};
const char* describe(store_errc e) noexcept;
const std::error_category& store_category() noexcept;  // name "state"
inline std::error_code make_error_code(store_errc e) noexcept { return {static_cast<int>(e), store_category()}; }

// --- The codec ---
//
// "# natpunch state 1", then one record per line: its kind (mapping, pinhole, gateway) and its fields in
// the order of the structs above, tab-separated (protocol as pcp|natpmp|upnp, transport as tcp|udp).
// Lines starting with '#' and empty lines are comments. A line that is not exactly right (a field
// missing or extra, out of range, or not in the one spelling natpunch writes) is skipped and counted,
// never fatal, never half-kept; so is an unknown kind (a newer natpunch's; it is lost when this version
// rewrites the file). A later gateway record with the same key replaces an earlier one unless older.
// Empty text: empty contents. Any other text whose first line is not the header: foreign_file (natpunch
// always writes the header, so the file is someone else's). Over max_store_file_bytes: file_too_large.
core::result<store_contents> parse_store(std::string_view text);

// Whether a record would be written and read back as it is: every field in range and in its one
// spelling (IPs canonical and without a zone, URLs http:// printable ASCII, names without controls), and
// the fields of its protocol only.
[[nodiscard]] bool is_valid(const mapping_record& r);
[[nodiscard]] bool is_valid(const pinhole_record& r);
[[nodiscard]] bool is_valid(const gateway_record& r);

struct formatted_store {
  std::string text;
  // Records not written: invalid, past a cap, a gateway key already written by a newer record, or past
  // max_store_file_bytes. parse_store(text) gives exactly the records written, nothing skipped.
  std::size_t dropped = 0;
};
formatted_store format_store(const store_contents& contents);

// Adds or replaces the record for r.gateway (one per key).
void remember_gateway(store_contents& contents, gateway_record r);

// Keeps the store bounded: drops mappings and pinholes whose lifetime ended over store_expiry_grace ago,
// gateway records not confirmed for store_gateway_max_age, a gateway key's older duplicates and records
// that could not be written (!is_valid), then the oldest of each kind past max_store_records. Returns how
// many were dropped.
std::size_t trim_store(store_contents& contents, std::int64_t now);

// --- The file ---

// This host's clock in unix seconds: what records' `since` counts in.
std::int64_t unix_now();

// $NATPUNCH_STATE_DIR, else $XDG_STATE_HOME/natpunch, else $HOME/.local/state/natpunch (an empty or, for
// XDG_STATE_HOME, relative value counts as unset, as the XDG base directory spec says). None when none is
// set. The file is `state` in it. The CLI's old `pinholes` file there is not migrated: pinholes expire
// within their lifetime, and `pinhole list` only lost the ones added before the upgrade.
std::optional<std::filesystem::path> store_directory();

// An exclusive flock on `state.lock` for one read-modify-write; released when destroyed.
class store_lock {
 public:
  store_lock(store_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  store_lock& operator=(store_lock&&) = delete;
  ~store_lock();

 private:
  friend class state_store;
  explicit store_lock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

// The state file of one directory. Every operation opens the directory afresh, component by
// component: the components natpunch manages (the whole of `directory` given here except its parent;
// for open_default the part below $HOME, $XDG_STATE_HOME or $NATPUNCH_STATE_DIR's parent) are never
// followed through a symlink, missing ones are made 0700, and the final directory must be owned by the
// effective user and not writable by group or others (unsafe_directory). Running as root with a user's
// $HOME, natpunch so never writes through the user's links. Not for concurrent use by several threads;
// several processes are fine (the lock).
class state_store {
 public:
  explicit state_store(std::filesystem::path directory);
  // store_directory(), checked now when it exists (and again by every operation).
  static core::result<state_store> open_default();

  [[nodiscard]] std::filesystem::path directory() const { return base_ / below_; }
  [[nodiscard]] std::filesystem::path file() const { return directory() / "state"; }
  // After an error: the path it concerns (the refused directory component, the file, the lock), for
  // the message; empty after a success.
  [[nodiscard]] const std::filesystem::path& failed_path() const noexcept { return failed_path_; }

  // The records, without the lock (the file is only ever replaced whole). A missing directory or file:
  // empty. Errors: store_errc (foreign_file, not_regular_file, file_too_large, unsafe_directory) or the
  // system's.
  core::result<store_contents> load() const;
  // Under the lock: load, change, trim_store at now(), write to a new file (0600, random name, fsync)
  // and rename it over the old one (then fsync the directory). `change` runs inside the lock: it must
  // only edit the contents (no gateway call). Returns what was saved; its `skipped` counts the lines
  // skipped when loading plus the records not written because invalid (a gateway's UDN with a newline,
  // say) or past the byte cap. A foreign file is left untouched.
  core::result<store_contents> update(const std::function<void(store_contents&)>& change);
  // The lock alone (update takes it itself). Errors: locked after lock_wait, not_regular_file.
  core::result<store_lock> lock() const;

  // Unix time for trimming (tests set a fixed clock) and how long to wait for another holder's lock.
  void set_clock(std::function<std::int64_t()> now) { now_ = std::move(now); }
  void set_lock_wait(std::chrono::milliseconds wait) noexcept { lock_wait_ = wait; }

 private:
  state_store(std::filesystem::path base, std::filesystem::path below);

  std::filesystem::path base_;   // followed as the user gave it
  std::filesystem::path below_;  // natpunch's part: no symlinks
  std::function<std::int64_t()> now_;
  std::chrono::milliseconds lock_wait_ = std::chrono::seconds(2);
  mutable std::filesystem::path failed_path_;
};

}  // namespace natpunch::portmap

template <>
struct std::is_error_code_enum<natpunch::portmap::store_errc> : std::true_type {};
