// Bandwidth probe for `wmsim bench`: a streaming copy (reads n floats, writes n floats).
__kernel void bench_copy(const int n, __global const float4 *src, __global float4 *dst) {
    int i = get_global_id(0);
    if (i < n) dst[i] = src[i];
}
