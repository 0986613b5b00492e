#!/usr/bin/env python3
"""Straightforward FORCE loops of the algorithm `wmsim train` runs (docs/training.md), as
throughput peers: the same model, task timeline, masks and rank-1 updates, float64, no state
history kept.

  --impl numpy  NumPy, BLAS matrix-vector products and np.outer updates; --networks M trains
                M networks one after the other (a NumPy user's batch).
  --impl jax    JAX with float64 (jax_enable_x64): one trial is a jit-compiled lax.scan over
                its steps, the P updates under lax.cond on the shared learning flags, and
                --networks M are vmapped (one program advances all M). Exit 3 when JAX does
                not import.

Only the training loop is timed (after one untimed warm-up trial, which also compiles JAX).
Output: one JSON object on stdout,
  {"peer": "numpy-force", "impl": ..., "n": N, "networks": M, "trials": T, "steps": S,
   "seconds": s, "network_steps_per_s": M*S/s}

Usage: force_peer.py [--impl numpy|jax] [--n 1000] [--networks 1] [--trials 60] [--pg 0.7]
                     [--g 1.2] [--fb 10] [--seed 1]
"""
import argparse, json, sys, time
import numpy as np

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--impl", choices=["numpy", "jax"], default="numpy")
ap.add_argument("--n", type=int, default=1000)
ap.add_argument("--networks", type=int, default=1)
ap.add_argument("--trials", type=int, default=60)
ap.add_argument("--pg", type=float, default=0.7)
ap.add_argument("--g", type=float, default=1.2)
ap.add_argument("--fb", type=float, default=10.0)
ap.add_argument("--seed", type=int, default=1)
a = ap.parse_args()
if a.n < 1 or a.trials < 1 or a.networks < 1 or not (0 < a.pg <= 1) or a.fb <= 0:
    sys.exit("force_peer.py: need n ≥ 1, networks ≥ 1, trials ≥ 1, 0 < pg ≤ 1, fb > 0")

rng = np.random.default_rng(a.seed)
n, m, dt = a.n, a.networks, 0.1


def network():
    J = (rng.random((n, n)) < a.pg) * rng.standard_normal((n, n)) / np.sqrt(a.pg * n)
    return dict(gJ=a.g * J, wi=rng.standard_normal((n, 2)) / 50, wf=rng.standard_normal(n) / a.fb,
                wfd=rng.standard_normal((n, 2)) / a.fb, x=0.1 * rng.standard_normal(n))


nets = [network() for _ in range(m)]

# Reference timeline: stimulus 100, delay 50, stimulus 100, delay 50, response 50.
periods = [100, 50, 100, 50, 50]
S = sum(periods)
phase = np.repeat(np.arange(5), periods)
means = np.array([[1.0, -0.5], [0.5, 1.0]])
trials = a.trials + 1  # the first is the warm-up
types = rng.integers(0, 2, size=(trials, 2))
u = np.zeros((trials, S, 2))
target = np.zeros((trials, S))
dummy = np.zeros((trials, S, 2))
for k, (c1, c2) in enumerate(types):
    u[k, phase == 0] = means[c1] + 0.2 * rng.standard_normal(((phase == 0).sum(), 2))
    u[k, phase == 2] = means[c2] + 0.2 * rng.standard_normal(((phase == 2).sum(), 2))
    dummy[k, phase == 1], dummy[k, phase == 3] = means[c1], means[c2]
    target[k, phase == 4] = [1.0, 0.5, 1.5][c1 + c2]
dummy_mask, out_mask = (phase == 1) | (phase == 3), phase == 4
# Learn on every 2nd global step from step 2 on; S is even, so the pattern repeats per trial.
even = (np.arange(S) % 2 == 0)
learn_d = [dummy_mask & even & (np.arange(S) + k * S >= 2) for k in range(trials)]
learn_o = [out_mask & even & (np.arange(S) + k * S >= 2) for k in range(trials)]


def run_numpy():
    seconds = 0.0
    for net in nets:
        gJ, wi, wf, wfd, x = net["gJ"], net["wi"], net["wf"], net["wfd"], net["x"].copy()
        wo, wd = np.zeros(n), np.zeros((n, 2))
        Pw, Pd = np.eye(n), np.eye(n)
        r = np.tanh(x)
        z, zd = wo @ r, wd.T @ r
        for k in range(trials):
            if k == 1:
                t0 = time.perf_counter()
            for s in range(S):
                x = x + dt * (-x + gJ @ r + wf * z + wfd @ zd + wi @ u[k, s])
                r = np.tanh(x)
                z, zd = wo @ r, wd.T @ r
                if learn_d[k][s]:
                    k_ = Pd @ r
                    c = 1.0 / (1.0 + r @ k_)
                    Pd -= c * np.outer(k_, k_)
                    wd -= c * np.outer(k_, zd - dummy[k, s])
                if learn_o[k][s]:
                    k_ = Pw @ r
                    c = 1.0 / (1.0 + r @ k_)
                    Pw -= c * np.outer(k_, k_)
                    wo -= c * (z - target[k, s]) * k_
        seconds += time.perf_counter() - t0
    return seconds


def run_jax():
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
    except Exception as e:  # optional peer
        sys.stderr.write(f"JAX does not import ({e}); install it with pip install 'jax[cpu]'\n")
        sys.exit(3)

    def rls(P, w, r, e):
        k_ = P @ r
        c = 1.0 / (1.0 + r @ k_)
        return P - c * jnp.outer(k_, k_), w - c * jnp.outer(k_, e).reshape(w.shape)

    def step(carry, xs):
        gJ, wi, wf, wfd, x, r, z, zd, wo, wd, Pw, Pd = carry
        us, tgt, dm, ld, lo = xs
        x = x + dt * (-x + gJ @ r + wf * z + wfd @ zd + wi @ us)
        r = jnp.tanh(x)
        z, zd = wo @ r, wd.T @ r
        Pd, wd = jax.lax.cond(ld, lambda: rls(Pd, wd, r, zd - dm), lambda: (Pd, wd))
        Pw, wo = jax.lax.cond(lo, lambda: rls(Pw, wo, r, jnp.atleast_1d(z - tgt)), lambda: (Pw, wo))
        return (gJ, wi, wf, wfd, x, r, z, zd, wo, wd, Pw, Pd), None

    def trial(carry, xs):
        return jax.lax.scan(step, carry, xs)[0]

    run = jax.jit(jax.vmap(trial, in_axes=(0, None)))
    stack = lambda key: jnp.stack([jnp.asarray(net[key]) for net in nets])
    x0 = stack("x")
    r0 = jnp.tanh(x0)
    carry = (stack("gJ"), stack("wi"), stack("wf"), stack("wfd"), x0, r0, jnp.zeros(m), jnp.zeros((m, 2)),
             jnp.zeros((m, n)), jnp.zeros((m, n, 2)), jnp.tile(jnp.eye(n), (m, 1, 1)), jnp.tile(jnp.eye(n), (m, 1, 1)))
    xs = [(jnp.asarray(u[k]), jnp.asarray(target[k]), jnp.asarray(dummy[k]), jnp.asarray(learn_d[k]), jnp.asarray(learn_o[k]))
          for k in range(trials)]
    carry = run(carry, xs[0])
    jax.block_until_ready(carry)
    t0 = time.perf_counter()
    for k in range(1, trials):
        carry = run(carry, xs[k])
    jax.block_until_ready(carry)
    return time.perf_counter() - t0


seconds = run_numpy() if a.impl == "numpy" else run_jax()
steps = a.trials * S
print(json.dumps({"peer": f"{a.impl}-force", "impl": a.impl, "n": n, "networks": m, "trials": a.trials, "steps": steps,
                  "seconds": seconds, "network_steps_per_s": m * steps / seconds}))
