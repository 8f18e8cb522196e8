/*
 * The host's terminal for `tessera-net run`: when our stdin and stdout are one, the
 * program's terminal on the pmon is a real one (pcomponent/tty.c does the line
 * discipline), so ours passes every keystroke raw and is put back at exit, however
 * the tool ends. Linux only (termios, TIOCGWINSZ).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "tool.h"

static struct termios saved;
static int is_raw;

bool term_size(uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}

void term_restore(void)
{
	if (is_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	is_raw = 0;
}

/* A signal that ends the tool gives the terminal back first. */
static void on_fatal(int sig)
{
	term_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int term_raw(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &saved))
		return -1;
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return -1;
	is_raw = 1;
	atexit(term_restore);
	signal(SIGTERM, on_fatal);
	signal(SIGHUP, on_fatal);
	signal(SIGQUIT, on_fatal);
	return 0;
}
