/*
 * Helpers shared by the page allocator test suites. See pmm_test.h.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/page_alloc.h"
#include "tests/kernel/pmm_test.h"

bool pmm_is(const char *name)
{
	return strcmp(pmm_name(), name) == 0;
}

void require_pmm(const char *name)
{
	static char reason[48];

	if (pmm_is(name))
		return;
	ksnprintf(reason, sizeof(reason), "needs pmm=%s", name);
	KT_SKIP(reason);
}

bool pages_are_allowed(paddr_t pa, uint64_t npages)
{
	paddr_t end = pa + npages * PAGE_SIZE;

	if (!memmap_is_usable(&boot_memmap, pa, npages * PAGE_SIZE))
		return false;
	for (unsigned i = 0; i < boot_memmap.nreserved; i++) {
		const struct reserved_range *r = &boot_memmap.reserved[i];
		if (pa < r->end && r->base < end)
			return false;
	}
	return true;
}

void expect_panic(const char *fmt, ...)
{
	static char text[128];  /* checked after the test: must outlive it */
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	KT_PANIC_MESSAGE_CONTAINS(text);
}

uint64_t random_below(uint64_t *state, uint64_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state % n;
}

/* ---- Page sets --------------------------------------------------------- */

bool page_set_create(struct page_set *s)
{
	const struct mem_range *usable = boot_memmap.usable;

	s->base = usable[0].base;
	s->npages = (usable[boot_memmap.nusable - 1].end - s->base) / PAGE_SIZE;
	uint64_t bytes = ALIGN_UP(s->npages, 64) / 8;
	s->storage_pages = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
	s->storage = page_alloc(s->storage_pages);
	if (s->storage == PHYS_NONE)
		return false;
	s->bits = phys_to_virt(s->storage);
	memset(s->bits, 0, bytes);
	s->count = 0;
	return true;
}

void page_set_destroy(struct page_set *s)
{
	if (s->storage != PHYS_NONE)
		page_free(s->storage, s->storage_pages);
	s->storage = PHYS_NONE;
}

static uint64_t index_of(const struct page_set *s, paddr_t pa)
{
	return (pa - s->base) / PAGE_SIZE;
}

bool page_set_contains(const struct page_set *s, paddr_t pa)
{
	uint64_t i = index_of(s, pa);

	return pa >= s->base && i < s->npages &&
	       (s->bits[i / 64] >> (i % 64)) & 1;
}

bool page_set_add(struct page_set *s, paddr_t pa, uint64_t npages)
{
	if (pa < s->base || index_of(s, pa) + npages > s->npages)
		return false;
	bool fresh = true;
	for (uint64_t i = index_of(s, pa); i < index_of(s, pa) + npages; i++) {
		fresh &= !((s->bits[i / 64] >> (i % 64)) & 1);
		s->bits[i / 64] |= (uint64_t)1 << (i % 64);
	}
	s->count += npages;
	return fresh;
}

void page_set_remove(struct page_set *s, paddr_t pa, uint64_t npages)
{
	for (uint64_t i = index_of(s, pa); i < index_of(s, pa) + npages; i++)
		s->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
	s->count -= npages;
}

void page_set_free_all(struct page_set *s)
{
	for (uint64_t w = 0; w < ALIGN_UP(s->npages, 64) / 64; w++) {
		while (s->bits[w]) {
			uint64_t i = w * 64 + __builtin_ctzll(s->bits[w]);
			s->bits[w] &= s->bits[w] - 1;   /* clear lowest bit */
			page_free(s->base + i * PAGE_SIZE, 1);
		}
	}
	s->count = 0;
}

uint64_t drain_pages(struct page_set *s, uint64_t *bad)
{
	uint64_t n = 0;
	paddr_t pa;

	*bad = 0;
	while ((pa = page_alloc(1)) != PHYS_NONE) {
		if (!pages_are_allowed(pa, 1) || !page_set_add(s, pa, 1))
			(*bad)++;
		n++;
	}
	return n;
}
