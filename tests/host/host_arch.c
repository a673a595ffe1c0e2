/*
 * The host side of kernel/arch.h: lets mm/ and kernel/ sources run as an
 * ordinary Linux program for unit tests and benchmarks.
 *
 * "Physical memory" is a malloc'd arena. host_ram_init(base, size) makes
 * physical addresses [base, base+size) point into it, so allocators see
 * realistic addresses (e.g. 0x80000000) while every access lands in real,
 * sanitizer-checked memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/arch.h"
#include "kernel/panic.h"
#include "mm/memmap.h"
#include "mm/page_alloc.h"
#include "tests/host/host.h"

uintptr_t direct_map_offset;
const char arch_name[] = "host";

static void *arena;
static paddr_t arena_base;
static uint64_t arena_size;

void *host_ram_init(paddr_t base, uint64_t size)
{
	free(arena);
	arena = aligned_alloc(PAGE_SIZE, size);
	if (!arena) {
		fprintf(stderr, "host_ram_init: cannot allocate %llu bytes\n",
			(unsigned long long)size);
		exit(2);
	}
	arena_base = base;
	arena_size = size;
	direct_map_offset = (uintptr_t)arena - (uintptr_t)base;
	return arena;
}

void host_boot_page_allocator(struct memmap *map, paddr_t base,
			      uint64_t size, const char *pmm)
{
	host_ram_init(base, size);
	memmap_init(map);
	memmap_add_ram(map, base, size);
	memmap_finalize(map);
	pmm_init(map, pmm);
}

paddr_t virt_to_phys(const void *va)
{
	return (paddr_t)((uintptr_t)va - direct_map_offset);
}

void arch_memmap(struct memmap *map)
{
	(void)map;
}

const char *arch_cmdline(void)
{
	return "";
}

void arch_putc(char c)
{
	putchar(c);
}

int arch_getc(void)
{
	return -1;
}

noreturn void arch_exit(int code)
{
	exit(code);
}

bool arch_irq_save(void)
{
	return false;
}

void arch_irq_restore(bool was_enabled)
{
	(void)was_enabled;
}

void arch_cpu_relax(void)
{
}

unsigned arch_cpu_id(void)
{
	return 0;
}

void arch_backtrace(void (*fn)(uintptr_t ra), int max)
{
	(void)fn;
	(void)max;
}

/* ---- panic: longjmp to the test that expects it, else abort ---- */

jmp_buf *host_panic_jmp;
char host_panic_message[512];

noreturn void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host_panic_message, sizeof(host_panic_message), fmt, ap);
	va_end(ap);
	if (host_panic_jmp)
		longjmp(*host_panic_jmp, 1);
	printf("# panic: %s\n", host_panic_message);
	fflush(stdout);
	abort();
}

/* ---- the TAP runner (tap.h) ---- */

#include "tests/host/tap.h"

int tap_main(void)
{
	int failed = 0;

	printf("1..%d\n", tap_ntests);
	for (int i = 0; i < tap_ntests; i++) {
		tap_current_failed = 0;
		tap_tests[i].fn();
		printf("%sok %d %s\n", tap_current_failed ? "not " : "", i + 1,
		       tap_tests[i].name);
		failed += tap_current_failed;
	}
	fflush(stdout);
	return failed ? 1 : 0;
}
