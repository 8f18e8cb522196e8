# The host side of the storage format: tessera-fs, which builds, lists, extracts and
# checks tfs images, linked from the same portable scomponent/tfs/*.c smon runs.
# Included by the top-level Makefile.

HOSTCC ?= cc
HOST_FS_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude -MMD -MP
HOST_FS_SRCS := $(wildcard scomponent/tfs/*.c) scomponent/host/tfs_tool.c net/wire.c \
	kernel/vsprintf.c
HOST_FS_OBJS := $(HOST_FS_SRCS:%.c=build/host-fs/%.o)

build/tessera-fs: $(HOST_FS_OBJS)
	$(HOSTCC) $(HOST_FS_CFLAGS) $^ -o $@

$(HOST_FS_OBJS): build/host-fs/%.o: %.c scomponent/host/host.mk
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_FS_CFLAGS) -c $< -o $@
-include $(HOST_FS_OBJS:.o=.d)
