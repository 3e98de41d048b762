"""The web Fabric Manager in a real browser (issue 5, "A browser test").

vgwd runs the issue-2 topology (topo.py, namespaces prefixed "vwb") with a second
network (db, VNI 200, VLAN 20 on the trunk), a router with an interface in each, and
its HTTP listener on 127.0.0.1:<a
free port> inside the gateway's namespace. While h1 pings h2 across the tunnel,
tests/browser/fabric_page.mjs (playwright-core driving Debian's /usr/bin/chromium,
run inside the same namespace) loads the page, reads what it shows from the DOM,
opens the MAC table of `web`, watches a counter move without a reload and saves
a screenshot. This test then holds what the page showed against `vgwctl -j show`.

Needs: root, /usr/bin/chromium, node, and web/node_modules (`npm ci` in web/).
The screenshot and the page's JSON stay in $VGW_ARTIFACTS/web (default
/tmp/vgw-artifacts/web): fabric.png, fabric.json.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

import topo
from conftest import require, wait_for

REPO = topo.REPO
SCRIPT = REPO / "tests" / "browser" / "fabric_page.mjs"
PLAYWRIGHT = REPO / "web" / "node_modules" / "playwright-core"
CHROMIUM = "/usr/bin/chromium"
OUTDIR = Path(os.environ.get("VGW_ARTIFACTS", Path(tempfile.gettempdir()) / "vgw-artifacts")) / "web"
STALE = re.compile(r"^vwb([0-9a-f]+)x[0-9a-f]{4}-(%s)$" % "|".join(topo.ROLES))

pytestmark = pytest.mark.vgwd


def sweep_stale():
    """Namespaces a killed run of this test left (its pid is gone)."""
    for line in topo.sh(["ip", "netns", "list"]).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        m = STALE.match(name)
        if not m or Path(f"/proc/{int(m.group(1), 16)}").exists():
            continue
        for pid in topo.sh(["ip", "netns", "pids", name], check=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        topo.sh(["ip", "netns", "del", name], check=False)


def free_port(ns: topo.Namespace) -> int:
    """A TCP port nothing listens on in ns (asked of its kernel)."""
    out = ns.run(topo.PYTHON, "-c", "import socket; s = socket.socket(); "
                 "s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])").stdout
    return int(out)


@pytest.fixture(scope="module")
def fabric():
    require(os.geteuid() == 0, "namespace tests need root")
    require(topo.find_binary("vgwd") is not None, "vgwd is not built")
    require(topo.find_binary("vgwctl") is not None, "vgwctl is not built")
    require(os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not installed (Debian package chromium)")
    require(shutil.which("node") is not None, "node is not installed")
    require(PLAYWRIGHT.is_dir(), "web/node_modules has no playwright-core: run `npm ci` in web/")
    sweep_stale()
    f = topo.Fabric(f"vwb{os.getpid():x}x{random.randrange(0x10000):04x}-", io="packet")
    f.up()
    try:
        f.http_port = free_port(f.gw)
        cfg = f.config()
        cfg["api"]["http"] = f"127.0.0.1:{f.http_port}"
        cfg["networks"][0]["attachments"] = [{"port": "p1"}, {"port": "p3"},
                                             {"port": "t1", "vlan": topo.TRUNK_VLAN}]
        cfg["networks"].append({"name": "db", "tenant": "blue", "vni": 200, "flood": "head-end",
                                "remotes": [f.kv_ip], "attachments": [{"port": "t1", "vlan": 20}]})
        cfg["routers"] = [{"name": "blue-rtr", "tenant": "blue", "interfaces": [
            {"network": "web", "address": "10.0.0.254/24"},
            {"network": "db", "address": "10.0.1.254/24"}]}]
        f.write_config(cfg)
        f.start_vgwd(fresh_config=False)
        ok = wait_for(lambda: f.ping("h1", topo.HOST_IP["h2"], count=1, check=False).returncode == 0,
                      timeout=10)
        assert ok, f"no ping across the fresh fabric\n{f.log_tail()}"
    except BaseException:
        f.down()
        raise
    yield f
    try:
        alive = f.vgwd is not None and f.vgwd.poll() is None
        rc = f.stop_vgwd()
        assert alive, f"vgwd died during the test:\n{f.log_tail()}"
        assert rc == 0, f"vgwd exited {rc} on SIGTERM:\n{f.log_tail()}"
    finally:
        f.down()


def run_page(f: topo.Fabric, network: str) -> dict:
    """fabric_page.mjs in the gateway's namespace (vgwd's 127.0.0.1), h1 pinging h2."""
    OUTDIR.mkdir(parents=True, exist_ok=True)
    for old in ("fabric.png", "fabric.json"):
        (OUTDIR / old).unlink(missing_ok=True)
    ping = f.h1.popen("ping", "-i", "0.1", "-c", "600", "-W", "1", topo.HOST_IP["h2"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p = f.gw.run("node", SCRIPT, f"http://127.0.0.1:{f.http_port}/", OUTDIR,
                     "--network", network, "--timeout", 20, check=False, timeout=120)
    finally:
        ping.kill()
        ping.wait()
    assert p.returncode == 0, f"fabric_page.mjs failed ({p.returncode}):\n{p.stderr}\n{p.stdout[-2000:]}"
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def page(fabric):
    return run_page(fabric, "web")


def test_page_is_served_from_vgwd_with_types_and_caching(page):
    by_path = {r["path"]: r for r in page["responses"]}
    assert by_path["/"]["status"] == 200
    assert by_path["/"]["content_type"] == "text/html; charset=utf-8"
    assert by_path["/"]["cache_control"] == "no-cache"
    assets = [r for p, r in by_path.items() if p.startswith("/assets/")]
    assert sorted(r["content_type"] for r in assets) == ["text/css; charset=utf-8",
                                                         "text/javascript; charset=utf-8"]
    assert all(r["status"] == 200 and "immutable" in r["cache_control"] for r in assets)
    api = [r for p, r in by_path.items() if p.startswith("/api/v1/")]
    assert api and all(r["status"] in (200, 404) for r in api), api  # 404: optional EVPN API
    assert page["problems"] == []


def test_vteps_match_vgwctl(fabric, page):
    vteps = fabric.ctl("show", "vteps")
    assert page["local_vtep"] == vteps["local"]["source"] == fabric.gw_ip
    assert page["underlay"] == f"u2 · packet · mtu {vteps['local']['underlay']['mtu']}"
    want = sorted((r["address"], r["origin"], sorted(r["vnis"])) for r in vteps["remotes"])
    shown = sorted((r["address"], r["origin"], sorted(r["vnis"])) for r in page["remotes"])
    assert shown == want
    assert (fabric.kv_ip, "static", [100, 200]) in shown


def test_networks_match_vgwctl(fabric, page):
    networks = fabric.ctl("show", "networks")
    want = sorted((n["name"], n["vni"], n["tenant"]) for n in networks)
    assert sorted((n["name"], n["vni"], n["tenant"]) for n in page["networks"]) == want
    assert want == [("db", 200, "blue"), ("web", 100, "blue")]


def test_picture_shows_gateway_networks_ports_and_remotes(fabric, page):
    nodes = {n["id"]: n for n in page["graph"]}
    assert {"gw", "vtep", "net:web", "net:db", "port:p1", "port:p3", "port:t1",
            f"rem:{fabric.kv_ip}"} <= set(nodes)
    assert nodes["vtep"]["label"].startswith(f"VTEP {fabric.gw_ip}:4789")
    assert nodes["net:web"]["label"].startswith("web\nVNI 100 · blue")
    assert nodes["net:db"]["label"].startswith("db\nVNI 200 · blue")
    assert "static" in nodes[f"rem:{fabric.kv_ip}"]["classes"]


def test_mac_table_matches_vgwctl(fabric, page):
    assert page["network"] == "web"
    want = {(e["mac"], e["type"]) for e in fabric.ctl("show", "fdb", "--network", "web")}
    shown = {(e["mac"], e["type"]) for e in page["fdb"]}
    # h1 pinged h2 throughout: both are in the table, h1 local on p1, h2 behind kv.
    assert {(topo.MAC["h1"], "local"), (topo.MAC["h2"], "remote")} <= shown
    assert shown == want
    h2 = next(e for e in page["fdb"] if e["mac"] == topo.MAC["h2"])
    assert h2["remote"] == fabric.kv_ip
    h1 = next(e for e in page["fdb"] if e["mac"] == topo.MAC["h1"])
    assert h1["port"] == "p1"


def test_counters_move_live_and_match_vgwctl(fabric, page):
    c = page["counters"]
    assert c["moved"] and c["same_document"], c
    assert c["after"]["rx_packets"] > c["before"]["rx_packets"]
    assert c["after"]["tx_packets"] > c["before"]["tx_packets"]
    assert c["after"]["ticks"] >= c["before"]["ticks"] + 1
    web = next(n for n in fabric.ctl("show", "counters")["networks"] if n["name"] == "web")
    # The page showed values vgwd had: never ahead of what vgwctl reads afterwards.
    assert 0 < c["after"]["rx_packets"] <= web["rx_packets"]
    assert 0 < c["after"]["tx_packets"] <= web["tx_packets"]


def test_routers_and_routes_match_vgwctl(fabric, page):
    assert sorted((r["name"], r["network"], r["address"]) for r in page["routers"]) == [
        ("blue-rtr", "db", "10.0.1.254/24"), ("blue-rtr", "web", "10.0.0.254/24")]
    want = sorted((r["router"], r["prefix"], r["source"]) for r in fabric.ctl("show", "routes"))
    assert ("blue-rtr", "10.0.0.0/24", "connected") in want
    assert sorted((r["router"], r["prefix"], r["source"]) for r in page["routes"]) == want
    nodes = {n["id"] for n in page["graph"]}
    assert "rtr:blue-rtr" in nodes


def test_drops_match_vgwctl(fabric, page):
    want = {d["reason"] for d in fabric.ctl("show", "drops")}
    assert {d["reason"] for d in page["drops"]} == want


def test_screenshot_saved(page):
    png = Path(page["screenshot"])
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1600, 1000)
    assert len(data) > 20_000  # a drawn page, not a blank one
