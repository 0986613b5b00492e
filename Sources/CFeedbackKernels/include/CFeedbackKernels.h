#ifndef WMSIM_FEEDBACK_KERNELS_H
#define WMSIM_FEEDBACK_KERNELS_H

#include <stddef.h>

/// h[i] = sum_j J[i*ld + j] * r[j] for rows [0, rows): float weights, double rates and sums.
void wm_matvec_f32_f64(int rows, int n, const float *J, ptrdiff_t ld, const double *r, double *h);

/// One pass over rows [row0, row1) of the upper triangle of a symmetric P (row-major, stride
/// ld): first applies a pending rank-1 update P <- P - c k k^T (when has_pending), then adds
/// those rows' contributions to k' = P r into acc[0..n) (zeroed by the caller).
void wm_rls_rows(int n, int row0, int row1, double *P, ptrdiff_t ld, int has_pending, const double *k, double c,
                 const double *r, double *acc);

/// One Euler step of a feedback network, rows split into `blocks` tasks (bounds[0..blocks]):
///   x_i <- x_i + a*(-x_i + g*(J r)_i + wf_i z + wfd_i0 zd0 + wfd_i1 zd1 + wi_i0 u0 + wi_i1 u1),
///   r_next_i = tanh(x_i).
typedef struct {
    int n;
    const float *J;        // [n][n], without g
    const double *wi;      // [n][2]
    const double *wf;      // [n]
    const double *wfd;     // [n][2]
    double *x;             // [n], advanced in place
    const double *r;       // [n]
    double *r_next;        // [n]
    double g, a, u0, u1, z, zd0, zd1;
    int blocks;
    const int *bounds;     // [blocks + 1]
} wm_step_args;
void wm_feedback_step(const wm_step_args *args);

/// The RLS pass of `wm_rls_rows` over row blocks (bounds[0..blocks]) in parallel; block t adds
/// into acc + t*n (blocks*n values, zeroed by the caller), so the sum over blocks does not depend
/// on which thread ran which block.
void wm_rls_pass(int n, double *P, int has_pending, const double *k, double c, const double *r, double *acc,
                 int blocks, const int *bounds);

/// Runs fn(ctx, i) for i in [0, tasks) on a pool of spinning worker threads (one per core
/// beyond the caller's); inline when there is one core, one task, or the pool is busy.
void wm_parallel_for(int tasks, void (*fn)(void *ctx, int index), void *ctx);

/// Threads that run `wm_parallel_for` tasks, the caller included.
int wm_parallel_threads(void);

/// Whether the vectorised (AVX2 + FMA) paths run on this CPU.
int wm_feedback_kernels_vectorised(void);

/// Tests only: 0 forces the portable loops, 1 the vectorised ones where the CPU has them, so
/// both paths can be compared on one machine. Not thread-safe against running kernels.
void wm_feedback_kernels_use_vectorised(int on);

#endif
