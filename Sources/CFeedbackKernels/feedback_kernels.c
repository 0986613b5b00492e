// Hot loops of the CPU FORCE reference (docs/training.md §2). Both are bound by memory traffic:
// g·J is read once per step in float (half the bytes of double; products and sums stay double,
// so the result is the double product of the float weights), and P is read and written once per
// rank-1 update (the update of the previous step is applied while computing the next P·r).
// AVX2 + FMA paths are compiled per function and chosen at run time; the portable loops are the
// fallback and compute the same sums in a different order.
#include "CFeedbackKernels.h"

#include <math.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define WM_X86 1
#endif

static void matvec_portable(int rows, int n, const float *J, ptrdiff_t ld, const double *r, double *h) {
    for (int i = 0; i < rows; i++) {
        const float *row = J + (ptrdiff_t)i * ld;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            s0 += (double)row[j] * r[j];
            s1 += (double)row[j + 1] * r[j + 1];
            s2 += (double)row[j + 2] * r[j + 2];
            s3 += (double)row[j + 3] * r[j + 3];
        }
        for (; j < n; j++) s0 += (double)row[j] * r[j];
        h[i] = (s0 + s1) + (s2 + s3);
    }
}

static void rls_rows_portable(int n, int row0, int row1, double *P, ptrdiff_t ld, int has_pending, const double *k, double c,
                              const double *r, double *acc) {
    for (int i = row0; i < row1; i++) {
        double *row = P + (ptrdiff_t)i * ld;
        const double ki = has_pending ? c * k[i] : 0.0, ri = r[i];
        double p = row[i] - ki * k[i];
        row[i] = p;
        double s = p * ri;
        for (int j = i + 1; j < n; j++) {
            p = row[j] - ki * k[j];
            row[j] = p;
            s += p * r[j];
            acc[j] += p * ri;
        }
        acc[i] += s;
    }
}

#ifdef WM_X86
__attribute__((target("avx2,fma")))
static void matvec_avx2(int rows, int n, const float *J, ptrdiff_t ld, const double *r, double *h) {
    for (int i = 0; i < rows; i++) {
        const float *row = J + (ptrdiff_t)i * ld;
        __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
        int j = 0;
        for (; j + 16 <= n; j += 16) {
            __m256 f0 = _mm256_loadu_ps(row + j), f1 = _mm256_loadu_ps(row + j + 8);
            a0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(f0)), _mm256_loadu_pd(r + j), a0);
            a1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(f0, 1)), _mm256_loadu_pd(r + j + 4), a1);
            a2 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(f1)), _mm256_loadu_pd(r + j + 8), a2);
            a3 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(f1, 1)), _mm256_loadu_pd(r + j + 12), a3);
        }
        __m256d a = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
        __m128d lo = _mm256_castpd256_pd128(a), hi = _mm256_extractf128_pd(a, 1);
        __m128d s2 = _mm_add_pd(lo, hi);
        double s = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
        for (; j < n; j++) s += (double)row[j] * r[j];
        h[i] = s;
    }
}

__attribute__((target("avx2,fma")))
static void rls_rows_avx2(int n, int row0, int row1, double *P, ptrdiff_t ld, int has_pending, const double *k, double c,
                          const double *r, double *acc) {
    for (int i = row0; i < row1; i++) {
        double *row = P + (ptrdiff_t)i * ld;
        const double ki = has_pending ? c * k[i] : 0.0, ri = r[i];
        double p = row[i] - ki * k[i];
        row[i] = p;
        double s = p * ri;
        int j = i + 1;
        // Scalar until row + j is 32-byte aligned is not needed for correctness; unaligned loads
        // cost little on this path, which is bound by the P traffic.
        const __m256d vki = _mm256_set1_pd(ki), vri = _mm256_set1_pd(ri);
        __m256d vs = _mm256_setzero_pd();
        for (; j + 4 <= n; j += 4) {
            __m256d pj = _mm256_fnmadd_pd(vki, _mm256_loadu_pd(k + j), _mm256_loadu_pd(row + j));
            _mm256_storeu_pd(row + j, pj);
            vs = _mm256_fmadd_pd(pj, _mm256_loadu_pd(r + j), vs);
            _mm256_storeu_pd(acc + j, _mm256_fmadd_pd(pj, vri, _mm256_loadu_pd(acc + j)));
        }
        __m128d lo = _mm256_castpd256_pd128(vs), hi = _mm256_extractf128_pd(vs, 1);
        __m128d s2 = _mm_add_pd(lo, hi);
        s += _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
        for (; j < n; j++) {
            p = row[j] - ki * k[j];
            row[j] = p;
            s += p * r[j];
            acc[j] += p * ri;
        }
        acc[i] += s;
    }
}

static int vectorised(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#else
static int vectorised(void) { return 0; }
#endif

static int allow_vectorised = 1;

int wm_feedback_kernels_vectorised(void) { return allow_vectorised && vectorised(); }

void wm_feedback_kernels_use_vectorised(int on) { allow_vectorised = on; }

void wm_matvec_f32_f64(int rows, int n, const float *J, ptrdiff_t ld, const double *r, double *h) {
#ifdef WM_X86
    if (wm_feedback_kernels_vectorised()) { matvec_avx2(rows, n, J, ld, r, h); return; }
#endif
    matvec_portable(rows, n, J, ld, r, h);
}

void wm_rls_rows(int n, int row0, int row1, double *P, ptrdiff_t ld, int has_pending, const double *k, double c,
                 const double *r, double *acc) {
#ifdef WM_X86
    if (wm_feedback_kernels_vectorised()) { rls_rows_avx2(n, row0, row1, P, ld, has_pending, k, c, r, acc); return; }
#endif
    rls_rows_portable(n, row0, row1, P, ld, has_pending, k, c, r, acc);
}

static void step_block(void *ctx, int b) {
    const wm_step_args *s = (const wm_step_args *)ctx;
    const int lo = s->bounds[b], hi = s->bounds[b + 1], n = s->n;
    double h[256];
    for (int r0 = lo; r0 < hi; r0 += 256) {
        const int rows = hi - r0 < 256 ? hi - r0 : 256;
        wm_matvec_f32_f64(rows, n, s->J + (ptrdiff_t)r0 * n, n, s->r, h);
        for (int q = 0; q < rows; q++) {
            const int i = r0 + q;
            const double drive = s->g * h[q] + s->wf[i] * s->z + s->wi[2 * i] * s->u0 + s->wi[2 * i + 1] * s->u1
                + s->wfd[2 * i] * s->zd0 + s->wfd[2 * i + 1] * s->zd1;
            s->x[i] += s->a * (drive - s->x[i]);
            s->r_next[i] = tanh(s->x[i]);
        }
    }
}

void wm_feedback_step(const wm_step_args *args) {
    wm_parallel_for(args->blocks, step_block, (void *)args);
}

typedef struct {
    int n, has_pending;
    double *P;
    const double *k, *r;
    double c;
    double *acc;
    const int *bounds;
} rls_args;

static void rls_block(void *ctx, int t) {
    const rls_args *a = (const rls_args *)ctx;
    wm_rls_rows(a->n, a->bounds[t], a->bounds[t + 1], a->P, a->n, a->has_pending, a->k, a->c, a->r, a->acc + (ptrdiff_t)t * a->n);
}

void wm_rls_pass(int n, double *P, int has_pending, const double *k, double c, const double *r, double *acc,
                 int blocks, const int *bounds) {
    rls_args a = {n, has_pending, P, k, r, c, acc, bounds};
    wm_parallel_for(blocks, rls_block, &a);
}
