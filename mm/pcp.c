/*
 * Per-CPU page caches. See mm/pcp.h for the picture and the rules.
 *
 * Every function that touches a cache turns interrupts off first and
 * reads arch_cpu_id() only then: the cache is this CPU's for as long as
 * nothing can run in between.
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "mm/buddy.h"
#include "mm/pcp.h"

_Static_assert(MAX_CPUS <= 256, "struct frame keeps the CPU in a byte");

paddr_t pcp_alloc(struct buddy *b)
{
	/* BEGIN SOLUTION lab7 */
	bool irq = arch_irq_save();
	unsigned cpu = arch_cpu_id();
	struct frame_list *cache = &b->pcp[cpu].frames;

	if (cache->count == 0)
		buddy_take_frames(b, cache, PCP_BATCH, cpu);
	struct frame *f = frame_list_pop(cache);
	if (f) {
		f->state = FRAME_ALLOCATED;
		f->order = 0;
		f->refcount = 1;
	}
	arch_irq_restore(irq);
	return f ? f->pa : PHYS_NONE;
	/* END SOLUTION */
}

void pcp_free(struct buddy *b, struct frame *f)
{
	/* BEGIN SOLUTION lab7 */
	bool irq = arch_irq_save();
	unsigned cpu = arch_cpu_id();
	struct frame_list *cache = &b->pcp[cpu].frames;

	f->state = FRAME_CACHED;
	f->cpu = cpu;
	f->refcount = 0;
	frame_list_push(cache, f);
	if (cache->count > PCP_HIGH)
		buddy_return_frames(b, cache, PCP_BATCH);
	arch_irq_restore(irq);
	/* END SOLUTION */
}

bool pcp_drain_local(struct buddy *b)
{
	/* BEGIN SOLUTION lab7 */
	bool irq = arch_irq_save();
	struct frame_list *cache = &b->pcp[arch_cpu_id()].frames;
	uint64_t n = cache->count;

	if (n)
		buddy_return_frames(b, cache, n);
	arch_irq_restore(irq);
	return n > 0;
	/* END SOLUTION */
}

/* BEGIN SOLUTION lab7 */
static void drain_this_cpu(void *b)
{
	pcp_drain_local(b);
}
/* END SOLUTION */

void pcp_drain_all(struct buddy *b, pcp_runner run_on_all)
{
	/* BEGIN SOLUTION lab7 */
	run_on_all(drain_this_cpu, b);
	/* Every CPU is done and idle: reading their counts is safe. */
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		if (b->pcp[cpu].frames.count)
			panic("pcp_drain_all: CPU %u still caches %lu frame(s): "
			      "it did not run the drain", cpu,
			      (unsigned long)b->pcp[cpu].frames.count);
	/* END SOLUTION */
}

void pcp_run_here(void (*fn)(void *arg), void *arg)
{
	fn(arg);
}

uint64_t pcp_cached(const struct buddy *b)
{
	/* BEGIN SOLUTION lab7 */
	uint64_t n = 0;

	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		n += __atomic_load_n(&b->pcp[cpu].frames.count,
				     __ATOMIC_RELAXED);
	return n;
	/* END SOLUTION */
}

void pcp_print_stats(const struct buddy *b)
{
	kprintf("per-CPU caches (high %u, batch %u):", PCP_HIGH, PCP_BATCH);
	for (unsigned cpu = 0; cpu < MAX_CPUS; cpu++)
		if (b->pcp[cpu].frames.count)
			kprintf(" cpu%u %lu", cpu,
				(unsigned long)b->pcp[cpu].frames.count);
	kprintf(" (%lu frame(s) in all)\n", (unsigned long)pcp_cached(b));
}
