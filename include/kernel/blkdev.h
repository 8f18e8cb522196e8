/*
 * The node's disk (one virtio-blk device, kernel/drivers/virtio_blk.c): blocking
 * sector reads, writes and flushes for kernel threads, several in flight at once.
 * The storage monitor (scomponent/) is its user.
 */
#ifndef KERNEL_BLKDEV_H
#define KERNEL_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLKDEV_SECTOR_SIZE	512

struct blkdev_stats {
	uint64_t reads, writes, flushes;	/* requests completed, failed ones included */
	uint64_t bytes_read, bytes_written;	/* by requests that succeeded */
	uint64_t errors;			/* requests the device failed */
	uint64_t irqs;
	uint64_t ring_waits;			/* submissions that waited for descriptors */
	unsigned inflight, inflight_peak;	/* requests posted and not yet completed */
};

/* Find and start the disk; -ENODEV if the node has none. Call once, from a thread. */
int blkdev_init(void);
bool blkdev_present(void);
/* Capacity in 512-byte sectors. */
uint64_t blkdev_sectors(void);

/*
 * Transfer len bytes (a multiple of 512) at sector; the calling thread sleeps until
 * the device is done. buf is any kernel address virt_to_phys() translates (direct
 * map, kernel image); each page is handed to the device on its own, so it need not
 * be physically contiguous. A transfer larger than one request goes out as several,
 * in order. 0, or -EINVAL (bad length, past the end), -EIO (the device failed:
 * logged with the sector), -ENODEV (no disk).
 */
int blkdev_read(uint64_t sector, void *buf, size_t len);
int blkdev_write(uint64_t sector, const void *buf, size_t len);
/* Make every write completed before the call durable; -EOPNOTSUPP if the device
 * does not offer flushes (VIRTIO_BLK_F_FLUSH). */
int blkdev_flush(void);
void blkdev_stats(struct blkdev_stats *s);

#endif
