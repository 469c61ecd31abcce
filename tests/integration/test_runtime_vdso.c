/* SPDX-License-Identifier: MIT */
/*
 * sgxemu_enter_enclave keeps the exact contract of __vdso_sgx_enter_enclave
 * (ref/linux-sgx-subsystem.md §2): -EINVAL cases, the user_handler protocol (return 0, a negative
 * value, EENTER, ERESUME), and the exception report fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "runtime_fixture.h"

static struct sgxemu_enclave *encl;

static int setup(void **state)
{
	encl = rfix_load(NULL);
	return 0;
}

static int teardown(void **state)
{
	rfix_unload(encl);
	return 0;
}

static void init_run(struct sgx_enclave_run *run, unsigned int tcs)
{
	memset(run, 0, sizeof(*run));
	run->tcs = encl->tcs[tcs];
}

static void test_bad_function_is_einval(void **state)
{
	static const unsigned int bad[] = { 0, 1, EEXIT, 5, 0xFFFFFFFF };
	struct sgx_enclave_run run;
	struct te_args args;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		init_run(&run, 0);
		memset(&args, 0, sizeof(args));
		assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, bad[i], 0, 0,
						    &run),
				 -EINVAL);
		/* Nothing ran: the run struct is untouched. */
		assert_int_equal(run.function, 0);
	}
}

static void test_reserved_bytes_are_einval(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args;

	/* Every reserved byte is checked, the first and the last included. */
	for (size_t i = 0; i < sizeof(run.reserved); i += sizeof(run.reserved) - 1) {
		init_run(&run, 0);
		run.reserved[i] = 1;
		memset(&args, 0, sizeof(args));
		assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0,
						    0, &run),
				 -EINVAL);
	}
}

static int handler_calls;
static long handler_rdi;

static int handler_returns_zero(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
				struct sgx_enclave_run *run)
{
	handler_calls++;
	handler_rdi = rdi;
	assert_int_equal(run->function, EEXIT);
	assert_int_equal(run->user_data, 0x5eed);
	return 0;
}

static void test_user_handler_zero(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args;

	init_run(&run, 0);
	run.user_handler = (uint64_t)handler_returns_zero;
	run.user_data = 0x5eed;
	memset(&args, 0, sizeof(args));
	args.u.echo.a = 7;
	handler_calls = 0;
	assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0, 0,
					    &run),
			 0);
	assert_int_equal(handler_calls, 1);
	/* The handler sees the enclave's RDI at EEXIT: the status. */
	assert_int_equal(handler_rdi, TE_OK);
	assert_int_equal(args.u.echo.echo, 7);
}

static int handler_returns_negative(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
				    struct sgx_enclave_run *run)
{
	return -1234;
}

static void test_user_handler_negative(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args;

	init_run(&run, 0);
	run.user_handler = (uint64_t)handler_returns_negative;
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0, 0,
					    &run),
			 -1234);
}

/* Re-enters once with EENTER (on another TCS), then returns 0. */
static int handler_reenter(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			   struct sgx_enclave_run *run)
{
	if (handler_calls++ == 0) {
		run->tcs = encl->tcs[1];
		return EENTER;
	}
	assert_int_equal(run->function, EEXIT);
	return 0;
}

static uint64_t entries_on(unsigned int tcs)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_call(encl, tcs, TE_OP_INFO, &args), TE_OK);
	return args.u.info.entries;
}

static void test_user_handler_eenter(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args;
	uint64_t before = entries_on(1);

	init_run(&run, 0);
	run.user_handler = (uint64_t)handler_reenter;
	memset(&args, 0, sizeof(args));
	handler_calls = 0;
	assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0, 0,
					    &run),
			 0);
	/* The handler switched run->tcs and asked for EENTER: the vDSO entered TCS 1 once. */
	assert_int_equal(handler_calls, 2);
	assert_int_equal(run.tcs, encl->tcs[1]);
	assert_int_equal(entries_on(1), before + 2);
}

/* An exception: run the enclave's handler (SKIP), then ERESUME through the return value. */
static int handler_resume(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			  struct sgx_enclave_run *run)
{
	static struct te_args handler_args;

	handler_calls++;
	if (run->function == ERESUME && run->exception_vector == 6) {
		/* An exception report: RDI/RSI/RDX carry vector, error code and address. */
		assert_int_equal(rdi, 6);
		memset(&handler_args, 0, sizeof(handler_args));
		/* A nested entry for the second phase, then ask the vDSO to ERESUME. */
		struct sgx_enclave_run phase2 = { .tcs = run->tcs };
		assert_int_equal(rfix_enter_enclave(0, (unsigned long)&handler_args, 0, EENTER, 0, 0,
						    &phase2),
				 0);
		assert_int_equal(handler_args.status, TE_EXC_HANDLED);
		return ERESUME;
	}
	assert_int_equal(run->function, EEXIT);
	return 0;
}

static void test_user_handler_eresume(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args, policy;

	memset(&policy, 0, sizeof(policy));
	policy.u.policy.action = TE_ACTION_SKIP;
	assert_int_equal(rfix_call(encl, 2, TE_OP_SET_POLICY, &policy), TE_OK);

	init_run(&run, 2);
	run.user_handler = (uint64_t)handler_resume;
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_UD2;
	handler_calls = 0;
	assert_int_equal(rfix_enter_enclave(TE_OP_FAULT, (unsigned long)&args, 0, EENTER, 0, 0,
					    &run),
			 0);
	assert_int_equal(handler_calls, 2);
	assert_int_equal(args.status, TE_OK);
}

static void test_exception_fields_not_written_on_eexit(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args;

	init_run(&run, 0);
	run.exception_vector = 0x77;
	run.exception_error_code = 0x88;
	run.exception_addr = 0x99;
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0, 0,
					    &run),
			 0);
	assert_int_equal(run.function, EEXIT);
	assert_int_equal(run.exception_vector, 0x77);
	assert_int_equal(run.exception_error_code, 0x88);
	assert_int_equal(run.exception_addr, 0x99);
}

static void test_eenter_on_bad_tcs_reports_the_leaf(void **state)
{
	struct sgx_enclave_run run;
	struct te_args args;

	/* A REG page is no TCS: EENTER itself faults (#PF with the SGX bit), function EENTER. */
	init_run(&run, 0);
	run.tcs = encl->base + encl->size - encl->free_size - 4096;
	memset(&args, 0, sizeof(args));
	assert_int_equal(rfix_enter_enclave(TE_OP_ECHO, (unsigned long)&args, 0, EENTER, 0, 0,
					    &run),
			 0);
	assert_int_equal(run.function, EENTER);
	assert_int_equal(run.exception_vector, 14);
	assert_true(run.exception_error_code & 0x8000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_function_is_einval),
		cmocka_unit_test(test_reserved_bytes_are_einval),
		cmocka_unit_test(test_user_handler_zero),
		cmocka_unit_test(test_user_handler_negative),
		cmocka_unit_test(test_user_handler_eenter),
		cmocka_unit_test(test_user_handler_eresume),
		cmocka_unit_test(test_exception_fields_not_written_on_eexit),
		cmocka_unit_test(test_eenter_on_bad_tcs_reports_the_leaf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
