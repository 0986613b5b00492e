// Many steps in one launch: one work-group per trajectory (network m, trial b), the state
// double-buffered in local memory (2·N floats). Same arithmetic as step.cl. Records x(t) for
// t % recEvery == 0 into rec[row][M][B][recW], row counted from the chunk start t0.
// Requires the row and epilogue definitions of step.cl.

#define WM_FUSED_ARGS const int N, const int B, const int M, const int nIn, const int t0,     \
    const int steps, __global const float *win, __global const float *coef,                 \
    __global const uint2 *keys, __global const float *u, __global float *x,                  \
    __local float *xa, __local float *xb, const int recEvery, const int recW,                \
    __global const int *recIdx, __global float *rec, __global int *bad, const int useTanh

#define WM_XL(j) cur[(j)]

#define WM_FUSED_BODY(SUM, ROW)                                                                \
    int traj = get_group_id(0);                                                             \
    int m = traj / B, b = traj - m * B;                                                     \
    int lid = get_local_id(0), lsz = get_local_size(0);                                     \
    __global float *xg = x + (size_t)m * N * B;                                             \
    for (int i = lid; i < N; i += lsz) xa[i] = xg[i * B + b];                               \
    barrier(CLK_LOCAL_MEM_FENCE);                                                           \
    int row0 = t0 / recEvery;                                                               \
    __local float *cur = xa;                                                                \
    __local float *nxt = xb;                                                                \
    for (int s = 0; s < steps; ++s) {                                                       \
        int t = t0 + s;                                                                     \
        __global const float *urow = u + (size_t)s * B * nIn;                               \
        for (int pos = lid; pos < N; pos += lsz) {                                          \
            int i = ROW(pos);                                                               \
            float acc = 0.0f;                                                               \
            SUM(acc, WM_XL)                                                                 \
            float xn = wm_epilogue(cur[i], acc, m, i, b, N, nIn, t, win, coef, keys, urow, useTanh); \
            nxt[i] = xn;                                                                    \
            if (!isfinite(xn)) atomic_min(&bad[m], t);                                      \
        }                                                                                   \
        barrier(CLK_LOCAL_MEM_FENCE);                                                       \
        { __local float *tmp = cur; cur = nxt; nxt = tmp; }                                 \
        if (recW > 0 && (t + 1) % recEvery == 0) {                                          \
            int row = (t + 1) / recEvery - row0 - 1;                                        \
            for (int q = lid; q < recW; q += lsz)                                           \
                rec[(((size_t)row * M + m) * B + b) * recW + q] = cur[recIdx[q]];           \
        }                                                                                   \
    }                                                                                       \
    for (int i = lid; i < N; i += lsz) xg[i * B + b] = cur[i];

__kernel void fused_csr(WM_FUSED_ARGS, __global const int *rowPtr, __global const int *nnzOff,
                        __global const IDX_T *col, __global const VAL_T *val) {
    WM_FUSED_BODY(WM_SUM_CSR, WM_ROW_SELF)
}

__kernel void fused_ell(WM_FUSED_ARGS, __global const int *rowAt, __global const long *sliceStart,
                        __global const int *rowLen, __global const IDX_T *col, __global const VAL_T *val) {
    WM_FUSED_BODY(WM_SUM_ELL, WM_ROW_SELL)
}

__kernel void fused_dense(WM_FUSED_ARGS, __global const VAL_T *dense) {
    WM_FUSED_BODY(WM_SUM_DENSE, WM_ROW_SELF)
}
