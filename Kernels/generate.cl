// Network generation on the device; mirrors Sources/WMCore/Network/NetworkGenerator.swift.
// Needs double precision for the geometric skips (cl_khr_fp64); the host generates
// and uploads the network on devices without it.

#ifdef WM_HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

// Next column of row i after column j (or N when the row is done); *d counts draws.
inline int wm_next_col(uint2 key, uint i, int N, double lnq, uint *d, int j) {
    uint4 w = philox4x32_10((uint4)(i, (*d) >> 1, 0u, STREAM_W_STRUCT), key);
    uint hi = ((*d) & 1u) ? w.z : w.x;
    uint lo = ((*d) & 1u) ? w.w : w.y;
    *d += 1u;
    ulong bits = ((ulong)hi << 21) ^ (ulong)(lo >> 11);
    double u = ((double)bits + 0.5) * (1.0 / 9007199254740992.0);
    double gap = floor(log(u) / lnq);
    if (!(gap < (double)(N - j))) return N;
    j += (int)gap + 1;
    return j >= N ? N : j;
}

inline float wm_weight(uint2 key, uint i, uint j, float scale) {
    uint4 w = philox4x32_10((uint4)(i, j, 0u, STREAM_W_VALUE), key);
    return rb_normal(w.x, w.y) * scale;
}

// counts[m*N + i] = synapses in row i of network m.
__kernel void gen_row_counts(const int N, __global const double *lnq, __global const uint2 *keys,
                             __global int *counts) {
    int i = get_global_id(0), m = get_global_id(1);
    if (i >= N) return;
    uint2 key = keys[m];
    double q = lnq[m];
    uint d = 0u;
    int c = 0;
    for (int j = wm_next_col(key, (uint)i, N, q, &d, -1); j < N; j = wm_next_col(key, (uint)i, N, q, &d, j)) ++c;
    counts[m * N + i] = c;
}

// CSR fill: rowPtr[m*(N+1) + i] (per-network offsets), nnzOff[m] (offset of network m).
__kernel void gen_csr_fill(const int N, __global const double *lnq, __global const uint2 *keys,
                           __global const float *scale, __global const int *rowPtr,
                           __global const int *nnzOff, __global IDX_T *col, __global VAL_T *val) {
    int i = get_global_id(0), m = get_global_id(1);
    if (i >= N) return;
    uint2 key = keys[m];
    double q = lnq[m];
    float s = scale[m];
    size_t p = (size_t)nnzOff[m] + (size_t)rowPtr[m * (N + 1) + i];
    uint d = 0u;
    for (int j = wm_next_col(key, (uint)i, N, q, &d, -1); j < N; j = wm_next_col(key, (uint)i, N, q, &d, j)) {
        col[p] = (IDX_T)j;
        WM_PUT_W(val, p, wm_weight(key, (uint)i, (uint)j, s));
        ++p;
    }
}

// SELL-C-σ fill (step.cl's WM_SUM_ELL): work-item (pos, m) writes the row at position pos into
// its slice and pads the slice's remaining slots with column = the row, weight 0 (never summed).
__kernel void gen_sell_fill(const int N, __global const double *lnq, __global const uint2 *keys,
                            __global const float *scale, __global const int *rowAt,
                            __global const long *sliceStart, __global IDX_T *col, __global VAL_T *val) {
    int pos = get_global_id(0), m = get_global_id(1);
    if (pos >= N) return;
    int i = rowAt[m * N + pos];
    uint2 key = keys[m];
    double q = lnq[m];
    float s = scale[m];
    int sl = m * ((N + WM_SELL_C - 1) / WM_SELL_C) + pos / WM_SELL_C;
    size_t base = (size_t)sliceStart[sl] + (size_t)(pos % WM_SELL_C);
    int width = (int)((sliceStart[sl + 1] - sliceStart[sl]) / WM_SELL_C);
    int k = 0;
    uint d = 0u;
    for (int j = wm_next_col(key, (uint)i, N, q, &d, -1); j < N; j = wm_next_col(key, (uint)i, N, q, &d, j)) {
        col[base + (size_t)k * WM_SELL_C] = (IDX_T)j;
        WM_PUT_W(val, base + (size_t)k * WM_SELL_C, wm_weight(key, (uint)i, (uint)j, s));
        ++k;
    }
    for (int r = k; r < width; ++r) { col[base + (size_t)r * WM_SELL_C] = (IDX_T)i; WM_PUT_W(val, base + (size_t)r * WM_SELL_C, 0.0f); }
}

// Dense fill of row i (layout as in step.cl: column-major with WM_DENSE_COLMAJOR, else row-major);
// zeroes the row first.
#ifdef WM_DENSE_COLMAJOR
#define WM_DENSE_AT(m, i, j) ((size_t)(m) * N * N + (size_t)(j) * N + (i))
#else
#define WM_DENSE_AT(m, i, j) (((size_t)(m) * N + (i)) * N + (j))
#endif
__kernel void gen_dense_fill(const int N, __global const double *lnq, __global const uint2 *keys,
                             __global const float *scale, __global VAL_T *w) {
    int i = get_global_id(0), m = get_global_id(1);
    if (i >= N) return;
    uint2 key = keys[m];
    double q = lnq[m];
    float s = scale[m];
    for (int j = 0; j < N; ++j) WM_PUT_W(w, WM_DENSE_AT(m, i, j), 0.0f);
    uint d = 0u;
    for (int j = wm_next_col(key, (uint)i, N, q, &d, -1); j < N; j = wm_next_col(key, (uint)i, N, q, &d, j))
        WM_PUT_W(w, WM_DENSE_AT(m, i, j), wm_weight(key, (uint)i, (uint)j, s));
}
#endif

// Input weights, N × nIn row-major per network. thr = Bernoulli threshold (2^32·spIn).
__kernel void gen_input_weights(const int N, const int nIn, __global const ulong *thr,
                                __global const uint2 *keys, __global const float *scale,
                                __global float *win) {
    int i = get_global_id(0), m = get_global_id(1);
    if (i >= N) return;
    for (int k = 0; k < nIn; ++k) {
        uint4 w = philox4x32_10((uint4)((uint)i, (uint)k, 0u, STREAM_IN_WEIGHT), keys[m]);
        win[((size_t)m * N + i) * nIn + k] = ((ulong)w.x < thr[m]) ? rb_normal(w.z, w.w) * scale[m] : 0.0f;
    }
}
