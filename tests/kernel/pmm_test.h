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

/*
 * Allocate single pages until there are none left, adding each to s.
 * Returns how many; *bad counts those that were not allowed or were
 * already in s (so the caller reports one failure, not thousands).
 */
uint64_t drain_pages(struct page_set *s, uint64_t *bad);

#endif
