/* RISC-V has no triple fault: the closest is asking the SBI to reset. */
#include "kernel/types.h"
#include "tests/broken/broken.h"

#define SBI_EXT_SRST        0x53525354  /* "SRST" */
#define SBI_SRST_SHUTDOWN   0
#define SBI_EXT_0_1_SHUTDOWN 8          /* the legacy call, as a fallback */

void broken_machine_reset(void)
{
	register uint64_t a0 __asm__("a0") = SBI_SRST_SHUTDOWN;
	register uint64_t a1 __asm__("a1") = 0;         /* no reason given */
	register uint64_t a6 __asm__("a6") = 0;         /* system_reset */
	register uint64_t a7 __asm__("a7") = SBI_EXT_SRST;

	__asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7)
			 : "memory");
	a7 = SBI_EXT_0_1_SHUTDOWN;
	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}
