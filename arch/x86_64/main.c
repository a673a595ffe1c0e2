/*
 * x86_64_main: the C entry point on x86-64, called by entry.S in 64-bit
 * mode with the kernel running at its high address. It finishes the
 * architecture's part of boot and hands over to the portable kernel_main().
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"

const char arch_name[] = "x86_64";
uintptr_t direct_map_offset = DIRECT_MAP_BASE;
uint64_t boot_info_phys;

/* GRUB's boot information is a few KiB; refuse to believe in a larger one. */
#define MB2_INFO_MAX_SIZE (1 * MiB)
/* Until arch_memmap() extends it, the direct map ends at 4 GiB. */
#define BOOT_MAPPED_END   ((uint64_t)DIRECT_MAP_BOOT_GIB * GiB)

#define CMDLINE_MAX    1024
#define FW_CFG_CMDLINE "opt/duet/cmdline"

static char cmdline[CMDLINE_MAX];
static char fw_cfg_cmdline[CMDLINE_MAX];

static const void *boot_info(void)
{
	return phys_to_virt(boot_info_phys);
}

/* Check the boot information before anything reads it. */
static void validate_boot_info(void)
{
	const char *err = NULL;

	if (boot_info_phys == 0 || !IS_ALIGNED(boot_info_phys, 8) ||
	    boot_info_phys > BOOT_MAPPED_END - 8)
		panic("x86_64_main: multiboot2 information address %#lx from "
		      "ebx is not a valid (non-zero, 8-byte aligned, below "
		      "4 GiB) address", (unsigned long)boot_info_phys);
	size_t readable = MIN(MB2_INFO_MAX_SIZE,
			      BOOT_MAPPED_END - boot_info_phys);
	if (mb2_validate(boot_info(), readable, &err) < 0)
		panic("x86_64_main: malformed multiboot2 information at %#lx: "
		      "%s", (unsigned long)boot_info_phys, err);
}

/*
 * The command line is the boot loader's (from grub.cfg: empty in our ISO)
 * followed by QEMU's fw_cfg file opt/duet/cmdline, if there is one. The
 * ISO is built once; the grader picks the tests with
 *   -fw_cfg name=opt/duet/cmdline,string=test=...
 * Since the last "key=" wins, the fw_cfg part overrides GRUB's.
 */
static void build_cmdline(void)
{
	const char *loader = mb2_cmdline(boot_info());
	long len = fw_cfg_read_file(FW_CFG_CMDLINE, fw_cfg_cmdline,
				    sizeof(fw_cfg_cmdline));

	if (!loader)
		loader = "";
	if (len >= (long)sizeof(fw_cfg_cmdline))
		kprintf("x86_64: fw_cfg %s is %ld bytes long: only the first "
			"%zu are used\n", FW_CFG_CMDLINE, len,
			sizeof(fw_cfg_cmdline) - 1);
	ksnprintf(cmdline, sizeof(cmdline), "%s%s%s", loader,
		  *loader && len > 0 ? " " : "", len > 0 ? fw_cfg_cmdline : "");
	/* A file passed with -fw_cfg file=... likely ends in a newline. */
	for (char *p = cmdline; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

const char *arch_cmdline(void)
{
	return cmdline;
}

void arch_memmap(struct memmap *map)
{
	const char *err = NULL;

	if (mb2_read_memmap(boot_info(), boot_info_phys, map, &err) < 0)
		panic("arch_memmap: cannot read the memory map from the "
		      "multiboot2 information at %#lx: %s",
		      (unsigned long)boot_info_phys, err);
	if (memmap_add_reserved(map, virt_to_phys(_kernel_start),
				(uint64_t)(_kernel_end - _kernel_start),
				"kernel") < 0)
		panic("arch_memmap: no room in the memory map for the kernel");
	/* Now that we know where RAM ends, map the RAM above 4 GiB. */
	paging_extend_direct_map(memmap_ram_end(map));
}

paddr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VIRT_BASE)
		return v - KERNEL_VIRT_BASE;
	return v - DIRECT_MAP_BASE;
}

noreturn void x86_64_main(uint64_t info_phys)
{
	cpu_local_init(0, (uintptr_t)boot_stack_top);  /* before any lock */
	boot_info_phys = info_phys;
	uart_init();
	gdt_init(0);            /* GDT and IDT at high addresses ... */
	trap_init();
	paging_init();          /* ... before the identity map goes  */
	pte_init();             /* NX on, before any entry uses it */
	validate_boot_info();
	build_cmdline();
	smp_find_cpus();        /* while the boot tables map ACPI's */
	kernel_main();
}
