/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 leaves an enclave runs (ref §8.6): EACCEPT after EAUG, EMODPR and EMODT, with the
 * tracking rule of ref §7.4; EACCEPTCOPY; EMODPE. Every fault and status, checks in order, and
 * the race of an enclave's EACCEPT against the kernel's EMODPR on the same page, made
 * deterministic with the CPU's pause hook.
 *
 *   check                                           test
 *   EACCEPT SECINFO operand (#GP, #PF)              test_eaccept_secinfo_operand
 *   EACCEPT target address (#GP, #PF)               test_eaccept_target_address
 *   EACCEPT SECINFO combinations (#GP)              test_eaccept_combinations
 *   EACCEPT target EPCM (#PF)                       test_eaccept_target_epcm
 *   EACCEPT page in use (#GP)                       test_enclu_concurrency
 *   SGX_PAGE_ATTRIBUTES_MISMATCH                    test_eaccept_mismatch
 *   SGX_NOT_TRACKED                                 test_eaccept_emodpr_tracking
 *   TCS checks (#GP)                                test_eaccept_emodt_tcs
 *   EACCEPTCOPY                                     test_eacceptcopy_*
 *   EMODPE                                          test_emodpe_*
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "enclu_env.h"

#define SECINFO_OFF 0x40
#define U X86_PF_USER
#define P X86_PF_PROT
#define W X86_PF_WRITE
#define S X86_PF_SGX

static int setup(void **state)
{
	struct enclu_env *env = enclu_env_create(NULL);

	env_eenter(env);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct enclu_env *env = *state;

	sgx_cpu_set_pause_hook(env->cpu, NULL, NULL);
	if (env->tlp.enclave_mode)
		env_eexit(env);
	enclu_env_destroy(env);
	return 0;
}

/* --- the kernel's side ------------------------------------------------------------------- */

static int emodpr(struct enclu_env *env, struct sgx_lp *lp, uint64_t la, uint64_t perm)
{
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { .flags = perm };

	return __emodpr(lp, &secinfo, env_frame(env, la));
}

static void emodt(struct enclu_env *env, uint64_t la, unsigned int type)
{
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = {
		.flags = (uint64_t)type << SGX_SECINFO_PAGE_TYPE_SHIFT,
	};

	assert_int_equal(__emodt(env->f->lp, &secinfo, env_frame(env, la)), 0);
}

static void etrack(struct enclu_env *env)
{
	assert_int_equal(__etrack(env->f->lp, env->e->secs), 0);
}

/* --- the enclave's side ------------------------------------------------------------------ */

static uint64_t put_secinfo(struct enclu_env *env, uint64_t flags)
{
	uint64_t la = env->data + SECINFO_OFF;
	struct sgx_secinfo *si = (struct sgx_secinfo *)env_kva(env, la);

	memset(si, 0, sizeof(*si));
	si->flags = flags;
	return la;
}

/* EACCEPT: the status, or -1 with the fault. Registers are unchanged on a fault. */
static int eaccept_at(struct enclu_env *env, uint64_t si, uint64_t page, struct sgx_fault *fault)
{
	struct sgx_regs before;
	int ret;

	env->regs.rax = EACCEPT;
	env->regs.rbx = si;
	env->regs.rcx = page;
	before = env->regs;
	ret = sgx_enclu(&env->tlp, &env->regs, &env->xs, fault);
	if (ret) {
		assert_memory_equal(&before, &env->regs, sizeof(before));
		return ret;
	}
	assert_int_equal(env->regs.rip, before.rip + 3);
	assert_int_equal(!!(env->regs.rflags & X86_EFLAGS_ZF), env->regs.rax != 0);
	return (int)env->regs.rax;
}

static int eaccept(struct enclu_env *env, uint64_t flags, uint64_t page, struct sgx_fault *fault)
{
	return eaccept_at(env, put_secinfo(env, flags), page, fault);
}

static void assert_eaccept_fault(struct enclu_env *env, uint64_t si, uint64_t page, uint8_t vector,
				 uint64_t addr, uint32_t ec)
{
	struct sgx_fault fault;

	assert_fault(eaccept_at(env, si, page, &fault), &fault, vector, addr, ec);
}

static uint8_t epcm_state(struct enclu_env *env, uint64_t la)
{
	return env_epcm(env, la)->state;
}

#define REG_RW_PENDING (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING)

/* --- EACCEPT ------------------------------------------------------------------------------- */

static void test_eaccept_eaug(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	env_eaug(env, env->free);
	/* A pending page is not accessible until accepted */
	assert_int_equal(sgx_cpu_access(&env->tlp, env->free, SGX_ACCESS_READ, &fault), -1);
	assert_int_equal(fault.error_code, U | P | S);
	assert_int_equal(eaccept(env, REG_RW_PENDING, env->free, &fault), 0);
	assert_int_equal(epcm_state(env, env->free), 0);
	assert_int_equal(sgx_cpu_access(&env->tlp, env->free, SGX_ACCESS_WRITE, &fault), 0);
	/* Accepting twice: the page is no longer pending */
	assert_int_equal(eaccept(env, REG_RW_PENDING, env->free, &fault),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
}

/* Restrict: EMODPR, ETRACK, every LP that was inside leaves, then EACCEPT(PR). */
static void test_eaccept_emodpr_tracking(void **state)
{
	struct enclu_env *env = *state;
	const uint64_t r_pr = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR;
	struct sgx_fault fault;

	assert_int_equal(emodpr(env, env->f->lp, env->data + SGX_PAGE_SIZE, SGX_SECINFO_R), 0);
	assert_int_equal(epcm_state(env, env->data + SGX_PAGE_SIZE), SGX_EPCM_PR);
	/* This LP was inside when the page was restricted: not tracked yet */
	assert_int_equal(eaccept(env, r_pr, env->data + SGX_PAGE_SIZE, &fault), SGX_NOT_TRACKED);
	etrack(env);
	/* Still inside since before the ETRACK */
	assert_int_equal(eaccept(env, r_pr, env->data + SGX_PAGE_SIZE, &fault), SGX_NOT_TRACKED);
	env_eexit(env);
	env_eenter(env);
	/* A mismatch is reported before tracking is looked at */
	assert_int_equal(eaccept(env, r_pr | SGX_SECINFO_W, env->data + SGX_PAGE_SIZE, &fault),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
	assert_int_equal(eaccept(env, r_pr, env->data + SGX_PAGE_SIZE, &fault), 0);
	assert_int_equal(epcm_state(env, env->data + SGX_PAGE_SIZE), 0);
	assert_int_equal(env_epcm(env, env->data + SGX_PAGE_SIZE)->rwx, SGX_SECINFO_R);
	/* PR is not compared: accepting again with PR set is a successful no-op */
	assert_int_equal(eaccept(env, r_pr, env->data + SGX_PAGE_SIZE, &fault), 0);
}

/* Trim: EMODT(TRIM), ETRACK, EACCEPT(TRIM|MODIFIED), then EREMOVE even with the LP inside. */
static void test_eaccept_emodt_trim(void **state)
{
	struct enclu_env *env = *state;
	const uint64_t trim = SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED;
	struct fixture_enclave *e = env->e;
	sgx_paddr_t frame = env_frame(env, env->rodata);
	struct sgx_fault fault;

	env_eexit(env);
	emodt(env, env->rodata, SGX_PAGE_TYPE_TRIM);
	etrack(env);
	env_eenter(env);
	assert_int_equal(eaccept(env, trim, env->rodata, &fault), 0);
	assert_int_equal(epcm_state(env, env->rodata), 0);
	assert_int_equal(env_epcm(env, env->rodata)->page_type, SGX_PAGE_TYPE_TRIM);
	assert_int_equal(__eremove(env->f->lp, frame), 0);
	for (unsigned int i = 0; i < e->nr_pages; i++)
		if (e->pages[i].frame == frame)
			e->pages[i] = e->pages[--e->nr_pages];
	cpu_fixture_free(env->f, frame);
	sgx_pt_clear(env->cpu, env->rodata);
}

/* A page turned into a TCS must hold a TCS EADD would take; then it can be entered. */
static void test_eaccept_emodt_tcs(void **state)
{
	struct enclu_env *env = *state;
	const uint64_t tcs_flags = SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED;
	uint64_t page = env->data + SGX_PAGE_SIZE;
	struct sgx_tcs *tcs = (struct sgx_tcs *)env_kva(env, page);
	struct sgx_tlp other;
	struct sgx_regs regs = { .rax = EENTER };
	struct sgx_fault fault;

	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = env->ssa + SGX_PAGE_SIZE - env->base; /* its own SSA frame: frame 1 */
	tcs->nssa = 1;
	tcs->oentry = env->code - env->base;
	tcs->ofsbase = tcs->ogsbase = env->data - env->base;
	tcs->fslimit = tcs->gslimit = 0xFFF;
	tcs->aep = 1; /* not a TCS EADD would take */
	/* Changed while this LP is inside: not tracked, which is reported before the TCS checks */
	emodt(env, page, SGX_PAGE_TYPE_TCS);
	assert_int_equal(eaccept(env, tcs_flags, page, &fault), SGX_NOT_TRACKED);
	env_eexit(env);
	etrack(env);
	env_eenter(env);
	assert_eaccept_fault(env, put_secinfo(env, tcs_flags), page, X86_TRAP_GP, 0, 0);
	tcs->aep = 0;
#define GP_WHEN(stmt, undo)                                                                      \
	do {                                                                                     \
		stmt;                                                                            \
		assert_eaccept_fault(env, put_secinfo(env, tcs_flags), page, X86_TRAP_GP, 0, 0); \
		undo;                                                                            \
	} while (0)
	GP_WHEN(tcs->reserved[100] = 1, tcs->reserved[100] = 0);
	GP_WHEN(tcs->flags = SGX_TCS_DBGOPTIN, tcs->flags = 0);
	GP_WHEN(tcs->flags = SGX_TCS_AEXNOTIFY, tcs->flags = 0);
	GP_WHEN(tcs->cssa = 1, tcs->cssa = 0);
	GP_WHEN(tcs->nssa = 0, tcs->nssa = 1);
	GP_WHEN(tcs->state = 1, tcs->state = 0);
#undef GP_WHEN
	assert_int_equal(epcm_state(env, page), SGX_EPCM_MODIFIED);
	assert_int_equal(eaccept(env, tcs_flags, page, &fault), 0);
	assert_int_equal(epcm_state(env, page), 0);

	/* Another thread enters the new TCS */
	sgx_tlp_init(&other, env->cpu);
	regs.rbx = page;
	regs.rcx = ENV_AEP;
	assert_int_equal(sgx_enclu(&other, &regs, &env->xs, &fault), 0);
	assert_int_equal(regs.rip, env->code);
	regs.rax = EEXIT;
	regs.rbx = ENV_EXIT_TARGET;
	assert_int_equal(sgx_enclu(&other, &regs, &env->xs, &fault), 0);
}

static void test_eaccept_secinfo_operand(void **state)
{
	struct enclu_env *env = *state;
	uint64_t si = put_secinfo(env, REG_RW_PENDING);

	env_eaug(env, env->free);
	/* 64-byte aligned, in ELRANGE */
	assert_eaccept_fault(env, si + 8, env->free, X86_TRAP_GP, 0, 0);
	assert_eaccept_fault(env, env->base - 64, env->free, X86_TRAP_GP, 0, 0);
	/* Not mapped; in a page that is not a readable REG page of ours */
	assert_eaccept_fault(env, env->free + SGX_PAGE_SIZE, env->free, X86_TRAP_PF,
			     env->free + SGX_PAGE_SIZE, U);
	assert_eaccept_fault(env, env->tcs, env->free, X86_TRAP_PF, env->tcs, U | P | S);
	assert_eaccept_fault(env, env->free, env->free, X86_TRAP_PF, env->free, U | P | S);
	/* Reserved SECINFO bits or bytes */
	((struct sgx_secinfo *)env_kva(env, si))->reserved[55] = 1;
	assert_eaccept_fault(env, si, env->free, X86_TRAP_GP, 0, 0);
	/* ...checked before the target's address: a reserved byte and an unmapped target */
	assert_eaccept_fault(env, si, env->free + SGX_PAGE_SIZE, X86_TRAP_GP, 0, 0);
	put_secinfo(env, REG_RW_PENDING | (1ULL << 7));
	assert_eaccept_fault(env, si, env->free, X86_TRAP_GP, 0, 0);
	put_secinfo(env, REG_RW_PENDING | (1ULL << 16));
	assert_eaccept_fault(env, si, env->free, X86_TRAP_GP, 0, 0);
	/* SECINFO unmapped and target misaligned: the SECINFO comes first */
	assert_eaccept_fault(env, env->free + SGX_PAGE_SIZE, env->free + 8, X86_TRAP_PF,
			     env->free + SGX_PAGE_SIZE, U);
}

static void test_eaccept_target_address(void **state)
{
	struct enclu_env *env = *state;
	uint64_t si = put_secinfo(env, REG_RW_PENDING);
	uint64_t unmapped = env->free + SGX_PAGE_SIZE;

	assert_eaccept_fault(env, si, env->data + 0x800, X86_TRAP_GP, 0, 0);
	assert_eaccept_fault(env, si, env->base + ENV_SIZE, X86_TRAP_GP, 0, 0);
	/* Not present: #PF without P, so that the kernel can EAUG on the fault and retry */
	assert_eaccept_fault(env, si, unmapped, X86_TRAP_PF, unmapped, U);
}

static void test_eaccept_combinations(void **state)
{
	struct enclu_env *env = *state;
	static const uint64_t illegal[] = {
		SGX_SECINFO_REG | SGX_SECINFO_R, /* neither PR nor PENDING */
		SGX_SECINFO_REG | SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED, /* REG + MODIFIED */
		SGX_SECINFO_TCS, /* TCS without MODIFIED */
		SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED | SGX_SECINFO_PENDING,
		SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR,
		SGX_SECINFO_SECS | SGX_SECINFO_MODIFIED,
		SGX_SECINFO_VA | SGX_SECINFO_PENDING,
	};

	env_eaug(env, env->free);
	for (unsigned int i = 0; i < sizeof(illegal) / sizeof(illegal[0]); i++) {
		assert_eaccept_fault(env, put_secinfo(env, illegal[i]), env->free, X86_TRAP_GP, 0,
				     0);
		/* The target's walk comes before the combination check */
		assert_eaccept_fault(env, put_secinfo(env, illegal[i]), env->free + SGX_PAGE_SIZE,
				     X86_TRAP_PF, env->free + SGX_PAGE_SIZE, U);
		/* ...and the combination before the target's EPCM check (here: a TCS) */
		assert_eaccept_fault(env, put_secinfo(env, illegal[i]), env->tcs, X86_TRAP_GP, 0,
				     0);
	}
}

static void test_eaccept_target_epcm(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_epcm_entry *e;
	uint64_t si = put_secinfo(env, REG_RW_PENDING);
	uint64_t alias = env->free + SGX_PAGE_SIZE;
	sgx_paddr_t frame;

	frame = env_eaug(env, env->free);
	e = env_epcm(env, env->free);
	/* Blocked */
	e->state |= SGX_EPCM_BLOCKED;
	assert_eaccept_fault(env, si, env->free, X86_TRAP_PF, env->free, U | P | S);
	e->state &= (uint8_t)~SGX_EPCM_BLOCKED;
	/* A frame that is not valid */
	sgx_pt_set(env->cpu, alias, cpu_fixture_alloc(env->f), PROT_READ | PROT_WRITE);
	assert_eaccept_fault(env, si, alias, X86_TRAP_PF, alias, U | P | S);
	cpu_fixture_free(env->f, env_frame(env, alias));
	/* The SECS */
	sgx_pt_set(env->cpu, alias, env->e->secs, PROT_READ | PROT_WRITE);
	assert_eaccept_fault(env, si, alias, X86_TRAP_PF, alias, U | P | S);
	/* Another enclave's page */
	{
		struct enclu_env_opts opts = { .f = env->f, .base = 0x30000000ULL };
		struct enclu_env *other = enclu_env_create(&opts);

		sgx_pt_set(env->cpu, alias, env_frame(other, other->data), PROT_READ | PROT_WRITE);
		assert_eaccept_fault(env, si, alias, X86_TRAP_PF, alias, U | P | S);
		sgx_pt_clear(env->cpu, alias);
		enclu_env_destroy(other);
	}
	/* Our pending page at another address: EPCM is fine, ENCLAVEADDRESS is a mismatch */
	{
		struct sgx_fault fault;

		sgx_pt_set(env->cpu, alias, frame, PROT_READ | PROT_WRITE);
		assert_int_equal(eaccept(env, REG_RW_PENDING, alias, &fault),
				 SGX_PAGE_ATTRIBUTES_MISMATCH);
		sgx_pt_clear(env->cpu, alias);
	}
}

static void test_eaccept_mismatch(void **state)
{
	struct enclu_env *env = *state;
	static const uint64_t wrong[] = {
		SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PENDING,		  /* W */
		SGX_SECINFO_REG | SGX_SECINFO_W | SGX_SECINFO_PENDING,		  /* R */
		REG_RW_PENDING | SGX_SECINFO_X,					  /* X */
		SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PR, /* PENDING */
		SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED,				  /* PT, MODIFIED */
		SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED,
	};
	struct sgx_fault fault;
	uint8_t before[4096];

	env_eaug(env, env->free);
	memcpy(before, env_kva(env, env->free), sizeof(before));
	for (unsigned int i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		assert_int_equal(eaccept(env, wrong[i], env->free, &fault),
				 SGX_PAGE_ATTRIBUTES_MISMATCH);
		assert_int_equal(epcm_state(env, env->free), SGX_EPCM_PENDING);
	}
	assert_memory_equal(before, env_kva(env, env->free), sizeof(before));
	assert_int_equal(eaccept(env, REG_RW_PENDING, env->free, &fault), 0);
}

/* --- EACCEPTCOPY --------------------------------------------------------------------------- */

static int eacceptcopy(struct enclu_env *env, uint64_t si, uint64_t dst, uint64_t src,
		       struct sgx_fault *fault)
{
	struct sgx_regs before;
	int ret;

	env->regs.rax = EACCEPTCOPY;
	env->regs.rbx = si;
	env->regs.rcx = dst;
	env->regs.rdx = src;
	before = env->regs;
	ret = sgx_enclu(&env->tlp, &env->regs, &env->xs, fault);
	if (ret) {
		assert_memory_equal(&before, &env->regs, sizeof(before));
		return ret;
	}
	assert_int_equal(env->regs.rip, before.rip + 3);
	return (int)env->regs.rax;
}

static void assert_copy_fault(struct enclu_env *env, uint64_t si, uint64_t dst, uint64_t src,
			      uint8_t vector, uint64_t addr, uint32_t ec)
{
	struct sgx_fault fault;

	assert_fault(eacceptcopy(env, si, dst, src, &fault), &fault, vector, addr, ec);
}

static void test_eacceptcopy(void **state)
{
	struct enclu_env *env = *state;
	const uint64_t rx = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X;
	struct sgx_fault fault;

	env_eaug(env, env->free);
	assert_int_equal(eacceptcopy(env, put_secinfo(env, rx), env->free, env->code, &fault), 0);
	assert_memory_equal(env_kva(env, env->free), env_kva(env, env->code), SGX_PAGE_SIZE);
	assert_int_equal(env_epcm(env, env->free)->rwx, SGX_SECINFO_R | SGX_SECINFO_X);
	assert_int_equal(epcm_state(env, env->free), 0);
	assert_int_equal(sgx_cpu_access(&env->tlp, env->free, SGX_ACCESS_READ, &fault), 0);
	/* Again: the destination is not pending any more */
	assert_int_equal(eacceptcopy(env, put_secinfo(env, rx), env->free, env->code, &fault),
			 SGX_PAGE_ATTRIBUTES_MISMATCH);
}

static void test_eacceptcopy_checks(void **state)
{
	struct enclu_env *env = *state;
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	uint64_t si = put_secinfo(env, rw), dst = env->free, src = env->data;
	uint64_t unmapped = env->free + SGX_PAGE_SIZE, outside = env->base + ENV_SIZE;
	struct sgx_epcm_entry *e;
	struct sgx_fault fault;

	env_eaug(env, dst);
	e = env_epcm(env, dst);
	/* Alignment, ELRANGE */
	assert_copy_fault(env, si + 8, dst, src, X86_TRAP_GP, 0, 0);
	assert_copy_fault(env, si, dst + 8, src, X86_TRAP_GP, 0, 0);
	assert_copy_fault(env, si, dst, src + 8, X86_TRAP_GP, 0, 0);
	assert_copy_fault(env, outside, dst, src, X86_TRAP_GP, 0, 0);
	assert_copy_fault(env, si, outside, src, X86_TRAP_GP, 0, 0);
	assert_copy_fault(env, si, dst, outside, X86_TRAP_GP, 0, 0);
	/* Walks: SECINFO, destination (a write), source */
	assert_copy_fault(env, unmapped, dst, src, X86_TRAP_PF, unmapped, U);
	assert_copy_fault(env, si, unmapped, src, X86_TRAP_PF, unmapped, U | W);
	assert_copy_fault(env, si, dst, unmapped, X86_TRAP_PF, unmapped, U);
	/* SECINFO's page, SECINFO's contents */
	assert_copy_fault(env, env->tcs, dst, src, X86_TRAP_PF, env->tcs, U | P | S);
	put_secinfo(env, SGX_SECINFO_REG | SGX_SECINFO_W);
	assert_copy_fault(env, si, dst, src, X86_TRAP_GP, 0, 0);
	put_secinfo(env, SGX_SECINFO_TCS | SGX_SECINFO_R);
	assert_copy_fault(env, si, dst, src, X86_TRAP_GP, 0, 0);
	put_secinfo(env, rw | (1ULL << 20));
	assert_copy_fault(env, si, dst, src, X86_TRAP_GP, 0, 0);
	put_secinfo(env, rw);
	/* The source must be a readable page of ours */
	assert_copy_fault(env, si, dst, env->tcs, X86_TRAP_PF, env->tcs, U | P | S);
	assert_copy_fault(env, si, dst, dst, X86_TRAP_PF, dst, U | P | S); /* pending */
	/* The destination: blocked is a fault, the rest are mismatches */
	e->state |= SGX_EPCM_BLOCKED;
	assert_copy_fault(env, si, dst, src, X86_TRAP_PF, dst, U | W | P | S);
	e->state &= (uint8_t)~SGX_EPCM_BLOCKED;
	assert_int_equal(eacceptcopy(env, si, env->data + SGX_PAGE_SIZE, src, &fault),
			 SGX_PAGE_ATTRIBUTES_MISMATCH); /* not pending */
	e->rwx = SGX_SECINFO_R;
	assert_int_equal(eacceptcopy(env, si, dst, src, &fault), SGX_PAGE_ATTRIBUTES_MISMATCH);
	e->rwx = SGX_SECINFO_R | SGX_SECINFO_W;
	e->state |= SGX_EPCM_MODIFIED;
	assert_int_equal(eacceptcopy(env, si, dst, src, &fault), SGX_PAGE_ATTRIBUTES_MISMATCH);
	e->state &= (uint8_t)~SGX_EPCM_MODIFIED;
	/* The destination in use by another leaf */
	{
		int64_t i = sgx_frame_index(env->cpu, env_frame(env, dst));

		assert_true(sgx_page_trylock_excl(env->cpu, (uint64_t)i));
		assert_copy_fault(env, si, dst, src, X86_TRAP_GP, 0, 0);
		sgx_page_unlock_excl(env->cpu, (uint64_t)i);
	}
	/* Order: walks before the SECINFO's EPCM, SECINFO before the source, source before dest */
	assert_copy_fault(env, env->tcs, dst, unmapped, X86_TRAP_PF, unmapped, U);
	put_secinfo(env, SGX_SECINFO_REG | SGX_SECINFO_W);
	assert_copy_fault(env, si, dst, env->tcs, X86_TRAP_GP, 0, 0);
	put_secinfo(env, rw);
	assert_copy_fault(env, si, env->data + SGX_PAGE_SIZE, env->tcs, X86_TRAP_PF, env->tcs,
			  U | P | S);
	assert_int_equal(eacceptcopy(env, si, dst, src, &fault), 0);
	assert_memory_equal(env_kva(env, dst), env_kva(env, src), SGX_PAGE_SIZE);
}

/* --- EMODPE -------------------------------------------------------------------------------- */

static int emodpe(struct enclu_env *env, uint64_t si, uint64_t page, struct sgx_fault *fault)
{
	struct sgx_regs before;
	int ret;

	env->regs.rax = EMODPE;
	env->regs.rbx = si;
	env->regs.rcx = page;
	before = env->regs;
	ret = sgx_enclu(&env->tlp, &env->regs, &env->xs, fault);
	if (ret) {
		assert_memory_equal(&before, &env->regs, sizeof(before));
		return ret;
	}
	/* No status: RAX and the flags are left alone */
	before.rip += 3;
	assert_memory_equal(&before, &env->regs, sizeof(before));
	return 0;
}

static void assert_emodpe_fault(struct enclu_env *env, uint64_t si, uint64_t page, uint8_t vector,
				uint64_t addr, uint32_t ec)
{
	struct sgx_fault fault;
	uint8_t rwx = env_epcm(env, env->rodata)->rwx;

	assert_fault(emodpe(env, si, page, &fault), &fault, vector, addr, ec);
	assert_int_equal(env_epcm(env, env->rodata)->rwx, rwx);
}

static void test_emodpe(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	/* Extension only: RW on an R page, then X; asking for less changes nothing */
	assert_int_equal(
		emodpe(env, put_secinfo(env, SGX_SECINFO_W | SGX_SECINFO_R), env->rodata, &fault),
		0);
	assert_int_equal(env_epcm(env, env->rodata)->rwx, SGX_SECINFO_R | SGX_SECINFO_W);
	assert_int_equal(emodpe(env, put_secinfo(env, SGX_SECINFO_X), env->rodata, &fault), 0);
	assert_int_equal(env_epcm(env, env->rodata)->rwx,
			 SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X);
	assert_int_equal(emodpe(env, put_secinfo(env, 0), env->rodata, &fault), 0);
	assert_int_equal(env_epcm(env, env->rodata)->rwx,
			 SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X);
	/* The page type in SECINFO is not looked at */
	assert_int_equal(emodpe(env, put_secinfo(env, SGX_SECINFO_TCS), env->rodata, &fault), 0);
}

static void test_emodpe_checks(void **state)
{
	struct enclu_env *env = *state;
	uint64_t si = put_secinfo(env, SGX_SECINFO_R | SGX_SECINFO_W);
	uint64_t page = env->rodata, unmapped = env->free + SGX_PAGE_SIZE;
	struct sgx_epcm_entry *e = env_epcm(env, page);
	struct sgx_fault fault;

	assert_emodpe_fault(env, si + 8, page, X86_TRAP_GP, 0, 0);
	assert_emodpe_fault(env, si, page + 8, X86_TRAP_GP, 0, 0);
	assert_emodpe_fault(env, env->base + ENV_SIZE, page, X86_TRAP_GP, 0, 0);
	assert_emodpe_fault(env, si, env->base + ENV_SIZE, X86_TRAP_GP, 0, 0);
	assert_emodpe_fault(env, unmapped, page, X86_TRAP_PF, unmapped, U);
	assert_emodpe_fault(env, si, unmapped, X86_TRAP_PF, unmapped, U);
	assert_emodpe_fault(env, env->tcs, page, X86_TRAP_PF, env->tcs, U | P | S);
	((struct sgx_secinfo *)env_kva(env, si))->reserved[0] = 1;
	assert_emodpe_fault(env, si, page, X86_TRAP_GP, 0, 0);
	put_secinfo(env, SGX_SECINFO_R | SGX_SECINFO_W);
	/* Target: not a REG page, pending, modified, blocked, another address */
	assert_emodpe_fault(env, si, env->tcs, X86_TRAP_PF, env->tcs, U | P | S);
	for (uint8_t bit = SGX_EPCM_PENDING; bit <= SGX_EPCM_BLOCKED; bit <<= 1) {
		if (bit == SGX_EPCM_PR)
			continue;
		e->state |= bit;
		assert_emodpe_fault(env, si, page, X86_TRAP_PF, page, U | P | S);
		e->state &= (uint8_t)~bit;
	}
	sgx_pt_set(env->cpu, unmapped, env_frame(env, page), PROT_READ);
	assert_emodpe_fault(env, si, unmapped, X86_TRAP_PF, unmapped, U | P | S);
	sgx_pt_clear(env->cpu, unmapped);
	/* In use by another leaf */
	{
		int64_t i = sgx_frame_index(env->cpu, env_frame(env, page));

		assert_true(sgx_page_trylock_excl(env->cpu, (uint64_t)i));
		assert_emodpe_fault(env, si, page, X86_TRAP_GP, 0, 0);
		/* an EPCM fault comes before the conflict */
		e->state |= SGX_EPCM_BLOCKED;
		assert_emodpe_fault(env, si, page, X86_TRAP_PF, page, U | P | S);
		e->state &= (uint8_t)~SGX_EPCM_BLOCKED;
		sgx_page_unlock_excl(env->cpu, (uint64_t)i);
	}
	/* W without R on a page that has no R: #GP (EMODPR took R away) */
	assert_int_equal(emodpr(env, env->f->lp, env->data + SGX_PAGE_SIZE, 0), 0);
	put_secinfo(env, SGX_SECINFO_W);
	assert_fault(emodpe(env, si, env->data + SGX_PAGE_SIZE, &fault), &fault, X86_TRAP_GP, 0, 0);
	put_secinfo(env, SGX_SECINFO_W | SGX_SECINFO_R);
	assert_int_equal(emodpe(env, si, env->data + SGX_PAGE_SIZE, &fault), 0);
	/* Order: both walks before the SECINFO's EPCM; reserved SECINFO before the target's EPCM */
	assert_emodpe_fault(env, env->tcs, unmapped, X86_TRAP_PF, unmapped, U);
	((struct sgx_secinfo *)env_kva(env, si))->reserved[0] = 1;
	assert_emodpe_fault(env, si, env->tcs, X86_TRAP_GP, 0, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_eaccept_eaug),
		T(test_eaccept_emodpr_tracking),
		T(test_eaccept_emodt_trim),
		T(test_eaccept_emodt_tcs),
		T(test_eaccept_secinfo_operand),
		T(test_eaccept_target_address),
		T(test_eaccept_combinations),
		T(test_eaccept_target_epcm),
		T(test_eaccept_mismatch),
		T(test_eacceptcopy),
		T(test_eacceptcopy_checks),
		T(test_emodpe),
		T(test_emodpe_checks),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
