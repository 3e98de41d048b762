// io_drain: how fast one worker drains frames from an interface with each
// receive backend (a figure, not a test). Opens one port on IFNAME (AF_XDP with
// the attachment-port program, or AF_PACKET TPACKET_V3), receives in batches of
// kBatchSize for WARMUP + SECONDS seconds, and prints the packets received per
// second over the last SECONDS. Run it where something blasts frames at the
// interface (bench/io_drain.sh does both in namespaces, against trafgen).
// packet-fanout is packet in a PACKET_FANOUT_HASH group of one, as vgwd opens
// AF_PACKET ports: the group hashes every frame on the sender's CPU.
//   vgw_io_drain xdp|xdp-generic|packet|packet-fanout IFNAME [SECONDS=5] [WARMUP=1]
#include <net/if.h>
#include <poll.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "io/af_packet_port.h"
#include "io/af_xdp_port.h"

using namespace vgw;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s xdp|xdp-generic|packet|packet-fanout IFNAME [SECONDS=5] [WARMUP=1]\n",
                 argv[0]);
    return 2;
  }
  std::string mode = argv[1], ifname = argv[2];
  double seconds = argc > 3 ? std::atof(argv[3]) : 5.0;
  double warmup = argc > 4 ? std::atof(argv[4]) : 1.0;
  // VGW_DRAIN_SPIN=1: never sleep in poll() (a busy worker), so the sender's CPU
  // does no wakeups.
  const char* spin_env = std::getenv("VGW_DRAIN_SPIN");
  bool spin = spin_env && std::string(spin_env) == "1";

  std::shared_ptr<io::XdpProgram> program;
  std::unique_ptr<Port> port;
  if (mode == "xdp" || mode == "xdp-generic") {
    io::XdpProgramOptions po{.ifname = ifname};
    if (mode == "xdp-generic") po.mode = io::XdpAttachMode::kGeneric;
    auto prog = io::XdpProgram::attach(po);
    if (!prog) {
      std::fprintf(stderr, "%s\n", prog.error().message.c_str());
      return 1;
    }
    program = *prog;
    io::AfXdpOptions o;
    o.ifname = ifname;
    o.program = program;
    auto p = io::AfXdpPort::open(o);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      return 1;
    }
    std::fprintf(stderr, "af_xdp: %s XDP, %s\n", program->native() ? "native" : "generic",
                 (*p)->zero_copy() ? "zero-copy" : "copy");
    port = std::move(*p);
  } else if (mode == "packet" || mode == "packet-fanout") {
    io::AfPacketOptions o;
    o.ifname = ifname;
    if (mode == "packet-fanout")
      o.fanout_group = io::fanout_group_for(static_cast<int>(if_nametoindex(ifname.c_str())));
    auto p = io::AfPacketPort::open(o);
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      return 1;
    }
    port = std::move(*p);
  } else {
    std::fprintf(stderr, "mode must be xdp, xdp-generic, packet or packet-fanout\n");
    return 2;
  }

  PacketPool pool(4 * kBatchSize);
  std::array<Packet*, kBatchSize> out{};
  auto start = Clock::now();
  auto measure_from =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  auto end = measure_from +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  uint64_t at_start = 0, total = 0, polls = 0;
  bool measuring = false;
  for (;;) {
    uint32_t n = port->receive(pool, out);
    for (uint32_t i = 0; i < n; ++i) out[i]->release();
    total += n;
    if (n == 0 && !spin) {
      pollfd pfd{port->poll_fd(), POLLIN, 0};
      poll(&pfd, 1, 1);
      ++polls;
    }
    auto now = Clock::now();  // once per batch: a vDSO read
    if (!measuring && now >= measure_from) {
      measuring = true;
      at_start = total;
    }
    if (now >= end) break;
  }
  uint64_t got = total - at_start;
  PortStats st = port->stats();
  std::printf(
      "%s %s: %.0f pps received (%lu frames in %.1f s; port rx_dropped %lu, idle polls %lu)\n",
      mode.c_str(), ifname.c_str(), static_cast<double>(got) / seconds,
      static_cast<unsigned long>(got), seconds, static_cast<unsigned long>(st.rx_dropped),
      static_cast<unsigned long>(polls));
  return 0;
}
