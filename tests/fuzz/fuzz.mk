# libFuzzer target for the message layer's receive path (net_input), under ASan and
# UBSan. Included by the top-level Makefile; also runs on its own:
#   make -f tests/fuzz/fuzz.mk fuzz-test [FUZZ_TIME=30]
# fuzz-test fails on any crash, sanitizer report, leak or hang. New inputs and any
# crash artifact stay under build/fuzz/; tests/fuzz/corpus/ is the committed seed set
# (regenerate it with `make fuzz-corpus`).

FUZZ_CC ?= clang
FUZZ_TIME ?= 30
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRCS := $(wildcard net/*.c) tests/fuzz/fuzz_net.c
FUZZ_DEPS := $(FUZZ_SRCS) $(wildcard include/net/*.h net/*.h) tests/fuzz/fuzz_net.h \
	tests/fuzz/fuzz.mk

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: fuzz-test fuzz-corpus
fuzz-test: $(FUZZ_DIR)/fuzz_net_input
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	@echo "  FUZZ    net_input for $(FUZZ_TIME) s"
	$(FUZZ_DIR)/fuzz_net_input -max_total_time=$(FUZZ_TIME) -timeout=10 -max_len=20000 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
		$(FUZZ_DIR)/corpus tests/fuzz/corpus > $(FUZZ_DIR)/fuzz.log 2>&1 || \
		{ tail -60 $(FUZZ_DIR)/fuzz.log; exit 1; }
	@grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_DIR)/fuzz.log || true

$(FUZZ_DIR)/fuzz_net_input: tests/fuzz/fuzz_net_input.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer tests/fuzz/fuzz_net_input.c $(FUZZ_SRCS) -o $@

$(FUZZ_DIR)/gen_corpus: tests/fuzz/gen_corpus.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) tests/fuzz/gen_corpus.c $(FUZZ_SRCS) -o $@

fuzz-corpus: $(FUZZ_DIR)/gen_corpus
	rm -f tests/fuzz/corpus/*
	@mkdir -p tests/fuzz/corpus
	$(FUZZ_DIR)/gen_corpus tests/fuzz/corpus

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
