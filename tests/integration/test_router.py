"""Issue 3: the virtual router, proven in network namespaces.

    h1 --p1-+  (blue a, VNI 100)                              (VNI 200)
    h3 --p3-+  (blue b, VNI 200)                                  +--k2-- h2
    ox --p4-+  (blue out, no VNI)  [gw: vgwd] u2 == underlay == u1 [kv: vxlan200 + br0]
    r1 --p5-+  (red ra, VNI 300)
    r3 --p6-+  (red rb, VNI 400)

Tenant blue: router blue-rtr with 10.0.0.1/24 in a, 10.0.1.1/24 in b, 172.16.0.2/30 in
out, and a default route via ox (172.16.0.1, which also holds 203.0.113.1: "the world").
h2 sits in network b behind a Linux kernel VTEP (vxlan + bridge): routed by vgw, bridged
over the tunnel. Tenant red: router red-rtr with the SAME subnets (10.0.0.0/24 in ra,
10.0.1.0/24 in rb) and hosts with the same addresses as h1 and h3: r1 10.0.0.10, r3
10.0.1.30. Every host's default gateway is its router interface.

The proofs: ping and iperf3 h1 <-> h3 through the router; h1 <-> h2 across the tunnel;
tenants isolated (a crossing attempt fails, and the other tenant's twin sees nothing);
outside and back; ARP suppression (h3's ARP request for h2 answered by vgw, no ARP on the
underlay); traceroute shows the router; fragmentation-needed for a DF packet that does
not fit the path; `vgwctl show routes|arp` reflect all of it. IPv6 in tenant blue: ND for
the gateway, routing with the hop limit decremented, fragments routed, packet too big.

Namespaces are named vrt<pid>x<rand>-<role>, so runs of other tests never collide.
"""
from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from scapy.layers.l2 import ARP, Ether

import topo
from conftest import GATEWAY, IO_MODES, require, wait_for

pytestmark = pytest.mark.vgwd

ROLES = ("gw", "kv", "h1", "h2", "h3", "ox", "r1", "r3")
MAC = {
    "h1": "02:00:00:00:01:01",
    "h2": "02:00:00:00:02:02",
    "h3": "02:00:00:00:03:03",
    "ox": "02:00:00:00:0f:0f",
    "r1": "02:00:00:00:a1:01",
    "r3": "02:00:00:00:a3:03",
}
IP = {"h1": "10.0.0.10", "h2": "10.0.1.20", "h3": "10.0.1.30", "ox": "172.16.0.1",
      "r1": "10.0.0.10", "r3": "10.0.1.30"}
PLEN = {"ox": 30}
GATEWAY_IP = {"h1": "10.0.0.1", "h2": "10.0.1.1", "h3": "10.0.1.1", "r1": "10.0.0.1",
              "r3": "10.0.1.1"}
WORLD = "203.0.113.1"  # an address beyond the outside router
# IPv6 in tenant blue (dual stack on a and b; h2 behind the kernel VTEP in b).
IP6 = {"h1": "2001:db8:a::10", "h3": "2001:db8:b::30", "h2": "2001:db8:b::20"}
GATEWAY_IP6 = {"h1": "2001:db8:a::1", "h3": "2001:db8:b::1", "h2": "2001:db8:b::1"}
ROUTER_MAC = {"a": "02:00:5e:00:01:64", "b": "02:00:5e:00:01:c8", "out": "02:00:5e:00:01:ff",
              "ra": "02:00:5e:00:02:64", "rb": "02:00:5e:00:02:c8"}
# Host -> (gateway port, network).
ATTACH = {"h1": ("p1", "a"), "h3": ("p3", "b"), "ox": ("p4", "out"), "r1": ("p5", "ra"),
          "r3": ("p6", "rb")}
UNDERLAY_MTU = 1600  # VXLAN networks then carry 1550-byte IP packets
PREFIX_RE = re.compile(r"^vrt([0-9a-f]+)x[0-9a-f]{4}-(%s)$" % "|".join(ROLES))


def sweep_stale():
    """Deletes namespaces of an earlier, killed run of this file (its pid is gone)."""
    for line in topo.sh(["ip", "netns", "list"]).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        m = PREFIX_RE.match(name)
        if not m or Path(f"/proc/{int(m.group(1), 16)}").exists():
            continue
        for pid in topo.sh(["ip", "netns", "pids", name], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        topo.sh(["ip", "netns", "del", name], check=False)


class RouterFabric(topo.Fabric):
    """The topology above; vgwd handling (start, stop, vgwctl) is topo.Fabric's."""

    def __init__(self, prefix: str, io: str):
        super().__init__(prefix, gateway="vgwd", io=io)
        self.ns = {r: topo.Namespace(prefix + r) for r in ROLES}

    def __getattr__(self, role):
        if role in ROLES:
            return self.ns[role]
        raise AttributeError(role)

    def up(self):
        try:
            for ns in self.ns.values():
                ns.create()
            for host, (port, _) in ATTACH.items():
                self.veth(host, "eth0", "gw", port)
            self.veth("gw", "u2", "kv", "u1", mtu=UNDERLAY_MTU)
            self.veth("h2", "eth0", "kv", "k2")
            for host in MAC:
                ns = self.ns[host]
                ns.ip("link", "set", "eth0", "address", MAC[host])
                ns.ip("addr", "add", f"{IP[host]}/{PLEN.get(host, 24)}", "dev", "eth0")
                ns.ip("link", "set", "eth0", "up")
                if host in GATEWAY_IP:
                    ns.ip("route", "add", "default", "via", GATEWAY_IP[host])
                if host in IP6:
                    for k in ("all", "default", "eth0"):
                        ns.run("sysctl", "-qw", f"net.ipv6.conf.{k}.disable_ipv6=0")
                    ns.ip("-6", "addr", "add", f"{IP6[host]}/64", "dev", "eth0", "nodad")
                    ns.ip("-6", "route", "add", "default", "via", GATEWAY_IP6[host])
            self.ox.ip("addr", "add", f"{WORLD}/32", "dev", "lo")
            self.ox.ip("route", "add", "10.0.0.0/16", "via", "172.16.0.2")
            gw, kv = self.gw, self.kv
            gw.ip("addr", "add", f"{self.gw_ip}/24", "dev", "u2")
            kv.ip("addr", "add", f"{self.kv_ip}/24", "dev", "u1")
            for port, _ in ATTACH.values():
                gw.ip("link", "set", port, "up")
            gw.ip("link", "set", "u2", "up")
            kv.ip("link", "set", "u1", "up")
            kv.ip("link", "add", "br0", "type", "bridge", "mcast_snooping", 0)
            kv.ip("link", "add", "vxlan200", "type", "vxlan", "id", 200, "dstport",
                  topo.VXLAN_PORT, "local", self.kv_ip, "dev", "u1", "srcport", 49152, 65535)
            kv.ip("link", "set", "vxlan200", "mtu", 1500)
            for port in ("vxlan200", "k2"):
                kv.ip("link", "set", port, "master", "br0")
                kv.ip("link", "set", port, "up")
            kv.ip("link", "set", "br0", "up")
            topo.sh(["bridge", "-n", kv.name, "fdb", "append", "00:00:00:00:00:00", "dev",
                     "vxlan200", "dst", self.gw_ip])
        except BaseException:
            self.down()
            raise

    def config(self, underlay_mtu: int = 0) -> dict:
        def net(name, tenant, vni, port, remotes=()):
            n = {"name": name, "tenant": tenant}
            if vni:
                n["vni"] = vni
                n["remotes"] = list(remotes)
            n["attachments"] = [{"port": port}]
            return n

        def iface(network, address):
            return {"network": network, "address": address, "mac": ROUTER_MAC[network]}

        underlay = {"interface": "u2", "io": self.io}
        if underlay_mtu:
            underlay["mtu"] = underlay_mtu
        return {
            "node": {"name": "gw1"},
            "api": {"socket": self.socket},
            "ports": [{"name": port} for port, _ in ATTACH.values()],
            "underlay": underlay,
            "vtep": {"source": self.gw_ip},
            "tenants": [{"name": "blue"}, {"name": "red"}],
            "networks": [
                net("a", "blue", 100, "p1"),
                net("b", "blue", 200, "p3", [self.kv_ip]),
                net("out", "blue", None, "p4"),
                net("ra", "red", 300, "p5"),
                net("rb", "red", 400, "p6"),
            ],
            "routers": [
                {"name": "blue-rtr", "tenant": "blue",
                 "interfaces": [iface("a", "10.0.0.1/24"), iface("b", "10.0.1.1/24"),
                                iface("out", "172.16.0.2/30"), iface("a", "2001:db8:a::1/64"),
                                iface("b", "2001:db8:b::1/64")],
                 "routes": [{"prefix": "0.0.0.0/0", "via": ["172.16.0.1"]}]},
                {"name": "red-rtr", "tenant": "red",
                 "interfaces": [iface("ra", "10.0.0.1/24"), iface("rb", "10.0.1.1/24")]},
            ],
        }


@pytest.fixture(scope="module", params=IO_MODES)
def fabric(request):
    require(GATEWAY == "vgwd", "the router tests ask vgwd")
    require(os.geteuid() == 0, "namespace tests need root")
    require(topo.find_binary("vgwd") is not None, "vgwd is not built")
    require(topo.find_binary("vgwctl") is not None, "vgwctl is not built")
    sweep_stale()
    f = RouterFabric(f"vrt{os.getpid():x}x{random.randrange(0x10000):04x}-", request.param)
    f.up()
    try:
        f.start_vgwd()
    except BaseException:
        f.down()
        raise
    yield f
    try:
        alive = f.vgwd is not None and f.vgwd.poll() is None
        rc = f.stop_vgwd()
        assert alive, f"vgwd died during the tests:\n{f.log_tail()}"
        assert rc == 0, f"vgwd exited {rc} on SIGTERM:\n{f.log_tail()}"
    finally:
        f.down()


def ping(f: RouterFabric, src: str, dst: str, count: int = 3, size: int | None = None,
         df: bool = False, check: bool = False):
    args = ["ping", "-n", "-c", count, "-i", "0.2", "-W", "2"]
    if size is not None:
        args += ["-s", size]
    if df:
        args += ["-M", "do"]
    return f.ns[src].run(*args, dst, check=check)


def reaches(f: RouterFabric, src: str, dst: str, timeout: float = 10.0) -> bool:
    """True once one ping src -> dst is answered (the first waits for ARP on the way)."""
    return bool(wait_for(lambda: ping(f, src, dst, count=1).returncode == 0, timeout=timeout,
                         interval=0.2))


def received(out: str) -> int:
    m = re.search(r"(\d+) received", out)
    return int(m.group(1)) if m else 0


def echo_requests_seen(f: RouterFabric, watcher: str, action, seconds: float = 3.0) -> int:
    """ICMP echo requests arriving at watcher's eth0 while action() runs."""
    s = f.ns[watcher].sniff("eth0", timeout=seconds)
    action()
    n = 0
    for raw in s.frames():
        pkt = Ether(raw)
        if pkt.type == 0x0800 and raw[23] == 1 and raw[34] == 8:  # IPv4, ICMP, echo request
            n += 1
    return n


# -- routing between networks on this gateway ---------------------------------------


def test_router_interface_answers_ping(fabric):
    for host in ("h1", "h3"):
        assert reaches(fabric, host, GATEWAY_IP[host]), f"{host} cannot ping its gateway"


def test_ping_between_networks_through_the_router(fabric):
    assert reaches(fabric, "h1", IP["h3"]), fabric.log_tail()
    for src, dst in (("h1", "h3"), ("h3", "h1")):
        out = ping(fabric, src, IP[dst], count=5).stdout
        assert received(out) == 5, out
        # One hop: the reply's TTL is the sender's 64 less the router's decrement.
        assert re.search(r"ttl=63", out), out


@pytest.mark.parametrize("reverse", [False, True], ids=["h1-to-h3", "h3-to-h1"])
def test_iperf3_through_the_router(fabric, reverse):
    assert reaches(fabric, "h1", IP["h3"])
    server = fabric.h3.popen("iperf3", "-s", "-1", "-p", 5201, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        args = ["iperf3", "-c", IP["h3"], "-p", 5201, "-t", 3, "-J"] + (["-R"] if reverse else [])
        result = {}
        for _ in range(50):  # the server needs a moment to listen
            p = fabric.h1.run("timeout", 20, *args, check=False, timeout=30)
            assert p.returncode != 124, "iperf3 stalled: no result within 20 s"
            result = json.loads(p.stdout) if p.stdout.strip() else {}
            if "connect" not in result.get("error", "") and p.returncode == 0:
                break
            time.sleep(0.1)
        assert "error" not in result, result.get("error")
        got = result["end"]["sum_received"]
        assert got["bytes"] > 0
        assert got["bits_per_second"] > 10e6, f"{got['bits_per_second'] / 1e6:.1f} Mbit/s"
    finally:
        server.kill()
        server.wait()


# -- routed, then bridged over the tunnel (asymmetric IRB) ----------------------------


def test_h1_reaches_h2_behind_the_kernel_vtep(fabric):
    assert reaches(fabric, "h1", IP["h2"], timeout=15), fabric.log_tail()
    out = ping(fabric, "h1", IP["h2"], count=5).stdout
    assert received(out) == 5, out
    out = ping(fabric, "h2", IP["h1"], count=3).stdout
    assert received(out) == 3, out
    # The kernel VTEP learned the router's MAC behind vgw: the router sent h1's packets
    # into VNI 200 with its own source MAC.
    fdb = json.loads(topo.sh(["bridge", "-n", fabric.kv.name, "-j", "fdb", "show", "dev",
                              "vxlan200"]).stdout or "[]")
    assert any(e.get("mac") == ROUTER_MAC["b"] and e.get("dst") == fabric.gw_ip for e in fdb), fdb


# -- tenants ---------------------------------------------------------------------------


def test_tenants_with_the_same_prefix_stay_apart(fabric):
    # Each tenant reaches its own 10.0.1.30; the other tenant's twin sees none of it.
    assert reaches(fabric, "r1", IP["r3"]), fabric.log_tail()
    assert reaches(fabric, "h1", IP["h3"])
    seen_by_h3 = echo_requests_seen(fabric, "h3",
                                    lambda: ping(fabric, "r1", IP["r3"], count=3, check=True))
    assert seen_by_h3 == 0
    seen_by_r3 = echo_requests_seen(fabric, "r3",
                                    lambda: ping(fabric, "h1", IP["h3"], count=3, check=True))
    assert seen_by_r3 == 0
    # Crossing attempts fail: red has no h2 (only blue's b has 10.0.1.20) and no way out.
    for dst in (IP["h2"], IP["ox"], WORLD):
        out = ping(fabric, "r1", dst, count=2)
        assert out.returncode != 0 and received(out.stdout) == 0, out.stdout
    # Each router resolved its own tenant's host.
    arp = fabric.ctl("show", "arp")
    by_tenant = {(e["tenant"], e["ip"]): e["mac"] for e in arp}
    assert by_tenant.get(("red", IP["r3"])) == MAC["r3"], arp
    assert by_tenant.get(("blue", IP["h3"])) == MAC["h3"], arp


# -- the outside world -------------------------------------------------------------------


def test_outside_and_back(fabric):
    assert reaches(fabric, "h1", WORLD), fabric.log_tail()
    for src, dst in (("h1", WORLD), ("h3", IP["ox"]), ("h2", WORLD)):
        out = ping(fabric, src, dst, count=3).stdout
        assert received(out) == 3, f"{src} -> {dst}: {out}"
    # And started from outside: ox reaches the tenant's hosts (two hops for h2's replies).
    for dst in ("h1", "h3", "h2"):
        out = fabric.ox.run("ping", "-n", "-c", 3, "-i", "0.2", "-W", 2, "-I", WORLD, IP[dst],
                            check=False).stdout
        assert received(out) == 3, f"ox -> {dst}: {out}"


# -- ARP suppression ----------------------------------------------------------------------


def test_arp_suppression_answers_locally_and_floods_nothing(fabric):
    # The binding becomes known: the router resolves h2 (and snoops its ARP).
    assert reaches(fabric, "h1", IP["h2"], timeout=15)
    assert wait_for(lambda: any(e["ip"] == IP["h2"] and e["network"] == "b"
                                for e in fabric.ctl("show", "arp", "--network", "b")), timeout=5)
    suppressed = fabric.ctl("show", "counters")["router"]["suppressed"]
    pcap = fabric.workdir / f"underlay-arp-{time.monotonic_ns()}.pcap"
    cap = fabric.gw.popen("tcpdump", "-i", "u2", "--immediate-mode", "-U", "-n", "-w", str(pcap),
                          "udp port 4789", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    assert "listening on" in cap.stderr.readline()
    try:
        # h3 (network b, local) asks who has h2's address, as its kernel would.
        request = Ether(src=MAC["h3"], dst="ff:ff:ff:ff:ff:ff") / ARP(
            op=1, hwsrc=MAC["h3"], psrc=IP["h3"], hwdst="00:00:00:00:00:00", pdst=IP["h2"])
        sniffer = fabric.h3.sniff("eth0", timeout=2.0)
        fabric.h3.send("eth0", [request, request])
        replies = [Ether(raw) for raw in sniffer.frames()]
    finally:
        time.sleep(0.5)
        cap.terminate()
        cap.wait(timeout=10)
    replies = [p for p in replies if ARP in p and p[ARP].op == 2 and p[ARP].psrc == IP["h2"]]
    assert len(replies) >= 1, "no ARP reply for h2"
    for p in replies:
        assert p[ARP].hwsrc == MAC["h2"] and p[ARP].pdst == IP["h3"] and p.dst == MAC["h3"]
    out = topo.sh(["tshark", "-r", str(pcap), "-Y", f"arp.dst.proto_ipv4 == {IP['h2']}",
                   "-T", "fields", "-e", "arp.opcode"]).stdout
    pcap.unlink()
    assert out.strip() == "", f"ARP for h2 crossed the underlay: {out!r}"
    assert fabric.ctl("show", "counters")["router"]["suppressed"] >= suppressed + len(replies)


# -- ICMP errors ----------------------------------------------------------------------------


def test_traceroute_shows_the_router(fabric):
    assert reaches(fabric, "h1", IP["h2"], timeout=15)
    out = fabric.h1.run("traceroute", "-n", "-q", 1, "-w", 2, "-m", 5, IP["h2"], check=False,
                        timeout=60).stdout
    hops = {int(m.group(1)): m.group(2)
            for m in re.finditer(r"^\s*(\d+)\s+(\S+)", out, re.MULTILINE)}
    assert hops.get(1) == GATEWAY_IP["h1"], out
    assert hops.get(2) == IP["h2"], out
    assert reaches(fabric, "h1", WORLD, timeout=15)  # resolved, as h2 was: hops only
    # ICMP echo probes (-I): the world host answers them with echo replies, which its
    # kernel does not rate-limit as it does port-unreachables (icmp_ratelimit).
    out = fabric.h1.run("traceroute", "-I", "-n", "-q", 1, "-w", 2, "-m", 5, WORLD, check=False,
                        timeout=60).stdout
    hops = {int(m.group(1)): m.group(2)
            for m in re.finditer(r"^\s*(\d+)\s+(\S+)", out, re.MULTILINE)}
    assert hops.get(1) == GATEWAY_IP["h1"] and hops.get(2) == WORLD, out


def test_oversized_df_packet_gets_fragmentation_needed(fabric):
    # A smaller underlay MTU leaves VXLAN networks 1400 - 50 = 1350 bytes of IP; a
    # 1500-byte DF packet from h1 to h2 (routed into VNI 200) cannot fit.
    assert reaches(fabric, "h1", IP["h2"], timeout=15)
    small = fabric.write_config(fabric.config(underlay_mtu=1400),
                                str(fabric.workdir / "small-mtu.yaml"))
    fabric.ctl("apply", "-f", small)
    try:
        fabric.h1.ip("route", "flush", "cache")
        pcap = fabric.workdir / f"h1-icmp-{time.monotonic_ns()}.pcap"
        cap = fabric.h1.popen("tcpdump", "-i", "eth0", "--immediate-mode", "-U", "-n", "-w",
                              str(pcap), "icmp", stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        assert "listening on" in cap.stderr.readline()
        out = ping(fabric, "h1", IP["h2"], count=2, size=1472, df=True)
        time.sleep(0.5)
        cap.terminate()
        cap.wait(timeout=10)
        text = out.stdout + out.stderr
        assert received(out.stdout) == 0, text
        assert re.search(r"Frag needed and DF set \(mtu = 1350\)|mtu=1350", text), text
        out = topo.sh(["tshark", "-r", str(pcap), "-Y", "icmp.type == 3 && icmp.code == 4",
                       "-T", "fields", "-E", "separator=/t", "-e", "ip.src", "-e", "ip.dst",
                       "-e", "icmp.mtu"]).stdout
        pcap.unlink()
        # ip.src/ip.dst list the outer header, then the quoted one (h1 -> h2).
        rows = [line.split("\t") for line in out.splitlines() if line.strip()]
        assert rows, "no fragmentation-needed on h1's link"
        assert rows[0] == [f"{GATEWAY_IP['h1']},{IP['h1']}", f"{IP['h1']},{IP['h2']}", "1350"], rows
        # A packet that fits still goes through (1322 + 28 = 1350).
        out = ping(fabric, "h1", IP["h2"], count=2, size=1322, df=True)
        assert received(out.stdout) == 2, out.stdout + out.stderr
        # Without DF the router fragments it (RFC 1812 §5.2.6); h2 reassembles it. A UDP
        # datagram (DF off on the socket), as the answer to a ping would not fit back.
        fragments = fabric.ctl("show", "counters")["router"]["fragments"]
        fabric.h1.ip("route", "flush", "cache")
        rx = fabric.h2.popen(topo.PYTHON, "-c", (
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            "s.bind(('0.0.0.0', 5555)); s.settimeout(8); d, a = s.recvfrom(65535); "
            "print(len(d), d == bytes(range(256)) * 5 + bytes(192), a[0])"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        fabric.h1.run(topo.PYTHON, "-c", (
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            "s.setsockopt(socket.IPPROTO_IP, 10, 0); "  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
            f"s.sendto(bytes(range(256)) * 5 + bytes(192), ('{IP['h2']}', 5555))"))
        got, err = rx.communicate(timeout=15)
        assert got.split() == ["1472", "True", IP["h1"]], got + err + str(fabric.drops())
        assert fabric.ctl("show", "counters")["router"]["fragments"] >= fragments + 2
    finally:
        fabric.ctl("apply", "-f", fabric.write_config())
        fabric.h1.ip("route", "flush", "cache")


# -- IPv6 ----------------------------------------------------------------------------------


def test_ipv6_routing_ping_and_hop_limit(fabric):
    """ND for the gateway (NS -> NA), echo to it, routing between networks and across the
    tunnel with the hop limit decremented once."""
    assert reaches(fabric, "h1", GATEWAY_IP6["h1"]), fabric.log_tail()
    for dst in ("h3", "h2"):
        assert reaches(fabric, "h1", IP6[dst], timeout=15), f"h1 -> {dst}\n{fabric.log_tail()}"
        out = ping(fabric, "h1", IP6[dst], count=3).stdout
        assert received(out) == 3, out
        assert re.search(r"ttl=63", out), out  # one router: 64 - 1
    out = ping(fabric, "h3", IP6["h1"], count=3).stdout
    assert received(out) == 3, out
    # The router's neighbour table holds both hosts, by ND.
    arp = fabric.ctl("show", "arp")
    for host, network in (("h1", "a"), ("h3", "b"), ("h2", "b")):
        assert any(e["ip"] == IP6[host] and e["network"] == network and
                   e["mac"] == MAC[host] for e in arp), (host, arp)
    routes = {r["prefix"] for r in fabric.ctl("show", "routes") if r["router"] == "blue-rtr"}
    assert {"2001:db8:a::/64", "2001:db8:b::/64"} <= routes, routes


def test_ipv6_packet_too_big(fabric):
    """Routers never fragment IPv6 (RFC 8200 §5): a packet that does not fit the egress
    network gets ICMPv6 packet too big with that network's MTU."""
    assert reaches(fabric, "h1", IP6["h2"], timeout=15)
    # Fragments (IPv6 fragment header) are routed like any packet.
    out = ping(fabric, "h1", IP6["h2"], count=2, size=3000)
    assert received(out.stdout) == 2, out.stdout + out.stderr
    small = fabric.write_config(fabric.config(underlay_mtu=1400),
                                str(fabric.workdir / "small-mtu6.yaml"))
    fabric.ctl("apply", "-f", small)
    try:
        pcap = fabric.workdir / f"h1-icmp6-{time.monotonic_ns()}.pcap"
        cap = fabric.h1.popen("tcpdump", "-i", "eth0", "--immediate-mode", "-U", "-n", "-w",
                              str(pcap), "icmp6", stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        assert "listening on" in cap.stderr.readline()
        ping(fabric, "h1", IP6["h2"], count=2, size=1452)  # 1500-byte IPv6 packets
        time.sleep(0.5)
        cap.terminate()
        cap.wait(timeout=10)
        out = topo.sh(["tshark", "-r", str(pcap), "-Y", "icmpv6.type == 2", "-T", "fields",
                       "-e", "ipv6.src", "-e", "icmpv6.mtu"]).stdout
        pcap.unlink()
        rows = [line.split("\t") for line in out.splitlines() if line.strip()]
        assert rows, "no packet too big on h1's link"
        assert rows[0][0].split(",")[0] == GATEWAY_IP6["h1"] and rows[0][1] == "1350", rows
        # A packet that fits still goes through (1302 + 8 + 40 = 1350).
        out = ping(fabric, "h1", IP6["h2"], count=2, size=1302)
        assert received(out.stdout) == 2, out.stdout + out.stderr
    finally:
        fabric.ctl("apply", "-f", fabric.write_config())
        fabric.h1.ip("-6", "route", "flush", "cache")


# -- vgwctl show routes | arp ----------------------------------------------------------------


def test_vgwctl_show_routes(fabric):
    routes = fabric.ctl("show", "routes")
    rows = {(r["router"], r["prefix"]): r for r in routes}
    assert rows[("blue-rtr", "10.0.0.0/24")] == {
        "router": "blue-rtr", "tenant": "blue", "prefix": "10.0.0.0/24", "source": "connected",
        "via": [], "network": "a"}
    assert rows[("blue-rtr", "0.0.0.0/0")] == {
        "router": "blue-rtr", "tenant": "blue", "prefix": "0.0.0.0/0", "source": "static",
        "via": ["172.16.0.1"], "network": "out"}
    assert rows[("red-rtr", "10.0.0.0/24")]["network"] == "ra"
    assert ("red-rtr", "0.0.0.0/0") not in rows
    red = fabric.ctl("show", "routes", "--tenant", "red")
    assert red and {r["tenant"] for r in red} == {"red"}
    table = fabric.ctl_raw("show", "routes", json_out=False)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["TENANT", "ROUTER", "PREFIX", "SOURCE", "VIA", "NETWORK"]
    assert any(l.split() == ["blue", "blue-rtr", "0.0.0.0/0", "static", "172.16.0.1", "out"]
               for l in lines), table.stdout
    bad = fabric.ctl_raw("show", "routes", "--tenant", "green")
    assert bad.returncode == 1 and "tenant green: no such tenant" in bad.stderr


def test_vgwctl_show_arp(fabric):
    for host, dst in (("h1", GATEWAY_IP["h1"]), ("h3", GATEWAY_IP["h3"]), ("h1", WORLD)):
        assert reaches(fabric, host, dst)

    def entries():
        return {(e["network"], e["ip"]): e for e in fabric.ctl("show", "arp", "--tenant", "blue")}

    want = {("a", IP["h1"]): MAC["h1"], ("b", IP["h3"]): MAC["h3"], ("out", IP["ox"]): MAC["ox"]}
    wait_for(lambda: all(k in entries() for k in want), timeout=5)
    got = entries()
    for key, mac in want.items():
        assert key in got, got
        e = got[key]
        assert e["mac"] == mac and e["tenant"] == "blue", e
        assert e["state"] in ("reachable", "stale", "permanent"), e
        assert isinstance(e["age"], int) and e["origin"], e
    table = fabric.ctl_raw("show", "arp", "--network", "out", json_out=False)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["TENANT", "NETWORK", "IP", "MAC", "STATE", "ORIGIN", "AGE"]
    assert any(l.split()[:4] == ["blue", "out", IP["ox"], MAC["ox"]] for l in lines[1:]), lines
