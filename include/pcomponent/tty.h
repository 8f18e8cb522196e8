/*
 * The terminal of a program the host started (pcomponent/tty.c): its stdin is what
 * the host sends in H2P_INPUT, its stdout and stderr go to the host as P2H_OUTPUT.
 * Every process forked from that program shares it. The host names it by the pid
 * it spawned; once that process is gone, so is the host, and the terminal hangs up.
 * When the host's own stdin and stdout are a terminal, this is one too: a line
 * discipline with termios, a foreground process group and a window size.
 */
#ifndef PCOMPONENT_TTY_H
#define PCOMPONENT_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tty;
struct file;

enum { TTY_IN, TTY_OUT, TTY_ERR, TTY_RW };	/* streams: 0, 1, 2 and /dev/tty */

/* rows and cols 0: the host's side is not a terminal, so this is not one either. */
struct tty *tty_new(uint8_t host, uint32_t pid, uint16_t rows, uint16_t cols);
void tty_get(struct tty *t);
void tty_put(struct tty *t);
/* A stream as an open file; NULL without memory, or TTY_RW on a non-terminal. */
struct file *tty_open(struct tty *t, unsigned stream);
/* Does peer's H2P_INPUT or H2P_SIGNAL for pid address this terminal? */
bool tty_is(const struct tty *t, uint8_t peer, uint32_t pid);
/* Bytes the host typed (or the end of its input); how many fit, the rest come later. */
size_t tty_input(struct tty *t, const void *bytes, size_t n, bool eof);
/* sig for the foreground process group (the host's Ctrl-C, a new window size). */
void tty_signal(struct tty *t, int sig);
void tty_resize(struct tty *t, uint16_t rows, uint16_t cols);
/* The host is gone: reads see end of file, writes -EIO. */
void tty_hangup(struct tty *t);

#endif
