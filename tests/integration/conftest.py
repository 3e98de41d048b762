"""pytest plumbing for the namespace tests: root check, gateway choice, fabric fixtures.

VGW_GATEWAY=vgwd (default) runs every test against vgwd, once per underlay io mode
(`packet`, `socket`). VGW_GATEWAY=kernel puts a kernel VXLAN VTEP in the gateway's place
and runs only the tests that do not ask vgwd anything (marker `vgwd` deselects the rest):
the proof that the topology itself is right, and the benchmarks' baseline.

Without root the tests skip; with CI=true a skip would hide a broken proof, so it fails.
"""
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import topo  # noqa: E402

GATEWAY = os.environ.get("VGW_GATEWAY", "vgwd")
IN_CI = os.environ.get("CI", "").lower() == "true"
IO_MODES = ["packet", "socket"] if GATEWAY == "vgwd" else ["kernel"]


def pytest_configure(config):
    config.addinivalue_line("markers", "vgwd: asks vgwd itself (vgwctl); not run with VGW_GATEWAY=kernel")
    if GATEWAY not in ("vgwd", "kernel"):
        raise pytest.UsageError(f"VGW_GATEWAY must be vgwd or kernel, not {GATEWAY!r}")


def pytest_sessionstart(session):
    if os.geteuid() == 0:
        for name in topo.sweep_stale():
            print(f"removed namespace {name} left by a killed test run")


def pytest_collection_modifyitems(config, items):
    if GATEWAY != "kernel":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("vgwd") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def require(condition: bool, why: str):
    if not condition:
        if IN_CI:
            pytest.fail(f"cannot run in CI: {why}")
        pytest.skip(why)


def wait_for(fn, timeout: float = 5.0, interval: float = 0.1):
    """Polls fn() until it returns something truthy; returns that, or the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def make_fabric(io: str, **kw) -> topo.Fabric:
    require(os.geteuid() == 0, "namespace tests need root")
    if GATEWAY == "vgwd":
        require(topo.find_binary("vgwd") is not None, "vgwd is not built")
        require(topo.find_binary("vgwctl") is not None, "vgwctl is not built")
    f = topo.Fabric(topo.unique_prefix(), gateway=GATEWAY, io=io if GATEWAY == "vgwd" else "packet", **kw)
    f.up()
    try:
        if GATEWAY == "vgwd":
            f.start_vgwd()
        # Ready when a ping crosses: the first one may wait for underlay ARP.
        ok = wait_for(lambda: f.ping("h1", topo.HOST_IP["h2"], count=1, check=False).returncode == 0,
                      timeout=10)
        if not ok:
            raise topo.CommandError(f"no ping across the fresh fabric\n{f.log_tail()}")
    except BaseException:
        f.down()
        raise
    return f


def finish_fabric(f: topo.Fabric):
    """Teardown: vgwd must still be alive and stop cleanly on SIGTERM."""
    try:
        if f.vgwd is not None:
            alive = f.vgwd.poll() is None
            rc = f.stop_vgwd()
            assert alive, f"vgwd died during the tests:\n{f.log_tail()}"
            assert rc == 0, f"vgwd exited {rc} on SIGTERM:\n{f.log_tail()}"
    finally:
        f.down()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for name in ("fabric", "limits"):
            f = item.funcargs.get(name) if hasattr(item, "funcargs") else None
            if isinstance(f, topo.Fabric) and f.gateway == "vgwd":
                rep.sections.append((f"vgwd log ({f.io})", f.log_tail(60)))
