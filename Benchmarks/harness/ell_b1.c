// The CPU engine's B = 1 sliced-ELL kernel (Sources/CEngineKernels/engine_kernels.c, ELL_512 with
// 32-bit columns) on one random matrix of workload C, alone, to find what bounds it; and a
// variant with 17-bit columns (16 bits + a per-slot lane mask). README.md, "CPU engine", quotes
// what it measured.
//
//   gcc -O2 -o ell_b1 ell_b1.c -lm -lpthread
//   ./ell_b1 THREADS [SORT_WINDOW [COLUMN_MODULUS [N [P]]]]
//
// THREADS: slices split between threads. SORT_WINDOW > 0 sorts rows by length within windows of
// that many rows (less padding). COLUMN_MODULUS > 0 folds every column into x's first that many
// entries (x from L1). N, P: rows and connection probability (default 100000, 0.001 = workload C).
// Prints the best of 15 steps per kernel; x is rewritten between steps as in the engine.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <math.h>
#define LOAD_X4(x, c) _mm_setr_ps((x)[(c)[0]], (x)[(c)[1]], (x)[(c)[2]], (x)[(c)[3]])
#define LOAD_X16(x, c) \
    _mm512_insertf32x4(_mm512_insertf32x4(_mm512_insertf32x4(_mm512_castps128_ps512(LOAD_X4(x, c)), LOAD_X4(x, (c) + 4), 1), \
                                          LOAD_X4(x, (c) + 8), 2), LOAD_X4(x, (c) + 12), 3)
typedef int32_t T;
__attribute__((target("avx512f"))) static void ell(float *out, const float *x, const float *values, const T *cols,
    const int32_t *lengths, const ptrdiff_t *off, ptrdiff_t q0, ptrdiff_t q1) {
  for (ptrdiff_t q = q0; q < q1; q++) {
    const float *vp = values + off[q]; const T *cp = cols + off[q];
    const ptrdiff_t slots = (off[q + 1] - off[q]) / 16;
    const __m512i lens = _mm512_loadu_si512((const void *)(lengths + 16 * q));
    __m512 acc = _mm512_setzero_ps();
    for (ptrdiff_t k = 0; k < slots; k++) {
      const __mmask16 live = _mm512_cmpgt_epi32_mask(lens, _mm512_set1_epi32((int)k));
      const __m512 xg = LOAD_X16(x, cp + 16 * k);
      acc = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(vp + 16 * k), xg, acc, live);
    }
    _mm512_storeu_ps(out + 16 * q, acc);
  }
}
__attribute__((target("avx512f,avx512bw"))) static void ell17(float *out, const float *x, const float *values, const uint16_t *cols, const uint16_t *hi,
    const int32_t *lengths, const ptrdiff_t *off, ptrdiff_t q0, ptrdiff_t q1) {
  int32_t idx[16] __attribute__((aligned(64)));
  for (ptrdiff_t q = q0; q < q1; q++) {
    const float *vp = values + off[q]; const uint16_t *cp = cols + off[q]; const uint16_t *hp = hi + off[q] / 16;
    const ptrdiff_t slots = (off[q + 1] - off[q]) / 16;
    const __m512i lens = _mm512_loadu_si512((const void *)(lengths + 16 * q));
    __m512 acc = _mm512_setzero_ps();
    const __m512i big = _mm512_set1_epi32(65536);
    for (ptrdiff_t k = 0; k < slots; k++) {
      const __mmask16 live = _mm512_cmpgt_epi32_mask(lens, _mm512_set1_epi32((int)k));
      __m512i ci = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(cp + 16 * k)));
      ci = _mm512_mask_add_epi32(ci, (__mmask16)hp[k], ci, big);
      _mm512_store_si512((void *)idx, ci);
      const __m512 xg = LOAD_X16(x, idx);
      acc = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(vp + 16 * k), xg, acc, live);
    }
    _mm512_storeu_ps(out + 16 * q, acc);
  }
}
static uint64_t rs = 88172645463325252ull;
static uint64_t xr(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static double u01(void) { return (xr() >> 11) * (1.0 / 9007199254740992.0); }
static uint16_t *C16, *H16;
typedef struct { int kind; float *out; const float *x, *v; const T *c; const int32_t *len; const ptrdiff_t *off; ptrdiff_t q0, q1; } job;
static void *run(void *a) { job *j = a; if (j->kind == 1) ell17(j->out, j->x, j->v, C16, H16, j->len, j->off, j->q0, j->q1); else ell(j->out, j->x, j->v, j->c, j->len, j->off, j->q0, j->q1); return 0; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv) {
  int n = argc > 4 ? atoi(argv[4]) : 100000; double p = argc > 5 ? atof(argv[5]) : 0.001; int threads = argc > 1 ? atoi(argv[1]) : 1;
  int sortlen = argc > 2 ? atoi(argv[2]) : 0;
  int *rl = malloc(sizeof(int) * n); int **rc = malloc(sizeof(int*) * n);
  for (int i = 0; i < n; i++) { int cap = 256, m = 0; int *c = malloc(sizeof(int) * cap); int j = -1;
    for (;;) { double u = u01(); j += 1 + (int)floor(log(1 - u) / log(1 - p)); if (j >= n) break; if (m == cap) { cap *= 2; c = realloc(c, sizeof(int) * cap);} c[m++] = j; }
    rl[i] = m; rc[i] = c; }
  if (sortlen) { for (int w0 = 0; w0 < n; w0 += sortlen) { int w1 = w0 + sortlen < n ? w0 + sortlen : n;
      for (int a = w0 + 1; a < w1; a++) { int L = rl[a]; int *C = rc[a]; int b = a - 1; while (b >= w0 && rl[b] < L) { rl[b+1] = rl[b]; rc[b+1] = rc[b]; b--; } rl[b+1] = L; rc[b+1] = C; } } }
  int slices = (n + 15) / 16; int32_t *len = calloc(slices * 16, 4); ptrdiff_t *off = calloc(slices + 1, sizeof(ptrdiff_t));
  for (int i = 0; i < n; i++) len[i] = rl[i];
  for (int q = 0; q < slices; q++) { int w = 0; for (int l = 0; l < 16; l++) if (len[q*16+l] > w) w = len[q*16+l]; off[q+1] = off[q] + 16 * w; }
  ptrdiff_t tot = off[slices]; float *v = aligned_alloc(64, tot * 4 + 64); T *c = aligned_alloc(64, tot * 4 + 64);
  memset(v, 0, tot * 4); memset(c, 0, tot * 4); ptrdiff_t nnz = 0;
  for (int i = 0; i < n; i++) { nnz += rl[i]; for (int k = 0; k < rl[i]; k++) { v[off[i/16] + 16 * k + i % 16] = (float)(u01() - 0.5); c[off[i/16] + 16 * k + i % 16] = rc[i][k]; } }
  int cm = argc > 3 ? atoi(argv[3]) : 0; if (cm) for (ptrdiff_t e = 0; e < tot; e++) c[e] = c[e] % cm;
  float *x = aligned_alloc(64, n * 4 + 64), *out = aligned_alloc(64, slices * 64 + 64);
  for (int i = 0; i < n; i++) x[i] = (float)(u01() - 0.5);
  C16 = aligned_alloc(64, tot * 2 + 64); H16 = aligned_alloc(64, tot / 8 + 64); memset(H16, 0, tot / 8);
  for (ptrdiff_t e = 0; e < tot; e++) { C16[e] = (uint16_t)(c[e] & 0xffff); if (c[e] >> 16) H16[e / 16] |= (uint16_t)(1u << (e % 16)); }
  printf("nnz %td stored %td (pad %.1f%%)\n", nnz, tot, 100.0 * (tot - nnz) / nnz);
  for (int kind = 0; kind < 2; kind++) {
    double best = 1e9;
    for (int r = 0; r < 15; r++) {
      pthread_t th[8]; job jb[8]; double t0 = now();
      for (int t = 0; t < threads; t++) { jb[t] = (job){kind, out, x, v, c, len, off, (ptrdiff_t)slices * t / threads, (ptrdiff_t)slices * (t + 1) / threads}; pthread_create(&th[t], 0, run, &jb[t]); }
      for (int t = 0; t < threads; t++) pthread_join(th[t], 0);
      double dt = now() - t0; if (dt < best) best = dt;
      for (int i = 0; i < n; i++) x[i] = tanhf(out[i] + x[(i * 7) % n] * 0.1f);
    }
    printf("%s, %d thread(s): %.3f ms per step, %.2f G syn/s\n", kind ? "17-bit columns" : "32-bit columns (the engine's kernel)", threads, best * 1e3, nnz / best / 1e9);
  }
}
