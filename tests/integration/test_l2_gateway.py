"""Issue 2, proven in namespaces: h1 -- vgwd == underlay == kernel VXLAN + bridge -- h2.

Each test runs once per underlay io mode (`packet`, `socket`) on a module-scoped fabric
(topo.py). `fabric` has the default network (ageing 300 s, no MAC limit, DF clear);
`limits` has ageing 3 s, mac-limit 2 and DF set, for the FDB-limit tests.
Frames are built here with scapy and sent/sniffed inside the namespaces by nsio.py.
"""
import json
import os
import struct
import subprocess
import time

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.packet import Raw

import topo
from conftest import IO_MODES, finish_fabric, make_fabric, wait_for
from topo import HOST_IP, MAC

EXPERIMENTAL = 0x88B5  # IEEE local experimental EtherType: no host stack answers it
LIMITS = {"ageing": 3, "mac_limit": 2, "df": True}


@pytest.fixture(scope="module", params=IO_MODES)
def fabric(request):
    f = make_fabric(request.param)
    yield f
    finish_fabric(f)


@pytest.fixture(scope="module", params=IO_MODES)
def limits(request):
    f = make_fabric(request.param, **LIMITS)
    yield f
    finish_fabric(f)


def marked(tag: str) -> bytes:
    """A payload no other frame carries, to count copies of exactly this frame."""
    return f"vgw-{tag}-".encode() + os.urandom(8).hex().encode()


def copies(frames, payload: bytes) -> int:
    return sum(1 for f in frames if payload in f)


def fdb_entry(f: topo.Fabric, mac: str):
    return next((e for e in f.fdb() if e["mac"] == mac and e["vni"] == topo.VNI), None)


def learned(f: topo.Fabric, mac: str, timeout: float = 3.0, **want):
    """The FDB entry for mac once it has the wanted fields (learning is asynchronous:
    workers queue what they saw, the control thread installs it); else what is there."""
    def match():
        e = fdb_entry(f, mac)
        return e if e is not None and all(e.get(k) == v for k, v in want.items()) else None
    return wait_for(match, timeout=timeout) or fdb_entry(f, mac)


def fdb_counters(f: topo.Fabric) -> dict:
    return f.ctl("show", "counters")["fdb"]


# -- connectivity --------------------------------------------------------------------


def test_ping_both_ways(fabric):
    for src, dst in (("h1", "h2"), ("h2", "h1")):
        out = fabric.ping(src, HOST_IP[dst], count=5).stdout
        assert "5 received" in out, out


def test_arp_resolves_across_the_tunnel(fabric):
    for host in ("h1", "h2"):
        fabric.ns[host].ip("neigh", "flush", "dev", "eth0")
    fabric.ping("h1", HOST_IP["h2"], count=1)

    def lladdr(host, ip):
        entries = json.loads(fabric.ns[host].ip("-j", "neigh", "show", ip, "dev", "eth0").stdout)
        return entries[0].get("lladdr") if entries else None

    assert lladdr("h1", HOST_IP["h2"]) == MAC["h2"]
    assert lladdr("h2", HOST_IP["h1"]) == MAC["h1"]


@pytest.mark.parametrize("reverse", [False, True], ids=["h1-to-h2", "h2-to-h1"])
def test_iperf3_tcp(fabric, reverse):
    server = fabric.h2.popen("iperf3", "-s", "-1", "-p", 5201, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        args = ["iperf3", "-c", HOST_IP["h2"], "-p", 5201, "-t", 3, "-J"] + (["-R"] if reverse else [])
        result = None
        for _ in range(50):  # the server needs a moment to listen
            p = fabric.h1.run("timeout", 20, *args, check=False, timeout=30)
            assert p.returncode != 124, "iperf3 stalled: no result within 20 s"
            result = json.loads(p.stdout) if p.stdout.strip() else {}
            if "connect" not in result.get("error", "") and p.returncode == 0:
                break
            time.sleep(0.1)
        assert "error" not in result, result.get("error")
        received = result["end"]["sum_received"]
        assert received["bytes"] > 0
        assert received["bits_per_second"] > 10e6, f"{received['bits_per_second'] / 1e6:.1f} Mbit/s"
    finally:
        server.kill()
        server.wait()


def test_broadcast_reaches_each_side_exactly_once(fabric):
    payload = marked("bcast")
    frame = Ether(src=MAC["h1"], dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(payload)
    sniffers = {h: fabric.ns[h].sniff("eth0", timeout=2.0) for h in ("h1", "h2", "h3")}
    fabric.h1.send("eth0", [frame])
    got = {h: copies(s.frames(), payload) for h, s in sniffers.items()}
    # Across the tunnel once, to the other local port once, never back to the sender.
    assert got == {"h1": 0, "h2": 1, "h3": 1}


@pytest.mark.vgwd
def test_flood_reaches_the_trunk_tagged(fabric):
    payload = marked("trunk")
    sniffer = fabric.ht.sniff("eth0", timeout=2.0)
    fabric.h1.send("eth0", [Ether(src=MAC["h1"], dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(payload)])
    got = [Ether(f) for f in sniffer.frames() if payload in f]
    assert len(got) == 1
    assert got[0].haslayer(Dot1Q) and got[0][Dot1Q].vlan == topo.TRUNK_VLAN
    assert got[0][Dot1Q].type == EXPERIMENTAL


# -- learning ------------------------------------------------------------------------


@pytest.mark.vgwd
def test_vgwd_learns_h2_behind_the_kernel_vtep(fabric):
    fabric.ping("h1", HOST_IP["h2"], count=1)
    remote = learned(fabric, MAC["h2"])
    assert remote is not None, fabric.fdb()
    assert (remote["type"], remote["remote"], remote["network"]) == ("remote", fabric.kv_ip, "web")
    local = learned(fabric, MAC["h1"])
    assert local is not None, fabric.fdb()
    assert (local["type"], local["port"], local["vlan"]) == ("local", "p1", 0)


def test_kernel_learns_h1_behind_the_gateway(fabric):
    fabric.ping("h1", HOST_IP["h2"], count=1)
    entries = [e for e in fabric.kernel_fdb("kv") if e["mac"] == MAC["h1"] and "dst" in e]
    assert [e["dst"] for e in entries] == [fabric.gw_ip]


@pytest.mark.vgwd
def test_mac_move_between_ports(fabric):
    fabric.ping("h1", HOST_IP["h2"], count=1)
    assert (learned(fabric, MAC["h1"], port="p1") or {}).get("port") == "p1", fabric.fdb()
    moves_before = fdb_counters(fabric)["moves"]

    # h1's MAC speaks from h3's port: the entry follows it.
    fabric.h3.send("eth0", [Ether(src=MAC["h1"], dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(marked("move"))])
    moved = learned(fabric, MAC["h1"], port="p3")
    assert moved["port"] == "p3", moved
    assert moved["moves"] >= 1
    assert fdb_counters(fabric)["moves"] > moves_before

    # And back when h1 talks again (learning is asynchronous, so the reply to this
    # first frame may still go to p3); traffic to h1 then reaches it.
    fabric.h1.send("eth0", [Ether(src=MAC["h1"], dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(marked("back"))])
    assert learned(fabric, MAC["h1"], port="p1")["port"] == "p1"
    fabric.ping("h2", HOST_IP["h1"], count=2)


@pytest.mark.vgwd
def test_flapping_mac_is_frozen(fabric):
    mac = "02:00:00:00:99:01"
    frozen_before = fdb_counters(fabric)["dup_frozen"]
    for i in range(8):  # more than dup-max-moves (5) moves within the window (180 s)
        host = ("h1", "h3")[i % 2]
        fabric.ns[host].send("eth0", [Ether(src=mac, dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(marked("flap"))])
        time.sleep(0.05)
    entry = learned(fabric, mac, frozen=True)
    assert entry and entry["frozen"] is True, entry
    assert fdb_counters(fabric)["dup_frozen"] > frozen_before
    # Frozen means it stays put even when the MAC speaks from the other port again.
    port = entry["port"]
    other = "h1" if port == "p3" else "h3"
    fabric.ns[other].send("eth0", [Ether(src=mac, dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(marked("flap"))])
    time.sleep(0.3)
    assert fdb_entry(fabric, mac)["port"] == port


# -- VLAN <-> VNI --------------------------------------------------------------------


@pytest.mark.vgwd
def test_vlan_trunk_reaches_h2_tagged_both_ways(fabric):
    ht_ip = "10.0.0.10"
    tag = topo.TRUNK_VLAN
    arp = (Ether(src=MAC["ht"], dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=tag) /
           ARP(op=1, hwsrc=MAC["ht"], psrc=ht_ip, pdst=HOST_IP["h2"]))
    sniffer = fabric.ht.sniff("eth0", timeout=3.0)
    fabric.ht.send("eth0", [arp])
    replies = [Ether(f) for f in sniffer.frames()]
    arp_replies = [p for p in replies if p.haslayer(ARP) and p[ARP].op == 2 and p[ARP].psrc == HOST_IP["h2"]]
    assert arp_replies, [p.summary() for p in replies]
    assert all(p.haslayer(Dot1Q) and p[Dot1Q].vlan == tag for p in arp_replies)
    assert arp_replies[0][ARP].hwsrc == MAC["h2"]

    payload = marked("vlan")
    echo = (Ether(src=MAC["ht"], dst=MAC["h2"]) / Dot1Q(vlan=tag) /
            IP(src=ht_ip, dst=HOST_IP["h2"]) / ICMP(type=8, id=0x4242, seq=1) / Raw(payload))
    sniffer = fabric.ht.sniff("eth0", timeout=3.0)
    fabric.ht.send("eth0", [echo])
    replies = [Ether(f) for f in sniffer.frames() if payload in f]
    assert len(replies) == 1, [p.summary() for p in replies]
    reply = replies[0]
    assert reply.haslayer(Dot1Q) and reply[Dot1Q].vlan == tag
    assert reply[ICMP].type == 0 and reply[IP].src == HOST_IP["h2"] and reply[IP].dst == ht_ip

    entry = learned(fabric, MAC["ht"])
    assert entry is not None and (entry["type"], entry["port"], entry["vlan"]) == ("local", "t1", tag)


# -- bad packets on the underlay -----------------------------------------------------


def vxlan_header(flags: int, vni: int) -> bytes:
    return struct.pack("!B3sI", flags, b"\0\0\0", vni << 8)


def inner(src: str, payload: bytes, vlan: int | None = None) -> bytes:
    eth = Ether(src=src, dst=MAC["h1"])
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan)
    return bytes(eth / IP(src="10.0.0.77", dst=HOST_IP["h1"]) / ICMP() / Raw(payload))


# name -> (drop reason, how to build the UDP payload / outer fields)
BAD = {
    "wrong_port": "wrong_udp_port",
    "i_flag_clear": "vxlan_i_flag_clear",
    "unknown_vni": "unknown_vni",
    "unknown_source_vtep": "unknown_source_vtep",
    "truncated": "truncated",
    "inner_vlan_tag": "inner_vlan_tagged",
    "multicast_inner_source": "bad_inner_source_mac",
    "zero_inner_source": "bad_inner_source_mac",
}


def bad_frame(f: topo.Fabric, case: str, payload: bytes) -> Ether:
    src_ip, dport, flags, vni = f.kv_ip, topo.VXLAN_PORT, 0x08, topo.VNI
    body = inner("02:00:00:00:77:01", payload)
    if case == "wrong_port":
        dport = 4790
    elif case == "i_flag_clear":
        flags = 0x00
    elif case == "unknown_vni":
        vni = 999
    elif case == "unknown_source_vtep":
        src_ip = f"192.168.{f.subnet}.77"
    elif case == "truncated":
        body = body[:10]  # less than an inner Ethernet header
    elif case == "inner_vlan_tag":
        body = inner("02:00:00:00:77:01", payload, vlan=5)
    elif case == "multicast_inner_source":
        body = inner("01:00:5e:00:00:01", payload)
    elif case == "zero_inner_source":
        body = inner("00:00:00:00:00:00", payload)
    return (Ether(src=f.kv.mac("u1"), dst=f.gw.mac("u2")) / IP(src=src_ip, dst=f.gw_ip) /
            UDP(sport=50123, dport=dport, chksum=0) / Raw(vxlan_header(flags, vni) + body))


@pytest.mark.vgwd
@pytest.mark.parametrize("case", list(BAD))
def test_bad_underlay_packet_is_dropped_and_counted(fabric, case):
    reason = BAD[case]
    before = fabric.drops()
    assert reason in before, f"show drops lacks {reason}: {sorted(before)}"
    payload = marked(case)
    sniffer = fabric.h1.sniff("eth0", timeout=1.5)
    underlay = fabric.kv.sniff("u1", timeout=1.5)
    fabric.kv.send("u1", [bad_frame(fabric, case, payload) for _ in range(3)])
    assert copies(sniffer.frames(), payload) == 0  # nothing leaks to the host
    unreachable = [p for p in map(Ether, underlay.frames())
                   if p.haslayer(ICMP) and (p[ICMP].type, p[ICMP].code) == (3, 3)]
    if case == "wrong_port":
        # vgwd takes only its VXLAN port (packet: the socket filter; socket: the bound
        # port), so another port is the kernel's, which answers port-unreachable.
        # (wrong_udp_port counts what a backend without such a filter hands over.)
        assert len(unreachable) == 3
    else:
        wait_for(lambda: fabric.drops()[reason] - before[reason] >= 3, timeout=3)
        assert fabric.drops()[reason] - before[reason] == 3
        assert unreachable == []  # the kernel does not answer VXLAN that vgwd took
    assert fdb_entry(fabric, "02:00:00:00:77:01") is None
    out = fabric.ping("h1", HOST_IP["h2"], count=2).stdout
    assert "2 received" in out


# -- the wire format, judged by tshark -----------------------------------------------


def capture_encapsulation(f: topo.Fabric) -> list[dict]:
    """Pings h1 -> h2 while capturing what the gateway sends on the underlay."""
    pcap = f.workdir / f"underlay-{time.monotonic_ns()}.pcap"
    cap = f.gw.popen("tcpdump", "-i", "u2", "--immediate-mode", "-U", "-n", "-w", str(pcap),
                     f"udp and src host {f.gw_ip}", stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
    line = cap.stderr.readline()
    assert "listening on" in line, line
    f.ping("h1", HOST_IP["h2"], count=5)
    cap.terminate()
    cap.wait(timeout=10)
    fields = ["ip.src", "ip.dst", "ip.flags.df", "udp.srcport", "udp.dstport", "udp.checksum",
              "vxlan.flag_i", "vxlan.flags_reserved", "vxlan.vni", "icmp.type"]
    args = ["tshark", "-r", str(pcap), "-T", "fields", "-E", "separator=/t"]
    for field in fields:
        args += ["-e", field]
    out = topo.sh(args).stdout
    pcap.unlink()
    return [dict(zip(fields, line.split("\t"))) for line in out.splitlines() if line.strip()]


def check_encapsulation(f: topo.Fabric, df: bool):
    rows = capture_encapsulation(f)
    echoes = [r for r in rows if r["icmp.type"] == "8"]
    assert len(echoes) == 5, rows
    for r in echoes:
        assert r["ip.src"] == f"{f.gw_ip},{HOST_IP['h1']}"  # outer, inner
        assert r["ip.dst"] == f"{f.kv_ip},{HOST_IP['h2']}"
        assert r["udp.dstport"] == "4789"
        assert 49152 <= int(r["udp.srcport"]) <= 65535
        assert int(r["udp.checksum"], 16) == 0
        assert r["vxlan.flag_i"] in ("1", "True")
        assert int(r["vxlan.flags_reserved"], 16) == 0
        assert r["vxlan.vni"] == str(topo.VNI)
        assert r["ip.flags.df"].split(",")[0] in (("1", "True") if df else ("0", "False"))


def test_tshark_sees_rfc7348_encapsulation(fabric):
    check_encapsulation(fabric, df=False)


def test_tshark_sees_df_when_configured(limits):
    check_encapsulation(limits, df=True)


# -- FDB limits (the `limits` fabric: ageing 3 s, mac-limit 2) -------------------------


def pin_neighbours(f: topo.Fabric):
    """Makes the hosts' ARP entries permanent: a kernel that used an entry probes it again
    about 5 s later (DELAY -> PROBE), and that unicast ARP exchange would re-learn the
    hosts' MACs in the middle of a test that counts FDB entries."""
    for host in topo.HOST_IP:
        for other, ip in topo.HOST_IP.items():
            if other != host:
                f.ns[host].ip("neigh", "replace", ip, "lladdr", topo.MAC[other], "nud", "permanent",
                              "dev", "eth0")


def wait_fdb_empty(f: topo.Fabric):
    pin_neighbours(f)
    assert wait_for(lambda: f.fdb() == [], timeout=15), f.fdb()


def flood_from(f: topo.Fabric, host: str, macs, payload: bytes):
    f.ns[host].send("eth0", [Ether(src=m, dst="ff:ff:ff:ff:ff:ff", type=EXPERIMENTAL) / Raw(payload)
                             for m in macs])


@pytest.mark.vgwd
def test_mac_limit_learns_two_and_still_forwards(limits):
    wait_fdb_empty(limits)
    before = fdb_counters(limits)["mac_limit_exceeded"]
    macs = [f"02:00:00:00:55:0{i}" for i in range(1, 6)]
    payload = marked("limit")
    sniffer = limits.h2.sniff("eth0", timeout=2.0)
    flood_from(limits, "h1", macs, payload)
    assert copies(sniffer.frames(), payload) == 5  # every frame forwarded
    assert wait_for(lambda: fdb_counters(limits)["mac_limit_exceeded"] - before >= 3, timeout=3)
    # Two entries and no more: normally two of the five; a host's own MAC, should its
    # kernel speak in this window, takes one of the two places like any other source.
    assert len(limits.fdb()) == 2, limits.fdb()
    network = next(n for n in limits.ctl("show", "networks") if n["name"] == "web")
    assert network["mac_limit"] == 2 and network["fdb_entries"] == 2


@pytest.mark.vgwd
def test_entries_age_out(limits):
    wait_fdb_empty(limits)
    aged_before = fdb_counters(limits)["aged"]
    mac = "02:00:00:00:66:01"
    flood_from(limits, "h1", [mac], marked("age"))
    assert learned(limits, mac) is not None
    learned_at = time.monotonic()
    assert wait_for(lambda: fdb_entry(limits, mac) is None, timeout=12)
    assert time.monotonic() - learned_at >= 1.5  # not gone at once: it aged
    assert fdb_counters(limits)["aged"] > aged_before


# -- configuration -------------------------------------------------------------------


@pytest.mark.vgwd
@pytest.mark.parametrize("field,value,expected", [
    ("vni", 16777216, "vni"),
    ("attachments", [{"port": "nosuchport"}], "nosuchport"),
], ids=["vni-out-of-range", "unknown-port"])
def test_invalid_config_is_rejected_and_nothing_changes(fabric, tmp_path, field, value, expected):
    networks = fabric.ctl("show", "networks")
    bad = fabric.write_config(fabric.config(**{field: value}), path=str(tmp_path / "bad.yaml"))
    p = fabric.ctl_raw("apply", "-f", bad, json_out=False)
    assert p.returncode != 0
    message = p.stdout + p.stderr
    assert "networks[web]" in message and expected in message, message
    assert fabric.ctl("show", "networks") == networks
    fabric.ping("h1", HOST_IP["h2"], count=1)


@pytest.mark.vgwd
def test_applied_config_survives_restart(fabric, tmp_path):
    cfg = fabric.config()
    cfg["networks"].append({"name": "db", "tenant": "blue", "vni": 200, "flood": "head-end",
                            "remotes": [fabric.kv_ip]})
    new = fabric.write_config(cfg, path=str(tmp_path / "new.yaml"))
    diff = fabric.ctl_raw("diff", "-f", new, json_out=False)
    assert diff.returncode == 0 and "db" in diff.stdout, diff.stdout + diff.stderr
    p = fabric.ctl_raw("apply", "-f", new, json_out=False)
    assert p.returncode == 0, p.stdout + p.stderr

    def db():
        return next((n for n in fabric.ctl("show", "networks") if n["name"] == "db"), None)

    assert db()["vni"] == 200
    assert fabric.stop_vgwd() == 0
    fabric.start_vgwd(fresh_config=False)  # same --config file, same state
    assert db() is not None and db()["vni"] == 200
    assert wait_for(lambda: fabric.ping("h1", HOST_IP["h2"], count=1, check=False).returncode == 0,
                    timeout=10)
