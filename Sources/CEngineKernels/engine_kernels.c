// Hot loops of the CPU engine's sparse steps (Sources/WMCore/CPU/CPUEngine+Rows.swift), in C
// because the library is built for the x86-64 baseline (no unsafeFlags): Swift cannot emit FMA
// there and emulates each fused multiply-add in Double. Here AVX2 + FMA and AVX-512F variants are
// compiled per function (`__attribute__((target))`) and picked at run time; on CPUs without them
// every entry point returns 0 and the caller runs its Swift loops.
//
// Numerics: each output is fma(w, x, acc) over its row's entries in stored order, starting at
// +0, with the hardware's exact fma, so the results do not depend on the trial blocking, the
// column blocking (partial sums stored as fp32 and reloaded continue the same chain), the vector
// width or the format (CSR and sliced ELL agree bit for bit). No expression below may be
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
/// PREFETCH_AHEAD ahead when `prefetch` (rows of ≥ 2 lines). The sums start from +0, or from
/// acc when `load` (a column block after the first: the stored fp32 partial sums continue the
/// same fma chain).
#define ROW_BLOCK_512(SUF, T)                                                                              \
    WM_AVX512 static WM_INLINE void row_block_512_##SUF(float *acc, int bt, const float *x, const float *vp,  \
        const T *cp, ptrdiff_t count, ptrdiff_t stride, int t0, const int nv, __mmask16 tail, const int prefetch, \
        const int load) {                                                                                   \
        __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};    \
        if (load) {                                                                                         \
            for (int j = 0; j < nv - 1; j++) a[j] = _mm512_loadu_ps(acc + t0 + 16 * j);                     \
            a[nv - 1] = _mm512_maskz_loadu_ps(tail, acc + t0 + 16 * (nv - 1));                              \
        }                                                                                                   \
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

/// Trials 0..<nt of one row (x rows bs floats apart, acc[t] for trial t): whole 64-trial blocks,
/// then one masked block of 1–4 vectors. `pf` allows the x prefetches (off where x sits in L2:
/// there they cost load slots and measured slower); `load`: start from acc, not +0.
#define ROW_SUMS_512(SUF, T)                                                                                \
    ROW_BLOCK_512(SUF, T)                                                                                   \
    WM_AVX512 static void row_range_512_##SUF(float *acc, int bs, int nt, const float *x, const float *values, \
                                              const T *cols, ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride, int pf,   \
                                              int load) {                                                   \
        const float *vp = values + first;                                                                   \
        const T *cp = cols + first;                                                                         \
        if (bs == 1) {                                                                                      \
            float s = load ? *acc : 0;                                                                      \
            for (ptrdiff_t k = 0; k < count; k++) s = __builtin_fmaf(vp[k * stride], x[cp[k * stride]], s); \
            *acc = s;                                                                                       \
            return;                                                                                         \
        }                                                                                                   \
        const __mmask16 all = 0xffff;                                                                       \
        int t0 = 0;                                                                                         \
        for (; t0 + 64 <= nt; t0 += 64) row_block_512_##SUF(acc, bs, x, vp, cp, count, stride, t0, 4, all, pf, load); \
        const int rest = nt - t0;                                                                           \
        if (rest == 0) return;                                                                              \
        const __mmask16 tail = (__mmask16)(0xffffu >> ((16 - rest % 16) % 16));                             \
        switch ((rest + 15) / 16) {                                                                         \
        case 1: row_block_512_##SUF(acc, bs, x, vp, cp, count, stride, t0, 1, tail, 0, load); break;              \
        case 2: row_block_512_##SUF(acc, bs, x, vp, cp, count, stride, t0, 2, tail, pf, load); break;             \
        case 3: row_block_512_##SUF(acc, bs, x, vp, cp, count, stride, t0, 3, tail, pf, load); break;             \
        default: row_block_512_##SUF(acc, bs, x, vp, cp, count, stride, t0, 4, tail, pf, load); break;            \
        }                                                                                                   \
    }                                                                                                       \
    WM_AVX512 static void row_sums_512_##SUF(float *acc, int bt, const float *x, const float *values, const T *cols, \
                                             ptrdiff_t first, ptrdiff_t count, ptrdiff_t stride) {          \
        row_range_512_##SUF(acc, bt, bt, x, values, cols, first, count, stride, 1, 0);                      \
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

// MARK: sliced ELL, B > 1: rows in pairs

/// One 64-trial block of two rows of sliced ELL (i and i + 1: entries from vp/cp and vq/cq with
/// stride 16, c0 and c1 of them), eight independent accumulator chains. With one row at a time
/// (four chains) the x rows of the next entries wait behind the FMA latency; with two rows the
/// loads of one row overlap the other's FMAs (measured 1.3× fewer cycles per entry at N = 1000,
/// B = 64, x in L2). Each row still gets fma(w, x, acc) over its own entries in stored order,
/// from +0 or, when `load`, from its sums in acc (a later column block).
#define ELL_PAIR_512(SUF, T)                                                                                \
    WM_AVX512 static void ell_pair_512_##SUF(float *acc, int bt, const float *x, const float *vp, const T *cp, \
                                             const float *vq, const T *cq, ptrdiff_t c0, ptrdiff_t c1, int t0, \
                                             const int prefetch, const int load) {                         \
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;     \
        float *o = acc + t0;                                                                                \
        if (load) {                                                                                         \
            a0 = _mm512_loadu_ps(o); a1 = _mm512_loadu_ps(o + 16); a2 = _mm512_loadu_ps(o + 32); a3 = _mm512_loadu_ps(o + 48); \
            b0 = _mm512_loadu_ps(o + bt); b1 = _mm512_loadu_ps(o + bt + 16);                                 \
            b2 = _mm512_loadu_ps(o + bt + 32); b3 = _mm512_loadu_ps(o + bt + 48);                            \
        }                                                                                                   \
        const float *xb = x + t0;                                                                           \
        const ptrdiff_t both = c0 < c1 ? c0 : c1;                                                           \
        ptrdiff_t k = 0;                                                                                    \
        if (prefetch) {                                                                                     \
            for (; k + PREFETCH_AHEAD < both; k++) {                                                        \
                const char *pa = (const char *)(xb + (ptrdiff_t)cp[16 * PREFETCH_AHEAD] * bt);              \
                const char *pb = (const char *)(xb + (ptrdiff_t)cq[16 * PREFETCH_AHEAD] * bt);              \
                for (int j = 0; j < 4; j++) { _mm_prefetch(pa + 64 * j, _MM_HINT_T0); _mm_prefetch(pb + 64 * j, _MM_HINT_T0); } \
                PAIR_FMA4(a, vp, cp) PAIR_FMA4(b, vq, cq)                                                   \
                vp += 16; cp += 16; vq += 16; cq += 16;                                                     \
            }                                                                                               \
        }                                                                                                   \
        for (; k < both; k++) {                                                                             \
            PAIR_FMA4(a, vp, cp) PAIR_FMA4(b, vq, cq)                                                       \
            vp += 16; cp += 16; vq += 16; cq += 16;                                                         \
        }                                                                                                   \
        for (ptrdiff_t j = k; j < c0; j++) { PAIR_FMA4(a, vp, cp) vp += 16; cp += 16; }                     \
        for (ptrdiff_t j = k; j < c1; j++) { PAIR_FMA4(b, vq, cq) vq += 16; cq += 16; }                     \
        _mm512_storeu_ps(o, a0); _mm512_storeu_ps(o + 16, a1); _mm512_storeu_ps(o + 32, a2); _mm512_storeu_ps(o + 48, a3); \
        o += bt;                                                                                            \
        _mm512_storeu_ps(o, b0); _mm512_storeu_ps(o + 16, b1); _mm512_storeu_ps(o + 32, b2); _mm512_storeu_ps(o + 48, b3); \
    }                                                                                                       \
    /* Rows lo..<hi of sliced ELL for bt trials: whole 64-trial blocks two rows at a time, the rest  \
       (an odd last row, trials past the last whole block) row by row. Without `bounds`, each row's \
       entries from slot 0, from +0; with them, row i's slots bounds[i·(nb + 1) + b] up to the next \
       bound (column block b), continuing the sums in y when b > 0. */                                 \
    WM_AVX512 static void ell_rows_512_##SUF(float *y, int bt, const float *x, const float *values, const T *cols, \
                                             const int32_t *lengths, const ptrdiff_t *off, const int32_t *bounds, \
                                             ptrdiff_t nb, ptrdiff_t b, ptrdiff_t lo, ptrdiff_t hi, int prefetch) { \
        const ptrdiff_t whole = bt / 64 * 64;                                                               \
        const int load = b > 0;                                                                             \
        for (ptrdiff_t i = lo; i < hi; i++) {                                                               \
            ptrdiff_t s0 = 0, c0 = lengths[i];                                                              \
            if (bounds) { s0 = bounds[i * (nb + 1) + b]; c0 = bounds[i * (nb + 1) + b + 1] - s0; }          \
            const ptrdiff_t f0 = off[i / 16] + i % 16 + 16 * s0;                                            \
            if (whole > 0 && i % 2 == 0 && i + 1 < hi) {                                                    \
                ptrdiff_t s1 = 0, c1 = lengths[i + 1];                                                      \
                if (bounds) { s1 = bounds[(i + 1) * (nb + 1) + b]; c1 = bounds[(i + 1) * (nb + 1) + b + 1] - s1; } \
                const ptrdiff_t f1 = off[i / 16] + i % 16 + 1 + 16 * s1;                                    \
                for (int t0 = 0; t0 < whole; t0 += 64)                                                      \
                    ell_pair_512_##SUF(y + i * bt, bt, x, values + f0, cols + f0, values + f1, cols + f1, c0, c1, t0, prefetch, load); \
                if (whole < bt) {                                                                           \
                    row_range_512_##SUF(y + i * bt + whole, bt, bt - (int)whole, x + whole, values, cols, f0, c0, 16, prefetch, load); \
                    row_range_512_##SUF(y + (i + 1) * bt + whole, bt, bt - (int)whole, x + whole, values, cols, f1, c1, 16, prefetch, load); \
                }                                                                                           \
                i++;                                                                                        \
            } else {                                                                                        \
                row_range_512_##SUF(y + i * bt, bt, bt, x, values, cols, f0, c0, 16, prefetch, load);       \
            }                                                                                               \
        }                                                                                                   \
    }                                                                                                       \
    /* Column-blocked: column block b for all rows lo..<hi, then block b + 1, so a block's rows of x \
       stay in L1 or L2 while every row's entries in it are summed. */                                 \
    WM_AVX512 static void ell_blocked_512_##SUF(float *y, int bt, const float *x, const float *values, const T *cols, \
                                                const int32_t *lengths, const ptrdiff_t *off, const int32_t *bounds, \
                                                ptrdiff_t nb, ptrdiff_t lo, ptrdiff_t hi) {                 \
        for (ptrdiff_t b = 0; b < nb; b++) ell_rows_512_##SUF(y, bt, x, values, cols, lengths, off, bounds, nb, b, lo, hi, 0); \
    }

#define PAIR_FMA4(A, V, C)                                                                                  \
    {                                                                                                       \
        const __m512 w = _mm512_set1_ps(*(V));                                                              \
        const float *xr = xb + (ptrdiff_t)*(C) * bt;                                                        \
        A##0 = _mm512_fmadd_ps(w, _mm512_loadu_ps(xr), A##0);                                               \
        A##1 = _mm512_fmadd_ps(w, _mm512_loadu_ps(xr + 16), A##1);                                          \
        A##2 = _mm512_fmadd_ps(w, _mm512_loadu_ps(xr + 32), A##2);                                          \
        A##3 = _mm512_fmadd_ps(w, _mm512_loadu_ps(xr + 48), A##3);                                          \
    }

// MARK: dense, B = 1: bitmap panels

/// Rows lo..<hi (lo a multiple of 16) of an n × n matrix in bitmap panels: panel p (rows 16p…16p
/// + 15) has for each column j a 16-bit mask of its rows that hold an entry there
/// (masks[p·n + j], bit r % 16) and those entries' values in row order, column after column, from
/// values + starts[p]. Row r gets fma(w, x[j], acc) over its entries in column order from +0,
/// the rows in vector lanes: per column one broadcast of x[j] and one expanding load, no gather,
/// and the matrix costs 2 bytes per 16 rows and column plus 4 per entry (A: 1.1 MB, so each
/// core's half stays in its L2, where dense rows would be 4 MB). Lanes without an entry keep
/// their sum (masked fma), so the sums are the sparse formats' chains bit for bit.
#define MASKED_COLUMN(A, M, V)                                                                              \
    {                                                                                                       \
        const __mmask16 k = (__mmask16)(M)[j];                                                              \
        A = _mm512_mask3_fmadd_ps(_mm512_maskz_expandloadu_ps(k, V), xj, A, k);                             \
        V += __builtin_popcount(k);                                                                         \
    }

WM_AVX512 static WM_INLINE void store_rows_512(float *out, ptrdiff_t r, ptrdiff_t hi, __m512 v) {
    if (r + 16 <= hi) _mm512_storeu_ps(out + r, v);
    else _mm512_mask_storeu_ps(out + r, (__mmask16)(0xffffu >> (16 - (hi - r))), v);
}

WM_AVX512 static void dense_masked_512(float *out, const float *x, const uint16_t *masks, const float *values,
                                       const ptrdiff_t *starts, ptrdiff_t n, ptrdiff_t lo, ptrdiff_t hi) {
    ptrdiff_t p = lo / 16;
    const ptrdiff_t end = (hi + 15) / 16;
    // Four panels per pass: the value pointers advance by a popcount per column (a 4-cycle chain
    // each), so four independent panels keep the core busy.
    for (; p + 4 <= end; p += 4) {
        const uint16_t *m0 = masks + p * n, *m1 = m0 + n, *m2 = m1 + n, *m3 = m2 + n;
        const float *v0 = values + starts[p], *v1 = values + starts[p + 1], *v2 = values + starts[p + 2], *v3 = values + starts[p + 3];
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (ptrdiff_t j = 0; j < n; j++) {
            const __m512 xj = _mm512_set1_ps(x[j]);
            MASKED_COLUMN(a0, m0, v0) MASKED_COLUMN(a1, m1, v1) MASKED_COLUMN(a2, m2, v2) MASKED_COLUMN(a3, m3, v3)
        }
        store_rows_512(out, 16 * p, hi, a0);
        store_rows_512(out, 16 * p + 16, hi, a1);
        store_rows_512(out, 16 * p + 32, hi, a2);
        store_rows_512(out, 16 * p + 48, hi, a3);
    }
    for (; p < end; p++) {
        const uint16_t *m0 = masks + p * n;
        const float *v0 = values + starts[p];
        __m512 a0 = _mm512_setzero_ps();
        for (ptrdiff_t j = 0; j < n; j++) {
            const __m512 xj = _mm512_set1_ps(x[j]);
            MASKED_COLUMN(a0, m0, v0)
        }
        store_rows_512(out, 16 * p, hi, a0);
    }
}

ROW_SUMS_512(u16, uint16_t)
ROW_SUMS_512(i32, int32_t)
ELL_PAIR_512(u16, uint16_t)
ELL_PAIR_512(i32, int32_t)
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

int wm_engine_kernels_cpu_level(void) { return cpu_level(); }

int wm_engine_kernels_restore(void) {
    int l = initial_level();
    atomic_store_explicit(&level, l, memory_order_relaxed);
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

int wm_ell_rows_u16(float *y, int trials, const float *x, const float *values, const uint16_t *cols,
                    const int32_t *lengths, const ptrdiff_t *offsets, ptrdiff_t lo, ptrdiff_t hi, int prefetch) {
#ifdef WM_X86
    switch (wm_engine_kernels_level()) {
    case 2: ell_rows_512_u16(y, trials, x, values, cols, lengths, offsets, NULL, 0, 0, lo, hi, prefetch); return 1;
    case 1:
        for (ptrdiff_t i = lo; i < hi; i++)
            row_sums_256_u16(y + i * trials, trials, x, values, cols, offsets[i / 16] + i % 16, lengths[i], 16);
        return 1;
    default: return 0;
    }
#else
    return 0;
#endif
}

int wm_ell_rows_i32(float *y, int trials, const float *x, const float *values, const int32_t *cols,
                    const int32_t *lengths, const ptrdiff_t *offsets, ptrdiff_t lo, ptrdiff_t hi, int prefetch) {
#ifdef WM_X86
    switch (wm_engine_kernels_level()) {
    case 2: ell_rows_512_i32(y, trials, x, values, cols, lengths, offsets, NULL, 0, 0, lo, hi, prefetch); return 1;
    case 1:
        for (ptrdiff_t i = lo; i < hi; i++)
            row_sums_256_i32(y + i * trials, trials, x, values, cols, offsets[i / 16] + i % 16, lengths[i], 16);
        return 1;
    default: return 0;
    }
#else
    return 0;
#endif
}

int wm_ell_blocked_rows_u16(float *y, int trials, const float *x, const float *values, const uint16_t *cols,
                            const int32_t *lengths, const ptrdiff_t *offsets, const int32_t *bounds, ptrdiff_t blocks,
                            ptrdiff_t lo, ptrdiff_t hi) {
#ifdef WM_X86
    if (wm_engine_kernels_level() >= 2 && trials > 1) {
        ell_blocked_512_u16(y, trials, x, values, cols, lengths, offsets, bounds, blocks, lo, hi);
        return 1;
    }
#endif
    return 0;
}

int wm_ell_blocked_rows_i32(float *y, int trials, const float *x, const float *values, const int32_t *cols,
                            const int32_t *lengths, const ptrdiff_t *offsets, const int32_t *bounds, ptrdiff_t blocks,
                            ptrdiff_t lo, ptrdiff_t hi) {
#ifdef WM_X86
    if (wm_engine_kernels_level() >= 2 && trials > 1) {
        ell_blocked_512_i32(y, trials, x, values, cols, lengths, offsets, bounds, blocks, lo, hi);
        return 1;
    }
#endif
    return 0;
}

int wm_dense_masked_sums(float *out, const float *x, const uint16_t *masks, const float *values, const ptrdiff_t *starts,
                         ptrdiff_t n, ptrdiff_t lo, ptrdiff_t hi) {
#ifdef WM_X86
    if (wm_engine_kernels_level() >= 2) {
        dense_masked_512(out, x, masks, values, starts, n, lo, hi);
        return 1;
    }
#endif
    return 0;
}
