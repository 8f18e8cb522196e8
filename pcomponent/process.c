/*
 * The process table of a pComponent and the host's way in: H2P_SPAWN makes a
 * process with a new address space (its home placed by GMM) and lets the host stage
 * its ELF there; H2P_START has the home load it and starts its first thread, which
 * builds the initial stack and drops to ring 3. H2P_INPUT feeds its terminal. The
 * spawn request is checked by spawn_args.c.
 */
#define LOG_SUBSYS "proc"
#include "kernel/arch.h"
#include "kernel/config.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "lib/string.h"
#include "pcomponent/file.h"
#include "pcomponent/fs.h"
#include "pcomponent/spawn_args.h"
#include "pcomponent/tty.h"
#include "pmon.h"

struct spinlock proc_lock = SPINLOCK_INIT("procs");
static struct process *table[PROC_MAX];		/* proc_lock */
static unsigned next_seq;			/* proc_lock */
static uint8_t self_id;

int proc_init(const struct node_config *cfg)
{
	self_id = cfg->id;
	return mm_init(cfg);
}

struct process *proc_lookup(uint32_t pid)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (table[i] && table[i]->pid == pid)
			return table[i];
	return NULL;
}

struct process *proc_at(unsigned slot)
{
	return slot < PROC_MAX ? table[slot] : NULL;
}

static unsigned vnode_count(uint32_t vnode)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PROC_MAX; i++)
		n += table[i] && table[i]->vnode == vnode;
	return n;
}

struct uthread *proc_thread(struct process *p, uint32_t tid)
{
	struct list_head *l;

	list_for_each(l, &p->threads)
		if (list_entry(l, struct uthread, link)->tid == tid)
			return list_entry(l, struct uthread, link);
	return NULL;
}

/* Is id a pid or a tid here now? Under proc_lock. */
static bool id_used(uint32_t id)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (table[i] && (table[i]->pid == id || proc_thread(table[i], id)))
			return true;
	return false;
}

/*
 * pids and tids share one space, as on Linux, and are unique in the cluster: the
 * pmon's id above a 16-bit sequence. Under proc_lock.
 */
uint32_t proc_new_id(void)
{
	uint32_t id;

	do {
		next_seq = next_seq % 0xffff + 1;
		id = (uint32_t)self_id << 16 | next_seq;
	} while (id_used(id));
	return id;
}

int proc_add(struct process *p)
{
	int slot = -1;

	spin_lock(&proc_lock);
	for (unsigned i = 0; i < PROC_MAX && slot < 0; i++)
		if (!table[i])
			slot = (int)i;
	if (slot >= 0 && vnode_count(p->vnode) >= PROC_VNODE_MAX)
		slot = -1;
	if (slot >= 0) {
		p->pid = proc_new_id();
		table[slot] = p;
	}
	spin_unlock(&proc_lock);
	return slot < 0 ? -EAGAIN : 0;
}

void proc_free(struct process *p)
{
	spin_lock(&proc_lock);
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (table[i] == p)
			table[i] = NULL;
	spin_unlock(&proc_lock);
	if (p->tty)
		tty_put(p->tty);
	fs_cwd_put(p->cwd);
	kfree(p->strings);
	kfree(p);
}

/*
 * pid, if host spawned it and nobody started it yet; it is marked live at once, so
 * a second H2P_START (a retry, or a hostile one) finds nothing to start.
 */
static struct process *take_new(uint32_t pid, uint8_t host)
{
	struct process *p;

	spin_lock(&proc_lock);
	p = proc_lookup(pid);
	if (p && (p->host != host || p->state != PROC_NEW))
		p = NULL;
	if (p)
		p->state = PROC_LIVE;
	spin_unlock(&proc_lock);
	return p;
}

/* A process from the host's request: its strings, clock, terminal; not in the table. */
static struct process *spawn_new(const struct spawn_args *a, uint8_t host)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->strings = kmalloc(a->len);
	if (!p->strings) {
		kfree(p);
		return NULL;
	}
	memcpy(p->strings, a->strings, a->len);
	p->strings_len = a->len;
	p->argc = a->h.argc;
	p->envc = a->h.envc;
	p->vnode = a->h.vnode;
	p->host = host;
	p->realtime_offset = (int64_t)(a->h.realtime_ns - clock_ns());
	p->state = PROC_NEW;
	p->umask = 022;
	wait_queue_init(&p->child_wq);
	list_init(&p->threads);
	return p;
}

int proc_spawn(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct p2h_spawn out = { 0 };
	struct spawn_args a;
	struct process *p;
	int err;

	(void)ctx;
	if (spawn_args_parse(req, len, &a) || max < sizeof(out))
		return -EINVAL;
	p = spawn_new(&a, peer);
	if (!p)
		return -ENOMEM;
	err = proc_add(p);
	if (err) {
		kfree(p->strings);
		kfree(p);
		return err;
	}
	p->pgid = p->sid = p->pid;
	p->tty = tty_new(peer, p->pid, a.h.rows, a.h.cols);
	err = p->tty ? mm_create(p->vnode, peer, a.h.image_len, &p->mm) : -ENOMEM;
	if (err) {
		proc_free(p);
		return err;
	}
	pr_info("pid %u for node %u (vnode %u): mm %u, home mmon %u", p->pid, peer, p->vnode,
		p->mm->id, p->mm->home);
	out.pid = p->pid;
	out.mm = p->mm->id;
	out.home = p->mm->home;
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}

/* Descriptors 0, 1 and 2: the three streams of the process's terminal. */
static int open_stdio(struct process *p)
{
	p->files = files_new();
	if (!p->files)
		return -ENOMEM;
	for (unsigned i = 0; i < 3; i++) {
		struct file *f = tty_open(p->tty, i);

		if (!f)
			return -ENOMEM;
		if (fd_install(p->files, f, (int)i, false) != (int)i) {
			file_put(f);
			return -EMFILE;
		}
	}
	return 0;
}

/* Its first thread: it builds the initial stack itself (see uthread.c). */
static int start_thread(struct process *p)
{
	struct uthread *t = kzalloc(sizeof(*t));
	int err;

	if (!t)
		return -ENOMEM;
	t->proc = p;
	t->tid = p->pid;
	arch_user_ctx_init(&t->user, p->mm->root);
	err = uthread_start(t);
	if (err)
		kfree(t);
	return err;
}

int proc_start(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct process *p;
	uint32_t pid;
	int err;

	(void)ctx, (void)len, (void)resp, (void)max;
	memcpy(&pid, req, sizeof(pid));
	p = take_new(pid, peer);
	if (!p)
		return -ESRCH;
	err = mm_exec(p->mm, &p->exec);
	if (!err)
		err = open_stdio(p);
	if (!err)
		err = start_thread(p);
	if (err) {
		pr_warn("pid %u: exec failed (%d)", pid, err);
		if (p->files)
			files_close(p->files);
		mm_put(p->mm);
		proc_free(p);
		return err;
	}
	pr_info("pid %u exec: entry=%#lx brk=%#lx", p->pid, p->exec.entry, p->exec.brk);
	return 0;
}

struct tty *proc_tty_of(uint8_t peer, uint32_t pid)
{
	struct tty *t = NULL;
	struct process *p;

	spin_lock(&proc_lock);
	p = proc_lookup(pid);
	if (p && p->tty && tty_is(p->tty, peer, pid)) {
		t = p->tty;
		tty_get(t);
	}
	spin_unlock(&proc_lock);
	return t;
}

int proc_input(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct h2p_input q;
	struct tty *t;
	uint32_t taken;

	(void)ctx;
	memcpy(&q, req, sizeof(q));
	if ((q.flags & ~H2P_INPUT_EOF) || max < sizeof(taken))
		return -EINVAL;
	t = proc_tty_of(peer, q.pid);
	if (!t)
		return -ESRCH;
	taken = (uint32_t)tty_input(t, (const uint8_t *)req + sizeof(q), len - sizeof(q),
				    q.flags & H2P_INPUT_EOF);
	tty_put(t);
	memcpy(resp, &taken, sizeof(taken));
	return sizeof(taken);
}

int proc_winsize(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct h2p_winsize q;
	struct tty *t;

	(void)ctx, (void)len, (void)resp, (void)max;
	memcpy(&q, req, sizeof(q));
	t = proc_tty_of(peer, q.pid);
	if (!t)
		return -ESRCH;
	tty_resize(t, q.rows, q.cols);
	tty_put(t);
	return 0;
}

int proc_exstats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct p2x_exstats out;
	struct mm *mm = NULL;
	struct process *p;
	uint32_t pid;

	(void)ctx, (void)peer, (void)len;
	memcpy(&pid, req, sizeof(pid));
	if (max < sizeof(out))
		return -ENOSPC;
	spin_lock(&proc_lock);
	p = pid ? proc_lookup(pid) : NULL;
	if (p && p->state == PROC_LIVE) {
		mm = p->mm;
		mm_get(mm);
	}
	spin_unlock(&proc_lock);
	if (pid && !mm)
		return -ESRCH;
	excache_stats(mm, &out);
	if (mm)
		mm_put(mm);
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}
