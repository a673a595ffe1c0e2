/*
 * The other CPUs (kernel/smp.c does the portable part).
 *
 * The firmware runs the kernel on one CPU, the bootstrap processor (BSP);
 * the others, application processors (APs), wait for an INIT and a
 * start-up IPI (SIPI). Each CPU has a local APIC: its interrupt
 * controller, with registers at the physical address in MSR_APIC_BASE
 * (0xfee00000), through which it sends IPIs to others by their APIC id.
 *
 * Finding them: ACPI's MADT lists one entry per CPU with its APIC id
 * (smp_find_cpus, early, while the boot page tables map the firmware's
 * tables). CPU 0 is the BSP, CPUs 1, 2, ... the others in MADT order.
 *
 * Starting one (arch_cpu_start), the sequence from Intel's SDM (vol. 3,
 * 8.4.4): INIT, wait 10 ms, SIPI, wait 200 us, SIPI. The SIPI carries a
 * page number below 1 MiB: the AP starts in real mode at that page, where
 * trampoline.S's code climbs to 64-bit mode, loads the kernel's page
 * table and a stack from struct ap_start and calls x86_64_ap_main().
 *
 * Idle and wake-up: an idle CPU halts with interrupts on (arch_cpu_idle);
 * a fixed IPI to WAKE_VECTOR ends the hlt (trapvec.S: wake_stub).
 */
#include "arch/x86_64/memlayout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"
#include "kernel/kernel.h"
#include "kernel/printf.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "mm/memmap.h"
#include "mm/multiboot2.h"

/* ---- The local APIC ----------------------------------------------------- */

#define LAPIC_ID         0x020  /* bits 31..24: this CPU's APIC id */
#define LAPIC_EOI        0x0b0
#define LAPIC_SVR        0x0f0  /* spurious vector; bit 8: APIC on */
#define LAPIC_ICR_LOW    0x300  /* writing it sends the IPI */
#define LAPIC_ICR_HIGH   0x310  /* bits 31..24: destination APIC id */

#define SVR_ENABLE       (1 << 8)
#define ICR_INIT         (5 << 8)
#define ICR_STARTUP      (6 << 8)
#define ICR_PENDING      (1 << 12)      /* not yet accepted */
#define ICR_ASSERT       (1 << 14)

static paddr_t lapic_phys;
volatile uint32_t *lapic_eoi;           /* for trapvec.S's wake_stub */

static volatile uint32_t *lapic_reg(unsigned reg)
{
	return (volatile uint32_t *)phys_to_virt(lapic_phys + reg);
}

/* Accept interrupts: the wake-up IPI (the APIC is off after INIT). */
static void lapic_enable(void)
{
	*lapic_reg(LAPIC_SVR) = SVR_ENABLE | SPURIOUS_VECTOR;
}

static void send_ipi(uint32_t apic_id, uint32_t command)
{
	*lapic_reg(LAPIC_ICR_HIGH) = apic_id << 24;
	*lapic_reg(LAPIC_ICR_LOW) = command;
	while (*lapic_reg(LAPIC_ICR_LOW) & ICR_PENDING)
		arch_cpu_relax();
}

/* Roughly us microseconds: a write to port 0x80 (the POST code port)
 * takes about one on real hardware. QEMU needs no delay at all. */
static void delay_us(unsigned us)
{
	while (us--)
		outb(0x80, 0);
}

/* ---- Finding the CPUs: ACPI's MADT -------------------------------------- */

#define MB2_TAG_ACPI_OLD 14     /* a copy of the ACPI 1.0 RSDP */
#define MB2_TAG_ACPI_NEW 15     /* ... of the ACPI 2.0+ RSDP */
#define ACPI_HEADER_SIZE 36     /* every table starts with one */
#define ACPI_TABLE_MAX   (64 * KiB)     /* bigger ones are not believed */
#define MADT_LOCAL_APIC  0      /* an entry: one CPU */
#define MADT_ENABLED     1      /* in its flags */

static unsigned ncpus = 1;              /* CPU 0: the BSP */
static unsigned cpus_unused;            /* beyond MAX_CPUS */

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum += p[i];
	return sum == 0;
}

/* The ACPI table at physical address pa, if its header looks right. */
static const uint8_t *acpi_table(paddr_t pa, const char *signature)
{
	if (pa == 0 || pa + ACPI_TABLE_MAX > DIRECT_MAP_BOOT_GIB * GiB)
		return NULL;
	const uint8_t *t = phys_to_virt(pa);
	uint32_t len = get32(t + 4);
	if (memcmp(t, signature, 4) != 0 || len < ACPI_HEADER_SIZE ||
	    len > ACPI_TABLE_MAX || !checksum_ok(t, len))
		return NULL;
	return t;
}

/* The MADT ("APIC"), through GRUB's copy of the RSDP and then the RSDT. */
static const uint8_t *find_madt(void)
{
	const void *info = phys_to_virt(boot_info_phys);
	uint32_t len = 0;
	const uint8_t *rsdp = mb2_find_tag(info, MB2_TAG_ACPI_NEW, &len);

	if (!rsdp)
		rsdp = mb2_find_tag(info, MB2_TAG_ACPI_OLD, &len);
	if (!rsdp || len < 20 || memcmp(rsdp, "RSD PTR ", 8) != 0 ||
	    !checksum_ok(rsdp, 20))
		return NULL;
	const uint8_t *rsdt = acpi_table(get32(rsdp + 16), "RSDT");
	if (!rsdt)
		return NULL;
	for (uint32_t off = ACPI_HEADER_SIZE; off + 4 <= get32(rsdt + 4);
	     off += 4) {
		const uint8_t *t = acpi_table(get32(rsdt + off), "APIC");
		if (t)
			return t;
	}
	return NULL;
}

static void add_cpu(uint32_t apic_id)
{
	if (apic_id == x86_cpus[0].apic_id)
		return;                 /* the BSP is CPU 0 already */
	if (ncpus == MAX_CPUS) {
		cpus_unused++;
		return;
	}
	x86_cpus[ncpus++].apic_id = apic_id;
}

void smp_find_cpus(void)
{
	const uint8_t *madt = find_madt();

	lapic_phys = rdmsr(MSR_APIC_BASE) & PTE_ADDR_MASK;
	x86_cpus[0].apic_id = cpuid_ebx(1) >> 24;
	if (!madt) {
		kprintf("smp: no ACPI MADT (multiboot2 RSDP, RSDT, APIC): "
			"only this CPU runs\n");
		return;
	}
	uint32_t end = get32(madt + 4);
	for (uint32_t off = ACPI_HEADER_SIZE + 8; off + 2 <= end;) {
		const uint8_t *e = madt + off;
		if (e[1] < 2 || off + e[1] > end)
			break;                  /* malformed: stop here */
		if (e[0] == MADT_LOCAL_APIC && e[1] >= 8 &&
		    (get32(e + 4) & MADT_ENABLED))
			add_cpu(e[3]);
		off += e[1];
	}
	if (cpus_unused)
		kprintf("smp: %u more CPUs than MAX_CPUS (%u): they stay "
			"stopped\n", cpus_unused, MAX_CPUS);
}

/*
 * The trampoline's page must be RAM that nothing else uses: the memory
 * map keeps the first MiB from the page allocator, and GRUB's boot
 * information must not be there (tests read it).
 */
static bool trampoline_page_ok(void)
{
	paddr_t pa = AP_TRAMPOLINE_PHYS, end = pa + PAGE_SIZE;
	paddr_t info_end = boot_info_phys +
			   mb2_total_size(phys_to_virt(boot_info_phys));
	bool ram = false;

	for (unsigned i = 0; i < boot_memmap.nram; i++)
		ram |= boot_memmap.ram[i].base <= pa &&
		       boot_memmap.ram[i].end >= end;
	return ram && !memmap_is_usable(&boot_memmap, pa, PAGE_SIZE) &&
	       (info_end <= pa || boot_info_phys >= end);
}

unsigned arch_cpu_count(void)
{
	static bool checked;

	if (!checked && ncpus > 1) {
		checked = true;
		if (!trampoline_page_ok()) {
			kprintf("smp: page %#x is not free RAM for the AP "
				"trampoline: only this CPU runs\n",
				AP_TRAMPOLINE_PHYS);
			ncpus = 1;
		}
	}
	return ncpus;
}

/* ---- Starting an AP ----------------------------------------------------- */

/* Read by trampoline.S (offsets in memlayout.h): one AP starts at a time. */
struct ap_start {
	uint64_t boot_cr3, efer, cr3, stack_top, cpu;
} ap_start;

_Static_assert(__builtin_offsetof(struct ap_start, boot_cr3) == AP_BOOT_CR3 &&
	       __builtin_offsetof(struct ap_start, efer) == AP_EFER &&
	       __builtin_offsetof(struct ap_start, cr3) == AP_CR3 &&
	       __builtin_offsetof(struct ap_start, stack_top) == AP_STACK_TOP &&
	       __builtin_offsetof(struct ap_start, cpu) == AP_CPU,
	       "memlayout.h's AP_* offsets do not match struct ap_start");

extern char ap_trampoline[], ap_trampoline_end[];
extern uint64_t boot_pml4[], boot_pdpt_ident[];

/*
 * The AP turns paging on in 32-bit mode, so its first table must be below
 * 4 GiB, and map the trampoline where it runs: the boot tables' identity
 * map of the first GiB (paging.c dropped it from boot_pml4 only) and
 * their kernel window. The kernel's table comes next, from 64-bit code.
 */
static uint64_t ap_pml4[512] __attribute__((aligned(4096)));

static void prepare_trampoline(void)
{
	memcpy(phys_to_virt(AP_TRAMPOLINE_PHYS), ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));
	ap_pml4[0] = virt_to_phys(boot_pdpt_ident) | PTE_P | PTE_W;
	ap_pml4[PML4_SLOT_KERNEL] = boot_pml4[PML4_SLOT_KERNEL];
	ap_start.boot_cr3 = virt_to_phys(ap_pml4);
	ap_start.efer = rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE);
	lapic_eoi = lapic_reg(LAPIC_EOI);
	lapic_enable();                 /* this CPU sends the IPIs */
}

bool arch_cpu_start(unsigned cpu, uintptr_t stack_top)
{
	static bool prepared;
	uint32_t apic_id = x86_cpus[cpu].apic_id;

	if (!prepared) {
		prepare_trampoline();
		prepared = true;
	}
	ap_start.cr3 = read_cr3();      /* the final table, if it was built */
	ap_start.stack_top = stack_top;
	ap_start.cpu = cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	send_ipi(apic_id, ICR_INIT | ICR_ASSERT);
	delay_us(10000);
	for (int i = 0; i < 2; i++) {
		send_ipi(apic_id, ICR_STARTUP | AP_TRAMPOLINE_PHYS >> 12);
		delay_us(200);
	}
	return true;
}

/* trampoline.S jumps here: 64-bit, the kernel's page table, our stack. */
noreturn void x86_64_ap_main(unsigned cpu)
{
	cpu_local_init(cpu, ap_start.stack_top);
	gdt_init(cpu);
	trap_load();
	lapic_enable();
	smp_secondary_main();
}

/* ---- Sleeping and waking ------------------------------------------------ */

/* "sti; hlt": sti takes effect after the next instruction, so an IPI
 * that arrived while we checked for work ends this hlt instead of
 * slipping in before it. */
void arch_cpu_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void arch_cpu_wake(unsigned cpu)
{
	send_ipi(x86_cpus[cpu].apic_id, ICR_ASSERT | WAKE_VECTOR);
}
