/*
 * The one thing a broken kernel needs from its architecture: a way to make
 * the machine vanish mid-run. tests/broken/<arch>.c provides it.
 */
#ifndef DUET_BROKEN_H
#define DUET_BROKEN_H

/* x86-64: a triple fault. RISC-V, which has none: an SBI system reset.
 * Either way QEMU (-no-reboot) exits at once, with no word of why. */
void broken_machine_reset(void);

#endif
