/* SPDX-License-Identifier: MIT */
/*
 * A large ELRANGE, a working set several times the EPC: the enclave is built (EADD of every heap
 * page, with reclaim inside ADD_PAGES as the EPC fills), then two threads inside it write and
 * verify the whole heap in order and verify it again in a permuted order. Zero mismatches, every
 * page out and back in, nothing leaked.
 *
 * CI runs it small (ELRANGE 64 MiB, 8 MiB touched, 2 MiB EPC). The large test is the same
 * code at full size, not in CI (`make large`, see README):
 *
 *   SGXEMU_LARGE=1                      ELRANGE 64 GiB, 8 GiB touched, EPC 2 GiB
 *   SGXEMU_LARGE_ELRANGE / _TOUCH / _EPC  sizes (with K/M/G suffixes) to scale it
 *   SGXEMU_LARGE_BACKING_DIR             keep evicted pages in a file there instead of memory
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/encl.h"
#include "runtime_fixture.h"

#define THREADS 2

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t size_env(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);
	char *end;
	uint64_t n;

	if (!v || !*v)
		return dflt;
	n = strtoull(v, &end, 0);
	switch (*end) {
	case 'G':
	case 'g':
		n <<= 10;
		/* fallthrough */
	case 'M':
	case 'm':
		n <<= 10;
		/* fallthrough */
	case 'K':
	case 'k':
		n <<= 10;
	}
	return n;
}

struct worker {
	pthread_t thread;
	struct sgxemu_enclave *e;
	unsigned int tcs;
	uint64_t addr, npages, seed;
	uint64_t mismatches, pages;
	int64_t status;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static const uint32_t modes[] = {
		TE_TOUCH_WRITE | TE_TOUCH_VERIFY,
		TE_TOUCH_VERIFY | TE_TOUCH_RANDOM,
	};

	for (unsigned int m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct te_args args;

		memset(&args, 0, sizeof(args));
		args.u.touch.addr = w->addr;
		args.u.touch.npages = w->npages;
		args.u.touch.seed = w->seed;
		args.u.touch.mode = modes[m];
		w->status = rfix_call(w->e, w->tcs, TE_OP_TOUCH, &args);
		if (w->status != TE_OK)
			return NULL;
		w->mismatches += args.u.touch.mismatches;
		w->pages += args.u.touch.pages_done;
	}
	return NULL;
}

static void check(struct sgx_platform *p)
{
	char err[512];

	if (sgx_platform_check(p, err, sizeof(err)))
		fail_msg("invariant violated: %s", err);
}

static void large_elrange_oversubscribed(void **state)
{
	bool large = getenv("SGXEMU_LARGE") != NULL;
	uint64_t elrange = size_env("SGXEMU_LARGE_ELRANGE", large ? 64ULL << 30 : 64ULL << 20);
	uint64_t touch = size_env("SGXEMU_LARGE_TOUCH", large ? 8ULL << 30 : 8ULL << 20);
	uint64_t epc = size_env("SGXEMU_LARGE_EPC", large ? 2ULL << 30 : 2ULL << 20);
	const char *dir = getenv("SGXEMU_LARGE_BACKING_DIR");
	struct rfix_options o = { .threads = THREADS, .heap_size = touch };
	struct sgxemu_config config;
	struct sgx_platform_stats s;
	struct worker w[THREADS];
	struct sgxemu_enclave *e;
	struct sgx_platform *p;
	char err[256], epc_str[32];
	uint64_t per_thread;
	double t0, t_built, t_end;

	sgxemu_shutdown();
	sgxemu_config_defaults(&config);
	snprintf(epc_str, sizeof(epc_str), "%lluK", (unsigned long long)(epc >> 10));
	assert_int_equal(sgxemu_config_set(&config, "epc", epc_str, err, sizeof(err)), 0);
	if (dir)
		assert_int_equal(sgxemu_config_set(&config, "backing-dir", dir, err, sizeof(err)),
				 0);
	assert_int_equal(sgxemu_boot(&config), 0);
	p = sgx_default_platform();

	/* The image is small next to the heap: a reserve of half the ELRANGE rounds SIZE up to it. */
	o.reserve = elrange / 2;
	t0 = now();
	e = rfix_load(&o);
	t_built = now();
	assert_int_equal(e->size, elrange);
	assert_true(e->has_layout && e->heap_size == touch);

	per_thread = touch / 4096 / THREADS;
	for (unsigned int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .e = e,
					.tcs = i,
					.addr = e->heap + i * per_thread * 4096,
					.npages = per_thread,
					.seed = 0x1a7e + i };
		assert_int_equal(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	for (unsigned int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		assert_int_equal(w[i].status, TE_OK);
		assert_int_equal(w[i].mismatches, 0);
		assert_int_equal(w[i].pages, 2 * per_thread);
	}
	t_end = now();
	sgx_platform_get_stats(p, &s);
	fprintf(stderr,
		"large: ELRANGE %llu MiB, %llu MiB touched, EPC %llu MiB: built in %.1f s, "
		"touched (write+verify, random verify) in %.1f s; %llu evictions, %llu loads, "
		"%llu kicks, 0 mismatches\n",
		(unsigned long long)(elrange >> 20), (unsigned long long)(touch >> 20),
		(unsigned long long)(epc >> 20), t_built - t0, t_end - t_built,
		(unsigned long long)s.reclaim.evicted, (unsigned long long)s.reclaim.loaded,
		(unsigned long long)s.reclaim.kicks);
	/* The touched pages did not fit: at least the overflow went out and came back per pass. */
	assert_true(s.reclaim.evicted >= 2 * (touch - epc) / 4096);
	assert_true(s.reclaim.loaded >= 2 * (touch - epc) / 4096);
	assert_int_equal(s.reclaim.eldu_failures, 0);
	assert_int_equal(s.reclaim.ewb_lost, 0);
	check(p);
	rfix_unload(e);
	check(p);
	sgx_platform_get_stats(p, &s);
	assert_int_equal(s.free_pages, s.total_pages);
	sgxemu_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(large_elrange_oversubscribed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
