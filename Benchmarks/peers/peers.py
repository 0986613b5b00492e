#!/usr/bin/env python3
"""Peer throughput figures for wmsim's standard workloads (shared/benchmarks/README.md).

Runs workloads A, B, C (batch 1 and 64), D (N = 10^6, 100 synapses per neuron; on request) and E (batch 1, a loop over 500 networks) with the
same network statistics as wmsim: W = Bernoulli(sp) * N(0,1) * g/sqrt(N*sp), leaky rule with
a = 1 (x <- tanh(W x + win * u[t])), no bias, one input channel with gIn = 10 and spIn = 0.05
(win = Bernoulli(spIn) * N(0,1) * gIn/sqrt(spIn)), input i.i.d. uniform(-1, 1), float32,
states not stored. Only the stepping loop is timed (preallocated arrays); each measurement is
one warm-up run then the median of --repeats runs.

Peers: scipy-csr (always), numpy-dense (when N <= --dense-max-n), jax-dense and jax-bcsr
(when JAX imports), reservoirpy (batch 1 only, when ReservoirPy imports). Missing optional
packages are skipped with a note on stderr. Output: one JSON object per line on stdout:

  {"peer": "scipy-csr", "workload": "A", "batch": 1, "seconds": ..., "nnz": ..., "steps": ...,
   "synaptic_updates_per_s": ...}

plus "steps_per_s", "n", "sp" and "repeats". synaptic_updates_per_s = nnz * steps * batch / s,
with nnz the stored synapses (also for dense peers: nnz, not N^2).

Usage: peers.py [--workloads A,B,C,D,E] [--batches 1,64] [--quick] [--repeats 3]
                [--peers scipy-csr,numpy-dense,...] [--dense-max-n 4096] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings

try:
    import numpy as np
    import scipy
    import scipy.sparse as sp_sparse
except ImportError as e:  # numpy and scipy are required
    sys.stderr.write(f"peers.py needs numpy and scipy: {e}\n")
    sys.exit(2)

# In-place CSR products (what "SciPy CSR, preallocated" means); private module, so optional.
try:
    from scipy.sparse import _sparsetools as _st  # type: ignore[attr-defined]
    _HAVE_SPARSETOOLS = hasattr(_st, "csr_matvec") and hasattr(_st, "csr_matvecs")
except Exception:  # pragma: no cover
    _st = None
    _HAVE_SPARSETOOLS = False


def note(msg: str) -> None:
    sys.stderr.write(f"[peers] {msg}\n")
    sys.stderr.flush()


# Optional peers, detected at import.
jax = None
jnp = None
jsparse = None
try:
    import jax as _jax  # type: ignore
    import jax.numpy as _jnp  # type: ignore
    jax, jnp = _jax, _jnp
    try:
        from jax.experimental import sparse as _jsparse  # type: ignore
        jsparse = _jsparse
    except Exception as e:  # pragma: no cover
        note(f"jax.experimental.sparse unavailable ({e}); jax-bcsr skipped")
except Exception as e:
    note(f"JAX not available ({type(e).__name__}: {e}); jax-dense and jax-bcsr skipped")

reservoirpy = None
try:
    import reservoirpy as _rpy  # type: ignore
    reservoirpy = _rpy
except Exception as e:
    note(f"ReservoirPy not available ({type(e).__name__}: {e}); reservoirpy skipped")


# ---------------------------------------------------------------------------------------------
# Workloads

WORKLOADS = {
    #       N        sp     steps
    "A": (1_000, 0.25, 10_000),
    "B": (10_000, 0.01, 2_000),
    "C": (100_000, 0.001, 200),
    "D": (1_000_000, 0.0001, 20),
}
E_COUNT, E_STEPS = 500, 2_000
G, GIN, SPIN = 0.95, 10.0, 0.05


def make_recurrent(n: int, sp: float, g: float, rng: np.random.Generator) -> sp_sparse.csr_matrix:
    """Bernoulli(sp) * N(0,1) * g/sqrt(n*sp), CSR float32 with sorted column indices."""
    scale = g / math.sqrt(n * sp)
    if n * n <= 50_000_000:
        # Exact Bernoulli mask, built in row blocks to bound memory.
        indptr = [np.zeros(1, dtype=np.int64)]
        indices, data = [], []
        total = 0
        block = max(1, 4_000_000 // n)
        for r0 in range(0, n, block):
            r1 = min(n, r0 + block)
            mask = rng.random((r1 - r0, n)) < sp
            rows, cols = np.nonzero(mask)
            counts = np.bincount(rows, minlength=r1 - r0)
            indptr.append(total + np.cumsum(counts))
            total += int(counts.sum())
            indices.append(cols.astype(np.int32))
            data.append((rng.standard_normal(cols.size) * scale).astype(np.float32))
        return sp_sparse.csr_matrix(
            (np.concatenate(data), np.concatenate(indices), np.concatenate(indptr)), shape=(n, n))
    # Large and sparse: Binomial(n, sp) entries per row at uniform columns; the rare duplicate
    # columns within a row are dropped (nnz reported is the real count).
    counts = rng.binomial(n, sp, size=n)
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    cols = rng.integers(0, n, size=rows.size, dtype=np.int64)
    key = np.unique(rows * n + cols)
    rows, cols = key // n, key % n
    vals = (rng.standard_normal(key.size) * scale).astype(np.float32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp_sparse.csr_matrix((vals, cols.astype(np.int32), indptr), shape=(n, n))


def make_input_weights(n: int, gin: float, rng: np.random.Generator) -> np.ndarray:
    """One channel: Bernoulli(spIn) * N(0,1) * gIn/sqrt(1*spIn), float32 (n,)."""
    mask = rng.random(n) < SPIN
    return (mask * rng.standard_normal(n) * (gin / math.sqrt(SPIN))).astype(np.float32)


class Net:
    def __init__(self, n: int, sp: float, g: float, gin: float, rng: np.random.Generator):
        self.n, self.sp = n, sp
        self.W = make_recurrent(n, sp, g, rng)
        self.W.sort_indices()
        self.win = make_input_weights(n, gin, rng)
        self.nnz = int(self.W.nnz)


def make_inputs(steps: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    """u[t, b] uniform(-1, 1), float32."""
    return rng.uniform(-1.0, 1.0, size=(steps, batch)).astype(np.float32)


def initial_state(n: int, batch: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.uniform(0.0, 0.1, size=(n, batch)).astype(np.float32)
    return x[:, 0].copy() if batch == 1 else x


# ---------------------------------------------------------------------------------------------
# Runners: each returns a callable run() that advances all steps once (state reset outside).

def runner_scipy_csr(net: Net, u: np.ndarray, x0: np.ndarray):
    W, win = net.W, net.win
    n = net.n
    steps, batch = u.shape
    x = x0.copy()
    y = np.empty_like(x)
    if batch == 1:
        uu = np.ascontiguousarray(u[:, 0])
        if _HAVE_SPARSETOOLS:
            indptr, indices, data = W.indptr, W.indices, W.data

            def run():
                xx, yy = x, y
                for t in range(steps):
                    np.multiply(win, uu[t], out=yy)        # y = win * u[t]
                    _st.csr_matvec(n, n, indptr, indices, data, xx, yy)  # y += W x
                    np.tanh(yy, out=xx)
                return xx
        else:
            def run():
                xx = x
                for t in range(steps):
                    xx = np.tanh(W @ xx + win * uu[t])
                return xx
    else:
        winc = win[:, None]
        if _HAVE_SPARSETOOLS:
            indptr, indices, data = W.indptr, W.indices, W.data

            def run():
                xx, yy = x, y
                for t in range(steps):
                    np.multiply(winc, u[t][None, :], out=yy)
                    _st.csr_matvecs(n, n, batch, indptr, indices, data, xx.ravel(), yy.ravel())
                    np.tanh(yy, out=xx)
                return xx
        else:
            def run():
                xx = x
                for t in range(steps):
                    xx = np.tanh(W @ xx + winc * u[t][None, :])
                return xx
    return run


def runner_numpy_dense(net: Net, u: np.ndarray, x0: np.ndarray):
    Wd = np.ascontiguousarray(net.W.toarray(), dtype=np.float32)
    win = net.win
    steps, batch = u.shape
    x = x0.copy()
    y = np.empty_like(x)
    tmp = np.empty_like(x)
    if batch == 1:
        uu = np.ascontiguousarray(u[:, 0])

        def run():
            for t in range(steps):
                np.matmul(Wd, x, out=y)
                np.multiply(win, uu[t], out=tmp)
                np.add(y, tmp, out=y)
                np.tanh(y, out=x)
            return x
    else:
        winc = win[:, None]

        def run():
            for t in range(steps):
                np.matmul(Wd, x, out=y)
                np.multiply(winc, u[t][None, :], out=tmp)
                np.add(y, tmp, out=y)
                np.tanh(y, out=x)
            return x
    return run


def _jax_scan_runner(matmul, win, u: np.ndarray, x0: np.ndarray):
    steps, batch = u.shape
    wj = jnp.asarray(win) if batch == 1 else jnp.asarray(win)[:, None]
    uj = jnp.asarray(u[:, 0]) if batch == 1 else jnp.asarray(u)[:, None, :]
    xj = jnp.asarray(x0)

    def body(x, ut):
        return jnp.tanh(matmul(x) + wj * ut), None

    @jax.jit
    def advance(x, us):
        x, _ = jax.lax.scan(body, x, us)
        return x

    def run():
        return advance(xj, uj).block_until_ready()
    return run


def runner_jax_dense(net: Net, u: np.ndarray, x0: np.ndarray):
    Wj = jnp.asarray(net.W.toarray(), dtype=jnp.float32)
    return _jax_scan_runner(lambda x: Wj @ x, net.win, u, x0)


def runner_jax_bcsr(net: Net, u: np.ndarray, x0: np.ndarray):
    Wb = jsparse.BCSR.from_scipy_sparse(net.W)
    return _jax_scan_runner(lambda x: Wb @ x, net.win, u, x0)


def runner_reservoirpy(net: Net, u: np.ndarray, x0: np.ndarray):
    """ReservoirPy's Reservoir node with our W and Win (leak 1, tanh, no bias), run on u."""
    from reservoirpy.nodes import Reservoir  # type: ignore
    n = net.n
    Win = net.win.reshape(n, 1)
    W = net.W.astype(np.float32)
    attempts = [
        # ReservoirPy 0.4: no input_bias; the bias is a vector, the input size given.
        dict(units=n, W=W, Win=Win, bias=np.zeros(n, dtype=np.float32), lr=1.0, activation="tanh",
             input_dim=1, dtype=np.float32),
        # ReservoirPy 0.3.
        dict(W=W, Win=Win, bias=np.zeros((n, 1), dtype=np.float32), lr=1.0, activation="tanh",
             input_bias=False, dtype=np.float32),
        dict(W=W, Win=Win, bias=np.zeros((n, 1), dtype=np.float32), lr=1.0, activation="tanh",
             input_bias=False),
        dict(W=W, Win=Win, lr=1.0, input_bias=False),
    ]
    res, last = None, None
    for kw in attempts:
        try:
            res = Reservoir(**kw)
            break
        except TypeError as e:
            last = e
    if res is None:
        raise RuntimeError(f"cannot build a Reservoir node: {last}")
    U = np.ascontiguousarray(u[:, :1])

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return res.run(U, reset=True)
            except TypeError:
                return res.run(U)
    return run


PEERS = ["scipy-csr", "numpy-dense", "jax-dense", "jax-bcsr", "reservoirpy"]
RUNNERS = {
    "scipy-csr": runner_scipy_csr,
    "numpy-dense": runner_numpy_dense,
    "jax-dense": runner_jax_dense,
    "jax-bcsr": runner_jax_bcsr,
    "reservoirpy": runner_reservoirpy,
}


def peer_available(peer: str, n: int, batch: int, dense_max_n: int) -> str | None:
    """None if the peer can run, else the reason it is skipped."""
    if peer in ("jax-dense", "jax-bcsr") and jax is None:
        return "JAX not installed"
    if peer == "jax-bcsr" and jsparse is None:
        return "jax.experimental.sparse unavailable"
    if peer == "reservoirpy":
        if reservoirpy is None:
            return "ReservoirPy not installed"
        if batch != 1:
            return "ReservoirPy runs one trial at a time (batch 1 only)"
    if peer in ("numpy-dense", "jax-dense") and n > dense_max_n:
        return f"N = {n} > --dense-max-n {dense_max_n} (dense would need {n * n * 4 / 2**30:.1f} GiB)"
    return None


def time_runner(run, repeats: int) -> list[float]:
    run()  # warm-up (and JIT compile)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        out.append(time.perf_counter() - t0)
    return out


def median(v: list[float]) -> float:
    s = sorted(v)
    h = len(s) // 2
    return s[h] if len(s) % 2 else 0.5 * (s[h - 1] + s[h])


def emit(peer: str, workload: str, batch: int, seconds: float, nnz: int, steps: int,
         repeats: int, n: int | None, sp: float | None, extra: dict | None = None) -> None:
    rec = {
        "peer": peer, "workload": workload, "batch": batch, "seconds": seconds, "nnz": nnz,
        "steps": steps, "synaptic_updates_per_s": nnz * steps * batch / seconds if seconds > 0 else None,
        "steps_per_s": steps / seconds if seconds > 0 else None, "n": n, "sp": sp, "repeats": repeats,
    }
    if extra:
        rec.update(extra)
    rec["version"] = peer_version(peer)
    print(json.dumps(rec), flush=True)


def peer_version(peer: str) -> str:
    """The library versions a peer's figure was measured with (recorded beside it)."""
    v = f"numpy {np.__version__}"
    if peer.startswith("scipy"):
        v = f"scipy {scipy.__version__}, " + v
    elif peer.startswith("jax") and jax is not None:
        v = f"jax {jax.__version__}, " + v
    elif peer == "reservoirpy" and reservoirpy is not None:
        v = f"reservoirpy {getattr(reservoirpy, '__version__', '?')}, " + v
    return v


def run_single(wid: str, batch: int, peers: list[str], args, rng_seed: int) -> None:
    n, sp, steps = WORKLOADS[wid]
    if args.quick:
        steps = max(1, steps // 10)
    rng = np.random.default_rng(rng_seed)
    t0 = time.perf_counter()
    net = Net(n, sp, G, GIN, rng)
    u = make_inputs(steps, batch, rng)
    x0 = initial_state(n, batch, rng)
    note(f"{wid} b{batch}: N = {n}, nnz = {net.nnz}, {steps} steps (generated in {time.perf_counter() - t0:.2f} s)")
    for peer in peers:
        why = peer_available(peer, n, batch, args.dense_max_n)
        if why:
            note(f"{wid} b{batch} {peer}: skipped ({why})")
            continue
        try:
            run = RUNNERS[peer](net, u, x0)
            times = time_runner(run, args.repeats)
        except Exception as e:  # a peer failing must not stop the others
            note(f"{wid} b{batch} {peer}: failed ({type(e).__name__}: {e})")
            continue
        emit(peer, wid, batch, median(times), net.nnz, steps, args.repeats, n, sp,
             {"all_seconds": times})


def run_e(batch: int, peers: list[str], args, rng_seed: int) -> None:
    """E: 500 networks run one after the other; a repeat's time is the sum over networks."""
    steps = E_STEPS // 10 if args.quick else E_STEPS
    count = args.e_networks
    rng = np.random.default_rng(rng_seed)
    specs = []
    for _ in range(count):
        n = int(rng.integers(100, 2001))
        specs.append((n, float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.5, 1.5)), float(rng.uniform(0.1, 10.0))))
    for peer in peers:
        if peer not in ("scipy-csr", "numpy-dense", "jax-bcsr", "jax-dense", "reservoirpy"):
            continue
        why = peer_available(peer, 2000, batch, args.dense_max_n)
        if why:
            note(f"E b{batch} {peer}: skipped ({why})")
            continue
        per_repeat = [0.0] * args.repeats
        nnz_total = 0
        try:
            net_rng = np.random.default_rng(rng_seed + 1)
            t_gen = time.perf_counter()
            for (n, sp, g, gin) in specs:
                net = Net(n, sp, g, gin, net_rng)
                u = make_inputs(steps, batch, net_rng)
                x0 = initial_state(n, batch, net_rng)
                run = RUNNERS[peer](net, u, x0)
                times = time_runner(run, args.repeats)
                for i, t in enumerate(times):
                    per_repeat[i] += t
                nnz_total += net.nnz
            note(f"E b{batch} {peer}: {count} networks, nnz = {nnz_total}, {time.perf_counter() - t_gen:.1f} s in all")
        except Exception as e:
            note(f"E b{batch} {peer}: failed ({type(e).__name__}: {e})")
            continue
        emit(peer, "E", batch, median(per_repeat), nnz_total, steps, args.repeats, None, None,
             {"networks": count, "all_seconds": per_repeat})


def parse_list(s: str) -> list[str]:
    return [p.strip() for p in s.split(",") if p.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default="A,B,C", help="comma-separated subset of A,B,C,D,E (default A,B,C)")
    ap.add_argument("--batches", default="1,64", help="comma-separated batch sizes for A, B, C (default 1,64); E always runs batch 1")
    ap.add_argument("--quick", action="store_true", help="10x fewer steps")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats after one warm-up (default 3)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated peers to try (default all)")
    ap.add_argument("--dense-max-n", type=int, default=4096, help="largest N for dense peers (default 4096)")
    ap.add_argument("--e-networks", type=int, default=E_COUNT, help="networks in workload E (default 500)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    workloads = [w.upper() for w in parse_list(args.workloads)]
    for w in workloads:
        if w not in WORKLOADS and w != "E":
            ap.error(f"unknown workload {w!r} (expected A, B, C, D or E)")
    try:
        batches = [int(b) for b in parse_list(args.batches)]
    except ValueError:
        ap.error("--batches takes integers, e.g. 1,64")
    if any(b < 1 for b in batches) or args.repeats < 1:
        ap.error("batches and --repeats must be >= 1")
    peers = parse_list(args.peers)
    for p in peers:
        if p not in RUNNERS:
            ap.error(f"unknown peer {p!r} (expected one of {', '.join(PEERS)})")

    threads = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS") or "default"
    note(f"numpy {np.__version__}, scipy {scipy.__version__}"
         + (f", jax {jax.__version__}" if jax is not None else "")
         + (f", reservoirpy {getattr(reservoirpy, '__version__', '?')}" if reservoirpy is not None else "")
         + f"; BLAS threads {threads}; in-place CSR kernels {'yes' if _HAVE_SPARSETOOLS else 'no'}")

    for i, w in enumerate(workloads):
        if w == "E":
            run_e(1, peers, args, args.seed + 1000 * i)
            continue
        for b in batches:
            run_single(w, b, peers, args, args.seed + 1000 * i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
