/* SPDX-License-Identifier: MIT */
/*
 * sgx_cpu_access: how the runtime classifies a host fault. The page walk first (not present: no
 * P; permission: P), then in enclave mode the EPCM (X86_PF_SGX), as ref §2 lays the rules out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/mman.h>

#include "enclu_env.h"

#define U X86_PF_USER
#define P X86_PF_PROT
#define W X86_PF_WRITE
#define I X86_PF_INSTR
#define S X86_PF_SGX
#define RD SGX_ACCESS_READ
#define WR SGX_ACCESS_WRITE
#define EX SGX_ACCESS_EXEC

static int setup(void **state)
{
	*state = enclu_env_create(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct enclu_env *env = *state;

	if (env->tlp.enclave_mode)
		env_eexit(env);
	enclu_env_destroy(env);
	return 0;
}

static void allowed(struct enclu_env *env, uint64_t la, unsigned int access)
{
	struct sgx_fault fault;

	assert_int_equal(sgx_cpu_access(&env->tlp, la, access, &fault), 0);
}

static void faults(struct enclu_env *env, uint64_t la, unsigned int access, uint8_t vector,
		   uint32_t ec)
{
	struct sgx_fault fault;

	assert_fault(sgx_cpu_access(&env->tlp, la, access, &fault), &fault, vector,
		     vector == X86_TRAP_PF ? la : 0, ec);
}

static void test_access_outside_enclave_mode(void **state)
{
	struct enclu_env *env = *state;

	/* Only the page walk: host code sees ELRANGE pages (docs/internals.md divergence) */
	allowed(env, env->data + 5, RD | WR);
	allowed(env, env->tcs, RD);
	allowed(env, env->code, EX);
	faults(env, env->free + 0x10, RD, X86_TRAP_PF, U);
	faults(env, env->free, WR, X86_TRAP_PF, U | W);
	faults(env, env->free, EX, X86_TRAP_PF, U | I);
	faults(env, env->rodata, WR, X86_TRAP_PF, U | W | P);
	faults(env, env->data, EX, X86_TRAP_PF, U | I | P);
	sgx_pt_set(env->cpu, env->free, env_frame(env, env->data), PROT_NONE);
	faults(env, env->free, RD, X86_TRAP_PF, U); /* PROT_NONE is not present on x86 */
}

static void test_access_in_enclave_mode(void **state)
{
	struct enclu_env *env = *state;

	env_eenter(env);
	allowed(env, env->data + 0xFFF, RD | WR);
	allowed(env, env->rodata, RD);
	allowed(env, env->code + 0x10, EX);
	allowed(env, env->ssa, RD | WR);
	/* Paging first */
	faults(env, env->free + 0x20, RD, X86_TRAP_PF, U);
	faults(env, env->rodata, WR, X86_TRAP_PF, U | W | P);
	faults(env, env->data, EX, X86_TRAP_PF, U | I | P);
	/* Then the EPCM: a writable mapping of an EPCM-read-only page */
	sgx_pt_set(env->cpu, env->rodata, env_frame(env, env->rodata), PROT_READ | PROT_WRITE);
	faults(env, env->rodata + 8, WR, X86_TRAP_PF, U | W | P | S);
	/* Executable mapping of a page without EPCM X */
	sgx_pt_set(env->cpu, env->data, env_frame(env, env->data),
		   PROT_READ | PROT_WRITE | PROT_EXEC);
	faults(env, env->data, EX, X86_TRAP_PF, U | I | P | S);
	/* The TCS is never accessible to enclave code, even through a read-write mapping */
	faults(env, env->tcs, RD, X86_TRAP_PF, U | P | S);
	/* A page of ours at the wrong address */
	sgx_pt_set(env->cpu, env->free, env_frame(env, env->data), PROT_READ);
	faults(env, env->free, RD, X86_TRAP_PF, U | P | S);
	/* A blocked page */
	env_epcm(env, env->code)->state |= SGX_EPCM_BLOCKED;
	faults(env, env->code, EX, X86_TRAP_PF, U | I | P | S);
	env_epcm(env, env->code)->state &= (uint8_t)~SGX_EPCM_BLOCKED;
	/* Code outside ELRANGE is never fetched: #GP */
	faults(env, env->base - SGX_PAGE_SIZE, EX, X86_TRAP_GP, 0);
	faults(env, env->base + ENV_SIZE, EX, X86_TRAP_GP, 0);
}

/* An EPC page reached through an address outside ELRANGE faults in enclave mode. */
static void test_access_other_enclave(void **state)
{
	struct enclu_env *env = *state;
	struct enclu_env_opts opts = { .f = env->f, .base = 0x20000000ULL };
	struct enclu_env *other = enclu_env_create(&opts);

	env_eenter(env);
	faults(env, other->data, RD, X86_TRAP_PF, U | P | S);
	/* ...and mapped inside our ELRANGE it is still not ours */
	sgx_pt_set(env->cpu, env->free, env_frame(other, other->data), PROT_READ);
	faults(env, env->free, RD, X86_TRAP_PF, U | P | S);
	/* Outside enclave mode the other enclave's pages are just memory */
	env_eexit(env);
	allowed(env, other->data, RD);
	enclu_env_destroy(other);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_access_outside_enclave_mode),
		T(test_access_in_enclave_mode),
		T(test_access_other_enclave),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
