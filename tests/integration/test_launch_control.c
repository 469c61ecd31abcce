/* SPDX-License-Identifier: MIT */
/*
 * Launch control both ways (ref §4.5, seed 000), counted with the CPU's MSR-write statistics:
 * mainline writes IA32_SGXLEPUBKEYHASH0..3 before every EINIT attempt; the cache writes only
 * what changed on that LP, and everything again after a power cycle or an invalidation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <sgxemu/sgxemu.h>

#include "cpu/cpu_internal.h"
#include "cpu/sigstruct.h"
#include "kernel/launch.h"
#include "kernel_fixture.h"

static uint64_t msr_writes(struct sgx_platform *p)
{
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(p->cpu, &stats);
	return stats.msr_writes;
}

/* Build, sign with key and INIT an enclave; returns the MSR writes INIT made. */
static uint64_t init_signed_by(struct sgx_platform *p, EVP_PKEY *key, int expect)
{
	struct kfix_enclave e;
	uint64_t before;

	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	kfix_sign(&e, key);
	before = msr_writes(p);
	assert_int_equal(kfix_init(&e), expect);
	before = msr_writes(p) - before;
	kfix_close(&e);
	return before;
}

static void lp_msrs(struct sgx_platform *p, unsigned int id, uint64_t msrs[4])
{
	struct sgx_lp *lp = sgx_cpu_get_lp_id(p->cpu, id);
	struct sgx_fault fault;

	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(sgx_rdmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, &msrs[i], &fault), 0);
	sgx_cpu_put_lp(lp);
}

static void signer_hash(EVP_PKEY *key, uint64_t hash[4])
{
	struct sgxemu_sign_fields fields;
	struct sgx_sigstruct sig;
	uint8_t zero[32] = { 0 };
	char err[128];

	sgxemu_sign_fields_default(&fields, false);
	assert_int_equal(sgxemu_sign(&fields, zero, key, &sig, err, sizeof(err)), 0);
	sgx_sigstruct_mrsigner(&sig, (uint8_t *)hash);
}

static void scribble_msrs(struct sgx_platform *p, unsigned int id, bool invalidate)
{
	struct sgx_lp *lp = sgx_cpu_get_lp_id(p->cpu, id);
	struct sgx_fault fault;

	/* Something else (a guest's EINIT through KVM, say) writes the MSRs on this LP. */
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(
			sgx_wrmsr(lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, 0x1111 * (i + 1), &fault), 0);
	if (invalidate)
		sgx_launch_cache_invalidate(p, lp);
	sgx_cpu_put_lp(lp);
}

static void mainline_writes_before_every_einit(void **state)
{
	struct kfix_config config = { .lps = 1 };
	struct sgx_platform *p = kfix_boot(&config);
	uint64_t hash[4], msrs[4];

	(void)state;
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	assert_int_equal(init_signed_by(p, kfix_second_key(), 0), 4);
	lp_msrs(p, 0, msrs);
	signer_hash(kfix_second_key(), hash);
	assert_memory_equal(msrs, hash, sizeof(hash));

	/* Whatever else wrote the MSRs, the next EINIT does not care. */
	scribble_msrs(p, 0, false);
	assert_int_equal(init_signed_by(p, kfix_second_key(), 0), 4);

	/* Every attempt writes: three interrupted attempts and the good one are 16 writes. */
	sgx_cpu_inject_unmasked_event(p->cpu, 3);
	assert_int_equal(init_signed_by(p, NULL, 0), 16);
	kfix_shutdown(p);
}

static void cache_writes_only_on_change(void **state)
{
	struct kfix_config config = { .lps = 1, .launch_cache = true };
	struct sgx_platform *p = kfix_boot(&config);
	EVP_PKEY *a = NULL, *b = kfix_second_key();
	uint64_t hash[4], msrs[4];

	(void)state;
	/* Cold cache: all four. The same signer again: none. */
	assert_int_equal(init_signed_by(p, a, 0), 4);
	assert_int_equal(init_signed_by(p, a, 0), 0);
	assert_int_equal(init_signed_by(p, a, 0), 0);
	/* Two signers alternating: every change writes (all four words differ). */
	assert_int_equal(init_signed_by(p, b, 0), 4);
	assert_int_equal(init_signed_by(p, a, 0), 4);
	assert_int_equal(init_signed_by(p, b, 0), 4);
	assert_int_equal(init_signed_by(p, b, 0), 0);
	lp_msrs(p, 0, msrs);
	signer_hash(b, hash);
	assert_memory_equal(msrs, hash, sizeof(hash));

	/* Retries within one INIT do not rewrite either. */
	sgx_cpu_inject_unmasked_event(p->cpu, 3);
	assert_int_equal(init_signed_by(p, b, 0), 0);
	kfix_shutdown(p);
}

static void cache_after_power_cycle(void **state)
{
	struct kfix_config config = { .lps = 1, .launch_cache = true };
	struct sgx_platform *p = kfix_boot(&config);
	uint64_t msrs[4];

	(void)state;
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	assert_int_equal(init_signed_by(p, NULL, 0), 0);
	/* S3: the MSRs are back at Intel's reset value; the cache must not believe itself. */
	sgx_cpu_power_cycle(p->cpu);
	lp_msrs(p, 0, msrs);
	assert_memory_equal(msrs, sgx_intel_lepubkeyhash, sizeof(msrs));
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	assert_int_equal(init_signed_by(p, NULL, 0), 0);
	kfix_shutdown(p);
}

static void cache_invalidation(void **state)
{
	struct kfix_config config = { .lps = 1, .launch_cache = true };
	struct sgx_platform *p = kfix_boot(&config);

	(void)state;
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	/* A writer that invalidates: the next EINIT writes everything again and succeeds. */
	scribble_msrs(p, 0, true);
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	/*
	 * A writer that does not: the cache trusts stale values, EINIT finds the wrong hash
	 * (SGX_INVALID_EINITTOKEN) and INIT fails. This is why the entry point exists.
	 */
	scribble_msrs(p, 0, false);
	assert_int_equal(init_signed_by(p, NULL, -EPERM), 0);
	kfix_shutdown(p);
}

static void cache_is_per_lp(void **state)
{
	struct kfix_config config = { .lps = 2, .launch_cache = true };
	struct sgx_platform *p = kfix_boot(&config);
	struct sgx_lp *lp0;

	(void)state;
	/* LP 0 is free, so it runs EINIT. */
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	assert_int_equal(init_signed_by(p, NULL, 0), 0);
	/* With LP 0 busy, EINIT runs on LP 1, whose cache is cold. */
	lp0 = sgx_cpu_get_lp_id(p->cpu, 0);
	assert_int_equal(init_signed_by(p, NULL, 0), 4);
	assert_int_equal(init_signed_by(p, NULL, 0), 0);
	sgx_cpu_put_lp(lp0);
	/* Both LPs know the signer now. */
	assert_int_equal(init_signed_by(p, NULL, 0), 0);
	kfix_shutdown(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mainline_writes_before_every_einit),
		cmocka_unit_test(cache_writes_only_on_change),
		cmocka_unit_test(cache_after_power_cycle),
		cmocka_unit_test(cache_invalidation),
		cmocka_unit_test(cache_is_per_lp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
