# Host unit tests for the portable kernel cores, under ASan and UBSan.
# Included by the top-level Makefile (`make unit-test`); also runs on its own:
#   make -f tests/unit/unit.mk unit-test

HOSTCC ?= cc

UNIT_DIR := build/unit
UNIT_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Iinclude \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
UNIT_TESTS := buddy slab config vsprintf crc32c

# The portable sources each test links with.
UNIT_SRCS_buddy := kernel/buddy.c
UNIT_SRCS_slab := kernel/slab.c kernel/buddy.c
UNIT_SRCS_config := kernel/config.c kernel/vsprintf.c
UNIT_SRCS_vsprintf := kernel/vsprintf.c
UNIT_SRCS_crc32c := arch/x86/crc32c.c net/wire.c

# The memory monitor's address-space bookkeeping (mcomponent/, linked into mmon.elf).
UNIT_TESTS += vma vma_ranges
UNIT_SRCS_vma := mcomponent/vma.c mcomponent/vma_tree.c
UNIT_SRCS_vma_ranges := $(UNIT_SRCS_vma)
UNIT_TESTS += vregion store elf
UNIT_SRCS_vregion := mcomponent/vregion.c $(UNIT_SRCS_vma)
UNIT_SRCS_store := mcomponent/store.c
UNIT_SRCS_elf := mcomponent/elf.c
UNIT_TESTS += bcache
UNIT_SRCS_bcache := mcomponent/bcache_index.c
# The memory monitor's services whole, on stubs of the kernel (tests/unit/mmon_host.c).
UNIT_TESTS += mmon mmon_vm mmon_fork mmon_fuzz
UNIT_SRCS_mmon := $(wildcard mcomponent/*.c) tests/unit/mmon_host.c
UNIT_SRCS_mmon_vm := $(UNIT_SRCS_mmon)
UNIT_SRCS_mmon_fork := $(UNIT_SRCS_mmon)
UNIT_SRCS_mmon_fuzz := $(UNIT_SRCS_mmon)
UNIT_TESTS += mmon_bcache mmon_replica
UNIT_SRCS_mmon_bcache := $(UNIT_SRCS_mmon)
UNIT_SRCS_mmon_replica := $(UNIT_SRCS_mmon)

# The global managers' policies (managers/, linked into gmon.elf).
UNIT_TESTS += gmm gmm_copy gpm gsm
UNIT_SRCS_gmm := managers/gmm.c managers/choice.c
UNIT_SRCS_gmm_copy := managers/gmm.c managers/choice.c
UNIT_SRCS_gpm := managers/gpm.c managers/choice.c
UNIT_SRCS_gsm := managers/gsm.c managers/choice.c

# The storage monitor's on-disk format (scomponent/tfs/, linked into smon.elf).
UNIT_TFS_TESTS := tfs tfs_hostile tfs_crash
UNIT_TESTS += $(UNIT_TFS_TESTS)
$(foreach t,$(UNIT_TFS_TESTS),$(eval UNIT_SRCS_$(t) := $(wildcard scomponent/tfs/*.c) \
	net/wire.c kernel/vsprintf.c))

# The ExCache's victim policies (pcomponent/, linked into pmon.elf).
UNIT_TESTS += excache_policy
UNIT_SRCS_excache_policy := pcomponent/excache_fifo.c pcomponent/excache_clock.c
# The ExCache's miss path whole, on stubs of the kernel and a deterministic scheduler of
# many threads (tests/unit/excache_host.h); excache_lines.c compiles excache.c itself.
UNIT_EXCACHE_TESTS := excache excache_race
UNIT_TESTS += $(UNIT_EXCACHE_TESTS)
$(foreach t,$(UNIT_EXCACHE_TESTS),$(eval UNIT_SRCS_$(t) := tests/unit/excache_lines.c \
	tests/unit/excache_host.c tests/unit/excache_prog.c tests/unit/excache_sched.c \
	pcomponent/excache_fifo.c pcomponent/excache_clock.c))

# The terminal's line discipline (pcomponent/ldisc.c, portable).
UNIT_TESTS += ldisc
UNIT_SRCS_ldisc := pcomponent/ldisc.c

# pmon's lexical path names (pcomponent/path.c, portable).
UNIT_TESTS += pmon_path
UNIT_SRCS_pmon_path := pcomponent/path.c

# The host's spawn request as pmon checks it (pcomponent/spawn_args.c, portable).
UNIT_TESTS += spawn_args
UNIT_SRCS_spawn_args := pcomponent/spawn_args.c

# The process monitor's descriptors, pipes, futexes and signals, on stubs of the kernel
# (tests/unit/pmon_host.c); the signal frame is checked against the host's Linux uapi.
UNIT_PMON_TESTS := pmon_file pmon_pipe pmon_futex pmon_signal
UNIT_TESTS += $(UNIT_PMON_TESTS)
$(foreach t,$(UNIT_PMON_TESTS),$(eval UNIT_SRCS_$(t) := pcomponent/file.c pcomponent/pipe.c \
	pcomponent/futex.c pcomponent/signal.c tests/unit/pmon_host.c))
UNIT_SRCS_pmon_signal += tests/unit/sigframe_abi.c

# The Linux ABI's argument checking (linux-abi/, all of it) on the pmon stubs, with
# stand-ins for the rest of pmon (tests/unit/abi_host.c); descriptors, pipes,
# /dev/null, futexes and signals are the real pcomponent/ files.
UNIT_ABI_TESTS := abi_fd abi_signal abi_poll abi_misc abi_proc abi_file
UNIT_TESTS += $(UNIT_ABI_TESTS)
$(foreach t,$(UNIT_ABI_TESTS),$(eval UNIT_SRCS_$(t) := $(wildcard linux-abi/*.c) \
	pcomponent/file.c pcomponent/pipe.c pcomponent/futex.c pcomponent/signal.c \
	pcomponent/path.c pcomponent/dev.c tests/unit/pmon_host.c tests/unit/abi_host.c))

# The message layer: every test links all of net/ (not net/fabric/ or net/host/)
# and the simulated fabric.
UNIT_NET_TESTS := net_wire net_input net_transport net_rpc net_verbs net_membership
UNIT_TESTS += $(UNIT_NET_TESTS)
$(foreach t,$(UNIT_NET_TESTS),$(eval UNIT_SRCS_$(t) := $(wildcard net/*.c) tests/unit/net_sim.c))

UNIT_BINS := $(UNIT_TESTS:%=$(UNIT_DIR)/test_%)
UNIT_OBJS := $(sort $(UNIT_TESTS:%=$(UNIT_DIR)/tests/unit/test_%.o) \
	$(foreach t,$(UNIT_TESTS),$(UNIT_SRCS_$(t):%.c=$(UNIT_DIR)/%.o)))

# Keep whatever default goal the including Makefile has.
UNIT_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: unit-test
unit-test: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do \
		echo "  UNIT    $$t"; \
		$$t || exit 1; \
	done

$(UNIT_OBJS): $(UNIT_DIR)/%.o: %.c tests/unit/unit.mk
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

define UNIT_LINK
$(UNIT_DIR)/test_$(1): $(UNIT_DIR)/tests/unit/test_$(1).o $(UNIT_SRCS_$(1):%.c=$(UNIT_DIR)/%.o)
	$$(HOSTCC) $$(UNIT_CFLAGS) $$^ -o $$@
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_LINK,$(t))))

-include $(UNIT_OBJS:.o=.d)

.DEFAULT_GOAL := $(UNIT_SAVED_GOAL)
