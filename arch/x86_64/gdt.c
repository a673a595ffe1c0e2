/*
 * The final GDT and the TSS, one of each per CPU.
 *
 * In 64-bit mode segmentation is mostly gone, but the CPU still needs a
 * code segment descriptor (that is where "64-bit code" is written) and a
 * Task State Segment, which no longer switches tasks but holds stacks the
 * CPU may switch to on an exception. We use one: the double fault handler
 * runs on its own stack (IST 1), so a kernel stack overflow -- a page
 * fault that cannot push its frame -- is reported instead of turning into
 * a triple fault, which resets the machine without a word.
 *
 * Every CPU needs a TSS of its own (ltr marks the descriptor busy, and a
 * second ltr of a busy one faults) with a double fault stack of its own,
 * so each CPU gets its own small GDT too. The selectors are the same on
 * every CPU.
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];        /* stacks for entering rings 0-2 (unused) */
	uint64_t reserved1;
	uint64_t ist[7];        /* interrupt stack table: IST 1 is ist[0] */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;    /* no I/O permission bitmap: past the end */
} __attribute__((packed));

/* Selectors are byte offsets: KERNEL_CS = 0x08 is gdt[1], and so on. A TSS
 * descriptor is 16 bytes, so it takes two slots. */
struct cpu_tables {
	uint64_t gdt[5];
	struct tss tss;
};

static struct cpu_tables tables[MAX_CPUS] __attribute__((aligned(16)));

char double_fault_stacks[MAX_CPUS][DOUBLE_FAULT_STACK_SIZE]
	__attribute__((aligned(16)));

/* An "available 64-bit TSS" system descriptor: base and limit scattered
 * over 16 bytes, as the format has grown since the 80286. */
static void set_tss_descriptor(uint64_t *gdt, const struct tss *tss)
{
	uint64_t base = (uint64_t)tss;
	uint64_t limit = sizeof(*tss) - 1;

	gdt[TSS_SEL / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			   0x89UL << 40 |       /* present, type 9 */
			   ((limit >> 16) & 0xf) << 48 |
			   ((base >> 24) & 0xff) << 56;
	gdt[TSS_SEL / 8 + 1] = base >> 32;
}

/*
 * Load this CPU's GDT (at its high address: the boot GDT is reached
 * through the identity map, which is about to go) and TSS. The code and
 * data selectors are the same as in the boot GDT and the AP start-up GDT
 * (trampoline.S), and so are their descriptors, so the segment registers
 * need no reloading.
 */
void gdt_init(unsigned cpu)
{
	struct cpu_tables *t = &tables[cpu];
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof(t->gdt) - 1,
					   (uint64_t)t->gdt };

	/* Present, ring 0: 64-bit code (L=1), and data. */
	t->gdt[KERNEL_CS / 8] = 0x00af9a000000ffff;
	t->gdt[KERNEL_DS / 8] = 0x00cf92000000ffff;
	t->tss.ist[0] = (uint64_t)(double_fault_stacks[cpu] +
				   DOUBLE_FAULT_STACK_SIZE);
	t->tss.iomap_base = sizeof(t->tss);
	set_tss_descriptor(t->gdt, &t->tss);
	__asm__ volatile("lgdt %0" :: "m"(gdtr) : "memory");
	__asm__ volatile("ltr %w0" :: "r"((uint16_t)TSS_SEL) : "memory");
}
