// Input stream chunk u[(s*B + b)*nIn + k] for steps t0..t0+count-1; mirrors InputStream.swift.
// kind: 0 none, 1 uniform, 2 gaussian, 3 onehot.
__kernel void gen_input(const int t0, const int count, const int B, const int nIn, const int kind,
                        const float amp, const uint2 key, const int holdSteps, const int burnIn,
                        __global float *u) {
    int s = get_global_id(0), b = get_global_id(1);
    if (s >= count || b >= B) return;
    uint t = (uint)(t0 + s);
    __global float *row = u + ((size_t)s * B + b) * nIn;
    if (kind == 1) {
        for (int k = 0; k < nIn; k += 4) {
            uint4 w = philox4x32_10((uint4)(t, (uint)b, (uint)(k >> 2), STREAM_INPUT), key);
            uint ws[4] = {w.x, w.y, w.z, w.w};
            for (int q = 0; q < 4 && k + q < nIn; ++q) row[k + q] = (rb_unit(ws[q]) * 2.0f - 1.0f) * amp;
        }
    } else if (kind == 2) {
        for (int k = 0; k < nIn; ++k) {
            uint4 w = philox4x32_10((uint4)(t, (uint)b, (uint)(k >> 1), STREAM_INPUT), key);
            float z = (k & 1) ? rb_normal(w.z, w.w) : rb_normal(w.x, w.y);
            row[k] = z * amp;
        }
    } else if (kind == 3) {
        for (int k = 0; k < nIn; ++k) row[k] = 0.0f;
        if ((int)t >= burnIn) {
            uint q = (uint)(((int)t - burnIn) / holdSteps);
            uint4 w = philox4x32_10((uint4)(q, (uint)b, 0u, STREAM_ONEHOT), key);
            uint item = mul_hi(w.x, (uint)nIn);
            row[item] = amp;
        }
    } else {
        for (int k = 0; k < nIn; ++k) row[k] = 0.0f;
    }
}

// Initial state x[(m*N + i)*B + b] uniform in [lo, hi).
__kernel void init_state(const int N, const int B, const float lo, const float hi,
                         __global const uint2 *keys, __global float *x) {
    int ib = get_global_id(0), m = get_global_id(1);
    if (ib >= N * B) return;
    int i = ib / B, b = ib % B;
    uint4 w = philox4x32_10((uint4)((uint)i, (uint)b, 0u, STREAM_INIT), keys[m]);
    x[((size_t)m * N + i) * B + b] = fma(hi - lo, rb_unit(w.x), lo);
}

// Gathers recorded neurons of every trajectory into row `row` of rec[row][M][B][W].
__kernel void record_gather(const int N, const int B, const int M, const int W, const int row,
                            __global const int *idx, __global const float *x, __global float *rec) {
    int q = get_global_id(0), mb = get_global_id(1);
    if (q >= W || mb >= M * B) return;
    int m = mb / B, b = mb % B;
    int i = idx[q];
    rec[(((size_t)row * M + m) * B + b) * W + q] = x[((size_t)m * N + i) * B + b];
}
