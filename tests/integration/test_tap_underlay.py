"""The underlay in `tap` mode: vgwd sends VXLAN through a TAP bridged with the uplink and
receives it with AF_PACKET on the bridge that holds the VTEP address.

    h1 --p1-- [gw: vgwd] vgwtap --+
                                  ub (bridge, 192.168.N.2) -- u2 ==== u1 [kv: kernel VTEP] -- h2
    (the TAP made by vgwd with `underlay.mtu`, put into ub as an operator does for a
    VM's vNIC, learning off: vgwd's frames carry ub's MAC as their source)

Proof: h1 and h2 ping each other; iperf3 TCP completes both ways with the hosts' default
offloads; during h1 -> h2 the far veth u1 receives tunnelled TSO super-frames (longer
than the underlay MTU: the kernel VTEP took them whole) that tshark dissects as VXLAN
(VNI 100, I flag, UDP checksum zero, outer and inner IPv4 header checksums good), h2
counts no TCP checksum error, and vgwd wrote fewer frames into the TAP than its
underlay port sent packets.
"""
import json
import os
import subprocess
import time

import pytest

import topo
from conftest import GATEWAY, require, wait_for
from topo import HOST_IP

pytestmark = pytest.mark.vgwd

TAP = "vgwtap"


@pytest.fixture(scope="module")
def fab():
    require(os.geteuid() == 0, "namespace tests need root")
    require(GATEWAY == "vgwd", "tap underlay is a vgwd mode")
    require(topo.find_binary("vgwd") is not None, "vgwd is not built")
    f = topo.Fabric(topo.unique_prefix(), gateway="vgwd", io="packet")
    f.up()
    try:
        gw = f.gw
        # The kernel's address moves from u2 to the bridge ub that will hold the TAP.
        gw.ip("link", "add", "ub", "type", "bridge", "mcast_snooping", 0)
        gw.ip("addr", "del", f"{f.gw_ip}/24", "dev", "u2")
        gw.ip("link", "set", "u2", "master", "ub")
        gw.ip("addr", "add", f"{f.gw_ip}/24", "dev", "ub")
        gw.ip("link", "set", "ub", "up")
        cfg = f.config()
        cfg["underlay"] = {"interface": TAP, "io": "tap", "mtu": topo.UNDERLAY_MTU}
        f.write_config(cfg)
        f.start_vgwd(fresh_config=False)
        # vgwd made the TAP, up, with the underlay MTU; the operator plugs it in.
        link = json.loads(gw.ip("-j", "link", "show", TAP).stdout)[0]
        assert link["mtu"] == topo.UNDERLAY_MTU
        assert "UP" in link["flags"]
        gw.ip("link", "set", TAP, "master", "ub")
        topo.sh(["bridge", "-n", gw.name, "link", "set", "dev", TAP, "learning", "off"])
        ok = wait_for(lambda: f.ping("h1", HOST_IP["h2"], count=1, check=False).returncode == 0,
                      timeout=10)
        assert ok, f"no ping across the tap underlay\n{f.log_tail()}"
        yield f
    finally:
        f.down()


def test_vteps_shows_the_tap_mode(fab):
    u = fab.ctl("show", "vteps")["local"]["underlay"]
    assert u == {"interface": TAP, "io": "tap", "mtu": topo.UNDERLAY_MTU}


def test_ping_both_ways(fab):
    assert "3 received" in fab.ping("h1", HOST_IP["h2"]).stdout
    assert "3 received" in fab.ping("h2", HOST_IP["h1"]).stdout


def iperf(f: topo.Fabric, reverse: bool, port: int, seconds: int = 3) -> dict:
    server = f.h2.popen("iperf3", "-s", "-1", "-p", port, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
    try:
        args = ["iperf3", "-c", HOST_IP["h2"], "-p", port, "-t", seconds, "-J"]
        args += ["-R"] if reverse else []
        result = {}
        for _ in range(50):  # the server needs a moment to listen
            p = f.h1.run("timeout", 25, *args, check=False, timeout=35)
            assert p.returncode != 124, "iperf3 stalled: no result within 25 s"
            result = json.loads(p.stdout) if p.stdout.strip() else {}
            if "connect" not in result.get("error", "") and p.returncode == 0:
                break
            time.sleep(0.1)
        assert "error" not in result, result.get("error")
        return result["end"]["sum_received"]
    finally:
        server.kill()
        server.wait()


def nstat(ns: topo.Namespace, counter: str) -> int:
    out = ns.run("nstat", "-az", "--json", counter).stdout
    data = json.loads(out)
    return int(data.get("kernel", data).get(counter, 0))


def test_tcp_h2_to_h1(fab):
    received = iperf(fab, reverse=True, port=5301)
    assert received["bits_per_second"] > 10e6, f"{received['bits_per_second'] / 1e6:.1f} Mbit/s"


def test_tcp_h1_to_h2_leaves_as_tunnelled_tso_frames(fab):
    f = fab
    pcap = f.workdir / "u1.pcap"
    # On the far veth: what the kernel VTEP receives (headers are enough: 160 bytes).
    cap = f.kv.popen("tcpdump", "-i", "u1", "-s", 160, "--immediate-mode", "-U", "-n", "-w",
                     str(pcap), f"udp and src host {f.gw_ip}", stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
    line = cap.stderr.readline()
    assert "listening on" in line, line
    csum_errors = nstat(f.h2, "TcpInCsumErrors")
    written0 = int(f.gw.run("cat", f"/sys/class/net/{TAP}/statistics/rx_packets").stdout)
    sent0 = f.ctl("show", "counters")["underlay"]["tx_packets"]
    try:
        received = iperf(f, reverse=False, port=5302, seconds=2)
    finally:
        time.sleep(0.3)
        cap.terminate()
        cap.wait(timeout=10)
    assert received["bits_per_second"] > 10e6, f"{received['bits_per_second'] / 1e6:.1f} Mbit/s"
    assert nstat(f.h2, "TcpInCsumErrors") == csum_errors

    written = int(f.gw.run("cat", f"/sys/class/net/{TAP}/statistics/rx_packets").stdout) - written0
    sent = f.ctl("show", "counters")["underlay"]["tx_packets"] - sent0
    assert 0 < written * 2 < sent, f"{written} frames written into the TAP for {sent} packets"

    fields = ["frame.len", "ip.src", "ip.dst", "ip.checksum.status", "udp.dstport",
              "udp.checksum", "vxlan.flag_i", "vxlan.vni", "tcp.dstport", "tcp.len"]
    args = ["tshark", "-r", str(pcap), "-o", "ip.check_checksum:TRUE", "-T", "fields",
            "-E", "separator=/t"]
    for field in fields:
        args += ["-e", field]
    rows = [dict(zip(fields, ln.split("\t"))) for ln in topo.sh(args).stdout.splitlines()
            if ln.strip()]
    data = [r for r in rows if r["tcp.dstport"] == "5302" and r["tcp.len"] not in ("", "0")]
    assert data, rows[:5]
    for r in data:
        assert r["ip.src"] == f"{f.gw_ip},{HOST_IP['h1']}"  # outer, inner
        assert r["ip.dst"] == f"{f.kv_ip},{HOST_IP['h2']}"
        assert r["ip.checksum.status"] == "1,1", r  # outer and inner IPv4 headers: good
        assert r["udp.dstport"] == "4789"
        assert int(r["udp.checksum"], 16) == 0
        assert r["vxlan.flag_i"] in ("1", "True")
        assert r["vxlan.vni"] == str(topo.VNI)
    # Super-frames: longer than any frame the 1600-byte underlay carries, and most of
    # the stream's bytes came in them.
    big = [r for r in data if int(r["frame.len"]) > 14 + topo.UNDERLAY_MTU]
    assert big, "no tunnelled super-frame reached the far VTEP"
    big_bytes = sum(int(r["tcp.len"]) for r in big)
    all_bytes = sum(int(r["tcp.len"]) for r in data)
    assert big_bytes * 2 > all_bytes, f"{big_bytes} of {all_bytes} bytes in super-frames"
