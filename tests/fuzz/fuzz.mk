# libFuzzer targets, under ASan and UBSan: the message layer's receive path
# (net_input), the storage format's mount, walk and check (tfs_mount), the ELF
# loader's parser (elf) and the boot configuration's parsers (config). Included by
# the top-level Makefile; also runs on its own:
#   make -f tests/fuzz/fuzz.mk fuzz-test [FUZZ_TIME=40]
# FUZZ_TIME seconds in all, shared evenly; `make fuzz` runs each target for
# FUZZ_LONG seconds. fuzz-test fails on any crash, sanitizer report, leak or hang.
# New inputs and any crash artifact stay under build/fuzz/; tests/fuzz/corpus*/ are
# the committed seed sets (regenerate them with `make fuzz-corpus`, except
# corpus_config/, which is written by hand).

FUZZ_CC ?= clang
FUZZ_TIME ?= 40
FUZZ_LONG ?= 600
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := net_input tfs_mount elf config
FUZZ_EACH = $(shell expr $(FUZZ_TIME) / 4)

# Per target: the sources besides its own tests/fuzz/fuzz_<target>.c, the seed
# directory, the longest input.
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
FUZZ_HDRS := $(wildcard include/*/*.h net/*.h scomponent/tfs/*.h tests/fuzz/*.h) \
	tests/unit/elf_image.h tests/fuzz/fuzz.mk

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: fuzz-test fuzz fuzz-corpus
fuzz-test: $(foreach t,$(FUZZ_TARGETS),fuzz-run-$(t))
fuzz:
	$(MAKE) fuzz-test FUZZ_TIME=$$(( $(FUZZ_LONG) * 4 ))

define fuzz_target
$(FUZZ_DIR)/fuzz_$(1): tests/fuzz/fuzz_$(1).c $(FUZZ_SRCS_$(1)) $(FUZZ_HDRS)
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

fuzz-corpus: $(FUZZ_DIR)/gen_corpus $(FUZZ_DIR)/gen_tfs_corpus $(FUZZ_DIR)/gen_elf_corpus
	rm -f tests/fuzz/corpus/* tests/fuzz/corpus_tfs/* tests/fuzz/corpus_elf/*
	@mkdir -p tests/fuzz/corpus tests/fuzz/corpus_tfs tests/fuzz/corpus_elf
	$(FUZZ_DIR)/gen_corpus tests/fuzz/corpus
	$(FUZZ_DIR)/gen_tfs_corpus tests/fuzz/corpus_tfs
	$(FUZZ_DIR)/gen_elf_corpus tests/fuzz/corpus_elf

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
