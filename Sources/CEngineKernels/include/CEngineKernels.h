#ifndef WMSIM_ENGINE_KERNELS_H
#define WMSIM_ENGINE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Instruction set the CPU engine's sparse kernels run with: 0 none (every entry point returns 0
/// and the caller runs its portable Swift loops), 1 AVX2 + FMA, 2 AVX-512F. The CPU's best,
/// lowered by `wm_engine_kernels_cap`.
int wm_engine_kernels_level(void);

/// Caps the level (0 forces the caller's portable path, 1 AVX2 on an AVX-512 machine); a cap
/// above what the CPU has gives the CPU's best. Returns the resulting level. For tests and
/// measurements; not thread-safe against running kernels.
int wm_engine_kernels_cap(int level);

/// The best level this CPU has, ignoring any cap (nothing changes).
int wm_engine_kernels_cpu_level(void);

/// Undoes `wm_engine_kernels_cap`: back to the CPU's best capped by WMSIM_CPU_KERNELS as the
/// environment reads now (what a process starting now would get), so a test's cap does not
/// lift the environment's. Returns it.
int wm_engine_kernels_restore(void);

/// One row's sums for all trials: acc[b] = fma(w_k, x[c_k·trials + b], acc[b]) over the row's
/// stored entries k = 0..<count in order, acc starting at +0, where w_k = values[first + k·stride]
/// and c_k = cols[first + k·stride] (stride 1: CSR; 16: a row of sliced ELL). Every fma is the
/// hardware's (exact) one. Returns 0, writing nothing, when no vectorised level is available.
int wm_row_sums_u16(float *acc, int trials, const float *x, const float *values, const uint16_t *cols,
                    ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride);
/// `wm_row_sums_u16` with 32-bit column indices.
int wm_row_sums_i32(float *acc, int trials, const float *x, const float *values, const int32_t *cols,
                    ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride);

/// Sums of `slices` consecutive sliced-ELL slices (16 rows each) for one trial: slice q's
/// entries start at values + offsets[q] − offsets[0] (slot-major, 16 per slot, offsets[q + 1] −
/// offsets[q] = 16 · slots), row r of it has lengths[16q + r] entries, and out[16q + r] gets
/// fma(w, x[c], acc) over that row's entries in slot order (lanes past a row's length keep their
/// sum). Returns 0, writing nothing, when no vectorised level is available.
int wm_ell_slices_u16(float *out, const float *x, const float *values, const uint16_t *cols, const int32_t *lengths,
                      const ptrdiff_t *offsets, ptrdiff_t slices);
/// `wm_ell_slices_u16` with 32-bit column indices.
int wm_ell_slices_i32(float *out, const float *x, const float *values, const int32_t *cols, const int32_t *lengths,
                      const ptrdiff_t *offsets, ptrdiff_t slices);

/// Rows lo..<hi of sliced ELL (16-row slices, `offsets` the slice offsets, `lengths` the row
/// lengths) for `trials` > 1 trials: y[i·trials + b] = fma chain over row i's entries in slot
/// order of (w, x[c·trials + b]) from +0, as `wm_row_sums_u16` with stride 16 row by row. The
/// AVX-512 level takes two rows at a time. `prefetch` asks for software prefetches of the x rows
/// of coming entries (worth it only when x does not fit in L2). Returns 0, writing nothing, when
/// no vectorised level is available.
int wm_ell_rows_u16(float *y, int trials, const float *x, const float *values, const uint16_t *cols,
                    const int32_t *lengths, const ptrdiff_t *offsets, ptrdiff_t lo, ptrdiff_t hi, int prefetch);
/// `wm_ell_rows_u16` with 32-bit column indices.
int wm_ell_rows_i32(float *y, int trials, const float *x, const float *values, const int32_t *cols,
                    const int32_t *lengths, const ptrdiff_t *offsets, ptrdiff_t lo, ptrdiff_t hi, int prefetch);

/// `wm_ell_rows_u16` (the same sums bit for bit) in column blocks: block b (b = 0..<blocks) of
/// every row lo..<hi, then block b + 1, the partial sums kept in y between blocks. Row i's
/// entries of block b are its slots bounds[i·(blocks + 1) + b] ..< bounds[i·(blocks + 1) + b + 1]
/// (the first bound 0, the last its length; columns increase along a row). AVX-512F and trials
/// > 1 only: returns 0, writing nothing, otherwise.
int wm_ell_blocked_rows_u16(float *y, int trials, const float *x, const float *values, const uint16_t *cols,
                            const int32_t *lengths, const ptrdiff_t *offsets, const int32_t *bounds, ptrdiff_t blocks,
                            ptrdiff_t lo, ptrdiff_t hi);
/// `wm_ell_blocked_rows_u16` with 32-bit column indices.
int wm_ell_blocked_rows_i32(float *y, int trials, const float *x, const float *values, const int32_t *cols,
                            const int32_t *lengths, const ptrdiff_t *offsets, const int32_t *bounds, ptrdiff_t blocks,
                            ptrdiff_t lo, ptrdiff_t hi);

/// Rows lo..<hi (lo a multiple of 16) of an n × n matrix in bitmap panels times x: panel p
/// (rows 16p…16p + 15) has a 16-bit mask per column j, masks[p·n + j] (bit r % 16: row r has an
/// entry in column j), and the entries' values column after column, in row order within a
/// column, from values + starts[p]. out[r] = the fma chain over row r's entries in column order
/// from +0 (bit for bit the other formats' sums). AVX-512F only: returns 0, writing nothing, at
/// lower levels.
int wm_dense_masked_sums(float *out, const float *x, const uint16_t *masks, const float *values, const ptrdiff_t *starts,
                         ptrdiff_t n, ptrdiff_t lo, ptrdiff_t hi);

/// y[i] = tanh(x[i]) for i < n (y may be x), `VectorMath.tanh8`'s operations on 16 lanes, so bit
/// for bit the Swift function. Returns 0 (and writes nothing) on CPUs without AVX-512F.
int wm_tanh(float *y, const float *x, ptrdiff_t n);

/// The epilogue of `rows` consecutive rows of one network, in place over their sums h (rows ×
/// trials, trial fastest), x the same rows' states: h = gain·h; h = fma(J, u_k, h) for k =
/// 0..<nIn; h += bias; h = fma(c0, x, c1·f(fma(c2, x, c3·h))) with f = tanh when `useTanh`, else
/// the identity; each fma evaluated as Float(Double(a)·Double(b) + Double(c)) and tanh as the
/// Swift engine's `VectorMath.tanh8`, so the results are its epilogue's bit for bit. J of row r,
/// channel k is jin[r·jinRow + k·jinChannel]; with one trial the rows must be adjacent
/// (jinRow = 1, else 0 is returned). u_k of trial b is u[k·trials + b].
/// `coefficients`: gain, bias, c0, c1, c2, c3. Returns 2 when every new value is finite, 1 when
/// one is not, 0 (nothing written) below AVX-512F or with one trial and jinRow ≠ 1.
int wm_epilogue(float *h, const float *x, ptrdiff_t rows, int trials, const float *jin, ptrdiff_t jinRow, ptrdiff_t jinChannel,
                int nIn, const float *u, const float *coefficients, int useTanh);

/// A part of a pooled run: called once with each part index 0..<parts.
typedef void (*wm_pool_fn)(void *ctx, int part);

/// Runs fn(ctx, p) for p = 0..<parts (at most 64) and returns when all are done, on the calling
/// thread and the pool's persistent threads: thread w (the caller is 0) takes the parts p with
/// p % parts == w first, so the data a part touches stay in one core's caches across runs on a
/// quiet machine, then any part not yet started. Waits spin briefly, then sleep. A call made
/// while another run is in progress (another thread, or from inside a part) runs all its parts
/// on the calling thread.
void wm_pool_run(int parts, wm_pool_fn fn, void *ctx);

#endif
