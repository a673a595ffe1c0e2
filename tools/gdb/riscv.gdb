# gdb script for "make gdb" (RISC-V). Start "make qemu-gdb" first.
set confirm off
set pagination off
set architecture riscv:rv64
symbol-file build/riscv/kernel.elf
target remote localhost:1234
# QEMU stops at the reset vector; OpenSBI runs next, then our _start.
# _start runs at its physical address (0x80200000), before paging:
break *0x80200000
# kernel_main runs at its linked (virtual) address:
break kernel_main
echo \n*** Connected. 'continue' runs to _start, then to kernel_main.\n
