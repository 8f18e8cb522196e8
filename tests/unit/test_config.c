/*
 * Host tests for kernel/config.c: the node configuration file, command-line overrides
 * and validation, with malformed and hostile input as first-class cases.
 */
#include <stdlib.h>
#include "check.h"
#include "kernel/config.h"
#include "kernel/errno.h"

#define GOOD_CONFIG							\
	"# pmon0 of a two-node cluster\n"				\
	"name=pmon0\n"							\
	"id=1\n"							\
	"role=pmon\n"							\
	"mac=52:54:00:7e:00:01\n"					\
	"\n"								\
	"loglevel=debug\n"						\
	"selftest=1\n"							\
	"hb_timeout_ms=1500\n"						\
	"excache_kb=512\n"						\
	"excache_ways=4\n"						\
	"excache_policy=fifo\n"					\
	"replication=0\n"						\
	"peer=0 gmon0 gmon 52:54:00:7e:00:00\n"				\
	"peer=1 pmon0 pmon 52:54:00:7e:00:01\n"

static struct node_config cfg;
static char err[128];

/* Parse text (a C string) from defaults; err holds the message on failure. */
static int parse(const char *text)
{
	config_defaults(&cfg);
	memset(err, 0, sizeof(err));
	return config_parse(&cfg, text, strlen(text), err, sizeof(err));
}

static int cmdline(const char *text)
{
	memset(err, 0, sizeof(err));
	return config_parse_cmdline(&cfg, text, strlen(text), err, sizeof(err));
}

/* The error for a file holding only "key=value". */
static const char *error_for(const char *key, const char *value)
{
	static char text[512];

	snprintf(text, sizeof(text), "%s=%s\n", key, value);
	CHECK(parse(text) == -EINVAL);
	return err;
}

static const uint8_t mac1[6] = { 0x52, 0x54, 0x00, 0x7e, 0x00, 0x01 };

static void config_parses_every_field_of_a_good_file(void)
{
	CHECK(parse(GOOD_CONFIG) == 0);
	CHECK_STREQ(cfg.name, "pmon0");
	CHECK(cfg.id == 1 && cfg.role == ROLE_PMON);
	CHECK(memcmp(cfg.mac, mac1, 6) == 0);
	CHECK(cfg.loglevel == LOG_DEBUG && cfg.selftest && cfg.test_fault == FAULT_NONE);
	CHECK(cfg.hb_timeout_ms == 1500 && !cfg.replication);
	CHECK(cfg.excache_kb == 512 && cfg.excache_ways == 4 && cfg.excache_policy == EXCACHE_FIFO);
	CHECK(cfg.npeers == 2);
	CHECK(cfg.peers[0].id == 0 && cfg.peers[0].role == ROLE_GMON);
	CHECK_STREQ(cfg.peers[0].name, "gmon0");
	CHECK(cfg.peers[0].mac[5] == 0x00);
	CHECK(cfg.peers[1].id == 1 && memcmp(cfg.peers[1].mac, mac1, 6) == 0);
	CHECK(cfg.seen == ((1u << CFG_KEY_COUNT) - 1 - (1u << CFG_TEST_FAULT)));
	CHECK(config_validate(&cfg, err, sizeof(err)) == 0);
}

static void config_defaults_are_info_without_selftest_or_fault(void)
{
	config_defaults(&cfg);
	CHECK(cfg.loglevel == LOG_INFO && !cfg.selftest && cfg.test_fault == FAULT_NONE);
	CHECK(cfg.replication);
	CHECK(cfg.npeers == 0 && cfg.seen == 0 && cfg.name[0] == '\0');
}

static void config_ignores_comments_blank_lines_and_surrounding_blanks(void)
{
	CHECK(parse("   \n\t# comment = yes\n  name \t=  pmon0  \r\n\n  #\nid= 7\t\n") == 0);
	CHECK_STREQ(cfg.name, "pmon0");
	CHECK(cfg.id == 7);
}

static void config_accepts_crlf_lines_and_a_last_line_without_newline(void)
{
	CHECK(parse("name=a\r\nrole=smon\r\nid=3") == 0);
	CHECK_STREQ(cfg.name, "a");
	CHECK(cfg.role == ROLE_SMON && cfg.id == 3);
}

static void config_accepts_an_empty_file(void)
{
	CHECK(parse("") == 0);
	CHECK(cfg.seen == 0);
}

static void config_reads_test_fault_and_each_log_level(void)
{
	static const char *const levels[] = { "err", "warn", "info", "debug" };
	char text[64];
	int i;

	CHECK(parse("test_fault=pagefault\nselftest=0\n") == 0);
	CHECK(cfg.test_fault == FAULT_PAGEFAULT && !cfg.selftest);
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "loglevel=%s", levels[i]);
		CHECK(parse(text) == 0);
		CHECK(cfg.loglevel == (enum log_level)i);
	}
}

static void config_rejects_unknown_key_with_its_line(void)
{
	CHECK(parse("name=a\n\nfoo=1\n") == -EINVAL);
	CHECK_STREQ(err, "line 3: unknown key 'foo'");
	CHECK(parse("Name=a\n") == -EINVAL);
	CHECK_STREQ(err, "line 1: unknown key 'Name'");
	CHECK(parse("=a\n") == -EINVAL);
	CHECK_STREQ(err, "line 1: unknown key ''");
}

static void config_rejects_duplicate_keys(void)
{
	CHECK(parse("name=a\nid=1\nname=b\n") == -EINVAL);
	CHECK_STREQ(err, "line 3: duplicate key 'name'");
	CHECK(parse("selftest=1\nselftest=1\n") == -EINVAL);
	CHECK_STREQ(err, "line 2: duplicate key 'selftest'");
}

/* Before: defaults (2000 ms). After: the bounds 100 and 600000 hold, junk is refused. */
static void config_bounds_the_heartbeat_timeout(void)
{
	CHECK(parse("hb_timeout_ms=100\n") == 0 && cfg.hb_timeout_ms == 100);
	CHECK(parse("hb_timeout_ms=600000\n") == 0 && cfg.hb_timeout_ms == 600000);
	CHECK(parse("hb_timeout_ms=99\n") == -EINVAL);
	CHECK(parse("replication=1\n") == 0 && cfg.replication);
	CHECK(parse("replication=yes\n") == -EINVAL);
	CHECK(parse("hb_timeout_ms=600001\n") == -EINVAL);
	CHECK(parse("hb_timeout_ms=99999999999999999999\n") == -EINVAL);
	CHECK(parse("hb_timeout_ms=-5\n") == -EINVAL);
	CHECK(parse("name=a\n") == 0 && cfg.hb_timeout_ms == CONFIG_HB_TIMEOUT_MS);
}

/* Before: defaults (4096 KiB, 8 ways, clock). After: each key parses, junk is refused. */
static void config_parses_the_excache_keys(void)
{
	CHECK(parse("name=a\n") == 0 && cfg.excache_kb == CONFIG_EXCACHE_KB &&
	      cfg.excache_ways == CONFIG_EXCACHE_WAYS && cfg.excache_policy == EXCACHE_CLOCK);
	CHECK(parse("excache_kb=64\nexcache_ways=16\nexcache_policy=fifo\n") == 0);
	CHECK(cfg.excache_kb == 64 && cfg.excache_ways == 16 && cfg.excache_policy == EXCACHE_FIFO);
	CHECK(parse("excache_kb=63\n") == -EINVAL);
	CHECK(parse("excache_kb=4194305\n") == -EINVAL);
	CHECK(parse("excache_ways=0\n") == -EINVAL);
	CHECK(parse("excache_ways=65\n") == -EINVAL);
	CHECK(parse("excache_policy=lru\n") == -EINVAL);
	CHECK_STREQ(err, "line 1: bad excache_policy 'lru' (want fifo|clock)");
}

/* Lines must fill whole sets: 100 KiB is 25 lines, not a multiple of 8 ways. */
static void config_validate_requires_whole_excache_sets(void)
{
	CHECK(parse("name=a\nid=1\nrole=pmon\nmac=52:54:00:7e:00:01\nexcache_kb=100\n") == 0);
	CHECK(config_validate(&cfg, err, sizeof(err)) == -EINVAL);
	CHECK_STREQ(err, "excache_kb=100 is not a whole number of 8-way sets of 4 KiB lines");
	CHECK(parse("name=a\nid=1\nrole=pmon\nmac=52:54:00:7e:00:01\nexcache_kb=96\n") == 0);
	CHECK(config_validate(&cfg, err, sizeof(err)) == 0);
}

static void config_rejects_line_without_equals(void)
{
	CHECK(parse("name=a\nid 1\n") == -EINVAL);
	CHECK_STREQ(err, "line 2: expected key=value, got 'id 1'");
}

static void config_rejects_nul_byte(void)
{
	static const char text[] = "name=pmon0\nid=1\0\nrole=pmon\n";

	config_defaults(&cfg);
	CHECK(config_parse(&cfg, text, sizeof(text) - 1, err, sizeof(err)) == -EINVAL);
	CHECK_STREQ(err, "line 2: NUL byte");
	CHECK(config_parse(&cfg, "\0", 1, err, sizeof(err)) == -EINVAL);
	CHECK_STREQ(err, "line 1: NUL byte");
}

/* 200 bytes per line are fine, 201 are not, even in a comment; 10 KB certainly not. */
static void config_rejects_over_long_lines(void)
{
	char *text = malloc(10 * 1024 + 16);

	CHECK(text);
	memset(text, 'x', 10 * 1024);
	text[0] = '#';
	text[200] = '\0';
	CHECK(parse(text) == 0);
	text[200] = 'x';
	text[201] = '\0';
	CHECK(parse(text) == -EINVAL);
	CHECK_STREQ(err, "line 1: longer than 200 bytes");
	memcpy(text, "name=", 5);
	text[201] = 'x';
	strcpy(text + 10 * 1024, "\nid=1\n");
	CHECK(parse(text) == -EINVAL);
	CHECK_STREQ(err, "line 1: longer than 200 bytes");
	free(text);
}

static void config_rejects_bad_macs(void)
{
	static const char *const bad[] = {
		"52:54", "52:54:00:7e:00:0", "52:54:00:7e:00:001", "52-54-00-7e-00-01",
		"52:54:00:7e:00:0g", "5254:00:7e:00:01:", "01:00:5e:00:00:01",
		"ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "", ":::::", "52:54:00:7e:00:01:02",
		"52:54:00:7e:00 01", "+2:54:00:7e:00:01",
	};
	char want[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "line 1: bad mac '%s' (want unicast xx:xx:xx:xx:xx:xx)",
			 bad[i]);
		CHECK_STREQ(error_for("mac", bad[i]), want);
	}
}

static void config_accepts_upper_case_mac(void)
{
	CHECK(parse("mac=52:54:00:7E:0a:Ff") == 0);
	CHECK(cfg.mac[3] == 0x7e && cfg.mac[4] == 0x0a && cfg.mac[5] == 0xff);
}

static void config_accepts_ids_0_to_255_only(void)
{
	static const char *const bad[] = {
		"256", "-1", "+1", "0x10", "", "1a", "99999999999999999999999", "1 2", "4294967297",
	};
	size_t i;

	CHECK(parse("id=0") == 0 && cfg.id == 0);
	CHECK(parse("id=255") == 0 && cfg.id == 255);
	CHECK(parse("id=007") == 0 && cfg.id == 7);
	CHECK_STREQ(error_for("id", "256"), "line 1: bad id '256' (want 0..255)");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(strncmp(error_for("id", bad[i]), "line 1: bad id '", 16) == 0);
}

static void config_accepts_names_of_a_z_0_9_dash_up_to_15(void)
{
	static const char *const bad[] = {
		"", "PMON0", "pmon_0", "pm on", "pmon0.", "0123456789abcdef", "\xc3\xa9t\xc3\xa9",
	};
	size_t i;

	CHECK(parse("name=0123456789-bcde") == 0);
	CHECK_STREQ(cfg.name, "0123456789-bcde");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(strncmp(error_for("name", bad[i]), "line 1: bad name '", 18) == 0);
	CHECK_STREQ(error_for("name", "pmon_0"),
		    "line 1: bad name 'pmon_0' (want [a-z0-9-], 1..15 chars)");
}

static void config_rejects_bad_enumerated_values(void)
{
	CHECK_STREQ(error_for("role", "cpu"), "line 1: bad role 'cpu' (want pmon|mmon|smon|gmon)");
	CHECK_STREQ(error_for("role", "PMON"), "line 1: bad role 'PMON' (want pmon|mmon|smon|gmon)");
	CHECK_STREQ(error_for("loglevel", "trace"),
		    "line 1: bad loglevel 'trace' (want debug|info|warn|err)");
	CHECK_STREQ(error_for("selftest", "yes"), "line 1: bad selftest 'yes' (want 0|1)");
	CHECK_STREQ(error_for("selftest", "10"), "line 1: bad selftest '10' (want 0|1)");
	CHECK_STREQ(error_for("test_fault", "none"),
		    "line 1: bad test_fault 'none' (want pagefault)");
}

/* Bad input is echoed with unprintable bytes as '?' and cut after 32 bytes. */
static void config_error_echoes_bad_input_safely(void)
{
	CHECK(parse("\x1b[31m=1\n") == -EINVAL);
	CHECK_STREQ(err, "line 1: unknown key '?[31m'");
	CHECK(parse("abcdefghijklmnopqrstuvwxyz0123456789=1\n") == -EINVAL);
	CHECK_STREQ(err, "line 1: unknown key 'abcdefghijklmnopqrstuvwxyz012345...'");
}

/* A short or absent error buffer is never overrun. */
static void config_error_buffer_may_be_small_or_absent(void)
{
	char small[8];

	config_defaults(&cfg);
	CHECK(config_parse(&cfg, "foo=1", 5, small, sizeof(small)) == -EINVAL);
	CHECK_STREQ(small, "line 1:");
	CHECK(config_parse(&cfg, "foo=1", 5, NULL, 0) == -EINVAL);
	CHECK(config_parse_cmdline(&cfg, "foo=1", 5, small, 3) == -EINVAL);
	CHECK_STREQ(small, "cm");
	CHECK(config_validate(&cfg, NULL, 0) == -EINVAL);
}

static void config_peer_lines_build_the_cluster_map(void)
{
	CHECK(parse("peer=  5\tsmon-a  smon   02:00:00:00:00:05  \npeer=255 g gmon 02:00:00:00:00:ff\n") == 0);
	CHECK(cfg.npeers == 2);
	CHECK(cfg.peers[0].id == 5 && cfg.peers[0].role == ROLE_SMON);
	CHECK_STREQ(cfg.peers[0].name, "smon-a");
	CHECK(cfg.peers[1].id == 255 && cfg.peers[1].mac[5] == 0xff);
}

static void config_rejects_malformed_peers(void)
{
	CHECK_STREQ(error_for("peer", "1 pmon0 pmon"),
		    "line 1: bad peer '1 pmon0 pmon' (want id name role mac)");
	CHECK_STREQ(error_for("peer", "1 pmon0 pmon 52:54:00:7e:00:01 extra"),
		    "line 1: bad peer '1 pmon0 pmon 52:54:00:7e:00:01 e...' (want id name role mac)");
	CHECK_STREQ(error_for("peer", ""), "line 1: bad peer '' (want id name role mac)");
	CHECK_STREQ(error_for("peer", "256 pmon0 pmon 52:54:00:7e:00:01"),
		    "line 1: bad peer id '256' (want 0..255)");
	CHECK_STREQ(error_for("peer", "1 PMON pmon 52:54:00:7e:00:01"),
		    "line 1: bad peer name 'PMON' (want [a-z0-9-], 1..15 chars)");
	CHECK_STREQ(error_for("peer", "1 pmon0 cpu 52:54:00:7e:00:01"),
		    "line 1: bad peer role 'cpu' (want pmon|mmon|smon|gmon)");
	CHECK_STREQ(error_for("peer", "1 pmon0 pmon 52:54"),
		    "line 1: bad peer mac '52:54' (want unicast xx:xx:xx:xx:xx:xx)");
}

static void config_rejects_duplicate_peers(void)
{
	CHECK(parse("peer=1 a pmon 02:00:00:00:00:01\npeer=1 b pmon 02:00:00:00:00:02\n") == -EINVAL);
	CHECK_STREQ(err, "line 2: duplicate peer id 1");
	CHECK(parse("peer=1 a pmon 02:00:00:00:00:01\npeer=2 a pmon 02:00:00:00:00:02\n") == -EINVAL);
	CHECK_STREQ(err, "line 2: duplicate peer name 'a'");
	CHECK(parse("peer=1 a pmon 02:00:00:00:00:01\npeer=2 b pmon 02:00:00:00:00:01\n") == -EINVAL);
	CHECK_STREQ(err, "line 2: duplicate peer mac 02:00:00:00:00:01");
}

/* 64 peers fit; the 65th is refused. */
static void config_rejects_more_than_64_peers(void)
{
	static char text[65 * 48];
	size_t n = 0;
	int i;

	for (i = 0; i < 65; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "peer=%d n%d mmon 02:00:00:00:01:%02x\n", i, i, i);
	CHECK(parse(text) == -EINVAL);
	CHECK_STREQ(err, "line 65: too many peers (max 64)");
	CHECK(cfg.npeers == CONFIG_MAX_PEERS);
}

/* before: file says loglevel=debug, id=1; after cmdline: warn, id=2, selftest off */
static void config_cmdline_overrides_file_values(void)
{
	CHECK(parse(GOOD_CONFIG) == 0);
	CHECK(cmdline("loglevel=warn id=2  selftest=0\n") == 0);
	CHECK(cfg.loglevel == LOG_WARN && cfg.id == 2 && !cfg.selftest);
	CHECK(cfg.npeers == 2);
	CHECK_STREQ(cfg.name, "pmon0");
}

static void config_cmdline_skips_words_without_equals(void)
{
	config_defaults(&cfg);
	CHECK(cmdline("/boot/pmon.elf quiet test_fault=pagefault") == 0);
	CHECK(cfg.test_fault == FAULT_PAGEFAULT);
	CHECK(cfg.seen == 1u << CFG_TEST_FAULT);
	CHECK(cmdline("") == 0 && cmdline("   \t ") == 0);
}

static void config_cmdline_rejects_bad_words(void)
{
	config_defaults(&cfg);
	CHECK(cmdline("id=300") == -EINVAL);
	CHECK_STREQ(err, "cmdline: bad id '300' (want 0..255)");
	CHECK(cmdline("quiet foo=bar") == -EINVAL);
	CHECK_STREQ(err, "cmdline: unknown key 'foo'");
	CHECK(cmdline("peer=1") == -EINVAL);
	CHECK_STREQ(err, "cmdline: peer is not allowed on the command line");
	CHECK(cmdline("id=1 id=2") == -EINVAL);
	CHECK_STREQ(err, "cmdline: duplicate key 'id'");
	CHECK(config_parse_cmdline(&cfg, "id=1\0id=2", 9, err, sizeof(err)) == -EINVAL);
	CHECK_STREQ(err, "cmdline: NUL byte");
}

static void config_validate_accepts_a_node_without_peers(void)
{
	CHECK(parse("name=solo\nid=9\nrole=smon\nmac=02:00:00:00:00:09\n") == 0);
	CHECK(config_validate(&cfg, err, sizeof(err)) == 0);
}

static void config_validate_reports_each_missing_required_key(void)
{
	static const char *const lines[] = {
		"name=pmon0\n", "id=1\n", "role=pmon\n", "mac=52:54:00:7e:00:01\n",
	};
	static const char *const keys[] = { "name", "id", "role", "mac" };
	char text[256], want[64];
	int skip, i;

	for (skip = 0; skip < 4; skip++) {
		text[0] = '\0';
		for (i = 0; i < 4; i++)
			if (i != skip)
				strcat(text, lines[i]);
		CHECK(parse(text) == 0);
		CHECK(config_validate(&cfg, err, sizeof(err)) == -EINVAL);
		snprintf(want, sizeof(want), "missing required key '%s'", keys[skip]);
		CHECK_STREQ(err, want);
	}
}

/* With a cluster map, the node must be in it exactly as it describes itself. */
static void config_validate_requires_self_among_peers(void)
{
	static const struct { const char *peer, *want; } cases[] = {
		{ "peer=2 pmon0 pmon 52:54:00:7e:00:01", "node id 1 is not among the peers" },
		{ "peer=1 pmon1 pmon 52:54:00:7e:00:01", "peer 1 is named 'pmon1' but this node is 'pmon0'" },
		{ "peer=1 pmon0 mmon 52:54:00:7e:00:01", "peer 1 has role mmon but this node is pmon" },
		{ "peer=1 pmon0 pmon 52:54:00:7e:00:02", "peer 1 has a different mac than this node" },
	};
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 "name=pmon0\nid=1\nrole=pmon\nmac=52:54:00:7e:00:01\n%s\n", cases[i].peer);
		CHECK(parse(text) == 0);
		CHECK(config_validate(&cfg, err, sizeof(err)) == -EINVAL);
		CHECK_STREQ(err, cases[i].want);
	}
}

static void config_names_cover_every_role_and_level(void)
{
	CHECK_STREQ(role_name(ROLE_PMON), "pmon");
	CHECK_STREQ(role_name(ROLE_MMON), "mmon");
	CHECK_STREQ(role_name(ROLE_SMON), "smon");
	CHECK_STREQ(role_name(ROLE_GMON), "gmon");
	CHECK_STREQ(role_name(ROLE_COUNT), "?");
	CHECK_STREQ(role_name((enum node_role)-1), "?");
	CHECK_STREQ(log_level_name(LOG_ERR), "err");
	CHECK_STREQ(log_level_name(LOG_DEBUG), "debug");
	CHECK_STREQ(log_level_name((enum log_level)4), "?");
}

static const struct unit_test tests[] = {
	TEST(config_bounds_the_heartbeat_timeout),
	TEST(config_parses_every_field_of_a_good_file),
	TEST(config_defaults_are_info_without_selftest_or_fault),
	TEST(config_ignores_comments_blank_lines_and_surrounding_blanks),
	TEST(config_accepts_crlf_lines_and_a_last_line_without_newline),
	TEST(config_accepts_an_empty_file),
	TEST(config_reads_test_fault_and_each_log_level),
	TEST(config_rejects_unknown_key_with_its_line),
	TEST(config_rejects_duplicate_keys),
	TEST(config_rejects_line_without_equals),
	TEST(config_rejects_nul_byte),
	TEST(config_rejects_over_long_lines),
	TEST(config_rejects_bad_macs),
	TEST(config_accepts_upper_case_mac),
	TEST(config_accepts_ids_0_to_255_only),
	TEST(config_accepts_names_of_a_z_0_9_dash_up_to_15),
	TEST(config_rejects_bad_enumerated_values),
	TEST(config_error_echoes_bad_input_safely),
	TEST(config_error_buffer_may_be_small_or_absent),
	TEST(config_peer_lines_build_the_cluster_map),
	TEST(config_rejects_malformed_peers),
	TEST(config_rejects_duplicate_peers),
	TEST(config_rejects_more_than_64_peers),
	TEST(config_cmdline_overrides_file_values),
	TEST(config_cmdline_skips_words_without_equals),
	TEST(config_cmdline_rejects_bad_words),
	TEST(config_parses_the_excache_keys),
	TEST(config_validate_requires_whole_excache_sets),
	TEST(config_validate_accepts_a_node_without_peers),
	TEST(config_validate_reports_each_missing_required_key),
	TEST(config_validate_requires_self_among_peers),
	TEST(config_names_cover_every_role_and_level),
};

CHECK_MAIN("config", tests)
