/*
 * The physical memory manager: picks the page allocator named on the
 * command line, starts it, and forwards page_alloc() and friends to it.
 * See mm/page_alloc.h.
 */
#include <stdarg.h>

#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/bitmap.h"
#include "mm/buddy.h"
#include "mm/bump.h"
#include "mm/freelist.h"
#include "mm/page_alloc.h"

/* Static: they must exist before any allocator does. */
static struct bump boot_bump;
static struct bitmap_alloc boot_bitmap;
static struct freelist boot_freelist;
static struct buddy boot_buddy;

static struct page_allocator current;

void pmm_init(const struct memmap *map, const char *name)
{
	if (!name || !*name)
		name = PMM_DEFAULT;
	bump_init(&boot_bump, map);

	if (strcmp(name, "bump") == 0) {
		current = (struct page_allocator){ &bump_ops, &boot_bump };
	} else if (strcmp(name, "bitmap") == 0) {
		bitmap_init(&boot_bitmap, map, &boot_bump);
		current = (struct page_allocator){ &bitmap_ops, &boot_bitmap };
	} else if (strcmp(name, "freelist") == 0) {
		/* Poisoned: catching writes after free is worth 4 KiB
		 * of memory traffic per page in a teaching kernel. */
		freelist_init(&boot_freelist, map, &boot_bump, true);
		current = (struct page_allocator){ &freelist_ops,
						   &boot_freelist };
	} else if (strcmp(name, "buddy") == 0) {
		buddy_init(&boot_buddy, map, &boot_bump);
		current = (struct page_allocator){ &buddy_ops, &boot_buddy };
	} else {
		panic("pmm_init: unknown page allocator \"%s\" "
		      "(pmm= must be bump, bitmap, freelist or buddy)", name);
	}
}

/* The chosen allocator; using one before pmm_init() is a boot-order bug. */
static const struct page_allocator *chosen(const char *who)
{
	if (!current.ops)
		panic("%s: called before pmm_init()", who);
	return &current;
}

const struct page_allocator *pmm_allocator(void)
{
	return chosen("pmm_allocator");
}

paddr_t page_alloc(uint64_t npages)
{
	return page_alloc_aligned(npages, 1);
}

paddr_t page_alloc_aligned(uint64_t npages, uint64_t align_pages)
{
	const struct page_allocator *a = chosen("page_alloc");

	return a->ops->alloc(a->self, npages, align_pages);
}

void page_free(paddr_t pa, uint64_t npages)
{
	const struct page_allocator *a = chosen("page_free");

	a->ops->free(a->self, pa, npages);
}

uint64_t pmm_free_pages(void)
{
	const struct page_allocator *a = chosen("pmm_free_pages");

	return a->ops->free_pages(a->self);
}

uint64_t pmm_total_pages(void)
{
	const struct page_allocator *a = chosen("pmm_total_pages");

	return a->ops->total_pages(a->self);
}

const char *pmm_name(void)
{
	return chosen("pmm_name")->ops->name;
}

void pmm_print_stats(void)
{
	if (!current.ops) {
		kprintf("page allocator: not started\n");
		return;
	}
	uint64_t free = pmm_free_pages();
	kprintf("page allocator %s: %lu of %lu pages free (%lu KiB)\n",
		pmm_name(), (unsigned long)free,
		(unsigned long)pmm_total_pages(),
		(unsigned long)(free * PAGE_SIZE / KiB));
	current.ops->print_stats(current.self);
}

/* ---- Helpers shared by the allocators -------------------------------- */

/* What pmm_check_request() found wrong. */
noreturn void pmm_bad_request(const char *who, uint64_t npages,
			      uint64_t align_pages)
{
	if (npages == 0)
		panic("%s: asked for 0 pages", who);
	panic("%s: alignment of %lu pages is not a power of two below 2^52",
	      who, (unsigned long)align_pages);
}

noreturn void unlock_and_panic(struct spinlock *lock, const char *fmt, ...)
{
	char message[200];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	spin_unlock(lock);
	panic("%s", message);
}
