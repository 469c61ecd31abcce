// SPDX-License-Identifier: MIT
/*
 * eaug_accept_ns: growing an enclave by one page EACCEPT-first, natively. The test enclave
 * EACCEPTs a page of its free ELRANGE that has no page yet: the ENCLU traps, its operand is not
 * present (#PF), the thread takes an AEX, the kernel layer's fault handler EAUGs the page, the
 * thread ERESUMEs and the EACCEPT completes. One ecall EACCEPTs PAGES fresh pages (TE_OP_TOUCH,
 * EACCEPT only), so the ecall itself is amortised away; every pass grows into new addresses.
 *
 * The limit, measured in the same run: aex_eresume_ns's limit (a fault resolved by a bare handler:
 * zap, SIGBUS round trip, UFFDIO_CONTINUE, and the four segment-base writes between host and
 * enclave mode) plus one ENCLU trap (a bare SIGILL round trip). Target: value within 1.5x of the
 * limit. The runtime does better than that model in one respect: the EACCEPT's own trap is the
 * signal in which the AEX, the EAUG and the ERESUME happen, and it re-executes the EACCEPT there
 * instead of returning to the enclave to trap again (runtime/trap.c, enclave_enclu); in another it
 * does more: EAUG allocates an EPC page and a page record and punches the page's storage.
 *
 * Every pass must have accepted every page (the enclave counts EACCEPT failures) and the EPCM must
 * say REG, RW, not PENDING for each, so a fast wrong answer cannot score.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "bench.h"
#include "kernel/encl.h"
#include "kernel/sgx.h"

#define PAGES 256
#define ROUNDS 7 /* 7 x 256 pages of the test enclave's 2048 free ones */
#define PAGE 4096UL

struct eaug_bench {
	struct sgxemu_enclave *e;
	unsigned int passes;
	struct te_args args;
	struct bench_uffd_region limit;
	int failed;
	char err[160];
};

static void fail(struct eaug_bench *b, const char *what)
{
	if (!b->failed)
		snprintf(b->err, sizeof(b->err), "%s", what);
	b->failed = 1;
}

/* The pages are accepted REG RW pages, as far as the EPCM knows. */
static void check_pages(struct eaug_bench *b, uint64_t addr)
{
	struct sgx_encl *encl = sgx_encl_from_fd(b->e->fd);

	if (IS_ERR(encl)) {
		fail(b, "no enclave behind the fd");
		return;
	}
	for (unsigned int i = 0; i < PAGES; i++) {
		sgx_paddr_t frame = sgx_encl_page_frame(encl, addr + i * PAGE);
		struct sgx_epcm_info info;

		if (!frame || !sgx_cpu_epcm_read(encl->platform->cpu, frame, &info) ||
		    !info.valid || info.page_type != SGX_PAGE_TYPE_REG || info.state ||
		    info.rwx != (SGX_SECINFO_R | SGX_SECINFO_W)) {
			fail(b, "a page is not an accepted REG RW page");
			break;
		}
	}
	sgx_encl_put(encl);
}

/* One pass: EACCEPT PAGES pages that do not exist yet. */
static void grow(void *arg)
{
	struct eaug_bench *b = arg;
	struct te_touch *t = &b->args.u.touch;
	uint64_t addr = b->e->free_start + (uint64_t)b->passes++ * PAGES * PAGE;

	if (b->failed || b->passes > ROUNDS) {
		fail(b, "out of free ELRANGE");
		return;
	}
	memset(t, 0, sizeof(*t));
	t->addr = addr;
	t->npages = PAGES;
	t->mode = TE_TOUCH_EACCEPT;
	if (bench_ecall(b->e, TE_OP_TOUCH, &b->args) != TE_OK || t->pages_done != PAGES) {
		fail(b, "the EACCEPT pass did not complete");
		return;
	}
	if (t->eaccept_failures) {
		fail(b, "an EACCEPT failed");
		return;
	}
	check_pages(b, addr);
}

static void step_over_ud2(int sig, siginfo_t *info, void *ucv)
{
	((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP] += 2;
}

/*
 * The limit's work for PAGES pages: aex_eresume_ns's bare resolved fault (zap, SIGBUS round trip,
 * UFFDIO_CONTINUE) for each, plus one bare SIGILL round trip for each (the ENCLU trap).
 */
static void limit_pass(void *arg)
{
	struct eaug_bench *b = arg;
	struct bench_signal_saved ill;

	if (bench_uffd_region_faults(&b->limit)) {
		fail(b, "rt_sigaction");
		return;
	}
	if (bench_signal_swap(SIGILL, step_over_ud2, &ill)) {
		fail(b, "rt_sigaction");
		return;
	}
	for (unsigned int i = 0; i < PAGES; i++)
		asm volatile("ud2" : : : "memory");
	bench_signal_restore(&ill);
}

static int run(struct bench_result *result, char *err, size_t errlen)
{
	struct eaug_bench b = { .limit = { .uffd = -1, .memfd = -1, .region = MAP_FAILED } };
	double t_grow, t_limit;
	int setup;

	setup = bench_uffd_region_setup(&b.limit, PAGES);
	if (setup) {
		snprintf(err, errlen, "userfaultfd for the limit: %s", strerror(-setup));
		bench_uffd_region_teardown(&b.limit);
		return -1;
	}
	b.e = bench_load_test_enclave_flags(SGXEMU_LOAD_MAP_FREE, err, errlen);
	if (!b.e) {
		bench_uffd_region_teardown(&b.limit);
		return -1;
	}
	if (!b.e->free_mapped || b.e->free_size < (uint64_t)ROUNDS * PAGES * PAGE) {
		snprintf(err, errlen, "the test enclave has too little free ELRANGE");
		sgxemu_enclave_unload(b.e);
		bench_uffd_region_teardown(&b.limit);
		return -1;
	}
	/* The first entry faults the TCS, SSA, stack and code pages in: not what is measured. */
	if (bench_ecall(b.e, TE_OP_INFO, &b.args) != TE_OK)
		fail(&b, "TE_OP_INFO failed");
	bench_best_of_cpu(ROUNDS, grow, limit_pass, &b, &t_grow, &t_limit);
	sgxemu_enclave_unload(b.e);
	bench_uffd_region_teardown(&b.limit);
	if (b.failed) {
		snprintf(err, errlen, "%s", b.err);
		return -1;
	}
	result->value = t_grow / PAGES * 1e9;
	result->limit = t_limit / PAGES * 1e9 + bench_base_writes_ns();
	return 0;
}

const struct bench_figure bench_eaug_accept_ns = {
	.name = "eaug_accept_ns",
	.unit = "ns",
	.lower_is_better = true,
	.description = "EACCEPT-first growth of one page (fault, EAUG, ERESUME, EACCEPT) vs a bare "
		       "SIGSEGV + SIGILL round trip and four FS/GS base writes",
	.run = run,
};
