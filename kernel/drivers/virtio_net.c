/*
 * virtio-net: one receive and one transmit queue, buffers large enough for a
 * jumbo frame (QEMU's host_mtu), receive interrupts through MSI-X. The caller
 * (kernel/net.c) serializes send and poll; the interrupt handler only notifies.
 */
#define LOG_SUBSYS "virtio-net"
#include "kernel/arch.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/irq.h"
#include "kernel/mm.h"
#include "kernel/netdev.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "kernel/virtio.h"
#include "lib/string.h"

#define VIRTIO_NET_DEVICE	0x1041		/* modern-only virtio-net */
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define CFG_MAC			0
#define CFG_MTU			10
#define RXQ			0
#define TXQ			1
#define NRX			64
#define NTX			128		/* more than the transport's window */
#define TX_WAIT_NS		(50 * NSEC_PER_USEC)
#define BUF_ORDER		2		/* 16 KiB: a 9000-byte MTU frame and its header */
#define BUF_SIZE		(PAGE_SIZE << BUF_ORDER)
#define DEFAULT_MTU		1500
#define ETH_HDR			14

/* The header virtio 1.0 puts before every frame; we use no offloads, so zeros. */
struct virtio_net_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio 1.0 net header");

static struct nic {
	struct virtio_dev vd;
	struct virtq rx, tx;
	uint8_t mac[6];
	unsigned mtu;
	bool up;
	void *tx_free[NTX];		/* idle TX buffers */
	unsigned ntx_free;
	void (*notify)(void *arg);
	void *notify_arg;
	struct netdev_stats stats;
} nic;

static void nic_irq(void *arg)
{
	(void)arg;
	nic.stats.irqs++;
	if (nic.notify)
		nic.notify(nic.notify_arg);
}

static int post_rx(void *buf)
{
	return virtq_post(&nic.rx, virt_to_phys(buf), BUF_SIZE, true, buf);
}

static int alloc_buffers(void)
{
	for (int i = 0; i < NRX; i++) {
		void *rx = page_alloc(BUF_ORDER);

		if (!rx || post_rx(rx))
			return -ENOMEM;
	}
	for (int i = 0; i < NTX; i++) {
		void *tx = page_alloc(BUF_ORDER);

		if (!tx)
			return -ENOMEM;
		nic.tx_free[nic.ntx_free++] = tx;
	}
	virtq_kick(&nic.rx);
	return 0;
}

static int setup_irq(void)
{
	int vector = irq_alloc(nic_irq, NULL);

	if (vector < 0)
		return vector;
	return pci_msix_route(nic.vd.pci, 0, vector, 0);
}

static void read_config(uint64_t features)
{
	for (int i = 0; i < 6; i++)
		nic.mac[i] = nic.vd.device_cfg[CFG_MAC + i];
	nic.mtu = DEFAULT_MTU;
	if (features & (1ULL << VIRTIO_NET_F_MTU))
		nic.mtu = *(volatile uint16_t *)(nic.vd.device_cfg + CFG_MTU);
	if (nic.mtu + ETH_HDR + sizeof(struct virtio_net_hdr) > BUF_SIZE)
		nic.mtu = BUF_SIZE - ETH_HDR - sizeof(struct virtio_net_hdr);
}

int netdev_init(void (*notify)(void *arg), void *arg)
{
	int64_t features;
	int err;

	err = virtio_probe(&nic.vd, VIRTIO_NET_DEVICE, 0);
	if (err)
		return err;
	features = virtio_negotiate(&nic.vd, 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_MTU);
	if (features < 0)
		return (int)features;
	read_config((uint64_t)features);
	nic.notify = notify;
	nic.notify_arg = arg;
	err = setup_irq();
	if (!err)
		err = virtq_setup(&nic.vd, &nic.rx, RXQ, 256, 0);
	if (!err)
		err = virtq_setup(&nic.vd, &nic.tx, TXQ, 256, -1);
	if (!err)
		err = alloc_buffers();
	if (err) {
		pr_err("cannot start the NIC (%d)", err);
		return err;
	}
	virtq_irq_enable(&nic.tx, false);
	virtio_driver_ok(&nic.vd);
	nic.up = true;
	pr_info("NIC %02x:%02x:%02x:%02x:%02x:%02x mtu %u", nic.mac[0], nic.mac[1], nic.mac[2],
		nic.mac[3], nic.mac[4], nic.mac[5], nic.mtu);
	return 0;
}

bool netdev_up(void)
{
	return nic.up;
}

void netdev_mac(uint8_t mac[6])
{
	memcpy(mac, nic.mac, 6);
}

size_t netdev_max_frame(void)
{
	return ETH_HDR + nic.mtu;
}

/* Take back the TX buffers the device has finished with. */
static void reap_tx(void)
{
	void *buf;

	while ((buf = virtq_reap(&nic.tx, NULL)))
		nic.tx_free[nic.ntx_free++] = buf;
}

/*
 * Every TX buffer is in flight: QEMU completes transmissions on its own thread, so
 * a short wait usually frees one; past TX_WAIT_NS the frame is refused and the
 * transport's retransmission recovers it.
 */
static void wait_tx(void)
{
	uint64_t end = clock_ns() + TX_WAIT_NS;

	while (nic.ntx_free == 0 && clock_ns() < end) {
		cpu_relax();
		reap_tx();
	}
}

int netdev_send(const void *frame, size_t len)
{
	uint8_t *buf;

	if (len > netdev_max_frame() || len < ETH_HDR)
		return -EMSGSIZE;
	reap_tx();
	if (nic.ntx_free == 0)
		wait_tx();
	if (nic.ntx_free == 0) {
		nic.stats.tx_ring_full++;
		return -ENOSPC;
	}
	buf = nic.tx_free[--nic.ntx_free];
	memset(buf, 0, sizeof(struct virtio_net_hdr));
	memcpy(buf + sizeof(struct virtio_net_hdr), frame, len);
	virtq_post(&nic.tx, virt_to_phys(buf), sizeof(struct virtio_net_hdr) + len, false, buf);
	virtq_kick(&nic.tx);
	nic.stats.tx_frames++;
	nic.stats.tx_bytes += len;
	return 0;
}

unsigned netdev_poll(void (*fn)(void *arg, const void *frame, size_t len), void *arg,
		     unsigned budget)
{
	unsigned n = 0;
	uint32_t len;
	uint8_t *buf;

	while (n < budget && (buf = virtq_reap(&nic.rx, &len))) {
		if (len > sizeof(struct virtio_net_hdr) + ETH_HDR && len <= BUF_SIZE) {
			len -= sizeof(struct virtio_net_hdr);
			nic.stats.rx_frames++;
			nic.stats.rx_bytes += len;
			fn(arg, buf + sizeof(struct virtio_net_hdr), len);
		} else {
			nic.stats.rx_bad++;
		}
		post_rx(buf);
		n++;
	}
	if (n)
		virtq_kick(&nic.rx);
	return n;
}

void netdev_rx_irq(bool on)
{
	virtq_irq_enable(&nic.rx, on);
}

bool netdev_rx_pending(void)
{
	return virtq_has_used(&nic.rx);
}

void netdev_stats(struct netdev_stats *s)
{
	*s = nic.stats;
}
