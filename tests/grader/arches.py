"""The architectures Duet boots on, and how to start QEMU for each.

Everything that differs between architectures lives in the ARCHES table
below, so supporting a new one means adding one entry (and nothing else in
the grader changes).

Exit statuses matter because the kernel reports its overall verdict through
a QEMU device: the "test finisher" on riscv, isa-debug-exit on x86_64. The
grader never trusts that status alone (see verdict.py), but it must know
which numbers mean "pass" and "fail" to notice contradictions.
"""

import os
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Tuple

DEFAULT_OPENSBI_DIR = "/usr/lib/riscv64-linux-gnu/opensbi/generic"

# Options shared by every machine: no screen, no monitor, serial console on
# stdout, and exit instead of rebooting so a crash cannot loop forever.
COMMON_ARGS = ["-display", "none", "-monitor", "none",
               "-serial", "stdio", "-no-reboot"]


class SetupError(Exception):
    """Something needed to boot is missing (image, QEMU, firmware).

    The message is a one-line reason shown to the student instead of a
    traceback, so it should say how to fix the problem.
    """


@dataclass(frozen=True)
class Boot:
    """What one boot needs to know: the group's machine settings."""
    mem: str
    smp: int
    cmdline: str
    firmware: str


@dataclass(frozen=True)
class Arch:
    """One architecture: its QEMU, its kernel image and its exit codes."""
    name: str
    qemu_env: str                 # environment variable overriding QEMU
    qemu_default: str             # QEMU binary used otherwise
    image: str                    # kernel image, relative to the build dir
    make_hint: str                # how to build that image
    pass_status: int              # QEMU exit status when the kernel passes
    fail_status: int              # ... and when the kernel reports failure
    reset_status: Optional[int]   # status of a reset/triple fault, if known
    machine_args: Callable[[Boot, Path], list]
    # Given -m in bytes, the [low, high) physical addresses RAM may occupy
    # on this machine: the host checks hold the kernel's memory map to it.
    ram_window: Callable[[int], Tuple[int, int]]

    def qemu_command(self):
        """The QEMU command as a list; the env override may add arguments."""
        return shlex.split(os.environ.get(self.qemu_env) or self.qemu_default)

    def command(self, build_dir, boot):
        """Full argv to boot this arch; SetupError says what is missing."""
        image = Path(build_dir) / self.image
        if not image.is_file():
            raise SetupError(f"kernel image {_show(image)} not found: "
                             f"run {self.make_hint}")
        qemu = self.qemu_command()
        if not qemu or shutil.which(qemu[0]) is None:
            raise SetupError(f"{qemu[0] if qemu else 'QEMU'} not found: "
                             f"install QEMU or set {self.qemu_env}")
        return qemu + self.machine_args(boot, image)


def _show(path):
    """A path as the user would type it: relative to cwd when possible."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _riscv_args(boot, image):
    firmware = Path(os.environ.get("OPENSBI_DIR") or DEFAULT_OPENSBI_DIR)
    firmware = firmware / f"{boot.firmware}.bin"
    if not firmware.is_file():
        raise SetupError(f"OpenSBI firmware {firmware} not found: "
                         f"install opensbi or set OPENSBI_DIR")
    return ["-machine", "virt", "-m", boot.mem, "-smp", str(boot.smp),
            *COMMON_ARGS, "-bios", str(firmware),
            "-kernel", str(image), "-append", boot.cmdline]


def _x86_64_args(boot, image):
    # QEMU splits -fw_cfg on commas; a doubled comma stands for a comma.
    # QEMU refuses an empty string=, so an empty command line is no file.
    cmdline = boot.cmdline.replace(",", ",,")
    args = ["-m", boot.mem, "-smp", str(boot.smp), *COMMON_ARGS,
            "-cdrom", str(image),
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if cmdline:
        args += ["-fw_cfg", f"name=opt/duet/cmdline,string={cmdline}"]
    return args


def _riscv_ram(mem):
    """QEMU virt: RAM is one range from 0x80000000."""
    return (0x80000000, 0x80000000 + mem)


def _x86_64_ram(mem):
    """QEMU pc/q35: RAM starts at 0; above 2 GiB part of it moves over
    the PCI hole, which is at most 2 GiB below 4 GiB."""
    return (0, mem if mem <= 2 << 30 else mem + (2 << 30))


ARCHES = {
    "riscv": Arch(
        name="riscv", qemu_env="QEMU_RISCV",
        qemu_default="qemu-system-riscv64",
        image="riscv/kernel.elf", make_hint="make ARCH=riscv",
        # sifive_test finisher: 0x5555 exits 0, 0x3333|code<<16 exits code.
        # An SBI shutdown also exits 0, hence "never trust it alone".
        pass_status=0, fail_status=1, reset_status=None,
        machine_args=_riscv_args, ram_window=_riscv_ram),
    "x86_64": Arch(
        name="x86_64", qemu_env="QEMU_X86_64",
        qemu_default="qemu-system-x86_64",
        image="x86_64/duet.iso", make_hint="make ARCH=x86_64",
        # isa-debug-exit exits with (value << 1) | 1: 16 -> 33, 17 -> 35.
        # With -no-reboot a triple fault exits 0.
        pass_status=33, fail_status=35, reset_status=0,
        machine_args=_x86_64_args, ram_window=_x86_64_ram),
}

FIRMWARES = ("fw_dynamic", "fw_jump")
