#!/usr/bin/env python3
"""Writes a vgwd configuration with N networks for bench/scale.sh (a generator, not a test).

Every network has its own VNI (1..N) and one static remote VTEP (head-end flooding), no
attachments: the figure is what the control plane and the tables cost per network.
With --macs M, M static remote MACs are spread over the networks (`macs:` entries), the
1M-FDB-entries figure.

    scale_config.py N OUT.yaml --socket PATH --underlay IF --source IP --remote IP [--macs M]
"""
import argparse
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("networks", type=int)
    ap.add_argument("out")
    ap.add_argument("--socket", required=True)
    ap.add_argument("--underlay", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--remote", required=True)
    ap.add_argument("--macs", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    if a.networks < 1 or a.networks > 16_777_215:
        print("networks: 1..16777215", file=sys.stderr)
        return 2

    head = f"""node:
  name: scale
  workers: {a.workers}
api:
  socket: {a.socket}
  http: ""
ports: []
underlay:
  interface: {a.underlay}
  io: packet
vtep:
  source: {a.source}
tenants:
  - name: t
networks:
"""
    per_net, extra = divmod(a.macs, a.networks)
    mac = 0
    with open(a.out, "w", buffering=1 << 20) as f:
        f.write(head)
        chunk = []
        for i in range(1, a.networks + 1):
            line = f"  - {{name: n{i}, tenant: t, vni: {i}, remotes: [{a.remote}]"
            k = per_net + (1 if i <= extra else 0)
            if k:
                macs = []
                for _ in range(k):
                    mac += 1
                    m = f"02:{(mac >> 32) & 0xff:02x}:{(mac >> 24) & 0xff:02x}:" \
                        f"{(mac >> 16) & 0xff:02x}:{(mac >> 8) & 0xff:02x}:{mac & 0xff:02x}"
                    macs.append(f"{{mac: '{m}', remote: {a.remote}}}")
                line += ", macs: [" + ", ".join(macs) + "]"
            chunk.append(line + "}\n")
            if len(chunk) >= 65536:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
