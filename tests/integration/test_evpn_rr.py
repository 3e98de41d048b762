"""vgwd as a route-reflector client (RFC 4456; issue 4 "works as a route-reflector
client"): FRR reflects between vgwd and an FRR leaf, with no VTEP of its own.

    h1 --p1-- [gw: vgwd] u2 ==== 192.168.S.0/24 ==== u1 [kv: FRR leaf, VTEP] --k2-- h2
                                                       r1
                                                       || 172.16.S.0/24 (kv routes)
                                                       r0
                                                  [rr: zebra + bgpd, route reflector]

vgwd and the leaf each peer only with rr (iBGP). Every route vgw holds from the
leaf comes through rr with ORIGINATOR_ID and CLUSTER_LIST, yet is imported at the
leaf's VTEP (its next hop); the leaf gets vgw's the same way; the data plane then
works end to end (ping), and nothing of vgw's own comes back to it as a remote
entry (ORIGINATOR_ID = vgw's router ID is refused, unit-tested in speaker_test).
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import topo
from conftest import require, wait_for
from test_evpn_frr import FRR, HOLD, EvpnFabric

ASN = 65000


class FrrInstance:
    """zebra + bgpd run by hand in one namespace (as test_evpn_frr.EvpnFabric does)."""

    def __init__(self, ns: topo.Namespace, name: str, workdir: Path):
        self.ns, self.name, self.dir = ns, name, workdir / name

    def start(self, bgpd_conf: str):
        d = self.dir
        d.mkdir(parents=True, exist_ok=True)
        shutil.chown(d, "frr", "frr")
        os.chmod(d, 0o775)
        run_dir = Path("/var/run/frr") / self.name
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(run_dir, "frr", "frr")
        (d / "zebra.conf").write_text(f"hostname {self.name}\nlog file {d}/zebra.log\n")
        (d / "bgpd.conf").write_text(bgpd_conf)
        for f in ("zebra.conf", "bgpd.conf"):
            os.chmod(d / f, 0o644)
        common = ["-N", self.name, "-z", str(d / "zserv.api"), "--vty_socket", str(d), "-u",
                  "frr", "-g", "frr"]
        log = open(d / "daemons.out", "ab")
        self.ns.popen(str(FRR / "zebra"), "-f", d / "zebra.conf", "-i", d / "zebra.pid",
                      *common, stdout=log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: (d / "zserv.api").exists(), timeout=10):
            raise topo.CommandError(f"zebra did not start in {self.ns.name}")
        self.ns.popen(str(FRR / "bgpd"), "-f", d / "bgpd.conf", "-i", d / "bgpd.pid", *common,
                      stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if not wait_for(lambda: (d / "bgpd.vty").exists(), timeout=10):
            raise topo.CommandError(f"bgpd did not start in {self.ns.name}")

    def vtysh(self, command: str) -> str:
        return self.ns.run(shutil.which("vtysh") or "/usr/bin/vtysh", "--vty_socket", self.dir,
                           "-c", command, check=False, timeout=30).stdout

    def stop(self):
        shutil.rmtree(Path("/var/run/frr") / self.name, ignore_errors=True)


class RrFabric(EvpnFabric):
    def __init__(self, prefix: str):
        super().__init__(prefix, ebgp=False, io="socket")
        self.rr_ns = topo.Namespace(prefix + "rr")
        self.kv_rr_ip = f"172.16.{self.subnet}.1"
        self.rr_ip = f"172.16.{self.subnet}.2"
        self.rr = FrrInstance(self.rr_ns, prefix + "rrfrr", self.workdir)

    def config(self, **overrides) -> dict:
        cfg = super().config(**overrides)
        cfg["evpn"]["neighbors"] = [{"address": self.rr_ip, "remote-as": ASN}]
        return cfg

    def bgpd_conf(self) -> str:
        # The leaf: one neighbor, the reflector, from its VTEP address.
        return "\n".join([
            "frr defaults datacenter", "hostname kv", f"log file {self.frr_dir}/bgpd.log", "!",
            f"router bgp {ASN}", f" bgp router-id {self.kv_ip}", " no bgp default ipv4-unicast",
            f" neighbor {self.rr_ip} remote-as {ASN}",
            f" neighbor {self.rr_ip} update-source {self.kv_ip}",
            f" neighbor {self.rr_ip} timers {HOLD // 3} {HOLD}",
            f" neighbor {self.rr_ip} timers connect 2", " !", " address-family l2vpn evpn",
            f"  neighbor {self.rr_ip} activate", "  advertise-all-vni", " exit-address-family",
            "!"]) + "\n"

    def rr_conf(self) -> str:
        lines = ["frr defaults datacenter", "hostname rr", f"log file {self.rr.dir}/bgpd.log",
                 "!", f"router bgp {ASN}", f" bgp router-id {self.rr_ip}",
                 " no bgp default ipv4-unicast"]
        for n in (self.gw_ip, self.kv_ip):
            lines += [f" neighbor {n} remote-as {ASN}", f" neighbor {n} timers {HOLD // 3} {HOLD}",
                      f" neighbor {n} timers connect 2"]
        lines += [" !", " address-family l2vpn evpn"]
        for n in (self.gw_ip, self.kv_ip):
            lines += [f"  neighbor {n} activate", f"  neighbor {n} route-reflector-client"]
        lines += [" exit-address-family", "!"]
        return "\n".join(lines) + "\n"

    def up(self):
        super().up()  # the leaf's bgpd retries its reflector every 2 s until it is there
        try:
            self.rr_ns.create()
            self.kv_link()
            self.rr.start(self.rr_conf())
        except BaseException:
            self.down()
            raise

    def kv_link(self):
        kv, rr = self.kv, self.rr_ns
        kv.ip("link", "add", "r1", "type", "veth", "peer", "name", "r0", "netns", rr.name)
        kv.ip("addr", "add", f"{self.kv_rr_ip}/24", "dev", "r1")
        kv.ip("link", "set", "r1", "up")
        kv.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        rr.ip("addr", "add", f"{self.rr_ip}/24", "dev", "r0")
        rr.ip("link", "set", "r0", "up")
        rr.ip("route", "add", f"192.168.{self.subnet}.0/24", "via", self.kv_rr_ip)

    def down(self):
        super().down()
        self.rr.stop()
        self.rr_ns.delete()


@pytest.fixture
def fabric():
    require(os.geteuid() == 0, "namespace tests need root")
    require((FRR / "bgpd").exists() and (FRR / "zebra").exists(),
            "FRR is not installed (Debian package frr)")
    require(topo.find_binary("vgwd") is not None, "vgwd is not built")
    f = RrFabric(topo.unique_prefix())
    f.up()
    try:
        # vgw reaches the reflector through kv.
        f.gw.ip("route", "add", f"172.16.{f.subnet}.0/24", "via", f.kv_ip)
        f.start_vgwd()
        yield f
    finally:
        f.down()


def rr_peer_state(f: RrFabric, neighbor: str) -> str | None:
    try:
        summary = json.loads(f.rr.vtysh("show bgp l2vpn evpn summary json") or "{}")
    except json.JSONDecodeError:
        return None
    peers = summary.get("peers") or summary.get("l2VpnEvpn", {}).get("peers", {})
    return peers.get(neighbor, {}).get("state")


@pytest.mark.vgwd
def test_routes_through_a_reflector(fabric):
    f = fabric

    def up():
        return (rr_peer_state(f, f.gw_ip) == "Established"
                and rr_peer_state(f, f.kv_ip) == "Established"
                and f.vgw_peer()["state"] == "Established")

    assert wait_for(up, timeout=40), (
        f"vgw {f.vgw_peer()}\nrr {f.rr.vtysh('show bgp l2vpn evpn summary')}\n{f.log_tail()}")
    assert f.vgw_peer()["address"] == f.rr_ip

    # The leaf's type 3, reflected: from rr, originated by kv, imported, flood list built.
    def leaf_imet():
        return [r for r in f.vgw_routes("--type", "3")
                if r["source"] == f.rr_ip and r["originator"] == f.kv_ip]

    routes = wait_for(leaf_imet, timeout=20)
    assert routes, f"{f.vgw_routes()}\n{f.rr.vtysh('show bgp l2vpn evpn route')}"
    assert routes[0]["imported"] == [topo.VNI]
    assert routes[0]["pmsi_endpoint"] == f.kv_ip
    assert wait_for(lambda: any(f.kv_ip in n.get("remotes", []) for n in f.ctl("show", "networks")),
                    timeout=10), f.ctl("show", "networks")
    # vgw's type 3 reached the leaf through the reflector.
    imet = f"[3]:[0]:[32]:[{f.gw_ip}]"
    assert wait_for(lambda: imet in f.vtysh("show bgp l2vpn evpn route type multicast"),
                    timeout=15), f.vtysh("show bgp l2vpn evpn route")

    # Data plane across, type 2 both ways through rr.
    assert wait_for(lambda: f.ping("h1", topo.HOST_IP["h2"], count=1, check=False).returncode == 0,
                    timeout=20), f"{f.log_tail()}\n{f.kernel_fdb()}"
    h2 = topo.MAC["h2"]
    assert wait_for(lambda: any(r.get("mac") == h2 and r["source"] == f.rr_ip
                                and r["next_hop"] == f.kv_ip
                                for r in f.vgw_routes("--type", "2")), timeout=15), f.vgw_routes()
    assert wait_for(lambda: any(e.get("mac") == h2 and e.get("remote") == f.kv_ip
                                for e in f.fdb()), timeout=10), f.fdb()
    assert wait_for(lambda: topo.MAC["h1"] in f.vtysh("show bgp l2vpn evpn route type macip"),
                    timeout=15)
    # Nothing of vgw's own came back as a remote route or entry.
    assert not [r for r in f.vgw_routes() if r["source"] == f.rr_ip
                and (r.get("originator") == f.gw_ip or r.get("next_hop") == f.gw_ip)]
    assert [e for e in f.fdb() if e.get("mac") == topo.MAC["h1"]][0]["type"] == "local"
