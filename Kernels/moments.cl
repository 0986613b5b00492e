// Lag-target moments of a linear readout, accumulated on the device while a network runs, so
// that the recorded states never leave it (capacity: SᵀS and SᵀY for every lag at once).
//
// For network m and every recorded row (state time t) and trial b of a run of rows, with
//   z = [ x(t) − c ; u(t − 1) − d, …, u(t − K) − d ; 1 ]            (length W = N + K + 1)
// the kernel adds Σ z_i z_j into acc[m][i][j] for i < N and j ≥ i: the shifted state Gram matrix
// (upper triangle), the cross products with every lag target, and Σ (x − c) in the last column.
// c (per network, a state of the segment) and d (a value near the input mean) keep the raw sums
// close to the centred ones; the host removes the shift exactly (SegmentMoments). Values are
// converted to double before the subtraction (exact for floats) and summed in double, so the
// result equals the host's double accumulation up to summation order.
// Needs cl_khr_fp64; without it the host accumulates downloaded states instead.
#pragma OPENCL FP_CONTRACT OFF

#ifdef WM_HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

#define WM_MT 64   // output tile (WM_MT × WM_MT), 16 × 16 work-items of 4 × 4 outputs each
#define WM_MK 16   // rows per step through local memory

inline double wm_mom_z(const int j, const int N, const int K, const int B, const int M, const int m,
                       const int row, const int b, const int t, __global const float *rec,
                       __global const float *shift, __global const float *u, const float d) {
    if (j < N) return (double)rec[(((size_t)row * M + m) * B + b) * N + j] - (double)shift[(size_t)m * N + j];
    if (j < N + K) return (double)u[(size_t)(t - (j - N + 1)) * B + b] - (double)d;
    return j == N + K ? 1.0 : 0.0;
}

// One 16 × 16 work-group per (tile, network): tiles[g] = (row tile, column tile) with column
// tile ≥ row tile. Rows r0 … r0 + R − 1 of rec[row][M][B][N]; row r holds x(t0 + r); u[t][B] is
// the target stream. Item (lx, ly) owns outputs (i0 + ly + 16a, j0 + lx + 16b), a, b < 4.
__kernel void moments_accumulate(const int N, const int K, const int B, const int M, const int r0, const int R,
                                 const int t0, __global const float *rec, __global const float *shift,
                                 __global const float *u, const float d, __global const int2 *tiles,
                                 __global double *acc) {
    __local double zi[WM_MK][WM_MT];
    __local double zj[WM_MK][WM_MT];
    const int lx = get_local_id(0), ly = get_local_id(1), lid = ly * 16 + lx;
    const int2 tile = tiles[get_group_id(0)];
    const int m = get_group_id(1);
    const int i0 = tile.x * WM_MT, j0 = tile.y * WM_MT;
    const int W = N + K + 1, rows = R * B;
    double sum[4][4];
    for (int a = 0; a < 4; ++a) for (int c = 0; c < 4; ++c) sum[a][c] = 0.0;
    for (int base = 0; base < rows; base += WM_MK) {
        for (int e = 0; e < 4; ++e) {
            const int idx = e * 256 + lid, s = idx / WM_MT, col = idx % WM_MT;
            const int q = base + s;
            double a = 0.0, c = 0.0;
            if (q < rows) {
                const int r = q / B, b = q - r * B;
                const int row = r0 + r, t = t0 + row;
                if (i0 + col < N) a = wm_mom_z(i0 + col, N, K, B, M, m, row, b, t, rec, shift, u, d);
                c = wm_mom_z(j0 + col, N, K, B, M, m, row, b, t, rec, shift, u, d);
            }
            zi[s][col] = a;
            zj[s][col] = c;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int s = 0; s < WM_MK; ++s) {
            double av[4], bv[4];
            for (int a = 0; a < 4; ++a) av[a] = zi[s][ly + 16 * a];
            for (int c = 0; c < 4; ++c) bv[c] = zj[s][lx + 16 * c];
            for (int a = 0; a < 4; ++a) for (int c = 0; c < 4; ++c) sum[a][c] = fma(av[a], bv[c], sum[a][c]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int a = 0; a < 4; ++a) {
        const int i = i0 + ly + 16 * a;
        if (i >= N) continue;
        for (int c = 0; c < 4; ++c) {
            const int j = j0 + lx + 16 * c;
            if (j < W && j >= i) acc[((size_t)m * N + i) * W + j] += sum[a][c];
        }
    }
}

// shift[m][i] = x_i of record row `row`, trial 0 (the reference state c of a segment).
__kernel void moments_shift(const int N, const int B, const int M, const int row, __global const float *rec,
                            __global float *shift) {
    const int i = get_global_id(0), m = get_global_id(1);
    if (i >= N || m >= M) return;
    shift[(size_t)m * N + i] = rec[((size_t)row * M + m) * B * N + i];
}
#endif
