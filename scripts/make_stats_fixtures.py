#!/usr/bin/env python3
"""Write Tests/WMExperimentsTests/Fixtures/stats_fixtures.json: seeded inputs and the SciPy /
statsmodels outputs (plus 50-digit mpmath values for the special functions) that StatsTests.swift compares the Swift statistics module against.

usage: python3 scripts/make_stats_fixtures.py      (needs numpy, scipy, statsmodels, mpmath)

Deterministic: every dataset comes from numpy.random.default_rng with a fixed seed. The JSON is
committed so the Swift tests run without Python; re-run this only to change the fixtures.
"""
import json
import pathlib
import sys

import mpmath as mp
import numpy as np
import scipy
import scipy.special as sp
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/WMExperimentsTests/Fixtures/stats_fixtures.json"


def fl(a):
    return [float(v) for v in np.asarray(a, dtype=float).ravel()]


# ---------------------------------------------------------------- special functions
# Each point carries SciPy's value and an "exact" one from mpmath at 50 digits, because SciPy itself
# is off by more than the 1e-10 tolerance at a few points (e.g. stdtr(1, 1e-8) by 1.6e-9 relative,
# betaln(0.5, 5e4) by 7e-12, ndtr(-38) underflows to 0). The Swift tests check against the exact
# values and against SciPy wherever SciPy agrees with them.
mp.mp.dps = 50


def ibeta_exact(a, b, x):
    """(I_x(a, b), 1 − I_x(a, b)) from the positive-term series x^a y^b/(a B) 2F1(a+b, 1; a+1; x),
    on the side of the mean where it converges fast (independent of the Swift continued fraction)."""
    a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    y = 1 - x
    if x == 0:
        return mp.mpf(0), mp.mpf(1)
    if y == 0:
        return mp.mpf(1), mp.mpf(0)
    front = mp.exp(a * mp.log(x) + b * mp.log(y) - mp.log(mp.beta(a, b)))
    if x < (a + 1) / (a + b + 2):
        v = front / a * mp.hyp2f1(a + b, 1, a + 1, x, maxterms=10**7)
        return v, 1 - v
    w = front / b * mp.hyp2f1(a + b, 1, b + 1, y, maxterms=10**7)
    return 1 - w, w


def t_cdf_exact(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    lower, _ = ibeta_exact(df / 2, mp.mpf(0.5), df / (df + t * t))
    return lower / 2 if t < 0 else 1 - lower / 2


def t_pdf_exact(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    return mp.exp(mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2)) / mp.sqrt(df * mp.pi) * (1 + t * t / df) ** (-(df + 1) / 2)


def newton(f, fprime, start, target):
    x = mp.mpf(start)
    for _ in range(60):
        step = (f(x) - target) / fprime(x)
        x -= step
        if abs(step) <= abs(x) * mp.mpf(10) ** -40:
            break
    return x


def special_functions():
    # Cross-check the series against mpmath's own betainc where that converges.
    for a, b, x in [(2.5, 0.5, 0.3), (0.5, 0.5, 0.9), (10.0, 2.5, 0.7)]:
        assert abs(ibeta_exact(a, b, x)[0] - mp.betainc(a, b, 0, x, regularized=True)) < mp.mpf(10) ** -40
    beta = []
    shapes = [0.5, 1.0, 2.5, 10.0, 50.0, 300.0, 1e4]
    xs = [1e-10, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-10]
    for a in shapes:
        for b in shapes:
            for x in xs:
                lo, up = ibeta_exact(a, b, x)
                beta.append(dict(x=x, a=a, b=b, value=float(sp.betainc(a, b, x)), complement=float(sp.betaincc(a, b, x)),
                                 exactValue=float(lo), exactComplement=float(up)))
    ts = [-1e6, -50.0, -10.0, -3.0, -1.0, -0.1, 0.0, 1e-8, 0.5, 2.0, 5.0, 30.0, 200.0, 1e10]
    dfs = [1.0, 2.0, 2.5, 3.0, 7.3, 10.0, 30.0, 100.0, 1000.0, 1e5]
    t = []
    for d in dfs:
        for tv in ts:
            cdf = t_cdf_exact(tv, d)
            sf = 1 - cdf if tv < 0 else t_cdf_exact(-tv, d)
            t.append(dict(t=tv, df=d, cdf=float(st.t.cdf(tv, d)), sf=float(st.t.sf(tv, d)),
                          twoSided=float(2 * st.t.sf(abs(tv), d)), exactCdf=float(cdf), exactSf=float(sf),
                          exactTwoSided=float(2 * t_cdf_exact(-abs(tv), d))))
    ps = [1e-12, 1e-6, 0.025, 0.3, 0.5, 0.7, 0.975, 1 - 1e-10]
    tq = []
    for d in dfs:
        for p in ps:
            q = st.t.ppf(p, d)
            exact = 0.0 if p == 0.5 else newton(lambda v: t_cdf_exact(v, d), lambda v: t_pdf_exact(v, d), q, mp.mpf(p))
            tq.append(dict(p=p, df=d, quantile=float(q), exactQuantile=float(exact)))
    fs = [1e-6, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0, 1e4]
    dpairs = [(1, 1), (1, 10), (2, 5.5), (3, 60), (10, 200), (0.7, 3.2), (50, 50)]
    f = []
    for a, b in dpairs:
        for fv in fs:
            m, n = mp.mpf(a), mp.mpf(b)
            sf_e, cdf_e = ibeta_exact(n / 2, m / 2, n / (n + m * mp.mpf(fv)))
            f.append(dict(f=fv, dfn=float(a), dfd=float(b), sf=float(st.f.sf(fv, a, b)), cdf=float(st.f.cdf(fv, a, b)),
                          exactSf=float(sf_e), exactCdf=float(cdf_e)))
    nx = [-38.0, -20.0, -8.0, -3.0, -1.0, -1e-9, 0.0, 0.5, 2.0, 5.0, 8.0]
    ncdf = [dict(x=x, cdf=float(st.norm.cdf(x)), sf=float(st.norm.sf(x)),
                 exactCdf=float(mp.ncdf(x)), exactSf=float(mp.ncdf(-x))) for x in nx]
    nps = [1e-300, 1e-20, 1e-8, 1e-3, 0.02425, 0.1, 0.3, 0.5 - 1e-12, 0.5 + 1e-12, 0.7, 0.975, 1 - 1e-12]
    nq = [dict(p=p, quantile=float(st.norm.ppf(p)),
               exactQuantile=float(newton(mp.ncdf, mp.npdf, st.norm.ppf(p), mp.mpf(p)))) for p in nps]
    gx = [1e-8, 0.5, 1.0, 2.5, 10.0, 123.4, 1e5]
    lgam = [dict(x=x, value=float(sp.gammaln(x)), exactValue=float(mp.loggamma(x))) for x in gx]
    bab = [(0.5, 0.5), (1.0, 3.0), (2.5, 7.0), (0.5, 12.0), (3.0, 500.0), (15.0, 20.0), (1e4, 1e4), (0.5, 5e4)]
    lbeta = [dict(a=a, b=b, value=float(sp.betaln(a, b)), exactValue=float(mp.log(mp.beta(a, b)))) for a, b in bab]
    return dict(beta=beta, t=t, tQuantile=tq, f=f, normalCDF=ncdf, normalQuantile=nq, logGamma=lgam, logBeta=lbeta)


# ---------------------------------------------------------------- correlations
def correlations():
    cases = {}
    rng = np.random.default_rng(101)
    cases["n3"] = (np.array([1.0, 2.0, 4.0]), np.array([2.0, 1.5, 7.0]))
    cases["n5"] = (rng.normal(size=5), rng.normal(size=5))
    x = rng.normal(size=12)
    cases["n12"] = (x, 0.5 * x + rng.normal(size=12))
    xi = rng.integers(0, 8, size=60).astype(float)
    cases["n60_ties"] = (xi, np.round(0.4 * xi + rng.normal(size=60), 1))
    x = rng.normal(size=40)
    cases["correlated"] = (x, 0.8 * x + 0.6 * rng.normal(size=40))
    cases["uncorrelated"] = (rng.normal(size=40), rng.normal(size=40))
    x = np.arange(1.0, 11.0)
    cases["monotone"] = (x, x ** 3)
    cases["negative_offset"] = (1e6 + rng.normal(size=25), -3.0 * rng.normal(size=25) + 1e-3)
    out = []
    for name, (x, y) in cases.items():
        pr = st.pearsonr(x, y)
        sr = st.spearmanr(x, y)
        out.append(dict(name=name, x=fl(x), y=fl(y),
                        pearson=dict(estimate=float(pr.statistic), pValue=float(pr.pvalue)),
                        spearman=dict(estimate=float(sr.statistic), pValue=float(sr.pvalue)),
                        ranksX=fl(st.rankdata(x)), ranksY=fl(st.rankdata(y))))
    return out


# ---------------------------------------------------------------- OLS
def ols_result(y, cols, names, intercept):
    X = np.column_stack(cols)
    if intercept:
        X = np.column_stack([np.ones(len(y)), X])
    r = sm.OLS(y, X).fit()
    assert r.k_constant == (1 if intercept else 0)
    return dict(terms=(["Intercept"] if intercept else []) + names,
                coefficients=fl(r.params), standardErrors=fl(r.bse), tValues=fl(r.tvalues),
                pValues=fl(r.pvalues), rSquared=float(r.rsquared), adjustedRSquared=float(r.rsquared_adj),
                residualDF=int(round(r.df_resid)), modelDF=int(round(r.df_model)), fStatistic=float(r.fvalue),
                fPValue=float(r.f_pvalue), residualStandardError=float(np.sqrt(r.scale)))


def regressions():
    rng = np.random.default_rng(202)
    fits = []

    def add(name, y, cols, names, intercept=True):
        fits.append(dict(name=name, y=fl(y), columns=[fl(c) for c in cols], names=names, intercept=intercept,
                         expected=ols_result(y, cols, names, intercept)))

    x = rng.normal(size=12)
    add("simple_n12", 1.0 + 0.7 * x + rng.normal(scale=0.5, size=12), [x], ["g"])
    x1, x2 = rng.normal(size=5), rng.normal(size=5)
    add("small_n5", 2.0 + x1 - 0.5 * x2 + rng.normal(scale=0.3, size=5), [x1, x2], ["a", "b"])
    X = rng.normal(size=(60, 3))
    add("multi_n60", 0.2 + X @ [1.0, 0.0, -2.0] + rng.normal(size=60), list(X.T), ["g", "sparsity", "leak"])
    X = rng.normal(size=(20, 2))
    add("no_intercept_n20", X @ [0.5, -1.5] + rng.normal(size=20), list(X.T), ["u", "v"], intercept=False)
    # Large offsets and scales (sweep parameters like N = 1000…4000 next to leak = 0.1…0.9).
    n = rng.choice([1000.0, 2000.0, 4000.0], size=30)
    leak = rng.uniform(0.1, 0.9, size=30)
    add("scaled_n30", 5.0 + 0.002 * n + 3.0 * leak + rng.normal(size=30), [n, leak], ["N", "leak"])

    inter = []
    for name, coef_ab, seed in [("interaction_real", 1.5, 303), ("interaction_null", 0.0, 304)]:
        r2 = np.random.default_rng(seed)
        a = np.repeat(np.linspace(0.5, 1.5, 8), 8)          # a 8 × 8 sweep grid
        b = np.tile(np.linspace(0.1, 0.9, 8), 8)
        y = 1.0 + 2.0 * a - 1.0 * b + coef_ab * a * b + r2.normal(scale=0.3, size=a.size)
        for center in (True, False):
            ac, bc = (a - a.mean(), b - b.mean()) if center else (a, b)
            exp = ols_result(y, [ac, bc, ac * bc], ["g", "leak", "g:leak"], True)
            inter.append(dict(name=name, center=center, y=fl(y), a=fl(a), b=fl(b), names=["g", "leak"],
                              means=[float(a.mean()), float(b.mean())], expected=exp))
    # Bootstrap reference: n = 200 Gaussian data with the OLS slope and its standard error.
    rb = np.random.default_rng(505)
    x = rb.normal(size=200)
    y = 0.5 + 1.2 * x + rb.normal(size=200)
    rr = sm.OLS(y, sm.add_constant(x)).fit()
    boot = dict(x=fl(x), y=fl(y), slope=float(rr.params[1]), standardError=float(rr.bse[1]))
    return fits, inter, boot


# ---------------------------------------------------------------- multiple testing
def multiple():
    rng = np.random.default_rng(404)
    lists = {
        "uniform20": np.concatenate([rng.uniform(size=15), rng.uniform(0, 0.01, size=5)]),
        "ties": np.array([0.01, 0.02, 0.02, 0.02, 0.04, 0.5, 0.01, 1.0, 0.0]),
        "boundary": np.array([0.01, 0.04, 0.03, 0.005, 0.2]),
        "single": np.array([0.03]),
        "all_small": np.array([1e-10, 2e-8, 3e-6, 1e-4]),
        "large_m": rng.beta(0.4, 1.0, size=200),
    }
    out = []
    for name, p in lists.items():
        entry = dict(name=name, p=fl(p), methods={})
        for m in ("bonferroni", "holm", "fdr_bh"):
            res = {}
            for alpha in (0.05, 0.1):
                rej, adj, _, _ = multipletests(p, alpha=alpha, method=m)
                res["reject_%g" % alpha] = [bool(v) for v in rej]
                res["adjusted"] = fl(adj)
            entry["methods"][m] = res
        out.append(entry)
    return out


def main():
    fits, inter, boot = regressions()
    data = dict(
        generator="scripts/make_stats_fixtures.py",
        versions=dict(numpy=np.__version__, scipy=scipy.__version__, statsmodels=statsmodels.__version__, mpmath=mp.__version__,
                      python=sys.version.split()[0]),
        special=special_functions(), correlations=correlations(), ols=fits, interactions=inter,
        bootstrap=boot, multipleTesting=multiple())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, allow_nan=False, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
