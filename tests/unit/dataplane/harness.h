// A data plane over in-memory ports for the dataplane tests: a configuration
// with two networks, three attachment ports and two remote VTEPs, a worker,
// an injectable clock, and helpers to push frames through and read what came out.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "config/config.h"
#include "dataplane/dataplane.h"
#include "dataplane/worker.h"
#include "io/memory_port.h"
#include "packet/builder.h"
#include "packet/flow_hash.h"

namespace vgw::dataplane::testing {

using Bytes = std::vector<uint8_t>;
using packet::PacketBuilder;

inline MacAddress mac(const char* s) {
  return *MacAddress::parse(s);
}
inline IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

// Underlay next hop MACs the fake resolver hands out.
inline const MacAddress kNextHopMac = mac("aa:bb:cc:dd:ee:01");
inline const MacAddress kOurMac = mac("02:00:00:00:00:02");
// Hosts.
inline const MacAddress kH1 = mac("00:00:00:00:01:01");  // behind p0
inline const MacAddress kH2 = mac("00:00:00:00:02:02");  // behind a remote
inline const MacAddress kH3 = mac("00:00:00:00:03:03");  // behind p1 vlan 10
inline const MacAddress kBroadcast = mac("ff:ff:ff:ff:ff:ff");

// web (VNI 100): p0 untagged, p1 VLAN 10, remotes 192.168.1.1 and .3.
// db (VNI 200): p2 untagged, remote 192.168.1.1.
inline config::Config base_config(bool v6 = false) {
  config::Config c;
  c.ports = {{"p0", "memory"}, {"p1", "memory"}, {"p2", "memory"}};
  c.underlay.interface = "u0";
  c.underlay.mtu = 1500;
  c.vtep.source = v6 ? ip("2001:db8::2") : ip("192.168.1.2");
  config::Network web;
  web.name = "web";
  web.tenant = "blue";
  web.vni = 100;
  web.remotes = v6 ? std::vector<IpAddress>{ip("2001:db8::1"), ip("2001:db8::3")}
                   : std::vector<IpAddress>{ip("192.168.1.1"), ip("192.168.1.3")};
  web.attachments = {{"p0", 0}, {"p1", 10}};
  config::Network db;
  db.name = "db";
  db.tenant = "blue";
  db.vni = 200;
  db.remotes = {v6 ? ip("2001:db8::1") : ip("192.168.1.1")};
  db.attachments = {{"p2", 0}};
  c.networks = {web, db};
  return c;
}

inline UnderlayInfo resolving_underlay(bool resolved = true) {
  UnderlayInfo u;
  u.resolve = [resolved](const IpAddress&) { return NextHop{resolved, kNextHopMac, kOurMac}; };
  return u;
}

// An inner Ethernet + IPv4 + UDP frame of 64 bytes (without FCS).
inline Bytes inner_frame(MacAddress dst, MacAddress src, uint16_t sport = 1000) {
  return PacketBuilder()
      .eth(dst, src)
      .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
      .udp(sport, 2000)
      .payload(22)
      .build();
}

// A tagged version of a frame (802.1Q tag after the MACs).
inline Bytes tagged(const Bytes& f, uint16_t vid) {
  Bytes t(f.begin(), f.begin() + 12);
  t.push_back(0x81);
  t.push_back(0x00);
  t.push_back(static_cast<uint8_t>(vid >> 8));
  t.push_back(static_cast<uint8_t>(vid));
  t.insert(t.end(), f.begin() + 12, f.end());
  return t;
}

// A VXLAN frame as a remote VTEP sends it to us.
inline Bytes vxlan_frame(const Bytes& inner, uint32_t vni = 100, const char* src = "192.168.1.1",
                         const char* dst = "192.168.1.2", uint16_t dport = 4789) {
  return PacketBuilder()
      .eth(kOurMac, kNextHopMac)
      .ipv4(ip(src), ip(dst))
      .udp(50000, dport)
      .vxlan(vni)
      .inner(inner)
      .build();
}

struct Harness {
  explicit Harness(config::Config cfg = base_config(), UnderlayInfo u = resolving_underlay(),
                   size_t pool = 1024)
      : dp(DataplaneOptions{{}, 64, [this] { return now; }}) {
    config = cfg;
    Status st = dp.apply(cfg, u);
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    std::vector<std::unique_ptr<Port>> ports;
    for (auto& p : cfg.ports) {
      auto mp = std::make_unique<io::MemoryPort>(p.name);
      mem.push_back(mp.get());
      ports.push_back(std::move(mp));
    }
    auto u0 = std::make_unique<io::MemoryPort>("u0");
    underlay = u0.get();
    worker = std::make_unique<Worker>(dp, std::move(ports), std::move(u0), WorkerOptions{pool, 1});
  }

  // Runs the worker until every injected frame was processed, then applies
  // learn events (as the control thread would).
  void run() {
    while (worker->run_once() != 0) {
    }
    dp.drain_learn();
  }
  void send_local(size_t port, const Bytes& f) {
    mem[port]->inject(f);
    run();
  }
  void send_underlay(const Bytes& f) {
    underlay->inject(f);
    run();
  }
  std::vector<Bytes> out(size_t port) { return mem[port]->take_sent(); }
  std::vector<Bytes> out_underlay() { return underlay->take_sent(); }
  uint64_t drops(Drop d) { return dp.read_counters().drop(d); }
  uint32_t net(const char* name) { return dp.snapshot()->network_by_name(name); }
  uint32_t remote(const char* addr) { return dp.snapshot()->remotes().find(ip(addr)); }
  std::optional<FdbEntryView> fdb(const char* network, MacAddress m) {
    return dp.fdb().get(net(network), m);
  }

  uint32_t now = 1000;
  config::Config config;
  Dataplane dp;
  std::vector<io::MemoryPort*> mem;
  io::MemoryPort* underlay = nullptr;
  std::unique_ptr<Worker> worker;
};

// The outer frame vgw must send for inner to the remote at dst in VNI vni.
inline Bytes expected_encap(const Bytes& inner, uint32_t vni, const char* dst, uint16_t ip_id,
                            bool v6 = false, const char* src = nullptr) {
  uint16_t sport = packet::vxlan_source_port(packet::flow_hash(inner), 49152, 65535);
  PacketBuilder b;
  b.eth(kNextHopMac, kOurMac);
  if (v6)
    b.ipv6(ip(src ? src : "2001:db8::2"), ip(dst)).hop_limit(64);
  else
    b.ipv4(ip(src ? src : "192.168.1.2"), ip(dst)).ttl(64).ip_id(ip_id);
  return b.udp(sport, 4789).vxlan(vni).inner(inner).build();
}

}  // namespace vgw::dataplane::testing
