// The mapping manager: the one-shot operations a user runs (add, delete by port, list, delete all),
// with the record of what natpunch made (store.hpp) so that a mapping is named by its port whatever
// protocol made it, a second add renews the same mapping (PCP: same nonce; same external port), and
// the next command goes straight to the protocol and IGD that served this gateway last.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include "natpunch/core/result.hpp"
#include "natpunch/portmap/gateway.hpp"
#include "natpunch/portmap/keeper.hpp"
#include "natpunch/portmap/mapper.hpp"
#include "natpunch/portmap/store.hpp"

namespace natpunch::portmap {

struct manager_options {
  protocol_choice choice = protocol_choice::automatic;
  std::chrono::milliseconds deadline{std::chrono::seconds(10)};  // each operation, fallbacks included
  // The record; none: nothing remembered (a program that keeps its own state).
  std::optional<state_store> store;
  trace_handler trace;  // what auto saw, for -v
  // Makes the adapters (tests give fakes); none: the real ones. `known`: UPnP's remembered IGD.
  std::function<std::shared_ptr<mapper>(protocol, const mapping_request&, std::optional<known_igd>)> make;
  // A problem with the record is never fatal (the gateway holds the truth): it is reported here.
  std::function<void(const std::string& what, const std::error_code& ec)> on_store_error;
};

// A recorded mapping, as `list` shows it.
struct held_mapping {
  mapping_record record;
  std::int64_t expires_in = 0;    // seconds left by this host's clock (0: expired); -1: permanent
  bool this_gateway = false;      // made through the gateway in use now
  // Asked of the gateway (UPnP can tell): true held, false gone (and forgotten); none: not asked or
  // the protocol cannot tell without renewing.
  std::optional<bool> held;
};

class manager {
 public:
  manager(asio::any_io_executor executor, gateway gw, manager_options options);

  // Creates the mapping, or renews the one recorded for the same transport and internal port on this
  // gateway (same protocol, same nonce, same external port), and records it. `request.nonce` (--nonce)
  // overrides the record. The mapper stays available (mapper()) for a keeper or an undo.
  asio::awaitable<core::result<mapping>> async_add(mapping_request request);
  // Whether the last add's mapping is in the record (else only its nonce, for PCP, names it later).
  [[nodiscard]] bool recorded() const { return recorded_; }
  // The mapper the last add used (null before any).
  [[nodiscard]] mapper* last_mapper() const { return mapper_.get(); }
  // Records (or re-records) a mapping: after a renewal by a keeper. False when the record could not
  // be written (on_store_error said why), or there is none.
  bool record(const mapping& m, const std::string& description);
  // Forgets the record of `m` (after a keeper removed it).
  void forget(const mapping& m);

  // Deletes the recorded mappings of (transport, internal port) on this gateway, whatever protocol made
  // them (`external_port`: only that one), and forgets each one deleted or found gone. With an explicit
  // protocol and nothing recorded, deletes as that protocol names mappings (NAT-PMP: by internal port,
  // UPnP: by external port; PCP needs request.nonce). Returns what was deleted. Errors: errc::not_recorded,
  // or the gateway's answer (what was deleted before it stays deleted and forgotten).
  asio::awaitable<core::result<std::vector<mapping_record>>> async_remove(const mapping_request& request);
  // Deletes every mapping recorded on this gateway (what an earlier natpunch killed by SIGKILL or a
  // power cut left behind). Returns those deleted; `failed` gets those that could not be.
  asio::awaitable<std::vector<mapping_record>> async_remove_all(std::vector<std::pair<mapping_record, std::error_code>>& failed);

  // Every recorded mapping (all gateways), expired ones dropped from the record.
  core::result<std::vector<held_mapping>> held();
  // held(), and each UPnP mapping on this gateway asked of the gateway: one it no longer holds is
  // marked gone and forgotten. A gateway that does not answer leaves `held` unknown.
  asio::awaitable<core::result<std::vector<held_mapping>>> async_list();

  [[nodiscard]] const gateway& gateway_in_use() const { return gw_; }
  // The key of this gateway in the record ("" when there is none): the NAT-PMP/PCP gateway's address,
  // else the IPv4 default gateway's.
  [[nodiscard]] std::string gateway_key() const;

 private:
  std::shared_ptr<mapper> make_mapper(protocol p, const mapping_request& r, std::optional<known_igd> known) const;
  [[nodiscard]] bool on_this_gateway(const mapping_record& r, const store_contents& c) const;
  std::optional<store_contents> load();
  bool update(const std::function<void(store_contents&)>& change);
  asio::awaitable<core::result<void>> remove_one(const mapping_record& r, const store_contents& c);
  // The adapter that names recorded mapping `r` (PCP: its nonce; UPnP: its remembered IGD).
  std::shared_ptr<mapper> mapper_for(const mapping_record& r, const store_contents& c) const;
  // Drops these records (as they were read) from the record.
  void forget_records(const std::vector<mapping_record>& records);

  asio::any_io_executor ex_;
  gateway gw_;
  manager_options options_;
  std::shared_ptr<mapper> mapper_;
  bool recorded_ = false;
};

// A mapping as a record (the description is UPnP's label).
mapping_record to_record(const mapping& m, const std::string& description);

}  // namespace natpunch::portmap
