/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "kernel_fixture.h"

static void smoke(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free0 = kfix_free_pages(p);
	struct kfix_enclave e;

	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	kfix_check(p);
	sgx_platform_print_info(p, stdout);
	kfix_close(&e);
	assert_int_equal(kfix_free_pages(p), free0);
	kfix_shutdown(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(smoke) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
