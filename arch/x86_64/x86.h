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

#define RFLAGS_IF (1UL << 9)    /* interrupts enabled */

/* Kernel image symbols from kernel.ld (virtual addresses). */
extern char _kernel_start[], _rodata_end[], _kernel_end[];
extern char boot_stack_guard[], boot_stack[], boot_stack_top[];

/* Physical address of the multiboot2 information, from GRUB's ebx. */
extern uint64_t boot_info_phys;

void uart_init(void);
void gdt_init(void);
void trap_init(void);
void paging_init(void);
void paging_extend_direct_map(uint64_t end);

/* The QEMU fw_cfg file `name`, copied into buf as a NUL-terminated string
 * (at most size - 1 bytes). Returns its full length, or -1 if absent. */
long fw_cfg_read_file(const char *name, char *buf, unsigned long size);

#endif
