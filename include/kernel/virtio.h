/*
 * Virtio 1.0 over the modern PCI transport, and split virtqueues. A driver finds
 * its device, negotiates features, sets up queues, then posts buffers and reaps
 * completions (one descriptor or a chain). Used by the virtio-net and virtio-blk
 * drivers (kernel/drivers/).
 */
#ifndef KERNEL_VIRTIO_H
#define KERNEL_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/pci.h"

#define VIRTIO_F_VERSION_1	32

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* One buffer of a descriptor chain. */
struct virtq_seg {
	uint64_t phys;
	uint32_t len;
	bool device_writes;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One split virtqueue. The driver owning it serializes every call on it. */
struct virtq {
	uint16_t size;
	uint16_t index;
	struct virtq_desc *desc;
	volatile uint16_t *avail;		/* flags, idx, ring[size] */
	volatile uint16_t *used_hdr;		/* flags, idx */
	volatile struct virtq_used_elem *used;	/* ring[size] */
	volatile uint16_t *notify;
	uint16_t free_head, nfree;
	uint16_t last_used;
	uint16_t *next_free;			/* free descriptor chain */
	void **cookie;				/* per head descriptor: what the driver posted;
						   NULL while the head is not in flight */
};

struct virtio_dev {
	struct pci_dev *pci;
	volatile uint8_t *common;
	volatile uint8_t *device_cfg;
	volatile uint8_t *notify_base;
	uint32_t notify_mult;
};

/* Find the index'th virtio device of this modern device id (0x1040 + type), reset it. */
int virtio_probe(struct virtio_dev *vd, uint16_t pci_device, unsigned index);
/* Offer `wanted` (bits 0..63); returns the accepted subset or -ENODEV. */
int64_t virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);
int virtq_setup(struct virtio_dev *vd, struct virtq *q, uint16_t index, uint16_t max_size,
		int msix_entry);
void virtio_driver_ok(struct virtio_dev *vd);
/* Fields of the device-specific configuration window (64-bit ones read untorn). */
uint32_t virtio_cfg_read32(struct virtio_dev *vd, unsigned off);
uint64_t virtio_cfg_read64(struct virtio_dev *vd, unsigned off);

/*
 * Post n buffers as one request, device-readable ones first (virtio requires it);
 * cookie (not NULL) comes back from virtq_reap(). -ENOSPC while fewer than n
 * descriptors are free, -EINVAL if n is 0 or more than the ring holds.
 */
int virtq_post_chain(struct virtq *q, const struct virtq_seg *segs, unsigned n, void *cookie);
/* The same for a single buffer. */
int virtq_post(struct virtq *q, uint64_t phys, uint32_t len, bool device_writes, void *cookie);
void virtq_kick(struct virtq *q);
/* Free descriptors: exact under the driver's lock, a hint to a waiter without it. */
static inline unsigned virtq_room(struct virtq *q)
{
	return __atomic_load_n(&q->nfree, __ATOMIC_RELAXED);
}
/* Take one completion, freeing its whole chain: its cookie (and *len written by
 * the device), or NULL. */
void *virtq_reap(struct virtq *q, uint32_t *len);
bool virtq_has_used(struct virtq *q);
/* Ask the device not to interrupt (polling) or to interrupt again; see virtio_net.c. */
void virtq_irq_enable(struct virtq *q, bool on);

#endif
