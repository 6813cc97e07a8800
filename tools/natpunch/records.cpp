// delete and list: the commands that work from natpunch's record of the mappings it made.
#include <iostream>

#include "commands.hpp"
#include "natpunch/core/error.hpp"
#include "natpunch/portmap/error.hpp"
#include "natpunch/portmap/manager.hpp"
#include "output.hpp"

namespace natpunch::cli {
namespace {

using portmap::protocol;

void print_deleted(const invocation& inv, const portmap::mapping_record& r) {
  const auto name = portmap::to_string(r.proto);
  if (inv.options.json) {
    json_object o;
    o.add("protocol", name)
        .add("deleted", true)
        .add("internal_port", std::int64_t{r.internal_port})
        .add("external_port", std::int64_t{r.external_port})
        .add("transport", core::to_string(r.transport))
        .add("gateway", r.gateway);
    if (!r.nonce.empty()) o.add("nonce", r.nonce);
    std::cout << o.str() << std::endl;
  } else if (r.proto == protocol::upnp) {
    std::cout << "deleted " << core::to_string(r.transport) << " mapping of external port " << r.external_port
              << " (upnp, gateway " << r.gateway << ")" << std::endl;
  } else {
    std::cout << "deleted " << core::to_string(r.transport) << " mapping of port " << r.internal_port << " (" << name
              << ", gateway " << r.gateway << ")" << std::endl;
  }
}

asio::awaitable<int> run_delete_all(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  auto manager = make_manager(inv, gw, ex);
  std::vector<std::pair<portmap::mapping_record, std::error_code>> failed;
  const auto done = co_await manager.async_remove_all(failed);
  for (const auto& r : done) print_deleted(inv, r);
  for (const auto& [r, ec] : failed) {
    print_error(inv.options.json,
                "delete " + std::to_string(r.internal_port) + "/" + std::string(core::to_string(r.transport)) + " on " +
                    r.gateway + " (" + std::string(portmap::to_string(r.proto)) + ")",
                ec);
  }
  if (!inv.options.json) {
    std::cout << done.size() << " recorded mapping(s) deleted" << (failed.empty() ? "" : ", " + std::to_string(failed.size()) + " could not be")
              << std::endl;
  }
  co_return failed.empty() ? exit_ok : exit_status_for(failed.front().second);
}

}  // namespace

asio::awaitable<int> run_delete(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  const auto& cmd = inv.cmd;
  if (cmd.all) co_return co_await run_delete_all(inv, gw, ex);
  const bool upnp = inv.options.protocol == protocol_choice::upnp;
  if (upnp && cmd.nonce) {
    std::cerr << "natpunch: --nonce is for PCP; UPnP deletes by external port\n";
    co_return exit_usage;
  }
  if (inv.options.protocol == protocol_choice::natpmp && cmd.nonce) {
    std::cerr << "natpunch: --nonce is for PCP; NAT-PMP deletes by internal port alone\n";
    co_return exit_usage;
  }
  auto request = request_for(cmd);
  // --nonce names a PCP mapping whether recorded or not.
  invocation named_inv = inv;
  if (cmd.nonce && inv.options.protocol == protocol_choice::automatic) named_inv.options.protocol = protocol_choice::pcp;
  auto manager = make_manager(named_inv, gw, ex);
  auto removed = co_await manager.async_remove(request);
  if (!removed) {
    if (removed.error() == portmap::errc::not_recorded) {
      std::cerr << "natpunch: delete " << spec_of(cmd.ports) << ": natpunch recorded no such mapping on this gateway"
                << " (`natpunch list` shows what it holds).\nA mapping made by another program: name its protocol,\n"
                   "  natpunch --protocol upnp delete "
                << spec_of(cmd.ports) << "      (UPnP: by external port)\n  natpunch --protocol natpmp delete "
                << spec_of(cmd.ports) << "    (NAT-PMP: by internal port)\n  natpunch delete " << spec_of(cmd.ports)
                << " --nonce HEX     (PCP: by its nonce)\n";
      co_return exit_usage;
    }
    const auto* m = manager.last_mapper();
    print_error(inv.options.json, "delete " + spec_of(cmd.ports) + (m ? " on " + named(*m) : std::string()), removed.error(),
                m ? m->gateway_text() : std::string());
    co_return exit_status_for(removed.error());
  }
  for (const auto& r : *removed) print_deleted(inv, r);
  co_return exit_ok;
}

// list: what natpunch recorded, on every protocol.
asio::awaitable<int> run_list_recorded(const invocation& inv, const portmap::gateway& gw, asio::any_io_executor ex) {
  auto manager = make_manager(inv, gw, ex);
  auto held = co_await manager.async_list();
  if (!held) {
    print_error(inv.options.json, "reading the record of mappings", held.error());
    co_return exit_status_for(held.error());
  }
  for (const auto& h : *held) {
    const auto& r = h.record;
    if (inv.options.json) {
      json_object o;
      o.add("protocol", portmap::to_string(r.proto))
          .add("gateway", r.gateway)
          .add("external_ip", r.external_ip)
          .add("external_port", std::int64_t{r.external_port})
          .add("internal_ip", r.internal_ip)
          .add("internal_port", std::int64_t{r.internal_port})
          .add("transport", core::to_string(r.transport))
          .add("lifetime", std::int64_t{r.lifetime})
          .add("expires_in", h.expires_in)
          .add("this_gateway", h.this_gateway);
      if (h.held) o.add("held", *h.held);
      if (!r.nonce.empty()) o.add("nonce", r.nonce);
      if (!r.igd.empty()) o.add("igd", r.igd);
      if (!r.description.empty()) o.add("description", r.description);
      std::cout << o.str() << "\n";
    } else {
      std::cout << "  " << core::to_string(r.transport) << " " << r.external_ip << ":" << r.external_port << " -> "
                << r.internal_ip << ":" << r.internal_port << "  "
                << (h.expires_in < 0 ? std::string("permanent") : "expires in " + std::to_string(h.expires_in) + " s")
                << "  (" << portmap::to_string(r.proto) << ", gateway " << r.gateway << (h.this_gateway ? "" : ", another network")
                << ")" << (h.held == false ? "  GONE: the gateway no longer holds it (forgotten)" : "") << "\n";
    }
  }
  if (!inv.options.json) std::cout << held->size() << " mapping(s) made by natpunch on this host\n";
  std::cout.flush();
  co_return exit_ok;
}

}  // namespace natpunch::cli
