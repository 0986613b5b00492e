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

d = np.float32(np.exp(-0.1 / 20.0))   # float32: a float64 scalar would promote every step (NEP 50)
one_minus_d = np.float32(1) - d
total = a.washout + a.train + a.validation + a.test
K = a.max_lag
t_sim = t_ridge = t_mlp = 0.0
mcs, mlp_mcs = [], []
for net in range(a.networks):
    rng = np.random.default_rng(1000 + net)
    J = ((rng.random((a.n, a.n)) < a.sp) * rng.standard_normal((a.n, a.n)) * a.g / np.sqrt(a.n * a.sp)).astype(np.float32)
    Jin = ((rng.random(a.n) < a.spin) * rng.standard_normal(a.n) * a.gin / np.sqrt(a.spin)).astype(np.float32)
    u = rng.uniform(-1, 1, total).astype(np.float32)
    x = rng.uniform(0, 0.1, a.n).astype(np.float32)
    S = np.empty((total, a.n), np.float32)
    t0 = time.perf_counter()
    for t in range(total):
        x = np.tanh(d * x + one_minus_d * (J @ x + Jin * u[t]))
        S[t] = x                      # S[t] = x(t+1), which has seen u(0..t)
    t_sim += time.perf_counter() - t0

    t0 = time.perf_counter()
    def segment(lo, hi):              # state times t+1 in (lo, hi]
        X = S[lo:hi].astype(np.float64)
        tt = np.arange(lo + 1, hi + 1)
        Y = np.stack([u[tt - k] for k in range(1, K + 1)], axis=1).astype(np.float64)
        return X, Y
    w0, w1, w2 = a.washout, a.washout + a.train, a.washout + a.train + a.validation
    Xtr, Ytr = segment(w0, w1); Xva, Yva = segment(w1, w2); Xte, Yte = segment(w2, total)
    mx, my = Xtr.mean(0), Ytr.mean(0)
    G = (Xtr - mx).T @ (Xtr - mx); C = (Xtr - mx).T @ (Ytr - my)
    e, V = np.linalg.eigh(G)
    P = V.T @ C
    scale = np.trace(G) / a.n
    best_r = np.full(K, -np.inf); best_W = np.zeros((a.n, K))
    for lam in 10.0 ** np.arange(-8, 5):
        W = V @ (P / (np.maximum(e, 0) + lam * scale)[:, None])
        pred = (Xva - mx) @ W + my
        r = np.array([np.corrcoef(pred[:, k], Yva[:, k])[0, 1] for k in range(K)])
        better = r > best_r
        best_r[better] = r[better]; best_W[:, better] = W[:, better]
    pred = (Xte - mx) @ best_W + my
    r = np.array([np.corrcoef(pred[:, k], Yte[:, k])[0, 1] for k in range(K)])
    mcs.append(float(np.sum(r ** 2)))
    t_ridge += time.perf_counter() - t0

    if a.mlp:
        try:
            from sklearn.neural_network import MLPRegressor
        except ImportError:
            print("scikit-learn not installed: MLP skipped", file=sys.stderr); a.mlp = False
        else:
            lags = [k for k in [1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 70, 100] if k <= K]
            t0 = time.perf_counter()
            m = MLPRegressor(hidden_layer_sizes=(64, 64), activation="tanh", learning_rate_init=1e-3, batch_size=64, max_iter=100,
                             early_stopping=True, n_iter_no_change=8, random_state=net)
            m.fit(np.vstack([Xtr, Xva]), np.vstack([Ytr, Yva])[:, [k - 1 for k in lags]])
            pt = m.predict(Xte)
            rr = [np.corrcoef(pt[:, i], Yte[:, k - 1])[0, 1] for i, k in enumerate(lags)]
            mlp_mcs.append(float(np.sum(np.square(rr))))
            t_mlp += time.perf_counter() - t0

out = {"peer": "numpy", "networks": a.networks, "n": a.n, "steps": total, "max_lag": K,
       "simulate_s": t_sim, "ridge_s": t_ridge, "mlp_s": t_mlp if a.mlp else None,
       "mc_ridge_mean": float(np.mean(mcs)), "mc_mlp_mean": float(np.mean(mlp_mcs)) if mlp_mcs else None}
print(json.dumps(out))
