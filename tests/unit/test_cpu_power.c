// SPDX-License-Identifier: MIT
/*
 * A power cycle (sgx_cpu_power_cycle, src/cpu/power.c): what the EPC loses and what the kernel
 * then sees from the leaves.
 *
 *   property                                                           test
 *   every EPCM entry invalid, the power-cycle counter advances         test_power_cycle_invalidates
 *   the frames' storage is punched (SECS/VA pool and enclave slice)    test_power_cycle_invalidates
 *   EBLOCK of a former page -> ZF SGX_PG_INVLD                         test_power_cycle_invalidates
 *   ETRACK/EWB of former pages -> #PF (not valid)                      test_power_cycle_invalidates
 *   EREMOVE of every former page succeeds (teardown leaks nothing)     test_power_cycle_invalidates
 *   launch-key MSRs of every LP back to Intel's hash                   test_power_cycle_msrs
 *   new paging key and report KEYID                                    test_power_cycle_keys
 *   a blob written before the cycle fails its MAC after it,
 *     with the very slot value it was written with                     test_blob_from_before_cycle
 *   (control: the same slot restoration without a cycle loads)         test_blob_control_without_cycle
 *   enclaves built after the cycle page normally under the new key     test_paging_after_cycle
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paging_fixture.h"

struct env {
	struct cpu_fixture *f;
	struct fixture_enclave *e;
	struct sgx_lp *lp;
	sgx_paddr_t va;
	struct paging_blob *b;
};

static const uint64_t offsets[] = {
	FIXTURE_TCS_OFFSET,  FIXTURE_SSA_OFFSET,  FIXTURE_SSA_OFFSET + 4096,
	FIXTURE_CODE_OFFSET, FIXTURE_DATA_OFFSET, FIXTURE_RODATA_OFFSET,
};
#define NR_PAGES (sizeof(offsets) / sizeof(offsets[0]))

static int setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	env->f = cpu_fixture_create(NULL);
	env->lp = env->f->lp;
	env->e = aligned_alloc(4096, (sizeof(*env->e) + 4095) & ~(size_t)4095);
	fixture_enclave_create(env->e, env->f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	env->va = paging_va_new(env->f);
	env->b = paging_blob_new();
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct env *env = *state;

	/* After a cycle every page is invalid: EREMOVE succeeds on each, as the kernel expects. */
	fixture_enclave_destroy(env->e);
	paging_va_free(env->f, env->va);
	assert_int_equal(cpu_fixture_nr_free(env->f), env->f->nr_frames);
	for (uint64_t i = 0; i < env->f->nr_frames; i++)
		assert_false(sgx_epcm(env->f->cpu, i)->valid);
	cpu_fixture_destroy(env->f);
	paging_blob_free(env->b);
	free(env->e);
	free(env);
	return 0;
}

static bool is_hole(int fd, uint64_t offset)
{
	return lseek(fd, (off_t)offset, SEEK_HOLE) == (off_t)offset;
}

static void test_power_cycle_invalidates(void **state)
{
	struct env *env = *state;
	struct sgx_cpu *cpu = env->f->cpu;
	/* The kernel holds the slice for the enclave's lifetime; so does this test. */
	struct sgx_slice *slice = sgx_cpu_secs_slice(cpu, env->e->secs);
	uint64_t secs_index = (uint64_t)sgx_frame_index(cpu, env->e->secs);
	uint64_t va_index = (uint64_t)sgx_frame_index(cpu, env->va);
	sgx_paddr_t data = paging_page(env->e, FIXTURE_DATA_OFFSET)->frame;
	struct sgx_cpu_stats stats;

	assert_non_null(slice);
	assert_false(is_hole(sgx_slice_fd(slice), FIXTURE_DATA_OFFSET));
	assert_false(is_hole(cpu->pool_fd, secs_index << 12));
	assert_int_equal(__eblock(env->lp, data), 0);
	assert_int_equal(sgx_cpu_power_cycles(cpu), 0);

	sgx_cpu_power_cycle(cpu);

	assert_int_equal(sgx_cpu_power_cycles(cpu), 1);
	sgx_cpu_get_stats(cpu, &stats);
	assert_int_equal(stats.power_cycles, 1);
	for (uint64_t i = 0; i < cpu->nr_frames; i++)
		assert_false(sgx_epcm(cpu, i)->valid);
	for (unsigned int i = 0; i < NR_PAGES; i++)
		assert_true(is_hole(sgx_slice_fd(slice), offsets[i]));
	assert_true(is_hole(cpu->pool_fd, secs_index << 12));
	assert_true(is_hole(cpu->pool_fd, va_index << 12));

	assert_encls_status(env->lp, __eblock(env->lp, data), SGX_PG_INVLD, false);
	for (unsigned int i = 0; i < NR_PAGES; i++)
		assert_encls_status(env->lp,
				    __eblock(env->lp, paging_page(env->e, offsets[i])->frame),
				    SGX_PG_INVLD, false);
	assert_encls_epcm_pf(env->lp, __etrack(env->lp, env->e->secs), env->e->secs);
	assert_encls_epcm_pf(env->lp, paging_ewb(env->lp, data, env->va, env->b), data);
	sgx_slice_put(slice);
}

static void test_power_cycle_msrs(void **state)
{
	struct env *env = *state;
	struct sgx_cpu *cpu = env->f->cpu;
	struct sgx_lp *lp1 = sgx_cpu_get_lp_id(cpu, 1);
	struct sgx_fault fault;
	uint64_t v;

	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(
			sgx_wrmsr(env->lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, 0x1111 * (i + 1), &fault),
			0);
		assert_int_equal(
			sgx_wrmsr(lp1, MSR_IA32_SGXLEPUBKEYHASH0 + i, 0x2222 * (i + 1), &fault), 0);
	}
	sgx_cpu_put_lp(lp1);

	sgx_cpu_power_cycle(cpu);

	lp1 = sgx_cpu_get_lp_id(cpu, 1);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(sgx_rdmsr(env->lp, MSR_IA32_SGXLEPUBKEYHASH0 + i, &v, &fault), 0);
		assert_int_equal(v, sgx_intel_lepubkeyhash[i]);
		assert_int_equal(sgx_rdmsr(lp1, MSR_IA32_SGXLEPUBKEYHASH0 + i, &v, &fault), 0);
		assert_int_equal(v, sgx_intel_lepubkeyhash[i]);
	}
	sgx_cpu_put_lp(lp1);
}

static void test_power_cycle_keys(void **state)
{
	struct env *env = *state;
	struct sgx_cpu *cpu = env->f->cpu;
	uint8_t paging_key[16], keyid[32];

	memcpy(paging_key, cpu->paging_key, sizeof(paging_key));
	memcpy(keyid, cpu->report_keyid, sizeof(keyid));
	sgx_cpu_power_cycle(cpu);
	assert_memory_not_equal(cpu->paging_key, paging_key, sizeof(paging_key));
	assert_memory_not_equal(cpu->report_keyid, keyid, sizeof(keyid));
	memcpy(paging_key, cpu->paging_key, sizeof(paging_key));
	sgx_cpu_power_cycle(cpu);
	assert_memory_not_equal(cpu->paging_key, paging_key, sizeof(paging_key));
	assert_int_equal(sgx_cpu_power_cycles(cpu), 2);
}

/*
 * Evict the whole enclave (children, then the SECS into its own VA page) and return the SECS
 * blob and the version its slot held. After a power cycle the VA pages are gone too, so the
 * tests put that version into a fresh VA page's slot by hand, the one thing a real attacker
 * cannot do: it isolates the key as the only difference.
 */
static uint64_t evict_everything(struct env *env, struct paging_blob *secs_blob,
				 sgx_paddr_t secs_va)
{
	for (unsigned int i = 0; i < NR_PAGES; i++)
		assert_int_equal(paging_evict(env->e, offsets[i], env->va + 8 * i, env->b), 0);
	assert_int_equal(paging_ewb(env->lp, env->e->secs, secs_va, secs_blob), 0);
	return paging_va_slot(env->f, secs_va);
}

static void restore_slot(struct env *env, sgx_paddr_t va, uint64_t version)
{
	uint64_t index = (uint64_t)sgx_frame_index(env->f->cpu, va);

	*(uint64_t *)sgx_frame_kva(env->f->cpu, index) = version;
}

static void test_blob_from_before_cycle(void **state)
{
	struct env *env = *state;
	struct paging_blob *secs_blob = paging_blob_new();
	sgx_paddr_t secs_va = paging_va_new(env->f), fresh_va, dest = cpu_fixture_alloc(env->f);
	uint64_t version = evict_everything(env, secs_blob, secs_va);

	sgx_cpu_power_cycle(env->f->cpu);
	fresh_va = paging_va_new(env->f);
	restore_slot(env, fresh_va, version);
	assert_encls_status(env->lp, paging_eld(env->lp, secs_blob, dest, fresh_va, 0, false),
			    SGX_MAC_COMPARE_FAIL, false);
	assert_false(sgx_epcm(env->f->cpu, sgx_frame_index(env->f->cpu, dest))->valid);
	assert_int_equal(paging_va_slot(env->f, fresh_va), version);

	paging_va_free(env->f, fresh_va);
	paging_va_free(env->f, secs_va);
	cpu_fixture_free(env->f, dest);
	paging_blob_free(secs_blob);
}

static void test_blob_control_without_cycle(void **state)
{
	struct env *env = *state;
	struct paging_blob *secs_blob = paging_blob_new();
	sgx_paddr_t secs_va = paging_va_new(env->f), fresh_va;
	uint64_t version = evict_everything(env, secs_blob, secs_va);

	fresh_va = paging_va_new(env->f);
	restore_slot(env, fresh_va, version);
	assert_encls_status(env->lp,
			    paging_eld(env->lp, secs_blob, env->e->secs, fresh_va, 0, false), 0,
			    false);
	/* (The children stay evicted; teardown's EREMOVEs of their invalid frames succeed.) */
	paging_va_free(env->f, fresh_va);
	paging_va_free(env->f, secs_va);
	paging_blob_free(secs_blob);
}

static void test_paging_after_cycle(void **state)
{
	struct env *env = *state;
	struct fixture_enclave *e2 = aligned_alloc(4096, (sizeof(*e2) + 4095) & ~(size_t)4095);

	sgx_cpu_power_cycle(env->f->cpu);
	/* The VA page went with the rest; the kernel makes a new one. */
	assert_encls_status(env->lp, __eblock(env->lp, env->va), SGX_PG_INVLD, false);
	assert_int_equal(__epa(env->lp, env->va), 0);
	fixture_enclave_create(e2, env->f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_int_equal(paging_evict(e2, FIXTURE_CODE_OFFSET, env->va, env->b), 0);
	assert_int_equal(paging_reload(e2, FIXTURE_CODE_OFFSET, env->va, env->b), 0);
	fixture_enclave_destroy(e2);
	free(e2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_power_cycle_invalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_cycle_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_cycle_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_from_before_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_control_without_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paging_after_cycle, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
