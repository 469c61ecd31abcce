// SPDX-License-Identifier: MIT
/*
 * Two threads on the same pages, deterministically: one leaf is held at the CPU's pause hook
 * (after it took its page locks, before it commits) while the test thread runs the leaves that
 * race it, and gets the answers of ref/sgx-isa.md §10.
 *
 *   race (ref §10)                                                   test
 *   EWB(page) held: ELDU into the frame, EREMOVE, EWB, EDBGRD -> #GP test_ewb_held
 *   EWB(page) held: EBLOCK -> ZF SGX_EPC_PAGE_CONFLICT               test_ewb_held
 *   EWB(page) held: ETRACK of its SECS is unaffected                 test_ewb_held
 *   ELDU held: EREMOVE/EWB of its SECS -> #GP (SECS is shared)       test_eldu_held
 *   ELDU held: another load from the same VA page -> #GP             test_eldu_held
 *   ELDU held: ETRACK on the SECS (shared too) succeeds              test_eldu_held
 *   EBLOCK held: a second EBLOCK blocks; the first reports BLKSTATE  test_eblock_race
 *   EBLOCK held: EWB of the page -> #GP                              test_eblock_race
 *   EREMOVE(child) held: EWB -> #GP, EBLOCK -> conflict              test_eremove_held
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "leaf_hold.h"
#include "paging_fixture.h"

struct env {
	struct cpu_fixture *f;
	struct fixture_enclave *e;
	struct sgx_lp *lp;
	sgx_paddr_t va;
	struct paging_blob *b;
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
	paging_blob_free(env->b);
	free(env->e);
	free(env);
	return 0;
}

struct call {
	struct env *env;
	unsigned int leaf;
	sgx_paddr_t page, slot, secs;
	struct paging_blob *b;
	struct sgx_lp *lp; /* LP 1 while the call runs */
};

static int run_call(void *arg)
{
	struct call *c = arg;
	int ret = -1;

	c->lp = sgx_cpu_get_lp_id(c->env->f->cpu, 1);
	switch (c->leaf) {
	case EBLOCK:
		ret = __eblock(c->lp, c->page);
		break;
	case EREMOVE:
		ret = __eremove(c->lp, c->page);
		break;
	case EWB:
		ret = paging_ewb(c->lp, c->page, c->slot, c->b);
		break;
	case ELDU:
		ret = paging_eld(c->lp, c->b, c->page, c->slot, c->secs, false);
		break;
	}
	/* The flags travel with the result, for the informational codes. */
	if (ret > 0 && !encls_faulted(ret) && (sgx_lp_last_rflags(c->lp) & X86_EFLAGS_CF))
		ret |= 0x10000;
	sgx_cpu_put_lp(c->lp);
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

static struct sgx_epcm_entry *epcm_of(struct env *env, sgx_paddr_t frame)
{
	return sgx_epcm(env->f->cpu, (uint64_t)sgx_frame_index(env->f->cpu, frame));
}

static void test_ewb_held(void **state)
{
	struct env *env = *state;
	struct fixture_page *p = paging_page(env->e, FIXTURE_DATA_OFFSET);
	struct paging_blob *other = paging_blob_new();
	sgx_paddr_t va2 = paging_va_new(env->f);
	struct call c = { .leaf = EWB, .page = p->frame, .slot = env->va, .b = env->b };
	struct leaf_hold *h;
	uint64_t data;

	assert_int_equal(__eblock(env->lp, p->frame), 0);
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	h = hold(env, &c);

	/* Loading something into the frame being evicted. */
	memset(other, 0, sizeof(*other));
	assert_encls_gp(env->lp, paging_eld(env->lp, other, p->frame, va2, env->e->secs, false));
	assert_encls_gp(env->lp, __eremove(env->lp, p->frame));
	assert_encls_gp(env->lp, paging_ewb(env->lp, p->frame, va2, other));
	assert_encls_gp(env->lp, __edbgrd(env->lp, p->frame, &data));
	assert_encls_status(env->lp, __eblock(env->lp, p->frame), SGX_EPC_PAGE_CONFLICT, false);
	/* Its SECS is not part of the race. */
	assert_encls_status(env->lp, __etrack(env->lp, env->e->secs), 0, false);

	assert_int_equal(leaf_hold_release(h), 0);
	assert_false(epcm_of(env, p->frame)->valid);
	assert_int_not_equal(paging_va_slot(env->f, env->va), 0);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	assert_memory_equal(sgx_frame_kva(env->f->cpu, sgx_frame_index(env->f->cpu, p->frame)),
			    fixture_data_page, 4096);
	paging_va_free(env->f, va2);
	paging_blob_free(other);
}

static void test_eldu_held(void **state)
{
	struct env *env = *state;
	struct fixture_page *p = paging_page(env->e, FIXTURE_DATA_OFFSET);
	sgx_paddr_t dest = cpu_fixture_alloc(env->f), other_dest = cpu_fixture_alloc(env->f);
	struct paging_blob *copy = paging_blob_new();
	struct call c = { .leaf = ELDU, .page = dest, .slot = env->va, .b = env->b };
	struct leaf_hold *h;
	uint64_t chldcnt;

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	paging_blob_copy(copy, env->b);
	chldcnt = paging_chldcnt(env->e);
	c.secs = env->e->secs;
	h = hold(env, &c);

	assert_encls_gp(env->lp, __eremove(env->lp, env->e->secs));
	assert_encls_gp(env->lp, paging_ewb(env->lp, env->e->secs, env->va + 8, copy));
	/* The same blob from the same slot, into another frame: the VA page is in use. */
	assert_encls_gp(env->lp,
			paging_eld(env->lp, copy, other_dest, env->va, env->e->secs, false));
	assert_encls_gp(env->lp, __epa(env->lp, dest));
	assert_encls_status(env->lp, __etrack(env->lp, env->e->secs), 0, false);
	assert_int_equal(paging_chldcnt(env->e), chldcnt);

	assert_int_equal(leaf_hold_release(h), 0);
	assert_int_equal(paging_chldcnt(env->e), chldcnt + 1);
	assert_true(epcm_of(env, dest)->valid);
	/* It loaded once; the copy cannot load again. */
	assert_encls_status(env->lp,
			    paging_eld(env->lp, copy, other_dest, env->va, env->e->secs, false),
			    SGX_MAC_COMPARE_FAIL, false);
	cpu_fixture_free(env->f, p->frame);
	p->frame = dest;
	cpu_fixture_free(env->f, other_dest);
	paging_blob_free(copy);
}

static void test_eblock_race(void **state)
{
	struct env *env = *state;
	sgx_paddr_t page = paging_page(env->e, FIXTURE_CODE_OFFSET)->frame;
	struct call c = { .leaf = EBLOCK, .page = page };
	struct leaf_hold *h = hold(env, &c);

	/* EBLOCK shares the page: EWB cannot have it, another EBLOCK can. */
	assert_encls_gp(env->lp, paging_ewb(env->lp, page, env->va, env->b));
	assert_encls_status(env->lp, __eblock(env->lp, page), 0, false);
	assert_true(epcm_of(env, page)->state & SGX_EPCM_BLOCKED);
	/* The held one finds the page blocked when it commits: BLKSTATE, with CF. */
	assert_int_equal(leaf_hold_release(h), SGX_BLKSTATE | 0x10000);
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	assert_int_equal(paging_ewb(env->lp, page, env->va, env->b), 0);
	assert_int_equal(paging_reload(env->e, FIXTURE_CODE_OFFSET, env->va, env->b), 0);
}

static void test_eremove_held(void **state)
{
	struct env *env = *state;
	struct fixture_page *p = paging_page(env->e, FIXTURE_RODATA_OFFSET);
	struct call c = { .leaf = EREMOVE, .page = p->frame };
	struct leaf_hold *h;

	assert_int_equal(__eblock(env->lp, p->frame), 0);
	assert_int_equal(__etrack(env->lp, env->e->secs), 0);
	h = hold(env, &c);
	assert_encls_gp(env->lp, paging_ewb(env->lp, p->frame, env->va, env->b));
	assert_encls_status(env->lp, __eblock(env->lp, p->frame), SGX_EPC_PAGE_CONFLICT, false);
	assert_int_equal(leaf_hold_release(h), 0);
	assert_false(epcm_of(env, p->frame)->valid);
	assert_int_equal(paging_va_slot(env->f, env->va), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ewb_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldu_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eblock_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eremove_held, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
