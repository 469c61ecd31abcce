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

/*
 * Raises `kind` on TCS 0, checks the report, then runs the enclave's handler (second phase, with
 * the SKIP policy) and ERESUMEs: the op must then complete normally.
 */
static void fault_and_recover(unsigned int kind, uint64_t addr, uint16_t vector,
			      uint16_t error_code, uint64_t report_addr)
{
	struct sgx_enclave_run run;
	struct te_args args, handler_args;
	int ret;

	set_policy(TE_ACTION_SKIP, 0);
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = kind;
	args.u.fault.addr = addr;
	args.u.fault.seed = 0x1000;
	memset(&run, 0, sizeof(run));
	run.tcs = encl->tcs[0];
	ret = rfix_enter(encl, TE_OP_FAULT, &args, &run);
	assert_int_equal(ret, 0);
	assert_int_equal(run.function, ERESUME);
	assert_int_equal(run.exception_vector, vector);
	assert_int_equal(run.exception_error_code, error_code);
	assert_int_equal(run.exception_addr, report_addr);

	/* Second phase: EENTER with CSSA = 1 runs the handler, which skips the faulting site. */
	memset(&handler_args, 0, sizeof(handler_args));
	ret = rfix_enter_enclave(0, (unsigned long)&handler_args, 0, EENTER, 0, 0, &run);
	assert_int_equal(ret, 0);
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(handler_args.status, TE_EXC_HANDLED);
	assert_int_equal(handler_args.u.handler.cssa, 1);
	/* The registers at the fault are in the SSA: GPR i holds seed + i (RAX is the target). */
	assert_int_equal(handler_args.u.handler.gpr.rdx, 0x1000 + 2);
	assert_int_equal(handler_args.u.handler.gpr.r15, 0x1000 + 15);
	assert_int_equal(handler_args.u.handler.gpr.exitinfo & 0xff, vector);
	assert_true(handler_args.u.handler.gpr.exitinfo & (1U << 31));

	/* ERESUME: the op finishes after the skipped site and EEXITs. */
	ret = rfix_enter_enclave(0, 0, 0, ERESUME, 0, 0, &run);
	assert_int_equal(ret, 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_to_read_only_mapping),
		cmocka_unit_test(test_ud2),
		cmocka_unit_test(test_syscall_is_ud),
		cmocka_unit_test(test_divide_by_zero),
		cmocka_unit_test(test_general_protection),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
