/* net/fabric/command.c: the control protocol's commands. A line is split
 * into words, checked against the command table, then run; the reply is any
 * data lines, then one status line: "ok ..." or "error <why>". */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric.h"

#define MAX_WORDS	(FABRIC_MAX_PORTS + 8)
#define MAX_MS		60000.0
#define LOG_LINE_MAX	200	/* of a command, in the log */

struct reply {
	char msg[512];
};

struct command {
	const char *name;
	int min, max;		/* words after the name, "on PORT" included */
	int (*run)(struct fabric *f, struct ctl_client *c, int argc,
		   char **argv, struct reply *r);
	bool quiet;		/* only reads state: not logged */
	const char *usage;
	const char *help;
};

static int ok(struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int err(struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ok(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return 0;
}

static int err(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_number(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_fraction(const char *what, const char *s, double *out,
			  struct reply *r)
{
	if (parse_number(s, 0, 1, out) < 0)
		return err(r, "%s: '%.40s' is not a fraction 0..1", what, s);
	return 0;
}

static int parse_ms(const char *what, const char *s, double lo, double *out,
		    struct reply *r)
{
	if (parse_number(s, lo, MAX_MS, out) < 0)
		return err(r, "%s: '%.40s' is not a time in ms, %g..%g", what,
			   s, lo, MAX_MS);
	return 0;
}

/* The faults a command sets: the switch's, or with a trailing "on PORT"
 * that port's link (frames to and from it). Strips those two words. */
static int scope_of(struct fabric *f, int *argc, char **argv,
		    struct faults **fl, const char **name, struct reply *r)
{
	int n = *argc, p;

	*fl = &f->global;
	*name = "global";
	if (n < 3 || strcmp(argv[n - 2], "on"))
		return 0;
	p = port_find(f, argv[n - 1]);
	if (p < 0)
		return err(r, "no port named '%.40s'", argv[n - 1]);
	*fl = &f->ports[p].faults;
	*name = f->ports[p].name;
	*argc = n - 2;
	return 0;
}

static const struct command *command_find(const char *name);

static int usage(const char *name, struct reply *r)
{
	return err(r, "usage: %s", command_find(name)->usage);
}

static int cmd_rate(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	struct faults *fl;
	const char *scope;
	double v, *field;

	(void)c;
	if (scope_of(f, &argc, argv, &fl, &scope, r) < 0)
		return -1;
	if (argc != 2)
		return usage(argv[0], r);
	if (parse_fraction(argv[0], argv[1], &v, r) < 0)
		return -1;
	if (!strcmp(argv[0], "loss"))
		field = &fl->loss;
	else if (!strcmp(argv[0], "dup"))
		field = &fl->dup;
	else
		field = &fl->corrupt;
	*field = v;
	return ok(r, "%s=%g scope=%s", argv[0], v, scope);
}

static int cmd_reorder(struct fabric *f, struct ctl_client *c, int argc,
		       char **argv, struct reply *r)
{
	double rate, hold = 10.0;
	struct faults *fl;
	const char *scope;

	(void)c;
	if (scope_of(f, &argc, argv, &fl, &scope, r) < 0)
		return -1;
	if (argc < 2 || argc > 3)
		return usage(argv[0], r);
	if (parse_fraction(argv[0], argv[1], &rate, r) < 0)
		return -1;
	if (argc == 3 && parse_ms("reorder hold", argv[2], 0.001, &hold, r) < 0)
		return -1;
	fl->reorder = rate;
	fl->hold_ms = hold;
	return ok(r, "reorder=%g hold_ms=%g scope=%s", rate, hold, scope);
}

static int cmd_delay(struct fabric *f, struct ctl_client *c, int argc,
		     char **argv, struct reply *r)
{
	double delay, jitter = 0;
	struct faults *fl;
	const char *scope;

	(void)c;
	if (scope_of(f, &argc, argv, &fl, &scope, r) < 0)
		return -1;
	if (argc < 2 || argc > 3)
		return usage(argv[0], r);
	if (parse_ms(argv[0], argv[1], 0, &delay, r) < 0)
		return -1;
	if (argc == 3 && parse_ms("delay jitter", argv[2], 0, &jitter, r) < 0)
		return -1;
	fl->delay_ms = delay;
	fl->jitter_ms = jitter;
	return ok(r, "delay_ms=%g jitter_ms=%g scope=%s", delay, jitter,
		  scope);
}

static int cmd_link(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	int p = port_find(f, argv[1]);

	(void)c;
	(void)argc;
	if (p < 0)
		return err(r, "no port named '%.40s'", argv[1]);
	if (strcmp(argv[2], "down") && strcmp(argv[2], "up"))
		return err(r, "link %s: expected 'down' or 'up', not '%.40s'",
			   argv[1], argv[2]);
	f->ports[p].down = !strcmp(argv[2], "down");
	return ok(r, "link %s %s", f->ports[p].name, argv[2]);
}

/* Group i (1, 2, ...) is the i-th comma-separated list; every port not
 * named, and any that joins later, is in group 0. */
static int parse_groups(struct fabric *f, int argc, char **argv, int *group,
			struct reply *r)
{
	char *name, *save;
	int g, p;

	for (p = 0; p < f->nports; p++)
		group[p] = 0;
	for (g = 1; g < argc; g++) {
		if (argv[g][0] == ',' || argv[g][strlen(argv[g]) - 1] == ',' ||
		    strstr(argv[g], ",,"))
			return err(r, "partition: empty name in '%.60s'",
				   argv[g]);
		for (name = strtok_r(argv[g], ",", &save); name;
		     name = strtok_r(NULL, ",", &save)) {
			p = port_find(f, name);
			if (p < 0)
				return err(r, "partition: no port named "
					   "'%.40s'", name);
			if (group[p])
				return err(r, "partition: port %s is named "
					   "twice", name);
			group[p] = g;
		}
	}
	return 0;
}

static void group_names(const struct fabric *f, int g, char *out,
			size_t size)
{
	size_t len = 0;
	int p;

	out[0] = '\0';
	for (p = 0; p < f->nports && len < size; p++) {
		if (f->ports[p].group == g)
			len += (size_t)snprintf(out + len, size - len, "%s%s",
						len ? "," : "",
						f->ports[p].name);
	}
}

static int cmd_partition(struct fabric *f, struct ctl_client *c, int argc,
			 char **argv, struct reply *r)
{
	int group[FABRIC_MAX_PORTS], p;
	char rest[400];

	(void)c;
	if (parse_groups(f, argc, argv, group, r) < 0)
		return -1;
	for (p = 0; p < f->nports; p++)
		f->ports[p].group = group[p];
	f->partitioned = true;
	group_names(f, 0, rest, sizeof(rest));
	return ok(r, "partition groups=%d rest=%s", argc - 1,
		  rest[0] ? rest : "-");
}

static void heal(struct fabric *f)
{
	int p;

	for (p = 0; p < f->nports; p++)
		f->ports[p].group = 0;
	f->partitioned = false;
}

static int cmd_heal(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	(void)c;
	(void)argc;
	(void)argv;
	heal(f);
	return ok(r, "healed");
}

static int cmd_clear(struct fabric *f, struct ctl_client *c, int argc,
		     char **argv, struct reply *r)
{
	int p;

	(void)c;
	(void)argc;
	(void)argv;
	fault_reset(&f->global);
	for (p = 0; p < f->nports; p++) {
		fault_reset(&f->ports[p].faults);
		f->ports[p].down = false;
	}
	heal(f);
	return ok(r, "cleared");
}

static void stats_line(struct ctl_client *c, const struct port *p)
{
	const struct port_stats *s = &p->st;
	char mac[18];
	int i;

	mac_format(p->mac, mac);
	ctl_printf(c, "port=%s mac=%s link=%s group=%d frames_in=%llu "
		   "bytes_in=%llu frames_out=%llu bytes_out=%llu", p->name,
		   mac, p->down ? "down" : "up", p->group,
		   (unsigned long long)s->frames_in,
		   (unsigned long long)s->bytes_in,
		   (unsigned long long)s->frames_out,
		   (unsigned long long)s->bytes_out);
	for (i = 0; i < DROP_CAUSES; i++)
		ctl_printf(c, " drop_%s=%llu", drop_names[i],
			   (unsigned long long)s->drops[i]);
	ctl_printf(c, " duplicated=%llu reordered=%llu delayed=%llu "
		   "corrupted=%llu held=%u backlog=%u\n",
		   (unsigned long long)s->duplicated,
		   (unsigned long long)s->reordered,
		   (unsigned long long)s->delayed,
		   (unsigned long long)s->corrupted, p->held.len,
		   p->backlog.len);
}

static int cmd_stats(struct fabric *f, struct ctl_client *c, int argc,
		     char **argv, struct reply *r)
{
	int p;

	if (argc == 2) {
		p = port_find(f, argv[1]);
		if (p < 0)
			return err(r, "no port named '%.40s'", argv[1]);
		stats_line(c, &f->ports[p]);
		return ok(r, "1 port");
	}
	for (p = 0; p < f->nports; p++)
		stats_line(c, &f->ports[p]);
	return ok(r, "%d port%s", f->nports, f->nports == 1 ? "" : "s");
}

static int cmd_zero(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	int p;

	(void)c;
	(void)argc;
	(void)argv;
	for (p = 0; p < f->nports; p++)
		memset(&f->ports[p].st, 0, sizeof(f->ports[p].st));
	return ok(r, "counters zeroed");
}

static void faults_line(struct ctl_client *c, const struct faults *fl)
{
	ctl_printf(c, " loss=%g dup=%g corrupt=%g reorder=%g hold_ms=%g "
		   "delay_ms=%g jitter_ms=%g\n", fl->loss, fl->dup,
		   fl->corrupt, fl->reorder, fl->hold_ms, fl->delay_ms,
		   fl->jitter_ms);
}

static int cmd_show(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	const struct port *p;
	int i;

	(void)argc;
	(void)argv;
	ctl_printf(c, "fabric seed=%llu ports=%d partitioned=%s "
		   "pending_bytes=%zu pcap=%s\n", (unsigned long long)f->seed,
		   f->nports, f->partitioned ? "yes" : "no",
		   f->pending_bytes, f->pcap ? pcap_path(f->pcap) : "-");
	ctl_printf(c, "scope=global");
	faults_line(c, &f->global);
	for (i = 0; i < f->nports; i++) {
		p = &f->ports[i];
		ctl_printf(c, "scope=%s link=%s group=%d", p->name,
			   p->down ? "down" : "up", p->group);
		faults_line(c, &p->faults);
	}
	return ok(r, "%d scopes", f->nports + 1);
}

static int pcap_start(struct fabric *f, const char *path, struct reply *r)
{
	char full[4096], why[300];

	if (f->pcap)
		return err(r, "pcap: already writing %s; pcap stop first",
			   pcap_path(f->pcap));
	if (resolve_path(f, path, full, sizeof(full)) < 0)
		return err(r, "pcap: path too long");
	f->pcap = pcap_open(full, why, sizeof(why));
	if (!f->pcap)
		return err(r, "pcap: %s", why);
	return ok(r, "pcap writing %s", full);
}

static int cmd_pcap(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	unsigned long long frames;

	(void)c;
	if (argc == 3 && !strcmp(argv[1], "start"))
		return pcap_start(f, argv[2], r);
	if (argc != 2 || strcmp(argv[1], "stop"))
		return usage(argv[0], r);
	if (!f->pcap)
		return ok(r, "pcap not running");
	frames = (unsigned long long)pcap_frames(f->pcap);
	pcap_close(f->pcap);
	f->pcap = NULL;
	return ok(r, "pcap stopped after %llu frames", frames);
}

static int cmd_seed(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	uint64_t v;

	(void)c;
	(void)argc;
	if (parse_u64(argv[1], &v) < 0)
		return err(r, "seed: '%.40s' is not an integer 0..2^64-1",
			   argv[1]);
	fault_seed(f, v);
	return ok(r, "seed %llu", (unsigned long long)v);
}

static int cmd_port(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	uint8_t mac[6];
	char why[200];
	int p;

	(void)c;
	(void)argc;
	if (strcmp(argv[1], "add"))
		return usage(argv[0], r);
	if (mac_parse(argv[3], mac) < 0)
		return err(r, "port add: '%.40s' is not a unicast MAC like "
			   "52:54:00:7e:00:01", argv[3]);
	p = port_find(f, argv[2]);
	if (p >= 0 && !memcmp(f->ports[p].mac, mac, 6))
		return ok(r, "port %s exists", f->ports[p].name);
	if (port_add(f, argv[2], mac, why, sizeof(why)) < 0)
		return err(r, "port add: %s", why);
	return ok(r, "port %s added", argv[2]);
}

static int cmd_ping(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	(void)f;
	(void)c;
	(void)argc;
	(void)argv;
	return ok(r, "pong");
}

static int cmd_quit(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	(void)c;
	(void)argc;
	(void)argv;
	f->quit = true;
	return ok(r, "bye");
}

static int cmd_help(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r);

static const struct command commands[] = {
	{ "help", 0, 0, cmd_help, true, "help", "list the commands" },
	{ "ping", 0, 0, cmd_ping, true, "ping", "answer 'ok pong'" },
	{ "loss", 1, 3, cmd_rate, false, "loss FRAC [on PORT]",
	  "drop this fraction of frames" },
	{ "dup", 1, 3, cmd_rate, false, "dup FRAC [on PORT]",
	  "deliver this fraction of frames twice" },
	{ "corrupt", 1, 3, cmd_rate, false, "corrupt FRAC [on PORT]",
	  "flip one byte after the Ethernet header of this fraction" },
	{ "reorder", 1, 4, cmd_reorder, false,
	  "reorder FRAC [HOLD_MS] [on PORT]",
	  "hold this fraction back until the next frame to the same port "
	  "(or HOLD_MS, default 10)" },
	{ "delay", 1, 4, cmd_delay, false, "delay MS [JITTER_MS] [on PORT]",
	  "delay frames by MS +- JITTER_MS (uniform)" },
	{ "link", 2, 2, cmd_link, false, "link PORT down|up",
	  "cut or restore a port's link" },
	{ "partition", 1, FABRIC_MAX_PORTS, cmd_partition, false,
	  "partition P1,P2,... [P3,...]...",
	  "drop frames between groups; unnamed ports form one more group" },
	{ "heal", 0, 0, cmd_heal, false, "heal", "end the partition" },
	{ "clear", 0, 0, cmd_clear, false, "clear",
	  "remove every fault: rates, delays, partition, links down" },
	{ "stats", 0, 1, cmd_stats, true, "stats [PORT]",
	  "one line of counters per port" },
	{ "zero", 0, 0, cmd_zero, false, "zero", "reset every counter to 0" },
	{ "show", 0, 0, cmd_show, true, "show",
	  "the seed, capture, and faults of every scope" },
	{ "pcap", 1, 2, cmd_pcap, false, "pcap start FILE | pcap stop",
	  "capture delivered frames to FILE" },
	{ "seed", 1, 1, cmd_seed, false, "seed N",
	  "restart the random choices from seed N" },
	{ "port", 3, 3, cmd_port, false, "port add NAME MAC",
	  "add a port (for a host endpoint)" },
	{ "quit", 0, 0, cmd_quit, false, "quit", "stop the fabric" },
};

static const struct command *command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	}
	return NULL;
}

static int cmd_help(struct fabric *f, struct ctl_client *c, int argc,
		    char **argv, struct reply *r)
{
	size_t i;

	(void)f;
	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		ctl_printf(c, "%-34s %s\n", commands[i].usage,
			   commands[i].help);
	return ok(r, "%zu commands", i);
}

static int split(char *line, char **argv, struct reply *r)
{
	char *save, *w;
	int argc = 0;

	for (w = strtok_r(line, " \t\r", &save); w;
	     w = strtok_r(NULL, " \t\r", &save)) {
		if (argc == MAX_WORDS)
			return err(r, "too many words (at most %d)",
				   MAX_WORDS);
		argv[argc++] = w;
	}
	return argc;
}

/* A client's line as it may appear in the log: control bytes become '?'. */
static void printable(char *out, size_t size, const char *line)
{
	size_t i;

	for (i = 0; i + 1 < size && line[i]; i++)
		out[i] = (line[i] >= ' ' && line[i] < 127) ? line[i] : '?';
	out[i] = '\0';
}

/* The one entry point for a line from a client: every word count is
 * checked here against the table before a handler sees the words. */
void cmd_run(struct fabric *f, struct ctl_client *c, char *line)
{
	char *argv[MAX_WORDS], copy[LOG_LINE_MAX];
	const struct command *cmd = NULL;
	struct reply r = { "" };
	int argc, status = -1;

	printable(copy, sizeof(copy), line);
	/* A reply means every frame delivered before it is in the capture. */
	pcap_flush(f->pcap);
	argc = split(line, argv, &r);
	if (argc == 0)
		return;		/* an empty line is no command */
	if (argc > 0) {
		cmd = command_find(argv[0]);
		if (!cmd)
			err(&r, "unknown command '%.40s'; try help", argv[0]);
		else if (argc - 1 < cmd->min || argc - 1 > cmd->max)
			err(&r, "usage: %s", cmd->usage);
		else
			status = cmd->run(f, c, argc, argv, &r);
	}
	ctl_printf(c, "%s%s%s\n", status ? "error" : "ok",
		   r.msg[0] ? " " : "", r.msg);
	if (status || !cmd->quiet)
		flog("control: %s -> %s %s", copy, status ? "error" : "ok",
		     r.msg);
}
