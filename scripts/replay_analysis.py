#!/usr/bin/env python3
"""Check a `wmsim analyze` results file in NumPy (float64), independently of wmsim.

usage: replay_analysis.py RESULTS.jsonl [--classification]   (exit 0 when everything agrees)

For every analysed network it rebuilds the closed loop from the archive (docs/analysis.md §1),
W_eff = g*J + wf wo^T + wfd wd^T, and checks every fixed or slow point written to
RESULTS-points/: q = 1/2 |F(x)|^2 in float64 against the row's q (relative 1e-6, or both below
1e-20), the main readout there, and the largest real part of the eigenvalues of the Jacobian
-I + W_eff diag(1 - tanh(x)^2) (1e-8) with the stability verdict.

With --classification it also applies the classification rule of §2 to the row's own mean and
final outputs of settled networks and checks the mechanism and distinct count. The
trajectories themselves are not re-run here (their starts come from wmsim's Philox streams).
"""
import json, math, sys, pathlib
import numpy as np
import scipy.sparse as sps

path = pathlib.Path(sys.argv[1])
check_rule = "--classification" in sys.argv
lines = [json.loads(l) for l in path.read_text().splitlines() if l.strip()]
header, rows = lines[0], lines[1:]
assert header.get("kind") == "network-analysis", "not a wmsim analyze results file"
copt = header["spec"]["classification"]
failures = 0
checked = 0


def closed_loop(folder):
    m = json.loads((folder / "trained.json").read_text())
    net = m["spec"]["network"]
    n = net["n"]
    J = sps.csr_matrix((np.load(folder / "J_data.npy").astype(np.float64), np.load(folder / "J_indices.npy"),
                        np.load(folder / "J_indptr.npy")), shape=(n, n)).toarray()
    wf = np.load(folder / "wf.npy").astype(np.float64)
    wfd = np.load(folder / "wfd.npy").astype(np.float64)
    wo = np.load(folder / "wo.npy")
    wd = np.load(folder / "wd.npy")
    W = net["g"] * J + np.outer(wf, wo) + wfd @ wd.T
    return W, wo, wd


def mechanism(mean, final, var):
    d = len({round(v * 10 ** copt["decimals"]) for v in final})
    if all(v < copt["settledVariance"] for v in var):
        return ("fixed points" if d >= copt["fixedPointsMinimum"] else "slow manifold"), d
    if len(set(mean)) == len(mean):
        return "limit cycle", d
    if max(mean) > copt["farBound"] or min(mean) < -copt["farBound"]:
        return "far", d
    return "mixed", d


for row in rows:
    c = row.get("classification")
    if c is None:
        print(f"{row['archive']}: not analysed ({row.get('error')})")
        continue
    if check_rule:
        # The row's outputs must give its own verdict (max variance stands for all variances).
        settled = c["maxVariance"] < copt["settledVariance"]
        m, d = mechanism(c["meanOutput"], c["finalOutput"], [c["maxVariance"]] if settled else [math.inf])
        if settled and (m, d) != (c["mechanism"], c["distinct"]):
            print(f"{row['archive']}: rule gives {m}/{d}, row says {c['mechanism']}/{c['distinct']}")
            failures += 1
    fp = row.get("fixedPoints")
    if not fp or not fp["points"]:
        continue
    W, wo, wd = closed_loop(pathlib.Path(row["archive"]))
    states = np.load(path.parent / row["pointStates"])
    assert states.shape[0] == len(fp["points"]), "one state per point"
    for x, p in zip(states, fp["points"]):
        r = np.tanh(x)
        F = -x + W @ r
        q = 0.5 * float(F @ F)
        A = -np.eye(len(x)) + W * (1 - r * r)[None, :]
        ev = np.linalg.eigvals(A)
        max_re = float(ev.real.max())
        # Compared as ‖F‖ = √(2q): relative 1e-6, or within the round-off of a double sum of N
        # terms of order 1 (about N·ε; at ‖F‖ ≈ 1e-9 that alone moves q by ~1e-5 relative).
        f_np, f_wm = math.sqrt(2 * q), math.sqrt(2 * p["q"])
        ok_q = abs(f_np - f_wm) <= 1e-6 * max(f_np, f_wm) + len(x) * 1e-15
        ok_z = abs(float(wo @ r) - p["outputs"][0]) <= 1e-9 * (1 + abs(p["outputs"][0]))
        ok_e = abs(max_re - p["maxRealPart"]) <= 1e-8 * (1 + abs(max_re)) and (max_re < 0) == p["stable"]
        checked += 1
        if not (ok_q and ok_z and ok_e):
            failures += 1
            print(f"{row['archive']}: point q {p['q']:.3g} vs {q:.3g}, z {p['outputs'][0]:.6g} vs {float(wo @ r):.6g}, "
                  f"max Re {p['maxRealPart']:.9g} vs {max_re:.9g}, stable {p['stable']}")
print(f"{len(rows)} network(s), {checked} point(s) checked against NumPy; {failures} disagreement(s)")
sys.exit(1 if failures else 0)
