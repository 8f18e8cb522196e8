/* net/fabric/port.c: ports and the MAC table. A port is the datagram socket
 * NAME.sock its peer sends to, and a second one connected to the peer's
 * NAME.peer.sock. A peer too slow to read gets a short, bounded backlog. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fabric.h"

#define BACKLOG_MAX	512			/* frames per port */
#define BACKLOG_AGE	(250 * NS_PER_MS)	/* then dropped as full */
#define SNDBUF_BYTES	(4 << 20)

const char *const drop_names[DROP_CAUSES] = {
	[DROP_LOSS] = "loss",
	[DROP_LINK_DOWN] = "link_down",
	[DROP_PARTITION] = "partition",
	[DROP_MALFORMED] = "malformed",
	[DROP_SPOOFED] = "spoofed",
	[DROP_NO_ROUTE] = "no_route",
	[DROP_NO_PEER] = "no_peer",
	[DROP_FULL] = "full",
};

bool port_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > PORT_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_'
		    && name[i] != '-')
			return false;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly "xx:xx:xx:xx:xx:xx"; a port's own MAC must be unicast. */
int mac_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	for (i = 0; i < 6; i++) {
		hi = hexval(s[0]);
		lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return *s || (mac[0] & 1) ? -1 : 0;
}

void mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

int port_find(const struct fabric *f, const char *name)
{
	int i;

	for (i = 0; i < f->nports; i++) {
		if (!strcmp(f->ports[i].name, name))
			return i;
	}
	return -1;
}

/* The port whose MAC mac is, or -1: each port has one, and no other MAC is on the fabric. */
int mac_lookup(const struct fabric *f, const uint8_t mac[6])
{
	int i;

	for (i = 0; i < f->nports; i++) {
		if (!memcmp(f->ports[i].mac, mac, 6))
			return i;
	}
	return -1;
}

static int dgram_socket(char *err, size_t errlen)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0), size = SNDBUF_BYTES;

	if (fd < 0 || fd_nonblock(fd) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Best effort: a large send buffer lets bursts of jumbo frames queue
	 * in the kernel rather than in our backlog. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return fd;
}

static int port_bind(const char *name, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = dgram_socket(err, errlen);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s.sock", name);
	/* A NAME.sock left behind is a dead fabric's: ctl_check() has made
	 * sure no live one uses this directory. */
	unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "bind %s: %s", a.sun_path,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void unlink_sock(const char *name)
{
	char path[PORT_NAME_MAX + 8];

	snprintf(path, sizeof(path), "%s.sock", name);
	unlink(path);
}

static int port_check(const struct fabric *f, const char *name,
		      const uint8_t mac[6], char *err, size_t errlen)
{
	int i = mac_lookup(f, mac);
	char s[18];

	mac_format(mac, s);
	if (!port_name_valid(name))
		snprintf(err, errlen, "bad port name '%.40s': 1..%d of "
			 "A-Za-z0-9_-", name, PORT_NAME_MAX);
	else if (port_find(f, name) >= 0)
		snprintf(err, errlen, "port %s exists", name);
	else if (i >= 0)
		snprintf(err, errlen, "MAC %s belongs to port %s", s,
			 f->ports[i].name);
	else if (f->nports == FABRIC_MAX_PORTS)
		snprintf(err, errlen, "too many ports (at most %d)",
			 FABRIC_MAX_PORTS);
	else
		return 0;
	return -1;
}

/* Returns the new port's index, or -1 with err filled in. */
int port_add(struct fabric *f, const char *name, const uint8_t mac[6],
	     char *err, size_t errlen)
{
	struct port *p = &f->ports[f->nports];
	int fd, tx_fd;
	char s[18];

	if (port_check(f, name, mac, err, errlen) < 0)
		return -1;
	fd = port_bind(name, err, errlen);
	if (fd < 0)
		return -1;
	tx_fd = dgram_socket(err, errlen);
	if (tx_fd < 0) {
		close(fd);
		unlink_sock(name);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	memcpy(p->mac, mac, 6);
	p->fd = fd;
	p->tx_fd = tx_fd;
	p->peer.sun_family = AF_UNIX;
	snprintf(p->peer.sun_path, sizeof(p->peer.sun_path), "%s.peer.sock",
		 name);
	fault_reset(&p->faults);
	mac_format(mac, s);
	flog("port %s: mac %s, listening on %s.sock, sending to %s", name, s,
	     name, p->peer.sun_path);
	return f->nports++;
}

static void capture(struct fabric *f, const uint8_t *data, size_t len)
{
	if (pcap_write(f->pcap, data, len) == 0)
		return;
	flog("pcap: cannot write %s: %s; capture stopped", pcap_path(f->pcap),
	     strerror(errno));
	pcap_close(f->pcap);
	f->pcap = NULL;
}

/* Sending through a socket connected to the peer, rather than sendto(), is
 * what makes poll() report POLLOUT exactly when a full peer reads again. The
 * connection is made on demand and remade once when the peer went away:
 * a restarted QEMU binds a new socket at the same path. */
static bool port_connect(struct port *p)
{
	p->tx_connected = connect(p->tx_fd, (struct sockaddr *)&p->peer,
				  sizeof(p->peer)) == 0;
	return p->tx_connected;
}

/* 0: sent (or dropped and counted); -EAGAIN: the peer's queue is full. */
static int port_send(struct fabric *f, struct port *p, const uint8_t *data,
		     size_t len)
{
	ssize_t n;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (!p->tx_connected && !port_connect(p))
			break;
		n = send(p->tx_fd, data, len, MSG_NOSIGNAL);
		if (n == (ssize_t)len) {
			p->st.frames_out++;
			p->st.bytes_out += len;
			if (f->pcap)
				capture(f, data, len);
			return 0;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK
			      || errno == ENOBUFS || errno == EINTR))
			return -EAGAIN;
		if (n >= 0 || (errno != ECONNREFUSED && errno != ENOTCONN
			       && errno != EPIPE && errno != ECONNRESET)) {
			p->st.drops[DROP_FULL]++;	/* EMSGSIZE and such */
			return 0;
		}
		p->tx_connected = false;
	}
	p->st.drops[DROP_NO_PEER]++;
	return 0;
}

static void backlog_add(struct fabric *f, struct port *p, int in, int out,
			const uint8_t *data, size_t len, struct frame *fr)
{
	if (p->backlog.len >= BACKLOG_MAX) {
		frame_free(f, fr);
		p->st.drops[DROP_FULL]++;
		return;
	}
	if (!fr)
		fr = frame_new(f, in, out, data, len);
	if (!fr) {
		p->st.drops[DROP_FULL]++;
		return;
	}
	fr->due = now_ns() + BACKLOG_AGE;
	fq_push(&p->backlog, fr);
}

/* Send a frame out of port out now, or behind the frames already waiting
 * there. fr, when not NULL, owns data and is consumed. */
void port_transmit(struct fabric *f, int in, int out, const uint8_t *data,
		   size_t len, struct frame *fr)
{
	struct port *p = &f->ports[out];

	if (!p->backlog.len && port_send(f, p, data, len) == 0) {
		frame_free(f, fr);
		return;
	}
	backlog_add(f, p, in, out, data, len, fr);
}

/* Send what the peer has room for now (poll() said POLLOUT). */
void port_retry(struct fabric *f, int port, uint64_t now)
{
	struct port *p = &f->ports[port];
	struct frame *fr;
	int cause;

	while ((fr = p->backlog.head)) {
		cause = switch_blocked(f, fr->in, fr->out);
		if (fr->due <= now)
			cause = DROP_FULL;
		if (cause < 0 && port_send(f, p, fr->data, fr->len) < 0)
			return;
		if (cause >= 0)
			p->st.drops[cause]++;
		frame_free(f, fq_pop(&p->backlog));
	}
}

/* Drop what a peer left unread for BACKLOG_AGE: it may never read again
 * (a VM whose driver is not up), and its frames must not pile up. */
void port_expire(struct fabric *f, uint64_t now)
{
	struct frame_queue *q;
	int i;

	for (i = 0; i < f->nports; i++) {
		q = &f->ports[i].backlog;
		while (q->head && q->head->due <= now) {
			frame_free(f, fq_pop(q));
			f->ports[i].st.drops[DROP_FULL]++;
		}
	}
}

void port_close_all(struct fabric *f)
{
	int i;

	for (i = 0; i < f->nports; i++) {
		fq_drain(f, &f->ports[i].held);
		fq_drain(f, &f->ports[i].backlog);
		close(f->ports[i].fd);
		close(f->ports[i].tx_fd);
		unlink_sock(f->ports[i].name);
	}
	f->nports = 0;
}
