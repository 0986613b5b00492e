#!/usr/bin/env python3
"""A straightforward NumPy FORCE loop of the algorithm `wmsim train` runs (docs/training.md), as a
throughput peer: the same model, task timeline, masks and rank-1 updates, vectorised with NumPy
(float64, BLAS matrix-vector products, np.outer for the updates), no state history kept.

Only the stepping loop is timed. Output: one JSON object on stdout,
  {"peer": "numpy-force", "n": N, "trials": T, "steps": S, "seconds": s, "network_steps_per_s": S/s}

Usage: force_peer.py [--n 1000] [--trials 60] [--pg 0.7] [--g 1.2] [--fb 10] [--seed 1]
"""
import argparse, json, sys, time
import numpy as np

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--trials", type=int, default=60)
ap.add_argument("--pg", type=float, default=0.7)
ap.add_argument("--g", type=float, default=1.2)
ap.add_argument("--fb", type=float, default=10.0)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
if a.n < 1 or a.trials < 1 or not (0 < a.pg <= 1) or a.fb <= 0:
    sys.exit("force_peer.py: need n ≥ 1, trials ≥ 1, 0 < pg ≤ 1, fb > 0")

rng = np.random.default_rng(a.seed)
n, dt = a.n, 0.1
J = (rng.random((n, n)) < a.pg) * rng.standard_normal((n, n)) / np.sqrt(a.pg * n)
gJ = a.g * J
wi = rng.standard_normal((n, 2)) / 50
wf = rng.standard_normal(n) / a.fb
wfd = rng.standard_normal((n, 2)) / a.fb
x = 0.1 * rng.standard_normal(n)
wo, wd = np.zeros(n), np.zeros((n, 2))
Pw, Pd = np.eye(n), np.eye(n)

# Reference timeline: stimulus 100, delay 50, stimulus 100, delay 50, response 50.
periods = [100, 50, 100, 50, 50]
steps_per_trial = sum(periods)
phase = np.repeat(np.arange(5), periods)
means = np.array([[1.0, -0.5], [0.5, 1.0]])
types = rng.integers(0, 2, size=(a.trials, 2))
u = np.zeros((a.trials, steps_per_trial, 2))
target = np.zeros((a.trials, steps_per_trial))
dummy = np.zeros((a.trials, steps_per_trial, 2))
for k, (c1, c2) in enumerate(types):
    u[k, phase == 0] = means[c1] + 0.2 * rng.standard_normal(((phase == 0).sum(), 2))
    u[k, phase == 2] = means[c2] + 0.2 * rng.standard_normal(((phase == 2).sum(), 2))
    dummy[k, phase == 1], dummy[k, phase == 3] = means[c1], means[c2]
    target[k, phase == 4] = [1.0, 0.5, 1.5][c1 + c2]
dummy_mask, out_mask = (phase == 1) | (phase == 3), phase == 4

r = np.tanh(x)
z, zd = wo @ r, wd.T @ r
t0 = time.perf_counter()
i = 0
for k in range(a.trials):
    for s in range(steps_per_trial):
        x = x + dt * (-x + gJ @ r + wf * z + wfd @ zd + wi @ u[k, s])
        r = np.tanh(x)
        z, zd = wo @ r, wd.T @ r
        if i % 2 == 0 and i >= 2:
            if dummy_mask[s]:
                k_ = Pd @ r
                c = 1.0 / (1.0 + r @ k_)
                Pd -= c * np.outer(k_, k_)
                wd -= c * np.outer(k_, zd - dummy[k, s])
            if out_mask[s]:
                k_ = Pw @ r
                c = 1.0 / (1.0 + r @ k_)
                Pw -= c * np.outer(k_, k_)
                wo -= c * (z - target[k, s]) * k_
        i += 1
seconds = time.perf_counter() - t0
print(json.dumps({"peer": "numpy-force", "n": n, "trials": a.trials, "steps": i, "seconds": seconds,
                  "network_steps_per_s": i / seconds}))
