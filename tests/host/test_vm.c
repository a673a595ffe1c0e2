/*
 * Host unit tests for the page-table walker (mm/vm.c), under
 * AddressSanitizer and UBSan, with the real bitmap page allocator over
 * host_ram_init() memory and the made-up entry format of host_pte.c
 * (4 levels, 48-bit addresses, like x86-64).
 *
 * Every test starts from a fresh address space and ends with finish(),
 * which destroys it and checks that every table page went back.
 */
#include "kernel/errno.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "mm/vm.h"
#include "tests/host/host.h"
#include "tests/host/host_pte.h"
#include "tests/host/tap.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (16 * MiB)

#define RW (VM_READ | VM_WRITE)
#define VA 0x40000000UL         /* 1 GiB: aligned to every page size */
#define PA 0x100000000UL        /* 4 GiB: likewise; never touched */
#define HIGH_VA 0xffff800000000000UL

static struct memmap map;       /* the page allocator keeps a pointer */
static struct vm_space vs;
static uint64_t baseline;       /* free pages before the test */

static void start(void)
{
	static bool booted;

	if (!booted) {
		host_boot_page_allocator(&map, RAM_BASE, RAM_SIZE, "bitmap");
		booted = true;
	}
	host_large_page_levels = (1 << 1) | (1 << 2);
	host_active_root = PHYS_NONE;
	baseline = pmm_free_pages();
	TAP_EXPECT_EQ(vm_create(&vs), 0);
}

static void finish(void)
{
	host_active_root = PHYS_NONE;
	vm_destroy(&vs);
	TAP_EXPECT_EQ(vs.root, PHYS_NONE);
	TAP_EXPECT_EQ(pmm_free_pages(), baseline);
}

/* Table pages in use by vs, root included. */
static uint64_t tables(void)
{
	return baseline - pmm_free_pages();
}

/* The size of the page mapping va, or 0. */
static uint64_t page_size_at(uintptr_t va)
{
	struct vm_mapping m;

	return vm_lookup(&vs, va, &m) ? m.size : 0;
}

TAP_TEST(map_translate_unmap_one_page)
{
	unsigned perm = 0;

	start();
	TAP_EXPECT_EQ(tables(), 1);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), 0);
	TAP_EXPECT_EQ(tables(), 4);             /* root + 3 levels below */
	TAP_EXPECT_EQ(vm_translate(&vs, VA, &perm), PA);
	TAP_EXPECT_EQ(perm, RW);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + 0xabc, NULL), PA + 0xabc);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + PAGE_SIZE, NULL), PHYS_NONE);
	TAP_EXPECT_EQ(vm_translate(&vs, VA - 1, NULL), PHYS_NONE);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, PAGE_SIZE), 0);
	TAP_EXPECT_EQ(vm_translate(&vs, VA, NULL), PHYS_NONE);
	TAP_EXPECT_EQ(tables(), 1);             /* emptied tables freed */
	finish();
}

TAP_TEST(permissions_round_trip)
{
	static const unsigned perms[] = {
		VM_READ, RW, VM_READ | VM_EXEC, RW | VM_EXEC,
		VM_READ | VM_USER, RW | VM_GLOBAL,
		RW | VM_EXEC | VM_USER | VM_GLOBAL,
	};

	start();
	for (unsigned i = 0; i < ARRAY_SIZE(perms); i++) {
		uintptr_t va = VA + i * PAGE_SIZE;
		unsigned perm = 0;
		TAP_EXPECT_EQ(vm_map(&vs, va, PA + i * PAGE_SIZE, PAGE_SIZE,
				     perms[i]), 0);
		TAP_EXPECT_EQ(vm_translate(&vs, va, &perm), PA + i * PAGE_SIZE);
		TAP_EXPECT_EQ(perm, perms[i]);
	}
	finish();
}

TAP_TEST(bad_arguments_are_einval_and_change_nothing)
{
	start();
	/* Unaligned address, physical address or size; no size at all. */
	TAP_EXPECT_EQ(vm_map(&vs, VA + 8, PA, PAGE_SIZE, RW), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA + 8, PAGE_SIZE, RW), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, 100, RW), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, 0, RW), -EINVAL);
	/* Non-canonical, crossing the hole, wrapping around. */
	TAP_EXPECT_EQ(vm_map(&vs, 0x0000800000000000UL, PA, PAGE_SIZE, RW),
		      -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, 0x00007ffffffff000UL, PA, 2 * PAGE_SIZE,
			     RW), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, 0xfffffffffffff000UL, PA, 2 * PAGE_SIZE,
			     RW), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, 0xfffffffffffff000UL, 2 * PAGE_SIZE,
			     RW), -EINVAL);
	/* Every mapping is readable; no unknown bits. */
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, VM_WRITE), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, VM_EXEC), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, 0), -EINVAL);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW | 0x100), -EINVAL);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA + 8, PAGE_SIZE), -EINVAL);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, 0), -EINVAL);
	TAP_EXPECT_EQ(vm_unmap(&vs, 0x0000800000000000UL, PAGE_SIZE),
		      -EINVAL);
	TAP_EXPECT_EQ(tables(), 1);
	TAP_EXPECT_EQ(vm_translate(&vs, 0x0000800000000000UL, NULL),
		      PHYS_NONE);
	finish();
}

TAP_TEST(overlap_is_ebusy_and_changes_nothing)
{
	start();
	TAP_EXPECT_EQ(vm_map(&vs, VA + 2 * MiB - PAGE_SIZE, PA, PAGE_SIZE,
			     RW), 0);
	uint64_t before = tables();
	/* The same page, a range ending on it, a large page holding it. */
	TAP_EXPECT_EQ(vm_map(&vs, VA + 2 * MiB - PAGE_SIZE, PA, PAGE_SIZE,
			     RW), -EBUSY);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, 2 * MiB, RW), -EBUSY);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, GiB, RW), -EBUSY);
	/* Not partly mapped either. */
	TAP_EXPECT_EQ(vm_translate(&vs, VA, NULL), PHYS_NONE);
	TAP_EXPECT_EQ(tables(), before);
	/* A 4 KiB page inside a large one. */
	TAP_EXPECT_EQ(vm_map(&vs, HIGH_VA, PA, 2 * MiB, RW), 0);
	TAP_EXPECT_EQ(vm_map(&vs, HIGH_VA + PAGE_SIZE, PA, PAGE_SIZE, RW),
		      -EBUSY);
	finish();
}

TAP_TEST(large_pages_where_aligned)
{
	start();
	/* 1 GiB + 2 MiB + 4 KiB, all aligned: one page of each size. */
	uint64_t size = GiB + 2 * MiB + PAGE_SIZE;
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, size, RW), 0);
	TAP_EXPECT_EQ(page_size_at(VA), GiB);
	TAP_EXPECT_EQ(page_size_at(VA + GiB - 1), GiB);
	TAP_EXPECT_EQ(page_size_at(VA + GiB), 2 * MiB);
	TAP_EXPECT_EQ(page_size_at(VA + GiB + 2 * MiB), PAGE_SIZE);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + 0x12345678, NULL),
		      PA + 0x12345678);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + GiB + 0x1234, NULL),
		      PA + GiB + 0x1234);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + size, NULL), PHYS_NONE);
	TAP_EXPECT_EQ(tables(), 4);     /* root, level 2, 1 and 0 */
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, size), 0);
	TAP_EXPECT_EQ(tables(), 1);
	finish();
}

TAP_TEST(small_pages_when_unaligned_or_unsupported)
{
	start();
	/* va is 2 MiB aligned but pa is not: 4 KiB pages only. */
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA + PAGE_SIZE, 2 * MiB, RW), 0);
	TAP_EXPECT_EQ(page_size_at(VA), PAGE_SIZE);
	TAP_EXPECT_EQ(page_size_at(VA + 2 * MiB - 1), PAGE_SIZE);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, 2 * MiB), 0);
	/* A CPU without 1 GiB pages: 2 MiB ones instead. */
	host_large_page_levels = 1 << 1;
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, GiB, RW), 0);
	TAP_EXPECT_EQ(page_size_at(VA), 2 * MiB);
	TAP_EXPECT_EQ(page_size_at(VA + GiB - 1), 2 * MiB);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, GiB), 0);
	/* None at all. */
	host_large_page_levels = 0;
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, 2 * MiB, RW), 0);
	TAP_EXPECT_EQ(page_size_at(VA), PAGE_SIZE);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, 2 * MiB), 0);
	TAP_EXPECT_EQ(tables(), 1);
	finish();
}

TAP_TEST(unmap_skips_holes_and_frees_only_empty_tables)
{
	start();
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), 0);
	TAP_EXPECT_EQ(vm_map(&vs, VA + 4 * PAGE_SIZE, PA, PAGE_SIZE, RW), 0);
	TAP_EXPECT_EQ(tables(), 4);
	/* A range holding one of them and holes. */
	TAP_EXPECT_EQ(vm_unmap(&vs, VA + PAGE_SIZE, 8 * PAGE_SIZE), 0);
	TAP_EXPECT_EQ(vm_translate(&vs, VA, NULL), PA);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + 4 * PAGE_SIZE, NULL), PHYS_NONE);
	TAP_EXPECT_EQ(tables(), 4);     /* still one page in them */
	/* Unmapping nothing at all is fine too. */
	TAP_EXPECT_EQ(vm_unmap(&vs, HIGH_VA, GiB), 0);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, PAGE_SIZE), 0);
	TAP_EXPECT_EQ(tables(), 1);
	finish();
}

TAP_TEST(unmapping_part_of_a_large_page_is_einval)
{
	start();
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, 4 * MiB, RW), 0);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, PAGE_SIZE), -EINVAL);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA + PAGE_SIZE, 2 * MiB), -EINVAL);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA + 2 * MiB - PAGE_SIZE, 2 * PAGE_SIZE),
		      -EINVAL);
	/* Nothing changed, not even the whole first page. */
	TAP_EXPECT_EQ(vm_translate(&vs, VA, NULL), PA);
	TAP_EXPECT_EQ(vm_translate(&vs, VA + 4 * MiB - 1, NULL),
		      PA + 4 * MiB - 1);
	/* Whole large pages are fine, with holes around them too. */
	TAP_EXPECT_EQ(vm_unmap(&vs, VA + 2 * MiB, 2 * MiB), 0);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA - 2 * MiB, 6 * MiB), 0);
	TAP_EXPECT_EQ(tables(), 1);
	finish();
}

TAP_TEST(destroy_frees_every_table)
{
	start();
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), 0);
	TAP_EXPECT_EQ(vm_map(&vs, VA + 3 * GiB, PA, 2 * MiB, RW), 0);
	TAP_EXPECT_EQ(vm_map(&vs, HIGH_VA + 5 * PAGE_SIZE, PA, PAGE_SIZE, RW),
		      0);
	TAP_EXPECT_EQ(vm_map(&vs, 0xfffffffffffff000UL, PA, PAGE_SIZE, RW),
		      0);
	TAP_EXPECT(tables() > 8);
	finish();                       /* checks they all came back */
}

/* Every mapping, in order, with its virtual address made canonical. */
static void record(const struct vm_mapping *m, void *arg)
{
	struct vm_mapping **next = arg;

	*(*next)++ = *m;
}

TAP_TEST(for_each_mapping_in_address_order)
{
	struct vm_mapping seen[8], *next = seen;

	start();
	TAP_EXPECT_EQ(vm_map(&vs, 0xfffffffffffff000UL, PA, PAGE_SIZE,
			     VM_READ), 0);
	TAP_EXPECT_EQ(vm_map(&vs, HIGH_VA, PA, 2 * MiB, RW), 0);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA + GiB, GiB, RW | VM_EXEC), 0);
	vm_for_each_mapping(&vs, record, &next);
	TAP_EXPECT_EQ(next - seen, 3);
	TAP_EXPECT_EQ(seen[0].va, VA);
	TAP_EXPECT_EQ(seen[0].pa, PA + GiB);
	TAP_EXPECT_EQ(seen[0].size, GiB);
	TAP_EXPECT_EQ(seen[0].perm, RW | VM_EXEC);
	TAP_EXPECT_EQ(seen[1].va, HIGH_VA);
	TAP_EXPECT_EQ(seen[1].size, 2 * MiB);
	TAP_EXPECT_EQ(seen[2].va, 0xfffffffffffff000UL);
	TAP_EXPECT_EQ(seen[2].perm, VM_READ);
	finish();
}

/* Allocate every free page but keep free ones, chained through the pages
 * themselves; give them back with give_back(). */
static paddr_t hog(uint64_t keep)
{
	paddr_t chain = PHYS_NONE;

	while (pmm_free_pages() > keep) {
		paddr_t pa = page_alloc(1);
		*(paddr_t *)phys_to_virt(pa) = chain;
		chain = pa;
	}
	return chain;
}

static void give_back(paddr_t chain)
{
	while (chain != PHYS_NONE) {
		paddr_t next = *(paddr_t *)phys_to_virt(chain);
		page_free(chain, 1);
		chain = next;
	}
}

TAP_TEST(out_of_memory_undoes_everything)
{
	start();
	/* The first 2 MiB need 3 tables, the next one a 4th: give it 3. */
	paddr_t chain = hog(3);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA + PAGE_SIZE, 4 * MiB, RW),
		      -ENOMEM);
	TAP_EXPECT_EQ(pmm_free_pages(), 3);
	TAP_EXPECT_EQ(vm_translate(&vs, VA, NULL), PHYS_NONE);
	/* With a table missing half-way down the very first walk. */
	give_back(chain);
	chain = hog(2);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), -ENOMEM);
	TAP_EXPECT_EQ(pmm_free_pages(), 2);
	give_back(chain);
	TAP_EXPECT_EQ(tables(), 1);
	finish();
}

TAP_TEST(changes_to_the_active_space_flush_the_tlb)
{
	start();
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), 0);
	unsigned long flushes = host_page_flushes;
	unsigned long activations = host_activations;
	/* Not in use: nothing to flush. */
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, PAGE_SIZE), 0);
	TAP_EXPECT_EQ(host_page_flushes, flushes);
	TAP_EXPECT_EQ(host_activations, activations);

	vm_activate(&vs);
	TAP_EXPECT_EQ(host_active_root, vs.root);
	TAP_EXPECT_EQ(vm_map(&vs, VA, PA, 3 * PAGE_SIZE, RW), 0);
	TAP_EXPECT_EQ(vm_unmap(&vs, VA, 3 * PAGE_SIZE), 0);
	TAP_EXPECT_EQ(host_page_flushes, flushes + 6);
	/* Tables were freed: the CPU may have cached them. */
	TAP_EXPECT_EQ(host_activations, activations + 2);
	/* The space in use cannot be destroyed. */
	TAP_EXPECT_PANIC(vm_destroy(&vs));
	TAP_EXPECT(strstr(host_panic_message, "in use") != NULL);
	finish();
}

/* A model of the address space: which physical page each virtual page of
 * a 4 MiB window maps, against random maps and unmaps. The window
 * straddles a 1 GiB boundary, so two level-1 tables come and go. */
#define WINDOW       (HIGH_VA + GiB - 2 * MiB)
#define WINDOW_PAGES 1024

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

TAP_TEST(random_maps_and_unmaps_match_a_model)
{
	static paddr_t model[WINDOW_PAGES];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int bad = 0;

	start();
	for (unsigned i = 0; i < WINDOW_PAGES; i++)
		model[i] = PHYS_NONE;
	for (int round = 0; round < 2000 && !bad; round++) {
		unsigned first = xorshift(&seed) % WINDOW_PAGES;
		unsigned n = 1 + xorshift(&seed) % 16;
		if (first + n > WINDOW_PAGES)
			n = WINDOW_PAGES - first;
		uintptr_t va = WINDOW + first * PAGE_SIZE;
		paddr_t pa = PA + (xorshift(&seed) % 4096) * PAGE_SIZE;
		bool busy = false;
		for (unsigned i = first; i < first + n; i++)
			busy |= model[i] != PHYS_NONE;
		if (xorshift(&seed) % 2) {
			int err = vm_map(&vs, va, pa, n * PAGE_SIZE, RW);
			bad += err != (busy ? -EBUSY : 0);
			for (unsigned i = first; i < first + n && !busy; i++)
				model[i] = pa + (i - first) * PAGE_SIZE;
		} else {
			bad += vm_unmap(&vs, va, n * PAGE_SIZE) != 0;
			for (unsigned i = first; i < first + n; i++)
				model[i] = PHYS_NONE;
		}
		for (unsigned i = 0; i < WINDOW_PAGES; i++) {
			uintptr_t v = WINDOW + i * PAGE_SIZE;
			bad += vm_translate(&vs, v, NULL) != model[i];
		}
	}
	TAP_EXPECT_EQ(bad, 0);
	TAP_EXPECT_EQ(vm_unmap(&vs, WINDOW, 4 * MiB), 0);
	TAP_EXPECT_EQ(tables(), 1);
	finish();
}

TAP_MAIN()
