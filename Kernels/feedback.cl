// One step of M rate networks with output feedback, mirroring
// Sources/WMCore/Feedback/FeedbackRunner.swift (docs/training.md §1):
//   x_i ← x_i + a·(−x_i + Σ_j gJ[i][j] r_j + wf_i z + Σ_d wfd_i,d zd_d + Σ_k wi_i,k u_k),  r = tanh(x)
// State and weights in float, readouts z, zd in RLS_T (rls.cl). gJ is stored transposed,
// gJT[m][j][i], so neighbouring work-items read neighbouring addresses. The rates are double
// buffered: the step reads rin and writes rout.

__kernel void fb_step(const int N, const int M, const float a, const float u0, const float u1,
                      __global const float *gJT, __global const float *wi, __global const float *wf,
                      __global const float *wfd, __global const RLS_T *z, __global const RLS_T *zd,
                      __global float *x, __global const float *rin, __global float *rout) {
    const int i = get_global_id(0), m = get_global_id(1);
    if (i >= N || m >= M) return;
    __global const float *jm = gJT + (size_t)m * N * N;
    __global const float *rm = rin + (size_t)m * N;
    float h = 0.0f;
    for (int j = 0; j < N; ++j) h = fma(jm[(size_t)j * N + i], rm[j], h);
    const size_t mi = (size_t)m * N + i;
    h += wf[mi] * (float)z[m];
    h += wfd[2 * mi] * (float)zd[2 * m] + wfd[2 * mi + 1] * (float)zd[2 * m + 1];
    h += wi[2 * mi] * u0 + wi[2 * mi + 1] * u1;
    const float xi = x[mi] + a * (h - x[mi]);
    x[mi] = xi;
    rout[mi] = tanh(xi);
}

// z[m] = Σ_i wo_i r_i, zd[m][d] = Σ_i wd_i,d r_i, summed in index order by one work-item per
// network. Global (M).
__kernel void fb_readout(const int N, const int M, __global const float *r, __global const RLS_T *wo,
                         __global const RLS_T *wd, __global RLS_T *z, __global RLS_T *zd) {
    const int m = get_global_id(0);
    if (m >= M) return;
    RLS_T s = 0, s0 = 0, s1 = 0;
    for (int i = 0; i < N; ++i) {
        const size_t mi = (size_t)m * N + i;
        const RLS_T ri = (RLS_T)r[mi];
        s += wo[mi] * ri;
        s0 += wd[2 * mi] * ri;
        s1 += wd[2 * mi + 1] * ri;
    }
    z[m] = s;
    zd[2 * m] = s0;
    zd[2 * m + 1] = s1;
}
