/*
 * virtio-blk: the node's disk, one request queue. A request is a descriptor chain
 * (header, one segment per data page, status byte) that the calling thread posts
 * before it sleeps; the MSI-X interrupt handler reaps completions and wakes their
 * callers. Interface: include/kernel/blkdev.h; the storage monitor is the user.
 */
#define LOG_SUBSYS "virtio-blk"
#include "kernel/blkdev.h"
#include "kernel/errno.h"
#include "kernel/irq.h"
#include "kernel/page.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/virtio.h"

#define VIRTIO_BLK_DEVICE	0x1042		/* modern-only virtio-blk */
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_FLUSH	9
#define CFG_CAPACITY		0
#define CFG_SEG_MAX		12
#define REQQ			0
#define QUEUE_SIZE		128
#define MAX_PAGES		32		/* data pages per request: 128 KiB */

/* Request types and status values (virtio 1.0, 5.2.6). */
#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_S_OK		0

/* What the device reads ahead of the data. */
struct virtio_blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

_Static_assert(sizeof(struct virtio_blk_hdr) == 16, "virtio 1.0 block request header");

/*
 * One request in flight. It lives on its caller's stack (a direct-map page the
 * device can reach); the caller returns only once done is set under wq.lock.
 */
struct blk_req {
	struct virtio_blk_hdr hdr;	/* the device reads it */
	uint8_t status;			/* the device writes it */
	uint32_t len;			/* data bytes */
	volatile bool done;		/* wq.lock: the interrupt handler reaped it */
	struct wait_queue wq;
};

static struct disk {
	struct virtio_dev vd;
	struct spinlock lock;		/* q and stats, with interrupts off */
	struct virtq q;
	struct wait_queue room;		/* submitters waiting for free descriptors */
	int vector;
	uint64_t sectors;		/* these four: set once by blkdev_init() */
	unsigned max_pages;		/* data pages one request may carry */
	bool flush;
	bool present;
	struct blkdev_stats stats;
} disk;

static const char *type_name(uint32_t type)
{
	return type == BLK_T_IN ? "read" : type == BLK_T_OUT ? "write" : "flush";
}

/* Count a completed request; disk.lock held. */
static void account(const struct blk_req *r)
{
	struct blkdev_stats *s = &disk.stats;
	bool ok = r->status == BLK_S_OK;

	s->inflight--;
	s->errors += !ok;
	if (r->hdr.type == BLK_T_IN) {
		s->reads++;
		s->bytes_read += ok ? r->len : 0;
	} else if (r->hdr.type == BLK_T_OUT) {
		s->writes++;
		s->bytes_written += ok ? r->len : 0;
	} else {
		s->flushes++;
	}
}

/* Wake the caller under its lock: it may return, and free r, right after. */
static void finish(struct blk_req *r)
{
	unsigned long flags = spin_lock_irqsave(&r->wq.lock);

	r->done = true;
	wake_up_all_locked(&r->wq);
	spin_unlock_irqrestore(&r->wq.lock, flags);
}

static void disk_irq(void *arg)
{
	unsigned long flags = spin_lock_irqsave(&disk.lock);
	struct blk_req *r;

	(void)arg;
	disk.stats.irqs++;
	while ((r = virtq_reap(&disk.q, NULL))) {
		account(r);
		finish(r);
	}
	spin_unlock_irqrestore(&disk.lock, flags);
	wake_up_all(&disk.room);
}

/* Post the chain and ring the doorbell; while the ring lacks room, sleep until
 * completions free enough descriptors. */
static int submit(struct blk_req *r, const struct virtq_seg *segs, unsigned n)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&disk.lock);
		int err = virtq_post_chain(&disk.q, segs, n, r);

		if (!err) {
			virtq_kick(&disk.q);
			if (++disk.stats.inflight > disk.stats.inflight_peak)
				disk.stats.inflight_peak = disk.stats.inflight;
		} else if (err == -ENOSPC) {
			disk.stats.ring_waits++;
		}
		spin_unlock_irqrestore(&disk.lock, flags);
		if (err != -ENOSPC)
			return err;
		wait_event(&disk.room, virtq_room(&disk.q) >= n);
	}
}

/*
 * Send r with the ndata data segments at segs[1..ndata] (segs has room for the
 * header before and the status after them) and sleep until the device answers.
 */
static int request(struct blk_req *r, struct virtq_seg *segs, unsigned ndata)
{
	int err;

	segs[0] = (struct virtq_seg){ .phys = virt_to_phys(&r->hdr), .len = sizeof(r->hdr) };
	segs[ndata + 1] = (struct virtq_seg){
		.phys = virt_to_phys(&r->status), .len = 1, .device_writes = true,
	};
	wait_queue_init(&r->wq);
	err = submit(r, segs, ndata + 2);
	if (err)
		return err;
	wait_event(&r->wq, r->done);
	if (r->status == BLK_S_OK)
		return 0;
	pr_err("%s sector=%lu failed: status %u", type_name(r->hdr.type), r->hdr.sector,
	       r->status);
	return -EIO;
}

/* How much of [buf, buf + len) one request carries: whole sectors on at most
 * max_pages pages (max_pages >= 2, so that is at least one page's worth). */
static size_t chunk_len(const uint8_t *buf, size_t len)
{
	size_t reach = disk.max_pages * PAGE_SIZE - ((uintptr_t)buf & (PAGE_SIZE - 1));

	return len <= reach ? len : reach & ~(size_t)(BLKDEV_SECTOR_SIZE - 1);
}

/* One segment per page of [buf, buf + len), each translated on its own; how many. */
static unsigned map_pages(const uint8_t *buf, size_t len, bool device_writes,
			  struct virtq_seg *segs)
{
	unsigned n = 0;

	while (len) {
		size_t take = PAGE_SIZE - ((uintptr_t)buf & (PAGE_SIZE - 1));

		if (take > len)
			take = len;
		segs[n++] = (struct virtq_seg){
			.phys = virt_to_phys(buf), .len = (uint32_t)take,
			.device_writes = device_writes,
		};
		buf += take;
		len -= take;
	}
	return n;
}

static int check_range(uint64_t sector, size_t len)
{
	if (!disk.present)
		return -ENODEV;
	if (len % BLKDEV_SECTOR_SIZE || sector > disk.sectors ||
	    len / BLKDEV_SECTOR_SIZE > disk.sectors - sector)
		return -EINVAL;
	return 0;
}

/* Split the transfer into requests the device takes and send them in order. */
static int transfer(uint32_t type, uint64_t sector, const uint8_t *buf, size_t len)
{
	int err = check_range(sector, len);

	while (!err && len) {
		struct virtq_seg segs[MAX_PAGES + 2];
		struct blk_req r = { .hdr = { .type = type, .sector = sector } };
		size_t n = chunk_len(buf, len);

		r.len = (uint32_t)n;
		err = request(&r, segs, map_pages(buf, n, type == BLK_T_IN, segs + 1));
		buf += n;
		len -= n;
		sector += n / BLKDEV_SECTOR_SIZE;
	}
	return err;
}

int blkdev_read(uint64_t sector, void *buf, size_t len)
{
	return transfer(BLK_T_IN, sector, buf, len);
}

int blkdev_write(uint64_t sector, const void *buf, size_t len)
{
	return transfer(BLK_T_OUT, sector, buf, len);
}

int blkdev_flush(void)
{
	struct virtq_seg segs[2];
	struct blk_req r = { .hdr = { .type = BLK_T_FLUSH } };

	if (!disk.present)
		return -ENODEV;
	if (!disk.flush)
		return -EOPNOTSUPP;
	return request(&r, segs, 0);
}

bool blkdev_present(void)
{
	return disk.present;
}

uint64_t blkdev_sectors(void)
{
	return disk.sectors;
}

void blkdev_stats(struct blkdev_stats *s)
{
	unsigned long flags = spin_lock_irqsave(&disk.lock);

	*s = disk.stats;
	spin_unlock_irqrestore(&disk.lock, flags);
}

/* Capacity, flush support and how many data pages a request may carry: no more
 * than the device's seg_max, and header and status must fit the ring beside them. */
static int read_config(uint64_t features)
{
	uint32_t seg_max = MAX_PAGES;

	disk.sectors = virtio_cfg_read64(&disk.vd, CFG_CAPACITY);
	disk.flush = features & (1ULL << VIRTIO_BLK_F_FLUSH);
	if (features & (1ULL << VIRTIO_BLK_F_SEG_MAX))
		seg_max = virtio_cfg_read32(&disk.vd, CFG_SEG_MAX);
	disk.max_pages = seg_max < MAX_PAGES ? seg_max : MAX_PAGES;
	if (disk.max_pages + 2 > disk.q.size)
		disk.max_pages = disk.q.size > 2 ? disk.q.size - 2 : 0;
	if (disk.max_pages < 2) {
		pr_err("requests can carry %u data pages (seg_max %u, queue %u); we need 2",
		       disk.max_pages, seg_max, disk.q.size);
		return -ENODEV;
	}
	return 0;
}

int blkdev_init(void)
{
	int64_t features;
	int err;

	err = virtio_probe(&disk.vd, VIRTIO_BLK_DEVICE, 0);
	if (err)
		return err;
	features = virtio_negotiate(&disk.vd,
				    1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH);
	if (features < 0) {
		pr_err("the device refused virtio 1.0 (%d)", (int)features);
		return (int)features;
	}
	spin_init(&disk.lock, "virtio-blk");
	wait_queue_init(&disk.room);
	disk.vector = irq_alloc(disk_irq, NULL);
	if (disk.vector < 0) {
		pr_err("no interrupt vector left (%d)", disk.vector);
		return disk.vector;
	}
	err = pci_msix_route(disk.vd.pci, 0, disk.vector, 0);
	if (!err)
		err = virtq_setup(&disk.vd, &disk.q, REQQ, QUEUE_SIZE, 0);
	if (!err)
		err = read_config((uint64_t)features);
	if (err)
		goto out_release_irq;
	virtio_driver_ok(&disk.vd);
	disk.present = true;
	pr_info("disk: %lu sectors (%lu MiB), flush %s, queue %u", disk.sectors,
		disk.sectors / (2 * 1024), disk.flush ? "yes" : "no", disk.q.size);
	return 0;

out_release_irq:
	pr_err("cannot start the disk (%d)", err);
	irq_release(disk.vector);
	return err;
}
