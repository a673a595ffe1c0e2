"""Helpers shared by the tests of the instructor tools (tests/tools)."""

import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = HERE / "fixtures"
TOOLS = REPO / "tools"


def load_tool(relpath, name=None):
    """Import a script without a .py suffix (e.g. tools/handout)."""
    path = REPO / relpath
    name = name or "tool_" + path.name.replace("-", "_")
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run(argv, **kwargs):
    """Run a command, capturing text output; never hangs a test run."""
    kwargs.setdefault("timeout", 60)
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def clean_env(**extra):
    """The environment without make variables of an outer make."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "ARCH", "LAB")}
    env.update(extra)
    return env


class TempDirTest(unittest.TestCase):
    """A test with self.tmp, a temporary directory removed afterwards."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="duet-tools-test-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def write(self, rel, text, root=None):
        path = Path(root or self.tmp) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


PYTHON = sys.executable


# ---- A miniature course for tools/batch-grade and the Gradescope autograder ----
#
# The real grader (tests/grader) with fixtures/mini-course (a fake Makefile
# and two tiny lab manifests) and fixtures/fake-qemu.py: grading a fake
# submission takes about a second and boots nothing.

def make_course(tmp):
    """A pristine mini course in tmp/course; returns (path, environment)."""
    course = Path(tmp) / "course"
    shutil.copytree(FIXTURES / "mini-course", course)
    shutil.copytree(REPO / "tests" / "grader", course / "tests" / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "tools" / "batch-grade", course / "tools")
    firmware = Path(tmp) / "firmware"
    firmware.mkdir()
    for name in ("fw_dynamic.bin", "fw_jump.bin"):
        (firmware / name).write_bytes(b"fake")
    env = clean_env(QEMU_RISCV=f"{sys.executable} {FIXTURES / 'fake-qemu.py'}",
                    OPENSBI_DIR=str(firmware), NO_COLOR="1",
                    PYTHONDONTWRITEBYTECODE="1")
    return course, env


def make_submission(root, image_lines, files=None):
    """A student tree at root whose "kernel" reports image_lines."""
    root = Path(root)
    (root / "kernel").mkdir(parents=True, exist_ok=True)
    (root / "mm").mkdir(parents=True, exist_ok=True)
    (root / "mm" / "alloc.c").write_text("\n".join(image_lines) + "\n")
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
