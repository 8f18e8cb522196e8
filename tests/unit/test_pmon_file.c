/*
 * Host tests for pcomponent/file.c: descriptor tables (install, lookup, close, dup2,
 * close-on-exec), their copies for fork and exec, and a file's release, counted
 * through a fake object, exactly once when its last reference goes.
 */
#include "pmon_test.h"
#include "pcomponent/file.h"

/* A fake open object: counts its releases. */
struct fake {
	int released;
};

static void fake_release(struct file *f)
{
	((struct fake *)f->priv)->released++;
}

static const struct file_ops fake_ops = { .release = fake_release };

static struct fake objs[4];
static struct files *fs;

static struct file *fake_file(int i)
{
	struct file *f = file_new(&fake_ops, &objs[i], NULL, 0);

	CHECK(f && f->refs == 1);
	return f;
}

static void start(void)
{
	setup();
	memset(objs, 0, sizeof(objs));
	fs = files_new();
	CHECK(fs != NULL);
}

static void finish(void)
{
	if (fs)
		files_close(fs);
	fs = NULL;
	check_clean();
}

/* Install f (one new reference, the table's) at the lowest free fd >= min. */
static int install(struct file *f, int min, bool cloexec)
{
	int fd;

	file_get(f);
	fd = fd_install(fs, f, min, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---- install ---- */

/* before: empty; after: 0 1 2 in order, the hole at 1 refilled first, min respected */
static void install_takes_lowest_free_at_or_above_min(void)
{
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(install(f, 0, false) == 0);
	CHECK(install(f, 0, false) == 1);
	CHECK(install(f, 0, false) == 2);
	CHECK(fd_close(fs, 1) == 0);
	CHECK(install(f, 0, false) == 1);
	CHECK(install(f, 10, false) == 10);
	CHECK(install(f, 5, false) == 5);
	CHECK(install(f, 1, false) == 3);		/* 1 and 2 taken: next free */
	CHECK(install(f, FD_MAX - 1, false) == FD_MAX - 1);
	CHECK(f->refs == 8);
	file_put(f);
	CHECK(objs[0].released == 0);
	finish();
	CHECK(objs[0].released == 1);
}

/* before: every slot taken; after: -EMFILE, the table unchanged; a close makes room */
static void install_full_table_is_emfile(void)
{
	struct file *f, *g;

	start();
	f = fake_file(0);
	g = fake_file(1);
	for (int i = 0; i < FD_MAX; i++)
		CHECK(install(f, 0, false) == i);
	CHECK(install(g, 0, false) == -EMFILE);
	CHECK(install(g, FD_MAX - 1, true) == -EMFILE);
	CHECK(g->refs == 1);
	CHECK(f->refs == FD_MAX + 1);
	CHECK(fd_close(fs, 200) == 0);
	CHECK(install(g, 0, true) == 200);
	CHECK(fd_cloexec(fs, 200, -1) == 1);
	file_put(f);
	file_put(g);
	finish();
	CHECK(objs[0].released == 1 && objs[1].released == 1);
}

/* hostile min: negative, FD_MAX and beyond are -EINVAL, nothing installed */
static void install_bad_min_is_einval(void)
{
	static const int bad[] = { -1, -FD_MAX, INT32_MIN, FD_MAX, FD_MAX + 1, INT32_MAX };
	struct file *f;

	start();
	f = fake_file(0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(fd_install(fs, f, bad[i], false) == -EINVAL);
	for (int i = 0; i < FD_MAX; i++)
		CHECK(fs->fd[i] == NULL);
	CHECK(f->refs == 1);
	file_put(f);
	finish();
}

/* ---- lookup and close ---- */

/* fd_get: a reference for the caller; NULL for an empty slot or any fd out of range */
static void get_returns_a_reference_or_null(void)
{
	static const int bad[] = { -1, INT32_MIN, FD_MAX, FD_MAX + 1, INT32_MAX, 5 };
	struct file *f, *got;

	start();
	f = fake_file(0);
	CHECK(install(f, 0, false) == 0);
	got = fd_get(fs, 0);
	CHECK(got == f && f->refs == 3);
	file_put(got);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(fd_get(fs, bad[i]) == NULL);
	CHECK(f->refs == 2);
	file_put(f);
	finish();
}

/* fd_close: -EBADF out of range, on an empty slot and on a second close */
static void close_bad_fds_is_ebadf(void)
{
	static const int bad[] = { -1, INT32_MIN, FD_MAX, FD_MAX + 1, INT32_MAX, 7 };
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(install(f, 0, false) == 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(fd_close(fs, bad[i]) == -EBADF);
	CHECK(f->refs == 2);
	CHECK(fd_close(fs, 0) == 0);
	CHECK(fd_close(fs, 0) == -EBADF);
	CHECK(f->refs == 1 && objs[0].released == 0);
	file_put(f);
	CHECK(objs[0].released == 1);
	finish();
}

/* before: one file in fds 0 and 1, no other reference; release at the second close only */
static void release_once_at_last_close(void)
{
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(fd_install(fs, f, 0, false) == 0);	/* the table takes our reference */
	CHECK(fd_dup2(fs, 0, 1, false) == 1);
	CHECK(f->refs == 2);
	CHECK(fd_close(fs, 0) == 0);
	CHECK(objs[0].released == 0);
	CHECK(fd_close(fs, 1) == 0);
	CHECK(objs[0].released == 1);
	CHECK(host.kmallocs == base_kmallocs + 1);	/* only the table is left */
	finish();
	CHECK(objs[0].released == 1);
}

/* ---- dup2 ---- */

/* dup2(fd, fd): fd, nothing changes (not even its close-on-exec flag); empty: -EBADF */
static void dup2_onto_itself_changes_nothing(void)
{
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(install(f, 0, true) == 0);
	CHECK(fd_dup2(fs, 0, 0, false) == 0);
	CHECK(f->refs == 2 && fd_cloexec(fs, 0, -1) == 1);
	CHECK(fd_dup2(fs, 3, 3, false) == -EBADF);
	file_put(f);
	finish();
	CHECK(objs[0].released == 1);
}

/* before: 3 -> f, 4 -> g; after dup2(3, 4): 4 -> f, g released once, f shared */
static void dup2_closes_what_newfd_held(void)
{
	struct file *f, *g;

	start();
	f = fake_file(0);
	g = fake_file(1);
	CHECK(fd_install(fs, f, 3, false) == 3);
	CHECK(fd_install(fs, g, 4, true) == 4);
	CHECK(fd_dup2(fs, 3, 4, false) == 4);
	CHECK(objs[1].released == 1);
	CHECK(fs->fd[4] == f && f->refs == 2);
	CHECK(fd_cloexec(fs, 4, -1) == 0);		/* g's flag went with it */
	CHECK(fd_close(fs, 3) == 0 && objs[0].released == 0);
	CHECK(fd_close(fs, 4) == 0 && objs[0].released == 1);
	finish();
	CHECK(objs[1].released == 1);
}

/* dup3's O_CLOEXEC lands on newfd only; dup2 over a close-on-exec fd clears the flag */
static void dup2_sets_cloexec_of_newfd_only(void)
{
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(install(f, 0, false) == 0);
	CHECK(fd_dup2(fs, 0, 5, true) == 5);
	CHECK(fd_cloexec(fs, 5, -1) == 1 && fd_cloexec(fs, 0, -1) == 0);
	CHECK(fd_dup2(fs, 0, 5, false) == 5);
	CHECK(fd_cloexec(fs, 5, -1) == 0);
	CHECK(f->refs == 3);
	file_put(f);
	finish();
	CHECK(objs[0].released == 1);
}

/* a bad oldfd or newfd is -EBADF, and newfd's file is not closed by the failed call */
static void dup2_bad_fds_leave_newfd_alone(void)
{
	static const int bad[] = { -1, INT32_MIN, FD_MAX, INT32_MAX };
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(install(f, 0, false) == 0);
	CHECK(fd_dup2(fs, 9, 0, false) == -EBADF);	/* 9 is empty */
	CHECK(fs->fd[0] == f && objs[0].released == 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(fd_dup2(fs, bad[i], 0, false) == -EBADF);
		CHECK(fd_dup2(fs, 0, bad[i], false) == -EBADF);
	}
	CHECK(fs->fd[0] == f && f->refs == 2);
	file_put(f);
	finish();
}

/* ---- close-on-exec ---- */

/* get and set FD_CLOEXEC, across the bitmap's word boundaries; -EBADF when empty or bad */
static void cloexec_get_and_set(void)
{
	static const int fds[] = { 0, 63, 64, 127, 128, FD_MAX - 1 };
	static const int bad[] = { -1, INT32_MIN, FD_MAX, INT32_MAX, 1 };
	struct file *f;

	start();
	f = fake_file(0);
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		CHECK(install(f, fds[i], false) == fds[i]);
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		CHECK(fd_cloexec(fs, fds[i], -1) == 0);
		CHECK(fd_cloexec(fs, fds[i], 1) == 1);
		for (unsigned j = 0; j < sizeof(fds) / sizeof(fds[0]); j++)
			CHECK(fd_cloexec(fs, fds[j], -1) == (j == i));
		CHECK(fd_cloexec(fs, fds[i], 0) == 0);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(fd_cloexec(fs, bad[i], -1) == -EBADF);
		CHECK(fd_cloexec(fs, bad[i], 1) == -EBADF);
	}
	file_put(f);
	finish();
}

/* before: fd 7 close-on-exec, closed; after: a plain install there has no stale flag */
static void close_clears_cloexec(void)
{
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(install(f, 7, true) == 7);
	CHECK(fd_close(fs, 7) == 0);
	CHECK(install(f, 7, false) == 7);
	CHECK(fd_cloexec(fs, 7, -1) == 0);
	file_put(f);
	finish();
}

/* ---- fork and exec ---- */

/* before: 0 -> f, 1 -> g (cloexec), 70 -> f; after dup: the same files, one more ref each */
static void files_dup_shares_files_and_cloexec(void)
{
	struct files *c;
	struct file *f, *g;

	start();
	f = fake_file(0);
	g = fake_file(1);
	CHECK(fd_install(fs, f, 0, false) == 0);
	CHECK(fd_install(fs, g, 1, true) == 1);
	CHECK(fd_dup2(fs, 0, 70, false) == 70);
	c = files_dup(fs);
	CHECK(c && c != fs);
	CHECK(c->fd[0] == f && c->fd[1] == g && c->fd[70] == f);
	CHECK(f->refs == 4 && g->refs == 2);
	CHECK(fd_cloexec(c, 1, -1) == 1 && fd_cloexec(c, 0, -1) == 0);
	CHECK(fd_close(c, 1) == 0);		/* the child's close is its own */
	CHECK(fs->fd[1] == g && g->refs == 1 && objs[1].released == 0);
	files_close(c);
	CHECK(f->refs == 2 && objs[0].released == 0);
	finish();
	CHECK(objs[0].released == 1 && objs[1].released == 1);
}

/* no memory for the copy: NULL, and no reference was taken */
static void files_dup_without_memory_is_null(void)
{
	struct file *f;

	start();
	f = fake_file(0);
	CHECK(fd_install(fs, f, 0, false) == 0);
	host.fail_alloc = 1;
	CHECK(files_dup(fs) == NULL);
	CHECK(f->refs == 1);
	host.fail_alloc = 1;
	CHECK(file_new(&fake_ops, &objs[1], NULL, 0) == NULL);
	host.fail_alloc = 1;
	CHECK(files_new() == NULL);
	finish();
	CHECK(objs[0].released == 1);
}

/* before: 0 -> f, 1 and 2 -> g (cloexec), 3 -> g; after exec: 0 and 3 stay, g not released */
static void files_exec_closes_only_cloexec(void)
{
	struct file *f, *g, *h;

	start();
	f = fake_file(0);
	g = fake_file(1);
	h = fake_file(2);
	CHECK(fd_install(fs, f, 0, false) == 0);
	CHECK(fd_install(fs, g, 1, true) == 1);
	CHECK(fd_dup2(fs, 1, 2, true) == 2);
	CHECK(fd_dup2(fs, 1, 3, false) == 3);
	CHECK(fd_install(fs, h, 255, true) == 255);
	files_exec(fs);
	CHECK(fs->fd[0] == f && fs->fd[1] == NULL && fs->fd[2] == NULL && fs->fd[3] == g);
	CHECK(fs->fd[255] == NULL && objs[2].released == 1);
	CHECK(g->refs == 1 && objs[1].released == 0 && objs[0].released == 0);
	for (int i = 0; i < FD_MAX / 64; i++)
		CHECK(fs->cloexec[i] == 0);
	files_exec(fs);				/* nothing left to close */
	CHECK(fs->fd[0] == f && fs->fd[3] == g);
	finish();
	CHECK(objs[0].released == 1 && objs[1].released == 1 && objs[2].released == 1);
}

static const struct unit_test tests[] = {
	TEST(install_takes_lowest_free_at_or_above_min),
	TEST(install_full_table_is_emfile),
	TEST(install_bad_min_is_einval),
	TEST(get_returns_a_reference_or_null),
	TEST(close_bad_fds_is_ebadf),
	TEST(release_once_at_last_close),
	TEST(dup2_onto_itself_changes_nothing),
	TEST(dup2_closes_what_newfd_held),
	TEST(dup2_sets_cloexec_of_newfd_only),
	TEST(dup2_bad_fds_leave_newfd_alone),
	TEST(cloexec_get_and_set),
	TEST(close_clears_cloexec),
	TEST(files_dup_shares_files_and_cloexec),
	TEST(files_dup_without_memory_is_null),
	TEST(files_exec_closes_only_cloexec),
};

CHECK_MAIN("pmon_file", tests)
