/*
 * Which mComponents own and back up each vRegion of a process, as the home learns it
 * from GMM (X2G_PLACE, whose answers are stable) and remembers it in the space's
 * vregion_map. The home asks before it maps anything into a vRegion, so a failure
 * changes nothing.
 */
#define LOG_SUBSYS "mmon"
#include "kernel/errno.h"
#include "kernel/msg.h"
#include "kernel/printk.h"
#include "mmon.h"

#define OWNER_FILL_MAX 64	/* vRegions (GiB) one call may newly place */

int owner_of(struct space *s, uint32_t r, uint8_t *owner)
{
	struct x2g_place q = { .mm = s->mm, .vregion = r };
	struct g2x_place a;
	int ret = vregion_map_get(&s->owners, r);

	if (ret >= 0) {
		*owner = (uint8_t)ret;
		return 0;
	}
	if (r >= VREGION_COUNT)
		return -EINVAL;
	if (mmon_gmon == 0xff)
		return -EHOSTUNREACH;
	ret = msg_rpc_patient(mmon_gmon, X2G_PLACE, &q, sizeof(q), &a, sizeof(a),
			      MMON_RPC_TIMEOUT, MMON_GMON_PATIENCE);
	if (ret >= 0 && ret != sizeof(a))
		ret = -EPROTO;
	if (ret >= 0 && (!mmon_is(a.owner, ROLE_MMON) || a.owner == a.backup ||
			 (a.backup != VREGION_NONE && !mmon_is(a.backup, ROLE_MMON))))
		ret = -EPROTO;
	if (ret < 0) {
		pr_warn("no owner for mm=%u vregion=%#x from gmon (%d)", s->mm, r, ret);
		return ret;
	}
	ret = vregion_map_set(&s->owners, r, a.owner, a.backup);
	if (ret)
		return ret;
	if (a.backup == VREGION_NONE)
		pr_info("mm=%u vregion=%#x owned by mmon %u, no backup", s->mm, r, a.owner);
	else
		pr_info("mm=%u vregion=%#x owned by mmon %u, backup mmon %u", s->mm, r,
			a.owner, a.backup);
	*owner = a.owner;
	return 0;
}

/*
 * Learn the owner of every vRegion [lo, hi) touches. More than OWNER_FILL_MAX new
 * ones is -ENOMEM before anyone is asked: one huge mapping must not place thousands.
 * Any failure is -ENOMEM, what a failed mmap or brk tells a program (owner_of() logs
 * the cause).
 */
int owner_fill(struct space *s, uint64_t lo, uint64_t hi)
{
	uint32_t r, first, last, unknown = 0;
	uint8_t owner;
	int err;

	if (lo >= hi || hi > VMA_MAX)
		return -EINVAL;
	first = vregion_of(lo);
	last = vregion_of(hi - 1);
	for (r = first; r <= last && unknown <= OWNER_FILL_MAX; r++)
		unknown += vregion_map_get(&s->owners, r) < 0;
	if (unknown > OWNER_FILL_MAX)
		return -ENOMEM;
	for (r = first; r <= last; r++) {
		err = owner_of(s, r, &owner);
		if (err)
			return -ENOMEM;
	}
	return 0;
}

/*
 * True if this node owns every vRegion [lo, hi) touches (as far as the home knows),
 * each backed up by *backup (-ENOENT: none); a first call sets *backup from lo's.
 */
bool owner_all_self(struct space *s, uint64_t lo, uint64_t hi, int *backup)
{
	for (uint32_t r = vregion_of(lo); lo < hi && r <= vregion_of(hi - 1); r++) {
		int b = vregion_map_backup(&s->owners, r);

		if (*backup == -EINVAL)
			*backup = b;
		if (vregion_map_get(&s->owners, r) != mmon_self || b != *backup)
			return false;
	}
	return true;
}
