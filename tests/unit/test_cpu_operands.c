/* SPDX-License-Identifier: MIT */
/*
 * The kernel-operand promise (cpu.h, sgx_lp_set_kernel_operands): with it the CPU reads the
 * caller's buffers directly; without it — the default, and always after the LP is put back — a
 * bad pointer is still a #PF value and the process lives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu_fixture.h"

static void test_promise_reads_kernel_buffers(void **state)
{
	struct cpu_fixture *f = cpu_fixture_create(NULL);
	struct fixture_enclave e;
	struct sgx_lp *lp = sgx_cpu_get_lp_id(f->cpu, 1);

	/* The whole build (ECREATE, EADD, EEXTEND, EINIT) with operands read directly. */
	uint8_t signer[32];

	fixture_signer_hash(signer);
	fixture_set_lepubkeyhash(lp, signer);
	sgx_lp_set_kernel_operands(lp, true);
	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	fixture_enclave_build(&e);
	fixture_enclave_sign(&e);
	fixture_assert_ok(lp, fixture_einit(&e, lp));
	sgx_cpu_put_lp(lp);
	fixture_enclave_destroy(&e);
	cpu_fixture_destroy(f);
}

static void test_promise_ends_with_the_lp(void **state)
{
	struct cpu_fixture *f = cpu_fixture_create(NULL);
	struct sgx_pageinfo pginfo __attribute__((aligned(32)));
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_SECS };
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	struct sgx_lp *lp = sgx_cpu_get_lp_id(f->cpu, 1);
	uint64_t bad = fixture_bad_pointer();
	int ret;

	sgx_lp_set_kernel_operands(lp, true);
	sgx_cpu_put_lp(lp);
	/* The same LP again: the promise did not survive the put, so a bad SRCPGE is a #PF. */
	lp = sgx_cpu_get_lp_id(f->cpu, 1);
	memset(&pginfo, 0, sizeof(pginfo));
	pginfo.metadata = (uint64_t)(uintptr_t)&secinfo;
	pginfo.contents = bad;
	ret = __ecreate(lp, &pginfo, frame);
	fixture_assert_pf(lp, ret, bad, false);
	sgx_cpu_put_lp(lp);
	cpu_fixture_free(f, frame);
	cpu_fixture_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_promise_reads_kernel_buffers),
		cmocka_unit_test(test_promise_ends_with_the_lp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
