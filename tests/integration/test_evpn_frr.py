"""BGP-EVPN against FRR (issue 4): vgwd peers with a Cumulus-style leaf.

The topology is topo.Fabric's, with EVPN in place of the static head-end lists:

    h1 --p1-- [gw: vgwd, evpn] u2 ==== underlay ==== u1 [kv: vxlan100 (nolearning) + br0 + FRR] --k2-- h2

In kv, zebra and bgpd run by hand (no systemd) with their own pathspace, config,
pid files, zserv socket and vty directory, as the issue describes; the kernel VXLAN
device learns nothing and has no static flood entry, so everything it knows comes
from vgw's type-2/type-3 routes through FRR. vgwd's network uses `flood: evpn` and
no static remotes, so everything it knows comes from FRR's routes.

Proof: the session reaches Established on both sides (iBGP and eBGP with configured
route targets), FRR holds vgw's type-3 and vgw holds FRR's, flood lists are built on
both sides, hosts ping across, type-2 routes go both ways, and when bgpd dies vgw
removes everything it installed after the hold time.
"""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import topo
from conftest import require, wait_for

FRR = Path("/usr/lib/frr")
VTYSH = shutil.which("vtysh") or "/usr/bin/vtysh"
HOLD = 9  # both sides propose it: a dead peer is noticed in 9 s


class EvpnFabric(topo.Fabric):
    def __init__(self, prefix: str, ebgp: bool, io: str):
        super().__init__(prefix, gateway="vgwd", io=io)
        self.ebgp = ebgp
        self.vgw_as = 65001 if ebgp else 65000
        self.frr_as = 65002 if ebgp else 65000
        self.frr_dir = self.workdir / "frr"
        self.frr_name = prefix + "frr"
        self.bgpd: subprocess.Popen | None = None

    def config(self, **overrides) -> dict:
        cfg = super().config(flood="evpn", remotes=[], **overrides)
        vni = {"vni": topo.VNI}
        if self.ebgp:
            # Each side derives RT <own AS>:VNI: vgw is told FRR's (import and export).
            vni["route-targets"] = [f"{self.frr_as}:{topo.VNI}"]
        cfg["evpn"] = {
            "asn": self.vgw_as,
            "router-id": self.gw_ip,
            "hold-time": HOLD,
            "connect-retry": 2,
            "neighbors": [{"address": self.kv_ip, "remote-as": self.frr_as}],
            "vnis": [vni],
        }
        return cfg

    def up(self):
        super().up()
        try:
            kv = self.kv
            # EVPN: no data-plane learning, no static flood entry on FRR's side.
            kv.ip("link", "set", "vxlan100", "type", "vxlan", "nolearning")
            sh_ok = topo.sh(["bridge", "-n", kv.name, "fdb", "del", "00:00:00:00:00:00", "dev",
                             "vxlan100", "dst", self.gw_ip], check=False)
            assert sh_ok.returncode == 0, sh_ok.stderr
            kv.ip("link", "set", "vxlan100", "type", "bridge_slave", "neigh_suppress", "off",
                  "learning", "off", check=False)
            self.start_frr()
        except BaseException:
            self.down()
            raise

    # -- FRR ------------------------------------------------------------------

    def zebra_conf(self) -> str:
        return f"hostname kv\nlog file {self.frr_dir}/zebra.log\n"

    def bgpd_conf(self, before=(), families=(), evpn=()) -> str:
        """FRR's bgpd.conf: `before` goes ahead of `router bgp`, `families` are more
        address-family blocks, `evpn` more lines in the l2vpn evpn family."""
        lines = [
            "frr defaults datacenter",
            "hostname kv",
            f"log file {self.frr_dir}/bgpd.log",
            "!",
            *before,
            f"router bgp {self.frr_as}",
            f" bgp router-id {self.kv_ip}",
            " no bgp default ipv4-unicast",
            " no bgp ebgp-requires-policy",
            f" neighbor {self.gw_ip} remote-as {self.vgw_as}",
            f" neighbor {self.gw_ip} timers {HOLD // 3} {HOLD}",
            f" neighbor {self.gw_ip} timers connect 2",
            " !",
            *families,
            " address-family l2vpn evpn",
            f"  neighbor {self.gw_ip} activate",
            "  advertise-all-vni",
            *evpn,
            " exit-address-family",
            "!",
        ]
        return "\n".join(lines) + "\n"

    def start_frr(self):
        d = self.frr_dir
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)  # frr (the user) walks into it
        shutil.chown(d, "frr", "frr")
        os.chmod(d, 0o775)
        run_dir = Path("/var/run/frr") / self.frr_name  # -N's own default paths
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(run_dir, "frr", "frr")
        (d / "zebra.conf").write_text(self.zebra_conf())
        (d / "bgpd.conf").write_text(self.bgpd_conf())
        for f in ("zebra.conf", "bgpd.conf"):
            os.chmod(d / f, 0o644)
        zserv = d / "zserv.api"
        common = ["-N", self.frr_name, "-z", str(zserv), "--vty_socket", str(d), "-u", "frr",
                  "-g", "frr"]
        log = open(d / "daemons.out", "ab")
        self.kv.popen(str(FRR / "zebra"), "-f", d / "zebra.conf", "-i", d / "zebra.pid", *common,
                      stdout=log, stderr=subprocess.STDOUT)
        if not wait_for(lambda: zserv.exists(), timeout=10):
            raise topo.CommandError(f"zebra did not start:\n{self.frr_log()}")
        self.start_bgpd()
        log.close()

    def start_bgpd(self):
        d = self.frr_dir
        log = open(d / "daemons.out", "ab")
        self.bgpd = self.kv.popen(str(FRR / "bgpd"), "-f", d / "bgpd.conf", "-i", d / "bgpd.pid",
                                  "-N", self.frr_name, "-z", str(d / "zserv.api"), "--vty_socket",
                                  str(d), "-u", "frr", "-g", "frr", stdout=log,
                                  stderr=subprocess.STDOUT)
        log.close()
        if not wait_for(lambda: (d / "bgpd.vty").exists(), timeout=10):
            raise topo.CommandError(f"bgpd did not start:\n{self.frr_log()}")

    def kill_bgpd(self):
        if self.bgpd and self.bgpd.poll() is None:
            self.bgpd.send_signal(signal.SIGKILL)
            self.bgpd.wait(timeout=10)
        (self.frr_dir / "bgpd.vty").unlink(missing_ok=True)

    def down(self):
        super().down()
        shutil.rmtree(Path("/var/run/frr") / self.frr_name, ignore_errors=True)

    def frr_log(self, n: int = 40) -> str:
        out = []
        for f in ("daemons.out", "zebra.log", "bgpd.log"):
            try:
                lines = (self.frr_dir / f).read_text(errors="replace").splitlines()[-n:]
                out.append(f"== {f}\n" + "\n".join(lines))
            except OSError:
                pass
        return "\n".join(out)

    def vtysh(self, command: str) -> str:
        # --vty_socket alone: with -N vtysh would also want /etc/frr/<name>/vtysh.conf.
        p = self.kv.run(VTYSH, "--vty_socket", self.frr_dir, "-c", command, check=False,
                        timeout=30)
        return p.stdout

    def vtysh_json(self, command: str):
        text = self.vtysh(command)
        try:
            return json.loads(text or "{}")
        except json.JSONDecodeError:
            return {}

    # -- what each side sees ------------------------------------------------------

    def frr_peer_state(self) -> str | None:
        summary = self.vtysh_json("show bgp l2vpn evpn summary json")
        peers = summary.get("peers") or summary.get("l2VpnEvpn", {}).get("peers", {})
        return peers.get(self.gw_ip, {}).get("state")

    def vgw_peer(self) -> dict:
        peers = self.ctl("show", "evpn", "peers")["peers"]
        assert len(peers) == 1
        return peers[0]

    def vgw_routes(self, *args) -> list[dict]:
        return self.ctl("show", "evpn", "routes", *args)

    def frr_evpn_macs(self) -> str:
        return self.vtysh(f"show evpn mac vni {topo.VNI}")


@pytest.fixture(params=[("ibgp", "socket"), ("ebgp", "socket"), ("ibgp", "packet"),
                        ("ebgp", "packet")], ids=lambda p: f"{p[0]}-{p[1]}")
def fabric(request):
    session, io = request.param
    yield from running_fabric(EvpnFabric, ebgp=session == "ebgp", io=io)


def running_fabric(cls, **kw):
    """Builds cls's fabric (FRR running), starts vgwd, yields it and takes all down."""
    require(os.geteuid() == 0, "namespace tests need root")
    require((FRR / "bgpd").exists() and (FRR / "zebra").exists(),
            "FRR is not installed (Debian package frr)")
    require(topo.find_binary("vgwd") is not None, "vgwd is not built")
    f = cls(topo.unique_prefix(), **kw)
    f.up()
    try:
        f.start_vgwd()
        yield f
    finally:
        f.down()


def established(f: EvpnFabric) -> bool:
    return f.frr_peer_state() == "Established" and f.vgw_peer()["state"] == "Established"


@pytest.mark.vgwd
def test_session_routes_and_data_plane(fabric):
    f = fabric
    assert wait_for(lambda: established(f), timeout=30), (
        f"no session: vgw {f.vgw_peer()} frr {f.frr_peer_state()}\n{f.frr_log()}\n{f.log_tail()}")
    peer = f.vgw_peer()
    assert peer["type"] == ("ebgp" if f.ebgp else "ibgp")
    assert peer["hold_time"] == HOLD
    assert peer["peer_router_id"] == f.kv_ip
    text = f.ctl_raw("show", "evpn", "peers", json_out=False).stdout
    assert f.kv_ip in text and "Established" in text, text

    # FRR holds vgw's type 3 (RD router-id:1, originator = vgw's VTEP)...
    imet = f"[3]:[0]:[32]:[{f.gw_ip}]"
    assert wait_for(lambda: imet in f.vtysh("show bgp l2vpn evpn route type multicast"),
                    timeout=10), f.vtysh("show bgp l2vpn evpn route")
    # ... and vgw holds FRR's, imported into VNI 100.
    def frr_imet():
        return [r for r in f.vgw_routes("--type", "3")
                if r["source"] == f.kv_ip and r["originator"] == f.kv_ip]
    routes = wait_for(frr_imet, timeout=10)
    assert routes, f.vgw_routes()
    assert routes[0]["vni"] == topo.VNI
    assert routes[0]["imported"] == [topo.VNI]
    assert "ET:8" in routes[0]["ext_communities"]
    assert routes[0]["pmsi_endpoint"] == f.kv_ip
    # The VNI filter: nothing in another VNI.
    assert f.vgw_routes("--vni", "4242") == []

    # Flood lists on both sides: vgw's network floods to FRR's VTEP (owner evpn) and
    # the kernel VTEP got vgw as an all-zeros entry from FRR.
    def vgw_floods_to_kv():
        nets = f.ctl("show", "networks")
        return any(f.kv_ip in n.get("remotes", []) for n in nets)
    assert wait_for(vgw_floods_to_kv, timeout=10), f.ctl("show", "networks")
    assert wait_for(lambda: any(e.get("mac") == "00:00:00:00:00:00" and e.get("dst") == f.gw_ip
                                for e in f.kernel_fdb()), timeout=10), f.kernel_fdb()

    # Hosts reach each other; the MACs travel as type-2 routes both ways.
    assert wait_for(lambda: f.ping("h1", topo.HOST_IP["h2"], count=1, check=False).returncode == 0,
                    timeout=20), f"{f.log_tail()}\n{f.kernel_fdb()}"
    h2_mac = topo.MAC["h2"]
    h1_mac = topo.MAC["h1"]
    assert wait_for(lambda: any(r.get("mac") == h2_mac and r["source"] == f.kv_ip
                                for r in f.vgw_routes("--type", "2")), timeout=15), f.vgw_routes()
    assert wait_for(lambda: h1_mac in f.vtysh("show bgp l2vpn evpn route type macip"),
                    timeout=15), f.vtysh("show bgp l2vpn evpn route")
    # FRR installed h1 at vgw's VTEP in the kernel.
    assert wait_for(lambda: any(e.get("mac") == h1_mac and e.get("dst") == f.gw_ip
                                for e in f.kernel_fdb()), timeout=10), f.kernel_fdb()
    # vgw installed h2 at FRR's VTEP, as an EVPN entry.
    def h2_entry():
        return [e for e in f.fdb() if e.get("mac") == h2_mac]
    entries = wait_for(h2_entry, timeout=10)
    assert entries and entries[0].get("remote") == f.kv_ip, f.fdb()

    def gone():
        return (not [r for r in f.vgw_routes() if r["source"] == f.kv_ip]
                and not vgw_floods_to_kv()
                and not [e for e in f.fdb() if e.get("mac") == h2_mac])

    # Peer failure 1: bgpd killed. Its TCP connection closes with it, so vgw drops the
    # session at once and removes everything FRR's routes installed.
    f.kill_bgpd()
    assert wait_for(gone, timeout=HOLD + 5), f"{f.vgw_routes()}\n{f.fdb()}"
    assert f.vgw_peer()["state"] != "Established"
    assert f.vgw_peer()["routes_received"] == 0

    # Restart: the session and the routes come back (h2 is still in FRR's bridge).
    f.start_bgpd()
    assert wait_for(lambda: established(f), timeout=30), f.frr_log()
    assert wait_for(frr_imet, timeout=15), f.vgw_routes()
    assert wait_for(vgw_floods_to_kv, timeout=10)
    assert wait_for(lambda: any(r.get("mac") == h2_mac for r in f.vgw_routes("--type", "2")),
                    timeout=15), f.vgw_routes()

    # Peer failure 2: the underlay silently drops BGP (no FIN, no RST): only the hold
    # timer can notice, and it does after HOLD seconds.
    f.kv.run("nft", "-f", "-", input=(
        "table inet vgwtest {\n"
        " chain in { type filter hook input priority 0; tcp sport 179 drop; tcp dport 179 drop; }\n"
        " chain out { type filter hook output priority 0; tcp sport 179 drop; tcp dport 179 drop; }\n"
        "}\n"))
    t0 = time.monotonic()
    assert wait_for(gone, timeout=HOLD + 10), f"{f.vgw_routes()}\n{f.fdb()}"
    assert time.monotonic() - t0 >= HOLD - 3.5  # the hold timer (keepalives were 3 s apart)
    peer = f.vgw_peer()
    assert peer["state"] != "Established"
    assert "Hold Timer Expired" in peer["last_error"], peer
