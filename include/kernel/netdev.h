/*
 * The node's network interface (one virtio-net NIC, kernel/drivers/virtio_net.c):
 * send a whole Ethernet frame, drain received frames, and get a callback from the
 * receive interrupt. The message layer's kernel glue is its only user.
 */
#ifndef KERNEL_NETDEV_H
#define KERNEL_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netdev_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t rx_bytes, tx_bytes;
	uint64_t tx_ring_full;		/* sends refused: every TX buffer in flight */
	uint64_t rx_bad;		/* completions the device reported too short */
	uint64_t irqs;
};

/* Find and start the NIC; notify(arg) runs in interrupt context on each RX interrupt. */
int netdev_init(void (*notify)(void *arg), void *arg);
bool netdev_up(void);
void netdev_mac(uint8_t mac[6]);
/* Largest frame netdev_send() takes, Ethernet header included. */
size_t netdev_max_frame(void);
/* Queue one frame (copied); -ENOSPC when the TX ring is full, -EMSGSIZE if too big. */
int netdev_send(const void *frame, size_t len);
/* Hand up to budget received frames to fn, refilling the ring; returns how many. */
unsigned netdev_poll(void (*fn)(void *arg, const void *frame, size_t len), void *arg,
		     unsigned budget);
/* Interrupt on receive (idle) or not (while polling); see net glue's poll window. */
void netdev_rx_irq(bool on);
bool netdev_rx_pending(void);
void netdev_stats(struct netdev_stats *s);

#endif
