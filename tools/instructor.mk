# Instructor targets: handouts, their check, the Gradescope autograder and
# batch grading. Included by the Makefile (and absent from handouts, where
# the include is silently skipped). docs/instructors.md explains them.
#
#   make handout [LAB=n] [HANDOUT_DIR=dir]   student starter tree
#   make handout-check [LAB=n] [ARCH=a]      build, boot and grade that tree
#   make gradescope [LAB=n] [ARCH=a]         build/gradescope/autograder.zip
#   make batch-grade SUBMISSIONS=dir [LAB=n] [ARCH=a] [JOBS=n]
#   make instructor-tests                    the tools' own unit tests
#
# HANDOUT_FLAGS, GRADESCOPE_FLAGS and BATCH_FLAGS pass extra options, e.g.
# HANDOUT_FLAGS=--untracked to include files not yet added to git.

HANDOUT_LAB       = $(if $(LAB),$(LAB),0)
HANDOUT_DIR      ?= $(BUILD)/handout
HANDOUT_CHECK_DIR ?= $(BUILD)/handout-check/lab$(HANDOUT_LAB)
HANDOUT_FLAGS    ?=
GRADESCOPE_ZIP   ?= $(BUILD)/gradescope/autograder.zip
GRADESCOPE_FLAGS ?=
BATCH_DIR        ?= $(BUILD)/batch-grade
BATCH_FLAGS      ?=

# ARCH defaults to riscv for building; these tools default to every
# architecture, so pass ARCH on only when it was given explicitly.
INSTR_ARCH = $(if $(filter command line environment,$(origin ARCH)),--arch $(ARCH))

.PHONY: handout handout-check gradescope batch-grade instructor-tests help-instructor

handout:
	python3 tools/handout build --lab $(HANDOUT_LAB) --out $(HANDOUT_DIR) $(HANDOUT_FLAGS)

handout-check:
	python3 tools/handout check --lab $(HANDOUT_LAB) --out $(HANDOUT_CHECK_DIR) \
		$(INSTR_ARCH) $(HANDOUT_FLAGS)

gradescope:
	python3 tools/gradescope/build-autograder --out $(GRADESCOPE_ZIP) \
		$(if $(LAB),--lab $(LAB)) $(INSTR_ARCH) \
		$(if $(GRADESCOPE_TIMEOUT),--timeout $(GRADESCOPE_TIMEOUT)) $(GRADESCOPE_FLAGS)

batch-grade:
	@test -n "$(SUBMISSIONS)" || { echo "usage: make batch-grade SUBMISSIONS=dir [LAB=n] [ARCH=a] [JOBS=n]" >&2; exit 2; }
	python3 tools/batch-grade $(SUBMISSIONS) --out $(BATCH_DIR) \
		$(if $(LAB),--lab $(LAB)) $(INSTR_ARCH) $(if $(JOBS),--jobs $(JOBS)) $(BATCH_FLAGS)

instructor-tests:
	python3 -m unittest discover -s tests/tools -t tests/tools

help-instructor:
	@echo "Instructor targets (docs/instructors.md):"
	@echo "  handout          write the student starter tree (LAB=n: labs < n solved; HANDOUT_DIR=dir)"
	@echo "  handout-check    write it, build it on every arch, boot it, grade it (LAB=n)"
	@echo "  gradescope       build $(GRADESCOPE_ZIP) (LAB=n, ARCH=a, GRADESCOPE_TIMEOUT=s)"
	@echo "  batch-grade      grade SUBMISSIONS=dir in parallel into $(BATCH_DIR)/scores.csv"
	@echo "  instructor-tests unit tests of these tools (fast, no QEMU)"
