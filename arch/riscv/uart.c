/*
 * The console: QEMU virt's ns16550-compatible UART at 0x10000000, polled
 * (no interrupts) for both output and input.
 */
#include "arch/riscv/memlayout.h"
#include "arch/riscv/riscv.h"
#include "kernel/arch.h"

#define UART_RBR 0      /* receive buffer (read) */
#define UART_THR 0      /* transmit holding (write) */
#define UART_IER 1      /* interrupt enable */
#define UART_FCR 2      /* FIFO control */
#define UART_LCR 3      /* line control */
#define UART_LSR 5      /* line status */
#define LSR_DATA_READY (1 << 0)
#define LSR_THR_EMPTY  (1 << 5)

static volatile uint8_t *uart_reg(int reg)
{
	return (volatile uint8_t *)phys_to_virt(UART0_PHYS) + reg;
}

void uart_init(void)
{
	*uart_reg(UART_IER) = 0x00;     /* polled: no interrupts */
	*uart_reg(UART_LCR) = 0x03;     /* 8 data bits, no parity, 1 stop */
	*uart_reg(UART_FCR) = 0x07;     /* enable and clear the FIFOs */
}

void arch_putc(char c)
{
	while (!(*uart_reg(UART_LSR) & LSR_THR_EMPTY))
		;
	*uart_reg(UART_THR) = (uint8_t)c;
}

int arch_getc(void)
{
	if (!(*uart_reg(UART_LSR) & LSR_DATA_READY))
		return -1;
	return *uart_reg(UART_RBR);
}
