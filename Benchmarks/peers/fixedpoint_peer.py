#!/usr/bin/env python3
"""The Adam phase of wmsim's fixed-point search (docs/analysis.md §3) as a throughput peer
(workload P of `wmsim bench`): minimise q(x) = ½‖F(x)‖², F(x) = −x + W·tanh(x), from B starts
at once, float32, Adam (β1 0.9, β2 0.999, ε 1e-8), q of every start computed on the host every
--check iterations as in a real search.

  --impl numpy  NumPy float32 (BLAS sgemm for the two B×N×N products per iteration).
  --impl jax    JAX float32: each block of --check iterations is one jit-compiled lax.fori_loop; exit 3
                when JAX does not import.

W = g·J with J Bernoulli(pg)·N(0, 1/(pg·N)) (the untrained network of the workload), starts
N(0, 1). Only the minimisation is timed (after an untimed warm-up that also compiles JAX).
Output: one JSON object on stdout,
  {"peer": "numpy-fixedpoint", "impl": ..., "n": N, "starts": B, "iterations": I,
   "seconds": s, "start_iterations_per_s": B*I/s}

Usage: fixedpoint_peer.py [--impl numpy|jax] [--n 1000] [--starts 1000] [--iterations 200]
                          [--check 100] [--repeats 3] [--lr 0.01] [--seed 1]
"""
import argparse, json, sys, time
import numpy as np

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--impl", choices=["numpy", "jax"], default="numpy")
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--starts", type=int, default=1000)
ap.add_argument("--iterations", type=int, default=200)
ap.add_argument("--check", type=int, default=100)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--g", type=float, default=1.2)
ap.add_argument("--pg", type=float, default=0.7)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
if min(a.n, a.starts, a.iterations, a.check, a.repeats) < 1 or not (0 < a.pg <= 1):
    sys.exit("fixedpoint_peer.py: need n, starts, iterations, check, repeats ≥ 1 and 0 < pg ≤ 1")

rng = np.random.default_rng(a.seed)
n, b = a.n, a.starts
W = (a.g * (rng.random((n, n)) < a.pg) * rng.standard_normal((n, n)) / np.sqrt(a.pg * n)).astype(np.float32)
X0 = rng.standard_normal((b, n)).astype(np.float32)
B1, B2, EPS = 0.9, 0.999, 1e-8


def run_numpy(iterations):
    WT = np.ascontiguousarray(W.T)
    X = X0.copy()
    M = np.zeros_like(X)
    V = np.zeros_like(X)
    for it in range(iterations):
        R = np.tanh(X)
        F = R @ WT - X
        if it % a.check == 0:
            q = 0.5 * np.einsum("ij,ij->i", F, F, dtype=np.float64)
        G = (F @ W) * (1 - R * R) - F
        t = it + 1
        M = B1 * M + (1 - B1) * G
        V = B2 * V + (1 - B2) * G * G
        X = X - np.float32(a.lr / (1 - B1 ** t)) * M / (np.sqrt(V / np.float32(1 - B2 ** t)) + np.float32(EPS))
    return X, q


def make_jax():
    try:
        import jax
        import jax.numpy as jnp
    except Exception as e:  # optional peer
        sys.stderr.write(f"JAX does not import ({e}); install it with pip install 'jax[cpu]'\n")
        sys.exit(3)
    Wj = jnp.asarray(W)
    WTj = jnp.asarray(np.ascontiguousarray(W.T))

    def body(it, carry):
        X, M, V = carry
        R = jnp.tanh(X)
        F = R @ WTj - X
        G = (F @ Wj) * (1 - R * R) - F
        t = (it + 1).astype(jnp.float32)
        M = B1 * M + (1 - B1) * G
        V = B2 * V + (1 - B2) * G * G
        X = X - (a.lr / (1 - B1 ** t)) * M / (jnp.sqrt(V / (1 - B2 ** t)) + EPS)
        return X, M, V

    @jax.jit
    def block(start, end, carry):
        X = carry[0]
        F = jnp.tanh(X) @ WTj - X
        q = 0.5 * jnp.sum(F * F, axis=1)
        return jax.lax.fori_loop(start, end, body, carry), q

    def run(iterations):
        carry = (jnp.asarray(X0), jnp.zeros((b, n), jnp.float32), jnp.zeros((b, n), jnp.float32))
        q = None
        for start in range(0, iterations, a.check):
            carry, q = block(start, min(start + a.check, iterations), carry)
            q = np.asarray(q)  # to the host, as the search checks convergence there
        jax.block_until_ready(carry)
        return carry[0], q
    return run


run = run_numpy if a.impl == "numpy" else make_jax()
iterations = a.iterations
run(min(a.check, iterations))  # warm-up (and compilation)
times = []
for _ in range(a.repeats):
    t0 = time.perf_counter()
    X, q = run(iterations)
    times.append(time.perf_counter() - t0)
if not np.all(np.isfinite(np.asarray(X))):
    sys.exit("fixedpoint_peer.py: non-finite states")
seconds = sorted(times)[len(times) // 2]
print(json.dumps({"peer": f"{a.impl}-fixedpoint", "impl": a.impl, "n": n, "starts": b, "iterations": iterations,
                  "seconds": seconds, "start_iterations_per_s": b * iterations / seconds}))
