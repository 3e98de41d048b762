"""Operation tools against a running vgwd (issue 5): `vgwctl trace` follows a known packet
through the pipeline, `vgwctl check` reports a clean system as consistent and catches
entries planted behind its back, and the bulk controller commands (`vgwctl fdb|flood
add|remove -f FILE`) program the FDB.

Topology: tests/integration/topo.py (h1 -- p1 [gw: vgwd] u2 == u1 [kv: kernel VXLAN] -- h2).
"""
import json
import subprocess

import pytest

from conftest import IO_MODES, finish_fabric, make_fabric, wait_for
from topo import HOST_IP, MAC, VNI, find_binary

pytestmark = pytest.mark.vgwd


@pytest.fixture(scope="module", params=IO_MODES)
def fabric(request):
    f = make_fabric(request.param)
    # Static neighbours: the pings below are unicast from the first packet (no ARP).
    f.h1.ip("neigh", "replace", HOST_IP["h2"], "lladdr", MAC["h2"], "dev", "eth0")
    f.h2.ip("neigh", "replace", HOST_IP["h1"], "lladdr", MAC["h1"], "dev", "eth0")
    f.ping("h1", HOST_IP["h2"], count=2)  # both MACs learned
    yield f
    finish_fabric(f)


def trace_while(fabric, args, action, json_out=True):
    """Runs `vgwctl trace ARGS` while action() makes traffic; returns its stdout."""
    cmd = [find_binary("vgwctl")] + (["-j"] if json_out else []) + \
        ["--socket", fabric.socket, "trace", *map(str, args)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The trace starts with vgwctl's first request; give it that long.
        wait_for(lambda: False, timeout=0.5)
        action()
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    return out


def records(packet, stage):
    return [r for r in packet["records"] if r["stage"] == stage]


def test_trace_follows_a_ping_from_h1_to_the_remote_vtep(fabric):
    out = trace_while(fabric, ["--count", 1, "--port", "p1", "--timeout", 10],
                      lambda: fabric.ping("h1", HOST_IP["h2"], count=2))
    data = json.loads(out)
    assert len(data["packets"]) == 1
    pkt = data["packets"][0]
    assert pkt["in_port"] == "p1" and pkt["vlan"] == 0
    lookup = records(pkt, "lookup")
    assert [(r["decision"], r["mac"], r["network"], r["vni"]) for r in lookup] == \
        [("hit", MAC["h2"], "web", VNI)]
    encap = records(pkt, "encap")
    assert len(encap) == 1
    assert encap[0]["decision"] == "to_underlay"
    assert encap[0]["remote"] == fabric.kv_ip and encap[0]["vni"] == VNI
    # ICMP echo of ping's default 56 bytes: 98-byte frame + 50 bytes of VXLAN headers.
    assert encap[0]["length"] == 98 + 50
    assert not records(pkt, "flood") and not [r for r in pkt["records"] if r["drop"]]


def test_trace_follows_the_reply_from_the_underlay(fabric):
    out = trace_while(fabric, ["--count", 1, "--port", "underlay", "--timeout", 10],
                      lambda: fabric.ping("h1", HOST_IP["h2"], count=2))
    pkt = json.loads(out)["packets"][0]
    assert pkt["in_port"] is None
    lookup = records(pkt, "lookup")
    assert [(r["decision"], r["mac"], r["remote"], r["vni"]) for r in lookup] == \
        [("hit", MAC["h1"], fabric.kv_ip, VNI)]
    out_rec = records(pkt, "output")
    assert [(r["decision"], r["port"], r["length"]) for r in out_rec] == [("to_port", "p1", 98)]


def test_trace_human_output_reads_like_vpp(fabric):
    out = trace_while(fabric, ["--count", 1, "--port", "p1", "--timeout", 10],
                      lambda: fabric.ping("h1", HOST_IP["h2"], count=2), json_out=False)
    assert "Packet 1 (worker " in out and "received on port p1" in out, out
    assert f"{MAC['h2']} in web (VNI {VNI}): hit" in out, out
    assert f"encapsulated to VTEP {fabric.kv_ip} VNI {VNI}, 148 bytes to the underlay" in out, out


def test_trace_rejects_an_unknown_port(fabric):
    p = fabric.ctl_raw("trace", "--port", "nosuch", "--timeout", 1)
    assert p.returncode == 1
    assert "port: no attachment port named 'nosuch'" in p.stderr


def check(fabric):
    p = fabric.ctl_raw("check")
    assert p.returncode in (0, 2), p.stderr
    data = json.loads(p.stdout)
    assert data["consistent"] == (p.returncode == 0)
    return data


def kinds(data):
    return sorted((f["kind"], f["object"]) for f in data["findings"])


def test_check_clean_system_is_consistent(fabric):
    data = check(fabric)
    assert data["findings"] == [], data
    assert data["checked"]["networks"] == 1
    assert data["checked"]["flood_members"] == 1
    assert data["checked"]["fdb_entries"] >= 2  # h1 (local) and h2 (behind kv)
    human = fabric.ctl_raw("check", json_out=False)
    assert human.returncode == 0 and human.stdout.startswith("consistent: checked 1 networks")


def test_check_catches_entries_planted_behind_evpns_back(fabric, tmp_path):
    peer = f"192.168.{fabric.subnet}.77"
    planted = "02:00:00:00:99:99"
    macs = tmp_path / "macs.txt"
    macs.write_text(f"# planted as if EVPN peer {peer} had installed it\nweb {planted} {peer}\n")
    flood = tmp_path / "flood.txt"
    flood.write_text(f"{VNI} {peer}\n")
    owner = f"evpn:{peer}"
    try:
        assert fabric.ctl("fdb", "add", "-f", macs, "--owner", owner)["added"] == 1
        assert fabric.ctl("flood", "add", "-f", flood, "--owner", owner)["added"] == 1
        data = check(fabric)
        assert not data["consistent"]
        assert kinds(data) == [("evpn_mac_without_route", f"fdb {planted} (evpn)"),
                               ("flood_member_unexplained", f"flood member {peer}")], data
        human = fabric.ctl_raw("check", json_out=False)
        assert human.returncode == 2
        assert "evpn_mac_without_route" in human.stdout and "2 finding(s)" in human.stdout
    finally:
        fabric.ctl("fdb", "remove", "-f", macs, "--owner", owner)
        fabric.ctl("flood", "remove", "-f", flood, "--owner", owner)
    assert check(fabric)["findings"] == []


def test_controller_entries_from_a_file_are_consistent(fabric, tmp_path):
    remote = f"192.168.{fabric.subnet}.88"
    entries = tmp_path / "entries.json"
    entries.write_text(json.dumps(
        [{"network": "web", "mac": f"02:00:00:00:88:{i:02x}", "remote": remote} for i in range(100)]))
    assert fabric.ctl("fdb", "add", "-f", entries) == {
        "added": 100, "replaced": 0, "unchanged": 0, "removed": 0, "absent": 0, "not_owned": 0}
    try:
        api = [e for e in fabric.fdb() if e["type"] == "api"]
        assert len(api) == 100 and {e["remote"] for e in api} == {remote}
        assert check(fabric)["findings"] == []  # installed by the controller: explained
    finally:
        removed = fabric.ctl("fdb", "remove", "-f", entries)
    assert removed["removed"] == 100
    assert not [e for e in fabric.fdb() if e["type"] == "api"]


def test_bulk_file_errors_name_the_line(fabric, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("web 02:00:00:00:77:01 192.0.2.1\nweb 02:00:00:00:77:02\n")
    p = fabric.ctl_raw("fdb", "add", "-f", bad)
    assert p.returncode == 1
    assert "line 2: expected 3 words" in p.stderr
    good = tmp_path / "good.txt"
    good.write_text("web 02:00:00:00:77:01 192.0.2.1\n")
    p = fabric.ctl_raw("fdb", "add", "-f", good, "--owner", "bgp:1")
    assert p.returncode == 1
    assert 'owner: "bgp:1" is not "api" or "evpn:<peer address>"' in p.stderr
    assert not [e for e in fabric.fdb() if e["mac"] == "02:00:00:00:77:01"]


def tshark_fields(path, display_filter, *fields):
    args = ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields"]
    for f in fields:
        args += ["-e", f]
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return [line.split("\t") for line in p.stdout.splitlines() if line]


@pytest.mark.parametrize("what", [("--network", "web"), ("--port", "underlay")])
def test_capture_while_iperf3_runs_opens_in_tshark(fabric, tmp_path, what):
    pcap = tmp_path / "cap.pcap"
    server = fabric.h2.popen("iperf3", "-s", "-1", "-p", 5202, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: False, timeout=0.5)
        client = fabric.h1.popen("iperf3", "-c", HOST_IP["h2"], "-p", 5202, "-t", 3, "-J",
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p = fabric.ctl_raw("capture", *what, "--count", 2000, "--timeout", 6, "-w", pcap)
        out, err = client.communicate(timeout=30)
    finally:
        server.kill()
        server.wait()
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["frames"] > 0 and summary["copied"] >= summary["frames"]
    assert client.returncode == 0, err
    result = json.loads(out)
    assert result["end"]["sum_received"]["bytes"] > 0  # forwarding went on while capturing
    vxlan = tshark_fields(pcap, "vxlan", "vxlan.vni", "ip.dst")
    assert vxlan, "no VXLAN frame in the capture"
    assert {row[0] for row in vxlan} == {str(VNI)}
    # Inside the VXLAN frames: the iperf3 TCP stream from h2 (ACKs) back to h1.
    inner = tshark_fields(pcap, "vxlan && tcp.port == 5202", "eth.src")
    assert inner
    if what[0] == "--network":
        # Taken on p1 too: h1's own frames, not encapsulated yet.
        local = tshark_fields(pcap, "!vxlan && tcp.port == 5202", "eth.src")
        assert local and {row[0] for row in local} == {MAC["h1"]}
