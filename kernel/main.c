/*
 * kernel_main: the portable part of boot, the same on every architecture.
 *
 *   arch entry (asm) -> arch main (C) -> kernel_main
 *       memory map -> page allocator -> heap -> kernel page table
 *       -> (tests | monitor)
 *
 * With "test=<globs>" on the command line the kernel runs those tests,
 * prints KTAP and exits QEMU with pass/fail; otherwise it starts the
 * interactive monitor.
 */
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/monitor.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/smp.h"
#include "mm/heap.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "mm/vm.h"

struct memmap boot_memmap;

static void banner(void)
{
	kprintf("\nDuet %s on %s -- a teaching kernel\n", DUET_VERSION,
		arch_name);
	kprintf("command line: \"%s\"\n", arch_cmdline());
}

static void setup_memory_map(void)
{
	memmap_init(&boot_memmap);
	arch_memmap(&boot_memmap);
	int err = memmap_finalize(&boot_memmap);
	if (err < 0)
		panic("kernel_main: cannot normalise the memory map: %s",
		      error_name(err));
	if (boot_memmap.nusable == 0)
		panic("kernel_main: the memory map has no usable RAM");
}

/*
 * Run one boot step that depends on lab code. If it panics (a bug, or a
 * stub saying "not implemented"), say so and carry on: the tests and the
 * monitor must still work, so students see which tests fail and why.
 */
static bool boot_step(const char *what, void (*fn)(void))
{
	char why[256];

	if (run_catching_panic(fn, why, sizeof(why)))
		return true;
	kprintf("boot: %s failed: %s\nboot: carrying on without it\n",
		what, why);
	return false;
}

/* Start the page allocator named by pmm= (see mm/page_alloc.h). */
static void setup_page_allocator(void)
{
	char name[32] = "";

	if (cmdline_get(arch_cmdline(), "pmm", name, sizeof(name)) == -E2BIG)
		panic("boot: pmm= is longer than %lu characters (it must be "
		      "bump, bitmap, freelist or buddy)",
		      (unsigned long)sizeof(name) - 1);
	pmm_init(&boot_memmap, name);
}

static noreturn void run_tests_and_exit(const char *patterns)
{
	int failed = ktest_run(patterns);

	arch_exit(failed ? 1 : 0);
}

noreturn void kernel_main(void)
{
	char tests[128];

	banner();
	if (boot_step("memory map", setup_memory_map))
		memmap_print(&boot_memmap);
	boot_step("page allocator", setup_page_allocator);
	boot_step("heap", kheap_init);
	boot_step("kernel page table", vm_kernel_init);
	boot_step("other CPUs", smp_init);

	switch (cmdline_get(arch_cmdline(), "test", tests, sizeof(tests))) {
	case 0:
		run_tests_and_exit(tests);
	case -E2BIG:
		/* Not the monitor: a grader waiting for tests would hang. */
		panic("kernel_main: test= is longer than %lu characters; name "
		      "fewer patterns or use wildcards",
		      (unsigned long)sizeof(tests) - 1);
	default:
		monitor_run();
	}
}

static void cmd_meminfo(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	uint64_t usable = memmap_usable_bytes(&boot_memmap);

	kprintf("usable RAM: %lu KiB (%lu pages)\n",
		(unsigned long)(usable / KiB),
		(unsigned long)(usable / PAGE_SIZE));
	pmm_print_stats();
}
MONITOR_COMMAND(meminfo, "summarise memory use", cmd_meminfo);
