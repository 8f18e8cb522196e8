/*
 * What the storage monitor's files share: the mounted file system behind one
 * sleeping lock (disk.c) and the RPC handlers serve.c puts in monitor.c's table.
 */
#ifndef SCOMPONENT_SMON_H
#define SCOMPONENT_SMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/config.h"
#include "net/protocol.h"
#include "net/wire.h"
#include "scomponent/tfs.h"

/*
 * Mount the disk's file system (formatting a blank disk first), then commit it and
 * report it to GSM every few seconds. -EUCLEAN: the disk holds something that is
 * not a sound tfs image; it is left untouched and nothing is served.
 */
int disk_start(const struct node_config *cfg);
/* The file system, held exclusively until disk_put(); NULL if none is mounted. */
struct tfs *disk_get(void);
void disk_put(void);

/* monitor.c: is node an mComponent (the only clients of the file service)? */
bool smon_is_mmon(uint8_t node);

#define SMON_HANDLER(name) \
	int name(void *ctx, uint8_t peer, const void *req, size_t len, void *resp, size_t resp_max)
#define SERVE_HANDLER(op) SMON_HANDLER(serve_##op);
X2S_REQUESTS(SERVE_HANDLER)

#endif
