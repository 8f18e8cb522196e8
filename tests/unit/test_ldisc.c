/*
 * Host tests of the terminal's line discipline (pcomponent/ldisc.c): canonical
 * lines and their editing, end of file, echo, the signal characters, raw mode,
 * switching modes, back-pressure and output processing, as Linux's n_tty does.
 */
#include <string.h>
#include "check.h"
#include "pcomponent/ldisc.h"

static struct ldisc ld;
static struct ldisc_effects fx;

static size_t type(const char *s)
{
	return ldisc_receive(&ld, (const uint8_t *)s, strlen(s), &fx);
}

/* What one read of up to n bytes returns, NUL-terminated. */
static const char *read_n(size_t n)
{
	static char buf[LDISC_RING + 1];
	size_t k = ldisc_read(&ld, (uint8_t *)buf, n);

	buf[k] = '\0';
	return buf;
}

static void set_raw(bool echo)
{
	struct linux_termios t = ld.tio;

	t.lflag &= ~(uint32_t)(ICANON | ECHO);
	t.lflag |= echo ? ECHO : 0;
	ldisc_set(&ld, &t);
}

/* Before: a new terminal. After: "ab\r" reads as one line "ab\n", echoed with CR NL mapped. */
static void a_line_is_read_whole_at_return(void)
{
	ldisc_init(&ld);
	CHECK(type("ab") == 2 && !ldisc_readable(&ld));
	CHECK(fx.echo_len == 2 && !memcmp(fx.echo, "ab", 2));
	CHECK(type("\r") == 1 && ldisc_readable(&ld));
	CHECK_STREQ(read_n(100), "ab\n");
	CHECK(!ldisc_readable(&ld));
}

/* Before: two lines typed. After: each read returns one, even with room for both. */
static void a_read_stops_at_the_end_of_a_line(void)
{
	ldisc_init(&ld);
	type("one\ntwo\n");
	CHECK_STREQ(read_n(100), "one\n");
	CHECK_STREQ(read_n(2), "tw");
	CHECK_STREQ(read_n(100), "o\n");
}

/* Before: "abc", erase, "d", word erase and kill typed. After: the line is what is left. */
static void erase_word_erase_and_kill_edit_the_line(void)
{
	ldisc_init(&ld);
	type("abc\177d\n");
	CHECK(fx.echo_len == 8 && !memcmp(fx.echo, "abc\b \bd\n", 8));
	CHECK_STREQ(read_n(100), "abd\n");
	type("one two\027x\n");
	CHECK_STREQ(read_n(100), "one x\n");
	type("gone\025kept\n");
	CHECK_STREQ(read_n(100), "kept\n");
}

/* Before: ^D on an empty line, then a line ended by ^D. After: a read of 0, then "abc". */
static void ctrl_d_ends_input_or_a_line(void)
{
	ldisc_init(&ld);
	type("\004");
	CHECK(ldisc_readable(&ld));
	CHECK_STREQ(read_n(100), "");
	CHECK(!ldisc_readable(&ld));
	type("abc\004");
	CHECK_STREQ(read_n(100), "abc");
}

/* Before: half a line typed. After: ^C flushes it, asks for SIGINT and echoes ^C. */
static void ctrl_c_is_sigint_and_flushes(void)
{
	ldisc_init(&ld);
	type("half");
	CHECK(type("\003more\n") == 1);
	CHECK(fx.sig == SIGINT && fx.echo_len == 2 && !memcmp(fx.echo, "^C", 2));
	type("x\n");
	CHECK_STREQ(read_n(100), "x\n");
	CHECK(type("\034") == 1 && fx.sig == SIGQUIT);
	CHECK(type("\032") == 1 && fx.sig == SIGTSTP);
}

/* Before: ISIG off. After: ^C is an ordinary byte. */
static void without_isig_ctrl_c_is_data(void)
{
	struct linux_termios t;

	ldisc_init(&ld);
	t = ld.tio;
	t.lflag &= ~(uint32_t)ISIG;
	ldisc_set(&ld, &t);
	type("\003\n");
	CHECK(fx.sig == 0);
	CHECK_STREQ(read_n(100), "\003\n");
}

/* Before: raw mode without echo. After: bytes read at once, none echoed. */
static void raw_mode_passes_bytes_at_once(void)
{
	ldisc_init(&ld);
	set_raw(false);
	CHECK(type("q\177") == 2 && fx.echo_len == 0);
	CHECK(ldisc_readable(&ld));
	CHECK_STREQ(read_n(1), "q");
	CHECK_STREQ(read_n(100), "\177");
}

/* Before: "ab" typed in canonical mode. After: going raw makes them readable; back again, one line. */
static void switching_modes_keeps_typed_bytes(void)
{
	ldisc_init(&ld);
	type("ab");
	set_raw(false);
	CHECK_STREQ(read_n(1), "a");
	ldisc_set(&ld, &(struct linux_termios){ .lflag = ICANON, .cc = { [VEOF] = 4 } });
	CHECK(ldisc_readable(&ld));
	CHECK_STREQ(read_n(100), "b");
}

/* Before: echo with ECHOCTL. After: control characters echo as ^X, DEL as ^?. */
static void control_characters_echo_as_caret(void)
{
	ldisc_init(&ld);
	set_raw(true);
	type("\001\177z");
	CHECK(fx.echo_len == 5 && !memcmp(fx.echo, "^A^?z", 5));
}

/* Before: a full ring of raw bytes. After: more input is refused until a read. */
static void a_full_ring_pushes_back(void)
{
	static char big[LDISC_RING + 11];

	ldisc_init(&ld);
	set_raw(false);
	memset(big, 'x', sizeof(big) - 1);
	CHECK(type(big) == LDISC_RING);
	CHECK(type("y") == 0);
	CHECK(strlen(read_n(10)) == 10);
	CHECK(type("y") == 1);
}

/* Before: canonical lines filling the queue. After: the next line ending waits. */
static void too_many_lines_push_back(void)
{
	ldisc_init(&ld);
	for (unsigned i = 0; i < LDISC_LINES; i++)
		CHECK(type("\n") == 1);
	CHECK(type("\n") == 0);
	CHECK_STREQ(read_n(100), "\n");
	CHECK(type("\n") == 1);
}

/*
 * Before: a line longer than the line buffer, fed as the tty does (what is not
 * taken comes again). After: the excess is dropped, and the line still ends.
 */
static void an_overlong_line_is_cut(void)
{
	static char big[LDISC_LINE + 51];
	size_t off = 0;

	ldisc_init(&ld);
	memset(big, 'a', sizeof(big) - 1);
	while (off < sizeof(big) - 1)
		off += type(big + off);
	type("\n");
	CHECK(strlen(read_n(LDISC_RING)) == LDISC_LINE);
}

/* Before: OPOST and ONLCR. After: NL goes out as CR NL; without OPOST, unchanged. */
static void output_maps_nl_to_cr_nl(void)
{
	uint8_t out[16];
	struct linux_termios t;

	ldisc_init(&ld);
	CHECK(ldisc_output(&ld, (const uint8_t *)"a\nb\n", 4, out) == 6);
	CHECK(!memcmp(out, "a\r\nb\r\n", 6));
	t = ld.tio;
	t.oflag = 0;
	ldisc_set(&ld, &t);
	CHECK(ldisc_output(&ld, (const uint8_t *)"a\n", 2, out) == 2);
}

/* Before: IGNCR. After: CR is dropped; with INLCR and no ICRNL, NL becomes CR. */
static void input_cr_nl_mapping(void)
{
	struct linux_termios t;

	ldisc_init(&ld);
	t = ld.tio;
	t.iflag = IGNCR;
	ldisc_set(&ld, &t);
	type("a\r\n");
	CHECK_STREQ(read_n(100), "a\n");
	t.iflag = INLCR;
	t.lflag &= ~(uint32_t)ICANON;
	ldisc_set(&ld, &t);
	type("\n");
	CHECK_STREQ(read_n(100), "\r");
}

/* Before: a flush after typing. After: nothing is left to read. */
static void flush_drops_everything(void)
{
	ldisc_init(&ld);
	type("line\npart");
	ldisc_flush(&ld);
	CHECK(!ldisc_readable(&ld) && ldisc_ready(&ld) == 0);
	type("\n");
	CHECK_STREQ(read_n(100), "\n");
}

static const struct unit_test tests[] = {
	TEST(a_line_is_read_whole_at_return),
	TEST(a_read_stops_at_the_end_of_a_line),
	TEST(erase_word_erase_and_kill_edit_the_line),
	TEST(ctrl_d_ends_input_or_a_line),
	TEST(ctrl_c_is_sigint_and_flushes),
	TEST(without_isig_ctrl_c_is_data),
	TEST(raw_mode_passes_bytes_at_once),
	TEST(switching_modes_keeps_typed_bytes),
	TEST(control_characters_echo_as_caret),
	TEST(a_full_ring_pushes_back),
	TEST(too_many_lines_push_back),
	TEST(an_overlong_line_is_cut),
	TEST(output_maps_nl_to_cr_nl),
	TEST(input_cr_nl_mapping),
	TEST(flush_drops_everything),
};

CHECK_MAIN("ldisc", tests)
