// The CPU engine's epilogue (Sources/WMCore/CPU/CPUEngine+Rows.swift `finish`) in AVX-512F: at
// B = 64 the Swift version (SSE on the x86-64 baseline, each fma widened to Double lane by lane)
// took about a third of a step. This one runs the same IEEE operations in the same order on
// 16 lanes, so its results are the Swift path's bit for bit:
//   h = gain·acc; h = fma(J, u_k, h) for each channel k; h += bias;
//   x' = fma(c0, x, c1·f(fma(c2, x, c3·h))), f = tanh (`VectorMath.tanh8`) or the identity,
// every fma evaluated as Swift's `VectorMath.fma8` does it: Float(Double(a)·Double(b) + Double(c))
// (the product is exact in Double; the sum is rounded to Double, then to Float).
#include "CEngineKernels.h"

#pragma clang fp contract(off)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WM_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define WM_INLINE inline __attribute__((always_inline))

WM_AVX512 static WM_INLINE __m256 high8(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

/// Float(Double(a)·Double(b) + Double(c)) per lane (Swift's `VectorMath.fma8`).
WM_AVX512 static WM_INLINE __m512 fma_d(__m512 a, __m512 b, __m512 c) {
    const __m512d lo = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(a)), _mm512_cvtps_pd(_mm512_castps512_ps256(b))),
                                     _mm512_cvtps_pd(_mm512_castps512_ps256(c)));
    const __m512d hi = _mm512_add_pd(_mm512_mul_pd(_mm512_cvtps_pd(high8(a)), _mm512_cvtps_pd(high8(b))), _mm512_cvtps_pd(high8(c)));
    const __m512 l = _mm512_castps256_ps512(_mm512_cvtpd_ps(lo));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(l), _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

#define S(v) _mm512_set1_ps(v)
#define MUL _mm512_mul_ps
#define ADD _mm512_add_ps
#define SUB _mm512_sub_ps

/// `VectorMath.tanh8` on 16 lanes, operation for operation (Cephes tanhf scheme, branch-free).
WM_AVX512 static WM_INLINE __m512 tanh16(__m512 x) {
    const __m512i xb = _mm512_castps_si512(x);
    const __m512i sign = _mm512_and_si512(xb, _mm512_set1_epi32((int)0x80000000u));
    __m512 a = _mm512_castsi512_ps(_mm512_and_si512(xb, _mm512_set1_epi32(0x7fffffff)));
    const __mmask16 isSmall = _mm512_cmp_ps_mask(a, S(0.625f), _CMP_LT_OQ);
    const __m512 z = MUL(a, a);
    __m512 p = S(-5.70498872745e-3f);
    p = ADD(MUL(p, z), S(2.06390887954e-2f));
    p = SUB(MUL(p, z), S(5.37397155531e-2f));
    p = ADD(MUL(p, z), S(1.33314422036e-1f));
    p = SUB(MUL(p, z), S(3.33332819422e-1f));
    const __m512 small = ADD(MUL(MUL(p, z), a), a);
    a = _mm512_mask_mov_ps(a, _mm512_cmp_ps_mask(a, S(10.0f), _CMP_GT_OQ), S(10.0f));
    const __m512 y = ADD(a, a);
    const __m512 magic = S(12582912.0f);
    const __m512 kb = ADD(MUL(y, S(1.44269504088896341f)), magic);
    const __m512 k = SUB(kb, magic);
    const __m512 r = SUB(SUB(y, MUL(k, S(0.693359375f))), MUL(k, S(-2.12194440e-4f)));
    __m512 q = S(1.9875691500e-4f);
    q = ADD(MUL(q, r), S(1.3981999507e-3f));
    q = ADD(MUL(q, r), S(8.3334519073e-3f));
    q = ADD(MUL(q, r), S(4.1665795894e-2f));
    q = ADD(MUL(q, r), S(1.6666665459e-1f));
    q = ADD(MUL(q, r), S(5.0000001201e-1f));
    const __m512 er = ADD(ADD(MUL(q, MUL(r, r)), r), S(1.0f));
    const __m512i kInt = _mm512_sub_epi32(_mm512_castps_si512(kb), _mm512_castps_si512(magic));
    const __m512 e = MUL(er, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(kInt, _mm512_set1_epi32(127)), 23)));
    const __m512 large = SUB(S(1.0f), _mm512_div_ps(S(2.0f), ADD(e, S(1.0f))));
    const __m512 mag = _mm512_mask_mov_ps(large, isSmall, small);
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(mag), sign));
}

/// The network's coefficients, broadcast.
typedef struct { __m512 gain, bias, c0, c1, c2, c3; } coeffs16;

/// x' from the complete drive h and the old state. With c2 = 0 (c0 = 0), as in the leaky rule at
/// a = 1, fma(c2, x, t) is the float sum 0·x + t: the product is ±0 (NaN for x = ±inf or NaN) in
/// both, and a sum of two floats rounded to Double and then to Float is the float sum (Double has
/// more than 2·24 + 2 bits), so the cheap form is bit for bit the Double-evaluated one.
WM_AVX512 static WM_INLINE __m512 update16(__m512 h, __m512 xv, const coeffs16 *c, int useTanh, int zeroC0, int zeroC2) {
    const __m512 t = MUL(h, c->c3);
    const __m512 pre = zeroC2 ? ADD(MUL(c->c2, xv), t) : fma_d(c->c2, xv, t);
    const __m512 f = useTanh ? tanh16(pre) : pre;
    const __m512 g = MUL(c->c1, f);
    return zeroC0 ? ADD(MUL(c->c0, xv), g) : fma_d(c->c0, xv, g);
}

WM_AVX512 static int epilogue_512(float *h, const float *x, ptrdiff_t rows, ptrdiff_t bt, const float *jin, ptrdiff_t jinRow,
                                  ptrdiff_t jinChannel, int nIn, const float *u, const float *coef, int useTanh) {
    const coeffs16 c = {S(coef[0]), S(coef[1]), S(coef[2]), S(coef[3]), S(coef[4]), S(coef[5])};
    const int z0 = coef[2] == 0, z2 = coef[4] == 0;
    __mmask16 bad = 0;
    if (bt == 1) {
        // One trial: the rows in lanes, Jin channel-major (jin[k·jinChannel + r]), u_k broadcast.
        for (ptrdiff_t r = 0; r < rows; r += 16) {
            const __mmask16 m = rows - r >= 16 ? (__mmask16)0xffff : (__mmask16)(0xffffu >> (16 - (rows - r)));
            __m512 v = MUL(_mm512_maskz_loadu_ps(m, h + r), c.gain);
            for (int k = 0; k < nIn; k++) v = fma_d(S(u[k]), _mm512_maskz_loadu_ps(m, jin + k * jinChannel + r), v);
            v = update16(ADD(v, c.bias), _mm512_maskz_loadu_ps(m, x + r), &c, useTanh, z0, z2);
            bad |= _mm512_mask_cmp_ps_mask(m, SUB(v, v), SUB(v, v), _CMP_UNORD_Q);
            _mm512_mask_storeu_ps(h + r, m, v);
        }
    } else {
        // Trials in lanes: Jin[r, k] broadcast (jin[r·jinRow + k·jinChannel]), u channel-major (u[k·bt + b]).
        for (ptrdiff_t r = 0; r < rows; r++) {
            float *hr = h + r * bt;
            const float *xr = x + r * bt;
            for (ptrdiff_t b = 0; b < bt; b += 16) {
                const __mmask16 m = bt - b >= 16 ? (__mmask16)0xffff : (__mmask16)(0xffffu >> (16 - (bt - b)));
                __m512 v = MUL(_mm512_maskz_loadu_ps(m, hr + b), c.gain);
                for (int k = 0; k < nIn; k++) v = fma_d(S(jin[r * jinRow + k * jinChannel]), _mm512_maskz_loadu_ps(m, u + k * bt + b), v);
                v = update16(ADD(v, c.bias), _mm512_maskz_loadu_ps(m, xr + b), &c, useTanh, z0, z2);
                bad |= _mm512_mask_cmp_ps_mask(m, SUB(v, v), SUB(v, v), _CMP_UNORD_Q);
                _mm512_mask_storeu_ps(hr + b, m, v);
            }
        }
    }
    return bad ? 0 : 1;
}

WM_AVX512 static void tanh_512(float *y, const float *x, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, tanh16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        const __mmask16 m = (__mmask16)(0xffffu >> (16 - (n - i)));
        _mm512_mask_storeu_ps(y + i, m, tanh16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}
#endif

int wm_tanh(float *y, const float *x, ptrdiff_t n) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (wm_engine_kernels_level() >= 2) { tanh_512(y, x, n); return 1; }
#endif
    return 0;
}

int wm_epilogue(float *h, const float *x, ptrdiff_t rows, int trials, const float *jin, ptrdiff_t jinRow, ptrdiff_t jinChannel,
                int nIn, const float *u, const float *coefficients, int useTanh) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    // One trial loads 16 consecutive rows of a channel at once: rows must be adjacent.
    if (trials == 1 && jinRow != 1) return 0;
    if (wm_engine_kernels_level() >= 2) return 1 + epilogue_512(h, x, rows, trials, jin, jinRow, jinChannel, nIn, u, coefficients, useTanh);
#endif
    return 0;
}
