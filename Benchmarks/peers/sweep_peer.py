#!/usr/bin/env python3
"""A parameter sweep the usual Python way: a loop over grid points and seeds, calling the
capacity peer (capacity_peer.measure: NumPy dense simulation, stored states, one eigh per
network for the ridge readout) one network at a time. For side-by-side timing against
`wmsim sweep` on the same grid (same statistics, not the same random draws).

usage: sweep_peer.py --vary N=100,500 --vary g=0.5:1.5:5 [--replicates 5] [--train 4000 ...]
Prints one JSON line: networks, seconds, networks/s, mean ridge MC.
"""
import argparse, itertools, json, os, sys, time
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capacity_peer import measure  # noqa: E402

NAMES = {"n": "n", "g": "g", "gin": "gin", "sp": "sp", "spin": "spin"}


def axis(text):
    name, rest = text.split("=", 1)
    key = NAMES[name.strip().lower()]
    if ":" in rest:
        f = rest.split(":")
        a, b, s = float(f[0]), float(f[1]), int(f[2])
        v = np.geomspace(a, b, s) if len(f) == 4 and f[3] == "log" else np.linspace(a, b, s)
    else:
        v = [float(x) for x in rest.split(",")]
    if key == "n":
        v = sorted(set(int(round(x)) for x in v))
    return key, list(v)


p = argparse.ArgumentParser()
p.add_argument("--vary", action="append", default=[])
p.add_argument("--replicates", type=int, default=5)
for k, v in [("n", 1000), ("g", 0.95), ("sp", 0.25), ("gin", 10.0), ("spin", 0.05)]:
    p.add_argument("--" + k, type=type(v), default=v)
for k, v in [("washout", 1000), ("train", 4000), ("validation", 1000), ("test", 2000), ("max-lag", 100)]:
    p.add_argument("--" + k, type=int, default=v)
a = p.parse_args()
axes = [axis(t) for t in a.vary]
base = {"n": a.n, "g": a.g, "sp": a.sp, "gin": a.gin, "spin": a.spin}
t0 = time.perf_counter()
mcs = []
for combo in itertools.product(*[v for _, v in axes]):
    point = dict(base)
    point.update({k: v for (k, _), v in zip(axes, combo)})
    for r in range(a.replicates):
        out = measure(int(point["n"]), point["g"], point["sp"], point["gin"], point["spin"], 1000 + r,
                      a.washout, a.train, a.validation, a.test, a.max_lag)
        mcs.append(out["mc_ridge"])
secs = time.perf_counter() - t0
print(json.dumps({"peer": "numpy-loop", "networks": len(mcs), "seconds": secs, "networks_per_s": len(mcs) / secs,
                  "mc_ridge_mean": float(np.mean(mcs))}))
