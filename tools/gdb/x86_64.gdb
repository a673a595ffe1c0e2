# gdb script for "make ARCH=x86_64 gdb". Start "make ARCH=x86_64 qemu-gdb" first.
set confirm off
set pagination off
set architecture i386:x86-64
symbol-file build/x86_64/kernel.elf
target remote localhost:1234
# QEMU stops at the BIOS reset vector; SeaBIOS and GRUB run next. GRUB
# copies the kernel into memory, which would wipe out a software
# breakpoint planted there now, and kernel addresses are not even mapped
# yet: so use hardware breakpoints (x86 has four).
# _start runs in 32-bit mode at its physical address, 1 MiB up:
hbreak *((unsigned long)&_start - 0xffffffff80000000)
# x86_64_main and kernel_main run at their linked (virtual) addresses:
hbreak x86_64_main
hbreak kernel_main
echo \n*** Connected. 'continue' runs to _start (32-bit code: use 'x/8i $pc'),\n*** then to x86_64_main and kernel_main.\n
