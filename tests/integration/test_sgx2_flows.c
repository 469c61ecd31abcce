/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 flows end to end, natively (ref/sgx-isa.md §8.7, ref/linux-sgx-subsystem.md §4.8):
 * restricting permissions and extending them again from inside; a thread added after EINIT (a TCS
 * built by the enclave, MODIFY_TYPES to TCS, EACCEPT, entered by another thread), then trimmed,
 * removed and replaced by a regular page at its address; what a trimmed page looks like to the
 * enclave before and after its EACCEPT and after removal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <sgxemu/enclave_tls.h>

#include "kernel/sgx.h"
#include "sgx2_fixture.h"

static struct sgxemu_enclave *encl;
static uint64_t next_free;

static int setup(void **state)
{
	encl = s2_load();
	next_free = encl->free_start;
	return 0;
}

static int teardown(void **state)
{
	s2_check_platform();
	rfix_unload(encl);
	s2_check_platform();
	return 0;
}

static uint64_t off(uint64_t addr)
{
	return addr - encl->base;
}

static uint64_t fresh_pages(unsigned int n)
{
	uint64_t addr = next_free;

	next_free += n * S2_PAGE;
	assert_true(next_free <= encl->base + encl->size);
	return addr;
}

static uint64_t eaug_pages(unsigned int n)
{
	uint64_t addr = fresh_pages(n);

	assert_int_equal(s2_touch(encl, 0, addr, n, 1, TE_TOUCH_EACCEPT).eaccept_failures, 0);
	return addr;
}

/* --- restrict, accept, fault, EMODPE from another TCS, ERESUME ---------------------------- */

struct emodpe_ctx {
	uint64_t page;
	unsigned int reports;
	struct sgx_enclave_run seen;
};

static int emodpe_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			  struct sgx_enclave_run *run)
{
	struct emodpe_ctx *ctx = (struct emodpe_ctx *)run->user_data;

	if (run->function == EEXIT)
		return 0;
	if (ctx->reports++)
		return -1;
	ctx->seen = *run;
	/* Another thread of the enclave gives the page W back; the faulting one just resumes. */
	s2_emodpe(encl, 1, ctx->page, S2_REG | S2_R | S2_W);
	return ERESUME;
}

static void test_restrict_then_emodpe_and_eresume(void **state)
{
	struct emodpe_ctx ctx = { .page = eaug_pages(1) };
	struct sgx_enclave_restrict_permissions p;
	struct sgx_enclave_run run;
	struct sgx_epcm_info epcm;
	struct te_args args;

	s2_write(encl, 0, ctx.page + 0x40, 0xabcdef);
	assert_int_equal(s2_restrict(encl, off(ctx.page), S2_PAGE, S2_R, &p), 0);
	assert_int_equal(p.count, S2_PAGE);
	assert_int_equal(s2_eaccept(encl, 0, ctx.page, S2_REG | S2_R | S2_PR), 0);
	/* Still readable, with its data. */
	assert_int_equal(s2_read(encl, 2, ctx.page + 0x40), 0xabcdef);

	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_WRITE;
	args.u.fault.addr = ctx.page + 0x40;
	args.u.fault.seed = 0x9000;
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0];
	run.user_handler = (uint64_t)emodpe_handler;
	run.user_data = (uint64_t)&ctx;
	assert_int_equal(rfix_enter(encl, TE_OP_FAULT, &args, &run), 0);

	assert_int_equal(ctx.reports, 1);
	assert_int_equal(ctx.seen.function, ERESUME);
	assert_int_equal(ctx.seen.exception_vector, 14);
	assert_int_equal(ctx.seen.exception_error_code, 0x8007);
	assert_int_equal(ctx.seen.exception_addr, ctx.page);
	/* The write was executed again after ERESUME and landed. */
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(args.status, TE_OK);
	assert_int_equal(s2_read(encl, 2, ctx.page + 0x40), 0x9000 + 2);
	epcm = s2_epcm(encl, ctx.page);
	assert_int_equal(epcm.rwx, S2_R | S2_W);
	assert_int_equal(epcm.state, 0);
}

/* --- a thread added after EINIT ----------------------------------------------------------- */

struct new_thread {
	uint64_t tcs, tls, ssa, stack_bottom, stack_top;
	struct te_info info;
	struct sgx_enclave_run run;
	struct te_args fault;
	unsigned int reports;
	int64_t phase2_status;
	int ret;
};

/* The second phase on the new TCS: its SSA frames work too. */
static int new_thread_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			      struct sgx_enclave_run *run)
{
	struct new_thread *nt = (struct new_thread *)run->user_data;
	struct sgx_enclave_run phase2 = { .tcs = run->tcs };
	struct te_args args;

	if (run->function == EEXIT)
		return 0;
	nt->reports++;
	memset(&args, 0, sizeof(args));
	if (rfix_enter_enclave(0, (unsigned long)&args, 0, EENTER, 0, 0, &phase2) ||
	    phase2.function != EEXIT)
		return -1;
	nt->phase2_status = args.status;
	return ERESUME;
}

static void *new_thread_main(void *arg)
{
	struct new_thread *nt = arg;
	struct sgx_enclave_run run;
	struct te_args args;

	memset(&args, 0, sizeof(args));
	memset(&run, 0, sizeof(run));
	run.tcs = nt->tcs;
	nt->ret = rfix_enter(encl, TE_OP_INFO, &args, &run);
	if (nt->ret || run.function != EEXIT || args.status != TE_OK) {
		nt->ret = -1;
		return NULL;
	}
	nt->info = args.u.info;

	memset(&nt->fault, 0, sizeof(nt->fault));
	nt->fault.u.fault.kind = TE_FAULT_UD2;
	nt->fault.u.fault.seed = 0x4000;
	memset(&nt->run, 0, sizeof(nt->run));
	nt->run.tcs = nt->tcs;
	nt->run.user_handler = (uint64_t)new_thread_handler;
	nt->run.user_data = (uint64_t)nt;
	nt->ret = rfix_enter(encl, TE_OP_FAULT, &nt->fault, &nt->run);
	return NULL;
}

static void write_words(uint64_t addr, const uint64_t *words, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		s2_write(encl, 0, addr + 8 * i, words[i]);
}

/*
 * The enclave builds a thread: TCS, TLS page, SSA frames and a stack, all EAUGed. The TCS page
 * is written while it is still a REG page, then MODIFY_TYPES makes it a TCS (not enterable yet:
 * MODIFIED), the enclave EACCEPTs it, and a second host thread enters on it.
 */
static void test_tcs_added_after_einit(void **state)
{
	struct te_info info3 = s2_info(encl, 3);
	unsigned int ssa_pages = info3.nssa * info3.ssa_frame_size, stack_pages = 16;
	uint64_t base = eaug_pages(2 + ssa_pages + stack_pages);
	struct new_thread nt = {
		.tcs = base,
		.tls = base + S2_PAGE,
		.ssa = base + 2 * S2_PAGE,
		.stack_bottom = base + (2 + ssa_pages) * S2_PAGE,
		.stack_top = base + (2 + ssa_pages + stack_pages) * S2_PAGE,
	};
	uint64_t entry = s2_read(encl, 0, encl->base + 24); /* e_entry: the image is linked at 0 */
	uint64_t tls[SGXEMU_TLS_HEADER_SIZE / 8];
	struct sgx_enclave_modify_types m;
	struct sgx_enclave_remove_pages r;
	struct sgx_enclave_run run;
	struct sgx_epcm_info epcm;
	struct sgxemu_tls *hdr = (struct sgxemu_tls *)tls;
	struct te_args args;
	pthread_t thread;

	/* The TLS page: thread 3's header, with this thread's own addresses. */
	for (unsigned int i = 0; i < SGXEMU_TLS_HEADER_SIZE / 8; i++)
		tls[i] = s2_read(encl, 0, info3.tls + 8 * i);
	assert_int_equal(hdr->magic, SGXEMU_TLS_MAGIC);
	hdr->thread_index = 4;
	hdr->self = off(nt.tls);
	hdr->tcs = off(nt.tcs);
	hdr->ssa = off(nt.ssa);
	hdr->stack_top = off(nt.stack_top);
	hdr->stack_bottom = off(nt.stack_bottom);
	write_words(nt.tls, tls, SGXEMU_TLS_HEADER_SIZE / 8);

	/* The TCS, as the packer builds one (struct sgx_tcs), written while it is a REG page. */
	{
		struct sgx_tcs tcs;
		uint64_t words[72 / 8];

		memset(&tcs, 0, sizeof(tcs));
		tcs.ossa = off(nt.ssa);
		tcs.nssa = info3.nssa;
		tcs.oentry = entry;
		tcs.ofsbase = off(nt.tls);
		tcs.ogsbase = off(nt.tls);
		tcs.fslimit = 0xFFF;
		tcs.gslimit = 0xFFF;
		memcpy(words, &tcs, sizeof(words));
		write_words(nt.tcs, words, 72 / 8);
	}

	assert_int_equal(s2_modt(encl, off(nt.tcs), S2_PAGE, SGX_PAGE_TYPE_TCS, &m), 0);
	assert_int_equal(m.count, S2_PAGE);
	epcm = s2_epcm(encl, nt.tcs);
	assert_int_equal(epcm.page_type, SGX_PAGE_TYPE_TCS);
	assert_int_equal(epcm.state, S2_MODIFIED);

	/* Not accepted yet: EENTER refuses the TCS (#PF with the SGX bit on the TCS page). */
	memset(&args, 0, sizeof(args));
	memset(&run, 0, sizeof(run));
	run.tcs = nt.tcs;
	assert_int_equal(rfix_enter(encl, TE_OP_INFO, &args, &run), 0);
	assert_int_equal(run.function, EENTER);
	assert_int_equal(run.exception_vector, 14);
	assert_true(run.exception_error_code & 0x8000);
	assert_int_equal(run.exception_addr, nt.tcs);

	assert_int_equal(s2_eaccept(encl, 0, nt.tcs, S2_TCS | S2_MODIFIED), 0);
	epcm = s2_epcm(encl, nt.tcs);
	assert_int_equal(epcm.page_type, SGX_PAGE_TYPE_TCS);
	assert_int_equal(epcm.state, 0);

	/* A second thread enters on it: the enclave runs there, with that TLS and stack. */
	assert_int_equal(pthread_create(&thread, NULL, new_thread_main, &nt), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(nt.ret, 0);
	assert_int_equal(nt.info.tcs, nt.tcs);
	assert_int_equal(nt.info.tls, nt.tls);
	assert_int_equal(nt.info.ssa, nt.ssa);
	assert_int_equal(nt.info.stack_top, nt.stack_top);
	assert_int_equal(nt.info.thread_index, 4);
	assert_int_equal(nt.info.cssa, 0);
	assert_int_equal(nt.reports, 1);
	assert_int_equal(nt.phase2_status, TE_EXC_HANDLED);
	assert_int_equal(nt.run.function, EEXIT);
	assert_int_equal(nt.fault.status, TE_OK);
	/* The other threads are unaffected. */
	assert_int_equal(s2_info(encl, 3).tcs, encl->tcs[3]);

	/* Trim the TCS, accept, remove. */
	assert_int_equal(s2_modt(encl, off(nt.tcs), S2_PAGE, SGX_PAGE_TYPE_TRIM, &m), 0);
	assert_int_equal(s2_eaccept(encl, 0, nt.tcs, S2_TRIM | S2_MODIFIED), 0);
	assert_int_equal(s2_remove(encl, off(nt.tcs), S2_PAGE, &r), 0);
	assert_int_equal(r.count, S2_PAGE);
	assert_false(s2_kernel_page(encl, nt.tcs, NULL, NULL));
	s2_check_platform();

	/*
	 * A regular page at its address again. EENTER there now faults on it: the fault path
	 * EAUGs a PENDING REG page, which is no TCS.
	 */
	memset(&args, 0, sizeof(args));
	memset(&run, 0, sizeof(run));
	run.tcs = nt.tcs;
	assert_int_equal(rfix_enter(encl, TE_OP_INFO, &args, &run), 0);
	assert_int_equal(run.function, EENTER);
	assert_int_equal(run.exception_vector, 14);
	assert_true(run.exception_error_code & 0x8000);
	epcm = s2_epcm(encl, nt.tcs);
	assert_int_equal(epcm.page_type, SGX_PAGE_TYPE_REG);
	assert_int_equal(epcm.state, S2_PENDING);
	assert_int_equal(s2_eaccept(encl, 1, nt.tcs, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	assert_int_equal(s2_read(encl, 1, nt.tcs), 0);
	s2_write(encl, 1, nt.tcs + 8, 0x5151);
	assert_int_equal(s2_read(encl, 2, nt.tcs + 8), 0x5151);
}

/* --- trimmed pages as the enclave sees them ----------------------------------------------- */

static void test_trimmed_page_reads(void **state)
{
	uint64_t page = eaug_pages(1);
	struct s2_exception ex;

	s2_write(encl, 0, page, 0x77);
	assert_int_equal(s2_modt(encl, off(page), S2_PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);

	/* Before EACCEPT: a TRIM page is not accessible (the EPCM's read fault). */
	ex = s2_access(encl, 0, TE_FAULT_READ, page);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.vector, 14);
	assert_int_equal(ex.error_code, 0x8005);
	assert_int_equal(ex.addr, page);
	assert_int_equal(s2_access(encl, 0, TE_FAULT_WRITE, page).error_code, 0x8007);

	/* After EACCEPT: still TRIM, still not accessible. */
	assert_int_equal(s2_eaccept(encl, 1, page, S2_TRIM | S2_MODIFIED), 0);
	ex = s2_access(encl, 0, TE_FAULT_READ, page);
	assert_int_equal(ex.count, 1);
	assert_int_equal(ex.error_code, 0x8005);

	/* Removed: the read EAUGs a new page, PENDING, so the same answer; accepted, it is zero. */
	assert_int_equal(s2_remove(encl, off(page), S2_PAGE, NULL), 0);
	ex = s2_access(encl, 0, TE_FAULT_READ, page);
	assert_int_equal(ex.error_code, 0x8005);
	assert_int_equal(s2_epcm(encl, page).state, S2_PENDING);
	assert_int_equal(s2_eaccept(encl, 1, page, S2_REG | S2_R | S2_W | S2_PENDING), 0);
	assert_int_equal(s2_read(encl, 0, page), 0);
}

/* Removal needs the enclave's consent: EPERM until it has accepted the trim. */
static void test_remove_without_eaccept(void **state)
{
	uint64_t page = eaug_pages(1);
	struct sgx_enclave_remove_pages r;

	s2_write(encl, 0, page, 0x99);
	assert_int_equal(s2_remove(encl, off(page), S2_PAGE, &r), EPERM); /* REG */
	assert_int_equal(s2_modt(encl, off(page), S2_PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	assert_int_equal(s2_remove(encl, off(page), S2_PAGE, &r), EPERM); /* not accepted */
	assert_int_equal(r.count, 0);
	assert_true(s2_kernel_page(encl, page, NULL, NULL));
	assert_int_equal(s2_epcm(encl, page).state, S2_MODIFIED);
	assert_int_equal(s2_eaccept(encl, 1, page, S2_TRIM | S2_MODIFIED), 0);
	assert_int_equal(s2_remove(encl, off(page), S2_PAGE, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restrict_then_emodpe_and_eresume),
		cmocka_unit_test(test_tcs_added_after_einit),
		cmocka_unit_test(test_trimmed_page_reads),
		cmocka_unit_test(test_remove_without_eaccept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
