/* Per-thread scratch buffers that persist between kernel calls (see ck_scratch in ck.h).
 *
 * OpenMP worker threads live as long as the process, so their buffers are allocated once per size class
 * and then reused: no page faults after the first calls. Each thread's buffers hang off a pthread key whose
 * destructor frees them when the thread ends. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "ck.h"

typedef struct {
    void *buf[CK_SCRATCH_SLOTS];
    size_t cap[CK_SCRATCH_SLOTS];
} ck_scratch_set;

static pthread_key_t ck_key;
static pthread_once_t ck_key_once = PTHREAD_ONCE_INIT;

static void ck_scratch_free(void *p) {
    ck_scratch_set *set = p;
    for (int i = 0; i < CK_SCRATCH_SLOTS; i++) free(set->buf[i]);
    free(set);
}

static void ck_make_key(void) { pthread_key_create(&ck_key, ck_scratch_free); }

void *ck_scratch(int slot, size_t bytes) {
    if (slot < 0 || slot >= CK_SCRATCH_SLOTS) return NULL;
    pthread_once(&ck_key_once, ck_make_key);
    ck_scratch_set *set = pthread_getspecific(ck_key);
    if (!set) {
        set = calloc(1, sizeof *set);
        if (!set || pthread_setspecific(ck_key, set) != 0) {
            free(set);
            return NULL;
        }
    }
    if (bytes == 0) bytes = 64;
    if (set->cap[slot] < bytes) {
        size_t cap = (bytes + bytes / 4 + 63) / 64 * 64; /* some headroom: sizes vary a little */
        void *p = NULL;
        if (posix_memalign(&p, 64, cap) != 0) return NULL;
        free(set->buf[slot]);
        set->buf[slot] = p;
        set->cap[slot] = cap;
    }
    return set->buf[slot];
}

/* Ask the kernel for small pages in [p, p + n), before anything is written there. numpy advises transparent
 * huge pages for arrays of 4 MB and more; when two threads then first-touch halves of a fresh output, the
 * huge-page faults (with compaction when memory is fragmented) can stall one thread for tens of ms, and
 * the other waits for it. Small-page faults are cheap and spread evenly. Best effort: errors are ignored. */
void ck_no_huge_pages(void *p, size_t n) {
#if defined(__linux__) && defined(MADV_NOHUGEPAGE)
    const uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t end = ((uintptr_t)p + n) & ~(page - 1);
    if (end > start) madvise((void *)start, end - start, MADV_NOHUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}
