"""The suites whose "ok" the grader re-checks on the host, per boot.

verdict.judge_test() asks the check of a test's suite, if there is one,
whether the host agrees with the kernel's "ok". A check needs what the
grader alone knows about the boot: its secrets (binding.Challenge), the
memory QEMU was given and the machine. Adding a check means adding a
module like pmm_verify.py and one entry below.
"""

from functools import partial

import pmm_verify

PMM_DEFAULT = "bitmap"        # mm/page_alloc.h: the kernel's default pmm=


def cmdline_value(cmdline, key, default):
    """The value of key= on a command line; the last one wins, as in the
    kernel's cmdline_get()."""
    value = default
    for word in cmdline.split():
        if word.startswith(key + "="):
            value = word[len(key) + 1:]
    return value


def for_boot(group, arch, challenge):
    """{suite: verdict.HostCheck} for one boot of group on arch."""
    mem = pmm_verify.mem_bytes(group.mem)
    expect = pmm_verify.Expect(
        seed=challenge.seed,
        pmm=cmdline_value(group.cmdline, "pmm", PMM_DEFAULT),
        mem_bytes=mem, ram_window=arch.ram_window(mem))
    return {pmm_verify.SUITE: partial(pmm_verify.check_result,
                                      expect=expect)}
