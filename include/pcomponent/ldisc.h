/*
 * A terminal's line discipline (pcomponent/ldisc.c), as Linux's n_tty does it for
 * the flags programs use: canonical lines with erase, word erase, kill and end of
 * file; echo; CR/NL mapping; the signal characters; NL to CR-NL on output. Pure
 * logic on one struct, no locks: the tty (pcomponent/tty.c) holds its lock around
 * every call, and tests/unit/test_ldisc.c runs it on the host.
 */
#ifndef PCOMPONENT_LDISC_H
#define PCOMPONENT_LDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "linux-abi/linux.h"

#define LDISC_LINE 1024			/* bytes of the line being edited */
#define LDISC_RING 4096			/* bytes ready for readers */
#define LDISC_LINES 64			/* complete lines (or ends of file) ready */
#define LDISC_ECHO_MAX (6 * LDISC_LINE + 16)	/* what one input byte may echo, at most */

struct ldisc {
	struct linux_termios tio;
	uint8_t line[LDISC_LINE];	/* canonical: the line being edited */
	uint32_t line_len;
	uint8_t ring[LDISC_RING];	/* bytes readers may take */
	uint32_t head, count;
	uint32_t lines[LDISC_LINES];	/* canonical: lengths of the ready lines, 0: EOF */
	uint32_t first, nlines;
};

/* What receiving input asks of the terminal beyond the bytes it keeps. */
struct ldisc_effects {
	uint8_t echo[LDISC_ECHO_MAX];	/* to write back, before output processing */
	size_t echo_len;
	int sig;			/* a signal for the foreground group, or 0 */
};

/* Linux's defaults for a new terminal: cooked, echoing, with signals. */
void ldisc_init(struct ldisc *l);
/* New settings (TCSETS*); switching in or out of canonical mode keeps typed bytes. */
void ldisc_set(struct ldisc *l, const struct linux_termios *tio);
/*
 * Take typed bytes; how many were taken (the rest must wait for readers). Stops
 * after a signal character, so that its signal goes before later bytes count.
 */
size_t ldisc_receive(struct ldisc *l, const uint8_t *in, size_t n, struct ldisc_effects *fx);
/* Is a read satisfied now (bytes, or an end of file)? */
bool ldisc_readable(const struct ldisc *l);
/* Bytes ready for a read (FIONREAD). */
uint32_t ldisc_ready(const struct ldisc *l);
/* Take up to n bytes for a read: canonical mode stops at a line's end; 0 is EOF. */
size_t ldisc_read(struct ldisc *l, uint8_t *out, size_t n);
/* Drop what was typed and not read (a signal character, TCFLSH). */
void ldisc_flush(struct ldisc *l);
/* Output processing of n bytes into out (room for 2n); the length written. */
size_t ldisc_output(const struct ldisc *l, const uint8_t *in, size_t n, uint8_t *out);

#endif
