/*
 * In-kernel tests of the page tables (lab 5), suite "vm".
 *
 * Three kinds of test:
 *  - vm_map and friends on address spaces of their own, never switched
 *    to, so a bug shows up as a wrong answer, not a crash. The physical
 *    addresses they map are never touched;
 *  - the kernel's own table, kernel_space: W^X over the kernel image,
 *    the direct map of RAM, the boot stack's guard page;
 *  - the CPU's view: pages that must fault (one should-panic test
 *    each), and mappings made while the table is in use, which the CPU
 *    must see.
 *
 * The suite's exit hook checks that every page went back to the page
 * allocator: tables freed by vm_unmap and vm_destroy included.
 */
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "mm/page_alloc.h"
#include "mm/vm.h"

#define RW  (VM_READ | VM_WRITE)
#define RWX (VM_READ | VM_WRITE | VM_EXEC)
#define VA  0x40000000UL        /* 1 GiB: aligned to every page size */
#define PA  0x100000000UL       /* 4 GiB: likewise; never touched */

static uint64_t baseline;       /* free pages before the suite */

static void vm_suite_init(void)
{
	/* Did the "kernel page table" boot step run? */
	KT_ASSERT_NE(kernel_space.root, PHYS_NONE);
	baseline = pmm_free_pages();
}

static void vm_suite_exit(void)
{
	KT_EXPECT_EQ(pmm_free_pages(), baseline);
}

KTEST_SUITE(vm, vm_suite_init, vm_suite_exit);

/* ---- Address spaces of their own ----------------------------------------- */

static struct vm_space vs;
static uint64_t start_free;

static void start(void)
{
	start_free = pmm_free_pages();
	KT_ASSERT_EQ(vm_create(&vs), 0);
}

/* Table pages vs holds, root included. */
static uint64_t tables(void)
{
	return start_free - pmm_free_pages();
}

static void finish(void)
{
	vm_destroy(&vs);
	KT_EXPECT_EQ(pmm_free_pages(), start_free);
}

/* The size of the page mapping va in s, or 0. */
static uint64_t page_size_at(const struct vm_space *s, uintptr_t va)
{
	struct vm_mapping m;

	return vm_lookup(s, va, &m) ? m.size : 0;
}

KTEST(vm, map_translate_unmap)
{
	unsigned perm = 0;

	start();
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, 3 * PAGE_SIZE, RW), 0);
	KT_EXPECT_EQ(vm_translate(&vs, VA, &perm), PA);
	KT_EXPECT_EQ(perm, RW);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 2 * PAGE_SIZE + 0x123, NULL),
		     PA + 2 * PAGE_SIZE + 0x123);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 3 * PAGE_SIZE, NULL), PHYS_NONE);
	KT_EXPECT_EQ(vm_translate(&vs, VA - 1, NULL), PHYS_NONE);
	KT_EXPECT_EQ(vm_unmap(&vs, VA + PAGE_SIZE, PAGE_SIZE), 0);
	KT_EXPECT_EQ(vm_translate(&vs, VA + PAGE_SIZE, NULL), PHYS_NONE);
	KT_EXPECT_EQ(vm_translate(&vs, VA, NULL), PA);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 2 * PAGE_SIZE, NULL),
		     PA + 2 * PAGE_SIZE);
	finish();
}

KTEST(vm, permissions_round_trip)
{
	static const unsigned perms[] = {
		VM_READ, RW, VM_READ | VM_EXEC, RWX, VM_READ | VM_USER,
		RW | VM_GLOBAL, RWX | VM_USER | VM_GLOBAL,
	};

	start();
	for (unsigned i = 0; i < ARRAY_SIZE(perms); i++) {
		uintptr_t va = VA + i * PAGE_SIZE;
		unsigned perm = 0;
		KT_EXPECT_EQ(vm_map(&vs, va, PA, PAGE_SIZE, perms[i]), 0);
		KT_EXPECT_EQ(vm_translate(&vs, va, &perm), PA);
		KT_EXPECT_EQ(perm, perms[i]);
	}
	finish();
}

KTEST(vm, large_pages_when_aligned)
{
	start();
	/* 2 MiB + 4 KiB, aligned: a 2 MiB page and a 4 KiB one. */
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, 2 * MiB + PAGE_SIZE, RW), 0);
	KT_EXPECT_EQ(page_size_at(&vs, VA), 2 * MiB);
	KT_EXPECT_EQ(page_size_at(&vs, VA + 2 * MiB), PAGE_SIZE);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 0x12345, NULL), PA + 0x12345);
	/* A physical address that is not 2 MiB aligned: 4 KiB pages. */
	KT_EXPECT_EQ(vm_map(&vs, VA + 4 * MiB, PA + PAGE_SIZE, 2 * MiB, RW),
		     0);
	KT_EXPECT_EQ(page_size_at(&vs, VA + 4 * MiB), PAGE_SIZE);
	KT_EXPECT_EQ(page_size_at(&vs, VA + 6 * MiB - 1), PAGE_SIZE);
	/* 1 GiB pages, if the CPU has them (QEMU's x86 default has not). */
	uint64_t big = arch_large_page_ok(2) ? GiB : 2 * MiB;
	KT_EXPECT_EQ(vm_map(&vs, 4 * VA, PA, GiB, RW), 0);
	KT_EXPECT_EQ(page_size_at(&vs, 4 * VA + GiB - 1), big);
	KT_EXPECT_EQ(vm_translate(&vs, 4 * VA + GiB - 1, NULL),
		     PA + GiB - 1);
	finish();
}

KTEST(vm, overlap_is_ebusy_and_changes_nothing)
{
	start();
	KT_EXPECT_EQ(vm_map(&vs, VA + 2 * MiB - PAGE_SIZE, PA, PAGE_SIZE, RW),
		     0);
	uint64_t before = tables();
	KT_EXPECT_EQ(vm_map(&vs, VA + 2 * MiB - PAGE_SIZE, PA, PAGE_SIZE, RW),
		     -EBUSY);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, 2 * MiB, RW), -EBUSY);
	KT_EXPECT_EQ(vm_map(&vs, VA + MiB, PA, 2 * MiB, RW), -EBUSY);
	KT_EXPECT_EQ(vm_translate(&vs, VA, NULL), PHYS_NONE);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 2 * MiB, NULL), PHYS_NONE);
	KT_EXPECT_EQ(tables(), before);
	/* A 4 KiB page inside a 2 MiB one. */
	KT_EXPECT_EQ(vm_map(&vs, 2 * VA, PA, 2 * MiB, RW), 0);
	KT_EXPECT_EQ(vm_map(&vs, 2 * VA + PAGE_SIZE, PA, PAGE_SIZE, RW),
		     -EBUSY);
	finish();
}

KTEST(vm, bad_arguments_are_einval)
{
	/* Non-canonical on Sv39 and on x86-64 alike. */
	const uintptr_t hole = 0x0000800000000000UL;

	start();
	KT_EXPECT_EQ(vm_map(&vs, VA + 8, PA, PAGE_SIZE, RW), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA + 8, PAGE_SIZE, RW), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE + 8, RW), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, 0, RW), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, hole, PA, PAGE_SIZE, RW), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, 0xfffffffffffff000UL, PA, 2 * PAGE_SIZE, RW),
		     -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, VM_WRITE), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, VM_EXEC), -EINVAL);
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, 0), -EINVAL);
	KT_EXPECT_EQ(vm_unmap(&vs, VA + 8, PAGE_SIZE), -EINVAL);
	KT_EXPECT_EQ(vm_unmap(&vs, VA, 0), -EINVAL);
	KT_EXPECT_EQ(vm_unmap(&vs, hole, PAGE_SIZE), -EINVAL);
	KT_EXPECT_EQ(vm_translate(&vs, hole, NULL), PHYS_NONE);
	KT_EXPECT_EQ(tables(), 1);
	finish();
}

KTEST(vm, unmap_frees_empty_tables)
{
	start();
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), 0);
	KT_EXPECT_EQ(vm_map(&vs, VA + 8 * PAGE_SIZE, PA, PAGE_SIZE, RW), 0);
	uint64_t full = tables();
	KT_EXPECT_EQ(full, (uint64_t)arch_pt_levels);   /* one per level */
	/* A range with holes, and a page left in the same tables. */
	KT_EXPECT_EQ(vm_unmap(&vs, VA + PAGE_SIZE, 16 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(tables(), full);
	KT_EXPECT_EQ(vm_unmap(&vs, VA, PAGE_SIZE), 0);
	KT_EXPECT_EQ(tables(), 1);
	finish();
}

KTEST(vm, unmapping_part_of_a_large_page_is_einval)
{
	start();
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, 4 * MiB, RW), 0);
	KT_EXPECT_EQ(vm_unmap(&vs, VA, PAGE_SIZE), -EINVAL);
	KT_EXPECT_EQ(vm_unmap(&vs, VA + PAGE_SIZE, 2 * MiB), -EINVAL);
	KT_EXPECT_EQ(vm_translate(&vs, VA, NULL), PA);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 4 * MiB - 1, NULL),
		     PA + 4 * MiB - 1);
	KT_EXPECT_EQ(vm_unmap(&vs, VA + 2 * MiB, 2 * MiB), 0);
	KT_EXPECT_EQ(vm_translate(&vs, VA + 2 * MiB, NULL), PHYS_NONE);
	KT_EXPECT_EQ(vm_translate(&vs, VA, NULL), PA);
	finish();
}

KTEST(vm, destroy_frees_every_table)
{
	start();
	KT_EXPECT_EQ(vm_map(&vs, VA, PA, PAGE_SIZE, RW), 0);
	KT_EXPECT_EQ(vm_map(&vs, 3 * VA, PA, 2 * MiB + PAGE_SIZE, RW), 0);
	KT_EXPECT_EQ(vm_map(&vs, 0xfffffffffffff000UL, PA, PAGE_SIZE, RW),
		     0);
	KT_EXPECT_GT(tables(), 5);
	finish();                       /* checks they all came back */
}

/* Take every free page but keep; chained through the pages themselves. */
static paddr_t hog(uint64_t keep)
{
	paddr_t chain = PHYS_NONE, pa;

	while ((pa = page_alloc(1)) != PHYS_NONE) {
		*(paddr_t *)phys_to_virt(pa) = chain;
		chain = pa;
	}
	for (; keep > 0 && chain != PHYS_NONE; keep--) {
		paddr_t next = *(paddr_t *)phys_to_virt(chain);
		page_free(chain, 1);
		chain = next;
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

KTEST(vm, out_of_memory_undoes_everything)
{
	start();
	/* 4 KiB pages over two 2 MiB blocks: a level-0 table for each. The
	 * first block gets its tables, the second cannot. */
	paddr_t chain = hog((uint64_t)arch_pt_levels - 1);
	int err = vm_map(&vs, VA, PA + PAGE_SIZE, 4 * MiB, RW);
	uint64_t left = pmm_free_pages();
	give_back(chain);
	KT_EXPECT_EQ(err, -ENOMEM);
	KT_EXPECT_EQ(left, (uint64_t)arch_pt_levels - 1);
	KT_EXPECT_EQ(vm_translate(&vs, VA, NULL), PHYS_NONE);
	KT_EXPECT_EQ(tables(), 1);
	finish();
}

/* ---- The kernel's page table --------------------------------------------- */

/* Did the "kernel page table" boot step build it and switch to it? */
static void require_kernel_space(void)
{
	KT_ASSERT_NE(kernel_space.root, PHYS_NONE);
	KT_ASSERT_EQ(arch_pt_active(), kernel_space.root);
}

/* The R, W and X bits of the kernel's mapping of va, which must map it
 * to where it is in physical memory. */
static unsigned kernel_perm(uintptr_t va)
{
	unsigned perm = 0;

	require_kernel_space();
	KT_ASSERT_EQ(vm_translate(&kernel_space, va, &perm),
		     virt_to_phys((const void *)va));
	return perm & RWX;
}

static const uint64_t a_constant = 0x5eed;      /* .rodata */
static uint64_t a_variable = 1;                 /* .data */
static uint64_t a_zero;                         /* .bss */

KTEST(vm, kernel_space_is_in_use)
{
	require_kernel_space();
}

KTEST(vm, kernel_text_is_read_exec)
{
	KT_EXPECT_EQ(kernel_perm((uintptr_t)vm_map), VM_READ | VM_EXEC);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)_kernel_start), VM_READ | VM_EXEC);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)_text_end - 1), VM_READ | VM_EXEC);
}

KTEST(vm, kernel_rodata_is_read_only)
{
	KT_EXPECT_EQ(kernel_perm((uintptr_t)&a_constant), VM_READ);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)_text_end), VM_READ);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)_rodata_end - 1), VM_READ);
}

KTEST(vm, kernel_data_and_bss_are_read_write)
{
	KT_EXPECT_EQ(kernel_perm((uintptr_t)&a_variable), RW);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)&a_zero), RW);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)_rodata_end), RW);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)_kernel_end - 1), RW);
	KT_EXPECT_EQ(kernel_perm((uintptr_t)boot_stack), RW);
}

/* The direct map's address for the same byte as kernel address va. */
static void *direct_map_alias(const void *va)
{
	return phys_to_virt(virt_to_phys(va));
}

/* The R, W and X bits of the direct map's page for kernel address va
 * (virt_to_phys() understands the direct map too). */
static unsigned direct_map_perm(const void *va)
{
	return kernel_perm((uintptr_t)direct_map_alias(va));
}

KTEST(vm, direct_map_of_the_image_text_and_rodata_is_read_only)
{
	KT_EXPECT_EQ(direct_map_perm(_kernel_start), VM_READ);
	KT_EXPECT_EQ(direct_map_perm(vm_map), VM_READ);
	KT_EXPECT_EQ(direct_map_perm(&a_constant), VM_READ);
	KT_EXPECT_EQ(direct_map_perm((void *)((uintptr_t)_rodata_end - 1)),
		     VM_READ);
	KT_EXPECT_EQ(direct_map_perm(_rodata_end), RW);
	KT_EXPECT_EQ(direct_map_perm(&a_variable), RW);
}

KTEST(vm, boot_stack_guard_is_unmapped)
{
	require_kernel_space();
	KT_EXPECT_EQ(vm_translate(&kernel_space, (uintptr_t)boot_stack_guard,
				  NULL), PHYS_NONE);
	KT_EXPECT_EQ(vm_translate(&kernel_space, (uintptr_t)boot_stack - 1,
				  NULL), PHYS_NONE);
}

KTEST(vm, direct_map_covers_ram_read_write)
{
	require_kernel_space();
	for (unsigned i = 0; i < boot_memmap.nusable; i++) {
		paddr_t first = boot_memmap.usable[i].base;
		paddr_t last = boot_memmap.usable[i].end - PAGE_SIZE;
		unsigned perm = 0;
		KT_EXPECT_EQ(vm_translate(&kernel_space,
					  (uintptr_t)phys_to_virt(first),
					  &perm), first);
		KT_EXPECT_EQ(perm & RWX, RW);
		KT_EXPECT_EQ(vm_translate(&kernel_space,
					  (uintptr_t)phys_to_virt(last),
					  &perm), last);
		KT_EXPECT_EQ(perm & RWX, RW);
	}
}

/* Is pa in a RAM range of the raw memory map? */
static bool is_ram(paddr_t pa)
{
	for (unsigned i = 0; i < boot_memmap.nram; i++) {
		const struct mem_range *r = &boot_memmap.ram[i];
		if (pa >= r->base && pa < r->end)
			return true;
	}
	return false;
}

KTEST(vm, direct_map_is_ram_only_and_uses_large_pages)
{
	require_kernel_space();
	bool large = false;

	for (unsigned i = 0; i < boot_memmap.nram; i++) {
		const struct mem_range *r = &boot_memmap.ram[i];
		/* The page after each RAM range is a hole (or more RAM). */
		paddr_t after = ALIGN_UP(r->end, PAGE_SIZE);
		if (!is_ram(after))
			KT_EXPECT_EQ(vm_translate(&kernel_space,
					(uintptr_t)phys_to_virt(after), NULL),
				     PHYS_NONE);
		/* A 2 MiB block inside RAM is one large page. */
		paddr_t block = ALIGN_UP(r->base, 2 * MiB);
		if (block + 2 * MiB <= r->end)
			large |= page_size_at(&kernel_space,
				(uintptr_t)phys_to_virt(block)) >= 2 * MiB;
	}
	KT_EXPECT_TRUE(large);
}

static void check_mapping(const struct vm_mapping *m, void *arg)
{
	unsigned *bad = arg;

	/* W^X, and nothing in the lower half, left for user space. */
	if ((m->perm & (VM_WRITE | VM_EXEC)) == (VM_WRITE | VM_EXEC) ||
	    (intptr_t)m->va >= 0 || (m->perm & VM_USER)) {
		kprintf("    # bad mapping %#lx -> %#lx, perm %#x\n",
			(unsigned long)m->va, (unsigned long)m->pa, m->perm);
		(*bad)++;
	}
}

KTEST(vm, no_page_is_writable_and_executable)
{
	unsigned bad = 0;

	require_kernel_space();
	vm_for_each_mapping(&kernel_space, check_mapping, &bad);
	KT_EXPECT_EQ(bad, 0);
	KT_EXPECT_EQ(vm_translate(&kernel_space, 0, NULL), PHYS_NONE);
}

/* ---- What the CPU sees --------------------------------------------------- */

/* An address no kernel mapping uses: the GiB below the kernel image. */
static uintptr_t unused_va(void)
{
	uintptr_t va = ALIGN_DOWN((uintptr_t)_kernel_start, GiB) - GiB;

	require_kernel_space();
	KT_ASSERT_EQ(vm_translate(&kernel_space, va, NULL), PHYS_NONE);
	return va;
}

KTEST(vm, a_new_mapping_is_seen_by_the_cpu)
{
	uintptr_t va = unused_va();
	uint64_t before = pmm_free_pages();
	paddr_t frame = page_alloc(1);

	KT_ASSERT_NE(frame, PHYS_NONE);
	KT_ASSERT_EQ(vm_map(&kernel_space, va, frame, PAGE_SIZE, RW), 0);
	*(volatile uint64_t *)va = 0xfeedface;
	KT_EXPECT_EQ(*(volatile uint64_t *)phys_to_virt(frame), 0xfeedface);
	KT_EXPECT_EQ(vm_unmap(&kernel_space, va, PAGE_SIZE), 0);
	page_free(frame, 1);
	KT_EXPECT_EQ(pmm_free_pages(), before);
}

KTEST_SHOULD_PANIC(vm, an_unmapped_page_faults)
{
	uintptr_t va = unused_va();
	paddr_t frame = page_alloc(1);

	KT_ASSERT_NE(frame, PHYS_NONE);
	KT_ASSERT_EQ(vm_map(&kernel_space, va, frame, PAGE_SIZE, RW), 0);
	(void)*(volatile uint64_t *)va;         /* now in the TLB */
	KT_ASSERT_EQ(vm_unmap(&kernel_space, va, PAGE_SIZE), 0);
	page_free(frame, 1);
	KT_PANIC_MESSAGE_CONTAINS("page fault");
	(void)*(volatile uint64_t *)va;         /* unless the TLB lies */
}

KTEST_SHOULD_PANIC(vm, writing_text_faults)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)vm_map;

	require_kernel_space();
	KT_PANIC_MESSAGE_CONTAINS("page fault");
	*p = *p;                /* the same byte: harmless if it works */
}

KTEST_SHOULD_PANIC(vm, writing_text_through_the_direct_map_faults)
{
	volatile uint8_t *p = direct_map_alias((const void *)(uintptr_t)vm_map);

	require_kernel_space();
	KT_PANIC_MESSAGE_CONTAINS("page fault");
	*p = *p;
}

KTEST_SHOULD_PANIC(vm, writing_rodata_faults)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)&a_constant;

	require_kernel_space();
	KT_PANIC_MESSAGE_CONTAINS("page fault");
	*p = *p;
}

/* 0xff bytes are an illegal instruction on RISC-V and x86 alike, so if
 * the fetch does not fault, the test fails with another trap. */
static uint8_t not_code[16] = { [0 ... 15] = 0xff };

KTEST_SHOULD_PANIC(vm, executing_data_faults)
{
	void (*fn)(void) = (void (*)(void))(uintptr_t)not_code;

	require_kernel_space();
	KT_PANIC_MESSAGE_CONTAINS("page fault");
	fn();
}

KTEST_SHOULD_PANIC(vm, reading_the_stack_guard_faults)
{
	require_kernel_space();
	KT_PANIC_MESSAGE_CONTAINS("page fault");
	(void)*(volatile uint8_t *)boot_stack_guard;
}

/* About 1 KiB of stack per call. The addition after the call keeps the
 * compiler from turning the recursion into a loop. */
static __attribute__((noinline)) uint64_t eat_stack(uint64_t depth)
{
	volatile uint8_t buf[1024];

	buf[0] = (uint8_t)depth;
	if (depth == 0)
		return buf[0];
	return eat_stack(depth - 1) + buf[0];
}

/* x86 reports a double fault (the page fault cannot push its frame);
 * RISC-V a store page fault, from a stack of its own (trapvec.S). */
KTEST_SHOULD_PANIC(vm, a_stack_overflow_is_caught)
{
	require_kernel_space();
	KT_ASSERT_EQ(vm_translate(&kernel_space, (uintptr_t)boot_stack_guard,
				  NULL), PHYS_NONE);
	KT_PANIC_MESSAGE_CONTAINS("trap");
	eat_stack(1024);
}

KTEST_SHOULD_PANIC(vm, destroying_the_space_in_use_panics)
{
	require_kernel_space();
	KT_PANIC_MESSAGE_CONTAINS("in use");
	vm_destroy(&kernel_space);
}

/* ---- Switching tables: last, as a bad table may crash the machine ------- */

struct copy {
	struct vm_space *to;
	int err;
};

static void copy_mapping(const struct vm_mapping *m, void *arg)
{
	struct copy *c = arg;

	if (c->err == 0)
		c->err = vm_map(c->to, m->va, m->pa, m->size, m->perm);
}

static void check_copy(const struct vm_mapping *m, void *arg)
{
	const struct vm_space *copy = arg;
	unsigned perm = 0;

	KT_ASSERT_EQ(vm_translate(copy, m->va, &perm), m->pa);
	KT_ASSERT_EQ(perm, m->perm);
}

/* A copy of kernel_space plus one page: switch to it, use the page,
 * switch back. */
KTEST(vm, switching_to_another_table)
{
	uintptr_t va = unused_va();
	struct vm_space copy;
	struct copy c = { &copy, 0 };
	paddr_t frame = page_alloc(1);

	KT_ASSERT_NE(frame, PHYS_NONE);
	KT_ASSERT_EQ(vm_create(&copy), 0);
	vm_for_each_mapping(&kernel_space, copy_mapping, &c);
	KT_EXPECT_EQ(c.err, 0);
	KT_EXPECT_EQ(vm_map(&copy, va, frame, PAGE_SIZE, RW), 0);
	vm_for_each_mapping(&kernel_space, check_copy, &copy);

	vm_activate(&copy);
	KT_EXPECT_EQ(arch_pt_active(), copy.root);
	*(volatile uint64_t *)va = 0xc0ffee;
	vm_activate(&kernel_space);

	KT_EXPECT_EQ(*(volatile uint64_t *)phys_to_virt(frame), 0xc0ffee);
	KT_EXPECT_EQ(vm_translate(&kernel_space, va, NULL), PHYS_NONE);
	vm_destroy(&copy);
	page_free(frame, 1);
}
