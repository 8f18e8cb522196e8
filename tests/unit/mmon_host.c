/*
 * Host stand-ins for the kernel services mcomponent/ uses, defined against the real
 * kernel headers so the monitor's own files link unchanged (tests/unit/mmon_host.h).
 * Anything the single-threaded tests must never reach (sleeping) aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "kernel/time.h"
#include "mmon_host.h"

struct host_state host = { .free_pages = 1 << 20, .backup = 0xff };

/* Counts host.fail_alloc down: true for the allocation that brings it to 0. */
static bool alloc_fails(void)
{
	return host.fail_alloc && --host.fail_alloc == 0;
}

void *kmalloc(size_t size)
{
	void *p = alloc_fails() ? NULL : malloc(size);

	host.kmallocs += p != NULL;
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	return p ? memset(p, 0, size) : NULL;
}

void kfree(void *p)
{
	host.kmallocs -= p != NULL;
	free(p);
}

void *page_alloc_dirty(unsigned order)
{
	void *p = alloc_fails() ? NULL : aligned_alloc(PAGE_SIZE, PAGE_SIZE << order);

	if (p) {
		memset(p, 0xa5, PAGE_SIZE << order);
		host.pages++;
	}
	return p;
}

void *page_alloc(unsigned order)
{
	void *p = page_alloc_dirty(order);

	return p ? memset(p, 0, PAGE_SIZE << order) : NULL;
}

void page_free(void *p)
{
	host.pages--;
	free(p);
}

size_t page_free_count(void)
{
	return host.free_pages;
}

size_t page_total_count(void)
{
	return HOST_PAGES;
}

void spin_lock(struct spinlock *l)
{
	(void)l;
	host.locks++;
}

void spin_unlock(struct spinlock *l)
{
	(void)l;
	host.locks--;
}

void wait_queue_init(struct wait_queue *wq)
{
	list_init(&wq->waiters);
}

void wake_up_all(struct wait_queue *wq)
{
	(void)wq;
}

void prepare_to_wait(struct wait_queue *wq, struct waiter *w)
{
	(void)wq, (void)w;
	abort();
}

void finish_wait(struct wait_queue *wq, struct waiter *w)
{
	(void)wq, (void)w;
	abort();
}

void schedule(void)
{
	abort();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg, unsigned cpu)
{
	static struct thread dummy;

	(void)name, (void)fn, (void)arg, (void)cpu;
	return &dummy;
}

void sleep_ns(uint64_t ns)
{
	(void)ns;
}

uint64_t clock_ns(void)
{
	return 0;
}

void printk(enum log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(host.log, sizeof(host.log), fmt, ap);
	va_end(ap);
	if (getenv("MMON_LOG"))
		fprintf(stderr, "[%d %s] %s\n", level, subsys, host.log);
}

void panic(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

static void record(uint8_t peer, uint16_t op, const void *req, size_t len)
{
	struct host_msg *m;

	if (host.nmsgs == HOST_MSGS)
		abort();
	m = &host.msgs[host.nmsgs++];
	m->peer = peer;
	m->op = op;
	m->len = len;
	m->data = malloc(len ? len : 1);
	if (len)
		memcpy(m->data, req, len);
}

/*
 * gmon's answers, or another node's (an mmon's to a fork, a fake smon's); never under
 * a spinlock.
 */
int msg_rpc_patient(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
		    size_t resp_max, uint64_t timeout_ns, uint64_t patience_ns)
{
	(void)patience_ns;
	return msg_rpc(peer, opcode, req, len, resp, resp_max, timeout_ns);
}

int msg_rpc(uint8_t peer, uint16_t opcode, const void *req, size_t len, void *resp,
	    size_t resp_max, uint64_t timeout_ns)
{
	struct x2g_place q;
	struct g2x_place a = { .backup = 0xff };
	int owner, served;

	(void)timeout_ns;
	if (host.locks)
		abort();
	record(peer, opcode, req, len);
	served = host.serve ? host.serve(peer, opcode, req, len, resp, resp_max) : -ENOSYS;
	if (served != -ENOSYS)
		return served;
	if (peer == host.gmon && opcode == X2G_RELEASE)
		return host.release_err;
	if (peer == host.gmon && opcode == M2G_MM_COPY)
		return host.copy_err;
	if (peer != host.gmon && opcode == M2M_MM_COPY && !host.remote_err) {
		if (resp_max < sizeof(host.copy_pages))
			abort();
		memcpy(resp, &host.copy_pages, sizeof(host.copy_pages));
		return sizeof(host.copy_pages);
	}
	if (peer != host.gmon || opcode != X2G_PLACE)
		return host.remote_err;
	memcpy(&q, req, sizeof(q));
	owner = host.place(q.mm, q.vregion);
	if (owner < 0)
		return owner;
	a.owner = (uint8_t)owner;
	if (q.vregion != X2G_PLACE_HOME && host.backup != owner)
		a.backup = host.backup;
	if (resp_max < sizeof(a))
		abort();
	memcpy(resp, &a, sizeof(a));
	return sizeof(a);
}

bool msg_node_down(uint8_t node)
{
	return host.down[node];
}

void host_forget(void)
{
	while (host.nmsgs)
		free(host.msgs[--host.nmsgs].data);
}

const struct host_msg *host_find(uint16_t op, unsigned n)
{
	for (unsigned i = 0; i < host.nmsgs; i++)
		if (host.msgs[i].op == op && n-- == 0)
			return &host.msgs[i];
	return NULL;
}

unsigned host_count(uint16_t op)
{
	unsigned n = 0;

	for (unsigned i = 0; i < host.nmsgs; i++)
		n += host.msgs[i].op == op;
	return n;
}
