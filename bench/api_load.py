"""API load test (issue 5), run by bench/api_load.sh.

Builds the test topology of tests/integration/topo.py (h1 -- vgwd -- kernel VXLAN -- h2)
under a unique prefix, starts vgwd with api.http on the gateway's loopback, then measures
twice, first without and then with API load:
  - iperf3 TCP h1 -> h2 for SECONDS (the rate), and ping h1 -> h2 every 10 ms (loss);
  - with load: two wrk clients (2 threads, 16 connections each) inside the gateway's
    namespace, one on GET /api/v1/counters and one on GET /api/v1/networks.
Prints wrk's requests/s and errors, both iperf3 rates and ping loss, and exits 1 when the
API served fewer than 1,000 requests/s in all or ping lost a packet. Everything it
creates is removed at the end.
"""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import topo  # noqa: E402

PORT = 18090


def run_traffic(f, secs):
    """(iperf3 bits/s, ping sent, ping received) of one run."""
    server = f.h2.popen("iperf3", "-s", "-1", "-p", 5301, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    count = int(secs * 100)
    ping = f.h1.popen("ping", "-c", count, "-i", "0.01", "-W", "1", topo.HOST_IP["h2"],
                      stdout=subprocess.PIPE, text=True)
    iperf = f.h1.popen("iperf3", "-c", topo.HOST_IP["h2"], "-p", 5301, "-t", secs, "-J",
                       stdout=subprocess.PIPE, text=True)
    out, _ = iperf.communicate(timeout=secs + 30)
    pout, _ = ping.communicate(timeout=secs + 30)
    server.wait(timeout=10)
    rate = json.loads(out)["end"]["sum_received"]["bits_per_second"]
    m = re.search(r"(\d+) packets transmitted, (\d+) received", pout)
    return rate, int(m.group(1)), int(m.group(2))


def wrk(f, path, secs):
    return f.gw.popen("wrk", "-t", 2, "-c", 16, "-d", f"{secs}s", "--latency",
                      f"http://127.0.0.1:{PORT}{path}", stdout=subprocess.PIPE, text=True)


def wrk_result(p):
    out, _ = p.communicate(timeout=120)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return rps, int(errors.group(1)) if errors else 0, p99.group(1) if p99 else "?"


def main():
    secs = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    f = topo.Fabric(topo.unique_prefix())
    f.up()
    try:
        cfg = f.config()
        cfg["api"]["http"] = f"127.0.0.1:{PORT}"
        f.write_config(cfg)
        f.start_vgwd(fresh_config=False)
        for _ in range(50):
            if f.ping("h1", topo.HOST_IP["h2"], count=1, check=False).returncode == 0:
                break
        base = run_traffic(f, secs)
        loads = [wrk(f, "/api/v1/counters", secs + 2), wrk(f, "/api/v1/networks", secs + 2)]
        time.sleep(1)
        loaded = run_traffic(f, secs)
        results = [wrk_result(p) for p in loads]
        total = sum(r[0] for r in results)
        print(f"without API load: iperf3 {base[0] / 1e9:.2f} Gbit/s, "
              f"ping {base[2]}/{base[1]} received")
        for path, (rps, errors, p99) in zip(["/api/v1/counters", "/api/v1/networks"], results):
            print(f"GET {path}: {rps:.0f} requests/s, {errors} errors, p99 latency {p99}")
        print(f"API total: {total:.0f} requests/s")
        print(f"with API load:    iperf3 {loaded[0] / 1e9:.2f} Gbit/s "
              f"({100 * loaded[0] / base[0]:.0f}% of without), "
              f"ping {loaded[2]}/{loaded[1]} received")
        drops = {k: v for k, v in f.drops().items() if v}
        print(f"vgwd drops: {drops or 'none'}")
        ok = total >= 1000 and loaded[1] == loaded[2] and base[1] == base[2] and \
            all(r[1] == 0 for r in results)
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        if f.vgwd is not None:
            f.stop_vgwd()
        f.down()


if __name__ == "__main__":
    sys.exit(main())
