/*
 * Spinlocks built on the compiler's atomic builtins, which become the
 * architecture's atomic swap (amoswap on RISC-V, xchg on x86-64) with
 * acquire/release ordering.
 *
 * Every allocation takes a lock, so the fast path matters: one atomic
 * swap to take the lock, one plain store to release it, and a little
 * bookkeeping of which locks each CPU holds (for the test framework).
 */
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/spinlock.h"

#define MAX_HELD 16

/* Locks held by each CPU, in the order taken. */
static struct {
	struct spinlock *lock[MAX_HELD];
	unsigned count;
} held[MAX_CPUS];

static void remember_held(unsigned cpu, struct spinlock *lk)
{
	if (held[cpu].count < MAX_HELD)
		held[cpu].lock[held[cpu].count] = lk;
	held[cpu].count++;
}

/* Locks are normally released innermost first; tolerate other orders. */
static void forget_held(unsigned cpu, struct spinlock *lk)
{
	unsigned n = MIN(held[cpu].count, (unsigned)MAX_HELD);

	if (n > 0 && held[cpu].lock[n - 1] != lk) {
		for (unsigned i = 0; i + 1 < n; i++) {
			if (held[cpu].lock[i] == lk) {
				for (; i + 1 < n; i++)
					held[cpu].lock[i] = held[cpu].lock[i + 1];
				break;
			}
		}
	}
	if (held[cpu].count)
		held[cpu].count--;
}

void spin_lock(struct spinlock *lk)
{
	bool was_enabled = arch_irq_save();

	while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&lk->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
	lk->irq_was_enabled = was_enabled;
	lk->cpu = arch_cpu_id();
	remember_held(lk->cpu, lk);
}

void spin_unlock(struct spinlock *lk)
{
	bool was_enabled = lk->irq_was_enabled;

	forget_held(lk->cpu, lk);
	__atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
	if (was_enabled)
		arch_irq_restore(true);
}

bool spin_is_locked(const struct spinlock *lk)
{
	return __atomic_load_n(&lk->locked, __ATOMIC_RELAXED) != 0;
}

unsigned spin_held_count(void)
{
	return held[arch_cpu_id()].count;
}

void spin_release_held_above(unsigned count)
{
	unsigned cpu = arch_cpu_id();

	while (held[cpu].count > count && held[cpu].count <= MAX_HELD)
		spin_unlock(held[cpu].lock[held[cpu].count - 1]);
}
