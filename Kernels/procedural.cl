// Procedural weights: the recurrent sums regenerate each row's synapses from the network's Philox
// key instead of reading stored weights (no weight memory). The columns come from the geometric
// skips of generate.cl (wm_next_col, in double) and the values from wm_weight, in column order,
// so a step sums exactly the entries, values and order of step_csr on device-generated weights.
// Requires generate.cl (skips, values; fp64), step.cl (epilogue, step body) and fused.cl (fused body).
// lnq[m] = ln(1 − sp) and scale[m] = g/√(N·sp) of network m.

#ifdef WM_HAS_FP64
#define WM_SUM_PROC(acc, XS)                                                                 \
    {                                                                                        \
        uint2 pk = keys[m];                                                                  \
        double pq = lnq[m];                                                                  \
        float ps = scale[m];                                                                 \
        uint pd = 0u;                                                                        \
        for (int j = wm_next_col(pk, (uint)i, N, pq, &pd, -1); j < N;                        \
             j = wm_next_col(pk, (uint)i, N, pq, &pd, j))                                    \
            acc = fma(wm_weight(pk, (uint)i, (uint)j, ps), XS(j), acc);                      \
    }

__kernel void step_procedural(WM_COMMON_ARGS, __global const double *lnq, __global const float *scale) {
    WM_STEP_BODY(WM_SUM_PROC, WM_ROW_SELF)
}

__kernel void fused_procedural(WM_FUSED_ARGS, __global const double *lnq, __global const float *scale) {
    WM_FUSED_BODY(WM_SUM_PROC, WM_ROW_SELF)
}
#endif
