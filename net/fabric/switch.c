/* net/fabric/switch.c: the frame path. A frame read from a port is checked
 * (its source MAC must be the port's own) and its destination looked up or
 * flooded; each delivery passes the link and partition checks, then
 * fault.c's pipeline. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fabric.h"

#define RX_BUDGET	64	/* frames read from one port per wakeup */

/* Why a frame from in may not reach out right now, or -1 if it may. Asked
 * again when a delayed, held or backlogged frame leaves: a link cut or a
 * partition also drops the frames in flight across it. */
int switch_blocked(const struct fabric *f, int in, int out)
{
	if (f->ports[in].down || f->ports[out].down)
		return DROP_LINK_DOWN;
	if (f->partitioned && f->ports[in].group != f->ports[out].group)
		return DROP_PARTITION;
	return -1;
}

/* Drops count on the port that did not get the frame, except that a frame
 * stopped by its sender's down link counts on the sender. */
void switch_drop(struct fabric *f, int in, int out, int cause)
{
	int where = out;

	if (cause == DROP_LINK_DOWN && !f->ports[out].down)
		where = in;
	f->ports[where].st.drops[cause]++;
}

/* Frames held back on port out leave right behind the next frame sent
 * there: that frame overtook them. */
static void release_held(struct fabric *f, int out)
{
	struct frame *fr;
	int cause;

	while ((fr = fq_pop(&f->ports[out].held))) {
		cause = switch_blocked(f, fr->in, out);
		if (cause >= 0) {
			switch_drop(f, fr->in, out, cause);
			frame_free(f, fr);
			continue;
		}
		port_transmit(f, fr->in, out, fr->data, fr->len, fr);
	}
}

void switch_send(struct fabric *f, int in, int out, const uint8_t *data,
		 size_t len, struct frame *fr)
{
	port_transmit(f, in, out, data, len, fr);
	release_held(f, out);
}

/* Hold deadlines never decrease along a port's held queue, so the head is
 * always the first to expire even after `reorder` changes the hold time. */
void switch_hold(struct fabric *f, struct frame *fr, uint64_t now)
{
	struct frame_queue *q = &f->ports[fr->out].held;

	fr->due = now + fr->hold_ns;
	if (q->tail && q->tail->due > fr->due)
		fr->due = q->tail->due;
	fq_push(q, fr);
}

/* A delayed frame's time has come. */
void switch_release(struct fabric *f, struct frame *fr)
{
	int cause = switch_blocked(f, fr->in, fr->out);

	if (cause >= 0) {
		switch_drop(f, fr->in, fr->out, cause);
		frame_free(f, fr);
	} else if (fr->hold_ns) {
		switch_hold(f, fr, now_ns());
	} else {
		switch_send(f, fr->in, fr->out, fr->data, fr->len, fr);
	}
}

/* Held frames nobody overtook within their hold time leave anyway. */
void switch_expire_held(struct fabric *f, uint64_t now)
{
	struct frame_queue *q;
	struct frame *fr;
	int i, cause;

	for (i = 0; i < f->nports; i++) {
		q = &f->ports[i].held;
		while (q->head && q->head->due <= now) {
			fr = fq_pop(q);
			cause = switch_blocked(f, fr->in, i);
			if (cause >= 0) {
				switch_drop(f, fr->in, i, cause);
				frame_free(f, fr);
			} else {
				port_transmit(f, fr->in, i, fr->data, fr->len,
					      fr);
			}
		}
	}
}

static void deliver(struct fabric *f, int in, int out, const uint8_t *data,
		    size_t len)
{
	int cause = switch_blocked(f, in, out);

	if (cause >= 0)
		switch_drop(f, in, out, cause);
	else
		fault_deliver(f, in, out, data, len);
}

static void flood(struct fabric *f, int in, const uint8_t *data, size_t len)
{
	int out;

	for (out = 0; out < f->nports; out++) {
		if (out != in)
			deliver(f, in, out, data, len);
	}
}

/* A source MAC with the group bit set is no station's: such a frame is
 * malformed. Port security, as a datacenter switch has it: a port sends only
 * from its own MAC (a host endpoint's is the one it joined with), so a frame
 * from any other is spoofed, and neither delivered nor learned. */
static void switch_frame(struct fabric *f, int in, const uint8_t *data,
			 size_t len)
{
	struct port *p = &f->ports[in];
	int out;

	p->st.frames_in++;
	p->st.bytes_in += len;
	if (len < FRAME_MIN || len > FRAME_MAX || (data[6] & 1)) {
		p->st.drops[DROP_MALFORMED]++;
		return;
	}
	if (memcmp(data + 6, p->mac, 6)) {
		p->st.drops[DROP_SPOOFED]++;
		return;
	}
	if (p->down) {
		p->st.drops[DROP_LINK_DOWN]++;
		return;
	}
	out = (data[0] & 1) ? -1 : mac_lookup(f, data);
	if (out < 0)
		flood(f, in, data, len);
	else if (out == in)
		p->st.drops[DROP_NO_ROUTE]++;
	else
		deliver(f, in, out, data, len);
}

/* Read what port in's peer sent, up to RX_BUDGET frames so that one busy
 * port cannot starve the others. MSG_TRUNC makes Linux return a datagram's
 * real length; elsewhere a too long one fills the buffer, which is one byte
 * larger than the largest frame. Either way it is counted as malformed. */
void switch_receive(struct fabric *f, int in)
{
	static uint8_t buf[FRAME_MAX + 1];
	ssize_t n;
	int i;

	for (i = 0; i < RX_BUDGET; i++) {
		n = recv(f->ports[in].fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK
			    && errno != EINTR)
				flog("port %s: recv: %s", f->ports[in].name,
				     strerror(errno));
			return;
		}
		switch_frame(f, in, buf, (size_t)n);
	}
}
