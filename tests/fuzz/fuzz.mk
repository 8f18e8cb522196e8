# libFuzzer targets, under ASan and UBSan: the message layer's receive path
# (net_input), the storage format's mount, walk and check (tfs_mount), the ELF
# loader's parser (elf), the boot configuration's parsers (config), and each role's
# RPC handlers on host stubs: the memory monitor's (mmon: mcomponent/ on
# tests/unit/mmon_host.c, its file front talking to the real smon), the storage
# monitor's (smon: scomponent/serve.c over tfs on a memory disk), the global
# managers' (gmon: managers/gmon.c with GMM, GPM and GSM), and pmon's check of the
# host's spawn request and its strings (spawn: pcomponent/spawn_args.c). pmon's other
# handlers are not fuzzed here: they reach the scheduler, the ExCache, the terminal
# and the Linux ABI, which have no host stubs yet. Included by the top-level
# Makefile; also runs on its own:
#   make -f tests/fuzz/fuzz.mk fuzz-test [FUZZ_TIME=80]
# FUZZ_TIME seconds in all, shared evenly among the targets; `make fuzz` runs each
# target for FUZZ_LONG seconds. fuzz-test fails on any crash, sanitizer report, leak
# or hang. New inputs and any crash artifact stay under build/fuzz/;
# tests/fuzz/corpus*/ are the committed seed sets (regenerate them with `make
# fuzz-corpus`, except corpus_config/, which is written by hand).

FUZZ_CC ?= clang
FUZZ_TIME ?= 80
FUZZ_LONG ?= 600
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := net_input tfs_mount elf config mmon smon gmon spawn
FUZZ_EACH = $(shell expr $(FUZZ_TIME) / $(words $(FUZZ_TARGETS)))

# Per target: the sources besides its own tests/fuzz/fuzz_<target>.c, the seed
# directory, the longest input; FUZZ_DEPS_<target>: what it includes besides headers.
FUZZ_SRCS_net_input := $(wildcard net/*.c) tests/fuzz/fuzz_net.c
FUZZ_SEEDS_net_input := tests/fuzz/corpus
FUZZ_LEN_net_input := 20000
FUZZ_SRCS_tfs_mount := $(wildcard scomponent/tfs/*.c) net/wire.c kernel/vsprintf.c \
	tests/fuzz/fuzz_tfs.c
FUZZ_SEEDS_tfs_mount := tests/fuzz/corpus_tfs
FUZZ_LEN_tfs_mount := 30000
FUZZ_SRCS_elf := mcomponent/elf.c
FUZZ_SEEDS_elf := tests/fuzz/corpus_elf
FUZZ_LEN_elf := 16384
FUZZ_SRCS_config := kernel/config.c kernel/vsprintf.c
FUZZ_SEEDS_config := tests/fuzz/corpus_config
FUZZ_LEN_config := 4096
FUZZ_SMON_HOST := scomponent/serve.c $(wildcard scomponent/tfs/*.c) net/wire.c \
	kernel/vsprintf.c tests/fuzz/fuzz_tfs.c tests/fuzz/smon_host.c tests/fuzz/fuzz_rpc.c
FUZZ_SRCS_mmon := $(wildcard mcomponent/*.c) tests/unit/mmon_host.c $(FUZZ_SMON_HOST)
FUZZ_SEEDS_mmon := tests/fuzz/corpus_mmon
FUZZ_LEN_mmon := 40000
FUZZ_SRCS_smon := $(FUZZ_SMON_HOST)
FUZZ_SEEDS_smon := tests/fuzz/corpus_smon
FUZZ_LEN_smon := 40000
FUZZ_SRCS_gmon := managers/gmm.c managers/gpm.c managers/gsm.c managers/choice.c \
	tests/fuzz/fuzz_rpc.c
FUZZ_DEPS_gmon := managers/gmon.c
FUZZ_SEEDS_gmon := tests/fuzz/corpus_gmon
FUZZ_LEN_gmon := 4096
FUZZ_SRCS_spawn := pcomponent/spawn_args.c
FUZZ_SEEDS_spawn := tests/fuzz/corpus_spawn
FUZZ_LEN_spawn := 8300
FUZZ_HDRS := $(wildcard include/*/*.h net/*.h mcomponent/*.h scomponent/*.h \
	scomponent/tfs/*.h tests/fuzz/*.h tests/unit/*.h) tests/fuzz/fuzz.mk
# The seed generators that run their target's seeds through it (gen_<target>_corpus.c).
FUZZ_GENS := mmon smon gmon spawn

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: fuzz-test fuzz fuzz-corpus
fuzz-test: $(foreach t,$(FUZZ_TARGETS),fuzz-run-$(t))
fuzz:
	$(MAKE) fuzz-test FUZZ_TIME=$$(( $(FUZZ_LONG) * $(words $(FUZZ_TARGETS)) ))

define fuzz_target
$(FUZZ_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_DEPS_$(1)) $(FUZZ_HDRS)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) -o $$@

.PHONY: fuzz-run-$(1)
fuzz-run-$(1): $(FUZZ_DIR)/fuzz_$(1)
	@mkdir -p $(FUZZ_DIR)/corpus_$(1) $(FUZZ_DIR)/artifacts
	@echo "  FUZZ    $(1) for $(FUZZ_EACH) s"
	$(FUZZ_DIR)/fuzz_$(1) -max_total_time=$(FUZZ_EACH) -timeout=10 -max_len=$(FUZZ_LEN_$(1)) \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)- \
		$(FUZZ_DIR)/corpus_$(1) $(FUZZ_SEEDS_$(1)) > $(FUZZ_DIR)/fuzz_$(1).log 2>&1 || \
		{ tail -60 $(FUZZ_DIR)/fuzz_$(1).log; exit 1; }
	@grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_DIR)/fuzz_$(1).log || true
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(t))))

$(FUZZ_DIR)/gen_corpus: tests/fuzz/gen_corpus.c $(FUZZ_SRCS_net_input) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_corpus.c $(FUZZ_SRCS_net_input) -o $@

$(FUZZ_DIR)/gen_tfs_corpus: tests/fuzz/gen_tfs_corpus.c $(FUZZ_SRCS_tfs_mount) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_tfs_corpus.c $(FUZZ_SRCS_tfs_mount) -o $@

$(FUZZ_DIR)/gen_elf_corpus: tests/fuzz/gen_elf_corpus.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_elf_corpus.c -o $@

define fuzz_gen
$(FUZZ_DIR)/gen_$(1)_corpus: tests/fuzz/gen_$(1)_corpus.c tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) \
		$(FUZZ_DEPS_$(1)) $(FUZZ_HDRS)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_$(1)_corpus.c tests/fuzz/fuzz_$(1).c \
		$(FUZZ_SRCS_$(1)) -o $$@
endef
$(foreach g,$(FUZZ_GENS),$(eval $(call fuzz_gen,$(g))))

fuzz-corpus: $(FUZZ_DIR)/gen_corpus $(FUZZ_DIR)/gen_tfs_corpus $(FUZZ_DIR)/gen_elf_corpus \
		$(FUZZ_GENS:%=$(FUZZ_DIR)/gen_%_corpus)
	rm -f tests/fuzz/corpus/* tests/fuzz/corpus_tfs/* tests/fuzz/corpus_elf/* \
		$(FUZZ_GENS:%=tests/fuzz/corpus_%/*)
	@mkdir -p tests/fuzz/corpus tests/fuzz/corpus_tfs tests/fuzz/corpus_elf \
		$(FUZZ_GENS:%=tests/fuzz/corpus_%)
	$(FUZZ_DIR)/gen_corpus tests/fuzz/corpus
	$(FUZZ_DIR)/gen_tfs_corpus tests/fuzz/corpus_tfs
	$(FUZZ_DIR)/gen_elf_corpus tests/fuzz/corpus_elf
	for g in $(FUZZ_GENS); do \
		$(FUZZ_DIR)/gen_$${g}_corpus tests/fuzz/corpus_$$g || exit 1; \
	done

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
