// Dense layers for the MLP decoder (Sources/WMOpenCL/OpenCLDenseOps.swift).
// Mirrors CPUDenseOps (Sources/WMCore/Dense/CPUDenseOps.swift): the same element-wise float
// operations; GEMM sums run in p order with fma (OpenBLAS on the host sums in its own order).
//
// All matrices are row-major and addressed as (buffer, element offset); rows × cols are implied
// by the GEMM sizes:  op(A) is M×K, op(B) is K×N, C is M×N.
//   A not transposed: stored M×K (lda = K);  transposed: stored K×M (lda = M)
//   B not transposed: stored K×N (ldb = N);  transposed: stored N×K (ldb = K)
// Launch: local (16, 16), global (⌈N/64⌉·16, ⌈M/32⌉·16); dim 0 = column, dim 1 = row. Each
// work-item computes 2 × 4 outputs of a 32 × 64 block of C (rows ly + 16a, columns lx + 16b).
// Activation codes: 0 identity, 1 tanh, 2 relu. Derivatives are taken from the OUTPUT h:
//   tanh' = 1 − h·h, relu' = (h > 0), identity' = 1.
// Element-wise formulas use plain multiply/add (no fma) so the host reference, which has no
// hardware fma in baseline x86-64 code, computes the same roundings at full speed.
// Every name is prefixed dense_ / mlp_ (this file is concatenated with the others).

#pragma OPENCL FP_CONTRACT OFF

#define DENSE_TS 16   // work-group is DENSE_TS × DENSE_TS; k-tile depth DENSE_TS
#define DENSE_RM 2    // rows per work-item (strided by DENSE_TS)
#define DENSE_RN 4    // columns per work-item (strided by DENSE_TS)
#define DENSE_TM (DENSE_TS * DENSE_RM)  // rows of C per work-group
#define DENSE_TN (DENSE_TS * DENSE_RN)  // columns of C per work-group

inline float mlp_act(float z, int act) {
    if (act == 1) return tanh(z);
    if (act == 2) return z < 0.0f ? 0.0f : z;   // NaN passes through (divergence stays visible)
    return z;
}

inline float mlp_dact(float h, int act) {
    if (act == 1) return 1.0f - h * h;
    if (act == 2) return h > 0.0f ? 1.0f : 0.0f;
    return 1.0f;
}

// Tile loaders. As[r][c] = op(A)[row0 + r][p0 + c] (DENSE_TM × DENSE_TS),
// Bs[r][c] = op(B)[p0 + r][col0 + c] (DENSE_TS × DENSE_TN); every loader reads consecutive
// addresses along lx (dim 0). Out-of-range entries are 0, so the padded products add exact zeros.
#define DENSE_LOAD_A_N                                                                   \
    for (int a_ = 0; a_ < DENSE_RM; ++a_) {                                              \
        const int r_ = ly + DENSE_TS * a_, i_ = row0 + r_, p_ = p0 + lx;                 \
        As[r_][lx] = (i_ < M && p_ < K) ? A[offA + (size_t)i_ * K + p_] : 0.0f; }
#define DENSE_LOAD_A_T                                                                   \
    for (int a_ = 0; a_ < DENSE_RM; ++a_) {                                              \
        const int r_ = lx + DENSE_TS * a_, i_ = row0 + r_, p_ = p0 + ly;                 \
        As[r_][ly] = (i_ < M && p_ < K) ? A[offA + (size_t)p_ * M + i_] : 0.0f; }
#define DENSE_LOAD_B_N                                                                   \
    for (int b_ = 0; b_ < DENSE_RN; ++b_) {                                              \
        const int c_ = lx + DENSE_TS * b_, p_ = p0 + ly, j_ = col0 + c_;                 \
        Bs[ly][c_] = (p_ < K && j_ < N) ? B[offB + (size_t)p_ * N + j_] : 0.0f; }
#define DENSE_LOAD_B_T                                                                   \
    for (int b_ = 0; b_ < DENSE_RN; ++b_) {                                              \
        const int c_ = ly + DENSE_TS * b_, p_ = p0 + lx, j_ = col0 + c_;                 \
        Bs[lx][c_] = (p_ < K && j_ < N) ? B[offB + (size_t)j_ * K + p_] : 0.0f; }

// accs[a][b] = Σ_p op(A)[row0 + ly + 16a][p] · op(B)[p][col0 + lx + 16b], fma in p order.
// Expands at kernel scope (it declares the __local tiles).
#define DENSE_TILED_ACC(LOADA, LOADB)                                                    \
    const int lx = get_local_id(0), ly = get_local_id(1);                                \
    const int col0 = get_group_id(0) * DENSE_TN, row0 = get_group_id(1) * DENSE_TM;      \
    __local float As[DENSE_TM][DENSE_TS + 1];                                            \
    __local float Bs[DENSE_TS][DENSE_TN + 1];                                            \
    float accs[DENSE_RM][DENSE_RN];                                                      \
    for (int a_ = 0; a_ < DENSE_RM; ++a_)                                                \
        for (int b_ = 0; b_ < DENSE_RN; ++b_) accs[a_][b_] = 0.0f;                       \
    for (int p0 = 0; p0 < K; p0 += DENSE_TS) {                                           \
        LOADA                                                                            \
        LOADB                                                                            \
        barrier(CLK_LOCAL_MEM_FENCE);                                                    \
        for (int q = 0; q < DENSE_TS; ++q) {                                             \
            float ar_[DENSE_RM], br_[DENSE_RN];                                          \
            for (int a_ = 0; a_ < DENSE_RM; ++a_) ar_[a_] = As[ly + DENSE_TS * a_][q];   \
            for (int b_ = 0; b_ < DENSE_RN; ++b_) br_[b_] = Bs[q][lx + DENSE_TS * b_];   \
            for (int a_ = 0; a_ < DENSE_RM; ++a_)                                        \
                for (int b_ = 0; b_ < DENSE_RN; ++b_)                                    \
                    accs[a_][b_] = fma(ar_[a_], br_[b_], accs[a_][b_]);                  \
        }                                                                                \
        barrier(CLK_LOCAL_MEM_FENCE);                                                    \
    }

// Runs STORE for each in-range output of this work-item, with row, col and acc defined.
#define DENSE_EPILOGUE(STORE)                                                            \
    for (int a_ = 0; a_ < DENSE_RM; ++a_) {                                              \
        const int row = row0 + ly + DENSE_TS * a_;                                       \
        for (int b_ = 0; b_ < DENSE_RN; ++b_) {                                          \
            const int col = col0 + lx + DENSE_TS * b_;                                   \
            if (row < M && col < N) { const float acc = accs[a_][b_]; STORE }            \
        }                                                                                \
    }

#define DENSE_GEMM_ARGS const int M, const int N, const int K, const float alpha,                 \
    __global const float *A, const int offA, __global const float *B, const int offB,             \
    const float beta, __global float *C, const int offC

// C = α·acc + β·C (C is not read when β = 0, as in BLAS).
#define DENSE_GEMM_STORE                                                                 \
    DENSE_EPILOGUE({                                                                     \
        const size_t idx_ = offC + (size_t)row * N + col;                                \
        float c_ = alpha * acc;                                                          \
        if (beta != 0.0f) c_ = fma(beta, C[idx_], c_);                                   \
        C[idx_] = c_;                                                                    \
    })

__kernel __attribute__((reqd_work_group_size(DENSE_TS, DENSE_TS, 1)))
void dense_gemm_nn(DENSE_GEMM_ARGS) { DENSE_TILED_ACC(DENSE_LOAD_A_N, DENSE_LOAD_B_N) DENSE_GEMM_STORE }

__kernel __attribute__((reqd_work_group_size(DENSE_TS, DENSE_TS, 1)))
void dense_gemm_nt(DENSE_GEMM_ARGS) { DENSE_TILED_ACC(DENSE_LOAD_A_N, DENSE_LOAD_B_T) DENSE_GEMM_STORE }

__kernel __attribute__((reqd_work_group_size(DENSE_TS, DENSE_TS, 1)))
void dense_gemm_tn(DENSE_GEMM_ARGS) { DENSE_TILED_ACC(DENSE_LOAD_A_T, DENSE_LOAD_B_N) DENSE_GEMM_STORE }

__kernel __attribute__((reqd_work_group_size(DENSE_TS, DENSE_TS, 1)))
void dense_gemm_tt(DENSE_GEMM_ARGS) { DENSE_TILED_ACC(DENSE_LOAD_A_T, DENSE_LOAD_B_T) DENSE_GEMM_STORE }

// Forward layer: Z = X·W + bias (X: M×K, W: K×N, bias: N), H = act(Z).
// Writes H when storeH, Z when storeZ.
__kernel __attribute__((reqd_work_group_size(DENSE_TS, DENSE_TS, 1)))
void dense_forward_nn(const int M, const int N, const int K,
                      __global const float *A, const int offA, __global const float *B, const int offB,
                      __global const float *bias, const int offBias, const int act,
                      __global float *H, const int offH, const int storeH,
                      __global float *Z, const int offZ, const int storeZ) {
    DENSE_TILED_ACC(DENSE_LOAD_A_N, DENSE_LOAD_B_N)
    DENSE_EPILOGUE({
        const size_t e = (size_t)row * N + col;
        const float z = acc + bias[offBias + col];
        if (storeZ) Z[offZ + e] = z;
        if (storeH) H[offH + e] = mlp_act(z, act);
    })
}

// Backward through a layer: dZ = (dZnext · Wᵀ) ⊙ act'(H)
// (dZnext: M×K, W stored N×K, H and dZ: M×N).
__kernel __attribute__((reqd_work_group_size(DENSE_TS, DENSE_TS, 1)))
void dense_backward_nt(const int M, const int N, const int K,
                       __global const float *A, const int offA, __global const float *B, const int offB,
                       const int act, __global const float *H, const int offH,
                       __global float *D, const int offD) {
    DENSE_TILED_ACC(DENSE_LOAD_A_N, DENSE_LOAD_B_T)
    DENSE_EPILOGUE({
        const size_t e = (size_t)row * N + col;
        D[offD + e] = acc * mlp_dact(H[offH + e], act);
    })
}

// dZ = dH ⊙ act'(H), element-wise over n entries.
__kernel void mlp_act_backward(const int n, __global const float *dH, const int offDH,
                               __global const float *H, const int offH, const int act,
                               __global float *dZ, const int offDZ) {
    const int i = get_global_id(0);
    if (i >= n) return;
    dZ[offDZ + i] = dH[offDH + i] * mlp_dact(H[offH + i], act);
}

// Y = act(X), element-wise over n entries (Y may be X).
__kernel void dense_activation(const int n, __global const float *X, const int offX, const int act,
                               __global float *Y, const int offY) {
    const int i = get_global_id(0);
    if (i >= n) return;
    Y[offY + i] = mlp_act(X[offX + i], act);
}

// out[j] = Σ_i X[i][j] in row order (bias gradients). One work-item per column.
__kernel void dense_colsum(const int rows, const int cols, __global const float *X, const int offX,
                           __global float *out, const int offOut) {
    const int j = get_global_id(0);
    if (j >= cols) return;
    float s = 0.0f;
    for (int i = 0; i < rows; ++i) s += X[offX + (size_t)i * cols + j];
    out[offOut + j] = s;
}

// dst[r][:] = src[idx[r]][:] for r < rows.
__kernel void dense_gather_rows(const int rows, const int cols, __global const float *src, const int offSrc,
                                __global const int *idx, __global float *dst, const int offDst) {
    const int e = get_global_id(0);
    if (e >= rows * cols) return;
    const int r = e / cols, c = e - r * cols;
    dst[offDst + e] = src[offSrc + (size_t)idx[r] * cols + c];
}

// Mean-squared-error gradient: d = P − T, G = scale·d, and (when storeSq) S = d·d.
__kernel void mlp_mse_grad(const int n, __global const float *P, const int offP,
                           __global const float *T, const int offT, const float scale,
                           __global float *G, const int offG, __global float *S, const int offS,
                           const int storeSq) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float d = P[offP + i] - T[offT + i];
    G[offG + i] = scale * d;
    if (storeSq) S[offS + i] = d * d;
}

// Adam (Kingma & Ba), in place, bias-corrected through host-computed factors:
//   g ← g + wd·p (entries i < decayCount only: L2 on weights, not biases)
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − lrc1·m / (sqrt(c2·v) + ε),   lrc1 = lr/(1−β1^t), c2 = 1/(1−β2^t)
__kernel void mlp_adam(const int n, __global float *P, const int offP, __global const float *G, const int offG,
                       __global float *Mo, const int offM, __global float *Vo, const int offV,
                       const float lrc1, const float c2, const float b1, const float omb1,
                       const float b2, const float omb2, const float eps, const float wd, const int decayCount) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float p = P[offP + i];
    float g = G[offG + i];
    if (i < decayCount) g = g + wd * p;
    const float m = b1 * Mo[offM + i] + omb1 * g;
    const float v = b2 * Vo[offV + i] + omb2 * (g * g);
    Mo[offM + i] = m;
    Vo[offV + i] = v;
    P[offP + i] = p - (lrc1 * m) / (sqrt(c2 * v) + eps);
}

// Partial sums of squares: partials[group] = Σ (a − b)² (or Σ a² when !hasB) over a grid-stride
// slice; the host adds the partials in double. Local size: a power of two.
__kernel void dense_sumsq_partial(const int n, __global const float *a, const int offA,
                                  __global const float *b, const int offB, const int hasB,
                                  __global float *partials, __local float *scratch) {
    const int lid = get_local_id(0);
    float s = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        float d = a[offA + i];
        if (hasB) d -= b[offB + i];
        s = fma(d, d, s);
    }
    scratch[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = get_local_size(0) / 2; w > 0; w >>= 1) {
        if (lid < w) scratch[lid] += scratch[lid + w];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) partials[get_group_id(0)] = scratch[0];
}
