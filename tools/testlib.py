"""Helpers shared by tools/run-host-tests and tools/run-all-tests."""
import re
import subprocess

TAP_RESULT = re.compile(r"^(not )?ok \d+ (.*)$")
HOST_TEST_TIMEOUT = 300  # seconds; a host test that hangs is a failure


def run_host_test(binary, verbose):
    """Run one TAP binary; return (passed, failed, failure_lines)."""
    try:
        proc = subprocess.run([binary], capture_output=True, text=True,
                              timeout=HOST_TEST_TIMEOUT, errors="replace")
        out, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired:
        return 0, 1, [f"{binary}: timed out after {HOST_TEST_TIMEOUT}s"]
    passed = failed = 0
    failures = []
    for line in out.splitlines():
        m = TAP_RESULT.match(line)
        if not m:
            continue
        if m.group(1):
            failed += 1
            failures.append(f"{binary}: {line}")
        else:
            passed += 1
    if verbose:
        print(out, end="")
    if code != 0 and failed == 0:
        # It crashed (sanitizer report, abort) before reporting a failure.
        failed += 1
        failures.append(f"{binary}: exited with status {code}")
        if not verbose:
            print(out[-4000:], end="")
    return passed, failed, failures


def run_host_tests(binaries, verbose=False):
    passed = failed = 0
    for binary in binaries:
        p, f, failures = run_host_test(binary, verbose)
        if not verbose:
            print(f"  {binary}: {p} passed, {f} failed", flush=True)
        passed += p
        failed += f
        for line in failures:
            print("FAIL", line)
    return passed, failed
