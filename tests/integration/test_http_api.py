"""The HTTP JSON API over real HTTP (issue 5): every endpoint answers what `vgwctl -j`
answers, configuration goes through the same transaction, the controller API takes 100K
entries in one call, every bad request is a 4xx naming the field with nothing changed, and
changes need the bearer token when the listener is not loopback.

curl runs inside the gateway's namespace (the API listens on its loopback, or on its
underlay address for the token test). Topology: tests/integration/topo.py.
"""
import json
import shutil
import time

import pytest

from conftest import finish_fabric, make_fabric, wait_for
from topo import VNI, yaml_text

pytestmark = pytest.mark.vgwd

PORT = 18080


def start_with_api(fabric, api: dict):
    """Restarts vgwd with api (merged into the config's api section)."""
    fabric.stop_vgwd()
    # The state file (the last applied configuration) would win over the new file.
    shutil.rmtree(fabric.state_dir, ignore_errors=True)
    cfg = fabric.config()
    cfg["api"].update(api)
    fabric.write_config(cfg)
    fabric.start_vgwd(fresh_config=False)


@pytest.fixture(scope="module")
def fabric():
    f = make_fabric("packet")
    try:
        start_with_api(f, {"http": f"127.0.0.1:{PORT}"})
    except BaseException:
        finish_fabric(f)
        raise
    f.base = f"http://127.0.0.1:{PORT}"
    yield f
    finish_fabric(f)


def http(fabric, method, path, body=None, file=None, headers=(), base=None):
    """(status, parsed JSON body or text) of one request made from the gateway's namespace."""
    args = ["curl", "-s", "-S", "-X", method, "-w", "\n%{http_code}", "--max-time", "60"]
    for h in headers:
        args += ["-H", h]
    if body is not None or file is not None:
        # Not curl's default form type, which would make the body query parameters.
        args += ["-H", "Content-Type: application/json",
                 "--data-binary", "@-" if file is None else f"@{file}"]
    args.append((base or fabric.base) + path)
    p = fabric.gw.run(*args, input=body, check=False, timeout=120)
    if p.returncode != 0:  # e.g. the server closed an oversized upload early
        return 0, p.stderr
    text, _, code = p.stdout.rpartition("\n")
    try:
        return int(code), json.loads(text)
    except json.JSONDecodeError:
        return int(code), text


def ok(fabric, method, path, body=None, **kw):
    status, data = http(fabric, method, path, body, **kw)
    assert status == 200, (method, path, status, data)
    return data


@pytest.mark.parametrize("what", ["vteps", "networks", "config", "drops"])
def test_get_matches_vgwctl(fabric, what):
    assert ok(fabric, "GET", f"/api/v1/{what}") == fabric.ctl("show", what)


def test_get_fdb_counters_check_trace(fabric):
    fabric.ping("h1", "10.0.0.2", count=1)
    # Learning is asynchronous (worker -> ring -> control thread): wait for both MACs.
    assert wait_for(lambda: len(ok(fabric, "GET", "/api/v1/fdb?network=web")) >= 2, timeout=5)
    fdb = ok(fabric, "GET", "/api/v1/fdb?network=web")
    assert {e["mac"] for e in fdb} == {e["mac"] for e in fabric.ctl("show", "fdb")}
    counters = ok(fabric, "GET", "/api/v1/counters")
    assert {p["name"] for p in counters["ports"]} == {"p1", "p3", "t1"}
    assert counters["fdb"]["entries"] >= 2
    check = ok(fabric, "GET", "/api/v1/check")
    assert check["consistent"] is True and check["findings"] == []
    assert ok(fabric, "GET", "/api/v1/trace") == {"packets": []}
    assert ok(fabric, "POST", "/api/v1/trace", '{"count":1,"port":"p1"}') == \
        {"tracing": 1, "port": "p1"}
    fabric.ping("h1", "10.0.0.2", count=1)
    pkts = ok(fabric, "GET", "/api/v1/trace")["packets"]
    assert len(pkts) == 1 and pkts[0]["in_port"] == "p1"
    assert ok(fabric, "DELETE", "/api/v1/trace") == {"tracing": 0, "port": None}
    status, err = http(fabric, "GET", "/api/v1/fdb?network=nosuch")
    assert status == 400 and err["error"] == "network nosuch: no such network"
    peers = ok(fabric, "GET", "/api/v1/evpn/peers")
    assert peers["running"] is False and peers["peers"] == []  # no evpn section
    assert ok(fabric, "GET", "/api/v1/evpn/routes?type=2") == []
    status, err = http(fabric, "GET", "/api/v1/evpn/routes?type=4")
    assert status == 400 and "args.type: 4 is not an EVPN route type" in err["error"]


def test_metrics_families(fabric):
    status, text = http(fabric, "GET", "/metrics")
    assert status == 200
    for family in ("vgw_port_rx_packets_total", "vgw_network_tx_bytes_total",
                   "vgw_remote_vtep_tx_packets_total", "vgw_drops_total",
                   "vgw_worker_rx_packets_total", "vgw_fdb_entries"):
        assert f"# TYPE {family} " in text, family
    assert 'vgw_fdb_entries{network="web"}' in text
    assert "\nvgw_evpn_peers 0\n" in text  # the speaker has no neighbours configured
    assert "\nvgw_evpn_peers_established 0\n" in text


def test_config_diff_and_apply(fabric):
    before = ok(fabric, "GET", "/api/v1/config")
    cfg = fabric.config(**{"mac-limit": 777})
    cfg["api"]["http"] = f"127.0.0.1:{PORT}"
    text = yaml_text(cfg) + "\n"
    changes = ok(fabric, "POST", "/api/v1/config/diff", text)["changes"]
    assert changes, changes
    assert ok(fabric, "GET", "/api/v1/config") == before  # diff changes nothing
    assert ok(fabric, "POST", "/api/v1/config", text)["changes"] == changes
    assert [n["mac_limit"] for n in ok(fabric, "GET", "/api/v1/networks")] == [777]
    back = fabric.config()
    back["api"]["http"] = f"127.0.0.1:{PORT}"
    ok(fabric, "POST", "/api/v1/config", yaml_text(back) + "\n")
    assert ok(fabric, "GET", "/api/v1/config") == before


def test_bulk_100k_fdb_and_flood(fabric, tmp_path):
    remote = f"192.168.{fabric.subnet}.99"
    n = 100_000
    entries = [{"vni": VNI, "mac": f"02:10:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}:01",
                "remote": remote} for i in range(n)]
    path = tmp_path / "fdb.json"
    path.write_text(json.dumps(entries))
    t0 = time.monotonic()
    added = ok(fabric, "POST", "/api/v1/fdb", file=path)
    took = time.monotonic() - t0
    assert added == {"added": n, "replaced": 0, "unchanged": 0, "removed": 0, "absent": 0,
                     "not_owned": 0}
    print(f"POST /api/v1/fdb with {n} entries: {took:.2f} s")
    net = ok(fabric, "GET", "/api/v1/networks")[0]
    assert net["fdb_entries"] >= n
    assert ok(fabric, "GET", "/api/v1/check")["consistent"] is True
    removed = ok(fabric, "DELETE", "/api/v1/fdb", file=path)
    assert removed["removed"] == n
    assert ok(fabric, "GET", "/api/v1/networks")[0]["fdb_entries"] < n

    flood = json.dumps([{"network": "web", "remote": remote}])
    assert ok(fabric, "POST", "/api/v1/flood", flood)["added"] == 1
    assert remote in ok(fabric, "GET", "/api/v1/networks")[0]["remotes"]
    assert ok(fabric, "DELETE", "/api/v1/flood", flood)["removed"] == 1
    assert remote not in ok(fabric, "GET", "/api/v1/networks")[0]["remotes"]


def bad_config(fabric, mutate):
    cfg = fabric.config()
    cfg["api"]["http"] = f"127.0.0.1:{PORT}"
    mutate(cfg)
    return yaml_text(cfg) + "\n"


def dup_vni(cfg):
    other = dict(cfg["networks"][0], name="web2", attachments=[])
    cfg["networks"].append(other)


@pytest.mark.parametrize("method,path,body,status,needle", [
    ("POST", "/api/v1/fdb", "[{not json", 400, "body: malformed JSON"),
    ("POST", "/api/v1/fdb", '{"a":1}', 400, "body: must be a JSON array"),
    ("POST", "/api/v1/fdb", '[{"network":"web","mac":"02:00:00:00:00:01","remote":"192.0.2.1",'
     '"bogus":1}]', 400, "entries[0].bogus: unknown field"),
    ("POST", "/api/v1/fdb", '[{"vni":16777216,"mac":"02:00:00:00:00:01","remote":"192.0.2.1"}]',
     400, "entries[0].vni: 16777216 is not in 1..16777215"),
    ("POST", "/api/v1/fdb", '[{"network":"web","mac":"nope","remote":"192.0.2.1"}]', 400,
     "entries[0].mac"),
    ("POST", "/api/v1/flood", '[{"network":"nosuch","remote":"192.0.2.1"}]', 400, "entries[0]"),
    ("POST", "/api/v1/trace", '{"count":0}', 400, "count: 0 is not in 1..1024"),
    ("POST", "/api/v1/trace", '{"port":"nosuch"}', 400, "port: no attachment port named"),
    ("GET", "/api/v1/nosuch", None, 404, "path: /api/v1/nosuch"),
    ("PUT", "/api/v1/networks", "[]", 405, "method: PUT"),
    ("GET", "/api/v1/networks?x=1", None, 400, "query.x: unknown parameter"),
])
def test_rejections(fabric, method, path, body, status, needle):
    def state():  # the configuration and the FDB without the ages that tick
        fdb = [{k: v for k, v in e.items() if k != "age"} for e in ok(fabric, "GET", "/api/v1/fdb")]
        return ok(fabric, "GET", "/api/v1/config"), fdb
    before = state()
    got, err = http(fabric, method, path, body)
    assert got == status, (got, err)
    assert needle in err["error"], err
    assert state() == before


@pytest.mark.parametrize("mutate,needle", [
    (lambda c: c["networks"][0].update(vni=1 << 24), "networks[web].vni"),
    (dup_vni, "vni"),
    (lambda c: c["networks"][0].update(bogus=1), "bogus"),
])
def test_config_rejections_change_nothing(fabric, mutate, needle):
    before = ok(fabric, "GET", "/api/v1/config")
    for path in ("/api/v1/config", "/api/v1/config/diff"):
        status, err = http(fabric, "POST", path, bad_config(fabric, mutate))
        assert status == 400, err
        assert needle in err["error"], err
    assert ok(fabric, "GET", "/api/v1/config") == before


def test_oversized_body_is_413(fabric, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * (17 << 20) + b"]")
    status, err = http(fabric, "POST", "/api/v1/fdb", file=big)
    assert status == 413 and "body: larger than the limit" in err["error"]


def test_token_required_beyond_loopback(fabric):
    """Listening on the underlay address: reads are open, changes need the bearer token."""
    token = "s3cret-token"
    try:
        start_with_api(fabric, {"http": f"{fabric.gw_ip}:{PORT}", "token": token})
        base = f"http://{fabric.gw_ip}:{PORT}"
        status, _ = http(fabric, "GET", "/api/v1/networks", base=base)
        assert status == 200
        body = '[{"network":"web","remote":"192.0.2.55"}]'
        status, err = http(fabric, "POST", "/api/v1/flood", body, base=base)
        assert status == 401 and "Authorization: missing" in err["error"]
        status, err = http(fabric, "POST", "/api/v1/flood", body, base=base,
                           headers=["Authorization: Bearer wrong"])
        assert status == 403 and "wrong bearer token" in err["error"]
        status, err = http(fabric, "POST", "/api/v1/trace", '{"count":1}', base=base)
        assert status == 401
        assert "192.0.2.55" not in ok(fabric, "GET", "/api/v1/networks", base=base)[0]["remotes"]
        status, data = http(fabric, "POST", "/api/v1/flood", body, base=base,
                            headers=[f"Authorization: Bearer {token}"])
        assert status == 200 and data["added"] == 1
    finally:
        start_with_api(fabric, {"http": f"127.0.0.1:{PORT}", "token": ""})
