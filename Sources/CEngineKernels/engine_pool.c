// The CPU engine's persistent worker threads (`wm_pool_run`, declared in CEngineKernels.h).
#include "CEngineKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

// MARK: persistent workers

/// The pool: persistent threads that take the parts of each `wm_pool_run`. Thread w first takes
/// the parts p with p % workers == w, so on a quiet machine each thread runs the same rows every
/// step and their weights stay in its core's L2 (Dispatch hands blocks to whichever thread is
/// free, and the rows then travel between the cores' caches); a part nobody has started yet is
/// taken by whoever is free, so a thread the OS has descheduled (a shared machine) does not hold
/// the step up. Waiting spins first (a step of a small network is tens of microseconds, a
/// sleep/wake-up pair about as long), then sleeps, so that an idle engine costs nothing.
enum { POOL_MAX = 64, SPIN_ROUNDS = 4000 };

/// One run: lives on the caller's stack until every part is done; parts are claimed under the
/// pool's lock while it is `pool.job`.
typedef struct {
    wm_pool_fn fn;
    void *ctx;
    int parts;
    int workers;
    uint64_t claimed;  // bit p: part p taken
} pool_job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;      // workers: a new generation
    pthread_cond_t done;      // caller: every part done
    atomic_uint generation;
    atomic_int finished;      // parts of the current job done
    atomic_int sleepers;      // workers blocked (or about to block) on `wake`
    atomic_int callerSleeps;  // the caller blocked (or about to block) on `done`
    atomic_flag busy;         // a run in progress: another caller runs its parts itself
    int threads;              // workers started (1…threads)
    pool_job *job;            // the run whose parts are being handed out (under `lock`)
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, ATOMIC_FLAG_INIT, 0, NULL};

static inline void pool_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/// Runs parts of the current job until none is left to take: first worker w's own (p % workers
/// == w), then any.
static void pool_take_parts(int w) {
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        pool_job *job = pool.job;
        int part = -1;
        if (job) {
            for (int p = w; p < job->parts && part < 0; p += job->workers)
                if (!(job->claimed >> p & 1)) part = p;
            for (int p = 0; p < job->parts && part < 0; p++)
                if (!(job->claimed >> p & 1)) part = p;
            if (part >= 0) job->claimed |= (uint64_t)1 << part;
        }
        pthread_mutex_unlock(&pool.lock);
        if (part < 0) return;
        // The job stays alive until its last part is counted below.
        const int parts = job->parts;
        job->fn(job->ctx, part);
        if (atomic_fetch_add_explicit(&pool.finished, 1, memory_order_acq_rel) + 1 == parts && atomic_load(&pool.callerSleeps)) {
            pthread_mutex_lock(&pool.lock);
            pthread_cond_signal(&pool.done);
            pthread_mutex_unlock(&pool.lock);
        }
    }
}

static void *pool_worker(void *arg) {
    // The generation current when the thread was created (the run that creates it bumps the
    // generation afterwards, possibly before this thread starts): that run is the first it serves.
    const int w = (int)((uintptr_t)arg & 0xff);
    unsigned seen = (unsigned)((uintptr_t)arg >> 8);
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen && spins < SPIN_ROUNDS) {
            pool_pause();
            spins++;
        }
        if (atomic_load_explicit(&pool.generation, memory_order_acquire) == seen) {
            // Announce the sleep before checking again under the lock: the caller bumps the
            // generation, then looks at `sleepers`, so one of the two sees the other.
            atomic_fetch_add(&pool.sleepers, 1);
            pthread_mutex_lock(&pool.lock);
            while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
            pthread_mutex_unlock(&pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
        }
        seen = atomic_load_explicit(&pool.generation, memory_order_acquire);
        pool_take_parts(w);
    }
    return NULL;
}

void wm_pool_run(int parts, wm_pool_fn fn, void *ctx) {
    if (parts <= 1 || parts > POOL_MAX || atomic_flag_test_and_set(&pool.busy)) {
        for (int p = 0; p < parts; p++) fn(ctx, p);
        return;
    }
    while (pool.threads < parts - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int ok = pthread_create(&t, &attr, pool_worker,
                                      (void *)(((uintptr_t)atomic_load(&pool.generation) << 8) | (uintptr_t)(pool.threads + 1))) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) break;
        pool.threads++;
    }
    pool_job job = {fn, ctx, parts, parts, 0};
    atomic_store(&pool.finished, 0);
    pthread_mutex_lock(&pool.lock);
    pool.job = &job;
    pthread_mutex_unlock(&pool.lock);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    if (atomic_load(&pool.sleepers)) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    pool_take_parts(0);  // with no threads started (creation failed), every part runs here
    int spins = 0;
    while (atomic_load_explicit(&pool.finished, memory_order_acquire) < parts && spins < SPIN_ROUNDS) {
        pool_pause();
        spins++;
    }
    if (atomic_load_explicit(&pool.finished, memory_order_acquire) < parts) {
        atomic_store(&pool.callerSleeps, 1);
        pthread_mutex_lock(&pool.lock);
        while (atomic_load(&pool.finished) < parts) pthread_cond_wait(&pool.done, &pool.lock);
        pthread_mutex_unlock(&pool.lock);
        atomic_store(&pool.callerSleeps, 0);
    }
    pthread_mutex_lock(&pool.lock);
    pool.job = NULL;
    pthread_mutex_unlock(&pool.lock);
    atomic_flag_clear(&pool.busy);
}
