/*
 * Deliberately broken kernels: the grader's adversaries.
 *
 * This file is never part of the normal kernel. "make broken-kernels
 * BROKEN='<fault> ...'" (the Makefile's last section) links it with the
 * normal kernel's objects and -Wl,--wrap=f for each function f below, so
 * that every call of f from another file reaches __wrap_f here instead.
 * The wrapper misbehaves if this build's fault (BROKEN_FAULT) says so, and
 * otherwise calls the real function, __real_f. No hook in the kernel.
 *
 * The catalogue. tests/broken/test_broken_kernels.py grades each one and
 * checks the grader's verdict; docs/grading.md lists them with it.
 *
 *   hang_early      spins in kernel_main before printing a single byte
 *   hang_midtest    deadlocks inside ktest_selftest.panic_releases_locks
 *   flood           prints forever, from the same test
 *   machine_reset   the machine vanishes in that test: a triple fault on
 *                   x86-64, an SBI reset (QEMU exits 0, "pass") on RISC-V
 *   trap            loads from address 8 before any test runs
 *   fake_pass       runs no test, prints no KTAP, exits "pass"
 *   canned_ok       prints an all-"ok" report without running a test
 *   replayed        the same, tagged with another boot's nonce
 *   forged          the same, with this boot's tags: the honest limit of
 *                   tags (ktest_selftest passes), caught by the host
 *                   check where there is one (pmm_verify)
 *   dup_result      prints one real result line twice
 *   garbled         mangles one real result line
 *   wrong_plan      prints the first suite's plan one short
 *   pmm_overlap     page_alloc_aligned() hands out a live block again
 *   pmm_misaligned  ... returns a block one page off its alignment
 *   pmm_leak        page_free() drops a free on the floor
 *   pmm_big_map     pmm_verify's trace claims RAM the machine lacks
 *
 * The pmm_* faults misbehave only while tests run, so boot is unharmed;
 * the kernel's own checks do not notice them, only the grader's do.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/page_alloc.h"
#include "tests/broken/broken.h"

#ifndef BROKEN_FAULT
#error "build with -DBROKEN_FAULT='\"<fault>\"' (make broken-kernels)"
#endif

static const char *const catalogue[] = {
	"hang_early", "hang_midtest", "flood", "machine_reset", "trap",
	"fake_pass", "canned_ok", "replayed", "forged", "dup_result",
	"garbled", "wrong_plan", "pmm_overlap", "pmm_misaligned", "pmm_leak",
	"pmm_big_map",
};

/* A tag from a boot long gone, as a saved log would carry. */
#define OLD_NONCE "0123456789abcdef"

static bool fault(const char *name)
{
	return strcmp(BROKEN_FAULT, name) == 0;
}

/* Set while ktest_run() runs: the pmm_* faults leave boot alone. */
static bool testing;

/* The real functions (the linker's --wrap gives them these names). */
noreturn void __real_kernel_main(void);
int __real_ktest_run(const char *patterns);
void __real_spin_lock(struct spinlock *lk);
int __real_kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
paddr_t __real_page_alloc_aligned(uint64_t npages, uint64_t align_pages);
void __real_page_free(paddr_t pa, uint64_t npages);

noreturn void __wrap_kernel_main(void);
int __wrap_ktest_run(const char *patterns);
void __wrap_spin_lock(struct spinlock *lk);
int __wrap_kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
paddr_t __wrap_page_alloc_aligned(uint64_t npages, uint64_t align_pages);
void __wrap_page_free(paddr_t pa, uint64_t npages);

/* ---- Boot ---------------------------------------------------------------- */

noreturn void __wrap_kernel_main(void)
{
	bool known = false;

	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++)
		known |= fault(catalogue[i]);
	if (!known)
		panic("tests/broken: unknown fault \"%s\"", BROKEN_FAULT);
	if (fault("hang_early"))
		for (;;)
			arch_cpu_relax();
	__real_kernel_main();
}

/* ---- Reports that were never earned -------------------------------------- */

extern const struct ktest __ktests_start[], __ktests_end[];
extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];

/* Is suite one of the comma-separated globs? (Whole suites only.) */
static bool wanted(const char *patterns, const char *suite)
{
	char glob[64];

	while (*patterns) {
		size_t n = 0;
		while (patterns[n] && patterns[n] != ',')
			n++;
		if (n < sizeof(glob)) {
			memcpy(glob, patterns, n);
			glob[n] = '\0';
			if (glob_match(glob, suite))
				return true;
		}
		patterns += n + (patterns[n] == ',');
	}
	return false;
}

static bool has_exit_hook(const char *suite)
{
	for (const struct ktest_suite *s = __ktest_suites_start;
	     s < __ktest_suites_end; s++)
		if (strcmp(s->name, suite) == 0 && s->exit)
			return true;
	return false;
}

/* The first test of its suite in the section? */
static bool first_of_suite(const struct ktest *t)
{
	for (const struct ktest *u = __ktests_start; u < t; u++)
		if (strcmp(u->suite, t->suite) == 0)
			return false;
	return true;
}

static void print_ok(const char *indent, const char *nonce,
		     const char *suite, int number, const char *name)
{
	if (nonce)
		__real_kprintf("%sok %d %s # tag:%016lx\n", indent, number,
			       name, (unsigned long)ktest_result_tag(
				       nonce, suite, number, name, "ok"));
	else
		__real_kprintf("%sok %d %s\n", indent, number, name);
}

/* Print "ok" for every selected test without running one, tagged with
 * nonce (NULL: untagged, as a report typed in advance). */
static void fabricate(const char *patterns, const char *nonce)
{
	int suites = 0;

	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		suites += wanted(patterns, t->suite) && first_of_suite(t);
	__real_kprintf("KTAP version 1\n1..%d\n", suites);
	suites = 0;
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (!wanted(patterns, t->suite) || !first_of_suite(t))
			continue;
		int n = 0, plan = has_exit_hook(t->suite);
		for (const struct ktest *u = t; u < __ktests_end; u++)
			plan += strcmp(u->suite, t->suite) == 0;
		__real_kprintf("    KTAP version 1\n    # Subtest: %s\n"
			       "    1..%d\n", t->suite, plan);
		for (const struct ktest *u = t; u < __ktests_end; u++)
			if (strcmp(u->suite, t->suite) == 0)
				print_ok("    ", nonce, t->suite, ++n, u->name);
		if (has_exit_hook(t->suite))
			print_ok("    ", nonce, t->suite, ++n, "suite_exit");
		print_ok("", nonce, "", ++suites, t->suite);
	}
}

int __wrap_ktest_run(const char *patterns)
{
	char nonce[40];

	if (fault("trap")) {
		/* Through a volatile: the compiler cannot see it is bogus. */
		static volatile uintptr_t unmapped = 8;
		(void)*(volatile uint64_t *)unmapped;
	}
	if (fault("fake_pass"))
		return 0;
	if (fault("canned_ok") || fault("replayed") || fault("forged")) {
		if (cmdline_get(arch_cmdline(), "ktap_nonce", nonce,
				sizeof(nonce)) != 0)
			nonce[0] = '\0';
		fabricate(patterns, fault("canned_ok") ? NULL :
			  fault("replayed") ? OLD_NONCE : nonce);
		return 0;
	}
	testing = true;
	int failed = __real_ktest_run(patterns);
	testing = false;
	return failed;
}

/* ---- Dying inside a test ------------------------------------------------- */

/* ktest_selftest.panic_releases_locks, the third selftest, takes the lock
 * called "selftest": nothing else does. */
void __wrap_spin_lock(struct spinlock *lk)
{
	if (lk->name && strcmp(lk->name, "selftest") == 0) {
		if (fault("hang_midtest"))
			for (;;)
				arch_cpu_relax();
		if (fault("flood"))
			for (;;)
				__real_kprintf("flood flood flood flood "
					       "flood flood flood flood\n");
		if (fault("machine_reset")) {
			broken_machine_reset();
			for (;;)
				arch_cpu_relax();
		}
	}
	__real_spin_lock(lk);
}

/* ---- A corrupt KTAP stream ----------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Print one line of the kernel's output (without its '\n'), corrupted. */
static void corrupt_line(char *line, bool newline)
{
	static bool done;
	const char *nl = newline ? "\n" : "";
	uint64_t plan;

	if (!done && fault("dup_result") && starts_with(line, "    ok 1 ")) {
		done = true;
		__real_kprintf("%s\n", line);   /* and again below */
	} else if (!done && fault("garbled") &&
		   starts_with(line, "    ok 2 ") && strlen(line) > 15) {
		done = true;
		memcpy(line + 12, "~\x7f~", 3);  /* in the test's name */
	} else if (!done && fault("wrong_plan") &&
		   starts_with(line, "    1..") &&
		   parse_size(line + 7, &plan) && plan > 0) {
		done = true;
		__real_kprintf("    1..%lu%s", (unsigned long)plan - 1, nl);
		return;
	} else if (!done && fault("pmm_big_map") &&
		   starts_with(line, "    # verify: free_pages")) {
		done = true;
		__real_kprintf("    # verify: usable %#lx %#lx\n",
			       (unsigned long)4 * GiB, (unsigned long)5 * GiB);
	}
	__real_kprintf("%s%s", line, nl);
}

int __wrap_kprintf(const char *fmt, ...)
{
	static char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (!(fault("dup_result") || fault("garbled") || fault("wrong_plan") ||
	      fault("pmm_big_map"))) {
		n = kvprintf(fmt, ap);
		va_end(ap);
		return n;
	}
	n = kvsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (char *line = text; *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = '\0';
		corrupt_line(line, end != NULL);
		if (!end)
			break;
		line = end + 1;
	}
	return n;
}

/* ---- A page allocator that lies ------------------------------------------ */

static struct {
	unsigned allocs, frees;
	paddr_t last_pa;                /* the last block handed out, if live */
	paddr_t twin_pa;                /* pmm_overlap: the block given twice */
	uint64_t twin_npages;
	bool overlapped, misaligned;    /* each lie is told once */
} lie = { .last_pa = PHYS_NONE, .twin_pa = PHYS_NONE };

paddr_t __wrap_page_alloc_aligned(uint64_t npages, uint64_t align_pages)
{
	if (!testing)
		return __real_page_alloc_aligned(npages, align_pages);
	lie.allocs++;
	if (fault("pmm_overlap") && lie.allocs >= 10 && !lie.overlapped &&
	    lie.last_pa != PHYS_NONE &&
	    IS_ALIGNED(lie.last_pa, align_pages * PAGE_SIZE)) {
		lie.overlapped = true;
		lie.twin_pa = lie.last_pa;
		lie.twin_npages = npages;
		return lie.twin_pa;
	}
	if (fault("pmm_misaligned") && align_pages > 1 && !lie.misaligned) {
		paddr_t pa = __real_page_alloc_aligned(npages + 1, align_pages);
		lie.misaligned = true;
		return pa == PHYS_NONE ? pa : pa + PAGE_SIZE;
	}
	paddr_t pa = __real_page_alloc_aligned(npages, align_pages);
	lie.last_pa = pa;
	return pa;
}

void __wrap_page_free(paddr_t pa, uint64_t npages)
{
	if (testing && fault("pmm_overlap") && pa == lie.twin_pa &&
	    npages == lie.twin_npages) {
		lie.twin_pa = PHYS_NONE;        /* it was never really ours */
		lie.twin_npages = 0;
		return;
	}
	if (testing && fault("pmm_leak") && ++lie.frees == 5)
		return;
	if (pa == lie.last_pa)
		lie.last_pa = PHYS_NONE;
	__real_page_free(pa, npages);
}
