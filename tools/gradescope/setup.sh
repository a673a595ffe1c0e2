#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image
# (the zip is unpacked in /autograder/source). It installs the packages
# Duet needs with the course's own tools/setup: the same list of Debian
# packages students install (Gradescope's Ubuntu images have them too).
set -euo pipefail
cd "$(dirname "$0")"
bash pristine/tools/setup
python3 --version
