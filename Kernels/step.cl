// Recurrent steps, batched over M networks × B trials. State layout x[(m*N + i)*B + b].
// The update mirrors Sources/WMCore/CPU/UpdateMath.swift and CPUEngine+Rows.swift operation by operation
// (the CPU evaluates fma in Double and uses its own vectorised tanh, so results agree to a few ulp):
//   acc = Σ_p fma(w_p, x_col(p), acc)          (row order)
//   h = gain*acc; h = fma(Jin[i,k], u_k, h) for k; h += bias; h = fma(σ, ξ, h) when σ > 0
//   x' = fma(c0, x, c1 * f(fma(c2, x, c3*h)))
// coef[8m..8m+7] = c0 c1 c2 c3 bias σ gain 0. A non-finite x' sets bad[m] = min(bad[m], t).

#pragma OPENCL FP_CONTRACT OFF

inline float wm_epilogue(float xold, float acc, int m, int i, int b, int N, int nIn, int t,
                         __global const float *win, __global const float *coef,
                         __global const uint2 *keys, __global const float *urow, int useTanh) {
    __global const float *c = coef + 8 * m;
    float h = c[6] * acc;
    __global const float *wi = win + ((size_t)m * N + i) * nIn;
    __global const float *ub = urow + b * nIn;
    for (int k = 0; k < nIn; ++k) h = fma(wi[k], ub[k], h);
    h += c[4];
    if (c[5] > 0.0f) {
        uint4 w = philox4x32_10((uint4)((uint)t, (uint)i, (uint)b, STREAM_NOISE), keys[m]);
        h = fma(c[5], rb_normal(w.x, w.y), h);
    }
    float pre = fma(c[2], xold, c[3] * h);
    float f = useTanh ? tanh(pre) : pre;
    return fma(c[0], xold, c[1] * f);
}

// Recurrent sums; XS(j) reads the presynaptic state of column j.
#define WM_SUM_CSR(acc, XS)                                                          \
    {                                                                                \
        __global const int *rp = rowPtr + m * (N + 1);                               \
        size_t off = (size_t)nnzOff[m];                                              \
        int p1 = rp[i + 1];                                                          \
        for (int p = rp[i]; p < p1; ++p) acc = fma(WM_W(val, off + p), XS((int)col[off + p]), acc); \
    }
// SELL-C-σ: the row at position pos of network m (rows sorted by length within windows of σ)
// keeps slot k at sliceStart[m·S + pos / C] + k·C + pos % C; S = ⌈N / C⌉ slices per network.
#define WM_SUM_ELL(acc, XS)                                                          \
    {                                                                                \
        int sl = pos / WM_SELL_C;                                                    \
        size_t base = (size_t)sliceStart[m * ((N + WM_SELL_C - 1) / WM_SELL_C) + sl] \
                      + (size_t)(pos - sl * WM_SELL_C);                              \
        int len = rowLen[m * N + pos];                                               \
        for (int k = 0; k < len; ++k) {                                              \
            size_t q = base + (size_t)k * WM_SELL_C;                                 \
            acc = fma(WM_W(val, q), XS((int)col[q]), acc);                           \
        }                                                                            \
    }
// The row a position holds: itself, except in SELL-C-σ.
#define WM_ROW_SELF(pos) (pos)
#define WM_ROW_SELL(pos) rowAt[m * N + (pos)]
// Dense layout depends on the device (build option WM_DENSE_COLMAJOR):
// GPUs: column-major per network (entry (i, j) at m·N·N + j·N + i) — neighbouring work-items
//   (rows) read contiguous memory, coalesced; the sum runs over j in order.
// CPUs: row-major (entry (i, j) at (m·N + i)·N + j) with eight partial sums over j (float8), which
//   the compiler vectorises; the order differs from the sparse formats (tolerance, not bits).
#ifdef WM_DENSE_COLMAJOR
#define WM_SUM_DENSE(acc, XS)                                                        \
    {                                                                                \
        __global const VAL_T *col0 = dense + (size_t)m * N * N + i;                  \
        for (int j = 0; j < N; ++j) acc = fma(WM_W(col0, (size_t)j * N), XS(j), acc); \
    }
#else
#define WM_SUM_DENSE(acc, XS)                                                        \
    {                                                                                \
        __global const VAL_T *row = dense + ((size_t)m * N + i) * N;                 \
        float8 a8 = (float8)(0.0f);                                                  \
        int j = 0;                                                                   \
        for (; j + 8 <= N; j += 8)                                                   \
            a8 = fma(WM_W8(row, j), (float8)(XS(j), XS(j + 1), XS(j + 2), XS(j + 3), XS(j + 4), XS(j + 5), XS(j + 6), XS(j + 7)), a8); \
        float4 a4 = a8.lo + a8.hi;                                                   \
        acc = (a4.x + a4.y) + (a4.z + a4.w);                                         \
        for (; j < N; ++j) acc = fma(WM_W(row, j), XS(j), acc);                      \
    }
#endif

#define WM_COMMON_ARGS const int N, const int B, const int nIn, const int t,          \
    __global const float *win, __global const float *coef, __global const uint2 *keys, \
    __global const float *u, const int s, __global const float *x, __global float *y,   \
    __global int *bad, const int useTanh

// Work-item (pos·B + b, m): trial b of the row at position pos of network m (ROW: WM_ROW_*).
#define WM_STEP_BODY(SUM, ROW)                                                       \
    int ib = get_global_id(0), m = get_global_id(1);                                 \
    if (ib >= N * B) return;                                                         \
    int pos = ib / B, b = ib - pos * B;                                              \
    int i = ROW(pos);                                                                \
    __global const float *urow = u + (size_t)s * B * nIn;                            \
    __global const float *xm = x + (size_t)m * N * B;                                \
    float acc = 0.0f;                                                                \
    SUM(acc, WM_XG)                                                                  \
    float xn = wm_epilogue(xm[i * B + b], acc, m, i, b, N, nIn, t, win, coef, keys, urow, useTanh); \
    y[(size_t)m * N * B + (size_t)i * B + b] = xn;                                   \
    if (!isfinite(xn)) atomic_min(&bad[m], t);

#define WM_XG(j) xm[(j) * B + b]

__kernel void step_csr(WM_COMMON_ARGS, __global const int *rowPtr, __global const int *nnzOff,
                       __global const IDX_T *col, __global const VAL_T *val) {
    WM_STEP_BODY(WM_SUM_CSR, WM_ROW_SELF)
}

__kernel void step_ell(WM_COMMON_ARGS, __global const int *rowAt, __global const long *sliceStart,
                       __global const int *rowLen, __global const IDX_T *col, __global const VAL_T *val) {
    WM_STEP_BODY(WM_SUM_ELL, WM_ROW_SELL)
}

__kernel void step_dense(WM_COMMON_ARGS, __global const VAL_T *dense) {
    WM_STEP_BODY(WM_SUM_DENSE, WM_ROW_SELF)
}
