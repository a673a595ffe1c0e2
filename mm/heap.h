/*
 * The kernel heap (lab 4): kmalloc() and kfree() for objects of any size,
 * carved out of pages from the page allocator (mm/page_alloc.h).
 *
 *   struct thing *t = kmalloc(sizeof(*t));    16-byte aligned, or NULL
 *   char *buf = kzalloc(100);                 zero-filled
 *   buf = krealloc(buf, 200);                 keeps the first 100 bytes
 *   kfree(t);
 *   kfree(NULL);                              does nothing
 *
 * The rules:
 *  - every pointer returned is 16-byte aligned;
 *  - kmalloc(0) returns a unique minimal chunk (not NULL): a pointer that
 *    may not be read or written but must be kfree'd like any other. One
 *    rule for every size means no special case in callers or in here;
 *  - a request above HEAP_MAX_REQUEST returns NULL at once. No machine
 *    Duet runs on has that much memory, so the size can only come from
 *    arithmetic that overflowed, and it must never become a small chunk;
 *  - krealloc(NULL, n) is kmalloc(n); if krealloc fails it returns NULL
 *    and the old block is untouched.
 *
 * How it works (the details are in mm/heap_chunk.h):
 *  - small requests are chunks inside 64 KiB "spans" of pages. Each chunk
 *    has a header tag; a free chunk also has a footer tag (boundary tags),
 *    so kfree merges a chunk with both neighbours in O(1);
 *  - free chunks sit on 64 segregated free lists by size (mm/heap_class.c);
 *  - when no free chunk fits, the heap grows by one span; a span that
 *    becomes entirely free goes back to the page allocator
 *    (mm/heap_span.c);
 *  - requests of HEAP_LARGE_MIN bytes or more get whole pages of their own,
 *    behind a 32-byte header (mm/heap_large.c).
 *
 * Broken rules panic, naming the function, the heap, the address and the
 * rule (mm/heap_check.c): a double free; freeing a pointer the heap never
 * returned (unaligned, interior, outside the heap, into a free chunk); a
 * chunk header overwritten by an overflow from the chunk before it; a
 * write to freed memory (free chunks are filled with poison, checked when
 * the memory is handed out again). The heap lock is released first.
 *
 * The functions come in two flavours: heap_alloc(h, n) and friends work on
 * any struct heap (tests use heaps of their own), kmalloc(n) and friends
 * on the kernel's heap, kheap.
 */
#ifndef DUET_HEAP_H
#define DUET_HEAP_H

#include "kernel/spinlock.h"
#include "kernel/types.h"

#define HEAP_ALIGN       16
#define HEAP_MAX_REQUEST ((size_t)1 << 39)       /* 512 GiB */
#define HEAP_LARGE_MIN   ((size_t)16 * KiB)      /* and up: whole pages */
#define HEAP_NCLASSES    64

struct chunk;
struct span;
struct large;

struct heap {
	struct spinlock lock;
	const char *name;               /* for messages: "kernel", "test" */
	const char *op;                 /* the entry point running */
	bool ready;                     /* heap_init() has run */
	struct chunk *free[HEAP_NCLASSES];  /* segregated free lists */
	uint64_t nonempty;              /* bit c set: free[c] is not empty */
	struct span *spans;             /* every span we hold */
	struct large *large;            /* every large allocation */
	/* Every address the heap ever held lies in [lo, hi): a pointer
	 * outside is rejected before anything reads memory near it. */
	uintptr_t lo, hi;
	uint64_t pages;                 /* held from the page allocator now */
	uint64_t peak_pages;            /* ... at most, since heap_init() */
};

/* A snapshot, in bytes unless it says otherwise. */
struct heap_stats {
	uint64_t pages, peak_pages;     /* from the page allocator */
	uint64_t spans, large;          /* how many of each */
	uint64_t used_chunks;           /* live allocations, large included */
	uint64_t used_bytes;            /* their usable bytes */
	uint64_t free_chunks;
	uint64_t free_bytes;            /* usable bytes in free chunks */
	uint64_t largest_free;          /* usable bytes, biggest free chunk */
	uint64_t overhead_bytes;        /* pages - used - free: tags, headers */
};

/* Start an empty heap (no pages yet). Panics if there is no page
 * allocator to grow it with. */
void heap_init(struct heap *h, const char *name);

void *heap_alloc(struct heap *h, size_t size);
void *heap_zalloc(struct heap *h, size_t size);
void *heap_realloc(struct heap *h, void *p, size_t size);
void  heap_free(struct heap *h, void *p);

/* How many bytes of p may be used (at least what was asked for). */
size_t heap_usable_size(struct heap *h, void *p);

void heap_get_stats(struct heap *h, struct heap_stats *st);

/*
 * Walk every span, chunk and free list and panic at the first broken
 * invariant (bad tag, two free neighbours, a free chunk missing from its
 * list or not poisoned, ...). O(heap size): for tests and debugging.
 */
void heap_check(struct heap *h);

/*
 * Give every page back to the page allocator without looking at a single
 * chunk, and leave h empty. For a heap that can no longer be trusted:
 * tests that corrupt a heap on purpose clean up with this.
 */
void heap_destroy(struct heap *h);

/* Print the chunk table (at most max_rows rows) and a summary. */
void heap_print(struct heap *h, unsigned max_rows);

/* ---- The kernel heap ----------------------------------------------------- */

extern struct heap kheap;

/* A boot step: start kheap once the page allocator runs. */
void kheap_init(void);

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *krealloc(void *p, size_t size);
void  kfree(void *p);

#endif
