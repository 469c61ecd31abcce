/* SPDX-License-Identifier: MIT */
/*
 * 10,000 create/add/init/close cycles (with some cycles abandoned half-way) leave the free EPC
 * exactly where it started, and the invariant checker passes along the way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <string.h>

#include <sgxemu/sgxemu.h>

#include "kernel_fixture.h"

#define CYCLES 10000

static void ten_thousand_cycles(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free0 = kfix_free_pages(p);
	struct sgx_sigstruct sigstruct;
	struct sgx_platform_stats stats;
	struct kfix_enclave e;

	(void)state;
	/* Every cycle builds the same enclave, so one SIGSTRUCT serves them all. */
	kfix_enclave_create(&e, p, SGX_ATTR_MODE64BIT);
	sigstruct = e.sigstruct;
	kfix_close(&e);

	for (int i = 0; i < CYCLES; i++) {
		kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
		if (i % 11 == 5) {
			/* Opened and closed without CREATE. */
			kfix_close(&e);
			continue;
		}
		kfix_build_standard(&e);
		if (i % 7 == 3) {
			/* Abandoned before INIT. */
			kfix_close(&e);
			continue;
		}
		e.sigstruct = sigstruct;
		assert_int_equal(kfix_init(&e), 0);
		kfix_close(&e);
		if (i % 1000 == 999) {
			assert_int_equal(kfix_free_pages(p), free0);
			kfix_check(p);
		}
	}
	assert_int_equal(kfix_free_pages(p), free0);
	sgx_platform_get_stats(p, &stats);
	assert_int_equal(stats.nr_enclaves, 0);
	assert_int_equal(stats.leaked_pages, 0);
	assert_int_equal(stats.free_pages, stats.total_pages);
	kfix_shutdown(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(ten_thousand_cycles) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
