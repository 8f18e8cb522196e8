/*
 * Process groups and sessions, as job control in a shell uses them: setpgid puts a
 * process of the caller's session (itself or a child) in a group, setsid starts a
 * session. A terminal's signals go to a group (H2P_SIGNAL).
 */
#include "kernel/errno.h"
#include "lib/string.h"
#include "pcomponent/signal.h"
#include "pcomponent/tty.h"
#include "pmon.h"

/* The process pid names (0: p itself); under proc_lock. */
static struct process *target(struct process *p, uint32_t pid)
{
	struct process *q = pid ? proc_lookup(pid) : p;

	return q && q->state != PROC_ZOMBIE ? q : NULL;
}

long proc_getpgid(struct process *p, uint32_t pid, bool session)
{
	struct process *q;
	long ret = -ESRCH;

	spin_lock(&proc_lock);
	q = target(p, pid);
	if (q)
		ret = session ? q->sid : q->pgid;
	spin_unlock(&proc_lock);
	return ret;
}

/* Is there a group pgid in session sid? */
static bool group_in(uint32_t pgid, uint32_t sid)
{
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct process *q = proc_at(i);

		if (q && q->pgid == pgid && q->sid == sid)
			return true;
	}
	return false;
}

bool proc_group_exists(uint32_t pgid, uint32_t sid)
{
	bool yes;

	spin_lock(&proc_lock);
	yes = group_in(pgid, sid);
	spin_unlock(&proc_lock);
	return yes;
}

long proc_setpgid(struct process *p, uint32_t pid, uint32_t pgid)
{
	struct process *q;
	long ret = 0;

	spin_lock(&proc_lock);
	q = target(p, pid);
	if (!q || (q != p && q->ppid != p->pid))
		ret = -ESRCH;
	else if (q->sid != p->sid || q->pid == q->sid)
		ret = -EPERM;
	else if (pgid && pgid != q->pid && !group_in(pgid, p->sid))
		ret = -EPERM;
	else
		q->pgid = pgid ? pgid : q->pid;
	spin_unlock(&proc_lock);
	return ret;
}

long proc_setsid(struct process *p)
{
	long ret;

	spin_lock(&proc_lock);
	if (group_in(p->pid, p->sid) && p->pgid == p->pid) {
		ret = -EPERM;
	} else {
		p->sid = p->pgid = p->pid;
		ret = p->pid;
	}
	spin_unlock(&proc_lock);
	return ret;
}

/* H2P_SIGNAL: the host's terminal user asks for a signal for its foreground group. */
int proc_tty_signal(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		    size_t max)
{
	struct h2p_signal q;
	struct tty *t;

	(void)ctx, (void)len, (void)resp, (void)max;
	memcpy(&q, req, sizeof(q));
	if (q.sig < 1 || q.sig > NSIG)
		return -EINVAL;
	t = proc_tty_of(peer, q.pid);
	if (!t)
		return -ESRCH;
	tty_signal(t, (int)q.sig);
	tty_put(t);
	return 0;
}
