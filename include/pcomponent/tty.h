/*
 * The terminal of a program the host started (pcomponent/tty.c): its stdin is what
 * the host sends in H2P_INPUT, its stdout and stderr go to the host as P2H_OUTPUT.
 * Every process forked from that program shares it. The host names it by the pid
 * it spawned; once that process is gone, so is the host, and the terminal hangs up.
 */
#ifndef PCOMPONENT_TTY_H
#define PCOMPONENT_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tty;
struct file;

struct tty *tty_new(uint8_t host, uint32_t pid);
void tty_get(struct tty *t);
void tty_put(struct tty *t);
/* Stream 0 (input), 1 or 2 (output to the host's stdout or stderr) as an open file. */
struct file *tty_open(struct tty *t, unsigned stream);
/* Does peer's H2P_INPUT or H2P_SIGNAL for pid address this terminal? */
bool tty_is(const struct tty *t, uint8_t peer, uint32_t pid);
/* Bytes the host typed (or the end of its input); how many fit, the rest come later. */
size_t tty_input(struct tty *t, const void *bytes, size_t n, bool eof);
/* The host is gone: reads see end of file, writes -EIO. */
void tty_hangup(struct tty *t);

#endif
