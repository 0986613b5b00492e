// A small spinning thread pool for the CPU FORCE reference: a training step of N = 1000 takes
// ~0.1 ms, so waking sleeping threads for every step (GCD's concurrentPerform) costs as much as
// the work. Workers spin on a ticket for about a millisecond after each job, then sleep on a
// condition variable until the next job.
//
// The ticket packs the job generation (high 32 bits) and the next task index (low 32 bits); a
// worker claims task i of generation g with a compare-and-swap, so a late worker can never claim
// a task of a job that is not the one it saw, and reads the job (stored in slot g % 2) only after
// its claim succeeded, i.e. while the caller still waits for that job.
#include "CFeedbackKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define WM_RELAX() _mm_pause()
#else
#define WM_RELAX() ((void)0)
#endif

typedef struct { void (*fn)(void *, int); void *ctx; atomic_int tasks; } job_t;

static job_t slots[2];
static _Atomic uint64_t ticket;          // generation << 32 | next task
static atomic_int remaining;              // tasks of the current job not yet finished
static pthread_mutex_t caller = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sleep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cv = PTHREAD_COND_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int workers = 0;

enum { SPINS = 20000 };

/// Claims and runs tasks of generation `gen` until none is left.
static void run_tasks(uint32_t gen) {
    for (;;) {
        uint64_t t = atomic_load_explicit(&ticket, memory_order_acquire);
        if ((uint32_t)(t >> 32) != gen) return;
        const job_t *job = &slots[gen & 1];
        uint32_t i = (uint32_t)t;
        // A stale slot (the job already done and its slot reused) only makes the claim below fail.
        if ((int)i >= atomic_load_explicit(&job->tasks, memory_order_relaxed)) return;
        if (!atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        job->fn(job->ctx, (int)i);
        atomic_fetch_sub_explicit(&remaining, 1, memory_order_acq_rel);
    }
}

static void *worker_main(void *arg) {
    (void)arg;
    uint32_t seen = 0;
    for (;;) {
        int spins = 0;
        uint32_t gen;
        while ((gen = (uint32_t)(atomic_load_explicit(&ticket, memory_order_acquire) >> 32)) == seen) {
            if (++spins < SPINS) { WM_RELAX(); continue; }
            pthread_mutex_lock(&sleep_mu);
            while ((uint32_t)(atomic_load_explicit(&ticket, memory_order_acquire) >> 32) == seen) pthread_cond_wait(&sleep_cv, &sleep_mu);
            pthread_mutex_unlock(&sleep_mu);
            spins = 0;
        }
        seen = gen;
        run_tasks(gen);
    }
    return NULL;
}

static void start_pool(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    if (cores > 64) cores = 64;
    for (long w = 0; w < cores - 1; w++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, NULL) == 0) workers++;
        pthread_attr_destroy(&attr);
    }
}

int wm_parallel_threads(void) {
    pthread_once(&once, start_pool);
    return workers + 1;
}

void wm_parallel_for(int tasks, void (*fn)(void *ctx, int index), void *ctx) {
    pthread_once(&once, start_pool);
    if (tasks <= 1 || workers == 0 || pthread_mutex_trylock(&caller) != 0) {
        for (int i = 0; i < tasks; i++) fn(ctx, i);
        return;
    }
    uint32_t gen = (uint32_t)(atomic_load_explicit(&ticket, memory_order_relaxed) >> 32) + 1;
    slots[gen & 1].fn = fn;
    slots[gen & 1].ctx = ctx;
    atomic_store_explicit(&slots[gen & 1].tasks, tasks, memory_order_relaxed);
    atomic_store_explicit(&remaining, tasks, memory_order_relaxed);
    pthread_mutex_lock(&sleep_mu);
    atomic_store_explicit(&ticket, (uint64_t)gen << 32, memory_order_release);
    pthread_cond_broadcast(&sleep_cv);
    pthread_mutex_unlock(&sleep_mu);
    run_tasks(gen);
    while (atomic_load_explicit(&remaining, memory_order_acquire) > 0) WM_RELAX();
    pthread_mutex_unlock(&caller);
}
