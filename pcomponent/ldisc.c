/*
 * The line discipline (include/pcomponent/ldisc.h). Typed bytes pass the input
 * flags, then either become a signal, edit the canonical line (which reaches
 * readers whole, at NL, EOL or VEOF), or go straight to readers in raw mode. A
 * ready line's length is queued, so a canonical read never crosses a line's end
 * and an end of file typed on an empty line is a read of 0.
 */
#include "lib/string.h"
#include "pcomponent/ldisc.h"

static const uint8_t default_cc[NCCS] = {
	[VINTR] = 3, [VQUIT] = 28, [VERASE] = 127, [VKILL] = 21, [VEOF] = 4, [VMIN] = 1,
	[VSUSP] = 26, [VWERASE] = 23,
};

void ldisc_init(struct ldisc *l)
{
	memset(l, 0, sizeof(*l));
	l->tio.iflag = ICRNL | IXON;
	l->tio.oflag = OPOST | ONLCR;
	l->tio.cflag = B38400 | CS8 | CREAD | HUPCL;
	l->tio.lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(l->tio.cc, default_cc, sizeof(default_cc));
}

static bool canon(const struct ldisc *l)
{
	return l->tio.lflag & ICANON;
}

static uint32_t room(const struct ldisc *l)
{
	return LDISC_RING - l->count;
}

static void put(struct ldisc *l, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		l->ring[(l->head + l->count + i) % LDISC_RING] = p[i];
	l->count += n;
}

/* Hand the edited line to readers (len 0 with eof: an end of file); false if full. */
static bool push_line(struct ldisc *l)
{
	if (room(l) < l->line_len || l->nlines == LDISC_LINES)
		return false;
	put(l, l->line, l->line_len);
	l->lines[(l->first + l->nlines++) % LDISC_LINES] = l->line_len;
	l->line_len = 0;
	return true;
}

void ldisc_set(struct ldisc *l, const struct linux_termios *tio)
{
	bool was = canon(l);

	l->tio = *tio;
	if (was && !canon(l)) {		/* the edited line is typed bytes now */
		if (room(l) >= l->line_len)
			put(l, l->line, l->line_len);
		l->line_len = 0;
		l->nlines = 0;
	} else if (!was && canon(l) && l->count) {
		l->lines[l->first] = l->count;	/* what was typed raw reads as one line */
		l->nlines = 1;
	}
}

static void echo(struct ldisc_effects *fx, const char *s, size_t n)
{
	memcpy(fx->echo + fx->echo_len, s, n);
	fx->echo_len += n;
}

/* A typed byte as echo shows it: control characters as ^X with ECHOCTL. */
static void echo_char(const struct ldisc *l, struct ldisc_effects *fx, uint8_t c)
{
	if (!(l->tio.lflag & ECHO))
		return;
	if (c < 32 && c != '\n' && c != '\t' && (l->tio.lflag & ECHOCTL)) {
		char s[2] = { '^', (char)(c + 64) };

		echo(fx, s, 2);
	} else if (c == 127 && (l->tio.lflag & ECHOCTL)) {
		echo(fx, "^?", 2);
	} else {
		echo(fx, (const char *)&c, 1);
	}
}

/* Take back the last character of the line, on the screen too. */
static void erase(struct ldisc *l, struct ldisc_effects *fx)
{
	uint8_t c;

	if (!l->line_len)
		return;
	c = l->line[--l->line_len];
	if (!(l->tio.lflag & ECHO))
		return;
	if (!(l->tio.lflag & ECHOE)) {
		echo_char(l, fx, l->tio.cc[VERASE]);
		return;
	}
	echo(fx, "\b \b", 3);
	if (c < 32 && c != '\t' && (l->tio.lflag & ECHOCTL))
		echo(fx, "\b \b", 3);
}

static void erase_word(struct ldisc *l, struct ldisc_effects *fx)
{
	while (l->line_len && (l->line[l->line_len - 1] == ' ' || l->line[l->line_len - 1] == '\t'))
		erase(l, fx);
	while (l->line_len && l->line[l->line_len - 1] != ' ' && l->line[l->line_len - 1] != '\t')
		erase(l, fx);
}

/* The signal a character raises, if ISIG is on and it is one of the three. */
static int signal_of(const struct ldisc *l, uint8_t c)
{
	const uint8_t *cc = l->tio.cc;

	if (!(l->tio.lflag & ISIG) || !c)
		return 0;
	return c == cc[VINTR] ? SIGINT : c == cc[VQUIT] ? SIGQUIT : c == cc[VSUSP] ? SIGTSTP : 0;
}

/* One byte of canonical input; false if it must wait for readers to make room. */
static bool canon_byte(struct ldisc *l, uint8_t c, struct ldisc_effects *fx)
{
	const uint8_t *cc = l->tio.cc;
	uint32_t lflag = l->tio.lflag;

	if (c == cc[VERASE] && c) {
		erase(l, fx);
	} else if (c == cc[VWERASE] && c && (lflag & IEXTEN)) {
		erase_word(l, fx);
	} else if (c == cc[VKILL] && c) {
		while (l->line_len)
			erase(l, fx);
	} else if (c == cc[VEOF] && c) {
		return push_line(l);
	} else if (c == '\n' || (c == cc[VEOL] && c) || (c == cc[VEOL2] && c)) {
		if (l->line_len == LDISC_LINE)
			l->line_len--;	/* a full line still ends */
		l->line[l->line_len++] = c;
		if (!push_line(l)) {
			l->line_len--;
			return false;
		}
		if (c == '\n' && (lflag & ECHONL) && !(lflag & ECHO))
			echo(fx, "\n", 1);
		echo_char(l, fx, c);
	} else if (l->line_len < LDISC_LINE - 1) {
		l->line[l->line_len++] = c;
		echo_char(l, fx, c);
	}
	return true;
}

/* CR and NL as the input flags map them; -1: the byte is dropped. */
static int map_input(const struct ldisc *l, uint8_t c)
{
	uint32_t iflag = l->tio.iflag;

	if (iflag & ISTRIP)
		c &= 0x7f;
	if (c == '\r')
		return iflag & IGNCR ? -1 : iflag & ICRNL ? '\n' : '\r';
	if (c == '\n' && (iflag & INLCR))
		return '\r';
	return c;
}

size_t ldisc_receive(struct ldisc *l, const uint8_t *in, size_t n, struct ldisc_effects *fx)
{
	size_t i;

	fx->echo_len = 0;
	fx->sig = 0;
	for (i = 0; i < n && fx->echo_len + 6 * l->line_len + 16 <= LDISC_ECHO_MAX; i++) {
		int c = map_input(l, in[i]);

		if (c < 0)
			continue;
		fx->sig = signal_of(l, (uint8_t)c);
		if (fx->sig) {
			echo_char(l, fx, (uint8_t)c);
			if (!(l->tio.lflag & NOFLSH))
				ldisc_flush(l);
			return i + 1;
		}
		if (canon(l) ? !canon_byte(l, (uint8_t)c, fx) : !room(l))
			break;
		if (!canon(l)) {
			put(l, &(uint8_t){ (uint8_t)c }, 1);
			echo_char(l, fx, (uint8_t)c);
		}
	}
	return i;
}

bool ldisc_readable(const struct ldisc *l)
{
	return canon(l) ? l->nlines > 0 : l->count > 0;
}

uint32_t ldisc_ready(const struct ldisc *l)
{
	return l->count;
}

size_t ldisc_read(struct ldisc *l, uint8_t *out, size_t n)
{
	size_t k = l->count;

	if (!n)
		return 0;
	if (canon(l)) {
		if (!l->nlines)
			return 0;
		k = l->lines[l->first];
	}
	if (k > n)
		k = n;
	for (size_t i = 0; i < k; i++)
		out[i] = l->ring[(l->head + i) % LDISC_RING];
	l->head = (uint32_t)((l->head + k) % LDISC_RING);
	l->count -= (uint32_t)k;
	if (canon(l)) {
		l->lines[l->first] -= (uint32_t)k;
		if (!l->lines[l->first] || !k) {	/* a line read to its end, or an EOF */
			l->first = (l->first + 1) % LDISC_LINES;
			l->nlines--;
		}
	}
	return k;
}

void ldisc_flush(struct ldisc *l)
{
	l->line_len = 0;
	l->count = 0;
	l->nlines = 0;
}

size_t ldisc_output(const struct ldisc *l, const uint8_t *in, size_t n, uint8_t *out)
{
	bool onlcr = (l->tio.oflag & OPOST) && (l->tio.oflag & ONLCR);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (onlcr && in[i] == '\n')
			out[k++] = '\r';
		out[k++] = in[i];
	}
	return k;
}
