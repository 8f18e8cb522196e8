# The fabric, the emulated datacenter network (net/fabric/, a host program).
# Included by the top-level Makefile; also works alone:
#   make -f net/fabric/fabric.mk build/fabric build/fabric-asan
# build/fabric is what scripts/tessera runs; build/fabric-asan (ASan + UBSan)
# is what the integration tests drive.

HOSTCC ?= cc

FABRIC_SRCS := $(wildcard net/fabric/*.c)
FABRIC_DEPS := $(FABRIC_SRCS) $(wildcard net/fabric/*.h) net/fabric/fabric.mk
FABRIC_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror
FABRIC_ASAN_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Keep whatever default goal the including Makefile has.
FABRIC_SAVED_GOAL := $(.DEFAULT_GOAL)

build/fabric: $(FABRIC_DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(FABRIC_CFLAGS) $(FABRIC_SRCS) -lm -o $@

build/fabric-asan: $(FABRIC_DEPS)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(FABRIC_ASAN_CFLAGS) $(FABRIC_SRCS) -lm -o $@

.DEFAULT_GOAL := $(FABRIC_SAVED_GOAL)
