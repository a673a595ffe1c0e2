# x86-64 (long mode, booted by GRUB via Multiboot2 from an ISO on QEMU's
# PC machine): compiler, flags, image and QEMU command. Included by the
# top-level Makefile.

# The host gcc is already an x86-64 compiler.
CROSS :=
# -mcmodel=kernel: code and data in the top 2 GiB. No red zone: an
# exception pushes its frame right below rsp. No SSE/x87: the kernel does
# not save those registers.
ARCH_CFLAGS  := -m64 -mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse \
		-mno-sse2 -mgeneral-regs-only -fno-pic
ARCH_LDFLAGS := -T arch/x86_64/kernel.ld -Wl,-z,max-page-size=4096

KERNEL_IMAGE := $(OBJDIR)/duet.iso

MEM   ?= 128M
SMP   ?= 1
QEMU  := qemu-system-x86_64
QEMU_PASS_STATUS := 33
# The command line reaches the kernel through fw_cfg, so the ISO never
# changes. QEMU rejects an empty string=, hence the $(if). A comma must be
# doubled inside a -fw_cfg argument.
x86_comma := ,
QEMU_ARGS  = -m $(MEM) -smp $(SMP) -cdrom $(KERNEL_IMAGE) -no-reboot \
	     -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	     $(if $(CMDLINE),-fw_cfg name=opt/duet/cmdline$(x86_comma)string="$(subst $(x86_comma),$(x86_comma)$(x86_comma),$(CMDLINE))")
REQUIRED_TOOLS += qemu-system-x86_64 grub-mkrescue grub-file xorriso mformat

# ---- The boot ISO ------------------------------------------------------------
#
# grub-mkrescue (BIOS flavour, from grub-pc-bin) makes a bootable ISO of a
# directory: GRUB finds boot/grub/grub.cfg there, which loads
# boot/kernel.elf with "multiboot2". The ISO gets a copy without debug
# information (smaller, faster to load); gdb reads build/x86_64/kernel.elf.

ISO_DIR := $(OBJDIR)/iso

define make-iso # $(1) = kernel ELF, $(2) = grub.cfg, $(3) = tree, $(4) = ISO
	$(Q)grub-file --is-x86-multiboot2 $(1) || \
		{ echo "$(1): GRUB does not see a Multiboot2 header" >&2; exit 1; }
	$(Q)rm -rf $(3) && mkdir -p $(3)/boot/grub
	$(Q)$(OBJCOPY) --strip-debug $(1) $(3)/boot/kernel.elf
	$(Q)cp $(2) $(3)/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $(4) $(3) >$(4).log 2>&1 || \
		{ cat $(4).log >&2; echo "grub-mkrescue failed" >&2; exit 1; }
endef

$(OBJDIR)/duet.iso: $(OBJDIR)/kernel.elf arch/x86_64/grub.cfg
	@echo "  ISO     $@"
	$(call make-iso,$<,arch/x86_64/grub.cfg,$(ISO_DIR),$@)

# ---- A bare "hello" kernel, the yardstick for tools/boot-time -------------------

HELLO_DIR := arch/x86_64/bench

$(OBJDIR)/hello.elf: $(HELLO_DIR)/hello.S $(HELLO_DIR)/hello.ld
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) -nostdlib -static -no-pie -Wl,--build-id=none \
		-Wl,-z,max-page-size=4096 -T $(HELLO_DIR)/hello.ld -o $@ $<

$(OBJDIR)/hello.iso: $(OBJDIR)/hello.elf $(HELLO_DIR)/grub.cfg
	@echo "  ISO     $@"
	$(call make-iso,$<,$(HELLO_DIR)/grub.cfg,$(OBJDIR)/hello-iso,$@)

.PHONY: hello-iso
hello-iso: $(OBJDIR)/hello.iso
