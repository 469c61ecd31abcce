// SPDX-License-Identifier: MIT
/*
 * Every status code and fault of EBLOCK, ETRACK, EWB and ELDx that needs an enclave (the
 * enclave-free ones are in test_cpu_paging_va.c), each with operands that violate a second,
 * later check so that the answer proves the order of ref/sgx-isa.md §3. Conflicts come from a
 * leaf really held mid-flight on another thread (tests/support/leaf_hold.h).
 *
 *   SDM check (ref §3)                                                   test
 *   EBLOCK: page in use -> ZF EPC_PAGE_CONFLICT, before VALID            test_eblock_conflict_before_invalid
 *   EBLOCK: PT_SECS -> CF PG_IS_SECS, before ETRACK-in-progress          test_eblock_type_before_entryepoch
 *   EBLOCK: ETRACK in progress -> ZF ENTRYEPOCH_LOCKED, before BLKSTATE  test_eblock_entryepoch_locked
 *   EBLOCK: already BLOCKED -> CF BLKSTATE                               test_eblock_statuses
 *   EBLOCK: success: BLOCKED, no flags, BEPOCH = current epoch           test_eblock_statuses
 *   EBLOCK: every TCS/REG/TRIM page is blockable                         test_eblock_statuses
 *   ETRACK: another tracking op on the SECS -> #GP, before PREV_TRK      test_etrack_busy
 *   ETRACK: SECS in use by an exclusive leaf -> #GP                      test_etrack_busy
 *   ETRACK: RCX not a SECS (child page) -> #PF(RCX)                      test_etrack_not_secs
 *   EWB: not BLOCKED -> ZF PAGE_NOT_BLOCKED, before NOT_TRACKED          test_ewb_status_order
 *   EWB: NOT_TRACKED, before VA_SLOT_OCCUPIED (and nothing written)      test_ewb_status_order
 *   EWB: SECS with children -> CHILD_PRESENT, before VA_SLOT_OCCUPIED    test_ewb_status_order
 *   EWB: VA slot in a REG page -> #PF(RDX), before PAGE_NOT_BLOCKED      test_ewb_status_order
 *   EWB/ELDU carry PENDING, MODIFIED, PR and PT_TRIM through             test_sgx2_states_survive
 *   ELDx: PAGEINFO.SECS misaligned -> #GP, before EPC(SECS)              test_eldu_secs_checks
 *   ELDx: EPC(PAGEINFO.SECS) -> #PF(SECS)                                test_eldu_secs_checks
 *   ELDx: SECS in use -> #GP, before MAC                                 test_eldu_secs_busy
 *   ELDx: SECS invalid or not PT_SECS -> #PF(SECS), before SRCPGE read   test_eldu_secs_checks
 *   ELDx: destination valid -> #PF(RCX), before SECS checks              test_eldu_secs_checks
 *   ELDx: VA slot in a REG page -> #PF(RDX)                              test_eldu_secs_checks
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "leaf_hold.h"
#include "paging_fixture.h"

struct env {
	struct cpu_fixture *f;
	struct fixture_enclave *e;
	struct sgx_lp *lp;
	sgx_paddr_t va;
	struct paging_blob *b;
	uint8_t *noaccess;
};

static int setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	env->f = cpu_fixture_create(NULL);
	env->lp = env->f->lp;
	env->e = aligned_alloc(4096, (sizeof(*env->e) + 4095) & ~(size_t)4095);
	fixture_enclave_create(env->e, env->f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	env->va = paging_va_new(env->f);
	env->b = paging_blob_new();
	env->noaccess = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct env *env = *state;

	fixture_enclave_destroy(env->e);
	paging_va_free(env->f, env->va);
	assert_int_equal(cpu_fixture_nr_free(env->f), env->f->nr_frames);
	cpu_fixture_destroy(env->f);
	munmap(env->noaccess, 4096);
	paging_blob_free(env->b);
	free(env->e);
	free(env);
	return 0;
}

static sgx_paddr_t frame_of(struct env *env, uint64_t offset)
{
	return paging_page(env->e, offset)->frame;
}

static struct sgx_epcm_entry *epcm_of(struct env *env, sgx_paddr_t frame)
{
	return sgx_epcm(env->f->cpu, (uint64_t)sgx_frame_index(env->f->cpu, frame));
}

/* A leaf on another LP, for leaf_hold. */
struct call {
	struct env *env;
	unsigned int leaf;
	sgx_paddr_t page, slot;
	struct paging_blob *b;
};

static int run_call(void *arg)
{
	struct call *c = arg;
	struct sgx_lp *lp = sgx_cpu_get_lp_id(c->env->f->cpu, 1);
	int ret = -1;

	switch (c->leaf) {
	case EPA:
		ret = __epa(lp, c->page);
		break;
	case ETRACK:
		ret = __etrack(lp, c->page);
		break;
	case EREMOVE:
		ret = __eremove(lp, c->page);
		break;
	case EWB:
		ret = paging_ewb(lp, c->page, c->slot, c->b);
		break;
	}
	sgx_cpu_put_lp(lp);
	return ret;
}

static struct leaf_hold *hold(struct env *env, struct call *c)
{
	struct leaf_hold *h;

	c->env = env;
	h = leaf_hold_start(env->f->cpu, SGX_LEAF_CLASS_ENCLS, c->leaf, run_call, c);
	assert_non_null(h);
	return h;
}

/* --- EBLOCK ---------------------------------------------------------------------------------- */

static void test_eblock_statuses(void **state)
{
	struct env *env = *state;
	struct sgx_secs_hidden *h = paging_hidden(env->e);
	static const uint64_t offsets[] = { FIXTURE_TCS_OFFSET, FIXTURE_SSA_OFFSET,
					    FIXTURE_CODE_OFFSET, FIXTURE_RODATA_OFFSET };

	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	for (unsigned int i = 0; i < 4; i++) {
		sgx_paddr_t page = frame_of(env, offsets[i]);

		assert_encls_status(env->lp, __eblock(env->lp, page), 0, false);
		assert_true(epcm_of(env, page)->state & SGX_EPCM_BLOCKED);
		assert_int_equal(epcm_of(env, page)->bepoch, h->epoch);
		assert_encls_status(env->lp, __eblock(env->lp, page), SGX_BLKSTATE, true);
	}
	assert_encls_status(env->lp, __eblock(env->lp, env->e->secs), SGX_PG_IS_SECS, true);
	assert_encls_status(env->lp, __eblock(env->lp, env->va), SGX_NOTBLOCKABLE, true);
}

static void test_eblock_conflict_before_invalid(void **state)
{
	struct env *env = *state;
	struct call c = { .leaf = EPA, .page = cpu_fixture_alloc(env->f) };
	struct leaf_hold *h = hold(env, &c);

	/* An EPA holds a frame that is not valid yet: the conflict is the answer. */
	assert_encls_status(env->lp, __eblock(env->lp, c.page), SGX_EPC_PAGE_CONFLICT, false);
	assert_int_equal(leaf_hold_release(h), 0);
	assert_encls_status(env->lp, __eblock(env->lp, c.page), SGX_NOTBLOCKABLE, true);
	paging_va_free(env->f, c.page);
}

static void test_eblock_entryepoch_locked(void **state)
{
	struct env *env = *state;
	sgx_paddr_t data = frame_of(env, FIXTURE_DATA_OFFSET);
	sgx_paddr_t code = frame_of(env, FIXTURE_CODE_OFFSET);
	struct call c = { .leaf = ETRACK, .page = env->e->secs };
	struct leaf_hold *h;

	assert_int_equal(__eblock(env->lp, code), 0);
	h = hold(env, &c);
	assert_encls_status(env->lp, __eblock(env->lp, data), SGX_ENTRYEPOCH_LOCKED, false);
	assert_false(epcm_of(env, data)->state & SGX_EPCM_BLOCKED);
	/* Already blocked, but ETRACK comes first. */
	assert_encls_status(env->lp, __eblock(env->lp, code), SGX_ENTRYEPOCH_LOCKED, false);
	assert_int_equal(leaf_hold_release(h), 0);
	assert_encls_status(env->lp, __eblock(env->lp, data), 0, false);
}

static void test_eblock_type_before_entryepoch(void **state)
{
	struct env *env = *state;
	struct call c = { .leaf = ETRACK, .page = env->e->secs };
	struct leaf_hold *h = hold(env, &c);
	sgx_paddr_t unused = cpu_fixture_alloc(env->f);

	assert_encls_status(env->lp, __eblock(env->lp, env->e->secs), SGX_PG_IS_SECS, true);
	assert_encls_status(env->lp, __eblock(env->lp, unused), SGX_PG_INVLD, false);
	assert_int_equal(leaf_hold_release(h), 0);
	cpu_fixture_free(env->f, unused);
}

/* --- ETRACK ---------------------------------------------------------------------------------- */

static void test_etrack_busy(void **state)
{
	struct env *env = *state;
	struct sgx_secs_hidden *hidden = paging_hidden(env->e);
	struct sgx_tlp inside = { 0 };
	struct call c = { .leaf = ETRACK, .page = env->e->secs };
	struct leaf_hold *h;

	/* With an LP inside, a second ETRACK would be PREV_TRK_INCMPL; the busy facility wins. */
	sgx_track_enter(hidden, &inside);
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	assert_encls_status(env->lp, __etrack(env->lp, env->e->secs), SGX_PREV_TRK_INCMPL, false);
	h = hold(env, &c);
	assert_encls_gp(env->lp, __etrack(env->lp, env->e->secs));
	assert_int_equal(leaf_hold_release(h), SGX_PREV_TRK_INCMPL);
	sgx_track_exit(hidden, &inside);
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
}

static void test_etrack_secs_in_use(void **state)
{
	struct env *env = *state;
	struct paging_blob *blobs[6];
	static const uint64_t offsets[] = { FIXTURE_TCS_OFFSET,	       FIXTURE_SSA_OFFSET,
					    FIXTURE_SSA_OFFSET + 4096, FIXTURE_CODE_OFFSET,
					    FIXTURE_DATA_OFFSET,       FIXTURE_RODATA_OFFSET };
	sgx_paddr_t secs_va = paging_va_new(env->f);
	struct call c = { .leaf = EWB, .slot = secs_va, .b = paging_blob_new() };
	struct leaf_hold *h;

	for (unsigned int i = 0; i < 6; i++) {
		blobs[i] = paging_blob_new();
		assert_int_equal(paging_evict(env->e, offsets[i], env->va + 8 * i, blobs[i]), 0);
	}
	/* An EWB of the SECS holds it exclusively: ETRACK on it is #GP. */
	c.page = env->e->secs;
	h = hold(env, &c);
	assert_encls_gp(env->lp, __etrack(env->lp, env->e->secs));
	assert_int_equal(leaf_hold_release(h), 0);

	/* (Restore the enclave for teardown.) */
	assert_int_equal(paging_eld(env->lp, c.b, env->e->secs, secs_va, 0, false), 0);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(paging_reload(env->e, offsets[i], env->va + 8 * i, blobs[i]), 0);
		paging_blob_free(blobs[i]);
	}
	paging_blob_free(c.b);
	paging_va_free(env->f, secs_va);
}

static void test_etrack_not_secs(void **state)
{
	struct env *env = *state;
	sgx_paddr_t tcs = frame_of(env, FIXTURE_TCS_OFFSET);

	assert_encls_epcm_pf(env->lp, __etrack(env->lp, tcs), tcs);
	assert_encls_epcm_pf(env->lp, __etrack(env->lp, env->va), env->va);
	assert_encls_gp(env->lp, __etrack(env->lp, env->e->secs + 64));
}

/* --- EWB ------------------------------------------------------------------------------------- */

static void test_ewb_status_order(void **state)
{
	struct env *env = *state;
	sgx_paddr_t data = frame_of(env, FIXTURE_DATA_OFFSET);
	sgx_paddr_t reg = frame_of(env, FIXTURE_RODATA_OFFSET);
	uint64_t occupied;

	/* An occupied slot for the "before VA_SLOT_OCCUPIED" cases. */
	assert_int_equal(paging_evict(env->e, FIXTURE_CODE_OFFSET, env->va, env->b), 0);
	occupied = paging_va_slot(env->f, env->va);

	/* The "VA slot" is a REG page, and the page is not blocked: #PF(RDX). */
	assert_encls_epcm_pf(env->lp, paging_ewb(env->lp, data, reg + 8, env->b), reg + 8);
	/* Not blocked and not tracked: PAGE_NOT_BLOCKED. */
	assert_encls_status(env->lp, paging_ewb(env->lp, data, env->va, env->b),
			    SGX_PAGE_NOT_BLOCKED, false);
	/* Blocked, not tracked, slot occupied: NOT_TRACKED, and the slot is untouched. */
	assert_int_equal(__eblock(env->lp, data), 0);
	assert_encls_status(env->lp, paging_ewb(env->lp, data, env->va, env->b), SGX_NOT_TRACKED,
			    false);
	assert_int_equal(paging_va_slot(env->f, env->va), occupied);
	assert_true(epcm_of(env, data)->valid);
	/* A SECS with children into an occupied slot: CHILD_PRESENT. */
	assert_encls_status(env->lp, paging_ewb(env->lp, env->e->secs, env->va, env->b),
			    SGX_CHILD_PRESENT, false);
	assert_int_equal(paging_va_slot(env->f, env->va), occupied);
	/* Tracked into the occupied slot: completes with CF. */
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	assert_encls_status(env->lp, paging_ewb(env->lp, data, env->va, env->b),
			    SGX_VA_SLOT_OCCUPIED, true);
	assert_false(epcm_of(env, data)->valid);
	assert_true(paging_va_slot(env->f, env->va) > occupied);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	/* (The code page's blob was overwritten with its slot; EREMOVE at teardown is fine.) */
}

/*
 * The SGX2 page states travel with the page: a PENDING page (EAUG), a PR page (EMODPR), a
 * MODIFIED TRIM page (EMODT). PCMD.SECINFO carries them; ELDU restores them.
 */
static void test_sgx2_states_survive(void **state)
{
	struct env *env = *state;
	struct fixture_enclave *e = env->e;
	struct sgx_pageinfo pi __attribute__((aligned(32))) = {
		.addr = FIXTURE_BASE + 0x6000,
		.secs = e->secs,
	};
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { 0 };
	sgx_paddr_t aug = cpu_fixture_alloc(env->f);
	struct {
		uint64_t offset, flags;
		uint8_t state, type, rwx;
	} cases[] = {
		{ 0x6000, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING,
		  SGX_EPCM_PENDING, SGX_PAGE_TYPE_REG, SGX_SECINFO_R | SGX_SECINFO_W },
		{ FIXTURE_DATA_OFFSET, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR,
		  SGX_EPCM_PR, SGX_PAGE_TYPE_REG, SGX_SECINFO_R },
		{ FIXTURE_RODATA_OFFSET, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED, SGX_EPCM_MODIFIED,
		  SGX_PAGE_TYPE_TRIM, 0 },
	};

	assert_int_equal(__eaug(env->lp, &pi, aug), 0);
	e->pages[e->nr_pages++] =
		(struct fixture_page){ .offset = 0x6000,
				       .flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W,
				       .frame = aug };
	secinfo.flags = SGX_SECINFO_REG | SGX_SECINFO_R;
	assert_int_equal(__emodpr(env->lp, &secinfo, frame_of(env, FIXTURE_DATA_OFFSET)), 0);
	secinfo.flags = SGX_SECINFO_TRIM;
	assert_int_equal(__emodt(env->lp, &secinfo, frame_of(env, FIXTURE_RODATA_OFFSET)), 0);

	for (unsigned int i = 0; i < 3; i++) {
		struct sgx_epcm_entry *entry;

		assert_int_equal(paging_evict(e, cases[i].offset, env->va + 8 * i, env->b), 0);
		assert_int_equal(env->b->pcmd.secinfo.flags, cases[i].flags);
		assert_int_equal(paging_reload(e, cases[i].offset, env->va + 8 * i, env->b), 0);
		entry = epcm_of(env, frame_of(env, cases[i].offset));
		assert_int_equal(entry->state, cases[i].state);
		assert_int_equal(entry->page_type, cases[i].type);
		assert_int_equal(entry->rwx, cases[i].rwx);
	}
}

/* --- ELDx ------------------------------------------------------------------------------------ */

static void test_eldu_secs_checks(void **state)
{
	struct env *env = *state;
	struct paging_blob *b = env->b;
	sgx_paddr_t dest = cpu_fixture_alloc(env->f);
	sgx_paddr_t reg = frame_of(env, FIXTURE_RODATA_OFFSET);
	sgx_paddr_t free_frame = cpu_fixture_alloc(env->f);

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, b), 0);

	/* Destination valid (a REG page), SECS invalid: #PF(RCX). */
	assert_encls_epcm_pf(env->lp, paging_eld(env->lp, b, reg, env->va, free_frame, false), reg);
	/* VA slot in a REG page: #PF(RDX). */
	assert_encls_epcm_pf(env->lp, paging_eld(env->lp, b, dest, reg + 16, env->e->secs, false),
			     reg + 16);
	/* SECS misaligned (and not EPC): #GP. */
	assert_encls_gp(env->lp, paging_eld(env->lp, b, dest, env->va, 0x1000 + 8, false));
	/* SECS not EPC: #PF(SECS). */
	assert_encls_epcm_pf(env->lp, paging_eld(env->lp, b, dest, env->va, 0x1000, false), 0x1000);
	/* SECS invalid, SRCPGE unreadable too: #PF(SECS). */
	memset(&b->pi, 0, sizeof(b->pi));
	b->pi.addr = b->linaddr;
	b->pi.contents = (uint64_t)(uintptr_t)env->noaccess;
	b->pi.metadata = (uint64_t)(uintptr_t)&b->pcmd;
	b->pi.secs = free_frame;
	assert_encls_epcm_pf(env->lp, __eldu(env->lp, &b->pi, dest, env->va), free_frame);
	/* SECS is a REG page: #PF(SECS). */
	b->pi.secs = reg;
	assert_encls_epcm_pf(env->lp, __eldu(env->lp, &b->pi, dest, env->va), reg);
	/* The right SECS, SRCPGE unreadable: #PF(SRCPGE). */
	b->pi.secs = env->e->secs;
	assert_encls_pf(env->lp, __eldu(env->lp, &b->pi, dest, env->va),
			(uint64_t)(uintptr_t)env->noaccess);

	/* None of it loaded anything or touched the slot. */
	assert_false(epcm_of(env, dest)->valid);
	assert_int_not_equal(paging_va_slot(env->f, env->va), 0);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, b), 0);
	cpu_fixture_free(env->f, dest);
	cpu_fixture_free(env->f, free_frame);
}

static void test_eldu_secs_busy(void **state)
{
	struct env *env = *state;
	static const uint64_t offsets[] = { FIXTURE_TCS_OFFSET,	       FIXTURE_SSA_OFFSET,
					    FIXTURE_SSA_OFFSET + 4096, FIXTURE_CODE_OFFSET,
					    FIXTURE_DATA_OFFSET,       FIXTURE_RODATA_OFFSET };
	struct paging_blob *blobs[6];
	sgx_paddr_t dest = cpu_fixture_alloc(env->f), secs_va = paging_va_new(env->f);
	struct call c = { .leaf = EWB, .slot = secs_va, .b = paging_blob_new() };
	struct leaf_hold *h;

	for (unsigned int i = 0; i < 6; i++) {
		blobs[i] = paging_blob_new();
		assert_int_equal(paging_evict(env->e, offsets[i], env->va + 8 * i, blobs[i]), 0);
	}
	/* The SECS is being evicted (held mid-EWB); a child load that would fail its MAC: #GP. */
	c.page = env->e->secs;
	h = hold(env, &c);
	blobs[0]->data[0] ^= 1;
	assert_encls_gp(env->lp, paging_eld(env->lp, blobs[0], dest, env->va, env->e->secs, false));
	blobs[0]->data[0] ^= 1;
	assert_int_equal(leaf_hold_release(h), 0);

	assert_int_equal(paging_eld(env->lp, c.b, env->e->secs, secs_va, 0, false), 0);
	for (unsigned int i = 0; i < 6; i++) {
		assert_int_equal(paging_reload(env->e, offsets[i], env->va + 8 * i, blobs[i]), 0);
		paging_blob_free(blobs[i]);
	}
	paging_blob_free(c.b);
	paging_va_free(env->f, secs_va);
	cpu_fixture_free(env->f, dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eblock_statuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eblock_conflict_before_invalid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_eblock_entryepoch_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eblock_type_before_entryepoch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_etrack_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etrack_secs_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etrack_not_secs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ewb_status_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sgx2_states_survive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldu_secs_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldu_secs_busy, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
