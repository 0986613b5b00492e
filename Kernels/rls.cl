// Recursive least squares (FORCE) for M networks at once, mirroring
// Sources/WMCore/Feedback/RecursiveLeastSquares.swift:
//   k = P r,  d = 1 + rᵀk,  P ← P − k kᵀ / d,  W[:, o] ← W[:, o] − e_o k / d
// P is stored whole (N × N per network, symmetric); k_i k_j is formed before the division so
// that P stays exactly symmetric. RLS_T is double on devices with fp64, float otherwise
// (-DRLS_DOUBLE). A network updates only where active[m] != 0 (decided on the host from d).

#pragma OPENCL FP_CONTRACT OFF

#ifdef RLS_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double RLS_T;
#else
typedef float RLS_T;
#endif

// k[m][i] = Σ_j P[m][j][i] r[m][j] (P symmetric: columns are read, so neighbouring work-items
// read neighbouring addresses). Global (N, M).
__kernel void rls_gemv(const int N, const int M, __global const RLS_T *P, __global const float *r, __global RLS_T *k) {
    const int i = get_global_id(0), m = get_global_id(1);
    if (i >= N || m >= M) return;
    __global const RLS_T *pm = P + (size_t)m * N * N;
    __global const float *rm = r + (size_t)m * N;
    RLS_T s = 0;
    for (int j = 0; j < N; ++j) s += pm[(size_t)j * N + i] * (RLS_T)rm[j];
    k[(size_t)m * N + i] = s;
}

// d[m] = 1 + Σ_i r_i k_i, summed in index order by one work-item per network. Global (M).
__kernel void rls_denominator(const int N, const int M, __global const float *r, __global const RLS_T *k, __global RLS_T *d) {
    const int m = get_global_id(0);
    if (m >= M) return;
    RLS_T s = 0;
    for (int i = 0; i < N; ++i) s += (RLS_T)r[(size_t)m * N + i] * k[(size_t)m * N + i];
    d[m] = 1 + s;
}

// P[m][i][j] −= k_i k_j / d. Global (N, N, M).
__kernel void rls_rank1(const int N, const int M, __global RLS_T *P, __global const RLS_T *k, __global const RLS_T *d,
                        __global const int *active) {
    const int j = get_global_id(0), i = get_global_id(1), m = get_global_id(2);
    if (i >= N || j >= N || m >= M || !active[m]) return;
    __global const RLS_T *km = k + (size_t)m * N;
    P[((size_t)m * N + i) * N + j] -= (km[i] * km[j]) / d[m];
}

// W[m][i][o] −= e[m][o] k_i / d. Global (N, M).
__kernel void rls_weights(const int N, const int M, const int O, __global RLS_T *W, __global const RLS_T *k, __global const RLS_T *d,
                          __global const RLS_T *e, __global const int *active) {
    const int i = get_global_id(0), m = get_global_id(1);
    if (i >= N || m >= M || !active[m]) return;
    const RLS_T ki = k[(size_t)m * N + i] / d[m];
    for (int o = 0; o < O; ++o) W[((size_t)m * N + i) * O + o] -= e[(size_t)m * O + o] * ki;
}
