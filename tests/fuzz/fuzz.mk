# libFuzzer targets, under ASan and UBSan: the message layer's receive path (net_input)
# and the storage format's mount, walk and check (tfs_mount). Included by the top-level
# Makefile; also runs on its own:
#   make -f tests/fuzz/fuzz.mk fuzz-test [FUZZ_TIME=30]
# FUZZ_TIME seconds in all: two thirds for net_input, one third for tfs_mount.
# fuzz-test fails on any crash, sanitizer report, leak or hang. New inputs and any
# crash artifact stay under build/fuzz/; tests/fuzz/corpus/ and tests/fuzz/corpus_tfs/
# are the committed seed sets (regenerate them with `make fuzz-corpus`).

FUZZ_CC ?= clang
FUZZ_TIME ?= 30
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TFS_TIME = $(shell expr $(FUZZ_TIME) / 3)
FUZZ_NET_TIME = $(shell expr $(FUZZ_TIME) - $(FUZZ_TFS_TIME))
FUZZ_SRCS := $(wildcard net/*.c) tests/fuzz/fuzz_net.c
FUZZ_DEPS := $(FUZZ_SRCS) $(wildcard include/net/*.h net/*.h) tests/fuzz/fuzz_net.h \
	tests/fuzz/fuzz.mk
FUZZ_TFS_SRCS := $(wildcard scomponent/tfs/*.c) net/wire.c kernel/vsprintf.c tests/fuzz/fuzz_tfs.c
FUZZ_TFS_DEPS := $(FUZZ_TFS_SRCS) $(wildcard scomponent/tfs/*.h) include/scomponent/tfs.h \
	tests/fuzz/fuzz_tfs.h tests/fuzz/fuzz.mk

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: fuzz-test fuzz-corpus
fuzz-test: $(FUZZ_DIR)/fuzz_net_input $(FUZZ_DIR)/fuzz_tfs_mount
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/corpus_tfs $(FUZZ_DIR)/artifacts
	@echo "  FUZZ    net_input for $(FUZZ_NET_TIME) s"
	$(FUZZ_DIR)/fuzz_net_input -max_total_time=$(FUZZ_NET_TIME) -timeout=10 -max_len=20000 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
		$(FUZZ_DIR)/corpus tests/fuzz/corpus > $(FUZZ_DIR)/fuzz.log 2>&1 || \
		{ tail -60 $(FUZZ_DIR)/fuzz.log; exit 1; }
	@grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_DIR)/fuzz.log || true
	@echo "  FUZZ    tfs_mount for $(FUZZ_TFS_TIME) s"
	$(FUZZ_DIR)/fuzz_tfs_mount -max_total_time=$(FUZZ_TFS_TIME) -timeout=10 -max_len=30000 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/tfs- \
		$(FUZZ_DIR)/corpus_tfs tests/fuzz/corpus_tfs > $(FUZZ_DIR)/fuzz_tfs.log 2>&1 || \
		{ tail -60 $(FUZZ_DIR)/fuzz_tfs.log; exit 1; }
	@grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_DIR)/fuzz_tfs.log || true

$(FUZZ_DIR)/fuzz_net_input: tests/fuzz/fuzz_net_input.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer tests/fuzz/fuzz_net_input.c $(FUZZ_SRCS) -o $@

$(FUZZ_DIR)/gen_corpus: tests/fuzz/gen_corpus.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_corpus.c $(FUZZ_SRCS) -o $@

$(FUZZ_DIR)/fuzz_tfs_mount: tests/fuzz/fuzz_tfs_mount.c $(FUZZ_TFS_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer tests/fuzz/fuzz_tfs_mount.c $(FUZZ_TFS_SRCS) -o $@

$(FUZZ_DIR)/gen_tfs_corpus: tests/fuzz/gen_tfs_corpus.c $(FUZZ_TFS_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_tfs_corpus.c $(FUZZ_TFS_SRCS) -o $@

fuzz-corpus: $(FUZZ_DIR)/gen_corpus $(FUZZ_DIR)/gen_tfs_corpus
	rm -f tests/fuzz/corpus/* tests/fuzz/corpus_tfs/*
	@mkdir -p tests/fuzz/corpus tests/fuzz/corpus_tfs
	$(FUZZ_DIR)/gen_corpus tests/fuzz/corpus
	$(FUZZ_DIR)/gen_tfs_corpus tests/fuzz/corpus_tfs

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
