#!/usr/bin/env python3
"""Replay the evaluation of a `wmsim train` result in NumPy and compare its errors.

usage: replay_trained.py OUTDIR [TOLERANCE]   (exit 0 when every run's error agrees within TOLERANCE)

An independent reference for the trained network: it reads only the saved NPY arrays, the
spec in trained.json and the model of docs/training.md §1, in float64, and recomputes each
evaluation run's reference error sqrt(sum_response (z - target)^2 / runs).
"""
import json, sys, pathlib
import numpy as np
import scipy.sparse as sps

out = pathlib.Path(sys.argv[1])
tol = float(sys.argv[2]) if len(sys.argv) > 2 else 1e-6
manifest = json.loads((out / "trained.json").read_text())
assert manifest["format"] == "wmsim-trained-network" and manifest["version"] == 1, "not a trained-network archive"
spec, result = manifest["spec"], manifest["result"]
net, task = spec["network"], spec["task"]
if result.get("failure"):
    print(f"training failed ({result['failure']}): nothing to replay")
    sys.exit(1)
n = net["n"]
J = sps.csr_matrix((np.load(out / "J_data.npy").astype(np.float64), np.load(out / "J_indices.npy"),
                    np.load(out / "J_indptr.npy")), shape=(n, n))
gJ = net["g"] * J
wi = np.load(out / "wi.npy").astype(np.float64)
wf = np.load(out / "wf.npy").astype(np.float64)
wfd = np.load(out / "wfd.npy").astype(np.float64)
wo = np.load(out / "wo.npy")
wd = np.load(out / "wd.npy")
starts = np.load(out / "start_states.npy")
u = np.load(out / "evaluation_input.npy").astype(np.float64)        # [runs, steps, 2]
target = np.load(out / "evaluation_target.npy").astype(np.float64)  # [runs, steps]
start_of = np.load(out / "evaluation_start.npy")
runs, steps = target.shape
a = net["dt"] / net["tau"]
response = np.zeros(steps, dtype=bool)
response[steps - task["response"]:] = True

worst = 0.0
for k in range(runs):
    x = starts[start_of[k]].copy()
    r = np.tanh(x)
    z, zd = wo @ r, wd.T @ r
    total = 0.0
    for s in range(steps):
        x = x + a * (-x + gJ @ r + wf * z + wfd @ zd + wi @ u[k, s])
        r = np.tanh(x)
        z, zd = wo @ r, wd.T @ r
        if response[s]:
            total += (z - target[k, s]) ** 2
    err = np.sqrt(total / runs)
    worst = max(worst, abs(err - result["referenceError"][k]))
print(f"max |wmsim − numpy| of the reference error over {runs} runs: {worst:.3e} (tolerance {tol:g})")
sys.exit(0 if worst <= tol else 1)
