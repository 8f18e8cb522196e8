# Tessera: one source tree, four monitor images (build/<role>.elf), their GRUB
# rescue ISOs (build/iso/<role>.iso), the host tools (build/fabric, the emulated
# network; build/tessera-net, a host endpoint), unit and QEMU integration tests.

CROSS_COMPILE ?=
CC := $(CROSS_COMPILE)gcc
LD := $(CROSS_COMPILE)ld
NM := $(CROSS_COMPILE)nm
PYTHON := /usr/bin/python3
PYTEST := /usr/bin/pytest

ROLES := pmon mmon smon gmon
roledir_pmon := pcomponent linux-abi
roledir_mmon := mcomponent
roledir_smon := scomponent scomponent/tfs
roledir_gmon := managers

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin \
	-fno-stack-protector -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel \
	-mgeneral-regs-only -fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fno-asynchronous-unwind-tables -Iinclude -MMD -MP
ASFLAGS := -Iinclude -MMD -MP
LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-T arch/x86/linker.ld

COMMON_SRC := $(wildcard arch/x86/*.c arch/x86/*.S kernel/*.c kernel/drivers/*.c net/*.c)
obj = $(patsubst %,build/obj/%.o,$(basename $(1)))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
role_obj = $(call obj,$(wildcard $(addsuffix /*.c,$(roledir_$(1)))))

.PHONY: all iso tools test unit-test integration-test crash-test fault-test run-cluster bench \
	deps clean
all: $(foreach r,$(ROLES),build/$(r).elf) tools
tools: build/fabric build/tessera-net build/tessera-fs
iso: $(foreach r,$(ROLES),build/iso/$(r).iso)

deps:
	@scripts/deps

build/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

build/obj/%.o: %.S | deps
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

# Two links: the first image's text symbols become .ksyms of the second. .ksyms
# sits after .text, so no function moves; the cmp proves it.
define image
build/$(1).elf: $(COMMON_OBJ) $(call role_obj,$(1)) arch/x86/linker.ld scripts/ksyms.py
	@mkdir -p build/ksyms
	$(PYTHON) scripts/ksyms.py < /dev/null > build/ksyms/$(1).0.S
	$(CC) -c build/ksyms/$(1).0.S -o build/ksyms/$(1).0.o
	$(LD) $(LDFLAGS) -o build/ksyms/$(1).pass1 $(COMMON_OBJ) $(call role_obj,$(1)) build/ksyms/$(1).0.o
	$(NM) -n build/ksyms/$(1).pass1 | $(PYTHON) scripts/ksyms.py > build/ksyms/$(1).S
	$(CC) -c build/ksyms/$(1).S -o build/ksyms/$(1).o
	$(LD) $(LDFLAGS) -o $$@ $(COMMON_OBJ) $(call role_obj,$(1)) build/ksyms/$(1).o
	$(NM) -n build/ksyms/$(1).pass1 | grep ' [tT] ' > build/ksyms/$(1).text1
	$(NM) -n $$@ | grep ' [tT] ' | cmp -s - build/ksyms/$(1).text1 || \
		{ echo "ksyms: text moved between links of $$@"; rm -f $$@; exit 1; }

build/iso/$(1).iso: build/$(1).elf
	@mkdir -p build/iso/$(1).d/boot/grub
	cp $$< build/iso/$(1).d/boot/$(1).elf
	printf 'set timeout=0\nset default=0\nmenuentry "tessera $(1)" {\n  multiboot2 /boot/$(1).elf\n  boot\n}\n' \
		> build/iso/$(1).d/boot/grub/grub.cfg
	grub-mkrescue -o $$@ build/iso/$(1).d 2> build/iso/$(1).log || { cat build/iso/$(1).log; exit 1; }
endef
$(foreach r,$(ROLES),$(eval $(call image,$(r))))

include tests/unit/unit.mk
include net/fabric/fabric.mk
include tests/fuzz/fuzz.mk
include net/host/host.mk
include scomponent/host/host.mk
include tests/user/user.mk

integration-test: deps all iso build/fabric-asan user-progs
	$(PYTEST) -v tests/integration

# The storage crash test in full: 8 seeds x 26 kill -9s of smon (docs/storage.md).
crash-test: deps all iso build/fabric-asan user-progs
	TESSERA_CRASH=full $(PYTEST) -v -s tests/integration/test_storage_crash.py

# Seeded fault schedules against a real cluster (tests/fault/faults.py): 50 by
# default, SEED=N[,N...] replays those, COUNT=N and FIRST=N pick a range.
fault-test: deps all iso build/fabric build/tessera-net user-progs
	$(PYTHON) tests/fault/faults.py $(if $(SEED),--seed $(SEED)) \
		$(if $(COUNT),--count $(COUNT)) $(if $(FIRST),--first $(FIRST))

test: unit-test fuzz-test integration-test

TOPOLOGY ?= scripts/cluster.toml
run-cluster: deps all iso user-progs
	scripts/tessera up -t $(TOPOLOGY)

clean:
	rm -rf build

-include $(shell find build/obj -name '*.d' 2>/dev/null)

bench: deps all iso build/fabric build/tessera-net user-progs
	$(PYTHON) tests/bench/bench.py
