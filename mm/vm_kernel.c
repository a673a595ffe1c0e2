/*
 * The kernel's final page table, built once the page allocator runs.
 *
 * Until then the kernel runs on a boot page table made by arch code
 * before paging was on (static tables of large pages, everything
 * writable and executable). This one is made with vm_map(), the same on
 * every architecture, and follows W^X: no page is both writable and
 * executable.
 *
 *   kernel image   .text           r-x
 *                  .rodata         r--
 *                  .data, .bss     rw-   but for the boot stack's guard
 *                                        page, left unmapped
 *   direct map     all RAM         rw-   phys_to_virt(pa) = pa + offset
 *                  but the image's r--   its .text and .rodata, so that
 *                  text and rodata       they cannot be written through
 *                                        the direct map either
 *   devices        arch_kernel_mappings() (e.g. the RISC-V UART)
 *
 * All of it is global: the same in every address space to come.
 */
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/monitor.h"
#include "kernel/panic.h"
#include "mm/memmap.h"
#include "mm/vm.h"

struct vm_space kernel_space = { PHYS_NONE };

/* BEGIN SOLUTION lab5 */
/* Map [va, va + size) to pa or panic, naming what it was for. Every
 * kernel page is readable, and global. */
static void kernel_map(struct vm_space *vs, const char *what, uintptr_t va,
		       paddr_t pa, uint64_t size, unsigned perm)
{
	int err = vm_map(vs, va, pa, size, perm | VM_READ | VM_GLOBAL);

	if (err < 0)
		panic("vm_kernel_init: cannot map the %s at %#lx (%#lx bytes): "
		      "%s", what, (unsigned long)va, (unsigned long)size,
		      error_name(err));
}

/* Map the image's pages from start to end where it is linked. */
static void map_image_part(struct vm_space *vs, const char *what,
			   const char *start, const char *end, unsigned perm)
{
	kernel_map(vs, what, (uintptr_t)start, virt_to_phys(start),
		   (uint64_t)(end - start), perm);
}

static void map_image(struct vm_space *vs)
{
	map_image_part(vs, "kernel text", _kernel_start, _text_end, VM_EXEC);
	map_image_part(vs, "kernel rodata", _text_end, _rodata_end, 0);
	map_image_part(vs, "kernel data", _rodata_end, boot_stack_guard,
		       VM_WRITE);
	map_image_part(vs, "kernel data", boot_stack, _kernel_end, VM_WRITE);
}

/*
 * The direct map covers RAM, not the whole physical address space, so a
 * stray pointer into a hole faults. boot_memmap.ram is raw (unsorted,
 * maybe overlapping): a memory map of that RAM normalises it into
 * sorted, disjoint, page-aligned ranges. The image's text and rodata are
 * reserved in it and mapped read-only on their own: writable there, they
 * would be one phys_to_virt() away from being overwritten, W^X or not.
 */
static void map_ram(struct vm_space *vs)
{
	static struct memmap ram;       /* too big for the stack */
	paddr_t ro_start = virt_to_phys(_kernel_start);
	paddr_t ro_end = virt_to_phys(_rodata_end);

	memmap_init(&ram);
	for (unsigned i = 0; i < boot_memmap.nram; i++) {
		const struct mem_range *r = &boot_memmap.ram[i];
		memmap_add_ram(&ram, r->base, r->end - r->base);
	}
	memmap_add_reserved(&ram, ro_start, ro_end - ro_start,
			    "kernel text and rodata");
	if (memmap_finalize(&ram) < 0)
		panic("vm_kernel_init: too many RAM ranges");
	for (unsigned i = 0; i < ram.nusable; i++) {
		paddr_t base = ram.usable[i].base;
		kernel_map(vs, "direct map", (uintptr_t)phys_to_virt(base),
			   base, ram.usable[i].end - base, VM_WRITE);
	}
	kernel_map(vs, "direct map of the kernel's text and rodata",
		   (uintptr_t)phys_to_virt(ro_start), ro_start,
		   ro_end - ro_start, 0);
}
/* END SOLUTION */

/*
 * Build the final table and switch to it. On any failure the kernel
 * carries on with the boot table (see boot_step() in kernel/main.c);
 * the table half built is lost, a few pages.
 */
void vm_kernel_init(void)
{
	/* BEGIN SOLUTION lab5 */
	struct vm_space vs;

	if (vm_create(&vs) < 0)
		panic("vm_kernel_init: no memory for a page table");
	map_image(&vs);
	map_ram(&vs);
	arch_kernel_mappings(&vs);
	vm_activate(&vs);
	kernel_space = vs;
	/* END SOLUTION */
}

static void cmd_pt(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	if (kernel_space.root == PHYS_NONE) {
		kprintf("pt: no kernel page table (still on the boot one)\n");
		return;
	}
	vm_print(&kernel_space);
}
MONITOR_COMMAND(pt, "print the kernel's page table", cmd_pt);
