"""Symmetric IRB with FRR (issues 3 and 4): L3 VNI, type-5 and type-2 MAC+IP routes.

    h1 10.1.0.10 --p1-- [gw: vgwd]  u2 ==== underlay ==== u1  [kv: FRR leaf]  --k2-- h2 10.2.0.20
      network web, VNI 100                                      br0 + vxlan200 (VNI 200), SVI 10.2.0.1
      router blue-rtr: 10.1.0.1/24                              br5000 + vxlan5000: the L3 VNI
      l3-vni 5000, advertise-connected                          zebra: `vni 5000` (default VRF)

The two sides share no L2 VNI at all: h1 and h2 are in different subnets and every
packet between them is routed on both gateways and crosses the fabric in the L3 VNI
5000, addressed to the far side's router MAC (RFC 9135 symmetric IRB). The kernel on
this machine has no VRF devices, so FRR's leaf runs its IP-VRF in the default VRF
(zebra's top-level `vni 5000`), as FRR allows.

Proof: vgw imports FRR's type-5 route for 10.2.0.0/24 and its type-2 MAC+IP route for h2
(two labels: VNI 200 and L3 VNI 5000, with FRR's router MAC) into blue-rtr's table; FRR
imports vgw's type-5 for 10.1.0.0/24 and vgw's MAC+IP for h1 (labels 100/5000, vgw's
router MAC); h1 and h2 ping each other; tshark on the underlay sees the ICMP in VNI 5000
with the router MACs as inner addresses; when bgpd dies, every EVPN route and router
MAC it installed is gone from vgw.
"""
from __future__ import annotations

import json
import subprocess
import time

import pytest

import topo
from conftest import wait_for
from test_evpn_frr import HOLD, EvpnFabric, established, running_fabric

pytestmark = pytest.mark.vgwd

L2_VNI = 100       # vgw's network
FRR_L2_VNI = 200   # FRR's network
L3_VNI = 5000
H1 = "10.1.0.10"
H2 = "10.2.0.20"
FRR_RMAC = "02:00:00:50:00:01"


class IrbFabric(EvpnFabric):
    def config(self, **overrides) -> dict:
        cfg = super().config(**overrides)
        cfg["routers"] = [{
            "name": "blue-rtr",
            "tenant": "blue",
            "l3-vni": L3_VNI,
            "advertise-connected": True,
            "interfaces": [{"network": "web", "address": "10.1.0.1/24"}],
        }]
        if self.ebgp:
            cfg["evpn"]["vnis"].append({"vni": L3_VNI,
                                        "route-targets": [f"{self.frr_as}:{L3_VNI}"]})
        return cfg

    def up(self):
        super().up()  # FRR starts at the end of it, with our zebra/bgpd configuration
        try:
            for host, ip, gw in (("h1", H1, "10.1.0.1"), ("h2", H2, "10.2.0.1")):
                ns = self.ns[host]
                ns.ip("addr", "flush", "dev", "eth0")
                ns.ip("addr", "add", f"{ip}/24", "dev", "eth0")
                ns.ip("route", "add", "default", "via", gw)
        except BaseException:
            self.down()
            raise

    def start_frr(self):
        kv = self.kv
        # FRR's leaf: VNI 200 in br0 (the base topology's vxlan100 goes), its SVI
        # 10.2.0.1, and the L3 VNI 5000 in br5000 whose MAC is the router MAC.
        kv.ip("link", "del", "vxlan100")
        kv.ip("link", "add", "vxlan200", "type", "vxlan", "id", FRR_L2_VNI, "dstport",
              topo.VXLAN_PORT, "local", self.kv_ip, "dev", "u1", "nolearning")
        kv.ip("link", "add", "br5000", "type", "bridge")
        kv.ip("link", "set", "br5000", "address", FRR_RMAC)
        kv.ip("link", "add", "vxlan5000", "type", "vxlan", "id", L3_VNI, "dstport",
              topo.VXLAN_PORT, "local", self.kv_ip, "dev", "u1", "nolearning")
        for port, br in (("vxlan200", "br0"), ("vxlan5000", "br5000")):
            kv.ip("link", "set", port, "mtu", 1500)
            kv.ip("link", "set", port, "master", br)
            kv.ip("link", "set", port, "type", "bridge_slave", "learning", "off",
                  "neigh_suppress", "off", check=False)
            kv.ip("link", "set", port, "up")
        kv.ip("link", "set", "br5000", "up")
        kv.ip("addr", "add", "10.2.0.1/24", "dev", "br0")
        kv.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        for k in ("all", "default", "br0", "br5000"):
            kv.run("sysctl", "-qw", f"net.ipv4.conf.{k}.rp_filter=0")
        super().start_frr()

    def zebra_conf(self) -> str:
        return (f"hostname kv\nlog file {self.frr_dir}/zebra.log\n"
                f"vni {L3_VNI}\n")

    def bgpd_conf(self) -> str:
        # Type 5 for FRR's tenant subnet only (its default VRF also holds the underlay).
        return super().bgpd_conf(
            before=["ip prefix-list TENANT seq 5 permit 10.2.0.0/24",
                    "route-map TENANT permit 10", " match ip address prefix-list TENANT", "!"],
            families=[" address-family ipv4 unicast",
                      "  redistribute connected route-map TENANT", " exit-address-family", " !"],
            evpn=["  advertise ipv4 unicast route-map TENANT"])

    def kernel_fdb(self, role: str = "kv", dev: str = "vxlan5000") -> list[dict]:
        out = topo.sh(["bridge", "-n", self.ns[role].name, "-j", "fdb", "show", "dev", dev])
        return json.loads(out.stdout or "[]")


@pytest.fixture(params=[("ibgp", "packet"), ("ebgp", "socket")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def fabric(request):
    session, io = request.param
    yield from running_fabric(IrbFabric, ebgp=session == "ebgp", io=io)


def evpn_routes(f: IrbFabric) -> list[dict]:
    return [r for r in f.ctl("show", "routes") if r.get("source") == "evpn"]


def test_symmetric_irb_with_frr(fabric):
    f = fabric
    assert wait_for(lambda: established(f), timeout=30), (
        f"no session: vgw {f.vgw_peer()} frr {f.frr_peer_state()}\n{f.frr_log()}\n{f.log_tail()}")

    # vgw's type 5 for its connected subnet, with its router MAC and the L3 VNI.
    local5 = [r for r in f.ctl("show", "evpn", "routes", "--type", "5") if r["source"] == "local"]
    assert [r["ip_prefix"] for r in local5] == ["10.1.0.0/24"], local5
    assert local5[0]["vni"] == L3_VNI
    rmac = [c for c in local5[0]["ext_communities"] if c.startswith("Rmac:")]
    assert len(rmac) == 1, local5
    vgw_rmac = rmac[0][len("Rmac:"):]
    rt = f"RT:{f.frr_as if f.ebgp else f.vgw_as}:{L3_VNI}"
    assert rt in local5[0]["ext_communities"], local5

    # FRR imported it: 10.1.0.0/24 via vgw's VTEP, vgw's router MAC on the L3 VNI.
    assert wait_for(lambda: "10.1.0.0/24" in f.kv.run("ip", "route").stdout, timeout=15), (
        f.vtysh("show bgp l2vpn evpn route type prefix") + f.frr_log())
    route = f.kv.run("ip", "route", "show", "10.1.0.0/24").stdout
    assert f.gw_ip in route and "br5000" in route, route
    assert wait_for(lambda: any(e.get("mac") == vgw_rmac and e.get("dst") == f.gw_ip
                                for e in f.kernel_fdb()), timeout=10), f.kernel_fdb()

    # vgw imported FRR's type 5 (10.2.0.0/24) into blue-rtr through the L3 VNI.
    def frr_prefix():
        return [r for r in f.ctl("show", "evpn", "routes", "--type", "5")
                if r["source"] == f.kv_ip and r["ip_prefix"] == "10.2.0.0/24"]
    got = wait_for(frr_prefix, timeout=15)
    assert got, f.ctl("show", "evpn", "routes") and f.vtysh("show bgp l2vpn evpn route")
    assert f"Rmac:{FRR_RMAC}" in got[0]["ext_communities"], got
    assert got[0]["imported_l3"] == [L3_VNI], got
    assert wait_for(lambda: [r for r in evpn_routes(f) if r["prefix"] == "10.2.0.0/24"],
                    timeout=10), f.ctl("show", "routes")
    r = [r for r in evpn_routes(f) if r["prefix"] == "10.2.0.0/24"][0]
    assert r["via"] == [f.kv_ip] and r["router"] == "blue-rtr", r
    # FRR's router MAC: a binding and an FDB entry in the L3 VNI's network.
    arp = f.ctl("show", "arp")
    assert any(a["ip"] == f.kv_ip and a["mac"] == FRR_RMAC and a["origin"] == "evpn"
               for a in arp), arp
    assert any(e.get("mac") == FRR_RMAC and e.get("remote") == f.kv_ip for e in f.fdb()), f.fdb()

    # Hosts in different subnets reach each other, routed on both sides.
    f.ping("h2", "10.2.0.1", count=1, check=False)  # FRR learns h2 (its MAC+IP route)
    assert wait_for(lambda: f.ping("h1", H2, count=1, check=False).returncode == 0,
                    timeout=20), f"{f.log_tail()}\n{f.ctl('show', 'drops')}"
    f.ping("h2", H1, count=3)

    # Type-2 MAC+IP both ways, with two labels and the router MAC.
    def frr_h2():
        return [r for r in f.ctl("show", "evpn", "routes", "--type", "2")
                if r["source"] == f.kv_ip and r.get("ip") == H2]
    got = wait_for(frr_h2, timeout=15)
    assert got, f.ctl("show", "evpn", "routes")
    assert got[0]["l3_vni"] == L3_VNI and got[0]["mac"] == topo.MAC["h2"], got
    assert f"Rmac:{FRR_RMAC}" in got[0]["ext_communities"], got
    assert wait_for(lambda: [r for r in evpn_routes(f) if r["prefix"] == f"{H2}/32"],
                    timeout=10), f.ctl("show", "routes")

    def vgw_h1():
        return [r for r in f.ctl("show", "evpn", "routes", "--type", "2")
                if r["source"] == "local" and r.get("ip") == H1]
    got = wait_for(vgw_h1, timeout=10)
    assert got, f.ctl("show", "evpn", "routes")
    assert got[0]["l3_vni"] == L3_VNI and got[0]["vni"] == L2_VNI, got
    assert f"Rmac:{vgw_rmac}" in got[0]["ext_communities"], got
    macip = f"[2]:[0]:[48]:[{topo.MAC['h1']}]:[32]:[{H1}]"
    assert wait_for(lambda: macip in f.vtysh("show bgp l2vpn evpn route type macip"),
                    timeout=10), f.vtysh("show bgp l2vpn evpn route type macip")
    assert wait_for(lambda: f"{H1} " in f.kv.run("ip", "route").stdout, timeout=10), (
        f.kv.run("ip", "route").stdout)

    # Router interface MACs are local on every gateway (anycast): never advertised.
    router_macs = {e["mac"] for e in f.fdb() if e.get("type") == "router"}
    assert vgw_rmac in router_macs and len(router_macs) == 2, f.fdb()
    local2 = {r["mac"] for r in f.ctl("show", "evpn", "routes", "--type", "2")
              if r["source"] == "local"}
    assert topo.MAC["h1"] in local2 and not (local2 & router_macs), local2

    # vgwctl check: the L3 VNI network, its router MAC and FRR's router MAC (an EVPN
    # entry explained by the imported routes) are all consistent.
    chk = f.ctl_raw("check")
    assert chk.returncode == 0, chk.stdout + chk.stderr
    # The text tables read the same state (router entries have no port or VLAN).
    for what in (("fdb",), ("routes",), ("arp",), ("evpn", "routes")):
        out = f.ctl_raw("show", *what, json_out=False)
        assert out.returncode == 0 and out.stdout, (what, out.stdout, out.stderr)
    assert "blue-rtr/l3vni" in f.ctl_raw("show", "fdb", json_out=False).stdout

    # On the wire: the ICMP between h1 and h2 crosses in the L3 VNI, inner Ethernet
    # between the two router MACs (never VNI 100 or 200).
    cap = f.gw.popen("tshark", "-i", "u2", "-f", f"udp port {topo.VXLAN_PORT}", "-a",
                     "duration:6", "-Y", "icmp", "-T", "fields", "-e", "vxlan.vni", "-e",
                     "eth.src", "-e", "eth.dst", "-e", "ip.src", "-e", "ip.dst",
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(2)
    f.ping("h1", H2, count=4)
    out, _ = cap.communicate(timeout=30)
    rows = [line.split("\t") for line in out.splitlines() if line.strip()]
    assert len(rows) >= 8, out  # 4 requests and 4 replies
    for row in rows:
        vni, srcs, dsts = row[0], row[1].split(","), row[2].split(",")
        assert vni == str(L3_VNI), row
        inner = (srcs[-1], dsts[-1])
        assert inner in ((vgw_rmac, FRR_RMAC), (FRR_RMAC, vgw_rmac)), row

    # Peer failure: bgpd killed -> the EVPN routes, FRR's router MAC binding and
    # FDB entry are removed from vgw; h2 is unreachable.
    f.kill_bgpd()

    def gone():
        return (not evpn_routes(f)
                and not any(e.get("mac") == FRR_RMAC for e in f.fdb())
                and not any(a["ip"] == f.kv_ip for a in f.ctl("show", "arp")))
    assert wait_for(gone, timeout=HOLD + 5), (
        f"{evpn_routes(f)}\n{f.fdb()}\n{f.ctl('show', 'arp')}")
    assert f.ping("h1", H2, count=1, check=False).returncode != 0
