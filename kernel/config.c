/*
 * Boot configuration parser: the launcher's key=value file (via fw_cfg) and kernel
 * command-line overrides, checked strictly with one clear error line. Used at boot
 * by every monitor and by tests/unit/test_config.c.
 */
#include <stdarg.h>
#include "kernel/config.h"
#include "kernel/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define QUOTE_MAX 32	/* bytes of bad input echoed in an error */

/* A slice of the input; not NUL-terminated. */
struct span {
	const char *s;
	size_t n;
};

/* One pass over a file or a command line. */
struct source {
	struct node_config *c;
	unsigned line;		/* 1-based line in the file; 0 on the command line */
	unsigned seen;		/* keys given in this pass, to catch duplicates */
	char *err;
	size_t errlen;
};

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_PMON] = "pmon",
	[ROLE_MMON] = "mmon",
	[ROLE_SMON] = "smon",
	[ROLE_GMON] = "gmon",
	[ROLE_HOST] = "host",
};

static const char *const level_names[] = {
	[LOG_ERR] = "err",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

#define NLEVELS (sizeof(level_names) / sizeof(level_names[0]))

const char *role_name(enum node_role role)
{
	return (unsigned)role < ROLE_COUNT ? role_names[role] : "?";
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level < NLEVELS ? level_names[level] : "?";
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static struct span trim(struct span v)
{
	while (v.n && is_space(v.s[0])) {
		v.s++;
		v.n--;
	}
	while (v.n && is_space(v.s[v.n - 1]))
		v.n--;
	return v;
}

static const char *memchr_span(struct span v, char ch)
{
	size_t i;

	for (i = 0; i < v.n; i++)
		if (v.s[i] == ch)
			return v.s + i;
	return NULL;
}

static bool span_is(struct span v, const char *lit)
{
	return strlen(lit) == v.n && memcmp(v.s, lit, v.n) == 0;
}

/* Index of v in names[0..n), or -1. */
static int lookup(struct span v, const char *const *names, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (span_is(v, names[i]))
			return (int)i;
	return -1;
}

/* Copy up to QUOTE_MAX bytes of v into buf for an error, unprintable bytes as '?'. */
static const char *quote(struct span v, char buf[QUOTE_MAX + 4])
{
	size_t i, n = v.n > QUOTE_MAX ? QUOTE_MAX : v.n;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v.s[i];

		buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (v.n > n) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Write "line N: <message>" (or "cmdline: ...") into the error buffer; returns -EINVAL. */
__attribute__((format(printf, 2, 3)))
static int fail(struct source *src, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (src->line)
		n = ksnprintf(src->err, src->errlen, "line %u: ", src->line);
	else
		n = ksnprintf(src->err, src->errlen, "cmdline: ");
	if ((size_t)n < src->errlen) {
		va_start(ap, fmt);
		kvsnprintf(src->err + n, src->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int fail_value(struct source *src, const char *what, struct span v, const char *want)
{
	char q[QUOTE_MAX + 4];

	return fail(src, "bad %s '%s' (want %s)", what, quote(v, q), want);
}

static bool parse_name(struct span v, char out[CONFIG_NAME_MAX + 1])
{
	size_t i;

	if (v.n == 0 || v.n > CONFIG_NAME_MAX)
		return false;
	for (i = 0; i < v.n; i++) {
		char ch = v.s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	memcpy(out, v.s, v.n);
	out[v.n] = '\0';
	return true;
}

/* Decimal 0..255, digits only. */
/* A decimal number in [lo, hi]; no sign, no leading junk, no overflow. */
static bool parse_uint(struct span v, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t val = 0;
	size_t i;

	if (v.n == 0)
		return false;
	for (i = 0; i < v.n; i++) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return false;
		val = val * 10 + (unsigned)(v.s[i] - '0');
		if (val > hi)
			return false;
	}
	if (val < lo)
		return false;
	*out = (uint32_t)val;
	return true;
}

static bool parse_u8(struct span v, uint8_t *out)
{
	uint32_t val;

	if (!parse_uint(v, 0, 255, &val))
		return false;
	*out = (uint8_t)val;
	return true;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* xx:xx:xx:xx:xx:xx, and a NIC's own address: not multicast, not all zero. */
static bool parse_mac(struct span v, uint8_t mac[6])
{
	uint8_t m[6];
	unsigned i;

	if (v.n != 17)
		return false;
	for (i = 0; i < 6; i++) {
		int hi = hex_digit(v.s[3 * i]), lo = hex_digit(v.s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && v.s[3 * i + 2] != ':'))
			return false;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((m[0] & 1) || (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0)
		return false;
	memcpy(mac, m, 6);
	return true;
}

static bool parse_role(struct span v, enum node_role *role)
{
	int i = lookup(v, role_names, ROLE_COUNT);

	if (i < 0)
		return false;
	*role = (enum node_role)i;
	return true;
}

static bool set_name(struct node_config *c, struct span v)
{
	return parse_name(v, c->name);
}

static bool set_id(struct node_config *c, struct span v)
{
	return parse_u8(v, &c->id);
}

static bool set_role(struct node_config *c, struct span v)
{
	return parse_role(v, &c->role);
}

static bool set_mac(struct node_config *c, struct span v)
{
	return parse_mac(v, c->mac);
}

static bool set_loglevel(struct node_config *c, struct span v)
{
	int i = lookup(v, level_names, NLEVELS);

	if (i < 0)
		return false;
	c->loglevel = (enum log_level)i;
	return true;
}

static bool parse_flag(struct span v, bool *out)
{
	if (!span_is(v, "0") && !span_is(v, "1"))
		return false;
	*out = v.s[0] == '1';
	return true;
}

static bool set_selftest(struct node_config *c, struct span v)
{
	return parse_flag(v, &c->selftest);
}

static bool set_replication(struct node_config *c, struct span v)
{
	return parse_flag(v, &c->replication);
}

static bool set_test_fault(struct node_config *c, struct span v)
{
	if (!span_is(v, "pagefault"))
		return false;
	c->test_fault = FAULT_PAGEFAULT;
	return true;
}

static bool set_hb_timeout(struct node_config *c, struct span v)
{
	return parse_uint(v, 100, 600000, &c->hb_timeout_ms);
}

static bool set_excache_kb(struct node_config *c, struct span v)
{
	return parse_uint(v, CONFIG_EXCACHE_KB_MIN, CONFIG_EXCACHE_KB_MAX, &c->excache_kb);
}

static bool set_excache_ways(struct node_config *c, struct span v)
{
	return parse_uint(v, 1, CONFIG_EXCACHE_WAYS_MAX, &c->excache_ways);
}

static bool set_excache_policy(struct node_config *c, struct span v)
{
	if (span_is(v, "fifo"))
		c->excache_policy = EXCACHE_FIFO;
	else if (span_is(v, "clock"))
		c->excache_policy = EXCACHE_CLOCK;
	else
		return false;
	return true;
}

struct key_desc {
	const char *name;
	bool (*set)(struct node_config *c, struct span v);	/* NULL: see apply() */
	const char *want;					/* for error messages */
};

static const struct key_desc keys[CFG_KEY_COUNT] = {
	[CFG_NAME] = { "name", set_name, "[a-z0-9-], 1..15 chars" },
	[CFG_ID] = { "id", set_id, "0..255" },
	[CFG_ROLE] = { "role", set_role, "pmon|mmon|smon|gmon" },
	[CFG_MAC] = { "mac", set_mac, "unicast xx:xx:xx:xx:xx:xx" },
	[CFG_LOGLEVEL] = { "loglevel", set_loglevel, "debug|info|warn|err" },
	[CFG_SELFTEST] = { "selftest", set_selftest, "0|1" },
	[CFG_TEST_FAULT] = { "test_fault", set_test_fault, "pagefault" },
	[CFG_PEER] = { "peer", NULL, "id name role mac" },
	[CFG_HB_TIMEOUT] = { "hb_timeout_ms", set_hb_timeout, "100..600000" },
	[CFG_EXCACHE_KB] = { "excache_kb", set_excache_kb, "64..4194304" },
	[CFG_EXCACHE_WAYS] = { "excache_ways", set_excache_ways, "1..64" },
	[CFG_EXCACHE_POLICY] = { "excache_policy", set_excache_policy, "fifo|clock" },
	[CFG_REPLICATION] = { "replication", set_replication, "0|1" },
};

/* Split v at runs of blanks into at most max fields; returns the count, max + 1 if more. */
static unsigned split_fields(struct span v, struct span *f, unsigned max)
{
	unsigned n = 0;
	size_t i = 0;

	while (i < v.n) {
		size_t start;

		while (i < v.n && is_space(v.s[i]))
			i++;
		if (i == v.n)
			break;
		if (n == max)
			return max + 1;
		start = i;
		while (i < v.n && !is_space(v.s[i]))
			i++;
		f[n].s = v.s + start;
		f[n++].n = i - start;
	}
	return n;
}

/* Refuse a peer whose id, name or mac another peer already has. */
static int check_peer_unique(struct source *src, const struct peer *p)
{
	const struct node_config *c = src->c;
	unsigned i;

	for (i = 0; i < c->npeers; i++) {
		const struct peer *q = &c->peers[i];

		if (q->id == p->id)
			return fail(src, "duplicate peer id %u", p->id);
		if (strcmp(q->name, p->name) == 0)
			return fail(src, "duplicate peer name '%s'", p->name);
		if (memcmp(q->mac, p->mac, 6) == 0)
			return fail(src, "duplicate peer mac %02x:%02x:%02x:%02x:%02x:%02x",
				    p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
	}
	if (c->npeers == CONFIG_MAX_PEERS)
		return fail(src, "too many peers (max %u)", CONFIG_MAX_PEERS);
	return 0;
}

/* peer=<id> <name> <role> <mac>: one node of the cluster. */
static int add_peer(struct source *src, struct span v)
{
	struct span f[4];
	struct peer p;
	int err;

	if (split_fields(v, f, 4) != 4)
		return fail_value(src, "peer", v, keys[CFG_PEER].want);
	if (!parse_u8(f[0], &p.id))
		return fail_value(src, "peer id", f[0], keys[CFG_ID].want);
	if (!parse_name(f[1], p.name))
		return fail_value(src, "peer name", f[1], keys[CFG_NAME].want);
	if (!parse_role(f[2], &p.role))
		return fail_value(src, "peer role", f[2], keys[CFG_ROLE].want);
	if (!parse_mac(f[3], p.mac))
		return fail_value(src, "peer mac", f[3], keys[CFG_MAC].want);
	err = check_peer_unique(src, &p);
	if (err)
		return err;
	src->c->peers[src->c->npeers++] = p;
	return 0;
}

static int apply(struct source *src, struct span key, struct span val)
{
	char q[QUOTE_MAX + 4];
	unsigned k, bit;

	for (k = 0; k < CFG_KEY_COUNT; k++)
		if (span_is(key, keys[k].name))
			break;
	if (k == CFG_KEY_COUNT)
		return fail(src, "unknown key '%s'", quote(key, q));
	if (k == CFG_PEER && !src->line)
		return fail(src, "peer is not allowed on the command line");
	bit = 1u << k;
	if (k != CFG_PEER && (src->seen & bit))
		return fail(src, "duplicate key '%s'", keys[k].name);
	src->seen |= bit;
	src->c->seen |= bit;
	if (k == CFG_PEER)
		return add_peer(src, val);
	if (!keys[k].set(src->c, val))
		return fail_value(src, keys[k].name, val, keys[k].want);
	return 0;
}

/* Split "key=value" at the first '=' and apply it; false in *has_eq if there is none. */
static int apply_pair(struct source *src, struct span kv, bool *has_eq)
{
	const char *eq = memchr_span(kv, '=');
	size_t klen;

	*has_eq = eq != NULL;
	if (!eq)
		return 0;
	klen = (size_t)(eq - kv.s);
	return apply(src, trim((struct span){ kv.s, klen }),
		     trim((struct span){ eq + 1, kv.n - klen - 1 }));
}

static int parse_line(struct source *src, struct span raw)
{
	char q[QUOTE_MAX + 4];
	struct span line = trim(raw);
	bool has_eq;
	int err;

	if (raw.n > CONFIG_MAX_LINE)
		return fail(src, "longer than %u bytes", CONFIG_MAX_LINE);
	if (memchr_span(raw, '\0'))
		return fail(src, "NUL byte");
	if (line.n == 0 || line.s[0] == '#')
		return 0;
	err = apply_pair(src, line, &has_eq);
	if (!err && !has_eq)
		return fail(src, "expected key=value, got '%s'", quote(line, q));
	return err;
}

void config_defaults(struct node_config *c)
{
	memset(c, 0, sizeof(*c));
	c->loglevel = LOG_INFO;
	c->selftest = false;
	c->test_fault = FAULT_NONE;
	c->hb_timeout_ms = CONFIG_HB_TIMEOUT_MS;
	c->replication = true;
	c->excache_kb = CONFIG_EXCACHE_KB;
	c->excache_ways = CONFIG_EXCACHE_WAYS;
	c->excache_policy = EXCACHE_CLOCK;
}

/*
 * Parse a whole configuration file into c (start from config_defaults). Keys other
 * than peer may appear once. On the first error returns -EINVAL with one line in err,
 * leaving c partly updated.
 */
int config_parse(struct node_config *c, const char *text, size_t len, char *err, size_t errlen)
{
	struct source src = { .c = c, .err = err, .errlen = errlen };
	size_t pos = 0;

	while (pos < len) {
		size_t end = pos;
		int ret;

		while (end < len && text[end] != '\n')
			end++;
		src.line++;
		ret = parse_line(&src, (struct span){ text + pos, end - pos });
		if (ret)
			return ret;
		pos = end + 1;
	}
	return 0;
}

/*
 * Apply blank-separated key=value overrides from the kernel command line on top of c.
 * Words without '=' (such as the image path a boot loader puts first) are skipped;
 * peer and unknown keys are errors, reported as for config_parse.
 */
int config_parse_cmdline(struct node_config *c, const char *cmdline, size_t len,
			 char *err, size_t errlen)
{
	struct source src = { .c = c, .err = err, .errlen = errlen };
	size_t i = 0;

	if (memchr_span((struct span){ cmdline, len }, '\0'))
		return fail(&src, "NUL byte");
	while (i < len) {
		size_t start;
		bool has_eq;
		int ret;

		while (i < len && (is_space(cmdline[i]) || cmdline[i] == '\n'))
			i++;
		start = i;
		while (i < len && !is_space(cmdline[i]) && cmdline[i] != '\n')
			i++;
		ret = apply_pair(&src, (struct span){ cmdline + start, i - start }, &has_eq);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Check what parsing cannot: the required keys were given, and if a cluster map was
 * given, this node is in it under its own id with the same name, role and mac.
 */
int config_validate(const struct node_config *c, char *err, size_t errlen)
{
	static const enum config_key required[] = { CFG_NAME, CFG_ID, CFG_ROLE, CFG_MAC };
	const struct peer *self = NULL;
	unsigned i;

	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!(c->seen & (1u << required[i]))) {
			ksnprintf(err, errlen, "missing required key '%s'", keys[required[i]].name);
			return -EINVAL;
		}
	}
	if (c->excache_kb % 4 || (c->excache_kb / 4) % c->excache_ways) {
		ksnprintf(err, errlen, "excache_kb=%u is not a whole number of %u-way sets of 4 KiB lines",
			  c->excache_kb, c->excache_ways);
		return -EINVAL;
	}
	if (c->npeers == 0)
		return 0;
	for (i = 0; i < c->npeers && !self; i++)
		if (c->peers[i].id == c->id)
			self = &c->peers[i];
	if (!self)
		ksnprintf(err, errlen, "node id %u is not among the peers", c->id);
	else if (strcmp(self->name, c->name) != 0)
		ksnprintf(err, errlen, "peer %u is named '%s' but this node is '%s'",
			  c->id, self->name, c->name);
	else if (self->role != c->role)
		ksnprintf(err, errlen, "peer %u has role %s but this node is %s",
			  c->id, role_name(self->role), role_name(c->role));
	else if (memcmp(self->mac, c->mac, 6) != 0)
		ksnprintf(err, errlen, "peer %u has a different mac than this node", c->id);
	else
		return 0;
	return -EINVAL;
}
