// Writes a seed corpus for the packet fuzz targets: valid frames of every shape the
// parsers know (VLAN, QinQ, ARP, IPv4 with options, IPv6 with extension headers,
// fragments, VXLAN over IPv4/IPv6), one file each, so libFuzzer starts deep.
//   ./packet_seeds CORPUS_DIR && ./packet_parse_fuzz CORPUS_DIR
#include <cstdio>
#include <string>
#include <vector>

#include "packet/builder.h"
#include "packet/tcp.h"

using namespace vgw;
using namespace vgw::packet;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const auto a = *MacAddress::parse("02:00:00:00:00:0a");
  const auto b = *MacAddress::parse("02:00:00:00:00:0b");
  const auto v4a = *IpAddress::parse("10.0.0.1");
  const auto v4b = *IpAddress::parse("10.0.0.2");
  const auto v6a = *IpAddress::parse("2001:db8::1");
  const auto v6b = *IpAddress::parse("2001:db8::2");
  auto tcp = PacketBuilder().eth(b, a).ipv4(v4a, v4b).tcp(1, 2, kTcpSyn, 3).payload(8).build();
  auto v6udp = PacketBuilder().eth(b, a).vlan(5).ipv6(v6a, v6b).udp(7, 8).payload(8).build();
  const std::vector<uint8_t> hbh = {17, 0, 1, 4, 0, 0, 0, 0, 0, 1, 0, 2, 0, 8, 0, 0};
  const std::vector<uint8_t> frag = {17, 0, 0, 1, 0, 0, 0, 9, 0, 1, 0, 2, 0, 8, 0, 0};
  std::vector<std::vector<uint8_t>> seeds = {
      tcp,
      v6udp,
      PacketBuilder().eth(b, a).qinq(1).vlan(2).arp_request(a, v4a, v4b).build(),
      PacketBuilder().eth(b, a).ipv4(v4a, v4b).icmp_echo(1, 1).build(),
      PacketBuilder().eth(b, a).ipv6(v6a, v6b).icmpv6_echo(1, 1).build(),
      PacketBuilder().eth(b, a).ipv6(v6a, v6b).ip_protocol(0).payload(hbh).build(),
      PacketBuilder().eth(b, a).ipv6(v6a, v6b).ip_protocol(44).payload(frag).build(),
      PacketBuilder().eth(b, a).ipv4(v4a, v4b).udp(1, 4789).vxlan(100).inner(tcp).build(),
      PacketBuilder().eth(b, a).vlan(9).ipv6(v6a, v6b).udp(1, 4789).vxlan(1).inner(v6udp).build(),
  };
  // IPv4 with 4 bytes of options (IHL 6) under VXLAN.
  auto opts = PacketBuilder()
                  .eth(b, a)
                  .ipv4(v4a, v4b)
                  .ip_protocol(17)
                  .payload(std::vector<uint8_t>{1, 1, 1, 0})
                  .build();
  opts[14] = 0x46;
  seeds.push_back(opts);
  for (size_t i = 0; i < seeds.size(); ++i) {
    std::string path = std::string(argv[1]) + "/seed_" + std::to_string(i);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(seeds[i].data(), 1, seeds[i].size(), f) != seeds[i].size()) {
      std::perror(path.c_str());
      return 1;
    }
    std::fclose(f);
  }
  return 0;
}
