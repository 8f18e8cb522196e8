/* Shared between the tessera-net tool's files (net/host/). */
#ifndef NET_HOST_TOOL_H
#define NET_HOST_TOOL_H

#include "net/host.h"

/* The id of the cluster node called name, or -1 (with a message). */
int tool_node(struct host_ep *h, const char *name);
/* Send node every kind of malformed frame and hostile request; 0 if all were refused. */
int tool_inject(struct host_ep *h, int node);

#endif
