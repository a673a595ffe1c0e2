/*
 * Exception reporting. Every exception is a kernel bug (or a test that
 * expects one): print what happened in words, the registers that matter
 * and a backtrace, then panic -- which fails the run, or the current test.
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/panic.h"
#include "kernel/printf.h"

/* What trapvec.S leaves on the stack, lowest address first. */
struct trap_frame {
	uint64_t link_rbp, link_rip;    /* fake call frame for backtraces */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;         /* error is 0 if the CPU gave none */
	uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};

#define NVECTORS      32
#define VEC_DOUBLE    8
#define VEC_PAGE      14
#define IST_DOUBLE    1         /* gdt.c: the double fault stack */

extern const uint64_t trap_stubs[NVECTORS];

static const char *const vector_names[NVECTORS] = {
	[0] = "divide error",
	[1] = "debug",
	[2] = "non-maskable interrupt",
	[3] = "breakpoint",
	[4] = "overflow",
	[5] = "bound range exceeded",
	[6] = "invalid opcode",
	[7] = "device not available",
	[8] = "double fault",
	[9] = "coprocessor segment overrun",
	[10] = "invalid TSS",
	[11] = "segment not present",
	[12] = "stack-segment fault",
	[13] = "general protection fault",
	[14] = "page fault",
	[16] = "x87 floating-point error",
	[17] = "alignment check",
	[18] = "machine check",
	[19] = "SIMD floating-point exception",
	[20] = "virtualization exception",
	[21] = "control protection exception",
	[28] = "hypervisor injection exception",
	[29] = "VMM communication exception",
	[30] = "security exception",
};

static const char *trap_vector_name(uint64_t vector)
{
	const char *name = NULL;

	if (vector < NVECTORS)
		name = vector_names[vector];
	return name ? name : "reserved vector";
}

/* ---- The IDT ------------------------------------------------------------- */

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;            /* 0: stay on this stack; n: use TSS IST n */
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

#define GATE_INTERRUPT 0x8e     /* present, ring 0, 64-bit interrupt gate */

/*
 * All 256 vectors, but only these have a gate: the 32 exceptions; the
 * wake-up IPI and the local APIC's spurious interrupt (smp.c), which
 * arrive only while a CPU sleeps in arch_cpu_idle(), the one place with
 * interrupts on. Any other vector finds no gate, a "segment not present"
 * fault, which we would see.
 */
#define IDT_ENTRIES 256

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));

extern char wake_stub[], spurious_stub[];

static void set_gate(unsigned vector, uint64_t handler, uint8_t ist)
{
	idt[vector] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = KERNEL_CS,
		.ist = ist,
		/* An interrupt gate clears IF on entry: no nesting. */
		.type = GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

/* Every CPU uses the same IDT; each must load it. */
void trap_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" :: "m"(idtr) : "memory");
}

void trap_init(void)
{
	for (unsigned v = 0; v < NVECTORS; v++)
		set_gate(v, trap_stubs[v], v == VEC_DOUBLE ? IST_DOUBLE : 0);
	set_gate(WAKE_VECTOR, (uintptr_t)wake_stub, 0);
	set_gate(SPURIOUS_VECTOR, (uintptr_t)spurious_stub, 0);
	trap_load();
}

/* ---- Reporting ----------------------------------------------------------- */

/* Page fault error code bits, spelled out: the usual first question. */
static void explain_page_fault(uint64_t error, uint64_t cr2)
{
	kprintf("  cr2    %#018lx  (the address it touched)\n",
		(unsigned long)cr2);
	kprintf("  cause  %s of a %s page%s%s\n",
		error & (1 << 4) ? "instruction fetch" :
		error & (1 << 1) ? "write" : "read",
		error & (1 << 0) ? "present (protection violation)"
				 : "not-present",
		error & (1 << 2) ? ", in user mode" : "",
		error & (1 << 3) ? ", reserved bit set in a page table" : "");
}

noreturn void trap_handler(struct trap_frame *tf)
{
	const char *name = trap_vector_name(tf->vector);
	uint64_t address = tf->vector == VEC_PAGE ? read_cr2() : 0;

	kprintf("\ntrap: %s (vector %lu, error code %#lx)\n", name,
		(unsigned long)tf->vector, (unsigned long)tf->error);
	kprintf("  rip    %#018lx  (the instruction that trapped)\n",
		(unsigned long)tf->rip);
	if (tf->vector == VEC_PAGE)
		explain_page_fault(tf->error, address);
	if (tf->vector == VEC_DOUBLE)
		kprintf("  (a fault while starting a fault handler: most often "
			"a kernel stack overflow)\n");
	kprintf("  rsp    %#018lx  rbp %#018lx  rflags %#lx\n",
		(unsigned long)tf->rsp, (unsigned long)tf->rbp,
		(unsigned long)tf->rflags);
	panic("trap: %s at rip %#lx, address %#lx", name,
	      (unsigned long)tf->rip, (unsigned long)address);
}
