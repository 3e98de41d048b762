"""The leaf-spine lab (issue 5): an EVPN fabric in network namespaces.

       spine1  10.255.0.1                       spine2  10.255.0.2
       FRR: EVPN route reflector                FRR: EVPN route reflector
       l1      l2      l3                       l1      l2      l3
       |       |       |     one /31 link from each spine to each leaf
       s1 s2   s1 s2   s1 s2    (s1 to spine1, s2 to spine2)
    leaf1 (vgwd)   leaf2 (vgwd)   leaf3 (kernel VXLAN + FRR)
    10.255.0.11    10.255.0.12    10.255.0.13         VTEP = loopback /32
     p1     p2      p1     p2      p1      p2
     h11    h12     h21    h22     h31     h32        h<leaf>1: VNI 100, 10.100.0.<leaf>1
                                                       h<leaf>2: VNI 200, 10.200.0.<leaf>2

Underlay: each leaf<->spine link is a /31 (172.16.<10*spine+leaf>.0/31, spine .0, leaf
.1, MTU 1600 for the VXLAN overhead); every node has a /32 loopback (the leaves' is
their VTEP address). Spines and leaves are routers (ip_forward); a spine reaches each
leaf loopback over its link, a leaf reaches another leaf's loopback over both spines
(a multipath route, hashed on L4: net.ipv4.fib_multipath_hash_policy=1). Measured:
the spreading is per VTEP pair, not per flow, on both kinds of leaf, although the VXLAN
source ports do vary per flow (RFC 7348 §5): the kernel VXLAN device caches one route
per remote VTEP, and vgwd's socket underlay sends through a raw socket, whose route
lookup sees no ports.
Two ways to get the routes: static ones (the default: fast and deterministic) or
underlay="ospf": FRR zebra + ospfd on every spine and leaf (area 0, point-to-point
links, loopbacks passive), so the multipath routes come from OSPF as in a real fabric.
The kernel forwards either way.

Overlay: iBGP AS 65000, l2vpn evpn. Both spines run FRR bgpd as route reflectors (RFC
4456) with the three leaves as clients, peering loopback to loopback; the spines hold no
VNI. leaf1 and leaf2 run vgwd (`evpn:` with both spines as neighbours, `flood: evpn`,
underlay `io: socket`: the VTEP address lives on lo and the uplinks are two interfaces
(ECMP), which an AF_PACKET/AF_XDP underlay bound to one interface cannot cover, so the
kernel routes vgwd's datagrams). leaf3 is the Cumulus-style reference VTEP: vxlan100 and
vxlan200 (nolearning, local = its loopback) in bridges br100/br200, FRR zebra + bgpd with
advertise-all-vni. Hosts in the same VNI share a subnet (10.100.0.0/24, 10.200.0.0/24).

Routing: every leaf is the distributed anycast gateway of both subnets (10.<vni>.0.254,
the same MAC on every leaf: vgwd's router lab-rtr, FRR's bridge SVIs) and the tenant's
L3 VNI 5000 carries routed traffic between leaves (symmetric IRB, RFC 9135): vgwd's
`l3-vni: 5000`, leaf3's br5000 + vxlan5000 with zebra's `vni 5000` (its default VRF:
this kernel has no VRF devices). Hosts' IP-MAC bindings travel as type-2 MAC+IP routes
with both labels and each leaf's router MAC, and become host routes over the L3 VNI.
Known gap: leaf3's zebra installs those host routes (via br5000) but often not the
vgwd leaves' router MACs (no extern_learn neighbour/FDB entry), so routed traffic from
leaf3 towards a vgwd leaf can fail here; with a directly connected VTEP
(tests/integration/test_evpn_irb.py) FRR installs them and symmetric IRB works both ways.

Each vgwd serves its HTTP API (and the Fabric Manager page) on 127.0.0.1:808<leaf>
inside its namespace. Everything a LeafSpine creates is named from its prefix (namespaces,
FRR instance names, /var/run/frr/<prefix><node>) or lives under its run directory, so
the lab (prefix vls-) and tests (their own prefix) never collide; down() removes it all.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import topo  # noqa: E402

FRR = Path("/usr/lib/frr")
FRR_RUN = Path("/var/run/frr")
FRR_TMP = Path("/var/tmp/frr")  # <daemon>.<pid>: crash log buffers a killed daemon leaves
VTYSH = shutil.which("vtysh") or "/usr/bin/vtysh"

ASN = 65000
HOLD = 9  # BGP hold time both sides propose: a dead peer is noticed in 9 s
UNDERLAY_MTU = 1600
VNIS = (100, 200)
L3_VNI = 5000
ANYCAST_MAC = {100: "02:00:5e:00:01:64", 200: "02:00:5e:00:01:c8"}  # gateway MAC per VNI
LEAF3_RMAC = "02:00:00:00:50:13"  # leaf3's router MAC (its br5000)

SPINES = ("spine1", "spine2")
LEAVES = ("leaf1", "leaf2", "leaf3")
VGW_LEAVES = ("leaf1", "leaf2")
FRR_NODES = ("spine1", "spine2", "leaf3")  # FRR's bgpd (EVPN)
ROUTERS = SPINES + LEAVES
UNDERLAYS = ("static", "ospf")
FRR_DAEMONS = ("zebra", "ospfd", "bgpd")
# host -> (leaf, VNI): h<leaf><1|2>, the first in VNI 100, the second in VNI 200.
HOSTS = {f"h{leaf[-1]}{i + 1}": (leaf, vni) for leaf in LEAVES for i, vni in enumerate(VNIS)}
ROLES = SPINES + LEAVES + tuple(HOSTS)


def loopback(node: str) -> str:
    n = int(node[-1])
    return f"10.255.0.{n}" if node.startswith("spine") else f"10.255.0.{10 + n}"


def link_net(spine: str, leaf: str) -> int:
    return 10 * int(spine[-1]) + int(leaf[-1])


def host_ip(host: str) -> str:
    leaf, vni = HOSTS[host]
    return f"10.{vni}.0.{host[1:]}"


def gateway_ip(vni: int) -> str:
    return f"10.{vni}.0.254"


def host_mac(host: str) -> str:
    return f"02:00:00:00:{int(host[1]):02x}:{int(host[2]):02x}"


def host_port(host: str) -> str:
    """The leaf's interface towards the host: p1 (VNI 100) or p2 (VNI 200)."""
    return f"p{host[2]}"


def http_port(leaf: str) -> int:
    return 8080 + int(leaf[-1])


def _kill(pid: int, sig: int) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:  # reap it first if it is our child (a zombie still answers kill 0)
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return _kill(pid, 0)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _running(name: str) -> bool:
    """Whether any process on the machine is called `name` (reads /proc only)."""
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and (d / "comm").read_text().strip() == name:
                return True
        except OSError:
            pass
    return False


def _in_namespace(pid: int, name: str) -> bool:
    """Whether pid lives in namespace `name`: a pid file's number may have been reused
    by an unrelated process since, and that one is not ours to stop."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return False


class LeafSpine:
    def __init__(self, prefix: str = "vls-", rundir: str | Path = "/run/vgw-lab-ls",
                 underlay: str | None = None):
        """underlay: "static" (default) or "ospf"; None = what the running lab uses."""
        self.prefix = prefix
        self.run = Path(rundir)
        self.ns = {r: topo.Namespace(prefix + r) for r in ROLES}
        if underlay is None:
            try:
                underlay = (self.run / "underlay").read_text().strip()
            except OSError:
                underlay = "static"
        if underlay not in UNDERLAYS:
            raise ValueError(f"underlay must be one of {UNDERLAYS}, not {underlay!r}")
        self.underlay = underlay

    def daemons(self, node: str) -> list[str]:
        """The FRR daemons a node runs (zebra first)."""
        d = []
        if self.underlay == "ospf" and node in ROUTERS:
            d.append("ospfd")
        if node in FRR_NODES:
            d.append("bgpd")
        return ["zebra", *d] if d else []

    def frr_nodes(self) -> list[str]:
        return [n for n in ROUTERS if self.daemons(n)]

    # -- paths ----------------------------------------------------------------

    def node_dir(self, node: str) -> Path:
        return self.run / node

    def socket(self, leaf: str) -> Path:
        return self.node_dir(leaf) / "vgw.sock"

    def frr_dir(self, node: str) -> Path:
        return self.node_dir(node) / "frr"

    def frr_name(self, node: str) -> str:
        return self.prefix + node

    def url(self, leaf: str) -> str:
        return f"http://127.0.0.1:{http_port(leaf)}/"

    def namespaces(self) -> list[str]:
        """This lab's namespaces that exist now."""
        out = topo.sh(["ip", "netns", "list"], check=False).stdout
        names = {line.split()[0] for line in out.splitlines() if line.strip()}
        return [ns.name for ns in self.ns.values() if ns.name in names]

    def is_up(self) -> bool:
        return bool(self.namespaces()) or self.run.exists()

    # -- building -------------------------------------------------------------

    def up(self, timeout: float = 45.0):
        """Builds the fabric, starts FRR and vgwd (detached: they outlive this process)
        and waits until every BGP session is Established."""
        for b in ("vgwd", "vgwctl"):
            if topo.find_binary(b) is None:
                raise topo.CommandError(f"{b} is not built (ninja -C build vgwd vgwctl)")
        for d in ("zebra", "bgpd", "ospfd"):
            if not (FRR / d).exists():
                raise topo.CommandError(f"{FRR / d} is missing (Debian package frr)")
        try:
            self.run.mkdir(parents=True, exist_ok=True)
            os.chmod(self.run, 0o755)  # the frr user walks into it
            (self.run / "underlay").write_text(self.underlay + "\n")
            for ns in self.ns.values():
                ns.create()
            self._build()
            for node in self.frr_nodes():
                self._start_frr(node)
            for leaf in VGW_LEAVES:
                self._start_vgwd(leaf)
            if not self.wait(self.established, timeout):
                raise topo.CommandError(f"BGP sessions not all Established after {timeout:.0f} s: "
                                        f"{self.sessions()}\n{self.logs()}")
            self._hosts_announce()
        except BaseException:
            self.down()
            raise

    def _hosts_announce(self):
        """Each host resolves its gateway once, as a booting host does (DHCP, its first
        packet off the subnet): the leaf behind it learns its IP-MAC binding and
        advertises it (type-2 MAC+IP), so every leaf has a host route to it. A host that
        never spoke is found by the router's ARP request, but on a kernel leaf the
        answer goes to the anycast gateway MAC, which is that leaf's own."""
        procs = [self.ns[h].popen("ping", "-c", "1", "-W", "2", gateway_ip(vni),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for h, (_leaf, vni) in HOSTS.items()]
        for p in procs:
            p.wait(timeout=10)

    # The fabric is ~150 iproute2 commands: they go as one `ip -batch` per namespace
    # and phase (links first, then everything that needs both ends), which takes a
    # second where one process per command took six.

    def _ip(self, node: str, line: str):
        self._pending.setdefault(node, []).append(line)

    def _flush(self):
        pending, self._pending = self._pending, {}
        for node, lines in pending.items():
            topo.sh(["ip", "-n", self.ns[node].name, "-batch", "-"], input="\n".join(lines) + "\n")

    def _veth(self, a: str, a_if: str, b: str, b_if: str, mtu: int | None = None):
        self._ip(a, f"link add {a_if} type veth peer name {b_if} netns {self.ns[b].name}")
        self._links.append((a, a_if, b, b_if, mtu))

    def _links_up(self):
        for a, a_if, b, b_if, mtu in self._links:
            for node, ifname in ((a, a_if), (b, b_if)):
                self._ip(node, f"link set {ifname}{f' mtu {mtu}' if mtu else ''} up")

    def _build(self):
        self._pending, self._links = {}, []
        for spine in SPINES:
            for leaf in LEAVES:
                self._veth(spine, f"l{leaf[-1]}", leaf, f"s{spine[-1]}", mtu=UNDERLAY_MTU)
        for host, (leaf, _vni) in HOSTS.items():
            self._veth(host, "eth0", leaf, host_port(host))
        self._flush()
        self._hosts()  # MACs before the links come up
        self._links_up()
        self._underlay()
        self._kernel_vtep("leaf3")
        self._flush()
        for host, (_leaf, vni) in HOSTS.items():
            self._ip(host, f"route add default via {gateway_ip(vni)}")
        self._flush()
        for node in ROUTERS:
            # Every spine and leaf is a router (with OSPF a leaf may carry transit
            # traffic while a link is down); multipath routes hash on L4 ports.
            self.ns[node].run("sysctl", "-qw", "net.ipv4.ip_forward=1",
                              "net.ipv4.fib_multipath_hash_policy=1")

    def _underlay(self):
        for node in SPINES + LEAVES:
            self._ip(node, f"addr add {loopback(node)}/32 dev lo")
        for spine in SPINES:
            for leaf in LEAVES:
                net, li, si = link_net(spine, leaf), f"l{leaf[-1]}", f"s{spine[-1]}"
                self._ip(spine, f"addr add 172.16.{net}.0/31 dev {li}")
                self._ip(leaf, f"addr add 172.16.{net}.1/31 dev {si}")
                if self.underlay != "static":
                    continue  # OSPF advertises the loopbacks and the links
                self._ip(spine, f"route add {loopback(leaf)}/32 via 172.16.{net}.1 dev {li}")
                self._ip(leaf, f"route add {loopback(spine)}/32 via 172.16.{net}.0 dev {si}")
        for leaf in LEAVES if self.underlay == "static" else ():
            hops = " ".join(f"nexthop via 172.16.{link_net(spine, leaf)}.0 dev s{spine[-1]}"
                            for spine in SPINES)
            for other in LEAVES:
                if other != leaf:
                    self._ip(leaf, f"route add {loopback(other)}/32 {hops}")

    def _hosts(self):
        for host in HOSTS:
            self._ip(host, f"link set eth0 address {host_mac(host)}")
            self._ip(host, f"addr add {host_ip(host)}/24 dev eth0")

    def _kernel_vtep(self, leaf: str):
        """A Cumulus-style VTEP: one vxlan device per VNI (no learning: FRR installs
        what EVPN says) in a bridge with the host port; zebra finds them itself."""
        for host, (hl, vni) in HOSTS.items():
            if hl != leaf:
                continue
            br, vx = f"br{vni}", f"vxlan{vni}"
            self._ip(leaf, f"link add {br} type bridge mcast_snooping 0")
            self._ip(leaf, f"link add {vx} type vxlan id {vni} dstport {topo.VXLAN_PORT} "
                           f"local {loopback(leaf)} nolearning srcport 49152 65535")
            self._ip(leaf, f"link set {vx} mtu 1500")
            for port in (vx, host_port(host)):
                self._ip(leaf, f"link set {port} master {br} up")
            self._ip(leaf, f"link set {vx} type bridge_slave neigh_suppress off learning off")
            # The anycast gateway: the same IP and MAC as on every other leaf.
            self._ip(leaf, f"link set {br} address {ANYCAST_MAC[vni]}")
            self._ip(leaf, f"addr add {gateway_ip(vni)}/24 dev {br}")
            self._ip(leaf, f"link set {br} up")
        # The L3 VNI: its bridge's MAC is this leaf's router MAC; zebra's `vni` binds it.
        vx = f"vxlan{L3_VNI}"
        self._ip(leaf, f"link add br{L3_VNI} type bridge")
        self._ip(leaf, f"link set br{L3_VNI} address {LEAF3_RMAC}")
        self._ip(leaf, f"link add {vx} type vxlan id {L3_VNI} dstport {topo.VXLAN_PORT} "
                       f"local {loopback(leaf)} nolearning srcport 49152 65535")
        self._ip(leaf, f"link set {vx} mtu 1500")
        self._ip(leaf, f"link set {vx} master br{L3_VNI} up")
        self._ip(leaf, f"link set {vx} type bridge_slave neigh_suppress off learning off")
        self._ip(leaf, f"link set br{L3_VNI} up")

    # -- FRR ------------------------------------------------------------------

    def bgpd_conf(self, node: str) -> str:
        me = loopback(node)
        lines = ["frr defaults datacenter", f"hostname {node}",
                 f"log file {self.frr_dir(node)}/bgpd.log", "!", f"router bgp {ASN}",
                 f" bgp router-id {me}", " no bgp default ipv4-unicast"]
        if node in SPINES:
            peers = [loopback(leaf) for leaf in LEAVES]
        else:
            peers = [loopback(spine) for spine in SPINES]
        for p in peers:
            lines += [f" neighbor {p} remote-as {ASN}", f" neighbor {p} update-source {me}",
                      f" neighbor {p} timers {HOLD // 3} {HOLD}", f" neighbor {p} timers connect 2"]
        lines += [" !", " address-family l2vpn evpn"]
        for p in peers:
            lines.append(f"  neighbor {p} activate")
            if node in SPINES:
                lines.append(f"  neighbor {p} route-reflector-client")
        if node not in SPINES:
            lines.append("  advertise-all-vni")
        lines += [" exit-address-family", "!"]
        return "\n".join(lines) + "\n"

    def _start_frr(self, node: str):
        d = self.frr_dir(node)
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.node_dir(node), 0o755)
        shutil.chown(d, "frr", "frr")
        os.chmod(d, 0o775)
        run_dir = FRR_RUN / self.frr_name(node)  # -N's own default paths
        run_dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(run_dir, "frr", "frr")
        zebra = f"hostname {node}\nlog file {d}/zebra.log\n"
        if node in LEAVES:
            zebra += f"vni {L3_VNI}\n"  # the default VRF's L3 VNI (symmetric IRB)
        (d / "zebra.conf").write_text(zebra)
        if "ospfd" in self.daemons(node):
            (d / "ospfd.conf").write_text(self.ospfd_conf(node))
        if "bgpd" in self.daemons(node):
            (d / "bgpd.conf").write_text(self.bgpd_conf(node))
        for f in self.daemons(node):
            os.chmod(d / f"{f}.conf", 0o644)
        zserv = d / "zserv.api"
        common = ["-N", self.frr_name(node), "-z", str(zserv), "--vty_socket", str(d),
                  "-u", "frr", "-g", "frr"]
        with open(d / "daemons.out", "ab") as log:
            for daemon in self.daemons(node):
                self.ns[node].popen(str(FRR / daemon), "-f", d / f"{daemon}.conf", "-i",
                                    d / f"{daemon}.pid", *common, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
                ready = zserv if daemon == "zebra" else d / f"{daemon}.vty"
                if not self.wait(ready.exists, 10):
                    raise topo.CommandError(f"{daemon} in {node} did not start:\n{self.logs()}")

    def ospfd_conf(self, node: str) -> str:
        """OSPFv2 area 0 on point-to-point /31 links with fast hellos, the loopback
        passive: the leaves' VTEP /32s are advertised, and equal-cost paths over both
        spines become kernel multipath routes (ECMP)."""
        lines = ["frr defaults datacenter", f"hostname {node}",
                 f"log file {self.frr_dir(node)}/ospfd.log", "!"]
        uplinks = [f"l{x[-1]}" for x in LEAVES] if node in SPINES else [f"s{x[-1]}" for x in SPINES]
        for ifname in uplinks:
            lines += [f"interface {ifname}", " ip ospf network point-to-point",
                      " ip ospf hello-interval 1", " ip ospf dead-interval 3",
                      # A database description lost while the peer starts is sent
                      # again after this (default 5 s, most of the convergence time).
                      " ip ospf retransmit-interval 1", "!"]
        lines += ["router ospf", f" ospf router-id {loopback(node)}", " passive-interface lo",
                  " timers throttle spf 0 50 500", " network 10.255.0.0/24 area 0",
                  " network 172.16.0.0/16 area 0", "!"]
        return "\n".join(lines) + "\n"

    def vtysh(self, node: str, command: str) -> str:
        # --vty_socket alone: with -N vtysh would also want /etc/frr/<name>/vtysh.conf.
        p = topo.sh([VTYSH, "--vty_socket", str(self.frr_dir(node)), "-c", command],
                    check=False, timeout=30)
        return p.stdout

    def vtysh_json(self, node: str, command: str):
        try:
            return json.loads(self.vtysh(node, command) or "{}")
        except json.JSONDecodeError:
            return {}

    # -- vgwd -----------------------------------------------------------------

    def vgwd_config(self, leaf: str) -> dict:
        networks = []
        for host, (hl, vni) in HOSTS.items():
            if hl == leaf:
                networks.append({"name": f"vni{vni}", "tenant": "lab", "vni": vni,
                                 "flood": "evpn", "attachments": [{"port": host_port(host)}]})
        return {
            "node": {"name": leaf, "workers": 1},
            "api": {"socket": str(self.socket(leaf)), "http": f"127.0.0.1:{http_port(leaf)}"},
            "ports": [{"name": "p1"}, {"name": "p2"}],
            # The VTEP address is on lo and the kernel routes over both uplinks (ECMP):
            # socket mode, with the uplinks' MTU.
            "underlay": {"interface": "lo", "io": "socket", "mtu": UNDERLAY_MTU},
            "vtep": {"source": loopback(leaf), "udp-port": topo.VXLAN_PORT,
                     "source-port-range": [49152, 65535]},
            "tenants": [{"name": "lab"}],
            "networks": networks,
            # The anycast gateway of both subnets, symmetric IRB over the L3 VNI.
            "routers": [{"name": "lab-rtr", "tenant": "lab", "l3-vni": L3_VNI,
                         "interfaces": [{"network": f"vni{vni}",
                                         "address": f"{gateway_ip(vni)}/24",
                                         "mac": ANYCAST_MAC[vni]} for vni in VNIS]}],
            "evpn": {"asn": ASN, "router-id": loopback(leaf), "hold-time": HOLD,
                     "connect-retry": 2,
                     "neighbors": [{"address": loopback(s), "remote-as": ASN} for s in SPINES]},
        }

    def _start_vgwd(self, leaf: str):
        d = self.node_dir(leaf)
        d.mkdir(parents=True, exist_ok=True)
        cfg = d / "vgwd.yaml"
        cfg.write_text(topo.yaml_text(self.vgwd_config(leaf)) + "\n")
        with open(d / "vgwd.log", "ab") as log:
            p = self.ns[leaf].popen(topo.find_binary("vgwd"), "--config", cfg, "--state-dir",
                                    d / "state", "--log-level", "info", stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        (d / "vgwd.pid").write_text(f"{p.pid}\n")
        if not self.wait(lambda: p.poll() is not None or self.ctl_raw(leaf, "show", "vteps")
                         .returncode == 0, 15) or p.poll() is not None:
            raise topo.CommandError(f"vgwd in {leaf} did not answer:\n{self.log_tail(leaf)}")

    def ctl_raw(self, leaf: str, *args, json_out: bool = True):
        if not self.socket(leaf).exists():
            return subprocess.CompletedProcess(args, 1, "", f"no socket {self.socket(leaf)}")
        cmd = [topo.find_binary("vgwctl")] + (["-j"] if json_out else [])
        return topo.sh(cmd + ["--socket", str(self.socket(leaf)), *map(str, args)],
                       check=False, timeout=30)

    def ctl(self, leaf: str, *args):
        p = self.ctl_raw(leaf, *args)
        if p.returncode != 0:
            raise topo.CommandError(f"{leaf}: vgwctl {' '.join(map(str, args))}: "
                                    f"{p.stdout}{p.stderr}")
        data = json.loads(p.stdout)
        return data["data"] if isinstance(data, dict) and "ok" in data and "data" in data else data

    def log_tail(self, leaf: str, n: int = 30) -> str:
        try:
            text = (self.node_dir(leaf) / "vgwd.log").read_text(errors="replace")
            return "\n".join(text.splitlines()[-n:])
        except OSError:
            return ""

    def logs(self) -> str:
        out = []
        for node in self.frr_nodes():
            for f in ("daemons.out", "zebra.log", "ospfd.log", "bgpd.log"):
                try:
                    lines = (self.frr_dir(node) / f).read_text(errors="replace").splitlines()
                    out.append(f"== {node} {f}\n" + "\n".join(lines[-15:]))
                except OSError:
                    pass
        for leaf in VGW_LEAVES:
            out.append(f"== {leaf} vgwd.log\n{self.log_tail(leaf)}")
        return "\n".join(out)

    # -- state ----------------------------------------------------------------

    @staticmethod
    def wait(fn, timeout: float, interval: float = 0.25):
        deadline = time.monotonic() + timeout
        while True:
            value = fn()
            if value or time.monotonic() >= deadline:
                return value
            time.sleep(interval)

    def sessions(self) -> list[dict]:
        """Every BGP session as seen from each end: {node, speaker, peer, state, prefixes}."""
        out = []
        for node in FRR_NODES:
            summary = self.vtysh_json(node, "show bgp l2vpn evpn summary json")
            peers = summary.get("peers") or summary.get("l2VpnEvpn", {}).get("peers", {})
            expected = LEAVES if node in SPINES else SPINES
            for other in expected:
                p = peers.get(loopback(other), {})
                out.append({"node": node, "speaker": "frr", "peer": loopback(other),
                            "state": p.get("state", "down"),
                            "prefixes": p.get("pfxRcd", 0)})
        for leaf in VGW_LEAVES:
            try:
                peers = {p["address"]: p for p in self.ctl(leaf, "show", "evpn", "peers")["peers"]}
            except (topo.CommandError, json.JSONDecodeError, KeyError):
                peers = {}
            for spine in SPINES:
                p = peers.get(loopback(spine), {})
                out.append({"node": leaf, "speaker": "vgwd", "peer": loopback(spine),
                            "state": p.get("state", "down"),
                            "prefixes": p.get("routes_received", 0)})
        return out

    def established(self) -> bool:
        return all(s["state"] == "Established" for s in self.sessions())

    def rx_packets(self, spine: str, leaf: str) -> int:
        """Packets spine received on its link from leaf (the underlay's view of ECMP)."""
        link = json.loads(self.ns[spine].ip("-s", "-j", "link", "show", f"l{leaf[-1]}").stdout)
        return link[0]["stats64"]["rx"]["packets"]

    def ping(self, src: str, dst: str, count: int = 1, check: bool = False):
        return self.ns[src].run("ping", "-c", count, "-i", "0.2", "-W", "2", host_ip(dst),
                                check=check)

    def routed_pings(self) -> list[tuple[str, str]]:
        """Every pair of hosts in different VNIs on different leaves (routed both ways)."""
        return [(a, b) for a in HOSTS for b in HOSTS
                if a < b and HOSTS[a][1] != HOSTS[b][1] and HOSTS[a][0] != HOSTS[b][0]]

    def pings(self) -> list[tuple[str, str]]:
        """Every pair of hosts in the same VNI on different leaves, once each way round."""
        return [(a, b) for a in HOSTS for b in HOSTS
                if a < b and HOSTS[a][1] == HOSTS[b][1] and HOSTS[a][0] != HOSTS[b][0]]

    def pids(self) -> dict[str, int]:
        """Our daemons that are running: "leaf1/vgwd", "spine1/bgpd", ..."""
        out = {}
        for leaf in VGW_LEAVES:
            out[f"{leaf}/vgwd"] = _read_pid(self.node_dir(leaf) / "vgwd.pid")
        for node in ROUTERS:
            for daemon in FRR_DAEMONS:
                out[f"{node}/{daemon}"] = _read_pid(self.frr_dir(node) / f"{daemon}.pid")
        return {k: v for k, v in out.items()
                if v and _alive(v) and _in_namespace(v, self.prefix + k.split("/")[0])}

    def status(self) -> dict:
        present = set(self.namespaces())
        pids = self.pids()
        nodes = []
        for role in ROLES:
            n = {"node": role, "namespace": self.prefix + role,
                 "up": self.prefix + role in present}
            if role in SPINES:
                n.update(kind="spine", loopback=loopback(role), runs="FRR (route reflector)")
            elif role in LEAVES:
                n.update(kind="leaf", loopback=loopback(role), vtep=loopback(role),
                         runs="vgwd" if role in VGW_LEAVES else "kernel VXLAN + FRR")
                if role in VGW_LEAVES:
                    n["url"] = self.url(role)
            else:
                leaf, vni = HOSTS[role]
                n.update(kind="host", ip=host_ip(role), mac=host_mac(role), vni=vni, leaf=leaf)
            n["processes"] = {k.split("/")[1]: v for k, v in pids.items()
                              if k.split("/")[0] == role}
            nodes.append(n)
        fdb = {}
        for leaf in VGW_LEAVES:
            try:
                fdb[leaf] = self.ctl(leaf, "show", "fdb")
            except (topo.CommandError, json.JSONDecodeError):
                fdb[leaf] = None
        return {"prefix": self.prefix, "rundir": str(self.run), "underlay": self.underlay,
                "nodes": nodes,
                "sessions": self.sessions() if present else [], "fdb": fdb}

    def status_text(self) -> str:
        s = self.status()
        lines = [f"leaf-spine lab (prefix {self.prefix}, run dir {self.run})",
                 "underlay: " + ("static routes" if self.underlay == "static" else "OSPF (FRR)")
                 + ", ECMP over both spines; overlay: EVPN, vgwd underlay io socket", "",
                 "nodes:"]
        for n in s["nodes"]:
            what = {"spine": lambda: f"lo {n['loopback']}  {n['runs']}",
                    "leaf": lambda: f"VTEP {n['vtep']}  {n['runs']}",
                    "host": lambda: f"{n['ip']} {n['mac']}  VNI {n['vni']} behind {n['leaf']}"}
            procs = " ".join(f"{k}={v}" for k, v in n["processes"].items())
            lines.append(f"  {n['namespace']:<14} {'up' if n['up'] else 'MISSING':<8} "
                         f"{what[n['kind']]()}{'  [' + procs + ']' if procs else ''}")
        lines += ["", "BGP sessions (l2vpn evpn, iBGP AS %d; spines reflect):" % ASN]
        for x in s["sessions"]:
            lines.append(f"  {x['node']:<7} ({x['speaker']}) -> {x['peer']:<12} "
                         f"{x['state']:<12} prefixes received {x['prefixes']}")
        for leaf in VGW_LEAVES:
            lines += ["", f"FDB of {leaf} (vgwctl show fdb):"]
            p = self.ctl_raw(leaf, "show", "fdb", json_out=False)
            lines.append(p.stdout.rstrip() if p.returncode == 0 else "  (vgwd not answering)")
        lines += ["", "HTTP API / Fabric Manager (inside each leaf's namespace):"]
        for leaf in VGW_LEAVES:
            lines.append(f"  {leaf}: {self.url(leaf)}   e.g. ip netns exec {self.prefix}{leaf} "
                         f"curl -s {self.url(leaf)}api/v1/fdb")
        return "\n".join(lines)

    # -- teardown -------------------------------------------------------------

    def down(self) -> bool:
        """Stops every daemon (SIGTERM, then SIGKILL), deletes the namespaces, FRR's
        run directories and the run directory. Returns whether anything was there."""
        found = self.is_up()
        frr_pids = [(daemon, pid) for node in ROUTERS for daemon in FRR_DAEMONS
                    if (pid := _read_pid(self.frr_dir(node) / f"{daemon}.pid"))]
        pids = set(self.pids().values())
        for name in self.namespaces():
            for pid in topo.sh(["ip", "netns", "pids", name], check=False).stdout.split():
                pids.add(int(pid))
        for pid in pids:
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in pids:
            _kill(pid, signal.SIGKILL)
        for name in self.namespaces():
            topo.sh(["ip", "netns", "del", name], check=False)
        for node in ROUTERS:
            shutil.rmtree(FRR_RUN / self.frr_name(node), ignore_errors=True)
        for daemon, pid in frr_pids:
            shutil.rmtree(FRR_TMP / f"{daemon}.{pid}", ignore_errors=True)
        # ospfd keeps its graceful-restart state in one file for every instance: gone
        # with the last ospfd (no other part of the project runs one).
        if not _running("ospfd"):
            (FRR_RUN / "ospfd-gr.json").unlink(missing_ok=True)
        shutil.rmtree(self.run, ignore_errors=True)
        return found
