// PacketBuilder: a fluent builder of whole frames for tests, tools and benchmarks
// (the Katran testing idea), so a test reads like the RFC:
//
//   auto f = PacketBuilder()
//                .eth(remote_vtep_mac, our_mac).ipv4(remote_vtep, us).udp(50000, 4789)
//                .vxlan(100)
//                .inner(PacketBuilder().eth(h2, h1).ipv4(ip2, ip1).icmp_echo(1, 1).build())
//                .build();
//
// Layers are stacked in call order. build() fills every length (IPv4 total length,
// IPv6 payload length, UDP length), every "next protocol" (EtherType, VLAN inner
// type, IPv4 protocol, IPv6 next header) from the layer that follows, and every
// checksum (IPv4 header, TCP, UDP, ICMP, ICMPv6), innermost first.
//
// Modifiers (ttl, df, ip_id, tos, hop_limit, flow_label, udp_checksum, pcp) apply to
// the most recent layer of their kind. Defaults: TTL/hop limit 64, DF clear, IP id 0,
// TOS/traffic class 0. UDP checksum: over IPv6 always computed (mandatory, RFC 8200
// §8.1); over IPv4 computed, except zero when a VXLAN layer follows (RFC 7348 §5
// recommends zero, and vgw sends zero); udp_checksum(bool) overrides either way
// (false over IPv6 builds an invalid frame on purpose). Frames are not padded to 60
// bytes unless pad_to(60) is asked for.
//
// Not for the fast path: it allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/addr.h"

namespace vgw::packet {

class PacketBuilder {
 public:
  PacketBuilder& eth(const MacAddress& dst, const MacAddress& src);
  // EtherType to use when no known layer follows (e.g. eth().ethertype(0x88b5).payload(..)).
  PacketBuilder& ethertype(uint16_t type);
  // An 802.1Q tag (TPID 0x8100); qinq() adds an 802.1ad S-tag (TPID 0x88a8).
  PacketBuilder& vlan(uint16_t vid, uint8_t pcp = 0);
  PacketBuilder& qinq(uint16_t vid, uint8_t pcp = 0);

  // ARP for IPv4 over Ethernet (RFC 826). A request has a zero target MAC.
  PacketBuilder& arp_request(const MacAddress& sender_mac, const IpAddress& sender_ip,
                             const IpAddress& target_ip);
  PacketBuilder& arp_reply(const MacAddress& sender_mac, const IpAddress& sender_ip,
                           const MacAddress& target_mac, const IpAddress& target_ip);

  PacketBuilder& ipv4(const IpAddress& src, const IpAddress& dst);
  PacketBuilder& ttl(uint8_t ttl);  // IPv4 TTL or IPv6 hop limit
  PacketBuilder& hop_limit(uint8_t hops) { return ttl(hops); }
  PacketBuilder& df(bool on = true);
  PacketBuilder& ip_id(uint16_t id);
  PacketBuilder& tos(uint8_t tos);            // IPv4 TOS or IPv6 traffic class
  PacketBuilder& ip_protocol(uint8_t proto);  // when no known layer follows
  PacketBuilder& ipv6(const IpAddress& src, const IpAddress& dst);
  PacketBuilder& flow_label(uint32_t label);

  PacketBuilder& udp(uint16_t sport, uint16_t dport);
  PacketBuilder& udp_checksum(bool on);
  PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack = 0,
                     uint16_t window = 65535);
  // ICMPv4 echo request (or reply) with identifier and sequence number.
  PacketBuilder& icmp_echo(uint16_t id, uint16_t seq, bool reply = false);
  // Any ICMPv4 message: type, code and the 4 "rest of header" bytes (host order).
  PacketBuilder& icmp(uint8_t type, uint8_t code, uint32_t rest = 0);
  PacketBuilder& icmpv6_echo(uint16_t id, uint16_t seq, bool reply = false);
  PacketBuilder& icmpv6(uint8_t type, uint8_t code, uint32_t rest = 0);

  // VXLAN header: flags 0x08, VNI, reserved zero. The next layer is the inner frame.
  PacketBuilder& vxlan(uint32_t vni);
  // VXLAN header with arbitrary flags (e.g. 0 to test "I flag clear").
  PacketBuilder& vxlan_raw(uint8_t flags, uint32_t vni);

  // Raw bytes as the next layer: an inner frame after vxlan(), or any payload.
  PacketBuilder& inner(std::span<const uint8_t> frame) { return payload(frame); }
  PacketBuilder& payload(std::span<const uint8_t> bytes);
  // n bytes of the pattern 0, 1, 2, ... 255, 0, 1, ...
  PacketBuilder& payload(size_t n);
  // Pads the whole frame with zeros to at least n bytes (after lengths are computed,
  // like Ethernet padding: it is not counted in IP or UDP lengths).
  PacketBuilder& pad_to(size_t n);

  std::vector<uint8_t> build() const;

 private:
  enum class Kind : uint8_t { eth, vlan, arp, ipv4, ipv6, udp, tcp, icmp, icmpv6, vxlan, raw };
  struct Layer {
    Kind kind = Kind::raw;
    std::vector<uint8_t> bytes;             // the header as built so far (or the raw payload)
    std::optional<uint16_t> explicit_type;  // ethertype() / ip_protocol(); unset = derive
    uint16_t tpid = 0;                      // vlan layers: the TPID the layer before must carry
    std::optional<bool> udp_csum;           // udp_checksum() override
  };
  Layer* last(Kind k);
  Layer* last_ip();
  PacketBuilder& push(Kind k, std::vector<uint8_t> bytes);

  std::vector<Layer> layers_;
  size_t pad_to_ = 0;
};

}  // namespace vgw::packet
