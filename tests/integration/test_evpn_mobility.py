"""MAC mobility (RFC 7432 §15) between vgwd and FRR, through both data planes.

The EVPN fabric of test_evpn_frr.py, plus a second link for h3, the host that moves:

    h1 --p1-- [gw: vgwd] ==== underlay ==== [kv: vxlan100 + br0 + FRR] --k2-- h2
    h3 --p3--/  (eth0)                                 (eth1) \\--k3-- h3

h3 keeps one MAC and one IP; "moving" it means taking its address off one link and
putting it on the other. Both links stay up and h3 has no IPv6, so it never speaks
on the link it left: the side it left still has it as a local MAC until the other
side's higher sequence arrives, as with a real host move. At each step h3 talks,
the side it is now behind learns it in its data plane (vgw: the learn takes over
the EVPN entry) and advertises it with MAC Mobility sequence = highest seen + 1;
the other side then points h3 at that VTEP. Both sides are asked: vgw's `show fdb` and
`show evpn routes`, FRR's `show evpn mac vni 100 mac X json` and the kernel FDB.
"""

import pytest

import topo
from conftest import wait_for
from test_evpn_frr import EvpnFabric, established, running_fabric

H3 = topo.MAC["h3"]
H3_IP = topo.HOST_IP["h3"]


class MobilityFabric(EvpnFabric):
    def up(self):
        super().up()
        try:
            # h3 says nothing unless asked (no IPv6 autoconfiguration, no MLD).
            self.h3.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            self.h3.run("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
            # h3's second link, into FRR's bridge, with the same MAC.
            self.veth("h3", "eth1", "kv", "k3")
            self.h3.run("sysctl", "-qw", "net.ipv6.conf.eth1.disable_ipv6=1")
            self.h3.ip("link", "set", "eth1", "address", H3)
            self.h3.ip("link", "set", "eth1", "up")
            self.kv.ip("link", "set", "k3", "master", "br0")
            self.kv.ip("link", "set", "k3", "up")
        except BaseException:
            self.down()
            raise

    def move_h3(self, to: str):
        """to: "vgw" (eth0, behind p3) or "frr" (eth1, behind k3)."""
        new, old = ("eth0", "eth1") if to == "vgw" else ("eth1", "eth0")
        self.h3.ip("addr", "flush", "dev", old)
        self.h3.ip("addr", "add", f"{H3_IP}/24", "dev", new)
        self.h3.run("ip", "neigh", "flush", "all", check=False)

    def h3_speaks(self):
        # h3 talks to both sides, so each data plane sees its source MAC.
        for dst in ("h1", "h2"):
            self.ping("h3", topo.HOST_IP[dst], count=1, check=False)

    # -- what each side says about h3 -------------------------------------------

    def vgw_h3(self) -> dict | None:
        return next((e for e in self.fdb() if e.get("mac") == H3), None)

    def vgw_h3_routes(self) -> list[dict]:
        return [r for r in self.vgw_routes("--type", "2") if r.get("mac") == H3]

    def frr_h3(self) -> dict:
        j = self.vtysh_json(f"show evpn mac vni {topo.VNI} mac {H3} json")
        return j.get(H3, j)  # FRR 8.4 nests it under the MAC

    def kv_h3(self) -> dict | None:
        # The VXLAN device's own entry (with dst), not the bridge's extern_learn one.
        return next((e for e in self.kernel_fdb() if e.get("mac") == H3 and "dst" in e), None)


@pytest.fixture
def fabric():
    yield from running_fabric(MobilityFabric, ebgp=False, io="packet")


@pytest.mark.vgwd
def test_host_moves_to_frr_and_back(fabric):
    f = fabric
    assert wait_for(lambda: established(f), timeout=30), (
        f"no session: vgw {f.vgw_peer()} frr {f.frr_peer_state()}\n{f.frr_log()}\n{f.log_tail()}")

    def diag() -> str:
        return (f"vgw fdb {f.vgw_h3()}\nvgw routes {f.vgw_h3_routes()}\nfrr {f.frr_h3()}\n"
                f"kernel {f.kv_h3()}\n{f.log_tail(15)}")

    # 1. h3 behind vgw: learned on p3 and advertised (no MAC mobility community yet).
    def behind_vgw(seq: int):
        e = f.vgw_h3()
        ours = [r for r in f.vgw_h3_routes() if r["source"] == "local"]
        frr = f.frr_h3()
        k = f.kv_h3()
        return (e is not None and e["type"] == "local" and e["port"] == "p3"
                and len(ours) == 1 and (ours[0]["sequence"] or 0) == seq
                and frr.get("type") == "remote" and frr.get("remoteVtep") == f.gw_ip
                and k is not None and k.get("dst") == f.gw_ip)

    f.h3_speaks()
    assert wait_for(lambda: (f.h3_speaks(), behind_vgw(0))[1], timeout=20, interval=1), diag()

    # 2. h3 moves behind FRR: the kernel bridge learns it on k3, FRR advertises it with
    # sequence 1, vgw withdraws its own route and points h3 at FRR's VTEP.
    f.move_h3("frr")

    def behind_frr(seq: int):
        e = f.vgw_h3()
        routes = f.vgw_h3_routes()
        frr = f.frr_h3()
        return (e is not None and e["type"] == "evpn" and e["remote"] == f.kv_ip
                and not [r for r in routes if r["source"] == "local"]
                and any(r["source"] == f.kv_ip and r["sequence"] == seq for r in routes)
                and frr.get("type") == "local" and frr.get("localSequence") == seq)

    assert wait_for(lambda: (f.h3_speaks(), behind_frr(1))[1], timeout=30, interval=1), diag()
    assert f.ping("h3", topo.HOST_IP["h1"], count=2, check=False).returncode == 0, diag()

    # 3. Back behind vgw: the local learn takes the EVPN entry over and vgw advertises
    # sequence 2 (highest seen + 1); FRR installs h3 at vgw's VTEP again.
    f.move_h3("vgw")

    def back_behind_vgw():
        frr = f.frr_h3()
        return behind_vgw(2) and frr.get("remoteSequence") == 2

    assert wait_for(lambda: (f.h3_speaks(), back_behind_vgw())[1], timeout=30, interval=1), diag()
    assert f.vgw_h3()["moves"] >= 1
    assert f.ping("h3", topo.HOST_IP["h2"], count=2, check=False).returncode == 0, diag()

    # 4. And to FRR once more: the sequence keeps rising (3).
    f.move_h3("frr")
    assert wait_for(lambda: (f.h3_speaks(), behind_frr(3))[1], timeout=30, interval=1), diag()
