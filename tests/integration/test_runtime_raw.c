/* SPDX-License-Identifier: MIT */
/*
 * Entering with a bare ENCLU (no vDSO), and the exception model runtimes built that way rely on:
 * after an AEX the application's own SIGSEGV/SIGILL/SIGFPE handler runs at the AEP with RAX =
 * ERESUME, RBX = TCS, RCX = AEP, a page-aligned si_addr for #PF and REG_ERR/REG_TRAPNO set; the
 * handler EENTERs the enclave (second phase, CSSA = 1) and returns, and the AEP's ENCLU resumes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "runtime_fixture.h"

uint64_t raw_eenter(uint64_t tcs, uint64_t op, void *args);
extern char raw_aep[];

static struct sgxemu_enclave *encl;
static struct te_info info;

struct seen {
	int sig;
	int code;
	uint64_t addr;
	uint64_t rip, rax, rbx, rcx;
	uint64_t err, trapno;
	int64_t phase2_status;
	int count;
};

static struct seen seen;

static void app_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct te_args phase2;

	seen.count++;
	seen.sig = sig;
	seen.code = si->si_code;
	seen.addr = (uint64_t)si->si_addr;
	seen.rip = g[REG_RIP];
	seen.rax = g[REG_RAX];
	seen.rbx = g[REG_RBX];
	seen.rcx = g[REG_RCX];
	seen.err = g[REG_ERR];
	seen.trapno = g[REG_TRAPNO];
	/* The second phase, from inside the signal handler, on the TCS that faulted. */
	memset(&phase2, 0, sizeof(phase2));
	raw_eenter(g[REG_RBX], 0, &phase2);
	seen.phase2_status = phase2.status;
}

/* cmocka installs its own handlers around every test: ours go in inside the test. */
static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

static int setup(void **state)
{
	struct te_args args;

	encl = rfix_load(&(struct rfix_options){ .load_flags = SGXEMU_LOAD_MAP_FREE });
	memset(&args, 0, sizeof(args));
	assert_int_equal(raw_eenter(encl->tcs[0], TE_OP_INFO, &args), TE_OK);
	info = args.u.info;
	memset(&args, 0, sizeof(args));
	args.u.policy.action = TE_ACTION_SKIP;
	assert_int_equal(raw_eenter(encl->tcs[0], TE_OP_SET_POLICY, &args), TE_OK);
	return 0;
}

static int teardown(void **state)
{
	rfix_unload(encl);
	return 0;
}

static void raw_fault(unsigned int kind, uint64_t addr, int sig, uint64_t trapno)
{
	struct te_args args;

	install_handlers();
	memset(&seen, 0, sizeof(seen));
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = kind;
	args.u.fault.addr = addr;
	args.u.fault.seed = 0x2000;
	/* The fault is handled in the application's handler; the op then completes. */
	assert_int_equal(raw_eenter(encl->tcs[0], TE_OP_FAULT, &args), TE_OK);
	assert_int_equal(seen.count, 1);
	assert_int_equal(seen.sig, sig);
	assert_int_equal(seen.rip, (uint64_t)raw_aep);
	assert_int_equal(seen.rcx, (uint64_t)raw_aep);
	assert_int_equal(seen.rax, ERESUME);
	assert_int_equal(seen.rbx, encl->tcs[0]);
	assert_int_equal(seen.trapno, trapno);
	assert_int_equal(seen.phase2_status, TE_EXC_HANDLED);
}

static void test_ud2_is_sigill_at_the_aep(void **state)
{
	raw_fault(TE_FAULT_UD2, 0, SIGILL, 6);
	assert_int_equal(seen.code, ILL_ILLOPN);
}

static void test_divide_error_is_sigfpe(void **state)
{
	raw_fault(TE_FAULT_DIV0, 0, SIGFPE, 0);
	assert_int_equal(seen.code, FPE_INTDIV);
}

static void test_page_fault_is_sigsegv_with_page_address(void **state)
{
	raw_fault(TE_FAULT_WRITE, info.ro_page + 0x123, SIGSEGV, 14);
	/* The page offset of CR2 is hidden from the OS after an AEX. */
	assert_int_equal(seen.addr, info.ro_page);
	assert_int_equal(seen.err, 0x7);
	assert_int_equal(seen.code, SEGV_ACCERR);
}

static void test_missing_page_is_sigbus(void **state)
{
	/*
	 * The free part of ELRANGE is mapped but has no page: without SGX2 growth the kernel's
	 * fault handler answers SIGBUS, with the ordinary error code of a user read (0x4).
	 */
	raw_fault(TE_FAULT_READ, info.image_end + 0x10, SIGBUS, 14);
	assert_int_equal(seen.addr, info.image_end);
	assert_int_equal(seen.code, BUS_ADRERR);
}

int main(void)
{
	/* Without SGX2 growth, a page-less ELRANGE address is the fault handler's SIGBUS. */
	setenv("SGXEMU_SGX2", "0", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ud2_is_sigill_at_the_aep),
		cmocka_unit_test(test_divide_error_is_sigfpe),
		cmocka_unit_test(test_page_fault_is_sigsegv_with_page_address),
		cmocka_unit_test(test_missing_page_is_sigbus),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
