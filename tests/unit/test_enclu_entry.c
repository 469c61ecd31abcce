/* SPDX-License-Identifier: MIT */
/*
 * ENCLU prologue, EENTER, EEXIT (ref §0, §8.1, §8.2) on enclaves built through the real leaves.
 * Every check of EENTER has a test, and where two checks can both fail, a test with both
 * violated shows which one the processor reports (the SDM's order).
 *
 *   §8.1 step                                   test
 *   prologue: EENTER/ERESUME in enclave mode    test_prologue_entry_in_enclave_mode
 *   prologue: in-enclave leaf outside           test_prologue_inside_leaves_outside
 *   prologue: undefined leaf                    test_prologue_undefined_leaf
 *   prologue: SGX2 leaf without SGX2 (#UD)      test_prologue_sgx2_without_sgx2
 *   2 RBX alignment                             test_eenter_tcs_misaligned
 *   2 EPC(RBX)                                  test_eenter_tcs_not_mapped
 *   2 AEP canonical                             test_eenter_aep_noncanonical
 *   2 TCS in use by another leaf                test_eenter_tcs_locked (and test_enclu_concurrency)
 *   3 EPCM(TCS)                                 test_eenter_tcs_epcm
 *   4 OSSA/OFSBASE/OGSBASE, FLAGS               test_eenter_tcs_fields
 *   5 INIT, MODE64BIT, XFRM vs XCR0             test_eenter_uninitialized, _mode32, _xcr0
 *   7 CSSA >= NSSA                              test_eenter_cssa_nssa
 *   8 SSA frame pages                           test_eenter_ssa_pages, test_eenter_ssa_multipage
 *   9 OENTRY/FS/GS canonical                    test_eenter_targets_noncanonical
 *   10 TCS busy                                 test_eenter_tcs_busy
 *   EREMOVE in flight (ref §10)                 test_enclu_concurrency
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "enclu_env.h"

#define NONCANONICAL 0x0000800000000000ULL

static int setup(void **state)
{
	*state = enclu_env_create(NULL);
	return 0;
}

static int teardown(void **state)
{
	struct enclu_env *env = *state;

	/* Leave the enclave first so that teardown's EREMOVEs are not refused. */
	if (env->tlp.enclave_mode)
		env_eexit(env);
	enclu_env_destroy(env);
	return 0;
}

static uint32_t lps_inside(struct enclu_env *env)
{
	int64_t i = sgx_frame_index(env->cpu, env->e->secs);

	return __atomic_load_n(&sgx_secs_hidden(env->cpu, (uint64_t)i)->lps_inside,
			       __ATOMIC_RELAXED);
}

/* A faulting EENTER changes nothing: registers, TCS, the LP and the enclave's counters. */
static void assert_eenter_fault(struct enclu_env *env, uint64_t tcs, uint64_t aep, uint8_t vector,
				uint64_t addr, uint32_t error_code)
{
	struct sgx_tcs before = *env_tcs(env);
	struct sgx_regs regs;
	struct sgx_fault fault;
	int ret;

	env->regs.rip = ENV_HOST_RIP;
	env->regs.rsp = ENV_HOST_RSP;
	env->regs.rbp = ENV_HOST_RBP;
	env->regs.fsbase = ENV_HOST_FS;
	env->regs.gsbase = ENV_HOST_GS;
	env->regs.rax = EENTER;
	env->regs.rbx = tcs;
	env->regs.rcx = aep;
	regs = env->regs;
	ret = sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault);
	assert_fault(ret, &fault, vector, addr, error_code);
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_memory_equal(&before, env_tcs(env), 72);
	assert_false(env->tlp.enclave_mode);
	assert_int_equal(lps_inside(env), 0);
}

/* --- prologue ------------------------------------------------------------------------------ */

static void test_prologue_entry_in_enclave_mode(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;
	struct sgx_regs regs;

	env_eenter(env);
	regs = env->regs;
	assert_gp(env_enclu(env, EENTER, env->tcs, ENV_AEP, 0, &fault), &fault);
	assert_gp(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), &fault);
	regs.rax = ERESUME;
	regs.rbx = env->tcs;
	regs.rcx = ENV_AEP;
	regs.rdx = 0;
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_true(env->tlp.enclave_mode);
}

static void test_prologue_inside_leaves_outside(void **state)
{
	static const unsigned int leaves[] = {
		EREPORT, EGETKEY, EEXIT, EACCEPT, EMODPE, EACCEPTCOPY
	};
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	for (unsigned int i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		assert_gp(env_enclu(env, leaves[i], env->data, env->data, env->data, &fault),
			  &fault);
}

static void test_prologue_undefined_leaf(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	/* 8 (EVERIFYREPORT2) and 9 (EDECCSSA) exist on other parts, not on this one. */
	assert_gp(env_enclu(env, 8, 0, 0, 0, &fault), &fault);
	assert_gp(env_enclu(env, 9, 0, 0, 0, &fault), &fault);
	assert_gp(env_enclu(env, 0x7FFFFFFF, 0, 0, 0, &fault), &fault);
	env_eenter(env);
	assert_gp(env_enclu(env, 9, 0, 0, 0, &fault), &fault);
	assert_true(env->tlp.enclave_mode);
	/* The upper half of RAX is ignored: this is EEXIT. */
	env->regs.rax = 0xFFFFFFFF00000000ULL | EEXIT;
	env->regs.rbx = ENV_EXIT_TARGET;
	assert_int_equal(sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault), 0);
	assert_false(env->tlp.enclave_mode);
}

static void test_prologue_sgx2_without_sgx2(void **state)
{
	struct enclu_env_opts opts = { .sgx1_only = true };
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_fault fault;
	int ret;

	/* #UD comes before the enclave-mode #GP: the instruction does not exist at all. */
	ret = env_enclu(env, EACCEPT, env->data, env->free, 0, &fault);
	assert_fault(ret, &fault, X86_TRAP_UD, 0, 0);
	env_eenter(env);
	ret = env_enclu(env, EACCEPT, env->data, env->free, 0, &fault);
	assert_fault(ret, &fault, X86_TRAP_UD, 0, 0);
	ret = env_enclu(env, EMODPE, env->data, env->data, 0, &fault);
	assert_fault(ret, &fault, X86_TRAP_UD, 0, 0);
	ret = env_enclu(env, EACCEPTCOPY, env->data, env->free, env->data, &fault);
	assert_fault(ret, &fault, X86_TRAP_UD, 0, 0);
	env_eexit(env);
	enclu_env_destroy(env);
}

/* --- EENTER success, EEXIT ----------------------------------------------------------------- */

static void test_eenter_eexit(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_cpu_stats stats;
	struct sgx_regs before, r;
	struct sgx_fault fault;

	env_fill_regs(&env->regs, 42);
	env->regs.rflags |= X86_EFLAGS_TF | X86_EFLAGS_CF;
	env->regs.rip = ENV_HOST_RIP;
	env->regs.fsbase = ENV_HOST_FS;
	env->regs.gsbase = ENV_HOST_GS;
	env->regs.rax = EENTER;
	env->regs.rbx = env->tcs;
	env->regs.rcx = ENV_AEP;
	before = env->regs;
	assert_int_equal(sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault), 0);

	/* ref §8.1 effects */
	r = before;
	r.rax = 0; /* CSSA */
	r.rcx = ENV_HOST_RIP + 3;
	r.rip = env->code;
	r.fsbase = env->data;
	r.gsbase = env->data;
	r.rflags &= ~X86_EFLAGS_TF; /* opt-out entry: no single-stepping into the enclave */
	assert_memory_equal(&r, &env->regs, sizeof(r));
	assert_int_equal(env_tcs(env)->state, 1);
	assert_int_equal(env_tcs(env)->aep, ENV_AEP);
	assert_int_equal(env_tcs(env)->cssa, 0);
	assert_int_equal(env_gpr(env, 0)->ursp, before.rsp);
	assert_int_equal(env_gpr(env, 0)->urbp, before.rbp);
	assert_true(env->tlp.enclave_mode);
	assert_int_equal(env->tlp.tcs_la, env->tcs);
	assert_int_equal(lps_inside(env), 1);

	/* EEXIT: RIP = RBX, RCX = AEP, host FS/GS and TF back; nothing else touched. */
	env->regs.rax = EEXIT;
	env->regs.rbx = ENV_EXIT_TARGET;
	env->regs.rsp = 0x1234;
	before = env->regs;
	assert_int_equal(sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault), 0);
	r = before;
	r.rip = ENV_EXIT_TARGET;
	r.rcx = ENV_AEP;
	r.fsbase = ENV_HOST_FS;
	r.gsbase = ENV_HOST_GS;
	r.rflags |= X86_EFLAGS_TF;
	assert_memory_equal(&r, &env->regs, sizeof(r));
	assert_int_equal(env_tcs(env)->state, 0);
	assert_int_equal(env_tcs(env)->cssa, 0);
	assert_false(env->tlp.enclave_mode);
	assert_int_equal(lps_inside(env), 0);

	sgx_cpu_get_stats(env->cpu, &stats);
	assert_int_equal(stats.enclu[EENTER], 1);
	assert_int_equal(stats.enclu[EEXIT], 1);

	/* The TCS is free again. */
	env_eenter(env);
}

static void test_eexit_noncanonical(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;
	struct sgx_regs regs;

	env_eenter(env);
	regs = env->regs;
	assert_gp(env_enclu(env, EEXIT, NONCANONICAL, 0, 0, &fault), &fault);
	regs.rax = EEXIT;
	regs.rbx = NONCANONICAL;
	regs.rcx = regs.rdx = 0;
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_true(env->tlp.enclave_mode);
	assert_int_equal(env_tcs(env)->state, 1);
}

/* DBGOPTIN (set by the debugger with EDBGWR): TF passes into the enclave and stays. */
static void test_eenter_dbgoptin_keeps_tf(void **state)
{
	struct enclu_env_opts opts = { .attributes = SGX_ATTR_DEBUG };
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_fault fault;

	assert_int_equal(__edbgwr(env->f->lp, env_frame(env, env->tcs) + 8, SGX_TCS_DBGOPTIN), 0);
	env->regs.rflags |= X86_EFLAGS_TF;
	env_eenter(env);
	assert_true(env->regs.rflags & X86_EFLAGS_TF);
	env->regs.rflags &= ~X86_EFLAGS_TF;
	assert_int_equal(env_enclu(env, EEXIT, ENV_EXIT_TARGET, 0, 0, &fault), 0);
	assert_false(env->regs.rflags & X86_EFLAGS_TF);
	enclu_env_destroy(env);
}

/* --- EENTER checks in order ---------------------------------------------------------------- */

static void test_eenter_tcs_misaligned(void **state)
{
	struct enclu_env *env = *state;

	assert_eenter_fault(env, env->tcs + 8, ENV_AEP, X86_TRAP_GP, 0, 0);
	/* Misaligned and not mapped: the alignment #GP comes first. */
	assert_eenter_fault(env, env->free + 8, ENV_AEP, X86_TRAP_GP, 0, 0);
}

static void test_eenter_tcs_not_mapped(void **state)
{
	struct enclu_env *env = *state;

	/* Not present: #PF without P, for the kernel's fault path to map it and retry. */
	assert_eenter_fault(env, env->free, ENV_AEP, X86_TRAP_PF, env->free, X86_PF_USER);
	/* Not mapped and AEP non-canonical: the walk comes first. */
	assert_eenter_fault(env, env->free, NONCANONICAL, X86_TRAP_PF, env->free, X86_PF_USER);
	/* PROT_NONE is not present either. */
	sgx_pt_set(env->cpu, env->tcs, env_frame(env, env->tcs), PROT_NONE);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->tcs, X86_PF_USER);
}

static void test_eenter_aep_noncanonical(void **state)
{
	struct enclu_env *env = *state;

	assert_eenter_fault(env, env->tcs, NONCANONICAL, X86_TRAP_GP, 0, 0);
	/* AEP non-canonical and RBX a REG page: the AEP #GP comes before the EPCM #PF. */
	assert_eenter_fault(env, env->data, NONCANONICAL, X86_TRAP_GP, 0, 0);
}

static void test_eenter_tcs_locked(void **state)
{
	struct enclu_env *env = *state;
	int64_t tcs = sgx_frame_index(env->cpu, env_frame(env, env->tcs));
	int64_t data = sgx_frame_index(env->cpu, env_frame(env, env->data));

	/* Another leaf holds the TCS page exclusively (an EREMOVE, an EWB): #GP. */
	assert_true(sgx_page_trylock_excl(env->cpu, (uint64_t)tcs));
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	sgx_page_unlock_excl(env->cpu, (uint64_t)tcs);
	/* Held and not a TCS at all: the conflict comes before the EPCM check. */
	assert_true(sgx_page_trylock_excl(env->cpu, (uint64_t)data));
	assert_eenter_fault(env, env->data, ENV_AEP, X86_TRAP_GP, 0, 0);
	sgx_page_unlock_excl(env->cpu, (uint64_t)data);
	/* Shared holders (EBLOCK, ETRACK...) do not stop an entry. */
	assert_true(sgx_page_trylock_shared(env->cpu, (uint64_t)tcs));
	env_eenter(env);
	sgx_page_unlock_shared(env->cpu, (uint64_t)tcs);
}

static void test_eenter_tcs_epcm(void **state)
{
	struct enclu_env *env = *state;
	const uint32_t pf_sgx = X86_PF_USER | X86_PF_PROT | X86_PF_SGX;
	struct sgx_epcm_entry *tcs = env_epcm(env, env->tcs);
	uint64_t alias = env->free;

	/* Not a TCS */
	assert_eenter_fault(env, env->data, ENV_AEP, X86_TRAP_PF, env->data, pf_sgx);
	/* The TCS frame reached at another linear address: ENCLAVEADDRESS mismatch */
	sgx_pt_set(env->cpu, alias, env_frame(env, env->tcs), PROT_READ | PROT_WRITE);
	assert_eenter_fault(env, alias, ENV_AEP, X86_TRAP_PF, alias, pf_sgx);
	sgx_pt_clear(env->cpu, alias);
	/* BLOCKED, PENDING, MODIFIED */
	for (uint8_t bit = SGX_EPCM_PENDING; bit <= SGX_EPCM_BLOCKED; bit <<= 1) {
		if (bit == SGX_EPCM_PR)
			continue;
		tcs->state |= bit;
		assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->tcs, pf_sgx);
		/* and with a bad OSSA too: the EPCM check (step 3) precedes step 4 */
		env_tcs(env)->ossa += 8;
		assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->tcs, pf_sgx);
		env_tcs(env)->ossa -= 8;
		tcs->state &= (uint8_t)~bit;
	}
	/* A frame that is not valid at all */
	sgx_pt_set(env->cpu, alias, cpu_fixture_alloc(env->f), PROT_READ | PROT_WRITE);
	assert_eenter_fault(env, alias, ENV_AEP, X86_TRAP_PF, alias, pf_sgx);
	cpu_fixture_free(env->f, env_frame(env, alias));
	sgx_pt_clear(env->cpu, alias);
	env_eenter(env);
}

static void test_eenter_tcs_fields(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_tcs *tcs = env_tcs(env);
	static const size_t fields[] = { offsetof(struct sgx_tcs, ossa),
					 offsetof(struct sgx_tcs, ofsbase),
					 offsetof(struct sgx_tcs, ogsbase) };

	for (unsigned int i = 0; i < 3; i++) {
		uint64_t *field = (uint64_t *)((uint8_t *)tcs + fields[i]);

		*field += 0x10;
		assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
		*field -= 0x10;
	}
	/* FLAGS: bits 63:1 are reserved here (AEX-Notify is not implemented) */
	tcs->flags = SGX_TCS_AEXNOTIFY;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	tcs->flags = 1ULL << 40;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	/* Bad FLAGS and an unmapped SSA page: step 4 precedes step 8 */
	sgx_pt_clear(env->cpu, env->ssa);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	tcs->flags = 0;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
			    X86_PF_USER | X86_PF_WRITE);
}

static void test_eenter_uninitialized(void **state)
{
	struct enclu_env_opts opts = { .no_einit = true };
	struct enclu_env *env = enclu_env_create(&opts);

	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	/* Uninitialized and the SSA not mapped: step 5 precedes step 8 */
	sgx_pt_clear(env->cpu, env->ssa);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	enclu_env_destroy(env);
}

static void test_eenter_mode32(void **state)
{
	struct enclu_env_opts opts = { .mode32 = true };
	struct enclu_env *env = enclu_env_create(&opts);

	/* This process runs in 64-bit mode: (EFER.LMA && CS.L) != MODE64BIT */
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	enclu_env_destroy(env);
}

static void test_eenter_xcr0(void **state)
{
	struct enclu_env *env = *state;
	uint64_t xcr0 = env->xs.xcr0;

	/* XFRM (x87|SSE) is not a subset of XCR0 */
	env->xs.xcr0 = 0x1;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	/* Without OSXSAVE only XFRM = 3 may enter, and that is what this enclave has */
	env->xs.xcr0 = 0;
	env_eenter(env);
	env_eexit(env);
	env->xs.xcr0 = xcr0;
}

static void test_eenter_cssa_nssa(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	/* Two AEXes fill both SSA frames; a third entry has nowhere to save state. */
	for (uint32_t i = 0; i < env->nssa; i++) {
		env_eenter(env);
		assert_int_equal(env->regs.rax, i); /* RAX = CSSA */
		env_aex_interrupt(env);
	}
	assert_int_equal(env_tcs(env)->cssa, 2);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
	/* ERESUME still works and pops a frame */
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_int_equal(env_tcs(env)->cssa, 1);
}

static void test_eenter_ssa_pages(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_epcm_entry *ssa = env_epcm(env, env->ssa);
	sgx_paddr_t frame = env_frame(env, env->ssa);

	/* Not mapped: #PF at the page, write access, no P */
	sgx_pt_clear(env->cpu, env->ssa);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
			    X86_PF_USER | X86_PF_WRITE);
	/* Mapped read-only: a paging permission fault */
	sgx_pt_set(env->cpu, env->ssa, frame, PROT_READ);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
			    X86_PF_USER | X86_PF_WRITE | X86_PF_PROT);
	sgx_pt_set(env->cpu, env->ssa, frame, PROT_READ | PROT_WRITE);
	/* EPCM: not writable, pending, not REG */
	ssa->rwx = SGX_SECINFO_R;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
			    X86_PF_USER | X86_PF_WRITE | X86_PF_PROT | X86_PF_SGX);
	ssa->rwx = SGX_SECINFO_R | SGX_SECINFO_W;
	ssa->state = SGX_EPCM_PENDING;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
			    X86_PF_USER | X86_PF_WRITE | X86_PF_PROT | X86_PF_SGX);
	ssa->state = 0;
	/* The SSA offset pointing at the TCS: PT_TCS is not an SSA page */
	env_tcs(env)->ossa = 0;
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->tcs,
			    X86_PF_USER | X86_PF_WRITE | X86_PF_PROT | X86_PF_SGX);
	env_tcs(env)->ossa = env->ssa - env->base;
	env_eenter(env);
}

/* A two-page SSA frame: the XSAVE area in the first page, GPRSGX in the second. */
static void test_eenter_ssa_multipage(void **state)
{
	struct enclu_env_opts opts = { .ssa_frame_size = 2 };
	struct enclu_env *env = enclu_env_create(&opts);
	uint64_t gpr_page = env->ssa + SGX_PAGE_SIZE;

	sgx_pt_clear(env->cpu, gpr_page);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, gpr_page,
			    X86_PF_USER | X86_PF_WRITE);
	/* Both pages bad: the XSAVE pages are checked first */
	sgx_pt_clear(env->cpu, env->ssa);
	assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
			    X86_PF_USER | X86_PF_WRITE);
	fixture_enclave_map(env->e);
	env_eenter(env);
	assert_int_equal(env_gpr(env, 0)->ursp, ENV_HOST_RSP);
	/* Frame 1 starts two pages further; an AEX then EENTER uses it. */
	env_aex_interrupt(env);
	env_eenter(env);
	assert_int_equal(env->regs.rax, 1);
	assert_int_equal(env->tlp.ssa_frame_la, env->ssa + 2 * SGX_PAGE_SIZE);
	env_eexit(env);
	enclu_env_destroy(env);
}

static void test_eenter_targets_noncanonical(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_tcs *tcs = env_tcs(env);
	static const size_t fields[] = { offsetof(struct sgx_tcs, oentry),
					 offsetof(struct sgx_tcs, ofsbase),
					 offsetof(struct sgx_tcs, ogsbase) };
	const uint64_t bad =
		NONCANONICAL - env->base; /* page aligned, base + it is not canonical */

	for (unsigned int i = 0; i < 3; i++) {
		uint64_t *field = (uint64_t *)((uint8_t *)tcs + fields[i]);
		uint64_t old = *field;

		*field = bad;
		assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_GP, 0, 0);
		/* and the SSA not mapped: step 8 precedes step 9 */
		sgx_pt_clear(env->cpu, env->ssa);
		assert_eenter_fault(env, env->tcs, ENV_AEP, X86_TRAP_PF, env->ssa,
				    X86_PF_USER | X86_PF_WRITE);
		fixture_enclave_map(env->e);
		*field = old;
	}
	env_eenter(env);
}

static void test_eenter_tcs_busy(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_tlp other;
	struct sgx_regs regs;
	struct sgx_fault fault;

	env_eenter(env);
	/* Another thread (another LP) on the same TCS: STATE is ACTIVE */
	sgx_tlp_init(&other, env->cpu);
	memset(&regs, 0, sizeof(regs));
	regs.rax = EENTER;
	regs.rbx = env->tcs;
	regs.rcx = ENV_AEP;
	assert_gp(sgx_enclu(&other, &regs, &env->xs, &fault), &fault);
	assert_false(other.enclave_mode);
	assert_int_equal(lps_inside(env), 1);
	/* Busy and its SSA frame unmapped: step 8 precedes step 10 */
	sgx_pt_clear(env->cpu, env->ssa);
	assert_fault(sgx_enclu(&other, &regs, &env->xs, &fault), &fault, X86_TRAP_PF, env->ssa,
		     X86_PF_USER | X86_PF_WRITE);
	fixture_enclave_map(env->e);
	/* The loser did not release the owner's claim */
	assert_int_equal(env_tcs(env)->state, 1);
	env_eexit(env);
	assert_int_equal(sgx_enclu(&other, &regs, &env->xs, &fault), 0);
	assert_true(other.enclave_mode);
	regs.rax = EEXIT;
	regs.rbx = ENV_EXIT_TARGET;
	assert_int_equal(sgx_enclu(&other, &regs, &env->xs, &fault), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_prologue_entry_in_enclave_mode),
		T(test_prologue_inside_leaves_outside),
		T(test_prologue_undefined_leaf),
		cmocka_unit_test(test_prologue_sgx2_without_sgx2),
		T(test_eenter_eexit),
		T(test_eexit_noncanonical),
		cmocka_unit_test(test_eenter_dbgoptin_keeps_tf),
		T(test_eenter_tcs_misaligned),
		T(test_eenter_tcs_not_mapped),
		T(test_eenter_aep_noncanonical),
		T(test_eenter_tcs_locked),
		T(test_eenter_tcs_epcm),
		T(test_eenter_tcs_fields),
		cmocka_unit_test(test_eenter_uninitialized),
		cmocka_unit_test(test_eenter_mode32),
		T(test_eenter_xcr0),
		T(test_eenter_cssa_nssa),
		T(test_eenter_ssa_pages),
		cmocka_unit_test(test_eenter_ssa_multipage),
		T(test_eenter_targets_noncanonical),
		T(test_eenter_tcs_busy),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
