/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu_fixture.h"

static void test_standard_enclave(void **state)
{
	struct cpu_fixture *f = cpu_fixture_create(NULL);
	static struct fixture_enclave e;
	uint64_t before = cpu_fixture_nr_free(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_true(sgx_secs_page(f->cpu, sgx_frame_index(f->cpu, e.secs))->attributes.flags &
		    SGX_ATTR_INIT);
	fixture_enclave_destroy(&e);
	assert_int_equal(cpu_fixture_nr_free(f), before);
	cpu_fixture_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_enclave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
