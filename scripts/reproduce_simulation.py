#!/usr/bin/env python3
"""Re-run a `wmsim simulate --save-network` result in NumPy/SciPy and compare with rates.npy.

usage: reproduce_simulation.py OUTDIR [TOLERANCE]   (exit 0 when max |difference| ≤ tolerance)

Starts from the saved initial state (network/x0.npy), so runs that recorded only some
neurons (--record-neurons) or every k-th step replay too.

An independent reference for the engine: it reads only the saved NPY arrays and the
documented update rules (docs/model.md §1), in float64.
"""
import json, sys, pathlib
import numpy as np
import scipy.sparse as sps

out = pathlib.Path(sys.argv[1])
tol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-4
summary = json.loads((out / "summary.json").read_text())
manifest = json.loads((out / "network" / "network.json").read_text())
u = np.load(out / "network" / "input.npy").astype(np.float64)          # [T, B, nIn]
rates = np.load(out / "rates.npy")                                      # [rows, M, B, nRec]
n, n_in = manifest["n"], manifest["nIn"]
rec = summary["record"]
every, neurons = rec["every"], rec.get("neurons")
cfg = summary["config"]
worst = 0.0
for m, spec in enumerate(manifest["networks"]):
    d = out / "network" / f"network-{m:03d}"
    J = sps.csr_matrix((np.load(d / "J_data.npy").astype(np.float64), np.load(d / "J_indices.npy"),
                        np.load(d / "J_indptr.npy")), shape=(n, n))
    Jin = np.load(d / "Jin.npy").astype(np.float64)
    f = np.tanh if spec["activation"] == "tanh" else (lambda v: v)
    B = u.shape[1]
    x0_file = out / "network" / "x0.npy"
    if x0_file.exists():
        # The saved initial state [M, N, B]: replay from t = 0, every recorded row compared.
        x = np.load(x0_file)[m].astype(np.float64)                         # [N, B]
        t, first = 0, 0
    elif neurons is None:
        # Older folders without x0.npy: start from the first recorded row (all neurons).
        x = rates[0, m].astype(np.float64).T                              # [N, B]
        t, first = every, 1
    else:
        sys.exit("reproduce_simulation.py: this folder recorded only some neurons and has no network/x0.npy "
                 "(saved by wmsim before the initial state was); rerun it with a current wmsim")
    for r in range(first, rates.shape[0]):
        for _ in range(every):
            h = J @ x + Jin @ u[t].T + spec["bias"]
            if spec["rule"] == "template":
                dd = np.exp(-spec["dt"] / spec["tau"])
                x = f(dd * x + (1 - dd) * h)
            else:
                a = spec["leak"]
                x = (1 - a) * x + a * f(h)
            t += 1
        got = rates[r, m].astype(np.float64).T
        sel = slice(None) if neurons is None else neurons
        worst = max(worst, float(np.max(np.abs(got - x[sel]))))
print(f"max |wmsim − numpy| over {rates.shape[0]} rows, {len(manifest['networks'])} network(s): {worst:.3e} (tolerance {tol:g})")
sys.exit(0 if worst <= tol else 1)
