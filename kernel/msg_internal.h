/*
 * Private to kernel/msg.c (the poller, the RPC server, bring-up) and
 * kernel/msg_call.c (the blocking calls monitors make): the node's endpoint and
 * the lock that serializes every call into net/.
 */
#ifndef KERNEL_MSG_INTERNAL_H
#define KERNEL_MSG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/spinlock.h"
#include "net/rpc.h"
#include "net/transport.h"
#include "net/verbs.h"

extern struct spinlock msg_lock;	/* guards msg_ep, msg_client, msg_verbs */
extern struct net_endpoint msg_ep;
extern struct rpc_client msg_client;
extern struct verbs msg_verbs;

/* Wake the poller: a send or call changed what its timers must cover. */
void msg_kick(void);

/* An RPC to this node itself, served in the calling thread (msg.c). */
bool msg_is_self(uint8_t peer);
int msg_serve_self(uint16_t opcode, const void *req, size_t len, void *resp, size_t resp_max);

int msg_raw_init(void);
/* In the poller, under msg_lock: take the reply a msg_raw_echo() waits for. */
bool msg_raw_reply(const void *frame, size_t len);

#endif
