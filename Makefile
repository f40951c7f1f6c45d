# SPDX-License-Identifier: GPL-2.0
# pagemove: one Makefile from the pinned v7.3-rc7 tree to a booted VM.
# `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

KERNEL  ?= patched
MEM     ?= 2G
CPUS    ?= 2
VM_TIMEOUT ?= 900

BUILD   := build
BIN     := $(BUILD)/bin
BPFOUT  := $(BUILD)/bpf
STOCK_OBJ := $(BUILD)/linux-stock/obj
# BPF programs are CO-RE: compiled once against the pinned base's BTF and
# relocated at load time to whatever kernel runs them.
VMLINUX ?= $(STOCK_OBJ)/vmlinux

CC      ?= gcc
LIB_SRCS := $(wildcard lib/*.c)
CLANG   ?= clang
BPFTOOL ?= bpftool
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -I$(BPFOUT)
LDLIBS_BPF := -lbpf -lelf -lz
# -Wno-missing-declarations: bpftool 7.1 dumps a few anonymous members of
# 7.3's BTF as empty declarations; clang 14 warns about each.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-Wno-missing-declarations -I$(BPFOUT) -Iinclude

ifeq ($(filter stock patched,$(KERNEL)),)
$(error KERNEL must be 'stock' or 'patched', not '$(KERNEL)')
endif

.PHONY: help deps tree series kernel kernels zsrace-kernel tponly-kernel vm bpf tools balloonctl tools-test analysis analysis-test selftests unit fuzz check demo \
	config-matrix check-debug \
	bench balloon-table export-series qemu clean distclean

help:
	@echo 'pagemove — tracepoints, BPF tracers and analysis for Linux page movers'
	@echo
	@echo 'Main commands (each installs/fetches what it needs; run as root):'
	@echo '  make demo            build the patched kernel, boot it, run the smoke workloads'
	@echo '  make check           everything CI runs; ends with "N passed, N failed, N skipped"'
	@echo '  make check-debug     the patched kernel with lockdep, KASAN, DEBUG_VM runs every workload; 0 splats'
	@echo
	@echo 'Steps:'
	@echo '  make deps            install Debian packages and virtme-ng'
	@echo '  make tree            unpack pinned v7.3-rc7 into build/linux-stock (git, base from patches/BASE)'
	@echo '  make series          build/linux-pagemove = base + git am patches/*.patch'
	@echo '  make kernel [KERNEL=stock|patched]   configure (kconfig/) and build with ccache'
	@echo '  make zsrace-kernel   the patched kernel + patches/testing/zsrace-* (planted race, control)'
	@echo '  make tponly-kernel   the series'"'"' tracepoint patches alone, for make bench'"'"'s events-off cost'
	@echo '  make vm CMD=...  [KERNEL=stock|patched MEM=2G CPUS=2 VM_TIMEOUT=900]'
	@echo '                       boot a built kernel under virtme-ng and run CMD as root'
	@echo '  make bpf tools       BPF objects, skeletons and userspace tools in build/bin'
	@echo '  make balloonctl      build/bin/balloonctl: QEMU'"'"'s balloon over QMP, timed (no kernel needed)'
	@echo '  make tools-test      the tools'"'"' command-line conventions and exit codes, balloonctl vs a fake QEMU (host)'
	@echo '  make analysis        the pagemove CLI (report, diff, timeline, plot) in build/bin'
	@echo '  make selftests       build the tree'"'"'s hmm-tests'
	@echo '  make unit            C unit tests (lib/), under ASan and UBSan'
	@echo '  make fuzz            libFuzzer on the log reader, every pagemove subcommand, balloonctl'"'"'s QMP replies (FUZZ_SECONDS=30 each)'
	@echo '  make config-matrix   the series in tracing-off, modules (modpost), no-balloon-migration, i386 configs'
	@echo '  make bench           stock vs patched: migration cost of the tracepoints, balloon speed (ROUNDS=5)'
	@echo '  make balloon-table   seed 001'"'"'s balloon latency table, stock and patched, inflate and deflate'
	@echo '                       (BALLOON_GUEST=8G BALLOON_TO=7G ROUNDS=3 KERNELS="stock patched")'
	@echo '  make export-series   regenerate patches/ from build/linux-pagemove (branch pagemove)'
	@echo '  make qemu            the balloon companion: patches/qemu/ on bookworm'"'"'s QEMU 7.2, in build/qemu'
	@echo
	@echo 'Examples:'
	@echo "  make vm CMD='uname -r; cat /sys/block/zram0/mm_stat'"
	@echo '  make kernel KERNEL=stock && make vm KERNEL=stock CMD="ls /dev/hmm_dmirror*"'

deps:
	@bash ci/deps.sh

tree: deps
	@bash ci/tree.sh

series: tree
	@bash ci/series.sh

kernel: $(if $(filter stock,$(KERNEL)),tree,series)
	@bash ci/kernel.sh $(KERNEL)

# The third kernel: series + patches/testing/zsrace-*.patch (zsmigrate's
# planted race and its control), build/linux-zsrace; only mm/zsmalloc.o
# misses ccache.  Needs the patched kernel built.
zsrace-kernel: series
	@bash ci/zsrace-kernel.sh

# The series' tracepoint patches alone (1/7-4/7), build/linux-tponly: make
# bench's events-off cost on the zsmalloc and balloon paths, without the
# balloon speedup.  Needs the patched kernel built.
tponly-kernel: series
	@bash ci/tponly-kernel.sh

kernels:
	@$(MAKE) --no-print-directory kernel KERNEL=stock
	@$(MAKE) --no-print-directory kernel KERNEL=patched

vm:
	@test -n "$(CMD)" || { echo "usage: make vm CMD='...' [KERNEL=stock|patched]" >&2; exit 2; }
	@bash ci/vm.sh -k $(KERNEL) -m $(MEM) -c $(CPUS) -t $(VM_TIMEOUT) -- '$(subst ','"'"',$(CMD))'

# --- BPF and userspace ------------------------------------------------------

$(BPFOUT)/vmlinux.h: $(VMLINUX)
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file $< format c > $@.tmp && mv $@.tmp $@

$(VMLINUX):
	@echo "no $(VMLINUX): run 'make kernel KERNEL=stock' first" >&2; exit 1

$(BPFOUT)/%.bpf.o: bpf/%.bpf.c $(BPFOUT)/vmlinux.h $(wildcard bpf/*.h include/pagemove/*.h)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPFOUT)/%.skel.h: $(BPFOUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

BPF_PROGS := $(patsubst bpf/%.bpf.c,%,$(wildcard bpf/*.bpf.c))
bpf: $(foreach p,$(BPF_PROGS),$(BPFOUT)/$(p).skel.h)

# Tracers are built on the framework (tools/tracer.c, bpf/tracer.bpf.h);
# the other tools share only tools/toolutil.c and lib/.
TRACERS := migratevma zsmigrate balloonlat
TOOLS := bpfsmoke tpcheck hmmbench pmstat balloonctl zsstress $(TRACERS)
TOOLUTIL := tools/toolutil.c tools/toolutil.h
FRAMEWORK := tools/tracer.c tools/tracer.h $(TOOLUTIL)
LIB_HDRS := $(wildcard lib/*.h include/pagemove/*.h)

# Each loader: tools/NAME.c + its skeleton (bpf/NAME.bpf.c, or smoke for
# bpfsmoke), the shared helpers and lib/ (histograms, event log).
$(BIN)/bpfsmoke: $(BPFOUT)/smoke.skel.h
$(BIN)/tpcheck: $(BPFOUT)/tpcheck.skel.h include/pagemove/tpcheck.h
$(addprefix $(BIN)/,$(TRACERS)): $(BIN)/%: tools/%.c $(BPFOUT)/%.skel.h $(FRAMEWORK) $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ilib $< tools/tracer.c tools/toolutil.c $(LIB_SRCS) -o $@ $(LDLIBS_BPF) -lm
$(BIN)/%: tools/%.c $(TOOLUTIL) $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ilib $< tools/toolutil.c $(LIB_SRCS) -o $@ $(LDLIBS_BPF) -lm
# balloonctl: the QMP client (tools/qmp.c, jansson parses); no BPF, so
# `make balloonctl` needs no kernel.  The ASan/UBSan build is for its
# tests against tests/tools/fakeqmp.py.
QMP_SRCS := tools/balloonctl.c tools/qmp.c tools/qmp.h $(TOOLUTIL) $(LIB_SRCS) $(LIB_HDRS)
$(BIN)/balloonctl: $(QMP_SRCS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ilib tools/balloonctl.c tools/qmp.c tools/toolutil.c $(LIB_SRCS) \
		-o $@ -ljansson $(LDLIBS_BPF) -lm
$(BUILD)/unit/balloonctl: $(QMP_SRCS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Ilib tools/balloonctl.c tools/qmp.c tools/toolutil.c $(LIB_SRCS) \
		-o $@ -ljansson $(LDLIBS_BPF) -lm
balloonctl: $(BIN)/balloonctl


tools: $(addprefix $(BIN)/,$(TOOLS))

# Host side, no VM: every tool's -h/--help and exit codes, pmstat's medians;
# balloonctl against a misbehaving fake QEMU (tests/tools/fakeqmp.py).
tools-test: tools $(BUILD)/unit/balloonctl $(BUILD)/unit/zsstress
	@rc=0; bash tests/tools/cli.sh || rc=1; bash tests/tools/balloonctl.sh || rc=1; exit $$rc

# zsstress under ASan and UBSan, for tools-test (its verification on a file).
$(BUILD)/unit/zsstress: tools/zsstress.c $(TOOLUTIL) $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Ilib $< tools/toolutil.c $(LIB_SRCS) -o $@ $(LDLIBS_BPF) -lm

# The analysis CLI: lib/ only, no libbpf (DESIGN.md: analysis/ -> lib/).
# analysis/analysis.c holds each subcommand's core (also fuzzed).
ANALYSIS_SRCS := analysis/analysis.c
ANALYSIS_DEPS := $(ANALYSIS_SRCS) analysis/analysis.h $(LIB_SRCS) $(wildcard lib/*.h include/pagemove/*.h)
$(BIN)/pagemove: analysis/pagemove.c $(ANALYSIS_DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ilib -Ianalysis $< $(ANALYSIS_SRCS) $(LIB_SRCS) -o $@ -lm

analysis: $(BIN)/pagemove

# The same CLI under ASan and UBSan, for its tests (tests/analysis/run.sh).
$(BUILD)/unit/pagemove: analysis/pagemove.c $(ANALYSIS_DEPS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Ilib -Ianalysis $< $(ANALYSIS_SRCS) $(LIB_SRCS) -o $@ -lm

analysis-test: $(BUILD)/unit/pagemove
	@bash tests/analysis/run.sh

selftests: tree
	@bash ci/selftests.sh

# --- unit tests: C, under ASan and UBSan ---------------------------------------

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(wildcard tests/unit/test_*.c))
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(ANALYSIS_DEPS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Ilib -Ianalysis $< $(ANALYSIS_SRCS) $(LIB_SRCS) -o $@ -lm

unit: $(UNIT_TESTS)
	@rc=0; for t in $(UNIT_TESTS); do echo "== $$t"; $$t || rc=1; done; exit $$rc

# libFuzzer on the event-log reader and every subcommand's core (report,
# diff, timeline, plot data and its gnuplot program), FUZZ_SECONDS long,
# from the committed corpus (tests/fuzz/corpus: real logs, crafted
# hostile and damaged ones) plus mkseed's logs; new inputs go to
# build/fuzz/corpus, never into the tree.
FUZZ_SECONDS ?= 30
$(BUILD)/fuzz/fuzz_pagemove: tests/fuzz/fuzz_pagemove.c $(ANALYSIS_DEPS)
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Ilib -Ianalysis \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< \
		$(ANALYSIS_SRCS) $(LIB_SRCS) -o $@ -lm
$(BUILD)/fuzz/mkseed: tests/fuzz/mkseed.c $(LIB_SRCS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $< $(LIB_SRCS) -o $@ -lm

# balloonctl's QMP client (tools/qmp.c) on what QEMU sends, seeded with
# real QEMU 7.2 output (tests/fuzz/qmp-corpus, from tests/data/qmp); lines
# capped at 4 KiB here so the too-long path is in reach.
$(BUILD)/fuzz/fuzz_qmp: tests/fuzz/fuzz_qmp.c tools/qmp.c tools/qmp.h $(TOOLUTIL) $(LIB_SRCS)
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Ilib \
		-DQMP_MAX_LINE=4096 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$< tools/qmp.c tools/toolutil.c $(LIB_SRCS) -o $@ -ljansson $(LDLIBS_BPF) -lm

fuzz: $(BUILD)/fuzz/fuzz_pagemove $(BUILD)/fuzz/mkseed $(BUILD)/fuzz/fuzz_qmp
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/qmp-corpus
	@cp tests/fuzz/corpus/* $(BUILD)/fuzz/corpus/
	@$(BUILD)/fuzz/mkseed $(BUILD)/fuzz/corpus
	@set -o pipefail; $(BUILD)/fuzz/fuzz_pagemove -max_total_time=$(FUZZ_SECONDS) \
		-max_len=65536 -print_final_stats=1 $(BUILD)/fuzz/corpus 2>&1 | tail -n 12
	@cp tests/fuzz/qmp-corpus/* $(BUILD)/fuzz/qmp-corpus/
	@set -o pipefail; $(BUILD)/fuzz/fuzz_qmp -max_total_time=$(FUZZ_SECONDS) \
		-max_len=16384 -print_final_stats=1 $(BUILD)/fuzz/qmp-corpus 2>&1 | tail -n 12

# --- the two main commands ----------------------------------------------------

check:
	@bash ci/check.sh

demo:
	@bash ci/demo.sh

# The series in the configurations its maintainers build (kconfig/variants/),
# touched objects only.  Part of make check.
config-matrix: series
	@bash ci/config-matrix.sh

# The debug kernel (kconfig/variants/debug.config) under every workload; not
# part of make check (see README for its time).
check-debug: series selftests
	@$(MAKE) --no-print-directory bpf tools
	@bash ci/check-debug.sh

# Benchmarks (not tests): ROUNDS=5 by default.
# Seed 001's balloon table: BALLOON_GUEST=8G BALLOON_TO=7G ROUNDS=3 KERNELS="stock patched".
balloon-table: tools
	@$(MAKE) --no-print-directory kernels
	@bash ci/balloon-table.sh

bench: selftests analysis $(BUILD)/bench/mklog
	@$(MAKE) --no-print-directory kernels
	@bash ci/bench.sh

$(BUILD)/bench/mklog: tests/bench/mklog.c $(LIB_SRCS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ilib $< $(LIB_SRCS) -o $@ -lm

# The QEMU balloon companion (patches/qemu/), out of the tree, cached.
qemu: deps
	@bash ci/qemu.sh

# Regenerate patches/ from the branch developed in build/linux-pagemove.
export-series:
	@bash ci/export-series.sh

clean:
	rm -rf $(BIN) $(BPFOUT) $(BUILD)/vm $(BUILD)/selftests $(BUILD)/unit $(BUILD)/fuzz

distclean:
	rm -rf $(BUILD)
