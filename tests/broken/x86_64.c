/*
 * A triple fault: with an empty IDT, int3 cannot be delivered (#GP),
 * neither can the #GP (#DF), nor the #DF: the CPU shuts down.
 */
#include "kernel/types.h"
#include "tests/broken/broken.h"

void broken_machine_reset(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	__asm__ volatile("lidt %0; int3" :: "m"(empty) : "memory");
}
