#!/usr/bin/env python3
"""Duet's grader: boot the kernel's tests in QEMU and score them.

    python3 tests/grader/grade.py --lab 2          # labs 0, 1 and 2
    python3 tests/grader/grade.py --only-lab 1 --arch riscv -v
    python3 tests/grader/grade.py --list           # what would run

Each test group of each lab manifest (tests/manifest/labN.json) is booted
in a fresh QEMU per architecture, the KTAP report on the serial console is
parsed, and each test earns its points only if it passed in every boot
that ran it. Every boot gets fresh secrets on its command line (a nonce
that result lines must be tagged with, a seed for pmm_verify: binding.py),
and some suites are re-checked on the host (hostcheck.py). Exit status:
0 if every selected test passed and every boot completed, 1 otherwise, 2
for a usage or manifest error.

Standard library only (Python 3.9 or later).
"""

import argparse
import json
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import binding
import gradescope
import hostcheck
import manifest
import qemu
import report
import scoring
import verdict
from arches import ARCHES, Boot, SetupError

REPO = Path(__file__).resolve().parent.parent.parent


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="grade.py", description="Boot Duet's tests in QEMU and score "
        "them against the lab manifests.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--lab", type=int, metavar="N",
                       help="grade labs 0..N (earlier labs stay graded)")
    which.add_argument("--only-lab", type=int, metavar="N",
                       help="grade lab N alone")
    p.add_argument("--arch", default="all", metavar="ARCH",
                   help=f"{'|'.join(ARCHES)}|all, or a comma-separated "
                   f"list (default: all)")
    p.add_argument("--tests", metavar="GLOB",
                   help='only tests whose "suite.test" matches (commas ok)')
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print the serial log of failing runs")
    p.add_argument("--json", metavar="FILE",
                   help="write Gradescope's results.json to FILE")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   metavar="N", help="QEMU runs in parallel (default: CPUs)")
    p.add_argument("--build-dir", default=str(REPO / "build"), metavar="DIR",
                   help="where the kernel images are (default: build)")
    p.add_argument("--timeout-scale", type=float, default=1.0, metavar="F",
                   help="multiply every group's timeout by F")
    p.add_argument("--list", action="store_true",
                   help="print the groups and tests, boot nothing")
    p.add_argument("--summary-file", metavar="FILE",
                   help='write {"passed": n, "failed": n} to FILE')
    p.add_argument("--manifest-dir", default=str(manifest.MANIFEST_DIR),
                   metavar="DIR", help=argparse.SUPPRESS)
    # For the grader's own tests (tests/broken): flood sooner.
    p.add_argument("--byte-cap", type=int, default=qemu.BYTE_CAP,
                   metavar="BYTES", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for option in ("lab", "only_lab"):
        value = getattr(args, option)
        if value is not None and value not in manifest.LABS:
            p.error(f"--{option.replace('_', '-')} must be 0..7")
    if args.jobs < 1 or args.timeout_scale <= 0 or args.byte_cap < 1:
        p.error("--jobs, --byte-cap must be >= 1 and --timeout-scale > 0")
    names = list(ARCHES) if args.arch == "all" else args.arch.split(",")
    unknown = [a for a in names if a not in ARCHES]
    if unknown or not names:
        p.error(f"--arch: unknown architecture {unknown} "
                f"(known: {', '.join(ARCHES)})")
    args.arches = [ARCHES[a] for a in dict.fromkeys(names)]
    return args


def select_labs(args):
    """Validate every manifest, then keep the labs asked for."""
    labs = manifest.load_labs(manifest.LABS, args.manifest_dir)
    if args.only_lab is not None:
        wanted = [args.only_lab]
    elif args.lab is not None:
        wanted = list(range(args.lab + 1))
    else:
        wanted = list(manifest.LABS)
    chosen = [lab for lab in labs if lab.number in wanted]
    if not chosen:
        raise manifest.ManifestError(
            f"no manifest for lab(s) {wanted} in {args.manifest_dir}")
    return chosen


def run_job(job, build_dir, timeout_scale, byte_cap=qemu.BYTE_CAP):
    """Boot one job and judge it (runs in a worker thread)."""
    group = job.group
    timeout = group.timeout * timeout_scale
    job.challenge = challenge = binding.Challenge.fresh()
    cmdline = f"{group.kernel_cmdline} {challenge.cmdline}"
    boot = Boot(group.mem, group.smp, cmdline, group.firmware)
    try:
        argv = job.arch.command(build_dir, boot)
    except SetupError as err:
        job.raw = qemu.RawRun(setup_error=str(err))
    else:
        job.raw = qemu.run(argv, timeout, byte_cap)
    job.run = verdict.judge_run(
        job.raw, job.arch, timeout,
        nonce=challenge.nonce if job.lab.require_tags else None,
        checks=hostcheck.for_boot(group, job.arch, challenge))


def run_jobs(jobs, args, colour):
    """Run every job, args.jobs at a time, printing each as it finishes
    (so a slow run never looks like a hung grader)."""
    print(f"Booting {len(jobs)} QEMU run(s), up to {args.jobs} at a time",
          flush=True)
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    try:
        futures = {pool.submit(run_job, job, args.build_dir,
                               args.timeout_scale, args.byte_cap): job
                   for job in jobs}
        for done, future in enumerate(as_completed(futures), 1):
            future.result()
            report.progress(done, len(jobs), futures[future], colour)
    except BaseException:
        qemu.kill_all()           # our QEMUs are in their own sessions
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def list_plan(labs, jobs):
    """--list: the groups that would boot and the tests they grade."""
    for lab in labs:
        print(f"Lab {lab.number}: {lab.title}")
        for group in lab.groups:
            mine = [j for j in jobs if j.lab is lab and j.group is group]
            if not mine:
                continue
            arches = ", ".join(j.arch.name for j in mine)
            print(f"  group {group.name} [{arches}] mem {group.mem}, "
                  f"smp {group.smp}, timeout {group.timeout:g}s, "
                  f"firmware {group.firmware}")
            print(f"    cmdline: {group.kernel_cmdline} (+ ktap_nonce=, "
                  f"verify_seed=: fresh each boot)")
            for key in mine[0].keys:
                print(f"    {key:<40} {report.number(lab.points[key])}")


def write_summary(path, grades):
    """Counts per (arch, group, test) outcome, for `make test`."""
    outcomes = [o for g in grades for _, o in g.outcomes]
    passed = sum(o.status == verdict.PASS for o in outcomes)
    with open(path, "w") as f:
        json.dump({"passed": passed, "failed": len(outcomes) - passed}, f)
        f.write("\n")


def main(argv=None):
    args = parse_args(argv)
    try:
        labs = select_labs(args)
    except manifest.ManifestError as err:
        print(f"grade.py: bad manifest: {err}", file=sys.stderr)
        return 2
    arches = args.arches
    jobs = scoring.plan_jobs(labs, arches, args.tests)
    if args.list:
        list_plan(labs, jobs)
        return 0
    if not jobs:
        print(f"grade.py: no graded test matches --tests {args.tests} "
              f"on {args.arch}", file=sys.stderr)
        return 2
    colour = report.use_colour()
    started = time.monotonic()
    run_jobs(jobs, args, colour)
    grades = scoring.grade(labs, jobs, args.tests)
    arch_names = [a.name for a in arches]
    report.table(labs, grades, arch_names, colour)
    report.broken_runs(jobs, colour)
    if args.verbose:
        report.serial_logs(jobs, grades)
    if args.json:
        gradescope.write(args.json, grades, jobs, time.monotonic() - started)
    if args.summary_file:
        write_summary(args.summary_file, grades)
    report.score_line(grades, colour)
    ok = all(g.awarded for g in grades) and all(j.run.complete for j in jobs)
    return 0 if ok else 1


def _terminate(signum, frame):
    """SIGTERM (e.g. a Gradescope timeout) stops like Ctrl-C: QEMUs die."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("grade.py: interrupted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:       # e.g. "grade.py --list | head"
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
