/*
 * The console: the PC's first serial port, COM1, a 16550 UART at I/O port
 * 0x3f8, polled (no interrupts) for both output and input. QEMU connects
 * it to stdio with -serial stdio or -nographic.
 */
#include "arch/x86_64/x86.h"
#include "kernel/arch.h"

#define COM1     0x3f8
#define UART_RBR 0      /* receive buffer (read) */
#define UART_THR 0      /* transmit holding (write) */
#define UART_DLL 0      /* divisor latch, low byte (when LCR_DLAB) */
#define UART_IER 1      /* interrupt enable */
#define UART_DLM 1      /* divisor latch, high byte (when LCR_DLAB) */
#define UART_FCR 2      /* FIFO control */
#define UART_LCR 3      /* line control */
#define UART_MCR 4      /* modem control */
#define UART_LSR 5      /* line status */
#define LCR_8N1  0x03
#define LCR_DLAB 0x80
#define LSR_DATA_READY (1 << 0)
#define LSR_THR_EMPTY  (1 << 5)

void uart_init(void)
{
	outb(COM1 + UART_IER, 0x00);            /* polled: no interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);        /* 115200 baud: divisor 1 */
	outb(COM1 + UART_DLL, 1);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);         /* 8 data bits, no parity */
	outb(COM1 + UART_FCR, 0x07);            /* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);            /* DTR, RTS: "we are here" */
}

void arch_putc(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

int arch_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_RBR);
}
