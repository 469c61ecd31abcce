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
 * memfd mapping, plus the four segment-base writes leaving and re-entering enclave mode need.
 *
 * The pages' contents are verified and the AEX counter must have moved by at least PAGES per
 * pass, so neither a wrong answer nor a fault that did not happen can score.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

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
	int uffd, memfd;
	uint8_t *region;
	uint64_t aex_before;
	unsigned int zapped_passes;
	int failed;
	char err[160];
};

static struct aex_bench *limit_bench; /* for the signal handler */

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

static void continue_page(int sig, siginfo_t *info, void *ucv)
{
	struct uffdio_continue c = {
		.range = { .start = (uint64_t)info->si_addr & ~(PAGE - 1), .len = PAGE },
	};

	if (ioctl(limit_bench->uffd, UFFDIO_CONTINUE, &c) && errno != EEXIST)
		_exit(99); /* the limit cannot be measured; never loop on the fault */
}

static void bare_faults(void *arg)
{
	struct aex_bench *b = arg;
	struct bench_signal_saved saved;

	if (bench_signal_swap(SIGBUS, continue_page, &saved)) {
		fail(b, "rt_sigaction");
		return;
	}
	madvise(b->region, PAGES * PAGE, MADV_DONTNEED);
	for (unsigned int i = 0; i < PAGES; i++)
		(void)*(volatile uint64_t *)(b->region + i * PAGE);
	bench_signal_restore(&saved);
}

static void nothing(void *arg)
{
}

static int limit_setup(struct aex_bench *b)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_SHMEM };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING |
					       UFFDIO_REGISTER_MODE_MINOR };

	b->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	b->memfd = memfd_create("bench-limit", MFD_CLOEXEC);
	if (b->uffd < 0 || b->memfd < 0 || ioctl(b->uffd, UFFDIO_API, &api) ||
	    ftruncate(b->memfd, PAGES * PAGE))
		return -1;
	b->region = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, b->memfd, 0);
	if (b->region == MAP_FAILED)
		return -1;
	memset(b->region, 1, PAGES * PAGE); /* in the page cache: later faults are minor */
	reg.range.start = (uint64_t)b->region;
	reg.range.len = PAGES * PAGE;
	return ioctl(b->uffd, UFFDIO_REGISTER, &reg);
}

static uint64_t aex_count(void)
{
	struct sgxemu_stats s;

	return sgxemu_stats(&s) ? 0 : s.aex;
}

static int run(struct bench_result *result, char *err, size_t errlen)
{
	struct aex_bench b = { .uffd = -1, .memfd = -1, .region = MAP_FAILED };
	double t_zapped, t_warm, t_limit, unused;
	struct te_touch *t = &b.args.u.touch;
	int ret = -1;

	limit_bench = &b;
	if (limit_setup(&b)) {
		snprintf(err, errlen, "userfaultfd for the limit: %s", strerror(errno));
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
	if (b.region != MAP_FAILED)
		munmap(b.region, PAGES * PAGE);
	if (b.memfd >= 0)
		close(b.memfd);
	if (b.uffd >= 0)
		close(b.uffd);
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
