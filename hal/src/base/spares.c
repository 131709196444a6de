/*
 * spares.c - freed records of one size kept for the next request.
 *
 * Each I/O makes and frees the same few records (its IRP and the I/O manager's record of it,
 * the kernel thread that runs the dispatch routine, the send record); glibc's allocator costs
 * about a hundred instructions each way for them, a spare list two. A list keeps at most
 * `keep` records, so a burst does not hold its peak for the rest of the run. Under
 * AddressSanitizer a kept record is poisoned, so a use after free is still caught.
 */
#include <stdlib.h>
#include <string.h>

#include "base.h"

#if defined(__SANITIZE_ADDRESS__)
#define SPARES_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPARES_ASAN 1
#endif
#endif
#ifdef SPARES_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct spare {
    struct spare *next;
};

void spares_init(struct hal_spares *s, size_t size, size_t align, unsigned keep)
{
    s->head = NULL;
    s->count = 0;
    s->keep = keep;
    s->align = align < sizeof(void *) ? sizeof(void *) : align;
    s->size = (size < sizeof(struct spare) ? sizeof(struct spare) : size);
    s->size = (s->size + s->align - 1) / s->align * s->align; /* aligned_alloc's rule */
}

void *spares_get(struct hal_spares *s)
{
    struct spare *p = s->head;

    if (p == NULL) {
        p = aligned_alloc(s->align, s->size);
        if (p == NULL)
            return NULL;
    } else {
        UNPOISON(p, s->size);
        s->head = p->next;
        s->count--;
    }
    memset(p, 0, s->size);
    return p;
}

void spares_put(struct hal_spares *s, void *record)
{
    struct spare *p = record;

    if (p == NULL)
        return;
    if (s->count >= s->keep) {
        free(p);
        return;
    }
    p->next = s->head;
    s->head = p;
    s->count++;
    POISON((uint8_t *)p + sizeof(*p), s->size - sizeof(*p));
}

void spares_free(struct hal_spares *s)
{
    while (s->head != NULL) {
        struct spare *p = s->head;
        UNPOISON(p, s->size);
        s->head = p->next;
        free(p);
    }
    s->count = 0;
}
