/*
 * The monitor side of network probes (include/net/probe.h): RPC handlers every
 * monitor serves so the host tool can test and measure node-to-node traffic.
 */
#ifndef KERNEL_NETPROBE_H
#define KERNEL_NETPROBE_H

#include <stddef.h>
#include <stdint.h>

int netprobe_init(void);
int netprobe_info(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		  size_t resp_max);
int netprobe_stats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		   size_t resp_max);
int netprobe_run(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		 size_t resp_max);

#endif
