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

#endif
