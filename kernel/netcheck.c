/*
 * The boot-time network check (with selftest=1, after the ready line): an echo RPC
 * to every other node of the cluster map, retried while that node may still be
 * booting, then one PASS or FAIL line for the integration tests.
 */
#define LOG_SUBSYS "netcheck"
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "kernel/selftest.h"
#include "kernel/time.h"
#include "lib/string.h"

#define ECHO_BYTES	256
#define CALL_TIMEOUT	(2 * NSEC_PER_SEC)
#define PEER_DEADLINE	(60 * NSEC_PER_SEC)

/* Echo a pattern off peer until it answers correctly or the deadline passes. */
static int echo_peer(uint8_t peer, uint64_t deadline)
{
	uint8_t req[ECHO_BYTES], resp[ECHO_BYTES];
	int ret;

	for (unsigned i = 0; i < sizeof(req); i++)
		req[i] = (uint8_t)(i * 7 + peer);
	do {
		ret = msg_rpc(peer, ANY_ECHO, req, sizeof(req), resp, sizeof(resp), CALL_TIMEOUT);
		if (ret == (int)sizeof(req))
			return memcmp(req, resp, sizeof(req)) ? -EIO : 0;
		if (ret >= 0)
			return -EIO;
		sleep_ns(100 * NSEC_PER_MSEC);
	} while (clock_ns() < deadline);
	return ret;
}

void netcheck_run(const struct node_config *cfg)
{
	uint64_t deadline = clock_ns() + PEER_DEADLINE;
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->npeers; i++) {
		uint8_t peer = cfg->peers[i].id;
		int err;

		if (peer == cfg->id || cfg->peers[i].role == ROLE_HOST)
			continue;
		err = echo_peer(peer, deadline);
		if (err) {
			pr_err("TESSERA NETCHECK FAIL peer=%u (%s) err=%d", peer,
			       cfg->peers[i].name, err);
			return;
		}
		n++;
	}
	pr_info("TESSERA NETCHECK PASS peers=%u", n);
}
