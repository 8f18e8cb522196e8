/*
 * The kernel under the memory monitor's host tests (tests/unit/mmon_host.c): kmalloc,
 * pages, spinlocks, printk and msg_rpc as stubs that count what is live, fail on
 * demand, play gmon and record every message sent to another node.
 */
#ifndef TESTS_UNIT_MMON_HOST_H
#define TESTS_UNIT_MMON_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_PAGES 4096		/* page_total_count() */
#define HOST_MSGS 1024

struct host_msg {
	uint8_t peer;
	uint16_t op;
	size_t len;
	uint8_t *data;		/* a copy of the request */
};

struct host_state {
	long kmallocs;		/* live kmalloc blocks */
	long pages;		/* live pages */
	size_t free_pages;	/* what page_free_count() answers */
	unsigned fail_alloc;	/* if set, the fail_alloc-th kmalloc or page from now fails */
	int locks;		/* spinlocks held right now */
	uint8_t gmon;		/* node id msg_rpc serves as gmon */
	int (*place)(uint32_t mm, uint32_t vregion);	/* X2G_PLACE: owner, or -errno */
	uint8_t backup;		/* X2G_PLACE's backup for a vRegion (0xff: none) */
	bool down[256];		/* msg_node_down(): gmon's verdicts */
	int release_err;	/* X2G_RELEASE's answer */
	int copy_err;		/* M2G_MM_COPY's answer */
	int remote_err;		/* every other node's answer */
	uint32_t copy_pages;	/* what another mmon answers M2M_MM_COPY (if no error) */
	/* If set, answers every message first (a fake smon); -ENOSYS: not its. */
	int (*serve)(uint8_t peer, uint16_t op, const void *req, size_t len, void *resp,
		     size_t resp_max);
	unsigned nmsgs;		/* recorded, gmon's included */
	struct host_msg msgs[HOST_MSGS];
	char log[256];		/* the last line printk printed */
};

extern struct host_state host;

/* Drop the recorded messages. */
void host_forget(void);
/* The n-th recorded message of opcode op, or NULL. */
const struct host_msg *host_find(uint16_t op, unsigned n);
unsigned host_count(uint16_t op);

#endif
