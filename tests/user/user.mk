# Static Linux test programs (tests/user/*.c), built with Debian's musl-gcc; those in
# USER_GLIBC are also built with glibc (gcc -static) as build/user/<name>-glibc. The
# same binary runs on the host and on a vNode, and the two outputs must match.
# Included by the top-level Makefile; also runs on its own:
#   make -f tests/user/user.mk user-progs

MUSLCC ?= musl-gcc
GLIBCC ?= gcc
USER_DIR := build/user
USER_CFLAGS := -static -O2 -Wall -Wextra -Werror
USER_SRCS := $(wildcard tests/user/*.c)
USER_HDRS := $(wildcard tests/user/*.h)
USER_GLIBC := procmodel
USER_MUSL_PROGS := $(USER_SRCS:tests/user/%.c=$(USER_DIR)/%)
USER_GLIBC_PROGS := $(USER_GLIBC:%=$(USER_DIR)/%-glibc)
USER_PROGS := $(USER_MUSL_PROGS) $(USER_GLIBC_PROGS)

# heapcross: the program 8 MiB below 1 GiB, so that its heap (brk) starts below
# the vRegion boundary and grows across it.
USER_LDFLAGS_heapcross := -Wl,-Ttext-segment=0x3f800000

# Keep whatever default goal the including Makefile has.
USER_SAVED_GOAL := $(.DEFAULT_GOAL)

.PHONY: user-progs
user-progs: $(USER_PROGS)

$(USER_MUSL_PROGS): $(USER_DIR)/%: tests/user/%.c $(USER_HDRS) tests/user/user.mk
	@mkdir -p $(dir $@)
	$(MUSLCC) $(USER_CFLAGS) $< -o $@ $(USER_LDFLAGS_$*)

$(USER_GLIBC_PROGS): $(USER_DIR)/%-glibc: tests/user/%.c $(USER_HDRS) tests/user/user.mk
	@mkdir -p $(dir $@)
	$(GLIBCC) $(USER_CFLAGS) -pthread $< -o $@ $(USER_LDFLAGS_$*)

.DEFAULT_GOAL := $(USER_SAVED_GOAL)
