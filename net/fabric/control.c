/* net/fabric/control.c: the control socket control.sock, a unix stream
 * listener with up to CTL_MAX_CLIENTS connections speaking a line protocol
 * (command.c runs each line). Replies are buffered: no client blocks us. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fabric.h"

#define CTL_PATH	"control.sock"
#define CTL_LINE_MAX	4096		/* a command line, newline included */
#define CTL_OUT_MAX	(1 << 20)	/* unread replies before we hang up */

struct ctl_client {
	int fd;
	char in[CTL_LINE_MAX];
	size_t inlen;
	bool overlong;		/* skipping the rest of a too-long line */
	bool eof;		/* the client closed its side */
	bool broken;		/* unreadable replies piled up: hang up */
	char *out;
	size_t outlen, outcap;
};

static int ctl_addr(struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", CTL_PATH);
	return sizeof(*a);
}

/* A control.sock that accepts a connection belongs to a live fabric: leave
 * it alone. One that refuses is a dead fabric's leftover. */
static bool fabric_running(void)
{
	struct sockaddr_un a;
	socklen_t len = (socklen_t)ctl_addr(&a);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool live;

	if (fd < 0)
		return false;
	live = connect(fd, (struct sockaddr *)&a, len) == 0;
	close(fd);
	return live;
}

/* Before touching any socket of the directory: -1 if a live fabric owns it. */
int ctl_check(void)
{
	if (!fabric_running())
		return 0;
	fprintf(stderr, "fabric: another fabric is running in this directory (its %s "
		"answers)\n", CTL_PATH);
	return -1;
}

/* Bound last: a control.sock that answers means every port is bound (ready). */
int ctl_open(struct fabric *f)
{
	struct sockaddr_un a;
	socklen_t len = (socklen_t)ctl_addr(&a);
	int fd;

	unlink(CTL_PATH);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || fd_nonblock(fd) < 0
	    || bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 8) < 0) {
		fprintf(stderr, "fabric: %s: %s\n", CTL_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f->ctl_fd = fd;
	return 0;
}

void ctl_printf(struct ctl_client *c, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	need = c->outlen + (size_t)n + 1;
	if (n < 0 || need > CTL_OUT_MAX) {
		c->broken = true;
		return;
	}
	if (need > c->outcap) {
		out = realloc(c->out, need * 2);
		if (!out) {
			c->broken = true;
			return;
		}
		c->out = out;
		c->outcap = need * 2;
	}
	va_start(ap, fmt);
	vsnprintf(c->out + c->outlen, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->outlen += (size_t)n;
}

static void client_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->outlen && !c->broken) {
		n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->broken = true;
			return;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

/* Run every complete line in the input buffer and keep the partial rest.
 * A line longer than CTL_LINE_MAX gets one error, and is skipped to its
 * end. */
static void client_lines(struct fabric *f, struct ctl_client *c)
{
	char *start = c->in, *nl;
	size_t rest;

	while (!f->quit && (nl = memchr(start, '\n',
					 c->inlen - (size_t)(start - c->in)))) {
		*nl = '\0';
		if (!c->overlong)
			cmd_run(f, c, start);
		c->overlong = false;
		start = nl + 1;
	}
	rest = c->inlen - (size_t)(start - c->in);
	if (rest == sizeof(c->in)) {
		if (!c->overlong)
			ctl_printf(c, "error line too long (at most %d bytes)\n",
				   CTL_LINE_MAX - 1);
		c->overlong = true;
		rest = 0;
	}
	memmove(c->in, start, rest);
	c->inlen = rest;
}

static void client_read(struct fabric *f, struct ctl_client *c)
{
	ssize_t n;

	while (!c->eof && !f->quit) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->eof = true;
			return;
		}
		c->inlen += (size_t)n;
		client_lines(f, c);
	}
}

static void client_close(struct fabric *f, int slot)
{
	struct ctl_client *c = f->clients[slot];

	close(c->fd);
	free(c->out);
	free(c);
	f->clients[slot] = NULL;
}

static void ctl_accept(struct fabric *f)
{
	struct ctl_client *c;
	int fd, slot;

	while ((fd = accept(f->ctl_fd, NULL, NULL)) >= 0) {
		for (slot = 0; slot < CTL_MAX_CLIENTS; slot++) {
			if (!f->clients[slot])
				break;
		}
		c = slot < CTL_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c || fd_nonblock(fd) < 0) {
			dprintf(fd, "error too many control connections "
				"(at most %d)\n", CTL_MAX_CLIENTS);
			close(fd);
			free(c);
			continue;
		}
		c->fd = fd;
		f->clients[slot] = c;
	}
}

int ctl_pollfds(const struct fabric *f, struct pollfd *pfd)
{
	const struct ctl_client *c;
	int i, n = 1;

	pfd[0] = (struct pollfd){ .fd = f->ctl_fd, .events = POLLIN };
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		c = f->clients[i];
		if (!c)
			continue;
		pfd[n].fd = c->fd;
		pfd[n].events = (short)((c->eof ? 0 : POLLIN)
					| (c->outlen ? POLLOUT : 0));
		pfd[n++].revents = 0;
	}
	return n;
}

/* pfd is what ctl_pollfds() filled in: the listener, then each client in
 * slot order. Only accept() fills slots, and it runs last. */
void ctl_service(struct fabric *f, const struct pollfd *pfd, int n)
{
	struct ctl_client *c;
	int i, k = 1;

	for (i = 0; i < CTL_MAX_CLIENTS && k < n; i++) {
		c = f->clients[i];
		if (!c)
			continue;
		if (pfd[k++].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(f, c);
		client_flush(c);
		if (c->broken || (c->eof && !c->outlen))
			client_close(f, i);
	}
	if (pfd[0].revents & POLLIN)
		ctl_accept(f);
}

/* On the way out: a last try to deliver pending replies ("ok bye"). */
void ctl_close(struct fabric *f)
{
	int i;

	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (f->clients[i]) {
			client_flush(f->clients[i]);
			client_close(f, i);
		}
	}
	if (f->ctl_fd >= 0) {
		close(f->ctl_fd);
		unlink(CTL_PATH);
		f->ctl_fd = -1;
	}
}
