"""End-to-end tests with fake_qemu.py standing in for QEMU.

They prove that hangs, floods and leftover processes cannot hang the
grader, and check the whole CLI: table, score, exit status, results.json
and the summary file. Every timeout here is short (at most ~3 s).
"""

import contextlib
import io
import json
import os
import shlex
import sys
import tempfile
import time
import unittest
from pathlib import Path
from unittest import mock

import arches
import grade
import qemu

FAKE = Path(__file__).resolve().parent / "fake_qemu.py"
FAKE_CMD = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE))}"
KEYS = ["ktest_selftest.passes", "ktest_selftest.expect_panic_caught",
        "ktest_selftest.suite_exit"]


def fake(mode, arch="riscv"):
    """argv that makes the fake QEMU behave as `mode`."""
    if arch == "riscv":
        return shlex.split(FAKE_CMD) + ["-append", f"fake={mode}"]
    return shlex.split(FAKE_CMD) + [
        "-fw_cfg", f"name=opt/duet/cmdline,string=fake={mode}"]


def process_gone(pid):
    """True if pid no longer runs (a zombie awaiting its reaper counts)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class Runner(unittest.TestCase):
    def test_exit_status_and_output(self):
        raw = qemu.run(fake("pass"), timeout=10)
        self.assertEqual(raw.status, 0)
        self.assertIn("ok 1 ktest_selftest", raw.output)
        self.assertFalse(raw.timed_out or raw.flooded)

    def test_hang_is_killed_at_timeout(self):
        start = time.monotonic()
        raw = qemu.run(fake("hang"), timeout=1.0)
        self.assertLess(time.monotonic() - start, 3)
        self.assertTrue(raw.timed_out)
        self.assertIsNone(raw.status)
        self.assertIn("ok 1 passes", raw.output)

    def test_flood_is_capped(self):
        start = time.monotonic()
        raw = qemu.run(fake("flood"), timeout=10, byte_cap=64 * 1024)
        self.assertLess(time.monotonic() - start, 3)
        self.assertTrue(raw.flooded)
        self.assertEqual(len(raw.output), 64 * 1024)

    def test_leftover_child_cannot_hold_us(self):
        start = time.monotonic()
        raw = qemu.run(fake("orphan"), timeout=10)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(raw.status, 0)
        self.assertFalse(raw.timed_out)

    def test_whole_process_group_is_killed(self):
        argv = ["sh", "-c", "sleep 30 & echo $!; wait"]
        raw = qemu.run(argv, timeout=0.5)
        self.assertTrue(raw.timed_out)
        pid = int(raw.output.split()[0])
        time.sleep(0.1)
        self.assertTrue(process_gone(pid))

    def test_missing_binary(self):
        raw = qemu.run(["/nonexistent/qemu"], timeout=1)
        self.assertIn("cannot start /nonexistent/qemu", raw.setup_error)


class Commands(unittest.TestCase):
    """The QEMU command lines built from the arch table."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        for name in ("riscv/kernel.elf", "x86_64/duet.iso",
                     "sbi/fw_jump.bin"):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).touch()
        self.root = root
        self.env = mock.patch.dict(os.environ, {
            "OPENSBI_DIR": str(root / "sbi"), "QEMU_RISCV": "true",
            "QEMU_X86_64": "true --flag"})
        self.env.start()

    def tearDown(self):
        self.env.stop()
        self.tmp.cleanup()

    def boot(self, **kw):
        return arches.Boot(**{"mem": "256M", "smp": 2,
                              "cmdline": "quiet test=a,b.*",
                              "firmware": "fw_jump", **kw})

    def test_riscv(self):
        argv = arches.ARCHES["riscv"].command(self.root, self.boot())
        self.assertEqual(argv[0], "true")
        self.assertEqual(argv[argv.index("-append") + 1], "quiet test=a,b.*")
        self.assertEqual(argv[argv.index("-bios") + 1],
                         str(self.root / "sbi/fw_jump.bin"))
        for flag in ("-no-reboot", "-machine", "-kernel"):
            self.assertIn(flag, argv)
        self.assertEqual(argv[argv.index("-smp") + 1], "2")

    def test_x86_64_escapes_commas(self):
        argv = arches.ARCHES["x86_64"].command(self.root, self.boot())
        self.assertEqual(argv[:2], ["true", "--flag"])
        self.assertIn("name=opt/duet/cmdline,string=quiet test=a,,b.*", argv)
        self.assertIn("isa-debug-exit,iobase=0xf4,iosize=0x04", argv)

    def test_missing_firmware(self):
        with self.assertRaises(arches.SetupError) as caught:
            arches.ARCHES["riscv"].command(self.root,
                                           self.boot(firmware="fw_dynamic"))
        self.assertIn("OPENSBI_DIR", str(caught.exception))

    def test_missing_image(self):
        with self.assertRaises(arches.SetupError) as caught:
            arches.ARCHES["x86_64"].command(self.root / "nope", self.boot())
        self.assertIn("duet.iso not found: run make ARCH=x86_64",
                      str(caught.exception))

    def test_missing_qemu(self):
        with mock.patch.dict(os.environ, {"QEMU_RISCV": "/no/such/qemu"}):
            with self.assertRaises(arches.SetupError) as caught:
                arches.ARCHES["riscv"].command(self.root, self.boot())
        self.assertIn("set QEMU_RISCV", str(caught.exception))


class EndToEnd(unittest.TestCase):
    """grade.main() against a fake build and manifests in a temp dir."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        for name in ("build/riscv/kernel.elf", "build/x86_64/duet.iso",
                     "sbi/fw_dynamic.bin", "sbi/fw_jump.bin"):
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).touch()
        (self.root / "manifest").mkdir()
        self.env = mock.patch.dict(os.environ, {
            "OPENSBI_DIR": str(self.root / "sbi"), "QEMU_RISCV": FAKE_CMD,
            "QEMU_X86_64": FAKE_CMD, "NO_COLOR": "1"})
        self.env.start()

    def tearDown(self):
        self.env.stop()
        self.tmp.cleanup()

    def manifest(self, *groups, lab=0):
        data = {"lab": lab, "title": "Fake", "groups": list(groups),
                "points": {k: 1 for k in KEYS}}
        path = self.root / "manifest" / f"lab{lab}.json"
        path.write_text(json.dumps(data))

    def group(self, name, mode, **kw):
        return {"name": name, "tests": "ktest_selftest",
                "cmdline": f"fake={mode}", "timeout": 10, **kw}

    def grade(self, *args):
        out = io.StringIO()
        argv = ["--manifest-dir", str(self.root / "manifest"),
                "--build-dir", str(self.root / "build"), *args]
        with contextlib.redirect_stdout(out):
            status = grade.main(argv)
        return status, out.getvalue()

    def test_everything_passes(self):
        self.manifest(self.group("a", "pass"),
                      self.group("b", "pass", arch=["riscv"],
                                 firmware="fw_jump"))
        summary = self.root / "summary.json"
        status, out = self.grade("--summary-file", str(summary))
        self.assertEqual(status, 0, out)
        self.assertEqual(out.splitlines()[-1], "Score: 3/3")
        self.assertEqual(json.loads(summary.read_text()),
                         {"passed": 9, "failed": 0})

    def test_failure_shows_diagnostics_and_results_json(self):
        self.manifest(self.group("a", "fail"))
        results = self.root / "results.json"
        status, out = self.grade("--json", str(results))
        self.assertEqual(status, 1)
        self.assertIn("# selftest.c:20: expected 1 == 2", out)
        self.assertEqual(out.splitlines()[-1], "Score: 2/3")
        data = json.loads(results.read_text())
        self.assertEqual(data["score"], 2)
        tests = {t["name"]: t for t in data["tests"]}
        failed = tests["lab0 ktest_selftest.expect_panic_caught"]
        self.assertEqual((failed["status"], failed["score"],
                          failed["max_score"]), ("failed", 0, 1))
        self.assertIn("riscv/a: not ok", failed["output"])
        self.assertIn("expected 1 == 2", failed["output"])
        self.assertEqual(tests["lab0 ktest_selftest.passes"]["status"],
                         "passed")
        for t in data["tests"]:
            self.assertEqual(t["visibility"], "visible")

    def test_one_arch_only_is_flagged_and_not_awarded(self):
        self.manifest(self.group("a", "pass"))
        (self.root / "build/x86_64/duet.iso").unlink()
        status, out = self.grade()
        self.assertEqual(status, 1)
        self.assertIn("<- passes on riscv only", out)
        self.assertIn("x86_64 lab0/a: kernel image", out)
        self.assertIn("not found: run make ARCH=x86_64", out)
        self.assertNotIn("Traceback", out)
        self.assertEqual(out.splitlines()[-1], "Score: 0/3")

    def test_arch_option(self):
        self.manifest(self.group("a", "pass"))
        (self.root / "build/x86_64/duet.iso").unlink()
        status, out = self.grade("--arch", "riscv")
        self.assertEqual(status, 0, out)
        status, out = self.grade("--arch", "riscv,x86_64")
        self.assertEqual(status, 1, out)
        with contextlib.redirect_stderr(io.StringIO()), \
                self.assertRaises(SystemExit) as caught:
            self.grade("--arch", "riscv,arm")
        self.assertEqual(caught.exception.code, 2)

    def test_hang_is_a_timeout_and_nothing_hangs(self):
        self.manifest(self.group("a", "hang", timeout=1, arch=["riscv"]))
        start = time.monotonic()
        status, out = self.grade("--timeout-scale", "1.5")
        self.assertLess(time.monotonic() - start, 4)
        self.assertEqual(status, 1)
        self.assertIn("timeout after 1.5s (last output: 'ok 1 passes')", out)
        self.assertEqual(out.splitlines()[-1], "Score: 1/3")

    def test_flood_trap_liar_reset_noktap(self):
        self.manifest(self.group("flood", "flood", arch=["riscv"]),
                      self.group("trap", "trap", arch=["riscv"]),
                      self.group("liar", "liar", arch=["riscv"]),
                      self.group("reset", "reset", arch=["x86_64"]),
                      self.group("noktap", "noktap", arch=["x86_64"]))
        status, out = self.grade("-v")
        self.assertEqual(status, 1)
        for expected in (
                "riscv lab0/flood: output flood",
                "riscv lab0/trap: kernel trapped: panic: page fault at 0xdead",
                "riscv lab0/liar: exit status says fail but KTAP reports no "
                "failures",
                "x86_64 lab0/reset: triple fault / reset",
                "x86_64 lab0/noktap: no KTAP output (exited with status 35)",
                "----- serial log: riscv lab0/trap -----"):
            self.assertIn(expected, out)
        self.assertEqual(out.splitlines()[-1], "Score: 0/3")

    def test_tests_filter(self):
        self.manifest(self.group("a", "pass"))
        status, out = self.grade("--tests", "*.passes")
        self.assertEqual(status, 0)
        self.assertEqual(out.splitlines()[-1], "Score: 1/1")
        with contextlib.redirect_stderr(io.StringIO()):
            status, _ = self.grade("--tests", "nomatch")
        self.assertEqual(status, 2)

    def test_list_boots_nothing(self):
        self.manifest(self.group("a", "hang"))
        status, out = self.grade("--list")
        self.assertEqual(status, 0)
        self.assertIn("cmdline: fake=hang test=ktest_selftest", out)
        self.assertIn("ktest_selftest.suite_exit", out)

    def test_lab_ladder(self):
        self.manifest(self.group("a", "pass"), lab=0)
        self.manifest(self.group("b", "pass"), lab=2)
        _, out = self.grade("--lab", "1", "--list")
        self.assertIn("Lab 0", out)
        self.assertNotIn("Lab 2", out)
        _, out = self.grade("--only-lab", "2", "--list")
        self.assertNotIn("Lab 0", out)
        self.assertIn("Lab 2", out)

    def test_bad_manifest_exits_2(self):
        self.manifest(self.group("a", "pass"))
        (self.root / "manifest/lab3.json").write_text('{"lab": 3}')
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status, _ = self.grade()
        self.assertEqual(status, 2)
        self.assertIn("bad manifest", err.getvalue())

    def require_tags(self):
        (self.root / "manifest" / "grader.json").write_text(
            '{"require_tags": true}')

    def test_tagged_report_passes_when_tags_are_required(self):
        self.require_tags()
        self.manifest(self.group("a", "pass tags"))
        status, out = self.grade()
        self.assertEqual(status, 0, out)
        self.assertEqual(out.splitlines()[-1], "Score: 3/3")

    def test_canned_and_replayed_reports_earn_nothing(self):
        self.require_tags()
        self.manifest(self.group("canned", "pass", arch=["riscv"]),
                      self.group("replay", "replay", arch=["x86_64"]))
        status, out = self.grade()
        self.assertEqual(status, 1)
        self.assertIn("riscv lab0/canned: 4 of 4 result line(s) not bound "
                      "to this boot (no nonce tag: canned output?)", out)
        self.assertIn("x86_64 lab0/replay: 4 of 4 result line(s) not bound "
                      "to this boot (wrong nonce tag", out)
        self.assertEqual(out.splitlines()[-1], "Score: 0/3")

    def test_every_boot_gets_fresh_secrets(self):
        self.manifest(self.group("a", "argv"), self.group("b", "argv"))
        jobs = []
        real = grade.run_job

        def spy(job, *args):
            real(job, *args)
            jobs.append(job)
        with mock.patch.object(grade, "run_job", spy):
            self.grade()
        words = [set(w for w in job.raw.output.split()
                     if w.startswith(("ktap_nonce=", "verify_seed=")))
                 for job in jobs]
        self.assertEqual(len(words), 4)
        self.assertTrue(all(len(w) == 2 for w in words), words)
        seen = set().union(*words)
        self.assertEqual(len(seen), 8, "a nonce or seed was reused")
        for job, w in zip(jobs, words):
            self.assertIn(f"ktap_nonce={job.challenge.nonce}", w)

    def verify_manifest(self, mode, pmm):
        self.require_tags()
        data = {"lab": 1, "title": "Verify", "groups": [
            {"name": "v", "tests": "pmm_verify", "timeout": 10,
             "cmdline": f"fake={mode} tags pmm={pmm}", "mem": "64M"}],
            "points": {"pmm_verify.seeded_random_sequence": 3}}
        (self.root / "manifest" / "lab1.json").write_text(json.dumps(data))

    def test_host_check_passes_a_sound_allocator(self):
        for pmm in ("bump", "freelist"):
            self.verify_manifest("verify", pmm)
            status, out = self.grade()
            self.assertEqual(status, 0, out)
            self.assertEqual(out.splitlines()[-1], "Score: 3/3")

    def test_host_check_catches_a_leak_the_kernel_calls_ok(self):
        self.verify_manifest("verify_leak", "bitmap")
        status, out = self.grade()
        self.assertEqual(status, 1)
        self.assertIn("riscv/v: host check: 1 page(s) lost", out)
        self.assertIn("x86_64/v: host check: 1 page(s) lost", out)
        self.assertNotIn("# verify:", out)
        self.assertEqual(out.splitlines()[-1], "Score: 0/3")

    def test_missing_lab_exits_2(self):
        self.manifest(self.group("a", "pass"))
        with contextlib.redirect_stderr(io.StringIO()):
            status, _ = self.grade("--only-lab", "5")
        self.assertEqual(status, 2)


if __name__ == "__main__":
    unittest.main()
