"""BGP-EVPN against GoBGP (issue 4: a second implementation as peer).

    h1 --p1-- [gw: vgwd, evpn] u2 ==== underlay ==== u1 [kv: gobgpd]

gobgpd runs by hand in kv with a TOML configuration (iBGP, family l2vpn-evpn) and
its gRPC API on kv's own loopback; the `gobgp` CLI reads its state and injects
routes. Proof: the session is Established on both sides; vgw's type 3 and the
type 2 of a MAC it learned are in GoBGP's RIB; a type 3 and a type 2 injected with
`gobgp global rib -a evpn add multicast|macadv` end in vgw's flood list and FDB
(owner evpn, at the route's VTEP); deleting them removes them from vgw; gobgpd
killed -> everything it installed is gone.
"""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

import topo
from conftest import require, wait_for

GOBGPD = shutil.which("gobgpd") or "/usr/bin/gobgpd"
GOBGP = shutil.which("gobgp") or "/usr/bin/gobgp"
HOLD = 9
ASN = 65000
MOVER = "02:00:00:00:09:09"  # a MAC only GoBGP knows


class GobgpFabric(topo.Fabric):
    def __init__(self, prefix: str, io: str):
        super().__init__(prefix, gateway="vgwd", io=io)
        self.gobgpd: subprocess.Popen | None = None
        self.rd = f"{self.kv_ip}:1"
        self.rt = f"{ASN}:{topo.VNI}"

    def config(self, **overrides) -> dict:
        cfg = super().config(flood="evpn", remotes=[], **overrides)
        cfg["evpn"] = {
            "asn": ASN,
            "router-id": self.gw_ip,
            "hold-time": HOLD,
            "connect-retry": 2,
            "neighbors": [{"address": self.kv_ip, "remote-as": ASN}],
        }
        return cfg

    def up(self):
        super().up()
        try:
            self.start_gobgpd()
        except BaseException:
            self.down()
            raise

    def start_gobgpd(self):
        d = self.workdir / "gobgp"
        d.mkdir(parents=True, exist_ok=True)
        conf = d / "gobgpd.toml"
        conf.write_text(f"""[global.config]
  as = {ASN}
  router-id = "{self.kv_ip}"
  local-address-list = ["{self.kv_ip}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "{self.gw_ip}"
    peer-as = {ASN}
  [neighbors.timers.config]
    hold-time = {HOLD}
    keepalive-interval = {HOLD // 3}
    connect-retry = 2
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l2vpn-evpn"
""")
        log = open(d / "gobgpd.log", "ab")
        self.gobgpd = self.kv.popen(GOBGPD, "-f", conf, "-t", "toml", "--api-hosts",
                                    "127.0.0.1:50051", stdout=log, stderr=subprocess.STDOUT)
        log.close()
        if not wait_for(lambda: self.gobgp("neighbor", check=False).returncode == 0, timeout=10):
            raise topo.CommandError(f"gobgpd did not start:\n{self.gobgp_log()}")

    def kill_gobgpd(self):
        if self.gobgpd and self.gobgpd.poll() is None:
            self.gobgpd.send_signal(signal.SIGKILL)
            self.gobgpd.wait(timeout=10)

    def gobgp_log(self) -> str:
        try:
            return (self.workdir / "gobgp" / "gobgpd.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def gobgp(self, *args, check=True):
        return self.kv.run(GOBGP, "-u", "127.0.0.1", "-p", "50051", *args, check=check,
                           timeout=30)

    def gobgp_rib(self) -> dict:
        p = self.gobgp("global", "rib", "-a", "evpn", "-j", check=False)
        try:
            return json.loads(p.stdout or "{}") or {}
        except json.JSONDecodeError:
            return {}

    def gobgp_state(self) -> int | None:
        p = self.gobgp("neighbor", "-j", check=False)
        try:
            peers = json.loads(p.stdout or "[]")
        except json.JSONDecodeError:
            return None
        return peers[0]["state"].get("session_state") if peers else None

    def vgw_peer(self) -> dict:
        return self.ctl("show", "evpn", "peers")["peers"][0]

    # The routes GoBGP originates (RD kv:1, RT 65000:100, VXLAN encapsulation).
    def macadv(self, op: str):
        args = [MOVER, "0.0.0.0", "etag", "0", "label", topo.VNI, "rd", self.rd]
        if op == "add":
            args += ["rt", self.rt, "encap", "vxlan"]
        self.gobgp("global", "rib", "-a", "evpn", op, "macadv", *args)

    def multicast(self, op: str):
        args = [self.kv_ip, "etag", "0", "rd", self.rd]
        if op == "add":
            args += ["rt", self.rt, "encap", "vxlan", "pmsi", "ingress-repl", topo.VNI, self.kv_ip]
        self.gobgp("global", "rib", "-a", "evpn", op, "multicast", *args)


ESTABLISHED = 6  # GoBGP's API enum: ..., OPENCONFIRM 5, ESTABLISHED 6


@pytest.fixture(params=["socket", "packet"])
def fabric(request):
    require(os.geteuid() == 0, "namespace tests need root")
    require(os.access(GOBGPD, os.X_OK) and os.access(GOBGP, os.X_OK),
            "GoBGP is not installed (Debian package gobgpd)")
    require(topo.find_binary("vgwd") is not None, "vgwd is not built")
    f = GobgpFabric(topo.unique_prefix(), io=request.param)
    f.up()
    try:
        f.start_vgwd()
        yield f
    finally:
        f.kill_gobgpd()
        f.down()


@pytest.mark.vgwd
def test_type2_type3_exchange_with_gobgp(fabric):
    f = fabric
    assert wait_for(lambda: f.gobgp_state() == ESTABLISHED
                    and f.vgw_peer()["state"] == "Established", timeout=30), (
        f"vgw {f.vgw_peer()} gobgp {f.gobgp_state()}\n{f.gobgp_log()}\n{f.log_tail()}")

    # vgw's type 3 (originator = vgw's VTEP, RD router-id:1) is in GoBGP's RIB.
    imet = f"[type:multicast][rd:{f.gw_ip}:1][etag:0][ip:{f.gw_ip}]"
    assert wait_for(lambda: imet in f.gobgp_rib(), timeout=10), f.gobgp_rib()
    attrs = f.gobgp_rib()[imet][0]["attrs"]
    pmsi = [a for a in attrs if a["type"] == 22]
    assert pmsi and pmsi[0]["tunnel-id"] == f.gw_ip, attrs  # ingress replication to vgw
    ext = [a for a in attrs if a["type"] == 16][0]["value"]
    assert {"type": 0, "subtype": 2, "value": f"{ASN}:{topo.VNI}"} in ext, ext
    assert any(c.get("tunnel_type") == 8 for c in ext), ext  # VXLAN

    # h1 speaks: vgw learns it on p1 and advertises it as type 2, next hop = its VTEP.
    f.ping("h1", topo.HOST_IP["h2"], count=1, check=False)
    h1 = f"[type:macadv][rd:{f.gw_ip}:1][etag:0][mac:{topo.MAC['h1']}][ip:<nil>]"
    assert wait_for(lambda: h1 in f.gobgp_rib(), timeout=10), f.gobgp_rib()
    route = f.gobgp_rib()[h1][0]
    nh = [a for a in route["attrs"] if a["type"] == 14][0]["nexthop"]
    assert nh == f.gw_ip, route

    # GoBGP's type 3 -> vgw floods to its VTEP; its type 2 -> an EVPN FDB entry.
    f.multicast("add")
    f.macadv("add")

    def floods_to_kv():
        return any(f.kv_ip in n.get("remotes", []) for n in f.ctl("show", "networks"))

    def mover():
        return next((e for e in f.fdb() if e.get("mac") == MOVER), None)

    assert wait_for(floods_to_kv, timeout=10), f"{f.ctl('show', 'networks')}\n{f.log_tail()}"
    assert wait_for(mover, timeout=10), f"{f.fdb()}\n{f.ctl('show', 'evpn', 'routes')}"
    e = mover()
    assert e["type"] == "evpn" and e["remote"] == f.kv_ip, e
    routes = f.ctl("show", "evpn", "routes", "--type", "2")
    theirs = [r for r in routes if r.get("mac") == MOVER]
    assert theirs and theirs[0]["source"] == f.kv_ip and theirs[0]["imported"] == [topo.VNI]
    assert f.vgw_peer()["routes_received"] == 2

    # Withdrawn -> removed, each on its own.
    f.macadv("del")
    assert wait_for(lambda: mover() is None, timeout=10), f.fdb()
    assert floods_to_kv()
    f.multicast("del")
    assert wait_for(lambda: not floods_to_kv(), timeout=10), f.ctl("show", "networks")
    assert f.vgw_peer()["routes_received"] == 0

    # Added again, then gobgpd dies: the session drops and everything goes.
    f.multicast("add")
    f.macadv("add")
    assert wait_for(lambda: mover() is not None and floods_to_kv(), timeout=10)
    f.kill_gobgpd()
    assert wait_for(lambda: mover() is None and not floods_to_kv(), timeout=HOLD + 5), f.fdb()
    assert f.vgw_peer()["state"] != "Established"


MOVER_IP = "10.0.0.99"  # the MAC+IP binding only GoBGP knows


@pytest.mark.vgwd
def test_macip_binding_feeds_arp_suppression(fabric):
    """A type-2 MAC+IP route installs its binding in the network's neighbour table
    (origin evpn): h1's ARP request for that address is answered by vgw, and no ARP
    crosses the underlay; withdrawn, the binding goes."""
    f = fabric
    cfg = f.config()
    cfg["routers"] = [{"name": "blue-rtr", "tenant": "blue",
                       "interfaces": [{"network": "web", "address": "10.0.0.254/24"}]}]
    f.write_config(cfg)
    f.ctl("apply", "-f", f.config_path)
    assert wait_for(lambda: f.gobgp_state() == ESTABLISHED
                    and f.vgw_peer()["state"] == "Established", timeout=30), (
        f"vgw {f.vgw_peer()} gobgp {f.gobgp_state()}\n{f.gobgp_log()}\n{f.log_tail()}")
    f.multicast("add")  # vgw floods to GoBGP's VTEP: an unsuppressed ARP would go there
    f.gobgp("global", "rib", "-a", "evpn", "add", "macadv", MOVER, MOVER_IP, "etag", "0",
            "label", topo.VNI, "rd", f.rd, "rt", f.rt, "encap", "vxlan")

    def binding():
        return [a for a in f.ctl("show", "arp") if a["ip"] == MOVER_IP]
    got = wait_for(binding, timeout=10)
    assert got, f"{f.ctl('show', 'arp')}\n{f.ctl('show', 'evpn', 'routes')}"
    assert got[0]["mac"] == MOVER and got[0]["origin"] == "evpn" and got[0]["network"] == "web"

    suppressed = f.ctl("show", "counters")["router"]["suppressed"]
    cap = f.gw.popen("tshark", "-i", "u2", "-f", f"udp port {topo.VXLAN_PORT}", "-a",
                     "duration:5", "-Y", "arp", "-T", "fields", "-e", "arp.dst.proto_ipv4",
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(2)
    f.ping("h1", MOVER_IP, count=1, check=False)  # h1's kernel asks who has MOVER_IP
    out, _ = cap.communicate(timeout=30)
    neigh = f.h1.run("ip", "neigh", "show", MOVER_IP).stdout
    assert MOVER in neigh.lower(), neigh
    assert MOVER_IP not in out, f"ARP for {MOVER_IP} crossed the underlay: {out!r}"
    assert f.ctl("show", "counters")["router"]["suppressed"] >= suppressed + 1

    f.gobgp("global", "rib", "-a", "evpn", "del", "macadv", MOVER, MOVER_IP, "etag", "0",
            "label", topo.VNI, "rd", f.rd)
    assert wait_for(lambda: not binding(), timeout=10), f.ctl("show", "arp")
