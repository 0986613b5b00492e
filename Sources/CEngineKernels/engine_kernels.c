// Hot loops of the CPU engine's sparse steps (Sources/WMCore/CPU/CPUEngine+Rows.swift), in C
// because the library is built for the x86-64 baseline (no unsafeFlags): Swift cannot emit FMA
// there and emulates each fused multiply-add in Double. Here AVX2 + FMA and AVX-512F variants are
// compiled per function (`__attribute__((target))`) and picked at run time; on CPUs without them
// every entry point returns 0 and the caller runs its Swift loops.
//
// Numerics: each output is fma(w, x, acc) over its row's entries in stored order, starting at
// +0, with the hardware's exact fma, so the results do not depend on the trial blocking, the
// vector width or the format (CSR and sliced ELL agree bit for bit). No expression below may be
// contracted (the FMAs are written out), and contraction is off besides.
#include "CEngineKernels.h"

#include <stdatomic.h>
#include <stdlib.h>

#pragma clang fp contract(off)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WM_X86 1
#define WM_AVX2 __attribute__((target("avx2,fma")))
#define WM_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define WM_INLINE inline __attribute__((always_inline))

/// Entries ahead whose x rows are prefetched at B > 1: far enough to cover an L3 or DRAM
/// access at a few cycles per entry, near enough that the lines are still in L1 when used.
enum { PREFETCH_AHEAD = 12 };

// MARK: row sums, B > 1 (and B = 1 one row at a time)

/// nv ≤ 4 vectors of 16 trials from t0 over one row's entries; the last vector masked by `tail`
/// (all ones unless the block ends past the trials). Prefetches the x lines of the entry
/// PREFETCH_AHEAD ahead when `prefetch` (rows of ≥ 2 lines).
#define ROW_BLOCK_512(SUF, T)                                                                              \
    WM_AVX512 static WM_INLINE void row_block_512_##SUF(float *acc, int bt, const float *x, const float *vp,  \
        const T *cp, ptrdiff_t count, ptrdiff_t stride, int t0, const int nv, __mmask16 tail, const int prefetch) { \
        __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};    \
        const float *xb = x + t0;                                                                           \
        ptrdiff_t k = 0;                                                                                    \
        if (prefetch) {                                                                                     \
            const T *pc = cp + PREFETCH_AHEAD * stride;                                                     \
            for (; k + PREFETCH_AHEAD < count; k++) {                                                       \
                const char *pf = (const char *)(xb + (ptrdiff_t)*pc * bt);                                  \
                for (int j = 0; j < nv; j++) _mm_prefetch(pf + 64 * j, _MM_HINT_T0);                        \
                _mm_prefetch(pf + 64 * nv - 4, _MM_HINT_T0); /* the row's last line when it is unaligned */ \
                const __m512 w = _mm512_set1_ps(*vp);                                                       \
                const float *xr = xb + (ptrdiff_t)*cp * bt;                                                 \
                for (int j = 0; j < nv - 1; j++) a[j] = _mm512_fmadd_ps(w, _mm512_loadu_ps(xr + 16 * j), a[j]); \
                a[nv - 1] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(tail, xr + 16 * (nv - 1)), a[nv - 1]); \
                vp += stride; cp += stride; pc += stride;                                                   \
            }                                                                                               \
        }                                                                                                   \
        for (; k < count; k++) {                                                                            \
            const __m512 w = _mm512_set1_ps(*vp);                                                           \
            const float *xr = xb + (ptrdiff_t)*cp * bt;                                                     \
            for (int j = 0; j < nv - 1; j++) a[j] = _mm512_fmadd_ps(w, _mm512_loadu_ps(xr + 16 * j), a[j]);   \
            a[nv - 1] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(tail, xr + 16 * (nv - 1)), a[nv - 1]);     \
            vp += stride; cp += stride;                                                                     \
        }                                                                                                   \
        for (int j = 0; j < nv - 1; j++) _mm512_storeu_ps(acc + t0 + 16 * j, a[j]);                         \
        _mm512_mask_storeu_ps(acc + t0 + 16 * (nv - 1), tail, a[nv - 1]);                                   \
    }

#define ROW_SUMS_512(SUF, T)                                                                                \
    ROW_BLOCK_512(SUF, T)                                                                                   \
    WM_AVX512 static void row_sums_512_##SUF(float *acc, int bt, const float *x, const float *values, const T *cols, \
                                             ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride) {          \
        const float *vp = values + first;                                                                   \
        const T *cp = cols + first;                                                                         \
        if (bt == 1) {                                                                                      \
            float s = 0;                                                                                    \
            for (ptrdiff_t k = 0; k < count; k++) s = __builtin_fmaf(vp[k * stride], x[cp[k * stride]], s); \
            *acc = s;                                                                                       \
            return;                                                                                         \
        }                                                                                                   \
        const __mmask16 all = 0xffff;                                                                       \
        int t0 = 0;                                                                                         \
        for (; t0 + 64 <= bt; t0 += 64) row_block_512_##SUF(acc, bt, x, vp, cp, count, stride, t0, 4, all, 1); \
        const int rest = bt - t0;                                                                           \
        if (rest == 0) return;                                                                              \
        const __mmask16 tail = (__mmask16)(0xffffu >> ((16 - rest % 16) % 16));                             \
        switch ((rest + 15) / 16) {                                                                         \
        case 1: row_block_512_##SUF(acc, bt, x, vp, cp, count, stride, t0, 1, tail, 0); break;              \
        case 2: row_block_512_##SUF(acc, bt, x, vp, cp, count, stride, t0, 2, tail, 1); break;              \
        case 3: row_block_512_##SUF(acc, bt, x, vp, cp, count, stride, t0, 3, tail, 1); break;              \
        default: row_block_512_##SUF(acc, bt, x, vp, cp, count, stride, t0, 4, tail, 1); break;             \
        }                                                                                                   \
    }

/// AVX2: nv ≤ 4 vectors of 8 trials, the last masked by `tail` (lanes of all ones are live).
#define ROW_BLOCK_256(SUF, T)                                                                               \
    WM_AVX2 static WM_INLINE void row_block_256_##SUF(float *acc, int bt, const float *x, const float *vp,      \
        const T *cp, ptrdiff_t count, ptrdiff_t stride, int t0, const int nv, __m256i tail, const int masked,  \
        const int prefetch) {                                                                               \
        __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};    \
        const float *xb = x + t0;                                                                           \
        ptrdiff_t k = 0;                                                                                    \
        if (prefetch) {                                                                                     \
            const T *pc = cp + PREFETCH_AHEAD * stride;                                                     \
            for (; k + PREFETCH_AHEAD < count; k++) {                                                       \
                const char *pf = (const char *)(xb + (ptrdiff_t)*pc * bt);                                  \
                for (int j = 0; j < (nv + 1) / 2; j++) _mm_prefetch(pf + 64 * j, _MM_HINT_T0);              \
                _mm_prefetch(pf + 32 * nv - 4, _MM_HINT_T0); /* the row's last line when it is unaligned */ \
                const __m256 w = _mm256_broadcast_ss(vp);                                                   \
                const float *xr = xb + (ptrdiff_t)*cp * bt;                                                 \
                for (int j = 0; j < nv; j++) a[j] = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 8 * j), a[j]); \
                vp += stride; cp += stride; pc += stride;                                                   \
            }                                                                                               \
        }                                                                                                   \
        for (; k < count; k++) {                                                                            \
            const __m256 w = _mm256_broadcast_ss(vp);                                                       \
            const float *xr = xb + (ptrdiff_t)*cp * bt;                                                     \
            for (int j = 0; j < nv - 1; j++) a[j] = _mm256_fmadd_ps(w, _mm256_loadu_ps(xr + 8 * j), a[j]);     \
            const __m256 xl = masked ? _mm256_maskload_ps(xr + 8 * (nv - 1), tail) : _mm256_loadu_ps(xr + 8 * (nv - 1)); \
            a[nv - 1] = _mm256_fmadd_ps(w, xl, a[nv - 1]);                                                  \
            vp += stride; cp += stride;                                                                     \
        }                                                                                                   \
        for (int j = 0; j < nv - 1; j++) _mm256_storeu_ps(acc + t0 + 8 * j, a[j]);                          \
        if (masked) _mm256_maskstore_ps(acc + t0 + 8 * (nv - 1), tail, a[nv - 1]);                          \
        else _mm256_storeu_ps(acc + t0 + 8 * (nv - 1), a[nv - 1]);                                          \
    }

#define ROW_SUMS_256(SUF, T)                                                                                \
    ROW_BLOCK_256(SUF, T)                                                                                   \
    WM_AVX2 static void row_sums_256_##SUF(float *acc, int bt, const float *x, const float *values, const T *cols, \
                                           ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride) {            \
        const float *vp = values + first;                                                                   \
        const T *cp = cols + first;                                                                         \
        if (bt == 1) {                                                                                      \
            float s = 0;                                                                                    \
            for (ptrdiff_t k = 0; k < count; k++) s = __builtin_fmaf(vp[k * stride], x[cp[k * stride]], s); \
            *acc = s;                                                                                       \
            return;                                                                                         \
        }                                                                                                   \
        const __m256i all = _mm256_set1_epi32(-1);                                                          \
        int t0 = 0;                                                                                         \
        for (; t0 + 32 <= bt; t0 += 32) row_block_256_##SUF(acc, bt, x, vp, cp, count, stride, t0, 4, all, 0, 1); \
        for (; t0 + 8 <= bt; t0 += 8) row_block_256_##SUF(acc, bt, x, vp, cp, count, stride, t0, 1, all, 0, 0);   \
        if (t0 < bt) {                                                                                      \
            const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);                                 \
            const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(bt - t0), lane);                      \
            row_block_256_##SUF(acc, bt, x, vp, cp, count, stride, t0, 1, tail, 1, 0);                      \
        }                                                                                                   \
    }

// MARK: sliced ELL, B = 1: a slice's 16 rows in vector lanes (AVX2: two halves of 8)

#define ELL_512(SUF, T)                                                                           \
    WM_AVX512 static void ell_512_##SUF(float *out, const float *x, const float *values, const T *cols,       \
                                        const int32_t *lengths, const ptrdiff_t *off, ptrdiff_t slices) {    \
        const ptrdiff_t base = off[0];                                                                      \
        for (ptrdiff_t q = 0; q < slices; q++) {                                                            \
            const float *vp = values + (off[q] - base);                                                     \
            const T *cp = cols + (off[q] - base);                                                           \
            const ptrdiff_t slots = (off[q + 1] - off[q]) / 16;                                             \
            const __m512i lens = _mm512_loadu_si512((const void *)(lengths + 16 * q));                      \
            __m512 acc = _mm512_setzero_ps();                                                               \
            for (ptrdiff_t k = 0; k < slots; k++) {                                                         \
                const __mmask16 live = _mm512_cmpgt_epi32_mask(lens, _mm512_set1_epi32((int)k));            \
                const __m512 xg = LOAD_X16(x, cp + 16 * k);                                                 \
                acc = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(vp + 16 * k), xg, acc, live);                   \
            }                                                                                               \
            _mm512_storeu_ps(out + 16 * q, acc);                                                            \
        }                                                                                                   \
    }

#define ELL_256(SUF, T)                                                                          \
    WM_AVX2 static void ell_256_##SUF(float *out, const float *x, const float *values, const T *cols,         \
                                      const int32_t *lengths, const ptrdiff_t *off, ptrdiff_t slices) {      \
        const ptrdiff_t base = off[0];                                                                      \
        for (ptrdiff_t q = 0; q < slices; q++) {                                                            \
            const float *vp = values + (off[q] - base);                                                     \
            const T *cp = cols + (off[q] - base);                                                           \
            const ptrdiff_t slots = (off[q + 1] - off[q]) / 16;                                             \
            const __m256i lens0 = _mm256_loadu_si256((const __m256i *)(lengths + 16 * q));                  \
            const __m256i lens1 = _mm256_loadu_si256((const __m256i *)(lengths + 16 * q + 8));              \
            __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                                  \
            for (ptrdiff_t k = 0; k < slots; k++) {                                                         \
                const __m256i kv = _mm256_set1_epi32((int)k);                                               \
                const __m256 live0 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(lens0, kv));                    \
                const __m256 live1 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(lens1, kv));                    \
                const __m256 x0 = LOAD_X8(x, cp + 16 * k);                                                  \
                const __m256 x1 = LOAD_X8(x, cp + 16 * k + 8);                                              \
                acc0 = _mm256_blendv_ps(acc0, _mm256_fmadd_ps(_mm256_loadu_ps(vp + 16 * k), x0, acc0), live0); \
                acc1 = _mm256_blendv_ps(acc1, _mm256_fmadd_ps(_mm256_loadu_ps(vp + 16 * k + 8), x1, acc1), live1); \
            }                                                                                               \
            _mm256_storeu_ps(out + 16 * q, acc0);                                                           \
            _mm256_storeu_ps(out + 16 * q + 8, acc1);                                                       \
        }                                                                                                   \
    }

/// x at eight or sixteen columns, loaded one by one and packed: on this project's reference
/// machine (Ice Lake server) `vgatherdps` of 16 lanes measured ~28 cycles, these ~20 (1.35× the
/// gather's throughput with x in L1 or L2).
#define LOAD_X4(x, c) _mm_setr_ps((x)[(c)[0]], (x)[(c)[1]], (x)[(c)[2]], (x)[(c)[3]])
#define LOAD_X8(x, c) _mm256_insertf128_ps(_mm256_castps128_ps256(LOAD_X4(x, c)), LOAD_X4(x, (c) + 4), 1)
#define LOAD_X16(x, c) \
    _mm512_insertf32x4(_mm512_insertf32x4(_mm512_insertf32x4(_mm512_castps128_ps512(LOAD_X4(x, c)), LOAD_X4(x, (c) + 4), 1), \
                                          LOAD_X4(x, (c) + 8), 2), LOAD_X4(x, (c) + 12), 3)

ROW_SUMS_512(u16, uint16_t)
ROW_SUMS_512(i32, int32_t)
ROW_SUMS_256(u16, uint16_t)
ROW_SUMS_256(i32, int32_t)
ELL_512(u16, uint16_t)
ELL_512(i32, int32_t)
ELL_256(u16, uint16_t)
ELL_256(i32, int32_t)

static int cpu_level(void) {
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
    return __builtin_cpu_supports("avx512f") ? 2 : 1;
}
#else
static int cpu_level(void) { return 0; }
#endif

/// The level in use, −1 until first asked. WMSIM_CPU_KERNELS=0/1/2 caps it from the start (to
/// measure or rule out a path without rebuilding).
static atomic_int level = -1;

static int initial_level(void) {
    int l = cpu_level();
    const char *env = getenv("WMSIM_CPU_KERNELS");
    if (env && *env >= '0' && *env <= '9' && atoi(env) < l) l = atoi(env);
    return l;
}

int wm_engine_kernels_level(void) {
    int l = atomic_load_explicit(&level, memory_order_relaxed);
    if (l < 0) {
        l = initial_level();
        atomic_store_explicit(&level, l, memory_order_relaxed);
    }
    return l;
}

int wm_engine_kernels_cap(int cap) {
    int l = cpu_level();
    if (cap < l) l = cap < 0 ? 0 : cap;
    atomic_store_explicit(&level, l, memory_order_relaxed);
    return l;
}

#ifdef WM_X86
#define DISPATCH(F512, F256, ...)                                                                           \
    switch (wm_engine_kernels_level()) {                                                                    \
    case 2: F512(__VA_ARGS__); return 1;                                                                    \
    case 1: F256(__VA_ARGS__); return 1;                                                                    \
    default: return 0;                                                                                      \
    }
#else
#define DISPATCH(F512, F256, ...) return 0;
#endif

int wm_row_sums_u16(float *acc, int trials, const float *x, const float *values, const uint16_t *cols,
                    ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride) {
    DISPATCH(row_sums_512_u16, row_sums_256_u16, acc, trials, x, values, cols, first, count, stride)
}

int wm_row_sums_i32(float *acc, int trials, const float *x, const float *values, const int32_t *cols,
                    ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride) {
    DISPATCH(row_sums_512_i32, row_sums_256_i32, acc, trials, x, values, cols, first, count, stride)
}

int wm_ell_slices_u16(float *out, const float *x, const float *values, const uint16_t *cols, const int32_t *lengths,
                      const ptrdiff_t *offsets, ptrdiff_t slices) {
    DISPATCH(ell_512_u16, ell_256_u16, out, x, values, cols, lengths, offsets, slices)
}

int wm_ell_slices_i32(float *out, const float *x, const float *values, const int32_t *cols, const int32_t *lengths,
                      const ptrdiff_t *offsets, ptrdiff_t slices) {
    DISPATCH(ell_512_i32, ell_256_i32, out, x, values, cols, lengths, offsets, slices)
}
