// Test configurations shared by the config tests: SPEC's example file verbatim
// (comments included) and a generator of big configurations.
#pragma once

#include <string>

#include "config/config.h"

namespace vgw::config::testing {

// SPEC "The configuration file", copied verbatim.
inline constexpr const char* kSpecExample = R"yaml(node:
  name: gw1
api:
  socket: /run/vgw/vgw.sock        # vgwctl talks here
  http: 127.0.0.1:8080             # JSON API, /metrics, the web page
ports:                             # attachment ports: Linux interfaces vgw takes over
  - name: p2
  - name: trunk0
underlay:
  interface: u2                    # the kernel keeps its address 192.168.1.2/24
  io: xdp                          # xdp | packet | socket (see Underlay below)
  mtu: 1600                        # optional; the interface's MTU otherwise
vtep:
  source: 192.168.1.2              # an address the kernel has on the underlay
  udp-port: 4789
  source-port-range: [49152, 65535]
  allow-unknown-sources: false     # decapsulate only from known remote VTEPs
tenants:
  - name: blue
networks:
  - name: web
    tenant: blue
    vni: 100
    flood: head-end                # head-end | multicast | evpn | none
    remotes: [192.168.1.1]         # static remote VTEPs (head-end list)
    mac-limit: 10000
    ageing: 300
    attachments:
      - port: p2                   # untagged
      - port: trunk0
        vlan: 10                   # VLAN 10 on trunk0 <-> VNI 100
routers:
  - name: blue-rtr
    tenant: blue
    l3-vni: 5000                   # symmetric IRB; optional
    interfaces:
      - network: web
        address: 10.0.0.254/24
        mac: 02:00:5e:00:01:01     # same on every gateway: anycast gateway
    routes:
      - prefix: 0.0.0.0/0
        via: 172.16.0.1
evpn:
  asn: 65000
  router-id: 192.168.1.2
  neighbors:
    - address: 192.168.1.1
      remote-as: 65000
)yaml";

// A valid configuration with n networks spread over tenants, each with a VNI,
// two remotes, an untagged or tagged attachment and a static MAC.
inline Config big_config(size_t n) {
  Config c;
  c.node.name = "big";
  c.node.workers = 4;
  c.underlay.interface = "u2";
  c.vtep.source = *IpAddress::parse("10.255.0.1");
  for (int p = 0; p < 8; ++p) c.ports.push_back(Port{"p" + std::to_string(p), "packet"});
  for (int t = 0; t < 16; ++t) c.tenants.push_back(Tenant{"t" + std::to_string(t)});
  for (size_t i = 0; i < n; ++i) {
    Network net;
    net.name = "net-" + std::to_string(i);
    net.tenant = "t" + std::to_string(i % 16);
    net.vni = static_cast<uint32_t>(1000 + i);
    net.remotes = {IpAddress::v4(0x0a000000u + 2 + static_cast<uint32_t>(i % 200)),
                   IpAddress::v4(0x0a010000u + 2 + static_cast<uint32_t>(i % 100))};
    net.mac_limit = static_cast<uint32_t>(i % 3) * 1000;
    net.ageing = 60 + static_cast<uint32_t>(i % 600);
    net.arp_suppression = i % 2;
    std::string port = "p" + std::to_string(i % 8);
    net.attachments.push_back(Attachment{port, static_cast<uint16_t>(1 + (i / 8) % 4094)});
    StaticMac m;
    m.mac = MacAddress::from_u64(0x020000000000ull + i);
    m.port = port;
    m.vlan = net.attachments[0].vlan;
    net.static_macs.push_back(m);
    c.networks.push_back(std::move(net));
  }
  return c;
}

}  // namespace vgw::config::testing
