/*
 * Helpers shared by the page allocator test suites (pmm_*_test.c).
 *
 * Every suite tests the allocator chosen at boot (pmm= on the command
 * line) and skips its tests when another one was chosen. The checks are
 * against boot_memmap, the kernel's own description of memory.
 */
#ifndef DUET_PMM_TEST_H
#define DUET_PMM_TEST_H

#include "kernel/printf.h"
#include "kernel/spinlock.h"
#include "kernel/types.h"

/* Was the allocator called name chosen at boot? */
bool pmm_is(const char *name);

/* End the test as skipped unless pmm_is(name). */
void require_pmm(const char *name);

/* Is [pa, pa + npages pages) inside one usable range of boot_memmap, and
 * clear of every reserved range (firmware, kernel, DTB, ...)? */
bool pages_are_allowed(paddr_t pa, uint64_t npages);

/*
 * In a KTEST_SHOULD_PANIC test: the panic message must contain this text,
 * formatted. Say what you expect first, before anything that could panic
 * for another reason ("not implemented"), then refine it with addresses.
 */
void expect_panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* xorshift64: a repeatable sequence from a fixed seed. */
uint64_t random_below(uint64_t *state, uint64_t n);

/*
 * A set of pages, one bit per page from the lowest to the highest usable
 * address, to notice a page handed out twice. Its bits come from the
 * page allocator under test (page_set_destroy gives them back).
 */
struct page_set {
	paddr_t base;
	uint64_t npages;
	uint64_t *bits;
	paddr_t storage;
	uint64_t storage_pages;
	uint64_t count;         /* pages in the set */
};

bool page_set_create(struct page_set *s);
void page_set_destroy(struct page_set *s);
/* Add [pa, +npages); false if one of them is already in or out of range. */
bool page_set_add(struct page_set *s, paddr_t pa, uint64_t npages);
void page_set_remove(struct page_set *s, paddr_t pa, uint64_t npages);
bool page_set_contains(const struct page_set *s, paddr_t pa);
/* page_free() every page in the set, emptying it. */
void page_set_free_all(struct page_set *s);
/* The first page in the set at or above from (there must be one). */
paddr_t page_set_next(const struct page_set *s, paddr_t from);

/*
 * Allocate single pages until there are none left, adding each to s.
 * Returns how many; *bad counts those that were not allowed or were
 * already in s (so the caller reports one failure, not thousands).
 */
uint64_t drain_pages(struct page_set *s, uint64_t *bad);

/*
 * ---- Checks every page allocator passes --------------------------------
 *
 * The bitmap, free-list and buddy suites (pmm_bitmap_test.c,
 * pmm_freelist_test.c, buddy_test.c) test the same promises of the
 * page_alloc interface; each check below is the body of such a test,
 * and each suite's KTEST calls it. s is the page set the suite holds its
 * pages in; free_fn is how the allocator's panics name the function
 * ("bitmap_free").
 */

/* Suite init on the allocator called pmm (nothing if another one was
 * chosen): record the free count in *free_at_start, create s. */
void pmm_suite_init(const char *pmm, uint64_t *free_at_start,
		    struct page_set *s);

/* The leak check of a suite's exit hook: destroy s (its own pages go
 * back), then the free count must be what it was at the start. */
void check_free_count_is_back(struct page_set *s, uint64_t free_at_start);

/* 256 single pages are usable RAM clear of reserved ranges, no page is
 * handed out twice, and the free count goes down by 256 and back up when
 * they are freed. */
void check_pages_are_usable_ram_and_distinct(struct page_set *s);

/* A page and a 3-page run at every alignment from 1 to 512 pages are
 * aligned as asked, usable and not reserved. */
void check_alignment(void);

/* Runs of 2 to 1000 pages are usable, not reserved, and overlap nothing
 * handed out before. The runs are left in s, for the caller to check
 * more (or just free). */
void take_contiguous_runs(struct page_set *s);

/* Allocating single pages until none is left hands out exactly as many
 * as the free count said, every one usable and none twice. The pages are
 * left in s; returns the free count before. */
uint64_t check_every_page_is_handed_out(struct page_set *s);

/* Allocate single pages (into s) until none is left: then the free count
 * is 0 and page_alloc(1) fails with PHYS_NONE. */
void drain_and_check_exhausted(struct page_set *s);

/* On an exhausted allocator, free a and then b, the two lowest pages s
 * holds: the free count is 2, they come back last in first out (b, then
 * a), and then nothing is left. On return *a and *b are allocated again,
 * out of s. */
void check_frees_are_reused_lifo(struct page_set *s, paddr_t *a,
				 paddr_t *b);

/* (KTEST_SHOULD_PANIC) Freeing a page twice panics, naming free_fn, the
 * page and the rule: why, e.g. "is already free (double free)". */
void check_double_free_panics(const char *free_fn, const char *why);

/* (KTEST_SHOULD_PANIC) Freeing an address that is not page aligned
 * panics, naming free_fn and the address. */
void check_unaligned_free_panics(const char *free_fn);

/* (KTEST_SHOULD_PANIC) Freeing a page of the kernel image panics: it is
 * outside the memory the allocator manages. */
void check_freeing_the_kernel_panics(const char *free_fn);

/* After the panic tests: the allocator's lock was released when each
 * panic was caught, this CPU holds no spinlock, and a page can still be
 * allocated and freed. */
void check_the_lock_is_free_after_a_panic(const struct spinlock *lock);

/*
 * ---- A random sequence of allocations and frees --------------------------
 *
 * The frame of each suite's random_allocs_and_frees test: a fixed seed,
 * 128 slots that each hold a run of pages or nothing, the pages held (in
 * a page set, which notices a page handed out twice) and a count of
 * wrong answers. What to ask for, and when a failure is wrong, is each
 * suite's own.
 */
struct held_run {
	paddr_t pa;
	uint64_t n;             /* pages; 0: the slot is empty */
};

struct random_test {
	uint64_t seed;
	uint64_t bad;           /* wrong answers so far */
	uint64_t free_at_start;
	struct page_set *held_pages;
	struct held_run slot[128];
};

/* Start: seed 0x5eed, no wrong answer, every slot empty. */
void random_test_start(struct random_test *t, struct page_set *held_pages);

/* A slot, chosen at random. */
struct held_run *random_slot(struct random_test *t);

/* Give back all of run but its first keep pages. */
void random_release(struct random_test *t, struct held_run *run,
		    uint64_t keep);

/* Is the free count what it was at the start, less the pages held? */
bool random_free_count_is_right(const struct random_test *t);

/* The end: no wrong answer, and once the runs still held are given back
 * the free count is where it started. */
void random_test_end(struct random_test *t);

#endif
