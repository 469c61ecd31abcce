// SPDX-License-Identifier: MIT
/*
 * The paging leaves on pages that belong to no enclave (VA pages), and the operand checks of
 * EPA, EBLOCK, ETRACK, EWB and ELDU that come before anything enclave-specific. Each check is
 * tested with operands that also violate a later check, so the answer proves the order.
 *
 *   SDM check (ref §3)                                          test
 *   EPA: RBX != PT_VA -> #GP (before alignment and EPC)         test_epa_checks
 *   EPA: RCX not 4K-aligned -> #GP (before EPC)                 test_epa_checks
 *   EPA: EPC(RCX) else #PF(RCX)                                 test_epa_checks
 *   EPA: page in use by another leaf -> #GP (before VALID)      test_epa_conflict
 *   EPA: EPCM(RCX).VALID -> #PF(RCX)                            test_epa_checks
 *   EPA: zeroes the page; EPCM PT_VA, no SECS, RWX 0            test_epa_success
 *   EBLOCK: misaligned #GP, non-EPC #PF                         test_eblock_operands
 *   EBLOCK: invalid -> ZF SGX_PG_INVLD                          test_eblock_operands
 *   EBLOCK: PT_VA -> CF SGX_NOTBLOCKABLE                        test_eblock_operands
 *   ETRACK: misaligned #GP, non-EPC #PF, not SECS #PF           test_etrack_operands
 *   EWB/ELDU: RBX 32 / RCX 4K alignment -> #GP before EPC(RCX)  test_ewb_operand_order
 *   EWB/ELDU: EPC(RCX) -> #PF before RDX alignment              test_ewb_operand_order
 *   EWB/ELDU: RDX 8-aligned -> #GP before EPC(RDX)              test_ewb_operand_order
 *   EWB/ELDU: EPC(RDX) -> #PF before RCX/RDX same page          test_ewb_operand_order
 *   EWB/ELDU: RCX, RDX in one page -> #GP before PAGEINFO read  test_ewb_operand_order
 *   EWB/ELDU: PAGEINFO unreadable -> #PF(RBX)                   test_ewb_operand_order
 *   EWB: PAGEINFO.LINADDR/SECS != 0 -> #GP before alignment     test_ewb_pageinfo_checks
 *   EWB/ELDU: PCMD 128 / SRCPGE 4K alignment -> #GP             test_ewb_pageinfo_checks
 *   EWB: page conflict -> #GP before VALID                      test_ewb_conflicts
 *   EWB: VA page being modified -> #GP before VALID             test_ewb_conflicts
 *   EWB: EPCM(RCX) invalid -> #PF(RCX) before VA check          test_ewb_epcm_checks
 *   EWB: VA page invalid or not PT_VA -> #PF(RDX)               test_ewb_epcm_checks
 *   EWB: SRCPGE/PCMD/PAGEINFO not writable -> #PF, no commit    test_ewb_output_faults
 *   EWB: occupied slot -> CF SGX_VA_SLOT_OCCUPIED, completes    test_ewb_slot_occupied
 *   EWB of a VA page: PCMD.ENCLAVEID 0, LINADDR 0, slot version test_va_page_eviction
 *   ELDU of a VA page: versions inside survive, slot cleared    test_va_page_eviction
 *   ELDU: dest valid -> #PF(RCX) before VA check                test_eldu_epcm_checks
 *   ELDU: VA invalid / not VA -> #PF(RDX) before PCMD read      test_eldu_epcm_checks
 *   ELDU: PCMD unreadable -> #PF(PCMD)                          test_eldu_epcm_checks
 *   ELDU: SECS/VA blob with PAGEINFO.SECS != 0 -> #GP           test_eldu_epcm_checks
 *   ELDU: SRCPGE unreadable -> #PF(SRCPGE)                      test_eldu_epcm_checks
 *   ELDU: empty or wrong slot, tampered blob -> MAC_COMPARE_FAIL test_eldu_mac_failures
 *   ELDU: dest / VA page conflicts -> #GP                       test_eldu_conflicts
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/cpu_internal.h"
#include "leaf_hold.h"

struct env {
	struct sgx_cpu *cpu;
	struct sgx_lp *lp;
	struct sgx_pageinfo *pi;
	struct sgx_pcmd *pcmd;
	uint8_t *blob;
	uint8_t *noaccess; /* a page that faults on any access */
	uint8_t *readonly; /* a page that faults on writes */
};

static int setup(void **state)
{
	struct sgxemu_config config;
	char err[128];
	struct env *env = calloc(1, sizeof(*env));

	sgxemu_config_defaults(&config);
	if (sgxemu_config_set(&config, "epc", "256K", err, sizeof(err)))
		return -1;
	config.nr_lps = 2;
	env->cpu = sgx_cpu_create(&config);
	if (!env->cpu)
		return -1;
	env->lp = sgx_cpu_get_lp(env->cpu);
	env->pi = aligned_alloc(32, sizeof(*env->pi));
	env->pcmd = aligned_alloc(128, sizeof(*env->pcmd));
	env->blob = aligned_alloc(4096, 4096);
	env->noaccess = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	env->readonly = env->noaccess + 4096;
	mprotect(env->readonly, 4096, PROT_READ);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct env *env = *state;

	sgx_cpu_put_lp(env->lp);
	sgx_cpu_destroy(env->cpu);
	munmap(env->noaccess, 8192);
	free(env->pi);
	free(env->pcmd);
	free(env->blob);
	free(env);
	return 0;
}

static sgx_paddr_t frame(struct env *env, uint64_t i)
{
	return sgx_frame_paddr(env->cpu, i);
}

/* An address in no EPC section, page aligned. */
#define NOT_EPC 0x1000ULL

static void assert_gp(struct env *env, int ret)
{
	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP);
	assert_int_equal(sgx_lp_last_fault(env->lp)->vector, X86_TRAP_GP);
}

static void assert_pf(struct env *env, int ret, uint64_t addr)
{
	const struct sgx_fault *f = sgx_lp_last_fault(env->lp);

	assert_int_equal(ret, SGX_ENCLS_FAULT_FLAG | X86_TRAP_PF);
	assert_int_equal(f->vector, X86_TRAP_PF);
	assert_int_equal(f->addr, addr);
}

/* #PF caused by EPC/EPCM state: PFEC.SGX and P set. */
static void assert_epcm_pf(struct env *env, int ret, uint64_t addr)
{
	assert_pf(env, ret, addr);
	assert_true(sgx_lp_last_fault(env->lp)->error_code & X86_PF_SGX);
	assert_true(sgx_lp_last_fault(env->lp)->error_code & X86_PF_PROT);
}

static void assert_status(struct env *env, int ret, int code, bool carry)
{
	uint64_t rflags = sgx_lp_last_rflags(env->lp);

	assert_int_equal(ret, code);
	assert_int_equal(!!(rflags & X86_EFLAGS_CF), carry);
	assert_int_equal(!!(rflags & X86_EFLAGS_ZF), !carry && code);
}

static void assert_success(struct env *env, int ret)
{
	assert_status(env, ret, 0, false);
}

static void set_pageinfo(struct env *env, uint64_t linaddr, uint64_t secs)
{
	memset(env->pi, 0, sizeof(*env->pi));
	env->pi->addr = linaddr;
	env->pi->contents = (uint64_t)(uintptr_t)env->blob;
	env->pi->metadata = (uint64_t)(uintptr_t)env->pcmd;
	env->pi->secs = secs;
}

static uint64_t *va_slots(struct env *env, uint64_t i)
{
	return (uint64_t *)sgx_frame_kva(env->cpu, i);
}

static void make_va(struct env *env, uint64_t i)
{
	assert_success(env, __epa(env->lp, frame(env, i)));
}

static int do_ewb(struct env *env, sgx_paddr_t page, sgx_paddr_t slot)
{
	set_pageinfo(env, 0, 0);
	return __ewb(env->lp, env->pi, page, slot);
}

static int do_eldu(struct env *env, sgx_paddr_t page, sgx_paddr_t slot)
{
	set_pageinfo(env, 0, 0);
	return __eldu(env->lp, env->pi, page, slot);
}

/* --- EPA --------------------------------------------------------------------------------- */

static void test_epa_success(void **state)
{
	struct env *env = *state;
	const struct sgx_epcm_entry *e = sgx_epcm(env->cpu, 3);

	assert_success(env, __epa(env->lp, frame(env, 3)));
	assert_true(e->valid);
	assert_int_equal(e->page_type, SGX_PAGE_TYPE_VA);
	assert_int_equal(e->rwx, 0);
	assert_int_equal(e->state, 0);
	assert_int_equal(e->secs, 0);
	assert_int_equal(e->linaddr, 0);
	for (int i = 0; i < SGX_VA_SLOT_COUNT; i++)
		assert_int_equal(va_slots(env, 3)[i], 0);

	/*
	 * A VA page starts empty even if its frame's storage held something: a vEPC frame bound to
	 * a file that has bytes in it (a guest's previous use of the page).
	 */
	{
		int fd = memfd_create("va", MFD_CLOEXEC);
		uint8_t junk[4096];

		memset(junk, 0xAA, sizeof(junk));
		assert_true(fd >= 0);
		assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096), (ssize_t)sizeof(junk));
		assert_int_equal(sgx_cpu_bind_frame_storage(env->cpu, frame(env, 4), fd, 4096), 0);
		assert_success(env, __epa(env->lp, frame(env, 4)));
		for (int i = 0; i < SGX_VA_SLOT_COUNT; i++)
			assert_int_equal(va_slots(env, 4)[i], 0);
		assert_int_equal(pread(fd, junk, sizeof(junk), 4096), (ssize_t)sizeof(junk));
		assert_int_equal(junk[0], 0);
		assert_int_equal(junk[4095], 0);
		close(fd);
	}
}

static void test_epa_checks(void **state)
{
	struct env *env = *state;

	/* Type first: a wrong RBX with a misaligned, non-EPC RCX is #GP, not #PF. */
	assert_gp(env, sgx_encls(env->lp, EPA, SGX_PAGE_TYPE_REG, NOT_EPC + 1, 0, NULL));
	assert_gp(env, sgx_encls(env->lp, EPA, SGX_PAGE_TYPE_REG, frame(env, 1), 0, NULL));
	/* Alignment before EPC. */
	assert_gp(env, __epa(env->lp, NOT_EPC + 8));
	assert_gp(env, __epa(env->lp, frame(env, 1) + 8));
	assert_epcm_pf(env, __epa(env->lp, NOT_EPC), NOT_EPC);
	/* Just past the last section. */
	assert_epcm_pf(env, __epa(env->lp, frame(env, 63) + 4096), frame(env, 63) + 4096);

	make_va(env, 1);
	assert_epcm_pf(env, __epa(env->lp, frame(env, 1)), frame(env, 1));
	/* The failed EPA did not disturb the valid page. */
	assert_int_equal(sgx_epcm(env->cpu, 1)->page_type, SGX_PAGE_TYPE_VA);
}

struct leaf_call {
	struct env *env;
	struct sgx_lp *lp;
	sgx_paddr_t page, slot;
	struct sgx_pageinfo *pi;
};

static int call_epa(void *arg)
{
	struct leaf_call *c = arg;

	return __epa(c->lp, c->page);
}

static void test_epa_conflict(void **state)
{
	struct env *env = *state;
	struct leaf_call c = { .env = env, .page = frame(env, 2) };
	struct leaf_hold *hold;

	c.lp = sgx_cpu_get_lp(env->cpu);
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLS, EPA, call_epa, &c);
	assert_non_null(hold);
	/* The other EPA holds the page: #GP, although the page is not valid yet. */
	assert_gp(env, __epa(env->lp, frame(env, 2)));
	assert_int_equal(leaf_hold_release(hold), 0);
	sgx_cpu_put_lp(c.lp);
	assert_true(sgx_epcm(env->cpu, 2)->valid);
}

/* --- EBLOCK and ETRACK operands -------------------------------------------------------------- */

static void test_eblock_operands(void **state)
{
	struct env *env = *state;

	assert_gp(env, __eblock(env->lp, NOT_EPC + 4));
	assert_epcm_pf(env, __eblock(env->lp, NOT_EPC), NOT_EPC);
	assert_status(env, __eblock(env->lp, frame(env, 5)), SGX_PG_INVLD, false);
	make_va(env, 5);
	assert_status(env, __eblock(env->lp, frame(env, 5)), SGX_NOTBLOCKABLE, true);
	assert_false(sgx_epcm(env->cpu, 5)->state & SGX_EPCM_BLOCKED);
}

static void test_etrack_operands(void **state)
{
	struct env *env = *state;

	assert_gp(env, __etrack(env->lp, NOT_EPC + 4));
	assert_epcm_pf(env, __etrack(env->lp, NOT_EPC), NOT_EPC);
	assert_epcm_pf(env, __etrack(env->lp, frame(env, 6)), frame(env, 6));
	make_va(env, 6);
	assert_epcm_pf(env, __etrack(env->lp, frame(env, 6)), frame(env, 6));
}

/* --- EWB and ELDU operands ------------------------------------------------------------------ */

typedef int (*paging_leaf_t)(struct sgx_lp *lp, struct sgx_pageinfo *pi, sgx_paddr_t page,
			     sgx_paddr_t slot);

static void operand_order(struct env *env, paging_leaf_t leaf)
{
	struct sgx_pageinfo *bad_pi = (struct sgx_pageinfo *)env->noaccess;
	struct sgx_pageinfo *odd_pi = (struct sgx_pageinfo *)((uint8_t *)env->pi + 8);
	sgx_paddr_t page = frame(env, 10), va = frame(env, 11);

	set_pageinfo(env, 0, 0);
	/* RBX misaligned, RCX not EPC either: #GP. */
	assert_gp(env, leaf(env->lp, odd_pi, NOT_EPC, va));
	/* RCX misaligned and not EPC: #GP. */
	assert_gp(env, leaf(env->lp, env->pi, NOT_EPC + 16, va));
	/* RCX not EPC, RDX misaligned: #PF(RCX). */
	assert_epcm_pf(env, leaf(env->lp, env->pi, NOT_EPC, va + 1), NOT_EPC);
	/* RDX misaligned and not EPC: #GP. */
	assert_gp(env, leaf(env->lp, env->pi, page, NOT_EPC + 4));
	/* RDX not EPC, PAGEINFO unreadable: #PF(RDX). */
	assert_epcm_pf(env, leaf(env->lp, bad_pi, page, NOT_EPC + 8), NOT_EPC + 8);
	/* RCX and RDX in one page, PAGEINFO unreadable: #GP. */
	assert_gp(env, leaf(env->lp, bad_pi, page, page + 8));
	/* PAGEINFO unreadable, page invalid: #PF(RBX). */
	assert_pf(env, leaf(env->lp, bad_pi, page, va + 8), (uint64_t)(uintptr_t)bad_pi);
	assert_false(sgx_lp_last_fault(env->lp)->error_code & X86_PF_SGX);
}

static void test_ewb_operand_order(void **state)
{
	struct env *env = *state;

	operand_order(env, __ewb);
	operand_order(env, __eldu);
	operand_order(env, __eldb);
}

static void test_ewb_pageinfo_checks(void **state)
{
	struct env *env = *state;
	sgx_paddr_t page = frame(env, 12), va = frame(env, 13);

	/* LINADDR != 0 with a misaligned PCMD, page invalid: #GP. */
	set_pageinfo(env, 0x1000, 0);
	env->pi->metadata += 64;
	assert_gp(env, __ewb(env->lp, env->pi, page, va));
	set_pageinfo(env, 0, frame(env, 0));
	assert_gp(env, __ewb(env->lp, env->pi, page, va));
	/* PCMD not 128-aligned, SRCPGE not 4K-aligned, each with the page invalid: #GP. */
	set_pageinfo(env, 0, 0);
	env->pi->metadata += 64;
	assert_gp(env, __ewb(env->lp, env->pi, page, va));
	assert_gp(env, __eldu(env->lp, env->pi, page, va));
	set_pageinfo(env, 0, 0);
	env->pi->contents += 2048;
	assert_gp(env, __ewb(env->lp, env->pi, page, va));
	assert_gp(env, __eldu(env->lp, env->pi, page, va));
	/* ELDU takes a LINADDR (it is authenticated, not checked), so only EWB refuses it. */
	set_pageinfo(env, 0x1000, 0);
	assert_epcm_pf(env, __eldu(env->lp, env->pi, page, va), va);
}

static int call_ewb(void *arg)
{
	struct leaf_call *c = arg;

	return __ewb(c->lp, c->pi, c->page, c->slot);
}

static void test_ewb_conflicts(void **state)
{
	struct env *env = *state;
	struct sgx_pageinfo *pi2 = aligned_alloc(32, sizeof(*pi2));
	struct sgx_pcmd *pcmd2 = aligned_alloc(128, sizeof(*pcmd2));
	uint8_t *blob2 = aligned_alloc(4096, 4096);
	struct leaf_call c = { .env = env, .pi = pi2 };
	struct leaf_hold *hold;

	make_va(env, 20);
	make_va(env, 21);
	make_va(env, 22);
	memset(pi2, 0, sizeof(*pi2));
	pi2->contents = (uint64_t)(uintptr_t)blob2;
	pi2->metadata = (uint64_t)(uintptr_t)pcmd2;
	c.lp = sgx_cpu_get_lp(env->cpu);
	c.page = frame(env, 20);
	c.slot = frame(env, 21) + 8;

	/* Hold an EWB of VA page 20 into VA page 21 mid-leaf. */
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLS, EWB, call_ewb, &c);
	assert_non_null(hold);
	/* The same page (with an invalid VA target too): #GP for the page conflict. */
	assert_gp(env, do_ewb(env, frame(env, 20), frame(env, 23)));
	/* Another page into the VA page being modified: #GP. */
	assert_gp(env, do_ewb(env, frame(env, 22), frame(env, 21) + 16));
	/* ELDU into the page being evicted, or from the VA page in use: #GP. */
	assert_gp(env, do_eldu(env, frame(env, 20), frame(env, 22)));
	assert_gp(env, do_eldu(env, frame(env, 24), frame(env, 21)));
	/* EBLOCK answers with a status code instead. */
	assert_status(env, __eblock(env->lp, frame(env, 20)), SGX_EPC_PAGE_CONFLICT, false);
	assert_int_equal(leaf_hold_release(hold), 0);
	sgx_cpu_put_lp(c.lp);

	assert_false(sgx_epcm(env->cpu, 20)->valid);
	assert_int_not_equal(va_slots(env, 21)[1], 0);
	free(pi2);
	free(pcmd2);
	free(blob2);
}

static void test_ewb_epcm_checks(void **state)
{
	struct env *env = *state;

	/* Page invalid and VA slot in an invalid page: #PF(RCX). */
	assert_epcm_pf(env, do_ewb(env, frame(env, 30), frame(env, 31) + 8), frame(env, 30));
	make_va(env, 30);
	assert_epcm_pf(env, do_ewb(env, frame(env, 30), frame(env, 31) + 8), frame(env, 31) + 8);
	assert_true(sgx_epcm(env->cpu, 30)->valid);
}

static void test_ewb_output_faults(void **state)
{
	struct env *env = *state;
	sgx_paddr_t page = frame(env, 32), va = frame(env, 33);
	struct sgx_pageinfo *ro_pi;

	make_va(env, 32);
	make_va(env, 33);
	va_slots(env, 32)[0] = 1234;

	set_pageinfo(env, 0, 0);
	env->pi->contents = (uint64_t)(uintptr_t)env->readonly;
	assert_pf(env, __ewb(env->lp, env->pi, page, va), (uint64_t)(uintptr_t)env->readonly);
	assert_true(sgx_lp_last_fault(env->lp)->error_code & X86_PF_WRITE);
	assert_false(sgx_lp_last_fault(env->lp)->error_code & X86_PF_SGX);

	set_pageinfo(env, 0, 0);
	env->pi->metadata = (uint64_t)(uintptr_t)env->noaccess;
	assert_pf(env, __ewb(env->lp, env->pi, page, va), (uint64_t)(uintptr_t)env->noaccess);

	/* PAGEINFO readable but not writable: the LINADDR write-back faults. */
	ro_pi = (struct sgx_pageinfo *)env->readonly;
	mprotect(env->readonly, 4096, PROT_READ | PROT_WRITE);
	set_pageinfo(env, 0, 0);
	*ro_pi = *env->pi;
	mprotect(env->readonly, 4096, PROT_READ);
	assert_pf(env, __ewb(env->lp, ro_pi, page, va), (uint64_t)(uintptr_t)ro_pi);

	/* Nothing was committed: the page is valid with its contents, the slot is still empty. */
	assert_true(sgx_epcm(env->cpu, 32)->valid);
	assert_int_equal(va_slots(env, 32)[0], 1234);
	assert_int_equal(va_slots(env, 33)[0], 0);
}

static void test_ewb_slot_occupied(void **state)
{
	struct env *env = *state;
	uint64_t old;

	make_va(env, 34);
	make_va(env, 35);
	make_va(env, 36);
	assert_success(env, do_ewb(env, frame(env, 34), frame(env, 36) + 24));
	old = va_slots(env, 36)[3];
	assert_int_not_equal(old, 0);

	/* The second EWB into the same slot reports it with CF and still evicts. */
	assert_status(env, do_ewb(env, frame(env, 35), frame(env, 36) + 24), SGX_VA_SLOT_OCCUPIED,
		      true);
	assert_false(sgx_epcm(env->cpu, 35)->valid);
	assert_true(va_slots(env, 36)[3] > old);
	/* The first blob's version is gone: only the second loads from this slot. */
	assert_success(env, do_eldu(env, frame(env, 35), frame(env, 36) + 24));
}

/*
 * VA pages evict like any page: EID 0, no LINADDR, and the versions they hold survive the trip,
 * so the pages evicted into them still load afterwards.
 */
static void test_va_page_eviction(void **state)
{
	struct env *env = *state;
	uint8_t blob_c[4096];
	struct sgx_pcmd pcmd_c;
	uint64_t version_c, version_a;

	make_va(env, 40);		   /* A: holds C's version */
	make_va(env, 41);		   /* B: holds A's version */
	make_va(env, 42);		   /* C */
	va_slots(env, 42)[100] = 0xC0FFEE; /* something to carry */

	assert_success(env, do_ewb(env, frame(env, 42), frame(env, 40)));
	assert_false(sgx_epcm(env->cpu, 42)->valid);
	version_c = va_slots(env, 40)[0];
	assert_int_not_equal(version_c, 0);
	assert_int_equal(env->pi->addr, 0);
	assert_int_equal(env->pcmd->enclave_id, 0);
	assert_int_equal(env->pcmd->secinfo.flags, SGX_SECINFO_VA);
	memcpy(blob_c, env->blob, sizeof(blob_c));
	pcmd_c = *env->pcmd;

	assert_success(env, do_ewb(env, frame(env, 40), frame(env, 41) + 5 * 8));
	version_a = va_slots(env, 41)[5];
	assert_true(version_a > version_c);

	/* A comes back in another frame, with C's version inside it. */
	assert_success(env, do_eldu(env, frame(env, 43), frame(env, 41) + 5 * 8));
	assert_int_equal(va_slots(env, 41)[5], 0);
	assert_true(sgx_epcm(env->cpu, 43)->valid);
	assert_int_equal(sgx_epcm(env->cpu, 43)->page_type, SGX_PAGE_TYPE_VA);
	assert_int_equal(sgx_epcm(env->cpu, 43)->state, 0);
	assert_int_equal(va_slots(env, 43)[0], version_c);

	/* A loads at most once. */
	assert_status(env, do_eldu(env, frame(env, 44), frame(env, 41) + 5 * 8),
		      SGX_MAC_COMPARE_FAIL, false);

	/* And C loads from the reloaded A. */
	memcpy(env->blob, blob_c, sizeof(blob_c));
	*env->pcmd = pcmd_c;
	set_pageinfo(env, 0, 0);
	assert_success(env, __eldu(env->lp, env->pi, frame(env, 42), frame(env, 43)));
	assert_int_equal(va_slots(env, 42)[100], 0xC0FFEE);
	assert_int_equal(va_slots(env, 43)[0], 0);
}

static void test_eldu_epcm_checks(void **state)
{
	struct env *env = *state;
	sgx_paddr_t page = frame(env, 50), va = frame(env, 51);

	make_va(env, 50);
	make_va(env, 51);
	/* Dest valid, VA slot in an invalid page: #PF(RCX). */
	assert_epcm_pf(env, do_eldu(env, page, frame(env, 52)), page);
	/* Dest invalid, VA page invalid: #PF(RDX). */
	assert_epcm_pf(env, do_eldu(env, frame(env, 53), frame(env, 52) + 8), frame(env, 52) + 8);
	/* VA slot in a valid page that is not a VA page is not possible without an enclave; a
	 * SECS/REG "VA" is covered in test_cpu_paging.c. */

	/* A VA blob, to load under broken operands. */
	assert_success(env, do_ewb(env, page, va + 16));
	/* PCMD unreadable: #PF(PCMD). */
	set_pageinfo(env, 0, 0);
	env->pi->metadata = (uint64_t)(uintptr_t)env->noaccess;
	assert_pf(env, __eldu(env->lp, env->pi, page, va + 16), (uint64_t)(uintptr_t)env->noaccess);
	/* A VA (non-child) blob with PAGEINFO.SECS set, SRCPGE unreadable too: #GP. */
	set_pageinfo(env, 0, frame(env, 0));
	env->pi->contents = (uint64_t)(uintptr_t)env->noaccess;
	assert_gp(env, __eldu(env->lp, env->pi, page, va + 16));
	/* SRCPGE unreadable: #PF(SRCPGE). */
	set_pageinfo(env, 0, 0);
	env->pi->contents = (uint64_t)(uintptr_t)env->noaccess;
	assert_pf(env, __eldu(env->lp, env->pi, page, va + 16), (uint64_t)(uintptr_t)env->noaccess);
	/* None of it consumed the slot. */
	assert_success(env, do_eldu(env, page, va + 16));
}

static void test_eldu_mac_failures(void **state)
{
	struct env *env = *state;
	sgx_paddr_t page = frame(env, 54), va = frame(env, 55);
	uint8_t blob[4096];
	struct sgx_pcmd pcmd;
	uint64_t version;

	make_va(env, 54);
	make_va(env, 55);
	va_slots(env, 54)[9] = 9;
	assert_success(env, do_ewb(env, page, va + 8));
	memcpy(blob, env->blob, sizeof(blob));
	pcmd = *env->pcmd;
	version = va_slots(env, 55)[1];

#define RESTORE()                                      \
	do {                                           \
		memcpy(env->blob, blob, sizeof(blob)); \
		*env->pcmd = pcmd;                     \
		va_slots(env, 55)[1] = version;        \
	} while (0)

	/* The wrong (empty) slot. */
	assert_status(env, do_eldu(env, page, va + 16), SGX_MAC_COMPARE_FAIL, false);
	/* A flipped ciphertext bit, SECINFO bit, PCMD reserved byte, MAC bit. */
	env->blob[100] ^= 4;
	assert_status(env, do_eldu(env, page, va + 8), SGX_MAC_COMPARE_FAIL, false);
	RESTORE();
	env->pcmd->secinfo.flags |= SGX_SECINFO_R;
	assert_status(env, do_eldu(env, page, va + 8), SGX_MAC_COMPARE_FAIL, false);
	RESTORE();
	env->pcmd->secinfo.reserved[3] = 1;
	assert_status(env, do_eldu(env, page, va + 8), SGX_MAC_COMPARE_FAIL, false);
	RESTORE();
	env->pcmd->reserved[39] = 1;
	assert_status(env, do_eldu(env, page, va + 8), SGX_MAC_COMPARE_FAIL, false);
	RESTORE();
	env->pcmd->mac[0] ^= 1;
	assert_status(env, do_eldu(env, page, va + 8), SGX_MAC_COMPARE_FAIL, false);
	RESTORE();
	/* A LINADDR the VA page never had. */
	set_pageinfo(env, 0x5000, 0);
	assert_status(env, __eldu(env->lp, env->pi, page, va + 8), SGX_MAC_COMPARE_FAIL, false);
	/* ENCLAVEID is software's handle: not authenticated, so it may be anything. */
	env->pcmd->enclave_id = 77;

	/* Nothing was loaded and the slot kept its version through all of it. */
	assert_false(sgx_epcm(env->cpu, 54)->valid);
	assert_int_equal(va_slots(env, 55)[1], version);
	assert_success(env, do_eldu(env, page, va + 8));
	assert_int_equal(va_slots(env, 54)[9], 9);
#undef RESTORE
}

static int call_eldu(void *arg)
{
	struct leaf_call *c = arg;

	return __eldu(c->lp, c->pi, c->page, c->slot);
}

static void test_eldu_conflicts(void **state)
{
	struct env *env = *state;
	struct leaf_call c = { .env = env, .pi = env->pi };
	struct leaf_hold *hold;

	make_va(env, 56);
	make_va(env, 57);
	make_va(env, 58);
	assert_success(env, do_ewb(env, frame(env, 56), frame(env, 57)));
	set_pageinfo(env, 0, 0);

	c.lp = sgx_cpu_get_lp(env->cpu);
	c.page = frame(env, 56);
	c.slot = frame(env, 57);
	hold = leaf_hold_start(env->cpu, SGX_LEAF_CLASS_ENCLS, ELDU, call_eldu, &c);
	assert_non_null(hold);
	/* The destination is being loaded: EPA or ELDU into it: #GP. */
	assert_gp(env, __epa(env->lp, frame(env, 56)));
	assert_gp(env, do_eldu(env, frame(env, 56), frame(env, 58)));
	/* The VA page is in use: EWB into it, EWB of it: #GP. */
	assert_gp(env, do_ewb(env, frame(env, 58), frame(env, 57) + 8));
	assert_gp(env, do_ewb(env, frame(env, 57), frame(env, 58)));
	set_pageinfo(env, 0, 0);
	assert_int_equal(leaf_hold_release(hold), 0);
	sgx_cpu_put_lp(c.lp);
	assert_true(sgx_epcm(env->cpu, 56)->valid);
	assert_int_equal(va_slots(env, 57)[0], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_epa_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epa_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_epa_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eblock_operands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etrack_operands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_operand_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_pageinfo_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_conflicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_epcm_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_output_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_slot_occupied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_va_page_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldu_epcm_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldu_mac_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldu_conflicts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
