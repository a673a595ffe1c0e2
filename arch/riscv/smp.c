/*
 * The other harts (kernel/smp.c does the portable part).
 *
 * OpenSBI runs the kernel on one hart, the boot hart -- not always hart 0
 * -- and keeps the others stopped. The device tree lists them all under
 * /cpus; CPU index 0 is the boot hart, 1, 2, ... the others in the order
 * the tree lists them. (Hart ids need not be small or contiguous, so the
 * kernel never uses them as indices.)
 *
 * Starting one: SBI's Hart State Management extension, hart_start(hart,
 * physical entry address, argument). The hart begins at secondary_start
 * (entry.S) in S-mode with the MMU off, a1 = the argument: the address of
 * its struct riscv_cpu, which holds its stack, its CPU index and the page
 * table to use. It sets up paging, tp and sp there, then here
 * (riscv_secondary_main) its trap vector, and goes to
 * smp_secondary_main().
 *
 * Idle and wake-up: a CPU waiting for work sleeps in wfi with the
 * supervisor software interrupt enabled in sie but interrupts off in
 * sstatus. An IPI (SBI's sPI extension) sets sip.SSIP, which ends the wfi
 * without taking a trap.
 */
#include "arch/riscv/memlayout.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sv39.h"
#include "kernel/arch.h"
#include "kernel/printf.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "mm/fdt.h"

/* ---- SBI calls ---------------------------------------------------------- */

#define SBI_EXT_BASE          0x10
#define SBI_BASE_PROBE_EXT    3
#define SBI_EXT_HSM           0x48534d          /* "HSM" */
#define SBI_HSM_HART_START    0
#define SBI_HSM_HART_STATUS   2
#define SBI_HSM_STARTED       0         /* a status */
#define SBI_EXT_IPI           0x735049          /* "sPI" */
#define SBI_IPI_SEND          0

struct sbiret {
	long error;             /* 0 or a negative SBI error code */
	long value;
};

static struct sbiret sbi_call(uint64_t ext, uint64_t fid, uint64_t arg0,
			      uint64_t arg1, uint64_t arg2)
{
	register uint64_t a0 __asm__("a0") = arg0;
	register uint64_t a1 __asm__("a1") = arg1;
	register uint64_t a2 __asm__("a2") = arg2;
	register uint64_t a6 __asm__("a6") = fid;
	register uint64_t a7 __asm__("a7") = ext;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1)
			 : "r"(a2), "r"(a6), "r"(a7) : "memory");
	return (struct sbiret){ (long)a0, (long)a1 };
}

static const char *sbi_error_name(long error)
{
	static const char *const names[] = {
		"success", "failed", "not supported", "invalid parameter",
		"denied", "invalid address", "already available",
		"already started", "already stopped",
	};

	if (error > 0 || -error >= (long)ARRAY_SIZE(names))
		return "unknown error";
	return names[-error];
}

static bool sbi_has(uint64_t ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, ext, 0, 0);

	return r.error == 0 && r.value != 0;
}

/* ---- The harts: /cpus in the device tree -------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* What the walk learns about one node under /cpus. */
struct cpu_node {
	bool is_cpu;            /* device_type = "cpu" */
	bool disabled;          /* status = "disabled" */
	bool has_reg;
	uint64_t hart_id;       /* reg */
};

static bool value_is(const uint8_t *value, uint32_t len, const char *s)
{
	return len == strlen(s) + 1 && memcmp(value, s, len) == 0;
}

static void read_cpu_prop(struct cpu_node *n, const char *name,
			  const uint8_t *value, uint32_t len, uint32_t cells)
{
	if (strcmp(name, "device_type") == 0)
		n->is_cpu = value_is(value, len, "cpu");
	else if (strcmp(name, "status") == 0)
		n->disabled = value_is(value, len, "disabled");
	else if (strcmp(name, "reg") == 0 && (cells == 1 || cells == 2) &&
		 len >= 4 * cells) {
		n->has_reg = true;
		n->hart_id = cells == 1 ? be32(value) :
			     (uint64_t)be32(value) << 32 | be32(value + 4);
	}
}

/*
 * Call found(hart id) for every usable hart: each node right under /cpus
 * with device_type "cpu", a reg, and a status other than "disabled".
 * mm/fdt.h cannot list a node's children, so this walks the structure
 * block itself. The tree was validated at boot (riscv_main), so the walk
 * trusts its shape. Properties come before child nodes, so /cpus's
 * #address-cells is known before the first cpu node.
 */
static void for_each_hart(void (*found)(uint64_t hart_id))
{
	const uint8_t *blob = phys_to_virt(boot_dtb_phys);
	const uint8_t *p = blob + be32(blob + 8);               /* structure */
	const char *strings = (const char *)blob + be32(blob + 12);
	uint32_t cells = 1;     /* /cpus #address-cells */
	struct cpu_node node = { 0 };
	bool in_cpus = false;
	int depth = 0;          /* the root node is depth 1 */

	for (;;) {
		uint32_t token = be32(p);
		p += 4;
		if (token == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			p += ALIGN_UP(strlen(name) + 1, 4);
			depth++;
			if (depth == 2)
				in_cpus = strcmp(name, "cpus") == 0;
			if (depth == 3)         /* not its children's */
				node = (struct cpu_node){ 0 };
		} else if (token == FDT_PROP) {
			uint32_t len = be32(p);
			const char *name = strings + be32(p + 4);
			const uint8_t *value = p + 8;
			p += 8 + ALIGN_UP(len, 4);
			if (in_cpus && depth == 2 && len == 4 &&
			    strcmp(name, "#address-cells") == 0)
				cells = be32(value);
			if (in_cpus && depth == 3)
				read_cpu_prop(&node, name, value, len, cells);
		} else if (token == FDT_END_NODE) {
			if (in_cpus && depth == 3 && node.is_cpu &&
			    node.has_reg && !node.disabled)
				found(node.hart_id);
			if (depth == 2)
				in_cpus = false;
			depth--;
		} else if (token != FDT_NOP) {
			return;         /* FDT_END */
		}
	}
}

#define MAX_HARTS 64             /* looked at; MAX_CPUS of them used */

static uint64_t harts[MAX_HARTS];
static unsigned nharts, harts_ignored;

static void add_hart(uint64_t hart_id)
{
	if (nharts < MAX_HARTS)
		harts[nharts++] = hart_id;
	else
		harts_ignored++;
}

/*
 * Which hart runs us? OpenSBI passes it in a0, but the one here (1.1,
 * under QEMU 7.2) sometimes passes 0 when another hart won its boot
 * lottery: seen with the boot hart 3 and a0 = 0. Before we start any,
 * the boot hart is the only one SBI reports as started, so ask.
 */
static void find_boot_hart(void)
{
	unsigned started = 0;
	uint64_t found = boot_hart_id;

	for (unsigned i = 0; i < nharts; i++) {
		struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_STATUS,
					   harts[i], 0, 0);
		if (r.error == 0 && r.value == SBI_HSM_STARTED) {
			started++;
			found = harts[i];
		}
	}
	if (started != 1) {
		kprintf("smp: cannot tell which hart runs us (SBI says %u of "
			"the %u in the device tree are started): only this "
			"one runs\n", started, nharts);
		nharts = 0;
	} else if (found != boot_hart_id) {
		kprintf("smp: we run on hart %lu, not on hart %lu as a0 said\n",
			(unsigned long)found, (unsigned long)boot_hart_id);
		boot_hart_id = riscv_cpus[0].hart_id = found;
	}
}

static unsigned ncpus = 1;              /* CPU 0: the boot hart */

/* CPU 0 is the boot hart, CPUs 1, 2, ... the others in tree order. */
static void number_cpus(void)
{
	unsigned unused = harts_ignored;

	for (unsigned i = 0; i < nharts; i++) {
		if (harts[i] == boot_hart_id)
			continue;
		if (ncpus < MAX_CPUS)
			riscv_cpus[ncpus++].hart_id = harts[i];
		else
			unused++;
	}
	if (unused)
		kprintf("smp: %u more harts than MAX_CPUS (%u): they stay "
			"stopped\n", unused, MAX_CPUS);
}

unsigned arch_cpu_count(void)
{
	static bool counted;

	if (counted)
		return ncpus;
	counted = true;
	if (!sbi_has(SBI_EXT_HSM) || !sbi_has(SBI_EXT_IPI)) {
		kprintf("smp: SBI lacks the HSM or IPI extension: only the "
			"boot hart runs\n");
		return ncpus;
	}
	for_each_hart(add_hart);
	find_boot_hart();
	number_cpus();
	return ncpus;
}

/* ---- Starting a hart ---------------------------------------------------- */

/*
 * The table a starting hart turns paging on with: the kernel's gigabyte
 * mapped both where it runs now (identity) and where it is linked. The
 * kernel's own tables lack the identity half; see secondary_start.
 */
static uint64_t start_table[SV39_ENTRIES] __attribute__((aligned(4096)));
uint64_t smp_start_satp;

static void build_start_table(void)
{
	uint64_t gigapage = (KERNEL_PHYS_BASE >> PAGE_SHIFT) << PTE_PPN_SHIFT |
			    PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;

	start_table[SV39_INDEX(2, KERNEL_PHYS_BASE)] = gigapage;
	start_table[SV39_INDEX(2, KERNEL_VIRT_BASE)] = gigapage;
	smp_start_satp = SATP_MODE_SV39 |
			 virt_to_phys(start_table) >> PAGE_SHIFT;
}

extern char secondary_start[];

bool arch_cpu_start(unsigned cpu, uintptr_t stack_top)
{
	struct riscv_cpu *c = &riscv_cpus[cpu];

	if (!smp_start_satp)
		build_start_table();
	riscv_cpu_init(cpu, c->hart_id, stack_top);
	c->satp = csr_read(satp);       /* the final table, if it was built */
	/* Everything above must be in memory before the hart reads it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, c->hart_id,
				   virt_to_phys(secondary_start),
				   (uintptr_t)c);
	if (r.error) {
		kprintf("smp: SBI cannot start hart %lu (CPU %u): %s\n",
			(unsigned long)c->hart_id, cpu,
			sbi_error_name(r.error));
		return false;
	}
	return true;
}

/* entry.S jumps here with paging on, tp and sp set. */
noreturn void riscv_secondary_main(struct riscv_cpu *c)
{
	trap_init(c);
	csr_set(sie, SIE_SSIE);         /* lets an IPI end wfi (no trap) */
	smp_secondary_main();
}

/* ---- Sleeping and waking ------------------------------------------------ */

void arch_cpu_idle(void)
{
	/* wfi ends when an interrupt enabled in sie is pending, even with
	 * sstatus.SIE off. Clear the IPI afterwards: the caller checks for
	 * work again, and an IPI sent after this clear ends the next wfi. */
	__asm__ volatile("wfi" ::: "memory");
	csr_clear(sip, SIP_SSIP);
}

void arch_cpu_wake(unsigned cpu)
{
	/* hart_mask = 1, hart_mask_base = the hart: just that one. */
	sbi_call(SBI_EXT_IPI, SBI_IPI_SEND, 1, riscv_cpus[cpu].hart_id, 0);
}
