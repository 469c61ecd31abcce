/* SPDX-License-Identifier: MIT */
/*
 * AEX and ERESUME (ref §1.5, §8.3, §8.4): what the SSA holds after an asynchronous exit, what the
 * host sees, EXITINFO/EXINFO for each kind of event, the XSAVE area, and ERESUME's checks,
 * including the refusal of a corrupted XSAVE frame.
 *
 *   §8.4 check                                  test
 *   steps 1-6 (shared with EENTER)              test_eresume_shared_checks
 *   CSSA = 0                                    test_eresume_cssa_zero
 *   frame CSSA - 1 pages                        test_eresume_ssa_pages
 *   GPRSGX.RIP / FSBASE / GSBASE canonical      test_eresume_targets_noncanonical
 *   TCS busy                                    test_eresume_tcs_busy
 *   XRSTOR of the frame                         test_eresume_bad_xsave_*
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "enclu_env.h"

#define NONCANONICAL 0x0000800000000000ULL
#define RFLAGS_ARITH                                                                     \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF | \
	 X86_EFLAGS_OF)

static int setup(void **state)
{
	*state = enclu_env_create(NULL);
	return 0;
}

static int setup_exinfo(void **state)
{
	struct enclu_env_opts opts = { .miscselect = SGX_MISC_EXINFO };

	*state = enclu_env_create(&opts);
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

static uint32_t lps_inside(struct enclu_env *env)
{
	int64_t i = sgx_frame_index(env->cpu, env->e->secs);

	return __atomic_load_n(&sgx_secs_hidden(env->cpu, (uint64_t)i)->lps_inside,
			       __ATOMIC_RELAXED);
}

/* Enter, then put the "enclave's" state in the registers and the XSAVE image. */
static void enter_and_run(struct enclu_env *env, uint64_t seed)
{
	env_eenter(env);
	env_fill_regs(&env->regs, seed);
	env->regs.rip = env->code + 0x123;
	env->regs.fsbase = env->data + 0x10;
	env->regs.gsbase = env->data + 0x20;
	env->regs.rflags = 0x202 | RFLAGS_ARITH | X86_EFLAGS_DF | (1ULL << 18) /* AC */;
	env_fill_xstate(env, (uint8_t)seed);
}

static void aex(struct enclu_env *env, uint8_t vector, uint32_t error_code, uint64_t addr)
{
	struct sgx_exception ex = {
		.reported = true,
		.vector = vector,
		.error_code = error_code,
		.addr = addr,
	};

	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
}

static void assert_legacy_init(const uint8_t *x, uint16_t fcw, uint16_t fsw, uint32_t mxcsr)
{
	static const uint8_t zero[416];
	uint16_t v16;
	uint32_t v32;

	memcpy(&v16, x, 2);
	assert_int_equal(v16, fcw);
	memcpy(&v16, x + 2, 2);
	assert_int_equal(v16, fsw);
	assert_memory_equal(x + 4, zero, 20);	     /* FTW, FOP, FIP, FDP */
	assert_memory_equal(x + 32, zero, 416 - 32); /* ST0-7, XMM0-15 */
	memcpy(&v32, x + 24, 4);
	assert_int_equal(v32, mxcsr);
}

static uint64_t xstate_bv(const uint8_t *x)
{
	uint64_t bv;

	memcpy(&bv, x + 512, sizeof(bv));
	return bv;
}

/* --- AEX ----------------------------------------------------------------------------------- */

static void test_aex_saves_state_and_loads_synthetic(void **state)
{
	struct enclu_env *env = *state;
	uint8_t image[1024];
	struct sgx_cpu_stats stats;
	struct sgx_regs at_event;
	struct sgx_gprsgx *g = env_gpr(env, 0);
	const uint8_t *ssa = env_ssa_xsave(env, 0);
	uint8_t sw[48];

	enter_and_run(env, 7);
	env->regs.rflags |= X86_EFLAGS_TF;
	at_event = env->regs;
	memcpy(image, env->xsave, sizeof(image));
	memcpy(sw, env->xsave + 464, sizeof(sw));
	env_aex_interrupt(env);

	/* Step 1: GPRSGX holds exactly the state at the event (TF saved as 0) */
	assert_int_equal(g->rax, at_event.rax);
	assert_int_equal(g->rcx, at_event.rcx);
	assert_int_equal(g->rdx, at_event.rdx);
	assert_int_equal(g->rbx, at_event.rbx);
	assert_int_equal(g->rsp, at_event.rsp);
	assert_int_equal(g->rbp, at_event.rbp);
	assert_int_equal(g->rsi, at_event.rsi);
	assert_int_equal(g->rdi, at_event.rdi);
	assert_memory_equal(&g->r8, &at_event.r8, 8 * 8);
	assert_int_equal(g->rflags, at_event.rflags & ~X86_EFLAGS_TF);
	assert_int_equal(g->rip, at_event.rip);
	assert_int_equal(g->fsbase, at_event.fsbase);
	assert_int_equal(g->gsbase, at_event.gsbase);
	assert_int_equal(g->ursp, ENV_HOST_RSP);
	assert_int_equal(g->urbp, ENV_HOST_RBP);
	assert_int_equal(g->exitinfo, 0); /* an interrupt: not reported */

	/* Step 2: the XFRM components (x87, SSE) and MXCSR; header masked, bytes 8..23 zero */
	assert_memory_equal(ssa, image, 24);
	assert_memory_equal(ssa + 24, image + 24, 4);
	assert_memory_equal(ssa + 32, image + 32, 416 - 32);
	assert_int_equal(xstate_bv(ssa), 0x3);
	{
		static const uint8_t zero[16];

		assert_memory_equal(ssa + 520, zero, 16);
	}

	/* Step 4: synthetic state */
	assert_int_equal(env->regs.rax, ERESUME);
	assert_int_equal(env->regs.rbx, env->tcs);
	assert_int_equal(env->regs.rcx, ENV_AEP);
	assert_int_equal(env->regs.rip, ENV_AEP);
	assert_int_equal(env->regs.rdx, 0);
	assert_int_equal(env->regs.rsi, 0);
	assert_int_equal(env->regs.rdi, 0);
	{
		static const uint64_t zero[8];

		assert_memory_equal(&env->regs.r8, zero, sizeof(zero));
	}
	assert_int_equal(env->regs.rsp, ENV_HOST_RSP);
	assert_int_equal(env->regs.rbp, ENV_HOST_RBP);
	assert_int_equal(env->regs.fsbase, ENV_HOST_FS);
	assert_int_equal(env->regs.gsbase, ENV_HOST_GS);
	/* arithmetic flags cleared, DF/AC/IF kept; TF back to the host's (it had none) */
	assert_int_equal(env->regs.rflags,
			 (at_event.rflags & ~(RFLAGS_ARITH | X86_EFLAGS_TF | (1ULL << 16))));
	assert_legacy_init(env->xsave, 0x037F, 0, 0x1F80);
	assert_int_equal(xstate_bv(env->xsave) & 0x3, 0);
	assert_memory_equal(env->xsave + 464, sw, sizeof(sw)); /* the kernel's sw bytes */

	/* Step 5 */
	assert_int_equal(env_tcs(env)->cssa, 1);
	assert_int_equal(env_tcs(env)->state, 0);
	assert_false(env->tlp.enclave_mode);
	assert_int_equal(lps_inside(env), 0);
	sgx_cpu_get_stats(env->cpu, &stats);
	assert_int_equal(stats.aex, 1);
}

static void test_aex_outside_enclave_mode_is_noop(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_regs regs = env->regs;
	struct sgx_exception ex = { .reported = true, .vector = X86_TRAP_UD };

	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_int_equal(env_tcs(env)->cssa, 0);
}

/* EXITINFO for every vector, with and without MISCSELECT.EXINFO (ref §1.5). */
static void exitinfo_table(struct enclu_env *env, bool exinfo)
{
	for (unsigned int v = 0; v < 32; v++) {
		bool always = v == X86_TRAP_DE || v == X86_TRAP_DB || v == X86_TRAP_BP ||
			      v == X86_TRAP_BR || v == X86_TRAP_UD || v == X86_TRAP_MF ||
			      v == X86_TRAP_AC || v == X86_TRAP_XM;
		bool with_exinfo = v == X86_TRAP_GP || v == X86_TRAP_PF;
		uint32_t expected = 0;
		struct sgx_gprsgx *g = env_gpr(env, 0);
		struct sgx_exinfo *info = env_exinfo(env, 0);

		if (always || (exinfo && with_exinfo))
			expected = v | ((v == X86_TRAP_BP ? 6U : 3U) << 8) | (1U << 31);
		memset(info, 0xA5, sizeof(*info));
		enter_and_run(env, v);
		aex(env, (uint8_t)v, 0x6, env->data + 0x234);
		assert_int_equal(g->exitinfo, expected);
		if (expected && with_exinfo) {
			assert_int_equal(info->maddr, v == X86_TRAP_PF ? env->data + 0x234 : 0);
			assert_int_equal(info->errcd, v == X86_TRAP_PF ? (0x6 | X86_PF_USER) : 0x6);
			assert_int_equal(info->reserved, 0);
		} else {
			/* EXINFO is written only for a reported #PF/#GP */
			uint8_t pattern[16];

			memset(pattern, 0xA5, sizeof(pattern));
			assert_memory_equal(info, pattern, sizeof(pattern));
		}
		/* Back in and out for the next vector */
		assert_int_equal(env_tcs(env)->cssa, 1);
		{
			struct sgx_fault fault;

			assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
		}
		env_eexit(env);
	}
}

static void test_aex_exitinfo_without_exinfo(void **state)
{
	exitinfo_table(*state, false);
}

static void test_aex_exitinfo_with_exinfo(void **state)
{
	exitinfo_table(*state, true);
}

static void test_aex_event_types(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_gprsgx *g = env_gpr(env, 0);
	struct sgx_exception ex = { .reported = true };
	struct sgx_fault fault;

	/* INT3: a software exception */
	enter_and_run(env, 1);
	ex.vector = X86_TRAP_BP;
	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_int_equal(g->exitinfo, 3 | (6 << 8) | (1U << 31));
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	/* #UD, #DE: hardware exceptions */
	ex.vector = X86_TRAP_UD;
	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_int_equal(g->exitinfo, 6 | (3 << 8) | (1U << 31));
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	ex.vector = X86_TRAP_DE;
	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_int_equal(g->exitinfo, 0 | (3 << 8) | (1U << 31));
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	/* An interrupt (a signal): not reported even if the vector looks like one */
	ex.reported = false;
	ex.vector = X86_TRAP_UD;
	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_int_equal(g->exitinfo, 0);
}

/* The OS sees a #PF address without its page offset; EXINFO keeps it whole. */
static void test_aex_pf_address(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_exception ex = {
		.reported = true,
		.vector = X86_TRAP_PF,
		.error_code = X86_PF_WRITE | X86_PF_PROT | X86_PF_SGX,
		.addr = env->rodata + 0x567,
	};

	enter_and_run(env, 3);
	sgx_aex(&env->tlp, &env->regs, &env->xs, &ex);
	assert_int_equal(sgx_aex_fault_addr(&ex), env->rodata);
	assert_int_equal(env_exinfo(env, 0)->maddr, env->rodata + 0x567);
	assert_int_equal(env_exinfo(env, 0)->errcd,
			 X86_PF_WRITE | X86_PF_PROT | X86_PF_SGX | X86_PF_USER);
	assert_int_equal(env_gpr(env, 0)->exitinfo, 14 | (3 << 8) | (1U << 31));
	ex.vector = X86_TRAP_GP;
	ex.addr = 0x1234;
	assert_int_equal(sgx_aex_fault_addr(&ex), 0x1234);
}

/* #MF and #XM leave their exception pending in the synthetic x87/SSE state. */
static void test_aex_synthetic_mf_xm(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	enter_and_run(env, 5);
	aex(env, X86_TRAP_MF, 0, 0);
	assert_legacy_init(env->xsave, 0x037E, 0x8081, 0x1F80);
	assert_int_equal(xstate_bv(env->xsave) & 0x3, 0x1);
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	env_fill_xstate(env, 5);
	aex(env, X86_TRAP_XM, 0, 0);
	assert_legacy_init(env->xsave, 0x037F, 0, 0x1F01);
	assert_int_equal(xstate_bv(env->xsave) & 0x3, 0);
}

/* Opt-in debugging: the host's TF comes back at the AEX; opt-out: the saved one. */
static void test_aex_tf(void **state)
{
	struct enclu_env *env = *state;

	env->regs.rflags |= X86_EFLAGS_TF;
	env_eenter(env);
	assert_false(env->regs.rflags & X86_EFLAGS_TF);
	env_aex_interrupt(env);
	assert_true(env->regs.rflags & X86_EFLAGS_TF);
}

/* --- ERESUME ------------------------------------------------------------------------------- */

static void test_eresume_restores(void **state)
{
	struct enclu_env *env = *state;
	uint8_t image[1024], after_aex[1024];
	struct sgx_regs at_event, expect;
	struct sgx_fault fault;
	uint64_t host_rflags;

	enter_and_run(env, 9);
	at_event = env->regs;
	memcpy(image, env->xsave, sizeof(image));
	env_aex_interrupt(env);
	memcpy(after_aex, env->xsave, sizeof(after_aex));

	/* The host runs the AEP: ERESUME with RBX = TCS, RCX = AEP (from the synthetic state). */
	env->regs.rip = ENV_AEP;
	env->regs.rflags = 0x202 | X86_EFLAGS_CF; /* host arithmetic flags are replaced */
	host_rflags = env->regs.rflags;
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	expect = at_event;
	expect.rflags = (host_rflags & ~(RFLAGS_ARITH | X86_EFLAGS_DF | (1ULL << 18))) |
			(at_event.rflags & (RFLAGS_ARITH | X86_EFLAGS_DF | (1ULL << 18)));
	assert_memory_equal(&expect, &env->regs, sizeof(expect));
	assert_memory_equal(env->xsave, image, 24);
	assert_memory_equal(env->xsave + 24, image + 24, 4);
	assert_memory_equal(env->xsave + 32, image + 32, 416 - 32);
	assert_int_equal(xstate_bv(env->xsave), xstate_bv(image));
	assert_memory_equal(env->xsave + 464, image + 464, 48);
	assert_int_equal(env_tcs(env)->cssa, 0);
	assert_int_equal(env_tcs(env)->state, 1);
	assert_int_equal(env_tcs(env)->aep, ENV_AEP);
	assert_true(env->tlp.enclave_mode);
	assert_int_equal(lps_inside(env), 1);
	(void)after_aex;
}

/* An exception handler inside the enclave edits the SSA; ERESUME uses the edited state. */
static void test_eresume_uses_edited_ssa(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_gprsgx *g = env_gpr(env, 0);
	struct sgx_fault fault;
	uint32_t mxcsr = 0x1F80 | 0x8000; /* FZ */

	enter_and_run(env, 11);
	aex(env, X86_TRAP_UD, 0, 0);
	/* Enter the handler on frame 1, fix up frame 0, EEXIT, ERESUME */
	env_eenter(env);
	assert_int_equal(env->regs.rax, 1);
	g->rip += 2;
	g->rax = 0xABCD;
	memcpy(env_ssa_xsave(env, 0) + 24, &mxcsr, sizeof(mxcsr));
	env_eexit(env);
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_int_equal(env->regs.rip, env->code + 0x125);
	assert_int_equal(env->regs.rax, 0xABCD);
	assert_memory_equal(env->xsave + 24, &mxcsr, sizeof(mxcsr));
}

/* Nested: AEX into frame 0, enter on frame 1, AEX into frame 1, then unwind. */
static void test_nested_aex(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_regs first, second;
	struct sgx_fault fault;

	enter_and_run(env, 21);
	first = env->regs;
	env_aex_interrupt(env);
	assert_int_equal(env_tcs(env)->cssa, 1);
	enter_and_run(env, 22);
	second = env->regs;
	assert_int_equal(env->tlp.ssa_frame_la, env->ssa + SGX_PAGE_SIZE);
	aex(env, X86_TRAP_UD, 0, 0);
	assert_int_equal(env_tcs(env)->cssa, 2);
	assert_int_equal(env_gpr(env, 1)->rip, second.rip);
	assert_int_equal(env_gpr(env, 0)->rip, first.rip);
	assert_int_equal(env_gpr(env, 1)->exitinfo, 6 | (3 << 8) | (1U << 31));
	assert_int_equal(env_gpr(env, 0)->exitinfo, 0);

	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_int_equal(env_tcs(env)->cssa, 1);
	assert_int_equal(env->regs.rip, second.rip);
	assert_int_equal(env->regs.r15, second.r15);
	env_eexit(env);
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_int_equal(env_tcs(env)->cssa, 0);
	assert_int_equal(env->regs.rip, first.rip);
	assert_int_equal(env->regs.r15, first.r15);
}

/* A faulting ERESUME changes nothing. */
static void assert_eresume_fault(struct enclu_env *env, uint8_t vector, uint64_t addr,
				 uint32_t error_code)
{
	struct sgx_tcs before = *env_tcs(env);
	uint8_t image[1024];
	struct sgx_regs regs;
	struct sgx_fault fault;
	int ret;

	memcpy(image, env->xsave, sizeof(image));
	env->regs.rax = ERESUME;
	env->regs.rbx = env->tcs;
	env->regs.rcx = ENV_AEP;
	regs = env->regs;
	ret = sgx_enclu(&env->tlp, &env->regs, &env->xs, &fault);
	assert_fault(ret, &fault, vector, addr, error_code);
	assert_memory_equal(&regs, &env->regs, sizeof(regs));
	assert_memory_equal(image, env->xsave, sizeof(image));
	assert_memory_equal(&before, env_tcs(env), 72);
	assert_false(env->tlp.enclave_mode);
	assert_int_equal(lps_inside(env), 0);
}

static void test_eresume_cssa_zero(void **state)
{
	struct enclu_env *env = *state;

	assert_eresume_fault(env, X86_TRAP_GP, 0, 0);
	/* CSSA = 0 and the SSA not mapped: step 7 precedes step 8 */
	sgx_pt_clear(env->cpu, env->ssa);
	assert_eresume_fault(env, X86_TRAP_GP, 0, 0);
}

static void test_eresume_shared_checks(void **state)
{
	struct enclu_env *env = *state;

	enter_and_run(env, 1);
	env_aex_interrupt(env);
	/* TCS not mapped, bad FLAGS, XFRM outside XCR0: as EENTER */
	sgx_pt_clear(env->cpu, env->tcs);
	assert_eresume_fault(env, X86_TRAP_PF, env->tcs, X86_PF_USER);
	fixture_enclave_map(env->e);
	env_tcs(env)->flags = 4;
	assert_eresume_fault(env, X86_TRAP_GP, 0, 0);
	env_tcs(env)->flags = 0;
	env->xs.xcr0 = 1;
	assert_eresume_fault(env, X86_TRAP_GP, 0, 0);
	env->xs.xcr0 = env->cpu->xfrm_mask;
}

static void test_eresume_ssa_pages(void **state)
{
	struct enclu_env *env = *state;

	enter_and_run(env, 1);
	env_aex_interrupt(env);
	/* ERESUME validates frame CSSA - 1 = 0, not frame 1 */
	sgx_pt_clear(env->cpu, env->ssa + SGX_PAGE_SIZE);
	{
		struct sgx_fault fault;

		assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	}
	env_aex_interrupt(env);
	sgx_pt_clear(env->cpu, env->ssa);
	assert_eresume_fault(env, X86_TRAP_PF, env->ssa, X86_PF_USER | X86_PF_WRITE);
	/* A corrupted XSAVE frame behind an unmapped page: the page fault comes first */
	env_ssa_xsave(env, 0)[520] = 1;
	assert_eresume_fault(env, X86_TRAP_PF, env->ssa, X86_PF_USER | X86_PF_WRITE);
}

static void test_eresume_targets_noncanonical(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_gprsgx *g = env_gpr(env, 0);
	static const size_t fields[] = { offsetof(struct sgx_gprsgx, rip),
					 offsetof(struct sgx_gprsgx, fsbase),
					 offsetof(struct sgx_gprsgx, gsbase) };

	enter_and_run(env, 1);
	env_aex_interrupt(env);
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t *field = (uint64_t *)((uint8_t *)g + fields[i]);
		uint64_t old = *field;

		*field = NONCANONICAL;
		assert_eresume_fault(env, X86_TRAP_GP, 0, 0);
		*field = old;
	}
}

static void test_eresume_tcs_busy(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_tlp other;
	struct sgx_regs regs = { .rax = ERESUME };
	struct sgx_fault fault;

	enter_and_run(env, 1);
	env_aex_interrupt(env);
	env_eenter(env); /* frame 1: CSSA stays 1, the TCS is ACTIVE */
	sgx_tlp_init(&other, env->cpu);
	regs.rbx = env->tcs;
	regs.rcx = ENV_AEP;
	assert_gp(sgx_enclu(&other, &regs, &env->xs, &fault), &fault);
	assert_int_equal(env_tcs(env)->cssa, 1);
	assert_int_equal(env_tcs(env)->state, 1);
}

/* ERESUME refuses a frame that XRSTOR would refuse, and loads nothing. */
static void bad_xsave(struct enclu_env *env, unsigned int offset, uint64_t value, size_t size)
{
	uint8_t *x = env_ssa_xsave(env, 0);
	uint8_t saved[8];

	enter_and_run(env, 1);
	env_aex_interrupt(env);
	memcpy(saved, x + offset, size);
	memcpy(x + offset, &value, size);
	assert_eresume_fault(env, X86_TRAP_GP, 0, 0);
	assert_int_equal(env_tcs(env)->cssa, 1);
	memcpy(x + offset, saved, size);
	{
		struct sgx_fault fault;

		assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	}
}

static void test_eresume_bad_xsave_xstate_bv(void **state)
{
	/* AVX state in an enclave whose XFRM is x87|SSE */
	bad_xsave(*state, 512, 0x7, 8);
}

static void test_eresume_bad_xsave_xcomp_bv(void **state)
{
	/* a compacted-format frame */
	bad_xsave(*state, 520, 0x8000000000000003ULL, 8);
}

static void test_eresume_bad_xsave_header_reserved(void **state)
{
	/* header bytes 16..23 must be zero for the standard form */
	bad_xsave(*state, 528, 1, 8);
}

static void test_eresume_bad_xsave_mxcsr(void **state)
{
	/* MXCSR bit 31 is reserved on every processor */
	bad_xsave(*state, 24, 0x80001F80, 4);
}

/* Header bytes 24..63 are not checked by a standard-form XRSTOR. */
static void test_eresume_xsave_header_tail_ignored(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_fault fault;

	enter_and_run(env, 1);
	env_aex_interrupt(env);
	env_ssa_xsave(env, 0)[540] = 0x5A;
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
}

/* XSTATE_BV clear for a component in the SSA: ERESUME loads its init state. */
static void test_eresume_init_components(void **state)
{
	struct enclu_env *env = *state;
	uint64_t bv = 0;
	struct sgx_fault fault;

	enter_and_run(env, 13);
	env_aex_interrupt(env);
	memcpy(env_ssa_xsave(env, 0) + 512, &bv, sizeof(bv));
	env_fill_xstate(env, 99); /* the host's state, all non-init */
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	/* MXCSR is always loaded from the frame (it is not covered by XSTATE_BV) */
	assert_legacy_init(env->xsave, 0x037F, 0, 0x1F80 | 0x20);
	assert_int_equal(xstate_bv(env->xsave) & 0x3, 0);
}

/* --- XSAVE components beyond SSE ------------------------------------------------------------ */

static void test_xfrm_avx_round_trip(void **state)
{
	struct enclu_env_opts opts = { .xfrm = 0x7 };
	struct enclu_env *env;
	uint32_t off, size;
	uint8_t avx[256];
	uint64_t bv;
	struct sgx_fault fault;

	{
		struct enclu_env *probe = *state;

		if (!(probe->cpu->xfrm_mask & 0x4))
			skip();
	}
	env = enclu_env_create(&opts);
	off = env->cpu->xsave_offset[2];
	size = env->cpu->xsave_size[2];
	assert_true(size <= sizeof(avx));
	enter_and_run(env, 31);
	for (uint32_t i = 0; i < size; i++)
		avx[i] = env->xsave[off + i] = (uint8_t)(0x40 + i);
	bv = 0x7;
	memcpy(env->xsave + 512, &bv, sizeof(bv));
	env_aex_interrupt(env);
	assert_memory_equal(env_ssa_xsave(env, 0) + off, avx, size);
	assert_int_equal(xstate_bv(env_ssa_xsave(env, 0)), 0x7);
	/* The host's AVX state is INIT after the AEX */
	for (uint32_t i = 0; i < size; i++)
		assert_int_equal(env->xsave[off + i], 0);
	assert_int_equal(xstate_bv(env->xsave) & 0x7, 0);
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_memory_equal(env->xsave + off, avx, size);
	assert_int_equal(xstate_bv(env->xsave) & 0x7, 0x7);
	env_eexit(env);
	enclu_env_destroy(env);
}

/*
 * Components outside XFRM are not the enclave's: the AEX leaves them alone in the image, and an
 * exit with one live is counted and reported once (it could not be hidden).
 */
static void test_outside_xfrm_untouched_and_reported(void **state)
{
	struct enclu_env *env = *state;
	struct sgx_cpu_stats stats;
	uint64_t seq = sgx_log_seq();
	uint64_t bv = 0x7;
	uint8_t outside[64];

	enter_and_run(env, 41);
	/* A host with AVX enabled and live: only the image and its XCR0 are looked at. */
	env->xs.xcr0 |= 0x7;
	env->xs.size = env->xs.size < 832 ? 832 : env->xs.size;
	memcpy(env->xsave + 512, &bv, sizeof(bv));
	memset(env->xsave + 576, 0x77, sizeof(outside));
	memcpy(outside, env->xsave + 576, sizeof(outside));
	env_aex_interrupt(env);
	assert_memory_equal(env->xsave + 576, outside, sizeof(outside));
	assert_int_equal(xstate_bv(env->xsave), 0x4);
	/* and the SSA got none of it */
	assert_int_equal(xstate_bv(env_ssa_xsave(env, 0)), 0x3);

	{
		struct sgx_fault fault;

		assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	}
	env_eexit(env);
	sgx_cpu_get_stats(env->cpu, &stats);
	assert_int_equal(stats.xstate_outside_xfrm, 2); /* the AEX and the EEXIT */
	assert_int_equal(sgx_log_count_since(seq, "outside XFRM"), 1);
	env->xs.xcr0 = env->cpu->xfrm_mask;
}

/* An FXSAVE-only image (no XSAVE header): x87/SSE still travel. */
static void test_legacy_image(void **state)
{
	struct enclu_env *env = *state;
	uint8_t image[512];
	struct sgx_fault fault;

	env->xs.xcr0 = 0;
	env->xs.size = 512;
	enter_and_run(env, 51);
	env->xs.xcr0 = 0;
	env->xs.size = 512;
	memcpy(image, env->xsave, sizeof(image));
	env_aex_interrupt(env);
	assert_memory_equal(env_ssa_xsave(env, 0), image, 24);
	assert_int_equal(xstate_bv(env_ssa_xsave(env, 0)), 0x3);
	assert_legacy_init(env->xsave, 0x037F, 0, 0x1F80);
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_memory_equal(env->xsave, image, 24);
	assert_memory_equal(env->xsave + 32, image + 32, 416 - 32);
	env->xs.xcr0 = env->cpu->xfrm_mask;
	env->xs.size = sgx_xsave_size(env->cpu, env->xs.xcr0);
}

/* A two-page SSA frame: GPRSGX and EXINFO at the end of the second page. */
static void test_aex_multipage_frame(void **state)
{
	struct enclu_env_opts opts = { .ssa_frame_size = 2, .miscselect = SGX_MISC_EXINFO };
	struct enclu_env *env = enclu_env_create(&opts);
	struct sgx_regs at_event;
	struct sgx_fault fault;

	enter_and_run(env, 61);
	at_event = env->regs;
	aex(env, X86_TRAP_GP, 0x10, 0);
	assert_int_equal(env_gpr(env, 0)->rip, at_event.rip);
	assert_int_equal(env_gpr(env, 0)->exitinfo, 13 | (3 << 8) | (1U << 31));
	assert_int_equal(env_exinfo(env, 0)->errcd, 0x10);
	assert_ptr_equal((uint8_t *)env_gpr(env, 0),
			 env_kva(env, env->ssa + SGX_PAGE_SIZE) + 4096 - 184);
	assert_int_equal(env_enclu(env, ERESUME, env->tcs, ENV_AEP, 0, &fault), 0);
	assert_int_equal(env->regs.rip, at_event.rip);
	env_eexit(env);
	enclu_env_destroy(env);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TX(name) cmocka_unit_test_setup_teardown(name, setup_exinfo, teardown)
	const struct CMUnitTest tests[] = {
		T(test_aex_saves_state_and_loads_synthetic),
		T(test_aex_outside_enclave_mode_is_noop),
		T(test_aex_exitinfo_without_exinfo),
		TX(test_aex_exitinfo_with_exinfo),
		T(test_aex_event_types),
		TX(test_aex_pf_address),
		T(test_aex_synthetic_mf_xm),
		T(test_aex_tf),
		T(test_eresume_restores),
		T(test_eresume_uses_edited_ssa),
		T(test_nested_aex),
		T(test_eresume_cssa_zero),
		T(test_eresume_shared_checks),
		T(test_eresume_ssa_pages),
		T(test_eresume_targets_noncanonical),
		T(test_eresume_tcs_busy),
		T(test_eresume_bad_xsave_xstate_bv),
		T(test_eresume_bad_xsave_xcomp_bv),
		T(test_eresume_bad_xsave_header_reserved),
		T(test_eresume_bad_xsave_mxcsr),
		T(test_eresume_xsave_header_tail_ignored),
		T(test_eresume_init_components),
		T(test_xfrm_avx_round_trip),
		T(test_outside_xfrm_untouched_and_reported),
		T(test_legacy_image),
		cmocka_unit_test(test_aex_multipage_frame),
	};
#undef T
#undef TX
	return cmocka_run_group_tests(tests, NULL, NULL);
}
