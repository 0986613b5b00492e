#!/usr/bin/env python3
"""The memory-capacity measurement of `wmsim capacity` written the usual Python way, for
side-by-side timing (same statistics, not the same random draws).

Network: template rule r(t+1) = tanh(d r + (1-d)(J r + Jin u(t))), d = exp(-dt/tau),
J = Bernoulli(sp) * N(0,1) * g/sqrt(N sp) (dense float32, as NumPy users store it at sp = 0.25),
Jin = Bernoulli(spIn) * N(0,1) * gIn/sqrt(spIn); u i.i.d. uniform(-1, 1).
Readout: states stored; ridge for lags 1..K with one eigendecomposition of the centred train
Gram matrix, lambda per lag chosen on the validation segment from 13 values 1e-8..1e4 x trace/N;
test r and r^2. Optional MLP: scikit-learn MLPRegressor(64, 64) on a spread of lags.

usage: capacity_peer.py [--n 1000] [--networks 5] [--mlp] [--quick]
Prints one JSON line with timings and the memory capacity.
"""
import argparse, json, sys, time
import numpy as np

d = np.float32(np.exp(-0.1 / 20.0))   # float32: a float64 scalar would promote every step (NEP 50)
one_minus_d = np.float32(1) - d


def measure(n, g, sp, gin, spin, seed, washout, train, validation, test, K, mlp=False):
    """Capacity of one network: returns {simulate_s, ridge_s, mlp_s, mc_ridge, mc_mlp}."""
    total = washout + train + validation + test
    out = {"simulate_s": 0.0, "ridge_s": 0.0, "mlp_s": 0.0, "mc_ridge": None, "mc_mlp": None}
    rng = np.random.default_rng(seed)
    J = ((rng.random((n, n)) < sp) * rng.standard_normal((n, n)) * g / np.sqrt(n * sp)).astype(np.float32)
    Jin = ((rng.random(n) < spin) * rng.standard_normal(n) * gin / np.sqrt(spin)).astype(np.float32)
    u = rng.uniform(-1, 1, total).astype(np.float32)
    x = rng.uniform(0, 0.1, n).astype(np.float32)
    S = np.empty((total, n), np.float32)
    t0 = time.perf_counter()
    for t in range(total):
        x = np.tanh(d * x + one_minus_d * (J @ x + Jin * u[t]))
        S[t] = x                      # S[t] = x(t+1), which has seen u(0..t)
    out["simulate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    def segment(lo, hi):              # state times t+1 in (lo, hi]
        X = S[lo:hi].astype(np.float64)
        tt = np.arange(lo + 1, hi + 1)
        Y = np.stack([u[tt - k] for k in range(1, K + 1)], axis=1).astype(np.float64)
        return X, Y
    w0, w1, w2 = washout, washout + train, washout + train + validation
    Xtr, Ytr = segment(w0, w1); Xva, Yva = segment(w1, w2); Xte, Yte = segment(w2, total)
    mx, my = Xtr.mean(0), Ytr.mean(0)
    G = (Xtr - mx).T @ (Xtr - mx); C = (Xtr - mx).T @ (Ytr - my)
    e, V = np.linalg.eigh(G)
    P = V.T @ C
    scale = np.trace(G) / n
    best_r = np.full(K, -np.inf); best_W = np.zeros((n, K))
    for lam in 10.0 ** np.arange(-8, 5):
        W = V @ (P / (np.maximum(e, 0) + lam * scale)[:, None])
        pred = (Xva - mx) @ W + my
        r = np.array([np.corrcoef(pred[:, k], Yva[:, k])[0, 1] for k in range(K)])
        better = r > best_r
        best_r[better] = r[better]; best_W[:, better] = W[:, better]
    pred = (Xte - mx) @ best_W + my
    r = np.array([np.corrcoef(pred[:, k], Yte[:, k])[0, 1] for k in range(K)])
    out["mc_ridge"] = float(np.sum(r ** 2))
    out["ridge_s"] = time.perf_counter() - t0

    if mlp:
        from sklearn.neural_network import MLPRegressor
        lags = [k for k in [1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 70, 100] if k <= K]
        t0 = time.perf_counter()
        m = MLPRegressor(hidden_layer_sizes=(64, 64), activation="tanh", learning_rate_init=1e-3, batch_size=64, max_iter=100,
                         early_stopping=True, n_iter_no_change=8, random_state=seed)
        m.fit(np.vstack([Xtr, Xva]), np.vstack([Ytr, Yva])[:, [k - 1 for k in lags]])
        pt = m.predict(Xte)
        rr = [np.corrcoef(pt[:, i], Yte[:, k - 1])[0, 1] for i, k in enumerate(lags)]
        out["mc_mlp"] = float(np.sum(np.square(rr)))
        out["mlp_s"] = time.perf_counter() - t0
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--g", type=float, default=0.95)
    p.add_argument("--sp", type=float, default=0.25)
    p.add_argument("--gin", type=float, default=10.0)
    p.add_argument("--spin", type=float, default=0.05)
    p.add_argument("--networks", type=int, default=5)
    p.add_argument("--washout", type=int, default=1000)
    p.add_argument("--train", type=int, default=4000)
    p.add_argument("--validation", type=int, default=1000)
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--max-lag", type=int, default=100)
    p.add_argument("--mlp", action="store_true")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    if a.quick:
        a.networks, a.train, a.test = 1, 1000, 500

    if a.mlp:
        try:
            import sklearn  # noqa: F401
        except ImportError:
            print("scikit-learn not installed: MLP skipped", file=sys.stderr); a.mlp = False
    res = [measure(a.n, a.g, a.sp, a.gin, a.spin, 1000 + net, a.washout, a.train, a.validation, a.test, a.max_lag, a.mlp)
           for net in range(a.networks)]
    out = {"peer": "numpy", "networks": a.networks, "n": a.n, "steps": a.washout + a.train + a.validation + a.test, "max_lag": a.max_lag,
           "simulate_s": sum(r["simulate_s"] for r in res), "ridge_s": sum(r["ridge_s"] for r in res),
           "mlp_s": sum(r["mlp_s"] for r in res) if a.mlp else None,
           "mc_ridge_mean": float(np.mean([r["mc_ridge"] for r in res])),
           "mc_mlp_mean": float(np.mean([r["mc_mlp"] for r in res])) if a.mlp else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
