/* SPDX-License-Identifier: MIT */
/*
 * Exceptions inside the enclave as the vDSO caller sees them (ref/linux-sgx-subsystem.md §2.2):
 * AEX, then an exception report with function ERESUME; the second phase (EENTER on CSSA 1 runs
 * the enclave's handler) and ERESUME continue the interrupted code. The SSA holds the registers
 * at the fault.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "runtime_fixture.h"
#include "sgx2_fixture.h"

struct fault_case {
	unsigned int kind;
	uint16_t vector;
	uint16_t error_code;
	bool check_addr;
};

static struct sgxemu_enclave *encl;
static struct te_info info;

static int setup(void **state)
{
	struct te_args args;

	encl = rfix_load(NULL);
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(encl, 0, TE_OP_INFO, &args), TE_OK);
	info = args.u.info;
	return 0;
}

static int teardown(void **state)
{
	rfix_unload(encl);
	return 0;
}

static void set_policy(uint32_t action, uint32_t flags)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.policy.action = action;
	args.u.policy.flags = flags;
	assert_int_equal(rfix_call(encl, 1, TE_OP_SET_POLICY, &args), TE_OK);
}

/* What the user handler saw at the exception, and what the second phase found in the SSA. */
static struct {
	unsigned int calls;
	uint32_t function;
	uint16_t vector, error_code;
	uint64_t addr;
	struct te_args phase2;
} seen;

/*
 * The runtime's usual pattern, from inside the vDSO call (so the enclave's saved untrusted stack
 * stays valid): on an exception, EENTER the same TCS (CSSA = 1: the enclave's handler skips the
 * faulting site), then ask the vDSO to ERESUME.
 */
static int second_phase_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
				struct sgx_enclave_run *run)
{
	struct sgx_enclave_run phase2 = { .tcs = run->tcs };

	if (run->function == EEXIT)
		return 0;
	seen.calls++;
	seen.function = run->function;
	seen.vector = run->exception_vector;
	seen.error_code = run->exception_error_code;
	seen.addr = run->exception_addr;
	memset(&seen.phase2, 0, sizeof(seen.phase2));
	if (rfix_enter_enclave(0, (unsigned long)&seen.phase2, 0, EENTER, 0, 0, &phase2) ||
	    phase2.function != EEXIT)
		return -1;
	return ERESUME;
}

/* Raises `kind` on TCS 0, checks the report and the SSA, and checks the op then completes. */
static void fault_and_recover(unsigned int kind, uint64_t addr, uint16_t vector,
			      uint16_t error_code, uint64_t report_addr)
{
	struct sgx_enclave_run run;
	struct te_args args;

	set_policy(TE_ACTION_SKIP, 0);
	memset(&seen, 0, sizeof(seen));
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = kind;
	args.u.fault.addr = addr;
	args.u.fault.seed = 0x1000;
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0];
	run.user_handler = (uint64_t)second_phase_handler;
	assert_int_equal(rfix_enter(encl, TE_OP_FAULT, &args, &run), 0);

	/* The exception report: an AEX happened, so the function is ERESUME. */
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.function, ERESUME);
	assert_int_equal(seen.vector, vector);
	assert_int_equal(seen.error_code, error_code);
	assert_int_equal(seen.addr, report_addr);

	/* The second phase ran on CSSA 1 and found the registers at the fault in the SSA. */
	assert_int_equal(seen.phase2.status, TE_EXC_HANDLED);
	assert_int_equal(seen.phase2.u.handler.cssa, 1);
	assert_int_equal(seen.phase2.u.handler.gpr.rdx, 0x1000 + 2);
	assert_int_equal(seen.phase2.u.handler.gpr.r15, 0x1000 + 15);
	assert_int_equal(seen.phase2.u.handler.gpr.exitinfo & 0xff, vector);
	assert_true(seen.phase2.u.handler.gpr.exitinfo & (1U << 31));

	/* ERESUME continued after the skipped site and the op finished normally. */
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(args.status, TE_OK);
}

/*
 * The loader maps the read-only page with PROT_READ, so the page walk refuses the write before
 * the EPCM is consulted: an ordinary #PF (P|W|U = 0x7), as on hardware. (The EPCM's own 0x8007
 * needs a page the VMA allows to be written: see the SGX2 tests.)
 */
static void test_write_to_read_only_mapping(void **state)
{
	fault_and_recover(TE_FAULT_WRITE, 0, 14, 0x7, info.ro_page);
}

static void test_ud2(void **state)
{
	fault_and_recover(TE_FAULT_UD2, 0, 6, 0, 0);
}

static void test_syscall_is_ud(void **state)
{
	fault_and_recover(TE_FAULT_SYSCALL, 0, 6, 0, 0);
}

static void test_divide_by_zero(void **state)
{
	fault_and_recover(TE_FAULT_DIV0, 0, 0, 0, 0);
}

static void test_general_protection(void **state)
{
	fault_and_recover(TE_FAULT_GP, 0, 13, 0, 0);
}

/*
 * The EPCM's own fault: the VMA allows the write, the EPCM does not. A heap page restricted to
 * read-only (SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, then EACCEPT inside, which completes the
 * restriction) and then written: #PF with P|W|U and the SGX bit (0x8007) at the page, reported
 * with function ERESUME. EMODPE gives W back afterwards.
 */
static void test_write_to_epcm_read_only_page(void **state)
{
	uint64_t page = info.heap + 3 * 4096;
	struct sgx_enclave_restrict_permissions rp;

	/* Written once first: the page is resident and mapped writable before the change. */
	s2_write(encl, 1, page, 0x5a5a);
	assert_int_equal(s2_restrict(encl, page - encl->base, 4096, S2_R, &rp), 0);
	assert_int_equal(rp.count, 4096);
	assert_int_equal(s2_eaccept(encl, 1, page, S2_REG | S2_R | S2_PR), 0);

	fault_and_recover(TE_FAULT_WRITE, page, 14, 0x8007, page);
	assert_int_equal(s2_read(encl, 1, page), 0x5a5a);

	s2_emodpe(encl, 1, page, S2_REG | S2_R | S2_W);
	s2_write(encl, 1, page, 0xa5a5);
	assert_int_equal(s2_read(encl, 1, page), 0xa5a5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_to_read_only_mapping),
		cmocka_unit_test(test_ud2),
		cmocka_unit_test(test_syscall_is_ud),
		cmocka_unit_test(test_divide_by_zero),
		cmocka_unit_test(test_general_protection),
		cmocka_unit_test(test_write_to_epcm_read_only_page),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
