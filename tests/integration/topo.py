"""The issue-2 topology in network namespaces, shared by the integration tests and the lab.

    h1 --p1-+                                                      +--k2-- h2
    h3 --p3-+- [gw: vgwd] u2 ==== underlay ==== u1 [kv: vxlan100 + br0]
    ht --t1-+   192.168.N.2/24                192.168.N.1/24

h1 10.0.0.1/24, h2 10.0.0.2/24, h3 10.0.0.3/24 (a second attachment port, for MAC
moves) and ht (no address; a trunk whose VLAN 10 maps to VNI 100, spoken with scapy
because this kernel has no 802.1Q devices). The kernel VTEP in kv is a vxlan device
(VNI 100, UDP 4789, learning) in a bridge with h2's port, flooding to the gateway by an
all-zeros FDB entry (head-end). Every host keeps its default offloads.

The gateway is vgwd (underlay io `packet` or `socket`), or with gateway="kernel" a
second kernel VTEP + bridge in gw: the baseline the benchmarks compare against, and the
way this topology was proven before vgwd existed.

Names: namespaces are `<prefix><role>`; interfaces inside them have fixed short names,
so the tests (unique prefix from pid + random) and the lab (prefix `vgw-`) share this
one implementation. Everything a Fabric creates goes when its namespaces are deleted.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3"  # Debian's: it has scapy
NSIO = str(Path(__file__).resolve().with_name("nsio.py"))

ROLES = ("h1", "h3", "ht", "gw", "kv", "h2")
VNI = 100
VXLAN_PORT = 4789
TRUNK_VLAN = 10
UNDERLAY_MTU = 1600  # room for 50 bytes of VXLAN over 1500-byte host frames

# Fixed, locally administered host MACs: readable in `show fdb`, and safe because every
# host lives in its own namespace.
MAC = {
    "h1": "02:00:00:00:01:01",
    "h2": "02:00:00:00:02:02",
    "h3": "02:00:00:00:03:03",
    "ht": "02:00:00:00:0a:0a",
}
HOST_IP = {"h1": "10.0.0.1", "h2": "10.0.0.2", "h3": "10.0.0.3"}


class CommandError(RuntimeError):
    pass


def sh(args, check=True, timeout=60, input=None):
    """Runs a command (list), returns CompletedProcess with text output."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise CommandError(f"{' '.join(args)} -> {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def unique_prefix() -> str:
    """vgwt<pid>x<random>-: unique per run, and sweep_stale() can tell whose it was."""
    return f"vgwt{os.getpid():x}x{random.randrange(0x10000):04x}-"


STALE = re.compile(r"^vgwt([0-9a-f]+)x[0-9a-f]{4}-(%s)$" % "|".join(ROLES))


def sweep_stale() -> list[str]:
    """Deletes test namespaces left by a test run that was killed (its pid is gone),
    with the processes it left in them. Returns their names."""
    removed = []
    for line in sh(["ip", "netns", "list"]).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        m = STALE.match(name)
        if not m or Path(f"/proc/{int(m.group(1), 16)}").exists():
            continue
        for pid in sh(["ip", "netns", "pids", name], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        sh(["ip", "netns", "del", name], check=False)
        removed.append(name)
    return removed


def find_binary(name: str) -> str | None:
    """vgwd / vgwctl: $VGWD / $VGWCTL, else the newest build*/src/<dir>/<name>."""
    env = os.environ.get(name.upper())
    if env:
        return env if os.access(env, os.X_OK) else None
    sub = "daemon" if name == "vgwd" else "cli"
    found = [p for p in REPO.glob(f"build*/src/{sub}/{name}") if os.access(p, os.X_OK)]
    # The plain build/ (what scripts/test.sh makes) wins; sanitizer/fuzz builds do not.
    found.sort(key=lambda p: (p.parts[-4] != "build", -p.stat().st_mtime))
    return str(found[0]) if found else None


class Namespace:
    def __init__(self, name: str):
        self.name = name
        self.procs: list[subprocess.Popen] = []

    def create(self):
        if Path(f"/run/netns/{self.name}").exists():
            raise CommandError(f"namespace {self.name} already exists")
        sh(["ip", "netns", "add", self.name])
        self.run("ip", "link", "set", "lo", "up")
        # No IPv6: router solicitations and MLD reports would add MACs and floods the
        # counting tests do not expect.
        self.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                 "net.ipv6.conf.default.disable_ipv6=1")

    def cmd(self, *args) -> list[str]:
        return ["ip", "netns", "exec", self.name, *map(str, args)]

    def run(self, *args, check=True, timeout=60, input=None):
        return sh(self.cmd(*args), check=check, timeout=timeout, input=input)

    def popen(self, *args, **kw) -> subprocess.Popen:
        p = subprocess.Popen(self.cmd(*args), **kw)
        self.procs.append(p)
        return p

    def ip(self, *args, check=True):
        return sh(["ip", "-n", self.name, *map(str, args)], check=check)

    def mac(self, ifname: str) -> str:
        return json.loads(self.ip("-j", "link", "show", ifname).stdout)[0]["address"]

    def delete(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
        self.procs.clear()
        sh(["ip", "netns", "del", self.name], check=False)

    # Raw frames, through nsio.py.
    def send(self, iface: str, frames, interval: float = 0.0):
        hexes = [bytes(f).hex() for f in frames]
        self.run(PYTHON, NSIO, "send", iface, "--interval", interval, *hexes)

    def sniff(self, iface: str, timeout: float, count: int = 0) -> "Sniffer":
        return Sniffer(self, iface, timeout, count)


class Sniffer:
    """A capture running in the background; .frames() waits for it and returns bytes."""

    def __init__(self, ns: Namespace, iface: str, timeout: float, count: int):
        args = [PYTHON, NSIO, "sniff", iface, "--timeout", timeout]
        if count:
            args += ["--count", count]
        self.p = ns.popen(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        if line.strip() != "ready":
            raise CommandError(f"sniffer on {ns.name}/{iface} failed: {line}{self.p.stderr.read()}")

    def frames(self) -> list[bytes]:
        out, err = self.p.communicate(timeout=120)
        if self.p.returncode != 0:
            raise CommandError(f"sniffer failed: {err}")
        return [bytes.fromhex(f["hex"]) for f in json.loads(out)]


def yaml_text(value, indent: int = 0) -> str:
    """A small YAML emitter for the config dicts below (block style, readable in logs)."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v and not _flow(v):
                lines.append(f"{pad}{k}:\n{yaml_text(v, indent + 2)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for item in value:
            body = yaml_text(item, indent + 2) if isinstance(item, dict) else pad + "  " + _scalar(item)
            lines.append(pad + "- " + body.lstrip())
        return "\n".join(lines)
    return pad + _scalar(value)


def _flow(v) -> bool:
    return isinstance(v, list) and all(not isinstance(i, (dict, list)) for i in v)


def _scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_scalar(i) for i in v) + "]"
    if isinstance(v, dict):
        return "{}"
    return str(v)


class Fabric:
    """One instance of the topology. gateway: "vgwd" or "kernel"; io: "packet"|"socket"."""

    def __init__(self, prefix: str, gateway: str = "vgwd", io: str = "packet",
                 subnet: int | None = None, workdir: str | None = None,
                 ageing: int = 300, mac_limit: int = 0, df: bool = False):
        self.prefix = prefix
        self.gateway = gateway
        self.io = io
        self.subnet = subnet if subnet is not None else random.randrange(1, 255)
        self.gw_ip = f"192.168.{self.subnet}.2"
        self.kv_ip = f"192.168.{self.subnet}.1"
        self.ns = {r: Namespace(prefix + r) for r in ROLES}
        self.own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="vgw-it-"))
        self.socket = str(self.workdir / "vgw.sock")
        self.config_path = str(self.workdir / "gw.yaml")
        self.state_dir = str(self.workdir / "state")  # vgwd keeps the applied config here
        self.network = {"ageing": ageing, "mac-limit": mac_limit}
        self.df = df
        self.vgwd: subprocess.Popen | None = None
        self.vgwd_log = self.workdir / "vgwd.log"

    def __getattr__(self, role):  # fabric.h1, fabric.gw, ...
        if role in ROLES:
            return self.ns[role]
        raise AttributeError(role)

    # -- building -------------------------------------------------------------

    def veth(self, a: str, a_if: str, b: str, b_if: str, mtu: int | None = None):
        na, nb = self.ns[a], self.ns[b]
        na.ip("link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", nb.name)
        if mtu:
            na.ip("link", "set", a_if, "mtu", mtu)
            nb.ip("link", "set", b_if, "mtu", mtu)

    def up(self):
        try:
            for ns in self.ns.values():
                ns.create()
            self.veth("h1", "eth0", "gw", "p1")
            self.veth("h3", "eth0", "gw", "p3")
            self.veth("ht", "eth0", "gw", "t1")
            self.veth("gw", "u2", "kv", "u1", mtu=UNDERLAY_MTU)
            self.veth("h2", "eth0", "kv", "k2")
            for host in ("h1", "h2", "h3", "ht"):
                ns = self.ns[host]
                ns.ip("link", "set", "eth0", "address", MAC[host])
                if host in HOST_IP:
                    ns.ip("addr", "add", f"{HOST_IP[host]}/24", "dev", "eth0")
                ns.ip("link", "set", "eth0", "up")
            gw, kv = self.gw, self.kv
            gw.ip("addr", "add", f"{self.gw_ip}/24", "dev", "u2")
            kv.ip("addr", "add", f"{self.kv_ip}/24", "dev", "u1")
            for i in ("p1", "p3", "t1", "u2"):
                gw.ip("link", "set", i, "up")
            self._kernel_vtep(kv, "u1", self.kv_ip, self.gw_ip, ["k2"])
            if self.gateway == "kernel":
                self._kernel_vtep(gw, "u2", self.gw_ip, self.kv_ip, ["p1", "p3"], df=self.df,
                                  extra=["noudpcsum"])  # as SPEC asks of vgw; kv keeps its default
        except BaseException:
            self.down()
            raise

    def _kernel_vtep(self, ns: Namespace, dev: str, local: str, remote: str, ports,
                     df: bool = False, extra=()):
        ns.ip("link", "set", dev, "up")
        ns.ip("link", "add", "br0", "type", "bridge", "mcast_snooping", 0)
        ns.ip("link", "add", "vxlan100", "type", "vxlan", "id", VNI, "dstport", VXLAN_PORT,
              "local", local, "dev", dev, "srcport", 49152, 65535, "df", "set" if df else "unset",
              *extra)
        ns.ip("link", "set", "vxlan100", "mtu", 1500)
        for port in ["vxlan100", *ports]:
            ns.ip("link", "set", port, "master", "br0")
            ns.ip("link", "set", port, "up")
        ns.ip("link", "set", "br0", "up")
        sh(["bridge", "-n", ns.name, "fdb", "append", "00:00:00:00:00:00", "dev", "vxlan100",
            "dst", remote])

    def down(self):
        if self.vgwd is not None and self.vgwd.poll() is None:
            self.vgwd.kill()
            self.vgwd.wait(timeout=10)
        for ns in self.ns.values():
            ns.delete()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- vgwd -----------------------------------------------------------------

    def config(self, **network_overrides) -> dict:
        """The gateway's configuration (SPEC shape) as a dict; yaml_text() renders it."""
        network = {
            "name": "web",
            "tenant": "blue",
            "vni": VNI,
            "flood": "head-end",
            "remotes": [self.kv_ip],
            **self.network,
            "attachments": [{"port": "p1"}, {"port": "p3"}, {"port": "t1", "vlan": TRUNK_VLAN}],
        }
        network.update(network_overrides)
        return {
            "node": {"name": "gw1"},
            "api": {"socket": self.socket},
            "ports": [{"name": "p1"}, {"name": "p3"}, {"name": "t1"}],
            "underlay": {"interface": "u2", "io": self.io},
            "vtep": {
                "source": self.gw_ip,
                "udp-port": VXLAN_PORT,
                "source-port-range": [49152, 65535],
                "allow-unknown-sources": False,
                "df": self.df,
            },
            "tenants": [{"name": "blue"}],
            "networks": [network],
        }

    def write_config(self, cfg: dict | None = None, path: str | None = None) -> str:
        path = path or self.config_path
        Path(path).write_text(yaml_text(cfg or self.config()) + "\n")
        return path

    def start_vgwd(self, fresh_config: bool = True, timeout: float = 15.0, detach: bool = False):
        """Starts vgwd in gw on self.config_path (rewritten from config() when
        fresh_config) and waits until it answers. detach: its own session, so it outlives
        this process (the lab)."""
        binary = find_binary("vgwd")
        if binary is None:
            raise CommandError("vgwd is not built (no build*/src/daemon/vgwd)")
        if fresh_config or not Path(self.config_path).exists():
            self.write_config()
        log = open(self.vgwd_log, "ab")
        self.vgwd = self.gw.popen(binary, "--config", self.config_path, "--state-dir",
                                  self.state_dir, "--log-level", "debug", stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=detach)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.vgwd.poll() is not None:
                raise CommandError(f"vgwd exited with {self.vgwd.returncode}:\n{self.log_tail()}")
            if Path(self.socket).exists() and self.ctl_raw("show", "vteps").returncode == 0:
                return
            time.sleep(0.1)
        raise CommandError(f"vgwd did not answer on {self.socket}:\n{self.log_tail()}")

    def stop_vgwd(self, timeout: float = 10.0) -> int:
        """SIGTERM; returns vgwd's exit code (0 = clean shutdown)."""
        p, self.vgwd = self.vgwd, None
        if p is None:
            return 0
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return -signal.SIGKILL

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.vgwd_log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def ctl_raw(self, *args, json_out: bool = True):
        binary = find_binary("vgwctl")
        if binary is None:
            raise CommandError("vgwctl is not built (no build*/src/cli/vgwctl)")
        cmd = [binary] + (["-j"] if json_out else []) + ["--socket", self.socket, *map(str, args)]
        return sh(cmd, check=False, timeout=30)

    def ctl(self, *args):
        """`vgwctl -j ARGS` parsed; raises with vgwctl's message on failure."""
        p = self.ctl_raw(*args)
        if p.returncode != 0:
            raise CommandError(f"vgwctl {' '.join(map(str, args))} -> {p.returncode}: "
                               f"{p.stdout}{p.stderr}")
        data = json.loads(p.stdout)
        if isinstance(data, dict) and "ok" in data and "data" in data:
            data = data["data"]
        return data

    # -- conveniences the tests and the lab share -------------------------------

    def ping(self, src: str, dst_ip: str, count: int = 3, check=True):
        return self.ns[src].run("ping", "-c", count, "-i", "0.2", "-W", "2", dst_ip,
                                check=check)

    def fdb(self) -> list[dict]:
        return self.ctl("show", "fdb")

    def drops(self) -> dict[str, int]:
        return {d["reason"]: d["count"] for d in self.ctl("show", "drops")}

    def kernel_fdb(self, role: str = "kv") -> list[dict]:
        out = sh(["bridge", "-n", self.ns[role].name, "-j", "fdb", "show", "dev", "vxlan100"])
        return json.loads(out.stdout or "[]")
