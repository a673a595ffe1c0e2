/*
 * More than one CPU: see kernel/smp.h. The architecture starts, wakes
 * and idles CPUs (kernel/arch.h); everything else is here, the same on
 * every architecture.
 *
 * Each CPU has a struct cpu. Two handshakes go through it, each a value
 * one CPU stores with release ordering and the other loads with acquire
 * ordering, so what was written before the store is seen after the load:
 *
 *   starting (smp_init, CPU 0)           the new CPU
 *     state = STARTING
 *     arch_cpu_start(cpu, stack)  ---->  arch set-up, smp_secondary_main:
 *     wait for ONLINE             <----  STARTING -> ONLINE
 *     (or give up: STARTING -> FAILED; whichever comes first wins)
 *
 *   a run (smp_run_on_all, CPU 0)        each online CPU
 *     run = { fn, arg }
 *     requested = ++generation    ---->  wakes: requested != finished
 *     arch_cpu_wake(cpu)                 fn(arg)
 *     fn(arg) here too
 *     wait for finished == generation <-- finished = requested
 */
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/monitor.h"
#include "kernel/panic.h"
#include "kernel/smp.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "mm/vm.h"

enum cpu_state { CPU_ABSENT, CPU_STARTING, CPU_ONLINE, CPU_FAILED };

/* One per CPU, each on cache lines of its own: CPUs spinning on their
 * own fields do not slow each other down. */
struct cpu {
	unsigned state;                 /* enum cpu_state */
	unsigned requested;             /* the run CPU 0 asked for */
	unsigned finished;              /* the last run this CPU finished */
	/* A panic inside fn (see smp_panic_hook), this CPU only. */
	bool running;                   /* inside fn: catch panics */
	bool panicked;
	unsigned locks_held;            /* spinlocks held before fn */
	struct jmp_buf jump;
	char message[200];
} __attribute__((aligned(64)));

static struct cpu cpus[MAX_CPUS] = { [0].state = CPU_ONLINE };
static unsigned cpus_present = 1;

/* The run in progress; written by CPU 0 only, between runs. */
static struct {
	void (*fn)(void *arg);
	void *arg;
	unsigned generation;            /* how many runs so far */
} run;

/*
 * The stacks of CPUs 1 and up, laid out like the boot stack: a guard
 * page, unmapped once the final page table exists, then the stack. A
 * stack that overflows faults on its guard instead of silently
 * overwriting whatever lies below.
 */
struct cpu_stack {
	char guard[PAGE_SIZE];
	char stack[CPU_STACK_SIZE];
} __attribute__((aligned(PAGE_SIZE)));

static struct cpu_stack stacks[MAX_CPUS - 1];   /* CPU n: stacks[n - 1] */

/* How long CPU 0 waits for a started CPU to come online, in spins. It
 * takes well under a millisecond; Duet has no clock to count in. */
#define START_TIMEOUT_SPINS (1UL << 27)

static unsigned load_acquire(const unsigned *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(unsigned *p, unsigned value)
{
	__atomic_store_n(p, value, __ATOMIC_RELEASE);
}

/* Atomically: if *p is from, make it to. Did it? */
static bool change_state(unsigned *p, unsigned from, unsigned to)
{
	return __atomic_compare_exchange_n(p, &from, to, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* ---- Queries ------------------------------------------------------------ */

bool smp_cpu_online(unsigned cpu)
{
	return cpu < MAX_CPUS && load_acquire(&cpus[cpu].state) == CPU_ONLINE;
}

unsigned smp_cpu_count(void)
{
	unsigned n = 0;

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		n += smp_cpu_online(cpu);
	return n;
}

unsigned smp_cpus_present(void)
{
	return cpus_present;
}

/* ---- Starting the other CPUs -------------------------------------------- */

/*
 * Unmap the guard page below a stack. Only the final kernel page table
 * can lose one page of the kernel image: the boot table maps it with
 * large pages, so without the final table there are no guard pages.
 */
static void protect_stack(unsigned cpu, struct cpu_stack *s)
{
	if (kernel_space.root == PHYS_NONE)
		return;
	int err = vm_unmap(&kernel_space, (uintptr_t)s->guard, PAGE_SIZE);
	if (err < 0)
		kprintf("smp: CPU %u's stack has no guard page: vm_unmap: "
			"%s\n", cpu, error_name(err));
}

enum start_result { START_OK, START_REFUSED, START_TIMED_OUT };

/* Start one CPU and wait until it is online. */
static enum start_result start_cpu(unsigned cpu)
{
	struct cpu_stack *s = &stacks[cpu - 1];

	protect_stack(cpu, s);
	store_release(&cpus[cpu].state, CPU_STARTING);
	if (!arch_cpu_start(cpu, (uintptr_t)(s->stack + CPU_STACK_SIZE))) {
		store_release(&cpus[cpu].state, CPU_FAILED);
		return START_REFUSED;
	}
	for (unsigned long spins = 0; spins < START_TIMEOUT_SPINS; spins++) {
		if (load_acquire(&cpus[cpu].state) == CPU_ONLINE)
			return START_OK;
		arch_cpu_relax();
	}
	if (change_state(&cpus[cpu].state, CPU_STARTING, CPU_FAILED)) {
		kprintf("smp: CPU %u did not come online\n", cpu);
		return START_TIMED_OUT;
	}
	return START_OK;                /* it made it at the last moment */
}

void smp_init(void)
{
	unsigned n = arch_cpu_count();

	cpus_present = n;
	for (unsigned cpu = 1; cpu < n; cpu++) {
		/* A CPU that timed out may still be running its start-up
		 * code, which the next CPU would share: stop here. */
		if (start_cpu(cpu) == START_TIMED_OUT)
			break;
	}
	kprintf("smp: %u of %u CPU(s) online\n", smp_cpu_count(), n);
}

/* ---- Running a function everywhere -------------------------------------- */

/* Run this CPU's share of the current run, catching a panic in it. */
static void run_caught(struct cpu *me)
{
	me->locks_held = spin_held_count();
	me->panicked = false;
	if (arch_setjmp(&me->jump) == 0) {
		me->running = true;
		run.fn(run.arg);
	}
	me->running = false;
	spin_release_held_above(me->locks_held);
}

bool smp_in_run(void)
{
	return cpus[arch_cpu_id()].running;
}

void smp_panic_hook(const char *message)
{
	struct cpu *me = &cpus[arch_cpu_id()];

	if (!me->running)
		return;
	strlcpy(me->message, message, sizeof(me->message));
	me->panicked = true;
	panic_reset();
	arch_longjmp(&me->jump, 1);
}

/* After a run: if any CPU panicked, panic here with the first message. */
static void report_panics(void)
{
	static char message[256];
	unsigned first = MAX_CPUS, others = 0;

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++) {
		if (!cpus[cpu].panicked)
			continue;
		if (first == MAX_CPUS)
			first = cpu;
		else
			others++;
		cpus[cpu].panicked = false;
	}
	if (first == MAX_CPUS)
		return;
	ksnprintf(message, sizeof(message), "smp_run_on_all: CPU %u "
		  "panicked: %s", first, cpus[first].message);
	if (others)
		panic("%s (and %u other CPU(s))", message, others);
	panic("%s", message);
}

void smp_run_on_all(void (*fn)(void *arg), void *arg)
{
	if (arch_cpu_id() != 0 || run.fn)
		panic("smp_run_on_all: called on CPU %u%s: only CPU 0 may, "
		      "one run at a time", arch_cpu_id(),
		      run.fn ? " inside a run" : "");
	run.fn = fn;
	run.arg = arg;
	unsigned generation = ++run.generation;

	for (unsigned cpu = 1; cpu < MAX_CPUS; cpu++) {
		if (!smp_cpu_online(cpu))
			continue;
		store_release(&cpus[cpu].requested, generation);
		arch_cpu_wake(cpu);
	}
	run_caught(&cpus[0]);
	for (unsigned cpu = 1; cpu < MAX_CPUS; cpu++)
		while (cpus[cpu].requested == generation &&
		       load_acquire(&cpus[cpu].finished) != generation)
			arch_cpu_relax();
	run.fn = NULL;
	report_panics();
}

/* ---- Life on another CPU ------------------------------------------------ */

/* Sleep until CPU 0 asks for a run; return its generation. */
static unsigned wait_for_run(struct cpu *me)
{
	unsigned generation;

	while ((generation = load_acquire(&me->requested)) == me->finished)
		arch_cpu_idle();
	return generation;
}

noreturn void smp_secondary_main(void)
{
	struct cpu *me = &cpus[arch_cpu_id()];

	if (!change_state(&me->state, CPU_STARTING, CPU_ONLINE)) {
		/* Too late: CPU 0 gave up on us. Stay out of the way. */
		for (;;)
			arch_cpu_idle();
	}
	for (;;) {
		unsigned generation = wait_for_run(me);
		run_caught(me);
		store_release(&me->finished, generation);
	}
}

/* ---- The monitor's "cpus" ----------------------------------------------- */

static void cmd_cpus(int argc, char **argv)
{
	static const char *const names[] = {
		[CPU_ABSENT] = "absent", [CPU_STARTING] = "starting",
		[CPU_ONLINE] = "online", [CPU_FAILED] = "failed to start",
	};

	UNUSED(argc);
	UNUSED(argv);
	for (unsigned cpu = 0; cpu < cpus_present; cpu++)
		kprintf("CPU %u: %s%s\n", cpu, names[cpus[cpu].state],
			cpu == arch_cpu_id() ? " (this one)" : "");
}
MONITOR_COMMAND(cpus, "list the CPUs and whether they are online", cmd_cpus);
