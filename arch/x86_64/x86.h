/* x86-64 one-liners (port I/O, control registers) and arch-internal glue. */
#ifndef DUET_X86_64_H
#define DUET_X86_64_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/* Writing CR3 (even with its own value) flushes the non-global TLB. */
static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory");
}

/* Forget the TLB entry (and cached table entries) for address va. */
static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}

/* The edx output of CPUID leaf (e.g. 0x80000001: extended features). */
static inline uint32_t cpuid_edx(uint32_t leaf)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(leaf), "c"(0));
	return d;
}

/* CPUID leaf 1: ebx bits 31..24 hold the CPU's initial local APIC id. */
static inline uint32_t cpuid_ebx(uint32_t leaf)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(leaf), "c"(0));
	return b;
}

#define RFLAGS_IF (1UL << 9)    /* interrupts enabled */

#define MSR_EFER  0xc0000080
#define EFER_LME  (1UL << 8)    /* long mode enable */
#define EFER_NXE  (1UL << 11)   /* honour the NX bit of page entries */
#define MSR_APIC_BASE 0x1b      /* bits 12..51: the local APIC's registers */
#define MSR_GS_BASE   0xc0000101        /* what %gs: addresses are based on */
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID_EXT_NX       (1U << 20)   /* in edx: no-execute pages */
#define CPUID_EXT_PDPE1GB  (1U << 26)   /* in edx: 1 GiB pages */

/* Physical address of the multiboot2 information, from GRUB's ebx. */
extern uint64_t boot_info_phys;

/*
 * What each CPU needs to know about itself. CPU n's %gs base points at
 * x86_cpus[n], so arch_cpu_id() is one load from %gs:0.
 */
struct x86_cpu {
	unsigned index;         /* first: arch_cpu_id() reads it */
	uint32_t apic_id;       /* its local APIC, for IPIs */
	uintptr_t stack_guard;  /* its stack: a guard page, then the stack */
	uintptr_t stack_top;
};

extern struct x86_cpu x86_cpus[];

/* Make this CPU CPU cpu, running on the stack ending at stack_top
 * (cpu.c). The first thing each CPU does in C. */
void cpu_local_init(unsigned cpu, uintptr_t stack_top);

#define DOUBLE_FAULT_STACK_SIZE 8192    /* room for panic() */
extern char double_fault_stacks[][DOUBLE_FAULT_STACK_SIZE];

/* Interrupt vectors beyond the exceptions (trap.c, smp.c). */
#define WAKE_VECTOR     0xf0    /* arch_cpu_wake()'s IPI */
#define SPURIOUS_VECTOR 0xff    /* the local APIC's "never mind" */

void uart_init(void);
void gdt_init(unsigned cpu);    /* this CPU's GDT and TSS */
void trap_init(void);           /* build the IDT and load it */
void trap_load(void);           /* load it on another CPU */
/* Find the CPUs in the ACPI tables while the boot page tables still map
 * them (smp.c). */
void smp_find_cpus(void);
void paging_init(void);
void pte_init(void);
void paging_extend_direct_map(uint64_t end);

/* The QEMU fw_cfg file `name`, copied into buf as a NUL-terminated string
 * (at most size - 1 bytes). Returns its full length, or -1 if absent. */
long fw_cfg_read_file(const char *name, char *buf, unsigned long size);

#endif
