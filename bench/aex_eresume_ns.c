// SPDX-License-Identifier: MIT
/*
 * aex_eresume_ns: an exception inside the enclave that the host resolves, invisibly to the vDSO
 * caller: the enclave reads a page whose host PTE was zapped (as the reclaimer's accessed-bit
 * emulation and every EPCM change do), the read faults (userfaultfd's SIGBUS), the runtime does
 * the AEX, runs the kernel layer's fault path outside the enclave (which reinstalls the PTE with
 * UFFDIO_CONTINUE) and ERESUMEs. Per fault: (zap + one ecall reading PAGES zapped pages - the same
 * ecall over mapped pages) / PAGES.
 *
 * The limit, measured in the same run, is the same fault resolved by a bare handler: zap, one
 * SIGBUS round trip whose handler does the UFFDIO_CONTINUE, per page of a userfaultfd-registered
 * memfd mapping (bench_uffd_region_*), plus the four segment-base writes leaving and re-entering
 * enclave mode need.
 *
 * The pages' contents are verified and the AEX counter must have moved by at least PAGES per
 * pass, so neither a wrong answer nor a fault that did not happen can score.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "bench.h"

#define PAGES 256
#define ROUNDS 9
#define PAGE 4096UL

struct aex_bench {
	struct sgxemu_enclave *e;
	uint64_t heap;
	struct te_args args;
	/* The limit's own userfaultfd-registered mapping. */
	struct bench_uffd_region limit;
	uint64_t aex_before;
	unsigned int zapped_passes;
	int failed;
	char err[160];
};

static void fail(struct aex_bench *b, const char *what)
{
	if (!b->failed)
		snprintf(b->err, sizeof(b->err), "%s", what);
	b->failed = 1;
}

static void verify_pass(struct aex_bench *b)
{
	struct te_touch *t = &b->args.u.touch;

	memset(t, 0, sizeof(*t));
	t->addr = b->heap;
	t->npages = PAGES;
	t->seed = 42;
	t->mode = TE_TOUCH_VERIFY;
	if (bench_ecall(b->e, TE_OP_TOUCH, &b->args) != TE_OK || t->mismatches ||
	    t->pages_done != PAGES)
		fail(b, "the enclave's pages did not verify");
}

/* Zap the host PTEs of the pages, then let the enclave read them all: PAGES faults. */
static void zapped(void *arg)
{
	struct aex_bench *b = arg;

	if (madvise((void *)b->heap, PAGES * PAGE, MADV_DONTNEED))
		fail(b, "madvise");
	verify_pass(b);
	b->zapped_passes++;
}

/* The same ecall over mapped pages: what the enclave's own work costs. */
static void warm(void *arg)
{
	verify_pass(arg);
}

static void bare_faults(void *arg)
{
	struct aex_bench *b = arg;

	if (bench_uffd_region_faults(&b->limit))
		fail(b, "rt_sigaction");
}

static void nothing(void *arg)
{
}

static uint64_t aex_count(void)
{
	struct sgxemu_stats s;

	return sgxemu_stats(&s) ? 0 : s.aex;
}

static int run(struct bench_result *result, char *err, size_t errlen)
{
	struct aex_bench b = { .limit = { .uffd = -1, .memfd = -1, .region = MAP_FAILED } };
	double t_zapped, t_warm, t_limit, unused;
	struct te_touch *t = &b.args.u.touch;
	int ret = -1, setup;

	setup = bench_uffd_region_setup(&b.limit, PAGES);
	if (setup) {
		snprintf(err, errlen, "userfaultfd for the limit: %s", strerror(-setup));
		goto out;
	}
	b.e = bench_load_test_enclave(err, errlen);
	if (!b.e)
		goto out;
	if (bench_ecall(b.e, TE_OP_INFO, &b.args) != TE_OK) {
		snprintf(err, errlen, "TE_OP_INFO failed");
		goto out;
	}
	b.heap = b.args.u.info.heap;
	if (b.args.u.info.heap_size < PAGES * PAGE) {
		snprintf(err, errlen, "the test enclave's heap is smaller than %u pages", PAGES);
		goto out;
	}
	/* Fill the pages once (their first touches fault them in), then verify on every pass. */
	memset(t, 0, sizeof(*t));
	t->addr = b.heap;
	t->npages = PAGES;
	t->seed = 42;
	t->mode = TE_TOUCH_WRITE | TE_TOUCH_VERIFY;
	if (bench_ecall(b.e, TE_OP_TOUCH, &b.args) != TE_OK || t->mismatches) {
		snprintf(err, errlen, "filling the enclave's pages failed");
		goto out;
	}

	b.aex_before = aex_count();
	bench_best_of_cpu(ROUNDS, zapped, warm, &b, &t_zapped, &t_warm);
	if (!b.failed && aex_count() - b.aex_before < (uint64_t)b.zapped_passes * PAGES)
		fail(&b, "the zapped pages did not fault: nothing was measured");
	bench_best_of_cpu(ROUNDS, bare_faults, nothing, &b, &t_limit, &unused);
	if (b.failed) {
		snprintf(err, errlen, "%s", b.err);
		goto out;
	}
	result->value = (t_zapped - t_warm) / PAGES * 1e9;
	result->limit = t_limit / PAGES * 1e9 + bench_base_writes_ns();
	ret = 0;
out:
	if (b.e)
		sgxemu_enclave_unload(b.e);
	bench_uffd_region_teardown(&b.limit);
	return ret;
}

const struct bench_figure bench_aex_eresume_ns = {
	.name = "aex_eresume_ns",
	.unit = "ns",
	.lower_is_better = true,
	.description = "a fault in the enclave resolved by the host (AEX, fault path, ERESUME) vs "
		       "zap + bare SIGBUS round trip with UFFDIO_CONTINUE + 4 FS/GS base writes",
	.run = run,
};
