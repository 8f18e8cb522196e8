/*
 * The process table of a pComponent and the host's way in: H2P_SPAWN gives a new
 * process a pid and a home mComponent (from GMM) and lets the host stage its ELF
 * there; H2P_START has the home load it and starts the user thread, which builds the
 * initial stack and drops to ring 3. Exit reports the status back to the host.
 */
#define LOG_SUBSYS "proc"
#include "kernel/arch.h"
#include "kernel/config.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/msg.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "kernel/spinlock.h"
#include "lib/string.h"
#include "linux-abi/abi.h"
#include "pcomponent/process.h"

static struct spinlock table_lock = SPINLOCK_INIT("procs");	/* table, next_seq, state */
static struct process *table[PROC_MAX];
static unsigned next_seq;
static uint8_t self_id, gmon_id;
static unsigned next_cpu;

int proc_init(const struct node_config *cfg)
{
	self_id = cfg->id;
	gmon_id = 0xff;
	for (unsigned i = 0; i < cfg->npeers; i++)
		if (cfg->peers[i].role == ROLE_GMON)
			gmon_id = cfg->peers[i].id;
	if (gmon_id == 0xff)
		pr_warn("no gmon in the cluster map: processes cannot be placed");
	return 0;
}

struct process *proc_current(void)
{
	struct thread *t = current();

	return t->user ? (struct process *)((char *)t->user - offsetof(struct process, user)) : NULL;
}

/* pids are unique in the cluster: the pmon's id above a 16-bit sequence (GMM's 22 bits). */
static int add_process(struct process *p)
{
	int slot = -1;

	spin_lock(&table_lock);
	for (unsigned i = 0; i < PROC_MAX && slot < 0; i++)
		if (!table[i])
			slot = (int)i;
	if (slot >= 0) {
		next_seq = next_seq % 0xffff + 1;
		p->pid = (uint32_t)self_id << 16 | next_seq;
		table[slot] = p;
	}
	spin_unlock(&table_lock);
	return slot < 0 ? -EAGAIN : 0;
}

static void remove_process(struct process *p)
{
	spin_lock(&table_lock);
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (table[i] == p)
			table[i] = NULL;
	spin_unlock(&table_lock);
}

static void free_process(struct process *p)
{
	kfree(p->strings);
	kfree(p->io);
	kfree(p);
}

/* The process pid, or NULL; the caller holds table_lock. */
static struct process *lookup(uint32_t pid)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (table[i] && table[i]->pid == pid)
			return table[i];
	return NULL;
}

/*
 * pid, if host spawned it and nobody started it yet; it is marked started at once,
 * so a second H2P_START (a retry, or a hostile one) finds nothing to start.
 */
static struct process *take_new(uint32_t pid, uint8_t host)
{
	struct process *p;

	spin_lock(&table_lock);
	p = lookup(pid);
	if (p && (p->host != host || p->state != PROC_NEW))
		p = NULL;
	if (p)
		p->state = PROC_STARTED;
	spin_unlock(&table_lock);
	return p;
}

int proc_owner(struct process *p, uint64_t va)
{
	uint32_t vregion = (uint32_t)(va >> NET_VREGION_SHIFT);
	struct owner_slot *s = &p->owners[vregion % PROC_OWNER_SLOTS];
	struct x2g_place q = { .pid = p->pid, .vregion = vregion };
	struct g2x_place r;
	int n;

	if (s->used && s->vregion == vregion)
		return s->owner;
	n = msg_rpc(gmon_id, X2G_PLACE, &q, sizeof(q), &r, sizeof(r), PROC_RPC_TIMEOUT);
	if (n < 0)
		return n;
	if (n != sizeof(r) || r.owner == 0xff)
		return -EHOSTUNREACH;
	*s = (struct owner_slot){ .vregion = vregion, .owner = r.owner, .used = true };
	return r.owner;
}

/* argc + envc NUL-terminated strings fill the blob exactly. */
static bool strings_ok(const char *s, size_t len, unsigned count)
{
	unsigned n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0')
			n++;
	return len > 0 && s[len - 1] == '\0' && n == count;
}

/* Ask GMM for a home and have it make room for the image; 0 or -errno. */
static int place_home(struct process *p, uint32_t image_len)
{
	struct x2g_place q = { .pid = p->pid, .vregion = X2G_PLACE_HOME };
	struct p2m_proc_new nw = { .pid = p->pid, .vnode = p->vnode, .image_len = image_len,
				   .host = p->host };
	struct g2x_place r;
	int n = msg_rpc(gmon_id, X2G_PLACE, &q, sizeof(q), &r, sizeof(r), PROC_RPC_TIMEOUT);

	if (n < 0)
		return n;
	if (n != sizeof(r))
		return -EPROTO;
	p->home = r.owner;
	n = msg_rpc(p->home, P2M_PROC_NEW, &nw, sizeof(nw), NULL, 0, PROC_RPC_TIMEOUT);
	return n < 0 ? n : 0;
}

int proc_spawn(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct h2p_spawn s;
	struct p2h_spawn out = { 0 };
	struct process *p;
	size_t slen = len - sizeof(s);
	int err;

	(void)ctx;
	memcpy(&s, req, sizeof(s));
	if (s.argc < 1 || s.vnode < 1 || s.image_len < 1 || s.image_len > NET_IMAGE_MAX ||
	    !strings_ok((const char *)req + sizeof(s), slen, s.argc + s.envc) || max < sizeof(out))
		return -EINVAL;
	p = kzalloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->strings = kmalloc(slen);
	p->io = kmalloc(PROC_IO_SIZE);
	if (!p->strings || !p->io) {
		err = -ENOMEM;
		goto out_free;
	}
	memcpy(p->strings, (const char *)req + sizeof(s), slen);
	p->strings_len = (uint32_t)slen;
	p->argc = s.argc;
	p->envc = s.envc;
	p->vnode = s.vnode;
	p->host = peer;
	p->realtime_offset = (int64_t)(s.realtime_ns - clock_ns());
	p->state = PROC_NEW;
	err = add_process(p);
	if (err)
		goto out_free;
	err = place_home(p, s.image_len);
	if (err)
		goto out_remove;
	pr_info("pid %u for node %u (vnode %u): home mmon %u", p->pid, peer, p->vnode, p->home);
	out.pid = p->pid;
	out.home = p->home;
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
out_remove:
	remove_process(p);
out_free:
	free_process(p);
	return err;
}

/* The user thread: build the initial stack, then become the program. */
static void user_main(void *arg)
{
	struct process *p = arg;
	uint64_t rsp;
	int err;

	current()->user = &p->user;
	err = abi_initial_stack(p, &rsp);
	kfree(p->strings);
	p->strings = NULL;
	if (err) {
		pr_warn("pid %u: cannot build the initial stack (%d)", p->pid, err);
		proc_exit(128 + SIGSEGV);
	}
	arch_user_enter(p->exec.entry, rsp);
}

/* Have the home load the staged image; on success the process has its layout. */
static int exec_image(struct process *p)
{
	int n = msg_rpc(p->home, P2M_EXEC, &p->pid, sizeof(p->pid), &p->exec, sizeof(p->exec),
			PROC_RPC_TIMEOUT);

	if (n < 0)
		return n;
	if (n != sizeof(p->exec))
		return -EPROTO;
	p->brk = p->exec.brk;
	return 0;
}

int proc_start(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct process *p;
	uint64_t root;
	uint32_t pid;
	unsigned cpu;
	int err;

	(void)ctx, (void)len, (void)resp, (void)max;
	memcpy(&pid, req, sizeof(pid));
	p = take_new(pid, peer);
	if (!p)
		return -ESRCH;
	err = exec_image(p);
	if (err)
		goto out_fail;
	root = vm_space_create();
	err = -ENOMEM;
	if (!root)
		goto out_fail;
	arch_user_ctx_init(&p->user, root);
	spin_lock(&table_lock);
	cpu = ncpus > 1 ? 1 + next_cpu++ % (ncpus - 1) : 0;	/* CPU 0 runs the network */
	spin_unlock(&table_lock);
	if (!thread_create("user", user_main, p, cpu))
		goto out_destroy;
	pr_info("pid %u exec: entry=%#lx brk=%#lx", p->pid, p->exec.entry, p->exec.brk);
	return 0;
out_destroy:
	vm_space_destroy(root);
out_fail:
	pr_warn("pid %u: exec failed (%d)", pid, err);
	msg_rpc(p->home, P2M_PROC_EXIT, &p->pid, sizeof(p->pid), NULL, 0, PROC_RPC_TIMEOUT);
	remove_process(p);
	free_process(p);
	return err;
}

/* Tell the host and the home; the process's memory goes with it everywhere. */
void proc_exit(int status)
{
	struct process *p = proc_current();
	struct p2h_exit e = { .pid = p->pid, .status = status };
	struct thread *t = current();

	irq_disable();
	t->user = NULL;
	arch_user_leave();
	irq_enable();
	excache_drop(p);
	vm_space_destroy(p->user.root);
	msg_rpc(p->home, P2M_PROC_EXIT, &p->pid, sizeof(p->pid), NULL, 0, PROC_RPC_TIMEOUT);
	msg_rpc(p->host, P2H_EXIT, &e, sizeof(e), NULL, 0, PROC_RPC_TIMEOUT);
	pr_info("pid %u exits with status %d", p->pid, status);
	remove_process(p);
	free_process(p);
	thread_exit();
}

void proc_kill(int sig, const char *why, uint64_t addr)
{
	pr_warn("pid %u killed by signal %d: %s at %#lx", proc_current()->pid, sig, why, addr);
	proc_exit(128 + sig);
}

int proc_exstats(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t max)
{
	struct p2x_exstats out;
	struct process *p = NULL;
	uint32_t pid;

	(void)ctx, (void)peer, (void)len;
	memcpy(&pid, req, sizeof(pid));
	if (max < sizeof(out))
		return -ENOSPC;
	spin_lock(&table_lock);
	if (pid)
		p = lookup(pid);
	if (pid && !p) {
		spin_unlock(&table_lock);
		return -ESRCH;
	}
	excache_stats(p, &out);
	spin_unlock(&table_lock);
	memcpy(resp, &out, sizeof(out));
	return sizeof(out);
}
