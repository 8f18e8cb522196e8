/*
 * A node's boot configuration: the key=value file the launcher passes through fw_cfg
 * (opt/tessera/config), plus kernel command-line overrides. Parsed by kernel/config.c.
 */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ROLE_HOST names a host endpoint in the cluster map; no monitor image has it. */
enum node_role { ROLE_PMON, ROLE_MMON, ROLE_SMON, ROLE_GMON, ROLE_HOST, ROLE_COUNT };

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };	/* lower = more severe */

/* Keys of the file; bit (1u << key) of node_config.seen says the key was given. */
enum config_key {
	CFG_NAME,
	CFG_ID,
	CFG_ROLE,
	CFG_MAC,
	CFG_LOGLEVEL,
	CFG_SELFTEST,
	CFG_TEST_FAULT,
	CFG_PEER,
	CFG_HB_TIMEOUT,
	CFG_EXCACHE_KB,
	CFG_EXCACHE_WAYS,
	CFG_EXCACHE_POLICY,
	CFG_REPLICATION,
	CFG_KEY_COUNT
};

#define CONFIG_NAME_MAX 15	/* name: [a-z0-9-], 1..15 characters */
#define CONFIG_MAX_PEERS 64
#define CONFIG_MAX_LINE 200
#define CONFIG_HB_TIMEOUT_MS 2000	/* default: gmon declares a silent node dead */
#define CONFIG_EXCACHE_KB 4096		/* default ExCache: 1024 lines of 4 KiB */
#define CONFIG_EXCACHE_WAYS 8
#define CONFIG_EXCACHE_KB_MIN 64
#define CONFIG_EXCACHE_KB_MAX (4u << 20)
#define CONFIG_EXCACHE_WAYS_MAX 64

enum excache_policy { EXCACHE_FIFO, EXCACHE_CLOCK };

struct peer {
	uint8_t id;
	char name[CONFIG_NAME_MAX + 1];
	enum node_role role;
	uint8_t mac[6];
};

struct node_config {
	char name[CONFIG_NAME_MAX + 1];
	uint8_t id;
	enum node_role role;
	uint8_t mac[6];
	enum log_level loglevel;
	bool selftest;
	enum test_fault { FAULT_NONE, FAULT_PAGEFAULT } test_fault;
	struct peer peers[CONFIG_MAX_PEERS];	/* the cluster, this node included */
	unsigned npeers;
	uint32_t hb_timeout_ms;			/* gmon: silence this long means dead */
	bool replication;			/* gmon: give vRegions a backup mmon */
	uint32_t excache_kb;			/* pmon: ExCache size */
	uint32_t excache_ways;			/* pmon: its associativity */
	enum excache_policy excache_policy;	/* pmon: its eviction policy */
	unsigned seen;				/* bitmask of keys given */
};

const char *role_name(enum node_role role);
const char *log_level_name(enum log_level level);

void config_defaults(struct node_config *c);
int config_parse(struct node_config *c, const char *text, size_t len, char *err, size_t errlen);
int config_parse_cmdline(struct node_config *c, const char *cmdline, size_t len,
			 char *err, size_t errlen);
int config_validate(const struct node_config *c, char *err, size_t errlen);

#endif
