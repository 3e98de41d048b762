#!/usr/bin/python3
"""Raw frame I/O inside a network namespace, for the integration tests.

Run as `ip netns exec NS /usr/bin/python3 nsio.py send|sniff ...`. Standard library
only (AF_PACKET sockets), so it starts fast and needs nothing in the namespace. The
tests build frames with scapy in the pytest process and hand raw bytes (hex) here.

  send IFACE [--interval S] HEX...      sends each frame once, in order
  sniff IFACE --timeout S [--count N]   prints "ready" on stderr once the socket is
                                        bound, then a JSON list of received frames
                                        ({"hex":..., "pkttype":...}) on stdout

Received frames get their 802.1Q tag put back: veth hands a tag to the stack as
metadata (VLAN offload), and AF_PACKET reports it in PACKET_AUXDATA.
"""
import argparse
import json
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
PACKET_OUTGOING = 4


def cmd_send(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((args.iface, 0))
    for i, h in enumerate(args.frames):
        if i and args.interval:
            time.sleep(args.interval)
        s.send(bytes.fromhex(h))
    s.close()


def with_tag(frame, aux):
    # struct tpacket_auxdata: u32 status, len, snaplen; u16 mac, net, vlan_tci, vlan_tpid
    status, _, _, _, _, tci, tpid = struct.unpack("=IIIHHHH", aux[:20])
    if not status & TP_STATUS_VLAN_VALID and tci == 0:
        return frame
    if not status & TP_STATUS_VLAN_TPID_VALID:
        tpid = 0x8100
    return frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]


def cmd_sniff(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((args.iface, 0))
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    out = []
    deadline = time.monotonic() + args.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or (args.count and len(out) >= args.count):
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(32))
        if addr[2] == PACKET_OUTGOING and not args.outgoing:
            continue
        for level, typ, val in anc:
            if level == SOL_PACKET and typ == PACKET_AUXDATA:
                data = with_tag(data, val)
        out.append({"hex": data.hex(), "pkttype": addr[2]})
    json.dump(out, sys.stdout)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("send")
    ps.add_argument("iface")
    ps.add_argument("--interval", type=float, default=0.0)
    ps.add_argument("frames", nargs="+")
    pn = sub.add_parser("sniff")
    pn.add_argument("iface")
    pn.add_argument("--timeout", type=float, required=True)
    pn.add_argument("--count", type=int, default=0)
    pn.add_argument("--outgoing", action="store_true")
    args = p.parse_args()
    {"send": cmd_send, "sniff": cmd_sniff}[args.cmd](args)


if __name__ == "__main__":
    main()
