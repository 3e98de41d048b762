#!/usr/bin/python3
"""A BGP speaker that feeds N EVPN type-2 routes (RFC 7432 §7.2, VXLAN per RFC 8365)
to one peer as fast as the socket takes them; the route generator of
bench/evpn_ingest.sh.

Every UPDATE is built before the session opens (so the Python is not what is
measured): ORIGIN, empty AS_PATH, LOCAL_PREF (iBGP), the route target and the
VXLAN encapsulation extended communities, and MP_REACH_NLRI packed with as many
MAC-only type-2 NLRIs (RD next-hop:1, VNI as label) as fit in 4096 bytes. Then it
connects (or accepts), exchanges OPENs, sends everything, prints one line
"sent N routes in S s" on stdout, and keeps the session up (keepalives) until
SIGTERM.
"""
import argparse
import ipaddress
import select
import signal
import socket
import struct
import sys
import time

MAX = 4096


def msg(kind: int, body: bytes) -> bytes:
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), kind) + body


def open_msg(asn: int, router_id: str, hold: int) -> bytes:
    caps = b""
    caps += bytes([1, 4]) + struct.pack("!HBB", 25, 0, 70)  # MP: L2VPN EVPN
    caps += bytes([2, 0])  # route refresh
    caps += bytes([65, 4]) + struct.pack("!I", asn)  # 4-octet AS
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn < 65536 else 23456
    body = struct.pack("!BHH", 4, my_as, hold) + ipaddress.IPv4Address(router_id).packed
    return msg(1, body + bytes([len(params)]) + params)


def updates(count: int, next_hop: str, asn: int, vni: int, start: int):
    nh = ipaddress.IPv4Address(next_hop).packed
    rd = struct.pack("!H", 1) + nh + struct.pack("!H", 1)
    rt = bytes([0x00, 0x02]) + struct.pack("!HI", asn & 0xFFFF, vni)
    encap = bytes([0x03, 0x0C, 0, 0, 0, 0, 0, 8])  # VXLAN
    base = (bytes([0x40, 1, 1, 0])  # ORIGIN IGP
            + bytes([0x40, 2, 0])  # AS_PATH empty (iBGP)
            + bytes([0x40, 5, 4]) + struct.pack("!I", 100)  # LOCAL_PREF
            + bytes([0xC0, 16, 16]) + rt + encap)
    label = struct.pack("!I", vni)[1:]
    mp_head = struct.pack("!HBB", 25, 70, 4) + nh + b"\x00"
    per = 2 + 33
    room = MAX - 19 - 4 - len(base) - 4 - len(mp_head)
    per_update = room // per
    out = []
    i = 0
    while i < count:
        n = min(per_update, count - i)
        nlri = bytearray()
        for k in range(start + i, start + i + n):
            mac = struct.pack("!Q", 0x020000000000 | k)[2:]
            nlri += bytes([2, 33]) + rd + b"\x00" * 10 + b"\x00\x00\x00\x00" + b"\x30" + mac \
                + b"\x00" + label
        mp = mp_head + bytes(nlri)
        attrs = base + bytes([0x90, 14]) + struct.pack("!H", len(mp)) + mp
        out.append(msg(2, struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs))
        i += n
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--local", required=True, help="our address (bind, router ID, next hop)")
    ap.add_argument("--peer", required=True)
    ap.add_argument("--asn", type=int, default=65000)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--vni", type=int, default=100)
    ap.add_argument("--start", type=int, default=1, help="first MAC index")
    ap.add_argument("--listen", action="store_true", help="accept instead of connecting")
    ap.add_argument("--hold", type=int, default=180)
    a = ap.parse_args()

    t = time.monotonic()
    stream = updates(a.count, a.local, a.asn, a.vni, a.start)
    print(f"built {len(stream)} UPDATEs ({sum(map(len, stream))} bytes) in "
          f"{time.monotonic() - t:.1f} s", file=sys.stderr, flush=True)

    if a.listen:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.local, 179))
        ls.listen(1)
        while True:
            s, addr = ls.accept()
            if addr[0] == a.peer:
                break
            s.close()
    else:
        while True:
            s = socket.socket()
            s.bind((a.local, 0))
            try:
                s.connect((a.peer, 179))
                break
            except OSError:
                s.close()
                time.sleep(0.5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    keepalive = msg(4, b"")
    s.sendall(open_msg(a.asn, a.local, a.hold))
    buf = b""
    got_open = got_ka = False
    while not got_ka:
        data = s.recv(65536)
        if not data:
            sys.exit("peer closed during the OPEN exchange")
        buf += data
        while len(buf) >= 19:
            length, kind = struct.unpack("!HB", buf[16:19])
            if len(buf) < length:
                break
            if kind == 1:
                got_open = True
                s.sendall(keepalive)
            elif kind == 4 and got_open:
                got_ka = True
            elif kind == 3:
                sys.exit(f"NOTIFICATION {buf[19]}/{buf[20]}")
            buf = buf[length:]

    print("established", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    last_ka = t0
    blob = b"".join(stream)
    s.setblocking(False)
    sent = 0
    while sent < len(blob):
        _, w, _ = select.select([s], [s], [], 1.0)
        try:
            while s.recv(65536):
                pass
        except BlockingIOError:
            pass
        if w:
            try:
                sent += s.send(blob[sent:sent + (1 << 20)])
            except BlockingIOError:
                pass
    print(f"sent {a.count} routes in {time.monotonic() - t0:.2f} s", flush=True)

    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    s.setblocking(True)
    s.settimeout(1.0)
    while not stop:
        if time.monotonic() - last_ka > a.hold / 3 / 2:
            s.sendall(keepalive)
            last_ka = time.monotonic()
        try:
            if not s.recv(65536):
                break
        except socket.timeout:
            pass
        except OSError:
            break
    s.close()


if __name__ == "__main__":
    main()
