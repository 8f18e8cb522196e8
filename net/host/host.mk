# The host side of the message layer: tessera-net, built from the same portable
# net/*.c the kernels use. Included by the top-level Makefile.

HOSTCC ?= cc
HOST_NET_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude -MMD -MP
HOST_NET_SRCS := $(wildcard net/*.c) $(wildcard net/host/*.c)
HOST_NET_OBJS := $(HOST_NET_SRCS:%.c=build/host/%.o)

build/tessera-net: $(HOST_NET_OBJS)
	$(HOSTCC) $(HOST_NET_CFLAGS) $^ -o $@

$(HOST_NET_OBJS): build/host/%.o: %.c net/host/host.mk
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_NET_CFLAGS) -c $< -o $@
-include $(HOST_NET_OBJS:.o=.d)
