/*
 * Tests of multi-CPU boot and smp_run_on_all() (kernel/smp.h).
 *
 * They pass on a machine with one CPU too, where smp_run_on_all() runs
 * the function on CPU 0 alone. The functions run on every CPU count
 * what went wrong instead of using KT_* checks (see smp.h); the test
 * checks the counts afterwards, on CPU 0.
 */
#include "kernel/arch.h"
#include "kernel/ktest.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "mm/vm.h"

/* Increments per CPU in the counter tests: enough for every CPU to be
 * at it while the others are, few enough to stay quick under QEMU. */
#define INCREMENTS 100000

static void add(unsigned *p, unsigned n)
{
	__atomic_add_fetch(p, n, __ATOMIC_RELAXED);
}

/*
 * Wait until every online CPU has arrived here. smp_run_on_all() wakes
 * the CPUs one after another, and a short loop may be over on one
 * before the next wakes up: these tests only test something if the CPUs
 * run their loops at the same time.
 */
static void start_together(unsigned *arrived)
{
	add(arrived, 1);
	while (__atomic_load_n(arrived, __ATOMIC_ACQUIRE) < smp_cpu_count())
		arch_cpu_relax();
}

/* ---- Every CPU takes part ----------------------------------------------- */

KTEST(smp, every_present_cpu_is_online)
{
	unsigned online = 0;

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		online += smp_cpu_online(cpu);
	KT_EXPECT_TRUE(smp_cpu_online(0));
	KT_EXPECT_EQ(online, smp_cpu_count());
	KT_EXPECT_EQ(smp_cpu_count(), smp_cpus_present());
	kprintf("    # %u CPU(s) online\n", smp_cpu_count());
}

static unsigned runs_on[MAX_CPUS];

static void count_run(void *arg)
{
	UNUSED(arg);
	add(&runs_on[arch_cpu_id()], 1);
}

/* Each online CPU once, no other: also says the ids are distinct. */
KTEST(smp, every_online_cpu_runs_the_function_once)
{
	for (unsigned round = 0; round < 3; round++) {
		memset(runs_on, 0, sizeof(runs_on));
		smp_run_on_all(count_run, NULL);
		/* The run is over: every CPU's count is final now. */
		for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
			KT_EXPECT_EQ(runs_on[cpu], smp_cpu_online(cpu) ? 1 : 0);
	}
}

struct ids {
	unsigned next;                  /* slots taken */
	unsigned id[MAX_CPUS + 1];      /* one spare: a CPU too many shows */
};

static void record_id(void *arg)
{
	struct ids *ids = arg;
	unsigned slot = __atomic_fetch_add(&ids->next, 1, __ATOMIC_RELAXED);

	if (slot < ARRAY_SIZE(ids->id))
		ids->id[slot] = arch_cpu_id();
}

KTEST(smp, cpu_ids_are_distinct_and_online)
{
	struct ids ids = { 0 };

	smp_run_on_all(record_id, &ids);
	KT_ASSERT_EQ(ids.next, smp_cpu_count());
	for (unsigned i = 0; i < ids.next; i++) {
		KT_EXPECT_LT(ids.id[i], MAX_CPUS);
		KT_EXPECT_TRUE(smp_cpu_online(ids.id[i]));
		for (unsigned j = 0; j < i; j++)
			KT_EXPECT_NE(ids.id[i], ids.id[j]);
	}
}

/* ---- Sharing a counter -------------------------------------------------- */

struct counter {
	struct spinlock lock;
	volatile unsigned long value;
	unsigned arrived;               /* start_together() */
};

static void locked_increments(void *arg)
{
	struct counter *c = arg;

	start_together(&c->arrived);
	for (unsigned i = 0; i < INCREMENTS; i++) {
		spin_lock(&c->lock);
		c->value = c->value + 1;    /* a load, a store: racy alone */
		spin_unlock(&c->lock);
	}
}

KTEST(smp, spinlock_protected_counter_is_exact)
{
	struct counter c = { SPINLOCK_INIT("smp test"), 0, 0 };

	smp_run_on_all(locked_increments, &c);
	KT_EXPECT_EQ(c.value, (unsigned long)smp_cpu_count() * INCREMENTS);
	KT_EXPECT_FALSE(spin_is_locked(&c.lock));
}

struct atomic_counter {
	unsigned value;
	unsigned arrived;
};

static void atomic_increments(void *arg)
{
	struct atomic_counter *c = arg;

	start_together(&c->arrived);
	for (unsigned i = 0; i < INCREMENTS; i++)
		add(&c->value, 1);
}

KTEST(smp, atomic_counter_is_exact)
{
	struct atomic_counter c = { 0, 0 };

	smp_run_on_all(atomic_increments, &c);
	KT_EXPECT_EQ(c.value, smp_cpu_count() * INCREMENTS);
}

/* ---- Panics on other CPUs ----------------------------------------------- */

/* The CPU that panics in these tests: the last one online (CPU 0 if it
 * is alone). */
static unsigned last_cpu(void)
{
	unsigned last = 0;

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		if (smp_cpu_online(cpu))
			last = cpu;
	return last;
}

static struct spinlock victim = SPINLOCK_INIT("smp test victim");

static void panic_on_last_cpu(void *arg)
{
	UNUSED(arg);
	if (arch_cpu_id() != last_cpu())
		return;
	spin_lock(&victim);             /* must be released by the catch */
	panic("deliberate panic on CPU %u", arch_cpu_id());
}

KTEST_SHOULD_PANIC(smp, a_panic_on_any_cpu_is_reported_to_the_test)
{
	static char text[64];

	ksnprintf(text, sizeof(text), "CPU %u panicked: deliberate panic "
		  "on CPU %u", last_cpu(), last_cpu());
	KT_PANIC_MESSAGE_CONTAINS(text);
	smp_run_on_all(panic_on_last_cpu, NULL);
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

static void overflow_on_last_cpu(void *arg)
{
	UNUSED(arg);
	if (arch_cpu_id() == last_cpu())
		eat_stack(1024);        /* 1 MiB: far past any stack */
}

/* Every CPU's stack has a guard page (kernel/smp.c), and its traps a
 * stack of their own to be reported on. The guard pages exist only in
 * the final kernel page table, so this test belongs to the page-table
 * lab (suite vm_smp, graded in lab 5). */
KTEST_SHOULD_PANIC(vm_smp, a_stack_overflow_on_any_cpu_is_caught)
{
	if (kernel_space.root == PHYS_NONE)
		KT_SKIP("no kernel page table, so no guard pages");
	KT_PANIC_MESSAGE_CONTAINS("trap");
	smp_run_on_all(overflow_on_last_cpu, NULL);
}

/* Follows the tests above: the lock the panicking CPU held is free, and
 * that CPU still takes part in runs. */
KTEST(smp, locks_are_released_and_cpus_work_after_a_panic)
{
	KT_EXPECT_FALSE(spin_is_locked(&victim));
	memset(runs_on, 0, sizeof(runs_on));
	smp_run_on_all(count_run, NULL);
	KT_EXPECT_EQ(runs_on[last_cpu()], 1);
}

static void run_inside_a_run(void *arg)
{
	UNUSED(arg);
	if (arch_cpu_id() == 0)
		smp_run_on_all(count_run, NULL);
}

KTEST_SHOULD_PANIC(smp, a_run_inside_a_run_panics)
{
	KT_PANIC_MESSAGE_CONTAINS("one run at a time");
	smp_run_on_all(run_inside_a_run, NULL);
}
