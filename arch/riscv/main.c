/*
 * riscv_main: the C entry point on RISC-V, called by entry.S with the MMU
 * on and the kernel running at its high address. It finishes the
 * architecture's part of boot and hands over to the portable kernel_main().
 */
#include "arch/riscv/memlayout.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sv39.h"
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/panic.h"
#include "mm/fdt.h"
#include "mm/memmap.h"

const char arch_name[] = "riscv";
uintptr_t direct_map_offset = DIRECT_MAP_BASE;
uint64_t boot_hart_id;
uint64_t boot_dtb_phys;

extern uint64_t boot_root_table[SV39_ENTRIES];

/* A DTB is a few KiB; refuse to believe in one larger than this. */
#define DTB_MAX_SIZE (2 * MiB)

static const void *boot_dtb(void)
{
	return phys_to_virt(boot_dtb_phys);
}

/* Check the device tree before anything reads it. */
static void validate_dtb(void)
{
	const char *err = NULL;

	if (boot_dtb_phys == 0 || !IS_ALIGNED(boot_dtb_phys, 8))
		panic("riscv_main: device tree address %#lx from a1 is not "
		      "a valid (non-zero, 8-byte aligned) address",
		      (unsigned long)boot_dtb_phys);
	if (fdt_validate(boot_dtb(), DTB_MAX_SIZE, &err) < 0)
		panic("riscv_main: malformed device tree at %#lx: %s",
		      (unsigned long)boot_dtb_phys, err);
}

/*
 * Drop the boot identity mapping, and the direct-map gigapages above the
 * end of RAM, so a stray pointer there faults instead of reading nothing.
 */
static void trim_boot_page_table(paddr_t ram_end)
{
	uint64_t first = SV39_INDEX(2, DIRECT_MAP_BASE);
	uint64_t keep = (ram_end + SV39_GIGAPAGE - 1) / SV39_GIGAPAGE;

	boot_root_table[SV39_INDEX(2, KERNEL_PHYS_BASE)] = 0;
	for (uint64_t i = keep; i < DIRECT_MAP_GIGAPAGES; i++)
		boot_root_table[first + i] = 0;
	sfence_vma();
}

void arch_memmap(struct memmap *map)
{
	const char *err = NULL;

	if (fdt_read_memmap(boot_dtb(), boot_dtb_phys, map, &err) < 0)
		panic("arch_memmap: cannot read the memory map from the device "
		      "tree at %#lx: %s", (unsigned long)boot_dtb_phys, err);
	memmap_add_reserved(map, virt_to_phys(_kernel_start),
			    (uint64_t)(_kernel_end - _kernel_start), "kernel");
	/* RAM we cannot reach through the direct map is of no use to us. */
	if (memmap_ram_end(map) > DIRECT_MAP_LIMIT)
		memmap_add_reserved(map, DIRECT_MAP_LIMIT,
				    PHYS_ADDR_LIMIT - DIRECT_MAP_LIMIT,
				    "beyond the direct map");
	/* Now that we know where RAM ends, tidy the boot page table. */
	trim_boot_page_table(memmap_ram_end(map));
}

const char *arch_cmdline(void)
{
	const char *args = fdt_bootargs(boot_dtb());

	return args ? args : "";
}

paddr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VIRT_BASE)
		return v - KERNEL_VIRT_OFFSET;
	return v - DIRECT_MAP_BASE;
}

noreturn void riscv_main(uint64_t hart_id, uint64_t dtb_phys)
{
	boot_hart_id = hart_id;
	boot_dtb_phys = dtb_phys;
	riscv_cpu_init(0, hart_id, (uintptr_t)boot_stack_top);
	trap_init(&riscv_cpus[0]);
	uart_init();
	validate_dtb();
	kernel_main();
}
