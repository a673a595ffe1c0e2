# RISC-V (Sv39, S-mode under OpenSBI on QEMU virt): compiler, flags, image
# and QEMU command. Included by the top-level Makefile.

CROSS      ?= riscv64-unknown-elf-
# rv64imac with the 2.2 ISA spec (CSR instructions included) links against
# Debian's libgcc; medany lets the same code run at its physical load address
# before paging and at its linked high address after.
ARCH_CFLAGS  := -march=rv64imac -misa-spec=2.2 -mabi=lp64 -mcmodel=medany
ARCH_LDFLAGS := -T arch/riscv/kernel.ld

KERNEL_IMAGE := $(OBJDIR)/kernel.elf

OPENSBI_DIR ?= /usr/lib/riscv64-linux-gnu/opensbi/generic
OPENSBI     ?= fw_dynamic
MEM         ?= 128M
SMP         ?= 1
QEMU        := qemu-system-riscv64
QEMU_PASS_STATUS := 0
QEMU_ARGS    = -machine virt -m $(MEM) -smp $(SMP) -bios $(OPENSBI_DIR)/$(OPENSBI).bin \
               -kernel $(KERNEL_IMAGE) -append "$(CMDLINE)"
REQUIRED_TOOLS += riscv64-unknown-elf-gcc qemu-system-riscv64

# A bare hello kernel, the baseline for tools/boot-time.
HELLO_IMAGE := $(OBJDIR)/hello.elf
$(HELLO_IMAGE): arch/riscv/bench/hello.S arch/riscv/bench/hello.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ARCH_CFLAGS) -nostdlib -static -T arch/riscv/bench/hello.ld -o $@ $<
