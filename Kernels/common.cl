// Common header of every program: Philox4x32-10 (Random123), the word-to-number conversions
// and the stream identifiers. Must stay bit-identical to Sources/WMCore/Random/Philox.swift and
// Sources/WMCore/Random/RandomStreams.swift (known-answer and parity tests check both).

#define STREAM_W_STRUCT   1u
#define STREAM_W_VALUE    2u
#define STREAM_IN_WEIGHT  3u
#define STREAM_INPUT      4u
#define STREAM_ONEHOT     5u
#define STREAM_INIT       6u
#define STREAM_NOISE      7u
#define STREAM_TASK_ORDER 8u
#define STREAM_TASK_STIM  9u
#define STREAM_FB_STRUCT 10u
#define STREAM_FB_WEIGHT 11u
#define STREAM_ANALYSIS_START 12u
#define STREAM_READOUT_SUBSET 13u

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

inline uint4 philox4x32_10(uint4 c, uint2 k) {
    for (int r = 0; r < 10; ++r) {
        if (r > 0) { k.x += PHILOX_W0; k.y += PHILOX_W1; }
        uint hi0 = mul_hi(PHILOX_M0, c.x), lo0 = PHILOX_M0 * c.x;
        uint hi1 = mul_hi(PHILOX_M1, c.z), lo1 = PHILOX_M1 * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// Uniform [0,1) with 24 bits; exact in float.
inline float rb_unit(uint w) { return (float)(w >> 8) * (1.0f / 16777216.0f); }
// Uniform in the open interval (0,1): odd multiples of 2^-24, exact.
inline float rb_unit_open(uint w) { return (float)(((w >> 9) << 1) | 1u) * (1.0f / 16777216.0f); }
// Standard normal, Box-Muller cosine branch.
inline float rb_normal(uint a, uint b) {
    float u1 = rb_unit_open(a);
    float u2 = rb_unit(b);
    return sqrt(-2.0f * log(u1)) * cos(6.28318530717958647692f * u2);
}

// Stored recurrent weights (Sources/WMCore/Network/WeightPrecision.swift): VAL_T is what a
// buffer holds, WM_W reads entry q as float, WM_W8 reads 8 from p + j, WM_PUT_W stores v
// rounded to nearest even. Sums are always accumulated in float.
#if defined(WM_VAL_FP16)
#define VAL_T half
#define WM_W(p, q) vload_half((q), (p))
#define WM_W8(p, j) vload_half8(0, (p) + (j))
#define WM_PUT_W(p, q, v) vstore_half_rte((v), (q), (p))
#elif defined(WM_VAL_BF16)
#define VAL_T ushort
inline ushort wm_bf16(float v) {
    uint u = as_uint(v);
    if (isnan(v)) return (ushort)((u >> 16) | 0x40u);
    return (ushort)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
#define WM_W(p, q) as_float(((uint)(p)[q]) << 16)
#define WM_W8(p, j) as_float8(convert_uint8(vload8(0, (p) + (j))) << 16)
#define WM_PUT_W(p, q, v) ((p)[q] = wm_bf16(v))
#else
#define VAL_T float
#define WM_W(p, q) ((p)[q])
#define WM_W8(p, j) vload8(0, (p) + (j))
#define WM_PUT_W(p, q, v) ((p)[q] = (v))
#endif

// Rows per slice of the device's SELL-C-σ layout (Sources/WMCore/Network/SELLLayout.swift).
#ifndef WM_SELL_C
#define WM_SELL_C 32
#endif
