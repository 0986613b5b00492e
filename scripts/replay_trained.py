#!/usr/bin/env python3
"""Replay the evaluation of a `wmsim train` result in NumPy and compare its errors.

usage: replay_trained.py OUTDIR [TOLERANCE]   (exit 0 when every run's errors agree within TOLERANCE)

An independent implementation of the trained network's forward dynamics (docs/training.md §1),
in float64: from the saved weights, start states and evaluation stimuli it re-runs every
evaluation run and recomputes the reference error sqrt(sum_response (z - target)^2 / runs), the
per-step RMSE, the share of runs above each epsilon and the "learned" verdict, and compares
them with trained.json. It does not replay training (the task generator and FORCE are checked
by wmsim's own tests).
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

def number(v):
    return float(v)  # NaN and infinities are written as the strings "NaN", "Infinity"

assert runs == 16 * spec["evaluationSeeds"] == result["runs"], "run count"
mine_ref, mine_rmse = [], []
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
    mine_ref.append(np.sqrt(total / runs))
    mine_rmse.append(np.sqrt(total / task["response"]))
ok = True
for name, mine in (("referenceError", mine_ref), ("rmse", mine_rmse)):
    theirs = [number(v) for v in result[name]]
    for a, b in zip(mine, theirs):
        d = abs(a - b) if np.isfinite(a) or np.isfinite(b) else 0.0
        if not (np.isnan(a) == np.isnan(b)) or not d <= tol:
            ok = False
        worst = max(worst, d if np.isfinite(d) else np.inf)
shares = [float(np.mean([not (e <= eps) for e in mine_ref])) for eps in spec["epsilons"]]
if any(abs(a - b) > 1e-12 for a, b in zip(shares, result["failingShare"])):
    ok = False
    print(f"failing shares differ: numpy {shares}, wmsim {result['failingShare']}")
learned = float(np.mean([not (e <= spec["learnedEpsilon"]) for e in mine_ref])) <= spec["learnedFraction"]
if learned != result["learned"]:
    ok = False
    print(f"learned differs: numpy {learned}, wmsim {result['learned']}")
print(f"max |wmsim − numpy| of the per-run errors over {runs} runs: {worst:.3e} (tolerance {tol:g}); "
      f"failing shares and verdict {'agree' if ok else 'DISAGREE'}")
sys.exit(0 if ok else 1)
