# Duet -- a teaching kernel. Run "make help" for the targets.
#
#   make qemu                 boot RISC-V Duet to its monitor (Ctrl-A X quits)
#   make test                 every test: host unit tests + graded kernel tests
#   make ARCH=x86_64 qemu     the same kernel on x86-64

ARCH ?= riscv
.DEFAULT_GOAL := all
ARCHES := riscv x86_64
BUILD  := build
OBJDIR := $(BUILD)/$(ARCH)

# When ARCH is not given, "make grade" grades every architecture.
ifeq ($(origin ARCH),file)
GRADE_ARCHES := $(ARCHES)
else
GRADE_ARCHES := $(ARCH)
endif

REQUIRED_TOOLS := gcc python3

# "make V=1" shows the full commands.
Q := $(if $(V),,@)
include arch/$(ARCH)/arch.mk

# ---- Kernel build --------------------------------------------------------

CC      := $(CROSS)gcc
OBJCOPY := $(CROSS)objcopy
OBJDUMP := $(CROSS)objdump

# -fno-tree-loop-distribute-patterns: stop GCC turning the loop inside
# memset() into a call to memset(). -fno-omit-frame-pointer: backtraces.
# -fno-toplevel-reorder: tests run in the order they are written.
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	  -ffreestanding -fno-builtin-printf -fno-common -fno-pie \
	  -fno-stack-protector -fno-omit-frame-pointer \
	  -fno-tree-loop-distribute-patterns -fno-toplevel-reorder \
	  -I. $(ARCH_CFLAGS) -MMD -MP
LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none $(ARCH_LDFLAGS)

KERNEL_SRCS := $(wildcard kernel/*.c mm/*.c tests/kernel/*.c) \
	       $(wildcard arch/$(ARCH)/*.c arch/$(ARCH)/*.S)
KERNEL_OBJS := $(patsubst %,$(OBJDIR)/%.o,$(KERNEL_SRCS))

.PHONY: all kernel
all kernel: tools-check $(KERNEL_IMAGE)

$(OBJDIR)/kernel.elf: $(KERNEL_OBJS) arch/$(ARCH)/kernel.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(KERNEL_OBJS) -lgcc

$(OBJDIR)/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(OBJDIR)/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(CFLAGS) -D__ASSEMBLY__ -c -o $@ $<

-include $(KERNEL_OBJS:.o=.d)

# The heap trace test embeds the traces, packed, with .incbin (which -MMD
# cannot see).
HEAP_TRACE_DIR := $(BUILD)/heap-traces
HEAP_TRACES    := $(patsubst tests/heap/traces/%.trace,$(HEAP_TRACE_DIR)/%.tpk,$(wildcard tests/heap/traces/*.trace))
$(HEAP_TRACE_DIR)/%.tpk: tests/heap/traces/%.trace tests/heap/pack_traces.py
	@mkdir -p $(dir $@)
	@echo "  PACK    $<"
	$(Q)python3 tests/heap/pack_traces.py $< $@
$(OBJDIR)/tests/kernel/heap_trace_test.c.o: $(HEAP_TRACES)
$(OBJDIR)/tests/kernel/heap_trace_test.c.o: CFLAGS += -DHEAP_TRACE_DIR='"$(HEAP_TRACE_DIR)"'

# ---- Running it --------------------------------------------------------------

CMDLINE ?=
GDBPORT ?= 1234

.PHONY: qemu qemu-gdb gdb
# QEMU exits 0 when you quit it (Ctrl-A X); "poweroff" exits with the
# architecture's pass status (QEMU_PASS_STATUS, 33 on x86-64).
qemu: all
	$(QEMU) $(QEMU_ARGS) -nographic || [ $$? -eq $(QEMU_PASS_STATUS) ]

qemu-gdb: all
	@echo "*** QEMU is waiting for gdb on port $(GDBPORT): run 'make ARCH=$(ARCH) gdb' in another terminal"
	$(QEMU) $(QEMU_ARGS) -nographic -S -gdb tcp::$(GDBPORT) || [ $$? -eq $(QEMU_PASS_STATUS) ]

gdb: $(KERNEL_IMAGE)
	gdb-multiarch -q -x tools/gdb/$(ARCH).gdb

# ---- Tests and grading ---------------------------------------------------------

HOST_CC     := gcc
HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -I. \
	       -fsanitize=address,undefined -fno-sanitize-recover=all \
	       -fno-omit-frame-pointer
# The architecture-neutral sources the host tests link against.
HOST_LIB_SRCS := $(wildcard mm/*.c) kernel/printf.c kernel/parse.c \
		 kernel/spinlock.c kernel/cmdline.c kernel/errno.c \
		 tests/host/host_arch.c tests/host/host_pte.c
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))

$(BUILD)/host/test_%: tests/host/test_%.c $(HOST_LIB_SRCS) $(wildcard */*.h mm/*.h tests/host/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LIB_SRCS)

.PHONY: host-tests kernels grade test
host-tests: tools-check $(HOST_TESTS)
	@python3 tools/run-host-tests $(HOST_TESTS)

# Build the kernel for every architecture being graded.
kernels: tools-check
	@for a in $(GRADE_ARCHES); do $(MAKE) --no-print-directory ARCH=$$a kernel || exit 1; done

GRADE_FLAGS ?=
grade: kernels
	python3 tests/grader/grade.py --arch $(subst $(space),$(comma),$(GRADE_ARCHES)) \
		$(if $(LAB),--lab $(LAB)) $(if $(TESTS),--tests '$(TESTS)') $(GRADE_FLAGS)

# Every test there is: host unit tests, grader self-tests, graded kernel tests.
test: kernels $(HOST_TESTS)
	@python3 tools/run-all-tests --arches "$(GRADE_ARCHES)" $(HOST_TESTS)

# ---- Instructor targets (handout, gradescope, batch grading) ----------------

-include tools/instructor.mk

# ---- Housekeeping -------------------------------------------------------------

.PHONY: tools-check setup clean help
tools-check:
	@tools/setup --if-missing $(sort $(REQUIRED_TOOLS))

setup:
	tools/setup

clean:
	rm -rf $(BUILD)

help:
	@echo "make [ARCH=riscv|x86_64] <target>"
	@echo "  all        build the kernel (default)"
	@echo "  qemu       boot it in QEMU; the serial console is your terminal (Ctrl-A X quits)"
	@echo "  qemu-gdb   the same, stopped at the first instruction, waiting for gdb"
	@echo "  gdb        attach gdb-multiarch to a 'make qemu-gdb' in another terminal"
	@echo "  grade      boot the graded tests and print a score (LAB=n, TESTS=glob)"
	@echo "  test       every test: host unit tests (ASan/UBSan) and all graded tests"
	@echo "  setup      install the Debian packages Duet needs"
	@echo "  clean      remove build/"

empty :=
space := $(empty) $(empty)
comma := ,

# ---- Benchmarks: make bench [BENCH_JSON=file] ---------------------------------
# The page allocators against naive baselines, natively with -O2 and no
# sanitizers (tests/bench/pmm_bench.c says what is measured and how).
BENCH_JSON  ?=
# Every page allocator (pmm.c can start any of them).
PMM_SRCS    := mm/memmap.c mm/pmm.c mm/bump.c mm/bitmap.c mm/freelist.c \
	       mm/frame.c mm/buddy.c mm/pcp.c
BENCH_SRCS  := tests/bench/pmm_bench.c tests/bench/baselines.c $(PMM_SRCS) \
	       $(filter-out mm/%,$(HOST_LIB_SRCS))
BENCH_FLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -I.

$(BUILD)/bench/pmm_bench: $(BENCH_SRCS) $(wildcard */*.h mm/*.h tests/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) $(BENCH_FLAGS) -o $@ $(BENCH_SRCS)

# The heap (lab 4) against glibc malloc and a naive implicit-list heap, on
# the traces of tests/heap/ (tests/bench/heap_bench.c says how).
HEAP_BENCH_SRCS := tests/bench/heap_bench.c tests/bench/naive_heap.c \
		   $(PMM_SRCS) $(wildcard mm/heap*.c) \
		   $(filter-out mm/%,$(HOST_LIB_SRCS))

$(BUILD)/bench/heap_bench: $(HEAP_BENCH_SRCS) $(wildcard */*.h mm/*.h tests/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOST_CC) $(BENCH_FLAGS) -o $@ $(HEAP_BENCH_SRCS)

.PHONY: bench
bench: $(BUILD)/bench/pmm_bench $(BUILD)/bench/heap_bench
	$(BUILD)/bench/pmm_bench $(if $(BENCH_JSON),--json $(BENCH_JSON))
	$(BUILD)/bench/heap_bench $(wildcard tests/heap/traces/*.trace)
# ---- end of benchmarks --------------------------------------------------------

# ---- Fuzzing: make fuzz [FUZZ_SECONDS=60 | FUZZ_RUNS=N], make fuzz-smoke -------
# libFuzzer targets for the parsers and allocators of mm/, under ASan and
# UBSan, each checked against a model (tests/fuzz/README.md). "make fuzz"
# runs every target FUZZ_SECONDS seconds (or FUZZ_RUNS executions),
# FUZZ_JOBS targets at a time, and prints executions and crashes per target; "make fuzz-smoke" is the short
# fixed-seed run for CI. Crash inputs go to build/fuzz/crashes/<target>/,
# and either target then exits non-zero.
FUZZ_CC      := clang
FUZZ_SECONDS ?= $(if $(FUZZ_RUNS),0,60)
FUZZ_RUNS    ?=
FUZZ_JOBS    ?= 2
FUZZ_FLAGS   ?=
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -I. -MMD -MP \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS))
# The code under test: the same sources as the host tests, instrumented
# for coverage. The targets and their models (tests/fuzz/*.c) are not:
# their loops would only slow the fuzzer down and guide it nowhere.
FUZZ_LIB_OBJS   := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(HOST_LIB_SRCS))
FUZZ_MODEL_OBJS := $(patsubst %.c,$(FUZZ_DIR)/model/%.o,$(filter-out \
		   tests/fuzz/fuzz_%,$(wildcard tests/fuzz/*.c)))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_COV) \
		-c -o $@ $<

# Loops of comparisons that guide the fuzzer nowhere: poison filled and
# checked a word at a time (512 per page), the memory map's quadratic
# sorts and scans. Tracing each comparison took 60-70% of those targets'
# time; branch coverage stays, and ASan and UBSan still check everything.
$(patsubst %,$(FUZZ_DIR)/obj/mm/%.o,freelist heap_chunk heap_check memmap): \
	FUZZ_COV := -fno-sanitize-coverage=trace-cmp

$(FUZZ_DIR)/model/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $< (model)"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/model/tests/fuzz/fuzz_%.o \
		$(FUZZ_LIB_OBJS) $(FUZZ_MODEL_OBJS)
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_MODEL_OBJS:.o=.d) \
	 $(FUZZ_TARGETS:%=$(FUZZ_DIR)/model/tests/fuzz/fuzz_%.d)

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	python3 tests/fuzz/run-fuzz --build-dir $(BUILD) --seconds $(FUZZ_SECONDS) \
		$(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS)) --parallel $(FUZZ_JOBS) \
		$(FUZZ_FLAGS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	python3 tests/fuzz/run-fuzz --build-dir $(BUILD) --smoke \
		--parallel $(FUZZ_JOBS) $(FUZZ_FLAGS) $(FUZZ_TARGETS)
# ---- end of fuzzing -------------------------------------------------------------

# ---- Broken kernels: the grader's adversaries (tests/broken) -------------------
# make ARCH=riscv BROKEN='hang_early flood' broken-kernels
# links the normal kernel's objects with tests/broken/broken.c, which
# injects one fault each through the linker's --wrap (no hook in kernel/),
# into $(BUILD)/broken/<fault>/$(ARCH)/: the layout "grade.py --build-dir
# $(BUILD)/broken/<fault>" expects. tests/broken/broken.c lists the faults;
# tests/broken/test_broken_kernels.py builds and grades them all. The normal
# kernel never contains fault code.
BROKEN ?=
BROKEN_DIR   := $(BUILD)/broken
BROKEN_WRAPS := kernel_main ktest_run spin_lock kprintf page_alloc_aligned page_free
BROKEN_IMAGES := $(foreach f,$(BROKEN),$(BROKEN_DIR)/$(f)/$(ARCH)/$(notdir $(KERNEL_IMAGE)))

.PHONY: broken-kernels
broken-kernels: tools-check $(BROKEN_IMAGES)
	@$(if $(BROKEN),:,echo "usage: make broken-kernels BROKEN='<fault> ...'" \
		"(the faults are listed in tests/broken/broken.c)" >&2; exit 1)

$(BROKEN_DIR)/%/$(ARCH)/broken.o: tests/broken/broken.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -DBROKEN_FAULT='"$*"' -c -o $@ $<

$(BROKEN_DIR)/%/$(ARCH)/broken_arch.o: tests/broken/$(ARCH).c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BROKEN_DIR)/%/$(ARCH)/kernel.elf: $(BROKEN_DIR)/%/$(ARCH)/broken.o \
		$(BROKEN_DIR)/%/$(ARCH)/broken_arch.o $(KERNEL_OBJS) arch/$(ARCH)/kernel.ld
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(foreach f,$(BROKEN_WRAPS),-Wl,--wrap=$(f)) \
		-o $@ $(KERNEL_OBJS) $(filter %.o,$(wordlist 1,2,$^)) -lgcc

ifdef make-iso
$(BROKEN_DIR)/%/$(ARCH)/duet.iso: $(BROKEN_DIR)/%/$(ARCH)/kernel.elf arch/$(ARCH)/grub.cfg
	@echo "  ISO     $@"
	$(call make-iso,$<,arch/$(ARCH)/grub.cfg,$(dir $@)iso,$@)
endif

.PRECIOUS: $(BROKEN_DIR)/%/$(ARCH)/broken.o $(BROKEN_DIR)/%/$(ARCH)/broken_arch.o \
	   $(BROKEN_DIR)/%/$(ARCH)/kernel.elf
-include $(wildcard $(BROKEN_DIR)/*/$(ARCH)/*.d)

# Build every fault on every arch, grade each, check the verdicts (~45 s).
.PHONY: broken-tests
broken-tests: tools-check
	python3 -m unittest discover -s tests/broken -t . -v
# ---- end of broken kernels ------------------------------------------------------
