/*
 * The ktest runner: selects tests, runs them one by one and prints KTAP.
 *
 * Each test runs under arch_setjmp(). A failed KT_ASSERT, KT_SKIP or a
 * panic jumps back here, so one broken test cannot stop the others.
 * Tests and suites live in linker sections filled by the KTEST macros.
 */
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"

extern const struct ktest __ktests_start[], __ktests_end[];
extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];

enum jump_reason { JUMP_NONE, JUMP_PANIC, JUMP_ASSERT, JUMP_SKIP };

/* State of the test now running. */
static struct {
	bool running;
	bool failed;
	bool panicked;
	const char *skip_reason;
	const char *panic_must_contain;
	char panic_message[256];
	unsigned locks_held;    /* spinlocks held when the test started */
	struct jmp_buf jump;
} cur;

/* ---- Selection ---------------------------------------------------------- */

/* Does "suite" or "suite.test" match one of the comma-separated globs? */
static bool selected(const char *patterns, const char *suite, const char *test)
{
	char full[128], glob[128];

	ksnprintf(full, sizeof(full), "%s.%s", suite, test);
	while (*patterns) {
		size_t n = 0;
		while (patterns[n] && patterns[n] != ',')
			n++;
		if (n > 0 && n < sizeof(glob)) {
			memcpy(glob, patterns, n);
			glob[n] = '\0';
			if (glob_match(glob, suite) || glob_match(glob, full))
				return true;
		}
		patterns += n;
		if (*patterns == ',')
			patterns++;
	}
	return false;
}

static const struct ktest_suite *find_suite_hooks(const char *name)
{
	for (const struct ktest_suite *s = __ktest_suites_start;
	     s < __ktest_suites_end; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Is t the first selected test of its suite? (Suites are printed in the
 * order their first test appears.) */
static bool first_of_suite(const char *patterns, const struct ktest *t)
{
	for (const struct ktest *u = __ktests_start; u < t; u++)
		if (strcmp(u->suite, t->suite) == 0 &&
		    selected(patterns, u->suite, u->name))
			return false;
	return true;
}

static int count_tests(const char *patterns, const char *suite)
{
	int n = 0;

	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		if (strcmp(t->suite, suite) == 0 &&
		    selected(patterns, t->suite, t->name))
			n++;
	return n;
}

static int count_suites(const char *patterns)
{
	int n = 0;

	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		if (selected(patterns, t->suite, t->name) &&
		    first_of_suite(patterns, t))
			n++;
	return n;
}

/* ---- Result lines, bound to this boot's nonce (see ktest.h) -------------- */

#define FNV_OFFSET_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME        0x100000001b3ull
#define NONCE_MAX        32     /* hex digits */

static char boot_nonce[NONCE_MAX + 1];  /* "" when the boot has none */

static uint64_t fnv1a(uint64_t hash, const char *s)
{
	for (; *s; s++) {
		hash ^= (uint8_t)*s;
		hash *= FNV_PRIME;
	}
	return hash;
}

uint64_t ktest_result_tag(const char *nonce, const char *suite, int number,
			  const char *name, const char *verdict)
{
	char num[16];

	ksnprintf(num, sizeof(num), "%d", number);
	const char *parts[] = { nonce, "|", suite, "|", num, "|", name, "|",
				verdict };
	uint64_t hash = FNV_OFFSET_BASIS;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		hash = fnv1a(hash, parts[i]);
	return hash;
}

/* Take ktap_nonce= from the command line; anything but hex is ignored
 * (then no tags are printed, and a grader that sent a nonce gives no
 * points). */
static void load_nonce(void)
{
	char text[NONCE_MAX + 1];

	boot_nonce[0] = '\0';
	if (cmdline_get(arch_cmdline(), "ktap_nonce", text, sizeof(text)) != 0)
		return;
	for (const char *c = text; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
		      (*c >= 'A' && *c <= 'F')))
			return;
	strlcpy(boot_nonce, text, sizeof(boot_nonce));
}

/*
 * Print one KTAP result line: a test's (indented, suite = its suite) or a
 * suite's own (suite = ""). verdict is "ok", "not ok" or "skip"; a skip
 * is printed "ok ... # SKIP reason", as KTAP has it.
 */
static void print_result(const char *suite, int number, const char *name,
			 const char *verdict, const char *skip_reason)
{
	char tag[32] = "";

	if (boot_nonce[0])
		ksnprintf(tag, sizeof(tag), " # tag:%016lx", (unsigned long)
			  ktest_result_tag(boot_nonce, suite, number, name,
					   verdict));
	const char *indent = *suite ? "    " : "";
	if (skip_reason)
		kprintf("%sok %d %s # SKIP %s%s\n", indent, number, name,
			skip_reason, tag);
	else
		kprintf("%s%s %d %s%s\n", indent, verdict, number, name, tag);
}

/* ---- Running one test ---------------------------------------------------- */

struct tally {
	int pass, fail, skip;
};

static void report(struct tally *tally, const char *suite, int number,
		   const char *name)
{
	if (cur.skip_reason) {
		print_result(suite, number, name, "skip", cur.skip_reason);
		tally->skip++;
	} else if (cur.failed) {
		print_result(suite, number, name, "not ok", NULL);
		tally->fail++;
	} else {
		print_result(suite, number, name, "ok", NULL);
		tally->pass++;
	}
}

/*
 * The stubs of a student's starter tree panic with "not implemented".
 * Such a panic must never satisfy a test that expects the code to panic
 * for a reason of its own (a double free, say).
 */
#define STUB_PANIC "not implemented"

/* Judge a test that expected to panic. */
static void check_expected_panic(void)
{
	if (!cur.panicked) {
		kprintf("    # expected a panic, but the test returned normally\n");
		cur.failed = true;
	} else if (strstr(cur.panic_message, STUB_PANIC)) {
		kprintf("    # panicked only because code is missing: %s\n",
			cur.panic_message);
		cur.failed = true;
	} else if (cur.panic_must_contain &&
		   !strstr(cur.panic_message, cur.panic_must_contain)) {
		kprintf("    # panic message \"%s\" does not contain \"%s\"\n",
			cur.panic_message, cur.panic_must_contain);
		cur.failed = true;
	} else {
		kprintf("    # expected panic: %s\n", cur.panic_message);
	}
}

/* Run fn under the jump buffer; afterwards cur says what happened. */
static void run_guarded(void (*fn)(void), bool should_panic)
{
	bool irq = arch_irq_save();

	cur = (typeof(cur)){ 0 };
	cur.locks_held = spin_held_count();
	arch_irq_restore(irq);
	if (arch_setjmp(&cur.jump) == JUMP_NONE) {
		cur.running = true;
		fn();
	}
	cur.running = false;
	spin_release_held_above(cur.locks_held);
	arch_irq_restore(irq);
	if (should_panic) {
		check_expected_panic();
	} else if (cur.panicked) {
		kprintf("    # panic: %s\n", cur.panic_message);
		cur.failed = true;
	}
}

bool run_catching_panic(void (*fn)(void), char *why, size_t why_size)
{
	run_guarded(fn, false);
	if (cur.panicked)
		strlcpy(why, cur.panic_message, why_size);
	else if (cur.failed)
		strlcpy(why, "a check failed", why_size);
	return !cur.failed;
}

static void run_test(const struct ktest *t, struct tally *tally, int number)
{
	run_guarded(t->fn, t->should_panic);
	report(tally, t->suite, number, t->name);
}

/* ---- Running a suite ----------------------------------------------------- */

static bool run_suite(const char *patterns, const char *suite, int number)
{
	const struct ktest_suite *hooks = find_suite_hooks(suite);
	bool has_exit = hooks && hooks->exit;
	struct tally tally = { 0 };
	int n = 0;

	kprintf("    KTAP version 1\n    # Subtest: %s\n    1..%d\n", suite,
		count_tests(patterns, suite) + (has_exit ? 1 : 0));
	if (hooks && hooks->init)
		run_guarded(hooks->init, false);
	bool init_failed = hooks && hooks->init && cur.failed;
	if (init_failed)
		kprintf("    # suite init failed: every test is marked not ok\n");

	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (strcmp(t->suite, suite) != 0 ||
		    !selected(patterns, t->suite, t->name))
			continue;
		if (init_failed) {
			cur = (typeof(cur)){ .failed = true };
			report(&tally, suite, ++n, t->name);
		} else {
			run_test(t, &tally, ++n);
		}
	}
	if (has_exit && init_failed) {
		/* Leak checks mean nothing if the suite never started. */
		cur = (typeof(cur)){ .failed = true };
		report(&tally, suite, ++n, "suite_exit");
	} else if (has_exit) {
		run_guarded(hooks->exit, false);
		report(&tally, suite, ++n, "suite_exit");
	}
	kprintf("# %s: pass:%d fail:%d skip:%d total:%d\n", suite, tally.pass,
		tally.fail, tally.skip, n);
	print_result("", number, suite, tally.fail ? "not ok" : "ok", NULL);
	return tally.fail == 0;
}

int ktest_run(const char *patterns)
{
	int suites = 0, failed = 0;

	load_nonce();
	kprintf("KTAP version 1\n1..%d\n", count_suites(patterns));
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (!selected(patterns, t->suite, t->name) ||
		    !first_of_suite(patterns, t))
			continue;
		if (!run_suite(patterns, t->suite, ++suites))
			failed++;
	}
	kprintf("# Totals: suites:%d failed:%d\n", suites, failed);
	return failed;
}

void ktest_list(const char *patterns)
{
	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
		if (selected(patterns, t->suite, t->name))
			kprintf("  %s.%s%s\n", t->suite, t->name,
				t->should_panic ? "  (should panic)" : "");
}

/* ---- Hooks used by assertions and panic() -------------------------------- */

void ktest_panic_hook(const char *message)
{
	if (!cur.running)
		return;
	strlcpy(cur.panic_message, message, sizeof(cur.panic_message));
	cur.panicked = true;
	panic_reset();
	arch_longjmp(&cur.jump, JUMP_PANIC);
}

/*
 * End the running test early (a failed KT_ASSERT, or KT_SKIP). The jump
 * buffer lives on CPU 0's stack, so inside smp_run_on_all work we panic
 * instead, and smp reports it to the test on CPU 0.
 */
static void end_test(enum jump_reason why, const char *what)
{
	if (!cur.running)
		return;
	if (arch_cpu_id() != 0 || smp_in_run())
		panic("%s inside smp_run_on_all work", what);
	arch_longjmp(&cur.jump, why);
}

void ktest_fail_cmp(const char *file, int line, const char *a_text,
		    const char *op, const char *b_text, uint64_t a, uint64_t b,
		    bool fatal)
{
	kprintf("    # %s:%d: expected %s %s %s\n", file, line, a_text, op, b_text);
	kprintf("    #   %s = %#lx (%ld)\n", a_text, (unsigned long)a, (long)a);
	kprintf("    #   %s = %#lx (%ld)\n", b_text, (unsigned long)b, (long)b);
	cur.failed = true;
	if (fatal)
		end_test(JUMP_ASSERT, "a failed KT_ASSERT (see above)");
}

void ktest_fail(const char *file, int line, bool fatal, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	kprintf("    # %s:%d: %s\n", file, line, message);
	cur.failed = true;
	if (fatal)
		end_test(JUMP_ASSERT, "a failed KT_ASSERT (see above)");
}

noreturn void ktest_skip(const char *reason)
{
	if (!cur.running)
		panic("ktest_skip: called outside a test");
	cur.skip_reason = reason;
	end_test(JUMP_SKIP, "KT_SKIP");
	panic("ktest_skip: unreachable");
}

void ktest_expect_panic_message(const char *substring)
{
	cur.panic_must_contain = substring;
}
