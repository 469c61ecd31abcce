/* SPDX-License-Identifier: MIT */
/* The test enclave running natively: entry through the vDSO contract, ecalls, EEXIT. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "runtime_fixture.h"

static void test_echo(void **state)
{
	struct sgxemu_enclave *e = rfix_load(NULL);
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.echo.a = 40;
	args.u.echo.b = 2;
	assert_int_equal(rfix_call(e, 0, TE_OP_ECHO, &args), TE_OK);
	assert_int_equal(args.u.echo.echo, 40);
	assert_int_equal(args.u.echo.sum, 42);
	assert_int_equal(args.u.echo.difference, 38);
	assert_int_equal(args.u.echo.product, 80);
	rfix_unload(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
