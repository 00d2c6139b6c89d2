# pipeml — one Makefile: build, test, pipeline, bench, install, data, deps.
# GNU make. `make help` lists the targets.

SHELL      = /bin/bash
PREFIX     = /usr/local
DESTDIR    =
BINDIR     = $(PREFIX)/bin
LIBEXECDIR = $(PREFIX)/libexec/pipeml
MANDIR     = $(PREFIX)/share/man

CC        ?= cc
CFLAGS     = -std=c11 -O2 -g -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
LDFLAGS    =
SANITIZE   =
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)

# Asked of git once, and only when a recipe needs it (not on every make pipeline).
VERSION    = $(eval VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0))$(VERSION)

# msgpack-c is `msgpack-c` (v6, Ubuntu 24.04, Debian 13) or `msgpack` (v4, Debian 12) to
# pkg-config. Expanded when a recipe runs, so after `make deps` has installed it.
MSGPACK_PC = $(shell pkg-config --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
MSGPACK_CFLAGS = $(shell pkg-config --cflags $(MSGPACK_PC) 2>/dev/null)
MSGPACK_LIBS = $(shell pkg-config --libs $(MSGPACK_PC) 2>/dev/null || echo -lmsgpackc)
LIBS = -lcsv $(MSGPACK_LIBS) -lpthread -lm

ifeq ($(SANITIZE),1)
BUILD      = build/san
OUTBIN     = build/san/bin
# float-cast-overflow: gcc's undefined leaves it out (clang's has it)
CFLAGS    += -O1 -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=address,undefined,float-cast-overflow
else
BUILD      = build/opt
OUTBIN     = bin
endif

TOOLS      = $(patsubst tools/%.c,%,$(wildcard tools/*.c))
LIBSRC     = $(wildcard common/*.c)
LIBOBJ     = $(patsubst common/%.c,$(BUILD)/common/%.o,$(LIBSRC))
LIB        = $(BUILD)/libpipeml.a
BINS       = $(addprefix $(OUTBIN)/,$(TOOLS))
UNITSRC    = $(wildcard tests/unit/*.c)
UNITBINS   = $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNITSRC))
HEADERS    = $(wildcard common/*.h)
MANPAGES   = $(wildcard man/*.1 man/*.5 man/*.7)

ALLCFLAGS  = $(CFLAGS) -DPIPEML_VERSION='"$(VERSION)"' -DPIPEML_LIBEXECDIR='"$(LIBEXECDIR)"' \
	     -Icommon $(MSGPACK_CFLAGS)

.PHONY: all deps data pipeline test unit bench install uninstall clean lint format help fuzz

all: $(BINS)

help:
	@echo 'make            build every tool into bin/ (runs make deps first)'
	@echo 'make test       build and run every test (SANITIZE=1: under ASan+UBSan)'
	@echo 'make pipeline   the full training run (pipelines/train.sh)'
	@echo 'make data       put data/raw/raw_data.csv in place (DATA_CACHE=dir to copy)'
	@echo 'make bench      benchmarks against the peers (bench/)'
	@echo 'make lint       clang-format, cppcheck, shellcheck and make analyze'
	@echo 'make analyze    clang static analyzer (scan-build) over the whole build'
	@echo 'make deps       install missing Debian/Ubuntu packages'
	@echo 'make install    PREFIX=$(PREFIX) DESTDIR= ; make uninstall'

deps:
	@[ -n "$(NO_DEPS)" ] || sh .ci/deps $(DEPS_EXTRA)

$(BUILD)/common/%.o: common/%.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $(LIBOBJ)

$(OUTBIN)/%: tools/%.c $(LIB) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LIBS)

$(BUILD)/unit/%: tests/unit/%.c tests/unit/check.h $(LIB) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LIBS)

unit: $(UNITBINS)

test: $(BINS) $(UNITBINS)
	@mkdir -p tests/tmp
	SANITIZE=$(SANITIZE) PIPEML_BIN=$(CURDIR)/$(OUTBIN) PIPEML_UNIT=$(CURDIR)/$(BUILD)/unit \
		bats --jobs $(JOBS) --no-parallelize-within-files tests/ 2>&1 | tee tests/tmp/bats.log; \
		rc=$${PIPESTATUS[0]}; sh tests/summary.sh tests/tmp/bats.log; exit $$rc

data: data/raw/raw_data.csv

data/raw/raw_data.csv: data/checksums
	@sh data/fetch.sh raw_data.csv


bench: all
	@bash bench/run.sh

lint: deps
	clang-format --dry-run -Werror common/*.c common/*.h tools/*.c $(wildcard tests/unit/*.[ch])
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -Icommon common tools
	shellcheck -x .ci/run .ci/deps data/fetch.sh pipelines/*.sh tests/*.sh $(wildcard bench/*.sh)
	# bats sets $$output, $$status, $$stderr and $$lines: SC2154 cannot see that.
	shellcheck -s bash -x -e SC2154 tests/*.bats tests/*.bash

format:
	clang-format -i common/*.c common/*.h tools/*.c $(wildcard tests/unit/*.[ch])

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(filter-out pipeml,$(TOOLS)); do \
		cp -f bin/$$t $(DESTDIR)$(LIBEXECDIR)/$$t && chmod 755 $(DESTDIR)$(LIBEXECDIR)/$$t; \
	done
	cp -f bin/pipeml $(DESTDIR)$(BINDIR)/pipeml && chmod 755 $(DESTDIR)$(BINDIR)/pipeml
	for m in man/*.1; do \
		b=$$(basename $$m); \
		case $$b in pipeml.1) d=$$b ;; *) d=pipeml-$$b ;; esac; \
		cp -f $$m $(DESTDIR)$(MANDIR)/man1/$$d; \
	done
	cp -f man/*.5 $(DESTDIR)$(MANDIR)/man5/
	cp -f man/*.7 $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pipeml
	rm -rf $(DESTDIR)$(LIBEXECDIR)
	for m in man/*.1; do \
		b=$$(basename $$m); \
		case $$b in pipeml.1) d=$$b ;; *) d=pipeml-$$b ;; esac; \
		rm -f $(DESTDIR)$(MANDIR)/man1/$$d; \
	done
	for m in man/*.5; do rm -f $(DESTDIR)$(MANDIR)/man5/$$(basename $$m); done
	for m in man/*.7; do rm -f $(DESTDIR)$(MANDIR)/man7/$$(basename $$m); done

clean:
	rm -rf bin build tests/tmp

# ---- training pipeline (issue 9) ------------------------------------------------------------
# One target per stage of pipelines/train.sh, like `dvc repro`: a stage re-runs only when its
# inputs, its parameters (artifacts/params/STAGE, rewritten by `train.sh params` only when a
# value changed) or its tool binary changed. `make pipeline` runs `train.sh changed`: the
# params step, then make's dry run of pipeline-stages names the stages out of date, and the
# script runs them in one process (the two searches at once). `make pipeline-stages` runs
# them one recipe at a time.
# ARTIFACTS and PIPEML_BIN (the tools; default bin/, built first) come from the environment.
PIPE_ART  = $(or $(ARTIFACTS),artifacts)
PIPE_BIN  = $(or $(PIPEML_BIN),$(CURDIR)/bin)
PIPE_W    = $(PIPE_ART)/work
PIPE_P    = $(PIPE_ART)/params
PIPE_RUN  = bash pipelines/train.sh
PIPE_GOAL = $(PIPE_ART)/model/model.pkl
PIPE_BUILD = $(if $(PIPEML_BIN),,all)

.PHONY: pipeline pipeline-stages
pipeline: $(PIPE_BUILD) data/raw/raw_data.csv data/raw/X_test.csv data/raw/y_test.csv
	@$(PIPE_RUN) changed

pipeline-stages: $(PIPE_GOAL)

data/raw/X_test.csv data/raw/y_test.csv: data/checksums
	@sh data/fetch.sh validator/$(@F)

$(PIPE_W)/clean.stream: $(PIPE_P)/data $(PIPE_P)/clean $(PIPE_BIN)/csvclean pipelines/train.sh
	@$(PIPE_RUN) clean
$(PIPE_W)/encoded.stream: $(PIPE_W)/clean.stream $(PIPE_P)/encode $(PIPE_BIN)/encode \
		$(PIPE_BIN)/to-csv pipelines/train.sh
	@$(PIPE_RUN) encode
$(PIPE_W)/train.stream: $(PIPE_W)/encoded.stream $(PIPE_P)/split $(PIPE_BIN)/split pipelines/train.sh
	@$(PIPE_RUN) split
$(PIPE_W)/logreg.model: $(PIPE_W)/train.stream $(PIPE_P)/fit-logreg $(PIPE_BIN)/fit-logreg \
		pipelines/train.sh
	@$(PIPE_RUN) fit-logreg
$(PIPE_W)/forest.model: $(PIPE_W)/train.stream $(PIPE_P)/fit-gbt $(PIPE_BIN)/fit-gbt pipelines/train.sh
	@$(PIPE_RUN) fit-gbt
$(PIPE_W)/best.model: $(PIPE_W)/logreg.model $(PIPE_W)/forest.model $(PIPE_P)/select \
		$(PIPE_BIN)/pick-best $(PIPE_BIN)/report pipelines/train.sh
	@$(PIPE_RUN) select
$(PIPE_W)/drift.ref: $(PIPE_W)/best.model $(PIPE_W)/clean.stream $(PIPE_P)/drift \
		$(PIPE_BIN)/drift pipelines/train.sh
	@$(PIPE_RUN) drift
$(PIPE_GOAL): $(PIPE_W)/best.model $(PIPE_W)/drift.ref $(PIPE_P)/publish $(PIPE_BIN)/pick-best \
		$(PIPE_BIN)/export pipelines/train.sh
	@$(PIPE_RUN) publish

# --- fuzzing (tests/fuzz/) -------------------------------------------------------------------
# Each tests/fuzz/NAME.c defines LLVMFuzzerTestOneInput. `make fuzz` builds them with clang and
# libFuzzer under ASan+UBSan and runs each for FUZZ_SECONDS on a copy of its seed corpus
# (tests/fuzz/corpus/NAME); a crash lands in tests/fuzz/crashes/ (commit it). `make test`
# replays the corpus and crashes through tests/fuzz/replay.c (any compiler, no libFuzzer).
FUZZ_CC      = clang
FUZZ_SECONDS = 60
FUZZ_RSS_MB  = 2048
FUZZ_ARGS    =
FUZZ_NAMES   = $(filter-out replay,$(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/*.c)))
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  = $(filter-out -O2 -Werror,$(ALLCFLAGS)) -O1 -g $(FUZZ_SAN)
FUZZ_LIBOBJ  = $(patsubst common/%.c,build/fuzz/common/%.o,$(LIBSRC))
FUZZ_BINS    = $(addprefix build/fuzz/bin/,$(FUZZ_NAMES))
FUZZ_REPLAY  = $(addprefix $(BUILD)/fuzz/,$(FUZZ_NAMES))

build/fuzz/common/%.o: common/%.c $(HEADERS) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libpipeml.a: $(FUZZ_LIBOBJ)
	@rm -f $@
	ar rcs $@ $(FUZZ_LIBOBJ)

build/fuzz/bin/%: tests/fuzz/%.c tests/fuzz/fuzz.h build/fuzz/libpipeml.a $(HEADERS) tools/export.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libpipeml.a $(LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(LIB) $(HEADERS) tools/export.c
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB) $(LDFLAGS) $(LIBS)

test: $(FUZZ_REPLAY)

fuzz: $(FUZZ_BINS)
	@mkdir -p tests/fuzz/crashes
	@set -e; for f in $(FUZZ_NAMES); do \
		echo "== fuzz $$f ($(FUZZ_SECONDS) s)"; \
		mkdir -p build/fuzz/corpus/$$f; \
		cp -n tests/fuzz/corpus/$$f/* build/fuzz/corpus/$$f/ 2>/dev/null || true; \
		build/fuzz/bin/$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=$(FUZZ_RSS_MB) \
			-malloc_limit_mb=$(FUZZ_RSS_MB) -timeout=10 -print_final_stats=1 \
			-artifact_prefix=tests/fuzz/crashes/$$f- $(FUZZ_ARGS) \
			build/fuzz/corpus/$$f tests/fuzz/corpus/$$f; \
	done

# --- static analysis -------------------------------------------------------------------------
# clang's static analyzer (scan-build, from clang-tools) over a from-scratch build of the tools,
# the unit tests and the fuzz replayers, in build/analyze so that bin/ is left alone; any
# warning fails (--status-bugs) and leaves its HTML report in build/analyze/report.
# A prerequisite of lint.
SCAN_BUILD = $(shell command -v scan-build || command -v scan-build-14 || echo scan-build)

.PHONY: analyze analyze-build
lint: analyze
analyze: deps
	rm -rf build/analyze
	$(SCAN_BUILD) --status-bugs -o build/analyze/report $(MAKE) -s -j$(JOBS) NO_DEPS=1 \
		BUILD=build/analyze OUTBIN=build/analyze/bin analyze-build

analyze-build: $(BINS) $(UNITBINS) $(FUZZ_REPLAY)

# The harnesses are linted with the rest (an extra prerequisite of lint, no edit to its rule).
.PHONY: fuzz-lint
lint: fuzz-lint
fuzz-lint: deps
	clang-format --dry-run -Werror tests/fuzz/*.c tests/fuzz/*.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem -Icommon tests/fuzz
