/*
 * Pipes (pcomponent/pipe.c): a 64 KiB ring between a read end and a write end, as
 * Linux's default pipe. Writes of at most PIPE_BUF bytes are atomic; a write with
 * no reader left gets -EPIPE (and SIGPIPE); a read with no writer left gets 0.
 */
#ifndef PCOMPONENT_PIPE_H
#define PCOMPONENT_PIPE_H

#include <stdint.h>

#define PIPE_SIZE 65536
#define PIPE_BUF 4096

struct file;

/* Both ends of a new pipe; flags are O_NONBLOCK (others are the caller's). */
int pipe_create(uint32_t flags, struct file **rd, struct file **wr);

#endif
