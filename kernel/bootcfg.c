/*
 * Loads the node configuration at boot: fw_cfg text first, the kernel command line
 * second (for debugging), then checks it describes a node of this image's role.
 */
#include "kernel/boot.h"
#include "kernel/bootcfg.h"
#include "kernel/errno.h"
#include "kernel/fwcfg.h"
#include "kernel/mm.h"
#include "kernel/monitor.h"
#include "lib/printf.h"
#include "lib/string.h"

#define FWCFG_NAME	"opt/tessera/config"
#define CONFIG_MAX	(16 * 1024)

static int read_fwcfg(struct node_config *cfg, char *err, size_t errlen)
{
	char *text = kmalloc(CONFIG_MAX);
	int size, ret;

	if (!text)
		return -ENOMEM;
	size = fwcfg_read_file(FWCFG_NAME, text, CONFIG_MAX);
	if (size < 0) {
		ksnprintf(err, errlen, "no %s from the launcher (%d)", FWCFG_NAME, size);
		ret = size;
	} else if (size > CONFIG_MAX) {
		ksnprintf(err, errlen, "%s is %d bytes, more than %d", FWCFG_NAME, size, CONFIG_MAX);
		ret = -E2BIG;
	} else {
		ret = config_parse(cfg, text, size, err, errlen);
	}
	kfree(text);
	return ret;
}

int bootcfg_load(struct node_config *cfg, char *err, size_t errlen)
{
	int ret;

	config_defaults(cfg);
	ret = read_fwcfg(cfg, err, errlen);
	if (!ret)
		ret = config_parse_cmdline(cfg, boot_info.cmdline, strlen(boot_info.cmdline),
					   err, errlen);
	if (!ret)
		ret = config_validate(cfg, err, errlen);
	if (!ret && cfg->role != monitor.role) {
		ksnprintf(err, errlen, "role=%s but this is the %s image", role_name(cfg->role),
			  role_name(monitor.role));
		ret = -EINVAL;
	}
	return ret;
}
