/*
 * tessera-net: the host's window on the message layer of a running cluster. It
 * joins the fabric as a host entry of the cluster map and talks to monitors:
 * echo RPCs, node-to-node probes, one-sided READs, counters, malformed frames;
 * it also runs programs on a vNode (run.c) and reads the memory side's counters
 * (mem.c). Output is key=value lines, for people and for tests/benchmarks alike.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/host.h"
#include "net/probe.h"
#include "net/stats.h"
#include "tool.h"

#define SEC 1000000000ULL
#define PROBE_TIMEOUT_MS 2000

static const char usage[] =
	"usage: tessera-net [--run-dir DIR] [--as HOST] COMMAND ...\n"
	"  echo NODE [--size N] [--count N]      echo RPCs from the host to NODE\n"
	"  probe NODE PEER raw|rpc|read|stream [--size N] [--count N] [--timeout-ms N]\n"
	"                                        NODE runs the operations against PEER\n"
	"  read NODE [--size N] [--offset N]     one-sided READ of NODE's probe region\n"
	"  stats NODE [PEER]                     NODE's counters (of one peer, or all)\n"
	"  inject NODE                           malformed frames and hostile requests\n"
	"  forge NODE [--count N] [--seed S]     sealed frames that lie: identities, epochs,\n"
	"                                        psns, kinds, opcodes, lengths\n"
	"  place GMON MM VREGION|home            ask GMM which mComponent holds it\n"
	"  run PMON|any [--vnode N] [--timeout-ms N] [--env K=V]... ELF [ARG...]\n"
	"                                        run ELF on PMON (any: the pmon GPM on\n"
	"                                        gmon picks), stream its output, exit\n"
	"                                        with its status\n"
	"  exstats PMON [PID]                    ExCache counters (of PID, or the node)\n"
	"  memstats MMON                         the mComponent's page store counters\n"
	"  fetch MMON MM VA [--write]            a forged page fetch (it must be refused)\n"
	"  fs put VNODE FILE PATH                copy FILE to PATH on the vNode's disk\n"
	"  fs get VNODE PATH [FILE]              copy PATH out (to standard output)\n"
	"  fs ls|stat|mkdir|rm VNODE PATH        list, describe, make or remove PATH\n"
	"  fs inject VNODE PATH                  hostile file requests around the file PATH\n";

static const char *const kinds[] = { [PROBE_RAW] = "raw", [PROBE_RPC] = "rpc",
				     [PROBE_READ] = "read", [PROBE_STREAM] = "stream" };

int tool_node(struct host_ep *h, const char *name)
{
	const struct host_peer *p = host_peer(h, name);

	if (!p) {
		fprintf(stderr, "tessera-net: no node '%s' in the cluster map\n", name);
		return -1;
	}
	return p->id;
}

static int cmd_echo(struct host_ep *h, int node, const struct opts *o)
{
	uint8_t *req = malloc(o->size + 1), *resp = malloc(o->size + 1);
	uint64_t total = 0, min = UINT64_MAX;
	unsigned ok = 0;
	int ret = 0;

	for (unsigned n = 0; req && resp && n < o->count; n++) {
		uint64_t start = host_now(), t;

		for (unsigned i = 0; i < o->size; i++)
			req[i] = probe_byte(i + n);
		ret = host_rpc(h, (uint8_t)node, ANY_ECHO, req, o->size, resp, o->size, 5 * SEC);
		if (ret != (int)o->size || memcmp(req, resp, o->size))
			break;
		t = host_now() - start;
		total += t;
		min = t < min ? t : min;
		ok++;
	}
	free(req);
	free(resp);
	printf("ok=%u count=%u size=%u min_us=%.1f avg_us=%.1f\n", ok, o->count, o->size,
	       ok ? min / 1e3 : 0.0, ok ? total / 1e3 / ok : 0.0);
	if (ok != o->count)
		fprintf(stderr, "tessera-net: echo %u failed (%d)\n", ok, ret);
	return ok == o->count ? 0 : 1;
}

static int parse_kind(const char *s)
{
	for (unsigned k = 1; k < PROBE_KIND_MAX; k++)
		if (!strcmp(s, kinds[k]))
			return (int)k;
	return -1;
}

static int cmd_probe(struct host_ep *h, int node, int peer, int kind, const struct opts *o)
{
	unsigned timeout_ms = o->timeout_ms ? o->timeout_ms : PROBE_TIMEOUT_MS;
	struct probe_req q = { .peer = (uint8_t)peer, .kind = (uint8_t)kind, .size = o->size,
			       .count = o->count, .timeout_ms = timeout_ms };
	struct probe_resp r;
	uint64_t budget = (uint64_t)o->count * timeout_ms * 1000000ULL + 30 * SEC;
	int ret = host_rpc(h, (uint8_t)node, ANY_PROBE, &q, sizeof(q), &r, sizeof(r), budget);

	if (ret != (int)sizeof(r)) {
		fprintf(stderr, "tessera-net: probe failed (%d: %s)\n", ret, strerror(-ret));
		return 1;
	}
	printf("kind=%s size=%u count=%u ok=%u failed=%u bad_data=%u first_err=%d total_ns=%llu "
	       "min_ns=%llu median_ns=%llu p99_ns=%llu max_ns=%llu\n", kinds[kind], o->size,
	       o->count, r.ok, r.failed, r.bad_data, r.first_err,
	       (unsigned long long)r.total_ns, (unsigned long long)r.min_ns,
	       (unsigned long long)r.median_ns, (unsigned long long)r.p99_ns,
	       (unsigned long long)r.max_ns);
	return r.ok == o->count ? 0 : 1;
}

static int cmd_read(struct host_ep *h, int node, const struct opts *o)
{
	struct netinfo_resp info;
	uint8_t *buf = malloc(o->size + 1);
	int ret = host_rpc(h, (uint8_t)node, ANY_NETINFO, NULL, 0, &info, sizeof(info), 5 * SEC);
	unsigned bad = 0;

	if (ret == (int)sizeof(info) && buf)
		ret = host_read(h, (uint8_t)node, info.probe_key, o->offset, buf, o->size, 5 * SEC);
	for (int i = 0; i < ret; i++)
		bad += buf[i] != probe_byte(o->offset + (uint64_t)i);
	free(buf);
	if (ret < 0) {
		printf("read=error err=%d\n", ret);
		return 1;
	}
	printf("read=%d bad_bytes=%u\n", ret, bad);
	return bad || ret != (int)o->size;
}

static int cmd_stats(struct host_ep *h, int node, int peer)
{
	uint8_t which = peer < 0 ? 0xff : (uint8_t)peer;
	struct net_stats s;
	int ret = host_rpc(h, (uint8_t)node, ANY_NETSTATS, &which, 1, &s, sizeof(s), 5 * SEC);

	if (ret != (int)sizeof(s)) {
		fprintf(stderr, "tessera-net: stats failed (%d)\n", ret);
		return 1;
	}
	for (unsigned c = 0; c < NET_C_MAX; c++)
		printf("%s=%llu\n", net_counter_name(c), (unsigned long long)s.c[c]);
	return 0;
}

static const char *node_name(const struct host_ep *h, uint8_t id)
{
	for (unsigned i = 0; i < h->npeers; i++)
		if (h->peers[i].id == id)
			return h->peers[i].name;
	return "none";
}

static int cmd_place(struct host_ep *h, int gmon, const char *mm, const char *vregion)
{
	struct x2g_place q = { .mm = (uint32_t)strtoul(mm, NULL, 0) };
	struct g2x_place r;
	int ret;

	q.vregion = strcmp(vregion, "home") ? (uint32_t)strtoul(vregion, NULL, 0)
					    : X2G_PLACE_HOME;
	ret = host_rpc(h, (uint8_t)gmon, X2G_PLACE, &q, sizeof(q), &r, sizeof(r), 5 * SEC);
	if (ret != (int)sizeof(r)) {
		printf("place=error err=%d\n", ret);
		return 1;
	}
	printf("owner=%s backup=%s\n", node_name(h, r.owner), node_name(h, r.backup));
	return 0;
}

static int parse_opt(int c, struct opts *o)
{
	switch (c) {
	case 'r': o->run_dir = optarg; break;
	case 'a': o->as = optarg; break;
	case 's': o->size = (unsigned)strtoul(optarg, NULL, 0); break;
	case 'c': o->count = (unsigned)strtoul(optarg, NULL, 0); break;
	case 't': o->timeout_ms = (unsigned)strtoul(optarg, NULL, 0); break;
	case 'o': o->offset = strtoull(optarg, NULL, 0); break;
	case 'S': o->seed = strtoull(optarg, NULL, 0); break;
	case 'v': o->vnode = (unsigned)strtoul(optarg, NULL, 0); break;
	case 'w': o->write = true; break;
	case 'e':
		if (o->nenv == TOOL_ENVS)
			return -1;
		o->env[o->nenv++] = optarg;
		break;
	default: return -1;
	}
	return 0;
}

/* run PMON|any ELF: the words after ELF are the program's, dashes and all. */
static bool program_args(const struct opts *o)
{
	return o->nwords >= 3 && !strcmp(o->words[0], "run");
}

/*
 * Options may come anywhere among the words (`echo NODE --size 8`), so getopt
 * stops at each word ("+") and we collect it, until a run's program arguments.
 */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'r' }, { "as", required_argument, NULL, 'a' },
		{ "size", required_argument, NULL, 's' }, { "count", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "offset", required_argument, NULL, 'o' },
		{ "vnode", required_argument, NULL, 'v' }, { "env", required_argument, NULL, 'e' },
		{ "write", no_argument, NULL, 'w' }, { "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};

	*o = (struct opts){ .run_dir = "run", .size = 64, .count = 1, .vnode = 1, .seed = 1 };
	o->words = calloc((size_t)argc, sizeof(*o->words));
	while (o->words && optind < argc) {
		if (program_args(o) || !strcmp(argv[optind], "--")) {
			optind += !program_args(o);
			while (optind < argc)
				o->words[o->nwords++] = argv[optind++];
			break;
		}
		if (argv[optind][0] != '-' || !argv[optind][1]) {
			o->words[o->nwords++] = argv[optind++];
			continue;
		}
		if (parse_opt(getopt_long(argc, argv, "+", longopts, NULL), o))
			return -1;
	}
	return o->words && o->nwords && o->count && o->size <= PROBE_SIZE_MAX ? 0 : -1;
}

int tool_join(struct host_ep *h, const struct opts *o)
{
	int err = host_open(h, o->run_dir, o->as);

	if (!err)
		return 0;
	fprintf(stderr, "tessera-net: cannot join the cluster in %s: %s\n", o->run_dir,
		strerror(-err));
	return -1;
}

const struct host_peer *tool_peer_by_role(const struct host_ep *h, const char *role)
{
	for (unsigned i = 0; i < h->npeers; i++)
		if (!strcmp(h->peers[i].role, role))
			return &h->peers[i];
	return NULL;
}

/* Dispatch argv (after the options) to a command; 2 on usage errors. */
static int run(struct host_ep *h, int argc, char **argv, const struct opts *o)
{
	const char *cmd = argv[0];
	int node, peer, kind, ret;

	if (!strcmp(cmd, "fs")) {
		ret = tool_fs(h, argc, argv);
		if (ret == 2)
			fputs(usage, stderr);
		return ret;
	}
	node = argc > 1 ? tool_node(h, argv[1]) : -1;
	if (node < 0)
		return 2;
	if (!strcmp(cmd, "echo"))
		return cmd_echo(h, node, o);
	if (!strcmp(cmd, "read"))
		return cmd_read(h, node, o);
	if (!strcmp(cmd, "inject"))
		return tool_inject(h, node);
	if (!strcmp(cmd, "forge"))
		return tool_forge(h, node, o->count, o->seed);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(h, node, argc > 2 ? tool_node(h, argv[2]) : -1);
	if (!strcmp(cmd, "place") && argc == 4)
		return cmd_place(h, node, argv[2], argv[3]);
	if (!strcmp(cmd, "exstats") && argc <= 3)
		return tool_exstats(h, node, argc > 2 ? argv[2] : "0");
	if (!strcmp(cmd, "memstats") && argc == 2)
		return tool_memstats(h, node);
	if (!strcmp(cmd, "fetch") && argc == 4)
		return tool_fetch(h, node, argv[2], argv[3], o->write);
	if (!strcmp(cmd, "probe") && argc == 4) {
		peer = tool_node(h, argv[2]);
		kind = parse_kind(argv[3]);
		if (peer < 0 || kind < 0)
			return 2;
		return cmd_probe(h, node, peer, kind, o);
	}
	fputs(usage, stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct host_ep h;
	struct opts o;
	int ret;

	if (parse_opts(argc, argv, &o)) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(o.words[0], "run")) {
		if (o.nwords >= 3)
			return tool_run(&o);
		fputs(usage, stderr);
		return 2;
	}
	if (tool_join(&h, &o))
		return 2;
	ret = run(&h, o.nwords, o.words, &o);
	host_close(&h);
	return ret;
}
