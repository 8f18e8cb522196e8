/*
 * Virtio 1.0 modern PCI transport (vendor capabilities locate the common, notify
 * and device configuration windows) and split virtqueues. Every number in these
 * structures is little-endian, which on x86 needs no conversion.
 */
#define LOG_SUBSYS "virtio"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/virtio.h"

#define VIRTIO_VENDOR		0x1af4
#define PCI_CAP_VENDOR		0x09
#define CFG_COMMON		1
#define CFG_NOTIFY		2
#define CFG_DEVICE		4

/* Common configuration registers (virtio 1.0, 4.1.4.3). */
#define COMMON_DFSELECT		0x00
#define COMMON_DF		0x04
#define COMMON_GFSELECT		0x08
#define COMMON_GF		0x0c
#define COMMON_MSIX_CONFIG	0x10
#define COMMON_STATUS		0x14
#define COMMON_CFG_GENERATION	0x15
#define COMMON_Q_SELECT		0x16
#define COMMON_Q_SIZE		0x18
#define COMMON_Q_MSIX		0x1a
#define COMMON_Q_ENABLE		0x1c
#define COMMON_Q_NOFF		0x1e
#define COMMON_Q_DESC		0x20
#define COMMON_Q_DRIVER		0x28
#define COMMON_Q_DEVICE		0x30

#define STATUS_ACK		1
#define STATUS_DRIVER		2
#define STATUS_DRIVER_OK	4
#define STATUS_FEATURES_OK	8

#define DESC_F_NEXT		1
#define DESC_F_WRITE		2
#define AVAIL_F_NO_INTERRUPT	1
#define NO_VECTOR		0xffff

static inline void w8(volatile uint8_t *b, unsigned off, uint8_t v) { b[off] = v; }
static inline uint8_t r8(volatile uint8_t *b, unsigned off) { return b[off]; }
static inline void w16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static inline uint16_t r16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static inline void w32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }
static inline uint32_t r32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }

static void w64(volatile uint8_t *b, unsigned off, uint64_t v)
{
	w32(b, off, (uint32_t)v);
	w32(b, off + 4, (uint32_t)(v >> 32));
}

/* Map the window a vendor capability at config offset `cap` describes. */
static volatile uint8_t *map_cap(struct virtio_dev *vd, uint8_t cap)
{
	uint32_t w0 = pci_read32(vd->pci, cap), bar = pci_read32(vd->pci, cap + 4) & 0xff;
	uint32_t off = pci_read32(vd->pci, cap + 8), len = pci_read32(vd->pci, cap + 12);
	const struct pci_bar *b;

	(void)w0;
	if (bar > 5)
		return NULL;
	b = &vd->pci->bar[bar];
	if ((b->kind != BAR_MEM32 && b->kind != BAR_MEM64) || (uint64_t)off + len > b->size)
		return NULL;
	return ioremap(b->base + off, len);
}

/* Walk the vendor capabilities; each names one configuration structure. */
static int find_windows(struct virtio_dev *vd)
{
	uint8_t cap = pci_find_cap(vd->pci, PCI_CAP_VENDOR);
	int guard = 48;

	while (cap && guard--) {
		uint32_t w0 = pci_read32(vd->pci, cap);
		uint8_t type = (w0 >> 24) & 0xff;

		if ((w0 & 0xff) == PCI_CAP_VENDOR) {
			if (type == CFG_COMMON && !vd->common)
				vd->common = map_cap(vd, cap);
			else if (type == CFG_DEVICE && !vd->device_cfg)
				vd->device_cfg = map_cap(vd, cap);
			else if (type == CFG_NOTIFY && !vd->notify_base) {
				vd->notify_base = map_cap(vd, cap);
				vd->notify_mult = pci_read32(vd->pci, cap + 16);
			}
		}
		cap = (w0 >> 8) & 0xfc;
	}
	return vd->common && vd->notify_base && vd->device_cfg ? 0 : -ENODEV;
}

int virtio_probe(struct virtio_dev *vd, uint16_t pci_device, unsigned index)
{
	vd->pci = pci_find(VIRTIO_VENDOR, pci_device, index);
	if (!vd->pci)
		return -ENODEV;
	if (find_windows(vd)) {
		pr_err("%02x:%02x.%x: no usable virtio 1.0 capabilities", vd->pci->bus,
		       vd->pci->slot, vd->pci->func);
		return -ENODEV;
	}
	pci_enable_dma(vd->pci);
	w8(vd->common, COMMON_STATUS, 0);		/* reset */
	while (r8(vd->common, COMMON_STATUS))
		;
	w8(vd->common, COMMON_STATUS, STATUS_ACK | STATUS_DRIVER);
	w16(vd->common, COMMON_MSIX_CONFIG, NO_VECTOR);	/* no config-change interrupts */
	return 0;
}

int64_t virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t offered, accepted;

	w32(vd->common, COMMON_DFSELECT, 0);
	offered = r32(vd->common, COMMON_DF);
	w32(vd->common, COMMON_DFSELECT, 1);
	offered |= (uint64_t)r32(vd->common, COMMON_DF) << 32;
	accepted = offered & (wanted | 1ULL << VIRTIO_F_VERSION_1);
	if (!(accepted & (1ULL << VIRTIO_F_VERSION_1)))
		return -ENODEV;
	w32(vd->common, COMMON_GFSELECT, 0);
	w32(vd->common, COMMON_GF, (uint32_t)accepted);
	w32(vd->common, COMMON_GFSELECT, 1);
	w32(vd->common, COMMON_GF, (uint32_t)(accepted >> 32));
	w8(vd->common, COMMON_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	if (!(r8(vd->common, COMMON_STATUS) & STATUS_FEATURES_OK))
		return -ENODEV;
	return (int64_t)accepted;
}

/* Descriptor table, available and used rings, in one zeroed page block. */
static int alloc_rings(struct virtq *q)
{
	size_t desc = 16u * q->size, avail = 6 + 2u * q->size, used = 6 + 8u * q->size;
	size_t total = desc + ((avail + 3) & ~3u) + used;
	unsigned order = 0;
	uint8_t *mem;

	while ((PAGE_SIZE << order) < total)
		order++;
	mem = page_alloc(order);
	q->next_free = kmalloc(sizeof(uint16_t) * q->size);
	q->cookie = kzalloc(sizeof(void *) * q->size);
	if (!mem || !q->next_free || !q->cookie)
		return -ENOMEM;
	q->desc = (struct virtq_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + desc);
	q->used_hdr = (volatile uint16_t *)(mem + desc + ((avail + 3) & ~3u));
	q->used = (volatile struct virtq_used_elem *)(q->used_hdr + 2);
	for (uint16_t i = 0; i < q->size; i++)
		q->next_free[i] = i + 1;
	q->free_head = 0;
	q->nfree = q->size;
	return 0;
}

int virtq_setup(struct virtio_dev *vd, struct virtq *q, uint16_t index, uint16_t max_size,
		int msix_entry)
{
	uint16_t size;
	int err;

	w16(vd->common, COMMON_Q_SELECT, index);
	size = r16(vd->common, COMMON_Q_SIZE);
	if (size == 0)
		return -ENODEV;
	q->size = size < max_size ? size : max_size;
	q->index = index;
	err = alloc_rings(q);
	if (err)
		return err;
	w16(vd->common, COMMON_Q_SIZE, q->size);
	w16(vd->common, COMMON_Q_MSIX, msix_entry < 0 ? NO_VECTOR : (uint16_t)msix_entry);
	if (msix_entry >= 0 && r16(vd->common, COMMON_Q_MSIX) != msix_entry)
		return -ENODEV;		/* the device could not take the vector */
	w64(vd->common, COMMON_Q_DESC, virt_to_phys(q->desc));
	w64(vd->common, COMMON_Q_DRIVER, virt_to_phys((const void *)q->avail));
	w64(vd->common, COMMON_Q_DEVICE, virt_to_phys((const void *)q->used_hdr));
	q->notify = (volatile uint16_t *)(vd->notify_base +
					  r16(vd->common, COMMON_Q_NOFF) * vd->notify_mult);
	w16(vd->common, COMMON_Q_ENABLE, 1);
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	w8(vd->common, COMMON_STATUS, r8(vd->common, COMMON_STATUS) | STATUS_DRIVER_OK);
}

uint32_t virtio_cfg_read32(struct virtio_dev *vd, unsigned off)
{
	return r32(vd->device_cfg, off);
}

/*
 * The device may change a field while we read its two halves; the generation
 * counter changes with it, so read again until it holds still (virtio 1.0, 2.4.1).
 */
uint64_t virtio_cfg_read64(struct virtio_dev *vd, unsigned off)
{
	uint8_t gen;
	uint64_t v;

	do {
		gen = r8(vd->common, COMMON_CFG_GENERATION);
		v = r32(vd->device_cfg, off) | (uint64_t)r32(vd->device_cfg, off + 4) << 32;
	} while (gen != r8(vd->common, COMMON_CFG_GENERATION));
	return v;
}

/* Make the chain at head visible to the device. */
static void publish(struct virtq *q, uint16_t head)
{
	uint16_t slot = q->avail[1] % q->size;

	q->avail[2 + slot] = head;
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* chain and entry before the index */
	q->avail[1] = q->avail[1] + 1;
}

int virtq_post_chain(struct virtq *q, const struct virtq_seg *segs, unsigned n, void *cookie)
{
	uint16_t head = q->free_head, i = head;

	if (n == 0 || n > q->size)
		return -EINVAL;
	if (n > q->nfree)
		return -ENOSPC;
	for (unsigned k = 0; k < n; k++) {
		bool more = k + 1 < n;
		uint16_t next = q->next_free[i];
		uint16_t flags = segs[k].device_writes ? DESC_F_WRITE : 0;

		q->desc[i] = (struct virtq_desc){
			.addr = segs[k].phys, .len = segs[k].len,
			.flags = flags | (more ? DESC_F_NEXT : 0), .next = more ? next : 0,
		};
		if (more)
			i = next;
		else
			q->free_head = next;
	}
	q->nfree -= n;
	q->cookie[head] = cookie;
	publish(q, head);
	return 0;
}

int virtq_post(struct virtq *q, uint64_t phys, uint32_t len, bool device_writes, void *cookie)
{
	struct virtq_seg seg = { .phys = phys, .len = len, .device_writes = device_writes };

	return virtq_post_chain(q, &seg, 1, cookie);
}

void virtq_kick(struct virtq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* index visible before the doorbell */
	*q->notify = q->index;
}

bool virtq_has_used(struct virtq *q)
{
	return q->used_hdr[1] != q->last_used;
}

/* Return the descriptors of the chain at head to the free list; never more than the ring. */
static void free_chain(struct virtq *q, uint16_t head)
{
	uint16_t i = head;

	for (unsigned n = 0; n < q->size; n++) {
		uint16_t flags = q->desc[i].flags, next = q->desc[i].next;

		q->next_free[i] = q->free_head;
		q->free_head = i;
		q->nfree++;
		if (!(flags & DESC_F_NEXT) || next >= q->size)
			return;
		i = next;
	}
}

void *virtq_reap(struct virtq *q, uint32_t *len)
{
	uint16_t head;
	void *cookie;

	if (!virtq_has_used(q))
		return NULL;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* the element after the index */
	head = (uint16_t)q->used[q->last_used % q->size].id;
	if (len)
		*len = q->used[q->last_used % q->size].len;
	q->last_used++;
	if (head >= q->size || !q->cookie[head])
		return NULL;	/* a device bug; never free what is not in flight */
	cookie = q->cookie[head];
	q->cookie[head] = NULL;
	free_chain(q, head);
	return cookie;
}

void virtq_irq_enable(struct virtq *q, bool on)
{
	q->avail[0] = on ? 0 : AVAIL_F_NO_INTERRUPT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}
