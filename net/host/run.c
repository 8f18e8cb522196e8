/*
 * tessera-net run: start a static ELF on a pmon and be its terminal. With `run any`,
 * GPM on gmon picks the pmon first (H2G_PLACE_PROC). The host asks
 * the pmon for a process (H2P_SPAWN), stages the image on the process's home
 * mComponent (H2M_IMAGE), starts it (H2P_START), then serves the P2H_OUTPUT and
 * P2H_EXIT requests the pmon sends back and exits with the program's status.
 * Meanwhile our stdin goes to the program (H2P_INPUT, as much as the pmon takes),
 * and a SIGINT we get (Ctrl-C) goes to it as H2P_SIGNAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "net/host.h"
#include "tool.h"

#define SEC 1000000000ULL
#define SPAWN_TIMEOUT (10 * SEC)
#define CHUNK_TIMEOUT (10 * SEC)
#define START_TIMEOUT (60 * SEC)
#define PING_INTERVAL (2 * SEC)	/* how often a quiet pmon is asked if it lives */
#define PING_TIMEOUT (30 * SEC)
#define FLUSH_TIMEOUT SEC	/* for our last answers to be acknowledged */
#define RUN_TIMEOUT_MS 600000
#define INPUT_RETRY (20 * 1000000ULL)	/* the pmon's input buffer was full */
#define INPUT_TIMEOUT (10 * SEC)
#define PLACE_TIMEOUT (5 * SEC)	/* pmons report every second: time for a new cluster's first */
#define PLACE_RETRY (200 * 1000000ULL)
#define RUN_ANY "any"		/* run any ELF: GPM places it */

/* Set by the P2H_EXIT handler, an H2P_INPUT's answer and SIGINT: the wait loop has
 * something to do. */
static volatile int wake;
static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t resized;

/* The tool's own exit codes; the program's are 0..255 (128 + signal if killed). */
enum { EXIT_USAGE = 2, EXIT_TIMEOUT = 124, EXIT_CLUSTER = 125, EXIT_NOEXEC = 126 };

/* The program being run. The P2H handlers' context; pid 0 refuses everything. */
struct job {
	struct host_ep *h;
	uint8_t pmon;
	const char *pmon_name;		/* its name in the cluster map */
	uint32_t pid;
	uint32_t mm;			/* its address space, named in H2M_IMAGE */
	volatile int exited;
	int status;
	int in_fd;			/* our stdin until its end is delivered, then -1 */
	uint8_t in_buf[sizeof(struct h2p_input) + NET_INPUT_MAX];
	size_t in_len, in_off;		/* bytes read from in_fd, bytes the pmon took */
	int in_eof;			/* in_fd ended: say so once in_buf is taken */
	int in_busy;			/* an H2P_INPUT is in flight */
	bool terminal;			/* our stdin and stdout are a terminal: raw while it runs */
	uint64_t in_retry;		/* when to offer the rest again */
	uint8_t *image;
	size_t image_len;
	uint8_t spawn[sizeof(struct h2p_spawn) + NET_SPAWN_STRINGS];
	size_t spawn_len;
	int pinging;			/* an echo to the pmon is in flight */
	uint64_t ping_ns;		/* when the last one went out */
	int ping_err;			/* the first one that failed */
};

/* Read the whole file; the pmon and mmon judge whether it is an ELF. */
static int load_image(struct job *j, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	struct stat st;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	else if (st.st_size > NET_IMAGE_MAX)
		err = -EFBIG;
	else if (!(j->image = malloc((size_t)st.st_size + 1)))
		err = -ENOMEM;
	while (!err && j->image_len < (size_t)st.st_size) {
		n = read(fd, j->image + j->image_len, (size_t)st.st_size - j->image_len);
		if (n <= 0)
			err = n < 0 ? -errno : -EIO;
		else
			j->image_len += (size_t)n;
	}
	close(fd);
	return err;
}

static int put_string(struct job *j, const char *s)
{
	size_t n = strlen(s) + 1;

	if (j->spawn_len + n > sizeof(j->spawn))
		return -E2BIG;
	memcpy(j->spawn + j->spawn_len, s, n);
	j->spawn_len += n;
	return 0;
}

/* H2P_SPAWN's payload: argv = [basename(ELF), ARG...], then the --env strings. */
static int build_spawn(struct job *j, const struct opts *o)
{
	const char *elf = o->words[2], *slash = strrchr(elf, '/');
	struct h2p_spawn s = {
		.vnode = o->vnode, .image_len = (uint32_t)j->image_len,
		.argc = (uint16_t)(o->nwords - 2), .envc = (uint16_t)o->nenv,
	};
	uint16_t rows, cols;
	int err;

	j->terminal = term_size(&rows, &cols);
	s.rows = j->terminal ? rows : 0;
	s.cols = j->terminal ? cols : 0;

	j->spawn_len = sizeof(s);
	err = put_string(j, slash ? slash + 1 : elf);
	for (int i = 3; !err && i < o->nwords; i++)
		err = put_string(j, o->words[i]);
	for (unsigned i = 0; !err && i < o->nenv; i++)
		err = put_string(j, o->env[i]);
	memcpy(j->spawn, &s, sizeof(s));
	return err;
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* our reader went away: the bytes are lost */
		p += n;
		len -= (size_t)n;
	}
}

static bool from_job(const struct job *j, uint8_t peer, uint32_t pid)
{
	return j->pid && peer == j->pmon && pid == j->pid;
}

static int handle_output(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
			 size_t resp_max)
{
	struct job *j = ctx;
	struct p2h_output out;

	(void)resp;
	(void)resp_max;
	memcpy(&out, req, sizeof(out));
	if (!from_job(j, peer, out.pid))
		return -EPERM;
	if (out.fd != 1 && out.fd != 2)
		return -EINVAL;
	write_all((int)out.fd, (const uint8_t *)req + sizeof(out), len - sizeof(out));
	return 0;
}

static int handle_exit(void *ctx, uint8_t peer, const void *req, size_t len, void *resp,
		       size_t resp_max)
{
	struct job *j = ctx;
	struct p2h_exit e;

	(void)len;
	(void)resp;
	(void)resp_max;
	memcpy(&e, req, sizeof(e));
	if (!from_job(j, peer, e.pid))
		return -EPERM;
	j->status = e.status;
	j->exited = 1;
	wake = 1;
	return 0;
}

static const struct rpc_op job_ops[NET_OPCODE_MAX] = {
	RPC_OP(P2H_OUTPUT, handle_output),
	RPC_OP(P2H_EXIT, handle_exit),
};

static int spawn(struct job *j, uint8_t *home)
{
	struct h2p_spawn *s = (struct h2p_spawn *)j->spawn;
	struct p2h_spawn r;
	struct timespec ts;
	int ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	s->realtime_ns = (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
	ret = host_rpc(j->h, j->pmon, H2P_SPAWN, j->spawn, j->spawn_len, &r, sizeof(r),
		       SPAWN_TIMEOUT);
	if (ret >= 0 && ret != (int)sizeof(r))
		ret = -EPROTO;
	if (ret < 0)
		return ret;
	j->pid = r.pid;
	j->mm = r.mm;
	*home = r.home;
	return 0;
}

/* The image, in order, one NET_IMAGE_CHUNK per H2M_IMAGE, each answered before the next. */
static int upload(struct job *j, uint8_t home)
{
	uint8_t *req = malloc(sizeof(struct h2m_image) + NET_IMAGE_CHUNK), none;
	int ret = req ? 0 : -ENOMEM;

	for (size_t off = 0; !ret && off < j->image_len; off += NET_IMAGE_CHUNK) {
		struct h2m_image c = { .mm = j->mm, .offset = (uint32_t)off };
		size_t n = j->image_len - off < NET_IMAGE_CHUNK ? j->image_len - off
								: NET_IMAGE_CHUNK;

		memcpy(req, &c, sizeof(c));
		memcpy(req + sizeof(c), j->image + off, n);
		ret = host_rpc(j->h, home, H2M_IMAGE, req, sizeof(c) + n, &none, 0, CHUNK_TIMEOUT);
		ret = ret < 0 ? ret : 0;
	}
	free(req);
	return ret;
}

static void ping_done(void *arg, int status, const void *resp, size_t len)
{
	struct job *j = arg;

	(void)resp;
	(void)len;
	j->pinging = 0;
	if (status < 0 && !j->ping_err)
		j->ping_err = status;
}

/* Echo the pmon now and then: a dead or rebooted one will never send P2H_EXIT. */
static void ping(struct job *j)
{
	uint64_t now = host_now();
	int err;

	if (j->pinging || now - j->ping_ns < PING_INTERVAL)
		return;
	j->ping_ns = now;
	err = rpc_call_start(&j->h->rpc, j->pmon, ANY_ECHO, NULL, 0, PING_TIMEOUT, ping_done, j);
	if (err)
		j->ping_err = err;
	else
		j->pinging = 1;
}

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	wake = 1;
}

static void input_done(void *arg, int status, const void *resp, size_t len)
{
	struct job *j = arg;
	uint32_t taken = 0;

	j->in_busy = 0;
	wake = 1;
	if (status >= 0 && len == sizeof(taken))
		memcpy(&taken, resp, sizeof(taken));
	if (status < 0) {		/* the program is gone, or the pmon: stop feeding it */
		j->in_fd = -1;
		return;
	}
	j->in_off += taken < j->in_len - j->in_off ? taken : j->in_len - j->in_off;
	if (j->in_off == j->in_len && j->in_eof)
		j->in_fd = -1;
	else if (j->in_off < j->in_len)
		j->in_retry = host_now() + INPUT_RETRY;
}

/* Offer the pmon what it has not taken yet (or our end of input). */
static void input_send(struct job *j)
{
	struct h2p_input q = { .pid = j->pid };
	size_t n = j->in_len - j->in_off;

	if (j->in_busy || j->in_fd < 0 || (!n && !j->in_eof) || host_now() < j->in_retry)
		return;
	q.flags = j->in_eof && !n ? H2P_INPUT_EOF : 0;
	memcpy(j->in_buf, &q, sizeof(q));
	memmove(j->in_buf + sizeof(q), j->in_buf + sizeof(q) + j->in_off, n);
	j->in_len = n;
	j->in_off = 0;
	if (!rpc_call_start(&j->h->rpc, j->pmon, H2P_INPUT, j->in_buf, sizeof(q) + n,
			    INPUT_TIMEOUT, input_done, j))
		j->in_busy = 1;
}

/* stdin is readable: take what it has, or its end. */
static void input_read(struct job *j)
{
	ssize_t n = read(j->in_fd, j->in_buf + sizeof(struct h2p_input), NET_INPUT_MAX);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	j->in_eof = n <= 0;
	j->in_len = n > 0 ? (size_t)n : 0;
	j->in_off = 0;
}

static void signal_done(void *arg, int status, const void *resp, size_t len)
{
	(void)arg, (void)status, (void)resp, (void)len;
}

/* Ctrl-C on our terminal: the same for the program's. */
static void forward_sigint(struct job *j)
{
	struct h2p_signal q = { .pid = j->pid, .sig = SIGINT };

	interrupted = 0;
	rpc_call_start(&j->h->rpc, j->pmon, H2P_SIGNAL, &q, sizeof(q), INPUT_TIMEOUT, signal_done,
		       NULL);
}

static void on_sigwinch(int sig)
{
	(void)sig;
	resized = 1;
	wake = 1;
}

/* Our window changed: so does the program's terminal (and it gets SIGWINCH). */
static void forward_winsize(struct job *j)
{
	struct h2p_winsize q = { .pid = j->pid };
	uint16_t rows, cols;

	resized = 0;
	if (!term_size(&rows, &cols))
		return;
	q.rows = rows;
	q.cols = cols;
	rpc_call_start(&j->h->rpc, j->pmon, H2P_WINSIZE, &q, sizeof(q), INPUT_TIMEOUT,
		       signal_done, NULL);
}

/* One turn of the loop: wait for the network, stdin (when we can take more), a signal. */
static void wait_turn(struct job *j, uint64_t until)
{
	bool want_input = j->in_fd >= 0 && !j->in_busy && !j->in_eof && j->in_len == j->in_off;
	uint64_t now = host_now();

	wake = j->exited || interrupted || resized;
	if (j->in_len > j->in_off && j->in_retry > now && j->in_retry < until)
		until = j->in_retry;
	if (host_wait_fd(j->h, &wake, want_input ? j->in_fd : -1, until > now ? until - now : 0)
	    == 1)
		input_read(j);
	if (interrupted)
		forward_sigint(j);
	if (resized)
		forward_winsize(j);
	input_send(j);
}

/* Serve the program's output and input until it exits; 0, or the tool's exit code. */
static int wait_exit(struct job *j, const char *pmon, unsigned timeout_ms)
{
	uint64_t deadline = host_now() + (uint64_t)timeout_ms * 1000000ULL;

	j->ping_ns = host_now();
	signal(SIGINT, on_sigint);
	if (j->terminal) {
		signal(SIGWINCH, on_sigwinch);
		if (term_raw())
			j->terminal = false;
	}
	while (!j->exited && !j->ping_err) {
		uint64_t now = host_now();

		if (now >= deadline) {
			fprintf(stderr, "tessera-net: pid %u on %s still running after %u ms\n",
				j->pid, pmon, timeout_ms);
			return EXIT_TIMEOUT;
		}
		ping(j);
		wait_turn(j, deadline - now < PING_INTERVAL ? deadline : now + PING_INTERVAL);
	}
	if (j->exited)
		return 0;
	fprintf(stderr, "tessera-net: lost %s: %s\n", pmon, strerror(-j->ping_err));
	return EXIT_CLUSTER;
}

/* The status the tool exits with: what a shell would show. */
static int exit_status(const struct job *j)
{
	if (j->status >= 0 && j->status <= 255)
		return j->status;
	fprintf(stderr, "tessera-net: pid %u: exit status %d out of range\n", j->pid, j->status);
	return 255;
}

/* The message layer's errors: the pmon (or its mmon) is unreachable, not the ELF bad. */
static bool lost(int err)
{
	return err == -ETIMEDOUT || err == -ECONNRESET || err == -EHOSTUNREACH;
}

/* Spawn, upload, start, serve: the program's exit status or the tool's exit code. */
static int run_job(struct job *j, const struct opts *o)
{
	const char *pmon = j->pmon_name;
	uint8_t home;
	int err, code;

	err = host_serve(j->h, job_ops, NET_OPCODE_MAX, j);
	if (!err)
		err = spawn(j, &home);
	if (err) {
		fprintf(stderr, "tessera-net: spawn on %s failed: %s\n", pmon, strerror(-err));
		return EXIT_CLUSTER;
	}
	err = upload(j, home);
	if (err) {
		fprintf(stderr, "tessera-net: image upload to node %u failed: %s\n", home,
			strerror(-err));
		return EXIT_CLUSTER;
	}
	err = host_rpc(j->h, j->pmon, H2P_START, &j->pid, sizeof(j->pid), &home, 0, START_TIMEOUT);
	if (err < 0 && lost(err)) {
		fprintf(stderr, "tessera-net: start on %s failed: %s\n", pmon, strerror(-err));
		return EXIT_CLUSTER;
	}
	if (err < 0) {
		fprintf(stderr, "tessera-net: exec failed: %s\n", strerror(-err));
		return EXIT_NOEXEC;
	}
	code = wait_exit(j, pmon, o->timeout_ms ? o->timeout_ms : RUN_TIMEOUT_MS);
	term_restore();
	return code ? code : exit_status(j);
}

static const struct host_peer *peer_by_id(const struct host_ep *h, uint8_t id)
{
	for (unsigned i = 0; i < h->npeers; i++)
		if (h->peers[i].id == id)
			return &h->peers[i];
	return NULL;
}

/*
 * Ask GPM on gmon which pmon should run a process of o->vnode. -EAGAIN, no pmon heard
 * from yet (a cluster just up), is asked again until PLACE_TIMEOUT. The pmon's node id,
 * or a negative errno.
 */
static int ask_gpm(struct host_ep *h, uint8_t gmon, const struct opts *o)
{
	struct h2g_place_proc q = { .vnode = o->vnode };
	uint64_t deadline = host_now() + PLACE_TIMEOUT;
	struct g2h_place_proc r;
	const struct host_peer *p;
	static volatile int never;
	int ret;

	for (;;) {
		ret = host_rpc(h, gmon, H2G_PLACE_PROC, &q, sizeof(q), &r, sizeof(r), PLACE_TIMEOUT);
		if (ret != -EAGAIN || host_now() >= deadline)
			break;
		(void)host_wait(h, &never, PLACE_RETRY);
	}
	if (ret < 0)
		return ret;
	p = peer_by_id(h, r.pmon);
	return ret == (int)sizeof(r) && p && !strcmp(p->role, "pmon") ? r.pmon : -EPROTO;
}

/*
 * `run any`: the pmon GPM chose (noted in the run dir's log), or -1 with a message and
 * the tool's exit code in *code: 2 if the map cannot say (no gmon, a node called
 * "any"), 125 if gmon did not answer with a pmon.
 */
static int place_any(struct host_ep *h, const struct opts *o, int *code)
{
	const struct host_peer *gmon = tool_peer_by_role(h, "gmon");
	int node;

	*code = EXIT_USAGE;
	if (host_peer(h, RUN_ANY)) {
		fprintf(stderr, "tessera-net: a node is called '%s': 'run %s' cannot ask GPM\n",
			RUN_ANY, RUN_ANY);
		return -1;
	}
	if (!gmon) {
		fprintf(stderr, "tessera-net: no gmon in the cluster map to place the program\n");
		return -1;
	}
	*code = EXIT_CLUSTER;
	node = ask_gpm(h, gmon->id, o);
	if (node == -EAGAIN)
		fprintf(stderr, "tessera-net: %s knows no live pmon to run on\n", gmon->name);
	else if (node == -ENOSPC)
		fprintf(stderr, "tessera-net: every pmon is full\n");
	else if (node < 0)
		fprintf(stderr, "tessera-net: placement by %s failed: %s\n", gmon->name,
			strerror(-node));
	else if (h->log != stderr)
		fprintf(h->log, "[%s run] %s placed the program on %s (vnode %u)\n", h->self->name,
			gmon->name, peer_by_id(h, (uint8_t)node)->name, o->vnode);
	return node < 0 ? -1 : node;
}

int tool_run(const struct opts *o)
{
	struct job *j = calloc(1, sizeof(*j));
	struct host_ep h;
	int err, ret = EXIT_USAGE, node;
	bool any = !strcmp(o->words[1], RUN_ANY);

	if (!j)
		return EXIT_USAGE;
	j->in_fd = STDIN_FILENO;
	err = load_image(j, o->words[2]);
	if (err)
		fprintf(stderr, "tessera-net: cannot read %s: %s\n", o->words[2], strerror(-err));
	else if ((err = build_spawn(j, o)))
		fprintf(stderr, "tessera-net: arguments and environment exceed %u bytes\n",
			NET_SPAWN_STRINGS);
	if (err || tool_join(&h, o))
		goto out_free;
	/* The program's stderr is ours: transport notes go to the run dir's log instead. */
	(void)host_log_to_run_dir(&h, o->run_dir);
	node = any ? place_any(&h, o, &ret) : tool_node(&h, o->words[1]);
	if (node >= 0) {
		j->h = &h;
		j->pmon = (uint8_t)node;
		j->pmon_name = peer_by_id(&h, j->pmon)->name;
		ret = run_job(j, o);
		host_flush(&h, FLUSH_TIMEOUT);
	}
	host_close(&h);
out_free:
	free(j->image);
	free(j);
	return ret;
}
