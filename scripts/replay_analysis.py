#!/usr/bin/env python3
"""Check a `wmsim analyze` results file in NumPy (float64), independently of wmsim.

usage: replay_analysis.py RESULTS.jsonl [--classification] [--summary]   (exit 0 when everything agrees)

For every analysed network it rebuilds the closed loop from the archive (docs/analysis.md §1),
W_eff = g*J + wf wo^T + wfd wd^T, and checks every fixed or slow point written to
RESULTS-points/: q = 1/2 |F(x)|^2 in float64 against the row's q (relative 1e-6, or both below
1e-20), the main readout there, and the largest real part of the eigenvalues of the Jacobian
-I + W_eff diag(1 - tanh(x)^2) (1e-8) with the stability verdict.

With --classification it also applies the classification rule of §2 to the row's own mean and
final outputs of settled networks and checks the mechanism and distinct count. The
trajectories themselves are not re-run here (their starts come from wmsim's Philox streams).

With --summary it recomputes RESULTS-summary.json (docs/analysis.md §5) from the rows: the
mechanism counts, each measure per learned network, the pooled Mann-Whitney tests (SciPy,
asymptotic) and the matched tests within parameter points (van Elteren's statistic, its
permutation p enumerated here by itertools, or drawn when wmsim drew), and the verdicts.
"""
import itertools
import json, math, sys, pathlib
import numpy as np
import scipy.sparse as sps

path = pathlib.Path(sys.argv[1])
check_rule = "--classification" in sys.argv
check_summary = "--summary" in sys.argv
lines = []
for l in path.read_text().splitlines():
    try:
        lines.append(json.loads(l))
    except json.JSONDecodeError:
        pass  # a line cut off by an interrupted run: wmsim skips it too
header = lines[0]
# As wmsim reads the file: rows of this run only, the first row of every (point, replicate),
# except that a later row replaces an error row (a --retry-errors rerun).
by_unit = {}
for r in lines[1:]:
    if r.get("type", "result") != "result" or r.get("fingerprint") != header.get("fingerprint", r.get("fingerprint")):
        continue
    key = (r["point"], r.get("replicate", 0))
    if key not in by_unit or (by_unit[key].get("error") is not None and r.get("error") is None):
        by_unit[key] = r
rows = list(by_unit.values())
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


def as_float(v):
    return {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}.get(v, v) if isinstance(v, str) else v


def measures(row):
    """The four measures of a network (docs/analysis.md §5), from the row alone."""
    rb = row["robustness"]
    d, nz = rb["delay"], rb["noise"]
    share = sum(d["failing"]) / (d["runs"] * len(d["levels"])) if d["levels"] and d["runs"] else 0.0
    half = lambda c: math.inf if c.get("halfFailing") is None else as_float(c["halfFailing"])
    eff = None
    if row.get("fixedPoints") is not None:
        k = sum(1 for p in row["fixedPoints"]["points"] if p["isFixed"] and p["stable"])
        eff = math.inf if k == 0 else 4 / k
    return [share, half(d), half(nz), eff]


def midranks(values):
    from scipy.stats import rankdata
    return rankdata(values, method="average")


def van_elteren(strata, draws):
    """T, two-sided permutation p, the 1/(N+1)-weighted share of within-stratum pairs with
    a > b, exact flag, smallest achievable p."""
    strata = [(a, b) for a, b in strata if a and b]
    lists, t_obs, wins, pairs = [], 0.0, 0.0, 0.0
    for a, b in strata:
        v = np.array(a + b, dtype=float)
        r = midranks(v)
        n, na = len(v), len(a)
        scale, expected = n + 1, na * (n + 1) / 2
        t_obs += (r[:na].sum() - expected) / scale
        wins += sum((x > y) + 0.5 * (x == y) for x in a for y in b) / (n + 1)
        pairs += len(a) * len(b) / (n + 1)
        lists.append((r, na, scale, expected))
    total = 1
    for r, na, _, _ in lists:
        total *= math.comb(len(r), na)
    tol = abs(t_obs) - 1e-9 * max(1, abs(t_obs))
    if total <= 2_000_000:
        sums = np.zeros(1)
        for r, na, scale, expected in lists:
            c = np.array([(sum(r[list(idx)]) - expected) / scale for idx in itertools.combinations(range(len(r)), na)])
            sums = np.add.outer(sums, c).ravel()
        top = np.abs(sums).max()
        smallest = float(np.mean(np.abs(sums) >= top - 1e-9 * max(1, top)))
        return t_obs, float(np.mean(np.abs(sums) >= tol)), wins / pairs, True, smallest
    rng = np.random.default_rng(1)
    sums = np.zeros(draws)
    for r, na, scale, expected in lists:
        perm = np.argsort(rng.random((draws, len(r))), axis=1)[:, :na]
        sums += (r[perm].sum(axis=1) - expected) / scale
    return t_obs, (1 + int(np.sum(np.abs(sums) >= tol))) / (1 + draws), wins / pairs, False, None


def check_summary_file():
    from scipy.stats import mannwhitneyu
    bad = []
    summary_path = path.parent / (path.stem + "-summary.json")
    if not summary_path.exists():
        print(f"summary: {summary_path} does not exist (written by wmsim analyze and wmsim merge)")
        return 1
    summary = json.loads(summary_path.read_text())
    analysed = [r for r in rows if r.get("classification")]
    counts = lambda rs: {m: sum(1 for r in rs if r["classification"]["mechanism"] == m) for m in {r["classification"]["mechanism"] for r in rs}}
    lines = {l["label"]: l for l in summary["mechanisms"]}
    for label, rs in [("all analysed", analysed), ("learned", [r for r in analysed if r.get("learned") is True])]:
        if lines[label]["networks"] != len(rs) or lines[label]["counts"] != counts(rs):
            bad.append(f"mechanism counts of {label}: {lines[label]} vs {len(rs)} {counts(rs)}")
    learned = [r for r in analysed if r.get("learned") is True and r.get("robustness")]
    sm = [r for r in learned if r["classification"]["mechanism"] == "slow manifold"]
    fp = [r for r in learned if r["classification"]["mechanism"] == "fixed points"]
    point = lambda r: tuple(sorted((k, v) for k, v in r["params"].items() if k != "seed"))
    keys = sorted({point(r) for r in sm + fp})
    supports = {}
    for k, test in enumerate(summary["comparison"]["tests"]):
        a = [measures(r)[k] for r in sm if measures(r)[k] is not None]
        b = [measures(r)[k] for r in fp if measures(r)[k] is not None]
        higher = lambda share: "higher" if share > 0.5 else "lower" if share < 0.5 else "neither"
        pooled = test.get("pooled")
        runs = len(a) >= 5 and len(b) >= 5 and len(set(a + b)) > 1
        if runs != (pooled is not None):
            bad.append(f"{test['measure']}: pooled test {'missing' if runs else 'run'} in the summary")
        elif runs:
            ref = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
            if abs(ref.statistic - pooled["u"]) > 1e-9 or abs(ref.pvalue - pooled["p"]) > 1e-9 * max(1, ref.pvalue):
                bad.append(f"{test['measure']}: pooled U {pooled['u']} p {pooled['p']} vs SciPy {ref.statistic} {ref.pvalue}")
            supports[(k, "pooled")] = higher(ref.statistic / (len(a) * len(b))) == test["expected"] and ref.pvalue < 0.05
        strata = []
        for key in keys:
            sa = [measures(r)[k] for r in sm if point(r) == key and measures(r)[k] is not None]
            sb = [measures(r)[k] for r in fp if point(r) == key and measures(r)[k] is not None]
            strata.append((sa, sb))
        informative = [(x, y) for x, y in strata if x and y]
        na, nb = sum(len(x) for x, _ in informative), sum(len(y) for _, y in informative)
        if (na, nb) != (test["matchedSlowManifold"], test["matchedFixedPoints"]):
            bad.append(f"{test['measure']}: matched counts {na}, {nb} vs {test['matchedSlowManifold']}, {test['matchedFixedPoints']}")
        runs = na >= 5 and nb >= 5 and any(len(set(x + y)) > 1 for x, y in informative)
        m = test.get("matched")
        if runs != (m is not None):
            bad.append(f"{test['measure']}: matched test {'missing' if runs else 'run'} in the summary")
        elif runs:
            t, p, share, exact, smallest = van_elteren(strata, 20000 if not m["exact"] else 0)
            p_tol = 1e-9 if exact else 0.01 + 4 * math.sqrt(p * (1 - p) / 20000)
            if smallest is None:
                smallest = 1 / (1 + m["relabellings"])
            if (exact != m["exact"] or abs(t - m["statistic"]) > 1e-9 or abs(p - m["p"]) > p_tol
                    or abs(share - m["shareAGreater"]) > 1e-12 or abs(smallest - m["smallestP"]) > 1e-12):
                bad.append(f"{test['measure']}: matched T {m['statistic']} p {m['p']} share {m['shareAGreater']} smallest p {m['smallestP']}"
                           f" vs {t} {p} {share} {smallest}")
            # Drawn p values agree only within the Monte Carlo error: judge with wmsim's p then.
            p_judged = p if exact else m["p"]
            if smallest < 0.05:
                supports[(k, "matched")] = higher(share) == test["expected"] and p_judged < 0.05
    for kind, field in [("pooled", "verdicts"), ("matched", "matchedVerdicts")]:
        for k, name in [(0, "forgetsSooner"), (2, "resistsNoiseBetter"), (3, "moreEfficient")]:
            if summary[field].get(name) != supports.get((k, kind)):
                bad.append(f"{field}.{name}: {summary[field].get(name)} vs {supports.get((k, kind))}")
    for b in bad:
        print("summary: " + b)
    print(f"summary: {len(summary['comparison']['tests'])} measure(s), pooled and matched tests recomputed; {len(bad)} disagreement(s)")
    return len(bad)


if check_summary:
    failures += check_summary_file()
print(f"{len(rows)} network(s), {checked} point(s) checked against NumPy; {failures} disagreement(s)")
sys.exit(1 if failures else 0)
