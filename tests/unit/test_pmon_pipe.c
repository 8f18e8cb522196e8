/*
 * Host tests for pcomponent/pipe.c: bytes in order across the ring's wrap, blocking
 * and non-blocking ends, PIPE_BUF atomicity, -EPIPE and end of file, faults in the
 * middle of a copy, poll masks, and both ends freed once. User memory is the host
 * buffer of pmon_host.c; a "sleep" runs the step a test queued in the other end's place.
 */
#include "pmon_test.h"
#include "linux-abi/linux.h"
#include "pcomponent/file.h"
#include "pcomponent/pipe.h"

#define HALF (HOST_USIZE / 2)
#define SRC HOST_UBASE			/* writes copy from here */
#define DST (HOST_UBASE + HALF)		/* reads copy to here */

static struct file *rd, *wr;
static uint32_t wseq, rseq;		/* stream bytes written and read so far */

/* The stream's byte i: no period near the ring's size, so a misplaced byte shows. */
static uint8_t pat(uint32_t i)
{
	return (uint8_t)(i * 31 + (i >> 8) * 7 + (i >> 16) + 1);
}

static void open_pipe(uint32_t flags)
{
	setup();
	wseq = rseq = 0;
	CHECK(pipe_create(flags, &rd, &wr) == 0);
	CHECK(host.kmallocs == base_kmallocs + 4);	/* the pipe, its ring, two files */
}

static void close_rd(void)
{
	file_put(rd);
	rd = NULL;
}

static void close_wr(void)
{
	file_put(wr);
	wr = NULL;
}

static void finish(void)
{
	if (rd)
		close_rd();
	if (wr)
		close_wr();
	check_clean();
}

/* Write the next n bytes of the stream from SRC; what write returned. */
static long pw(size_t n)
{
	uint8_t *s = host_uptr(SRC);
	long k;

	for (size_t i = 0; i < n && i < HALF; i++)
		s[i] = pat(wseq + (uint32_t)i);
	k = wr->ops->write(wr, &test_mm, SRC, n);
	CHECK(host.locks == 0);
	if (k > 0)
		wseq += (uint32_t)k;
	return k;
}

/* Read up to n bytes to DST and check they continue the stream; what read returned. */
static long pr(size_t n)
{
	uint8_t *d = host_uptr(DST);
	long k;

	memset(d, 0, n < HALF ? n : HALF);
	k = rd->ops->read(rd, &test_mm, DST, n);
	CHECK(host.locks == 0);
	for (long i = 0; i < k; i++)
		CHECK(d[i] == pat(rseq + (uint32_t)i));
	if (k > 0)
		rseq += (uint32_t)k;
	return k;
}

static unsigned poll_rd(void)
{
	return rd->ops->poll(rd);
}

static unsigned poll_wr(void)
{
	return wr->ops->poll(wr);
}

/* ---- life ---- */

/* before: a new pipe (4 blocks); the first close frees a file, the second everything */
static void closing_both_ends_frees_everything_once(void)
{
	open_pipe(0);
	CHECK(rd->ops->read && !rd->ops->write && wr->ops->write && !wr->ops->read);
	CHECK(rd->ops->mode == (S_IFIFO | 0600) && rd->wq && rd->wq == wr->wq);
	CHECK(pw(10) == 10);
	close_rd();
	CHECK(host.kmallocs == base_kmallocs + 3);
	close_wr();
	CHECK(host.kmallocs == base_kmallocs);
	finish();

	open_pipe(0);				/* the other order */
	close_wr();
	CHECK(host.kmallocs == base_kmallocs + 3);
	close_rd();
	finish();
}

/* each of the four allocations failing: -ENOMEM with nothing left behind */
static void create_without_memory_frees_what_it_made(void)
{
	setup();
	for (unsigned n = 1; n <= 4; n++) {
		rd = wr = NULL;
		host.fail_alloc = n;
		CHECK(pipe_create(0, &rd, &wr) == -ENOMEM);
		CHECK(host.kmallocs == base_kmallocs);
	}
	host.fail_alloc = 5;
	CHECK(pipe_create(0, &rd, &wr) == 0);
	host.fail_alloc = 0;
	finish();
}

/* only O_NONBLOCK of the caller's flags reaches the ends; each has its access mode */
static void create_keeps_only_o_nonblock(void)
{
	open_pipe(O_NONBLOCK | O_WRONLY | 02000000);
	CHECK(rd->flags == (O_RDONLY | O_NONBLOCK));
	CHECK(wr->flags == (O_WRONLY | O_NONBLOCK));
	finish();
	open_pipe(0);
	CHECK(rd->flags == O_RDONLY && wr->flags == O_WRONLY);
	finish();
}

/* ---- bytes in order ---- */

/* before: empty; writes of 10 and 5, reads of 4 and 100: 4, then the other 11 in order */
static void bytes_come_out_in_order(void)
{
	open_pipe(0);
	CHECK(pw(10) == 10);
	CHECK(pr(4) == 4);
	CHECK(pw(5) == 5);
	CHECK(pr(100) == 11);
	CHECK(host.schedules == 0);
	finish();
}

/* before: head 200 bytes before the ring's end; a write and a read across it, each in two copies */
static void the_ring_wraps(void)
{
	open_pipe(0);
	CHECK(pw(PIPE_SIZE - 100) == PIPE_SIZE - 100);
	CHECK(pr(PIPE_SIZE - 200) == PIPE_SIZE - 200);
	host.copies_in = host.copies_out = 0;
	CHECK(pw(300) == 300);			/* 100 to the end, 200 from the start */
	CHECK(host.copies_in == 2);
	CHECK(pr(400) == 400);
	CHECK(host.copies_out == 2);
	for (int i = 0; i < 40; i++) {		/* odd sizes: the wrap point moves around */
		CHECK(pw(7777) == 7777);
		CHECK(pr(7777) == 7777);
	}
	finish();
}

/* ---- non-blocking ends ---- */

/* before: empty, O_NONBLOCK; a read is -EAGAIN (a read of 0 bytes is 0), never a sleep */
static void nonblocking_read_of_empty_is_eagain(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pr(1) == -EAGAIN);
	CHECK(pr(0) == 0);
	CHECK(pw(1) == 1);
	CHECK(pr(10) == 1);
	CHECK(pr(10) == -EAGAIN);
	CHECK(host.schedules == 0);
	finish();
}

/* before: full, O_NONBLOCK; any write is -EAGAIN; one byte read makes room for one */
static void nonblocking_write_to_full_is_eagain(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE) == PIPE_SIZE);
	CHECK(pw(1) == -EAGAIN);
	CHECK(pw(PIPE_BUF) == -EAGAIN);
	CHECK(pw(PIPE_BUF + 1) == -EAGAIN);
	CHECK(pr(1) == 1);
	CHECK(pw(2) == -EAGAIN);		/* 2 <= PIPE_BUF: all or nothing */
	CHECK(pw(1) == 1);
	CHECK(pr(PIPE_SIZE) == PIPE_SIZE);
	CHECK(host.schedules == 0);
	finish();
}

/* before: PIPE_BUF - 1 bytes free; a PIPE_BUF write is -EAGAIN and writes nothing */
static void small_write_is_all_or_nothing(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE - PIPE_BUF + 1) == PIPE_SIZE - PIPE_BUF + 1);
	CHECK(pw(PIPE_BUF) == -EAGAIN);
	CHECK(pw(PIPE_BUF - 1) == PIPE_BUF - 1);	/* what fits is written whole */
	CHECK(pr(2 * PIPE_SIZE) == PIPE_SIZE);		/* and no part of the refused one */
	finish();
}

/* before: 10 bytes free; a write of PIPE_BUF + 1 is not atomic: 10 go in */
static void large_write_takes_what_fits(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE - 10) == PIPE_SIZE - 10);
	CHECK(pw(PIPE_BUF + 1) == 10);
	CHECK(pr(PIPE_SIZE) == PIPE_SIZE);
	finish();
}

/* before: empty, O_NONBLOCK; writes of PIPE_SIZE + 1 and of SIZE_MAX bytes put PIPE_SIZE in */
static void nonblocking_write_of_more_than_the_pipe(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE + 1) == PIPE_SIZE);
	CHECK(pr(PIPE_SIZE + 1) == PIPE_SIZE);
	CHECK(pw(SIZE_MAX) == PIPE_SIZE);
	CHECK(pr(SIZE_MAX) == PIPE_SIZE);
	finish();
}

/* ---- closed ends ---- */

/* the read end closed: every write is -EPIPE (a full pipe too, blocking or not) */
static void write_without_reader_is_epipe(void)
{
	for (int nb = 0; nb < 2; nb++) {
		open_pipe(nb ? O_NONBLOCK : 0);
		CHECK(pw(PIPE_SIZE) == PIPE_SIZE);
		close_rd();
		CHECK(pw(1) == -EPIPE);
		CHECK(pw(PIPE_BUF) == -EPIPE);
		CHECK(pw(3 * PIPE_SIZE) == -EPIPE);
		CHECK(pw(0) == 0);
		CHECK(host.schedules == 0);
		finish();
	}
}

/* the write end closed with 5 bytes left: reads get 3, 2, then 0 for good, never -EAGAIN */
static void read_without_writer_drains_then_zero(void)
{
	for (int nb = 0; nb < 2; nb++) {
		open_pipe(nb ? O_NONBLOCK : 0);
		CHECK(pw(5) == 5);
		close_wr();
		CHECK(pr(3) == 3);
		CHECK(pr(10) == 2);
		CHECK(pr(10) == 0);
		CHECK(pr(SIZE_MAX) == 0);
		CHECK(host.schedules == 0);
		finish();
	}
}

/* ---- faults ---- */

/* before: the tail 100 bytes before the ring's end; the source faults at byte 200 of 300 */
static void write_fault_keeps_what_was_copied(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE - 100) == PIPE_SIZE - 100);
	CHECK(pr(PIPE_SIZE) == PIPE_SIZE - 100);
	host.fault_at = SRC + 200;
	CHECK(pw(300) == 100);			/* the copy to the ring's end, not the rest */
	host.fault_at = SRC;
	CHECK(pw(10) == -EFAULT);
	host.fault_at = HOST_UEND;
	CHECK(pr(1000) == 100);
	CHECK(pr(1000) == -EAGAIN);
	finish();
}

/* hostile sources: nothing mapped, the top of the address space, a range that wraps */
static void write_from_bad_addresses_is_efault(void)
{
	static const uint64_t bad[] = { 0, HOST_UEND, UINT64_MAX, UINT64_MAX - 10,
					0xffff800000000000ULL };

	open_pipe(O_NONBLOCK);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(wr->ops->write(wr, &test_mm, bad[i], 100) == -EFAULT);
		CHECK(wr->ops->write(wr, &test_mm, bad[i], PIPE_SIZE + 1) == -EFAULT);
	}
	CHECK(poll_rd() == 0);			/* nothing went in */
	CHECK(pr(10) == -EAGAIN);
	finish();
}

/* before: 300 bytes wrapped in the ring; the destination faults in the second part */
static void read_fault_leaves_the_rest_in_the_pipe(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE - 100) == PIPE_SIZE - 100);
	CHECK(pr(PIPE_SIZE) == PIPE_SIZE - 100);
	CHECK(pw(300) == 300);
	host.fault_at = DST + 150;
	CHECK(pr(300) == 100);			/* up to the ring's end */
	host.fault_at = DST;
	CHECK(pr(300) == -EFAULT);
	CHECK(rd->ops->read(rd, &test_mm, 0, 10) == -EFAULT);
	CHECK(rd->ops->read(rd, &test_mm, UINT64_MAX - 3, 10) == -EFAULT);
	host.fault_at = HOST_UEND;
	CHECK(pr(1000) == 200);			/* nothing was lost */
	finish();
}

/* ---- poll ---- */

/* the masks of both ends at each state: empty, data, full, writer gone, reader gone */
static void poll_masks_follow_the_state(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(poll_rd() == 0 && poll_wr() == POLLOUT);
	CHECK(pw(1) == 1);
	CHECK(poll_rd() == POLLIN && poll_wr() == POLLOUT);
	CHECK(pw(PIPE_SIZE - PIPE_BUF - 1) > 0);	/* exactly PIPE_BUF free */
	CHECK(poll_wr() == POLLOUT);
	CHECK(pw(1) == 1);				/* one byte less */
	CHECK(poll_wr() == 0 && poll_rd() == POLLIN);
	CHECK(pr(1) == 1);
	CHECK(poll_wr() == POLLOUT);
	close_wr();
	CHECK(poll_rd() == (POLLIN | POLLHUP));
	CHECK(pr(PIPE_SIZE) > 0);
	CHECK(poll_rd() == POLLHUP);
	finish();

	open_pipe(0);
	close_rd();
	CHECK(poll_wr() == (POLLOUT | POLLERR));
	CHECK(pw(PIPE_SIZE) == -EPIPE);
	finish();

	open_pipe(O_NONBLOCK);
	CHECK(pw(PIPE_SIZE) == PIPE_SIZE);
	close_rd();
	CHECK(poll_wr() == POLLERR);
	finish();
}

/* ---- sleeping ends (the step runs as the other end's thread) ---- */

static void step_write_3(void *arg)
{
	(void)arg;
	CHECK(!list_empty(&rd->wq->waiters));	/* the reader waits where writers wake */
	CHECK(pw(3) == 3);
	CHECK(host.woken_wq == rd->wq);
}

/* before: empty, blocking; the read sleeps, a write of 3 wakes it: 3 */
static void blocking_read_sleeps_until_a_write(void)
{
	open_pipe(0);
	host_defer(step_write_3, NULL);
	CHECK(pr(10) == 3);
	CHECK(host.schedules == 1);
	CHECK(list_empty(&rd->wq->waiters));
	finish();
}

static void step_close_wr(void *arg)
{
	unsigned wake_ups = host.wake_ups;

	(void)arg;
	close_wr();
	CHECK(host.wake_ups == wake_ups + 1 && host.woken_wq == rd->wq);
}

/* before: empty, blocking; the read sleeps, the last writer closes: 0 */
static void blocking_read_gets_eof_when_the_writer_closes(void)
{
	open_pipe(0);
	host_defer(step_close_wr, NULL);
	CHECK(pr(10) == 0);
	CHECK(host.schedules == 1);
	finish();
}

static void step_read_everything(void *arg)
{
	(void)arg;
	CHECK(pr(PIPE_SIZE) == PIPE_SIZE - PIPE_BUF + 1);	/* the sleeper wrote nothing */
}

/* before: PIPE_BUF - 1 free, blocking; a PIPE_BUF write sleeps whole until there is room */
static void blocking_small_write_waits_whole(void)
{
	open_pipe(0);
	CHECK(pw(PIPE_SIZE - PIPE_BUF + 1) == PIPE_SIZE - PIPE_BUF + 1);
	host_defer(step_read_everything, NULL);
	CHECK(pw(PIPE_BUF) == PIPE_BUF);
	CHECK(host.schedules == 1);
	CHECK(pr(PIPE_SIZE) == PIPE_BUF);
	finish();
}

static void step_read_20(void *arg)
{
	(void)arg;
	CHECK(pr(20) == 20);
}

/* before: empty, blocking; PIPE_SIZE + 10 bytes: a full pipe, a sleep, then the last 10 */
static void blocking_big_write_goes_in_pieces(void)
{
	open_pipe(0);
	host_defer(step_read_20, NULL);
	CHECK(pw(PIPE_SIZE + 10) == PIPE_SIZE + 10);
	CHECK(host.schedules == 1);
	CHECK(pr(2 * PIPE_SIZE) == PIPE_SIZE - 10);
	finish();
}

static void step_close_rd(void *arg)
{
	(void)arg;
	close_rd();
}

/* a sleeping writer whose reader goes: -EPIPE, or what it wrote before sleeping */
static void blocking_write_gets_epipe_when_the_reader_closes(void)
{
	open_pipe(0);
	CHECK(pw(PIPE_SIZE) == PIPE_SIZE);
	host_defer(step_close_rd, NULL);
	CHECK(pw(10) == -EPIPE);
	finish();

	open_pipe(0);
	host_defer(step_close_rd, NULL);
	CHECK(pw(PIPE_SIZE + 10) == PIPE_SIZE);
	finish();
}

/* a pending signal: a read or write that must wait is -EINTR (or the part written) */
static void a_signal_interrupts_a_wait_only(void)
{
	open_pipe(0);
	host.interrupted = true;
	CHECK(pr(10) == -EINTR);
	CHECK(pw(PIPE_SIZE + 10) == PIPE_SIZE);	/* then it had to wait */
	CHECK(pw(1) == -EINTR);
	CHECK(pr(10) == 10);			/* data there: no wait, no -EINTR */
	CHECK(host.schedules == 0);
	CHECK(list_empty(&rd->wq->waiters));
	finish();
}

static void read_during_copy(void *arg)
{
	(void)arg;
	CHECK(pr(100) == 5);			/* the bytes being copied are not there yet */
}

/* before: 5 bytes in; a reader takes them while a write's copy is in flight */
static void a_reader_runs_during_a_writers_copy(void)
{
	open_pipe(O_NONBLOCK);
	CHECK(pw(5) == 5);
	host.during_copy = read_during_copy;
	CHECK(pw(50) == 50);
	CHECK(host.during_copy == NULL);
	CHECK(pr(100) == 50);			/* appended where the tail was */
	finish();
}

static const struct unit_test tests[] = {
	TEST(closing_both_ends_frees_everything_once),
	TEST(create_without_memory_frees_what_it_made),
	TEST(create_keeps_only_o_nonblock),
	TEST(bytes_come_out_in_order),
	TEST(the_ring_wraps),
	TEST(nonblocking_read_of_empty_is_eagain),
	TEST(nonblocking_write_to_full_is_eagain),
	TEST(small_write_is_all_or_nothing),
	TEST(large_write_takes_what_fits),
	TEST(nonblocking_write_of_more_than_the_pipe),
	TEST(write_without_reader_is_epipe),
	TEST(read_without_writer_drains_then_zero),
	TEST(write_fault_keeps_what_was_copied),
	TEST(write_from_bad_addresses_is_efault),
	TEST(read_fault_leaves_the_rest_in_the_pipe),
	TEST(poll_masks_follow_the_state),
	TEST(blocking_read_sleeps_until_a_write),
	TEST(blocking_read_gets_eof_when_the_writer_closes),
	TEST(blocking_small_write_waits_whole),
	TEST(blocking_big_write_goes_in_pieces),
	TEST(blocking_write_gets_epipe_when_the_reader_closes),
	TEST(a_signal_interrupts_a_wait_only),
	TEST(a_reader_runs_during_a_writers_copy),
};

CHECK_MAIN("pmon_pipe", tests)
