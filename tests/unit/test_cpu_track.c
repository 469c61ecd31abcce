// SPDX-License-Identifier: MIT
/*
 * The epoch-tracking model of ref/sgx-isa.md §7.4 (src/cpu/track.c), on its own: a SECS's hidden
 * state and a few LPs, without leaves. The leaves that use it (EBLOCK/ETRACK/EWB) are tested
 * through the ENCLS interface in test_cpu_paging*.c.
 *
 *   rule (ref §7.4)                                                      test
 *   EENTER/ERESUME: entry_epoch := epoch, cur_cnt++                      test_enter_exit_counts
 *   EEXIT/AEX: cur_cnt-- if entered this epoch, else prev_cnt--          test_exit_from_previous_epoch
 *   ETRACK: prev_cnt != 0 -> SGX_PREV_TRK_INCMPL                         test_prev_trk_incmpl
 *   ETRACK: prev_cnt := cur_cnt, cur_cnt := 0, epoch++                   test_enter_exit_counts
 *   tracked <=> BEPOCH < epoch and (BEPOCH < epoch-1 or prev_cnt == 0)   test_tracked_*
 *   an LP that entered after ETRACK does not hold tracking back          test_tracked_late_entry
 *   the counters stay consistent under concurrent enter/exit/ETRACK      test_concurrent_consistency
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "cpu/cpu_internal.h"

static struct sgx_secs_hidden *new_secs(void)
{
	struct sgx_secs_hidden *h = test_calloc(1, sizeof(*h));

	return h;
}

static void test_enter_exit_counts(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	struct sgx_tlp a = { 0 }, b = { 0 };

	sgx_track_enter(h, &a);
	sgx_track_enter(h, &b);
	assert_int_equal(h->cur_cnt, 2);
	assert_int_equal(h->lps_inside, 2);
	assert_int_equal(a.entry_epoch, 0);

	assert_int_equal(sgx_track_start(h), 0);
	assert_int_equal(h->epoch, 1);
	assert_int_equal(h->prev_cnt, 2);
	assert_int_equal(h->cur_cnt, 0);
	assert_int_equal(h->lps_inside, 2);

	sgx_track_exit(h, &a);
	sgx_track_exit(h, &b);
	assert_int_equal(h->prev_cnt, 0);
	assert_int_equal(h->lps_inside, 0);
	test_free(h);
}

static void test_exit_from_previous_epoch(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	struct sgx_tlp old = { 0 }, young = { 0 };

	sgx_track_enter(h, &old);
	assert_int_equal(sgx_track_start(h), 0);
	sgx_track_enter(h, &young);
	assert_int_equal(young.entry_epoch, 1);
	assert_int_equal(h->cur_cnt, 1);
	assert_int_equal(h->prev_cnt, 1);

	/* The young LP leaving must not be mistaken for the one ETRACK waits for. */
	sgx_track_exit(h, &young);
	assert_int_equal(h->cur_cnt, 0);
	assert_int_equal(h->prev_cnt, 1);
	sgx_track_exit(h, &old);
	assert_int_equal(h->prev_cnt, 0);
	assert_int_equal(h->lps_inside, 0);

	/* An exit without an enter is a caller bug: the counters must not wrap. */
	sgx_track_exit(h, &old);
	assert_int_equal(h->prev_cnt, 0);
	assert_int_equal(h->cur_cnt, 0);
	assert_int_equal(h->lps_inside, 0);
	test_free(h);
}

static void test_prev_trk_incmpl(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	struct sgx_tlp a = { 0 };

	sgx_track_enter(h, &a);
	assert_int_equal(sgx_track_start(h), 0);
	assert_int_equal(sgx_track_start(h), SGX_PREV_TRK_INCMPL);
	/* A refused ETRACK changes nothing. */
	assert_int_equal(h->epoch, 1);
	assert_int_equal(h->prev_cnt, 1);
	sgx_track_exit(h, &a);
	assert_int_equal(sgx_track_start(h), 0);
	assert_int_equal(h->epoch, 2);
	/* With nobody inside, ETRACK never waits. */
	assert_int_equal(sgx_track_start(h), 0);
	assert_int_equal(sgx_track_start(h), 0);
	assert_int_equal(h->epoch, 4);
	test_free(h);
}

static void test_tracked_empty_enclave(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	uint64_t bepoch = sgx_track_epoch(h);

	/* Even with nobody inside, a page blocked after the last ETRACK needs one more. */
	assert_false(sgx_track_done(h, bepoch));
	assert_int_equal(sgx_track_start(h), 0);
	assert_true(sgx_track_done(h, bepoch));
	test_free(h);
}

static void test_tracked_waits_for_lps_inside(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	struct sgx_tlp a = { 0 }, b = { 0 };
	uint64_t bepoch;

	sgx_track_enter(h, &a);
	sgx_track_enter(h, &b);
	bepoch = sgx_track_epoch(h);
	assert_false(sgx_track_done(h, bepoch));
	assert_int_equal(sgx_track_start(h), 0);
	assert_false(sgx_track_done(h, bepoch));
	sgx_track_exit(h, &a);
	assert_false(sgx_track_done(h, bepoch));
	sgx_track_exit(h, &b);
	assert_true(sgx_track_done(h, bepoch));
	test_free(h);
}

static void test_tracked_late_entry(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	struct sgx_tlp a = { 0 }, late = { 0 };
	uint64_t bepoch;

	sgx_track_enter(h, &a);
	bepoch = sgx_track_epoch(h);
	assert_int_equal(sgx_track_start(h), 0);
	/* Entering after ETRACK, the LP sees the page blocked: it cannot delay tracking. */
	sgx_track_enter(h, &late);
	sgx_track_exit(h, &a);
	assert_true(sgx_track_done(h, bepoch));

	/* A page blocked now (late is inside) needs a new cycle that waits for late. */
	bepoch = sgx_track_epoch(h);
	assert_false(sgx_track_done(h, bepoch));
	assert_int_equal(sgx_track_start(h), 0);
	assert_false(sgx_track_done(h, bepoch));
	sgx_track_exit(h, &late);
	assert_true(sgx_track_done(h, bepoch));
	test_free(h);
}

static void test_tracked_after_two_cycles(void **state)
{
	struct sgx_secs_hidden *h = new_secs();
	struct sgx_tlp a = { 0 }, b = { 0 };
	uint64_t old_bepoch, new_bepoch;

	sgx_track_enter(h, &a);
	old_bepoch = sgx_track_epoch(h);
	assert_int_equal(sgx_track_start(h), 0);
	sgx_track_enter(h, &b);
	sgx_track_exit(h, &a);
	new_bepoch = sgx_track_epoch(h);
	assert_int_equal(sgx_track_start(h), 0);
	/* b is inside: the newer stamp waits for b, the older one (two cycles back) does not. */
	assert_true(sgx_track_done(h, old_bepoch));
	assert_false(sgx_track_done(h, new_bepoch));
	sgx_track_exit(h, &b);
	assert_true(sgx_track_done(h, new_bepoch));
	test_free(h);
}

/*
 * Four "LP" threads enter and leave while a fifth runs ETRACK cycles. Whatever the interleaving,
 * once everyone has left, the counters are zero and a fresh stamp becomes tracked after one ETRACK.
 */
#define CONCURRENT_LPS 4
#define CONCURRENT_ROUNDS 20000

struct concurrent_ctx {
	struct sgx_secs_hidden *h;
	int stop;
};

static void *lp_thread(void *arg)
{
	struct concurrent_ctx *ctx = arg;
	struct sgx_tlp tlp = { 0 };

	for (int i = 0; i < CONCURRENT_ROUNDS; i++) {
		sgx_track_enter(ctx->h, &tlp);
		sgx_track_exit(ctx->h, &tlp);
	}
	return NULL;
}

static void *etrack_thread(void *arg)
{
	struct concurrent_ctx *ctx = arg;

	while (!__atomic_load_n(&ctx->stop, __ATOMIC_ACQUIRE))
		sgx_track_start(ctx->h);
	return NULL;
}

static void test_concurrent_consistency(void **state)
{
	struct concurrent_ctx ctx = { .h = new_secs() };
	pthread_t lps[CONCURRENT_LPS], tracker;
	uint64_t bepoch;

	assert_int_equal(pthread_create(&tracker, NULL, etrack_thread, &ctx), 0);
	for (int i = 0; i < CONCURRENT_LPS; i++)
		assert_int_equal(pthread_create(&lps[i], NULL, lp_thread, &ctx), 0);
	for (int i = 0; i < CONCURRENT_LPS; i++)
		pthread_join(lps[i], NULL);
	__atomic_store_n(&ctx.stop, 1, __ATOMIC_RELEASE);
	pthread_join(tracker, NULL);

	assert_int_equal(ctx.h->cur_cnt, 0);
	assert_int_equal(ctx.h->prev_cnt, 0);
	assert_int_equal(ctx.h->lps_inside, 0);
	assert_int_equal(ctx.h->track_spin, 0);
	bepoch = sgx_track_epoch(ctx.h);
	assert_int_equal(sgx_track_start(ctx.h), 0);
	assert_true(sgx_track_done(ctx.h, bepoch));
	test_free(ctx.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enter_exit_counts),
		cmocka_unit_test(test_exit_from_previous_epoch),
		cmocka_unit_test(test_prev_trk_incmpl),
		cmocka_unit_test(test_tracked_empty_enclave),
		cmocka_unit_test(test_tracked_waits_for_lps_inside),
		cmocka_unit_test(test_tracked_late_entry),
		cmocka_unit_test(test_tracked_after_two_cycles),
		cmocka_unit_test(test_concurrent_consistency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
