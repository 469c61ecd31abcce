// SPDX-License-Identifier: MIT
/*
 * Paging an enclave out and in (ref/sgx-isa.md §3 EBLOCK/ETRACK/EWB/ELDx, §7): the round trip,
 * anti-replay, the cryptographic bindings, tracking, child accounting and SECS eviction, on the
 * fixture's standard enclave built through the real leaves.
 *
 *   property (ref)                                                 test
 *   EWB then ELDU is bit-exact: contents, EPCM (PT, RWX, PENDING,
 *     MODIFIED, PR, ENCLAVESECS, ENCLAVEADDRESS), child count       test_round_trip_every_page
 *   EWB writes PCMD (SECINFO, ENCLAVEID, reserved 0), LINADDR      test_round_trip_every_page
 *   EWB punches the page's storage (frame released)                test_round_trip_every_page
 *   ELDB loads BLOCKED; EWB of it needs tracking                    test_eldb_loads_blocked
 *   MAC covers the ciphertext                                       test_flipped_blob_bit
 *   MAC covers PCMD.SECINFO (flags, reserved) and PCMD reserved     test_flipped_pcmd_bits
 *   MAC compare: PCMD.MAC itself                                    test_flipped_pcmd_bits
 *   PCMD.ENCLAVEID is software's handle, not authenticated (§3)     test_enclaveid_not_authenticated
 *   a replayed older blob of the same page fails (§7.2)             test_replayed_blob
 *   a blob loads at most once (slot cleared on success)             test_replayed_blob
 *   a blob from another slot fails                                  test_wrong_slot
 *   a wrong LINADDR fails                                           test_wrong_linaddr
 *   a wrong SECS (other enclave's EID) fails                        test_wrong_secs
 *   a failed ELDU loads nothing (EPCM, slot, child count)           every MAC test via assert_loaded_nothing
 *   EWB before tracking completes -> SGX_NOT_TRACKED; after the
 *     LPs inside at ETRACK leave, EWB succeeds (§7.4)              test_tracking_waits_for_lp
 *   ETRACK while the last cycle is incomplete -> PREV_TRK_INCMPL    test_tracking_waits_for_lp
 *   EREMOVE of a SECS with children -> SGX_CHILD_PRESENT            test_secs_children
 *   EWB of a SECS with children -> SGX_CHILD_PRESENT                test_secs_children
 *   SECS eviction with no children; EID 0 in the header,
 *     PCMD.ENCLAVEID = EID; reload sets ENCLAVECONTEXT             test_secs_eviction
 *   child ELDx needs its SECS resident -> #PF(SECS)                 test_secs_eviction
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
	sgx_paddr_t va;
	struct paging_blob *b;
};

static int setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	env->f = cpu_fixture_create(NULL);
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
	uint64_t free_before;

	fixture_enclave_destroy(env->e);
	paging_va_free(env->f, env->va);
	/* Nothing leaked: every frame is back and invalid. */
	free_before = cpu_fixture_nr_free(env->f);
	assert_int_equal(free_before, env->f->nr_frames);
	for (uint64_t i = 0; i < env->f->nr_frames; i++)
		assert_false(sgx_epcm(env->f->cpu, i)->valid);
	cpu_fixture_destroy(env->f);
	paging_blob_free(env->b);
	free(env->e);
	free(env);
	return 0;
}

static struct sgx_lp *lp_of(struct env *env)
{
	return env->f->lp;
}

static const uint64_t standard_offsets[] = {
	FIXTURE_TCS_OFFSET,  FIXTURE_SSA_OFFSET,  FIXTURE_SSA_OFFSET + 4096,
	FIXTURE_CODE_OFFSET, FIXTURE_DATA_OFFSET, FIXTURE_RODATA_OFFSET,
};
#define NR_STANDARD (sizeof(standard_offsets) / sizeof(standard_offsets[0]))

/* After a failed ELDx into dest: dest still invalid, the slot and the child count unchanged. */
static void assert_loaded_nothing(struct env *env, sgx_paddr_t dest, sgx_paddr_t slot,
				  uint64_t version, uint64_t chldcnt)
{
	assert_false(sgx_epcm(env->f->cpu, sgx_frame_index(env->f->cpu, dest))->valid);
	assert_int_equal(paging_va_slot(env->f, slot), version);
	assert_int_equal(paging_chldcnt(env->e), chldcnt);
}

/* ELDU of b into a fresh frame must fail the MAC and load nothing. */
static void assert_mac_fail(struct env *env, struct paging_blob *b, sgx_paddr_t slot,
			    sgx_paddr_t secs)
{
	sgx_paddr_t dest = cpu_fixture_alloc(env->f);
	uint64_t version = paging_va_slot(env->f, slot);
	uint64_t chldcnt = paging_chldcnt(env->e);

	assert_encls_status(lp_of(env), paging_eld(lp_of(env), b, dest, slot, secs, false),
			    SGX_MAC_COMPARE_FAIL, false);
	assert_loaded_nothing(env, dest, slot, version, chldcnt);
	cpu_fixture_free(env->f, dest);
}

static void test_round_trip_every_page(void **state)
{
	struct env *env = *state;
	struct sgx_cpu *cpu = env->f->cpu;
	uint64_t eid = paging_hidden(env->e)->eid;
	uint64_t chldcnt = paging_chldcnt(env->e);
	struct sgx_slice *slice = sgx_cpu_secs_slice(cpu, env->e->secs);
	uint8_t *storage = sgx_slice_kva(slice);

	assert_int_equal(chldcnt, NR_STANDARD);
	for (unsigned int i = 0; i < NR_STANDARD; i++) {
		uint64_t offset = standard_offsets[i];
		struct fixture_page *p = paging_page(env->e, offset);
		uint64_t old_index = (uint64_t)sgx_frame_index(cpu, p->frame), new_index;
		struct sgx_epcm_entry before = *sgx_epcm(cpu, old_index), *after;
		sgx_paddr_t slot = env->va + 8 * i;
		uint8_t contents[4096];
		uint64_t expect_flags;

		memcpy(contents, sgx_frame_kva(cpu, old_index), sizeof(contents));
		assert_encls_status(lp_of(env), paging_evict(env->e, offset, slot, env->b), 0,
				    false);

		/* Evicted: frame invalid, child count down, storage punched, slot holds a version. */
		assert_false(sgx_epcm(cpu, old_index)->valid);
		assert_int_equal(paging_chldcnt(env->e), chldcnt - 1);
		assert_int_equal(lseek(sgx_slice_fd(slice), (off_t)offset, SEEK_HOLE), offset);
		assert_int_not_equal(paging_va_slot(env->f, slot), 0);
		/* What EWB wrote back: LINADDR, PCMD, ciphertext. */
		expect_flags =
			((uint64_t)before.page_type << SGX_SECINFO_PAGE_TYPE_SHIFT) | before.rwx;
		assert_int_equal(env->b->linaddr, FIXTURE_BASE + offset);
		assert_int_equal(env->b->pcmd.secinfo.flags, expect_flags);
		assert_int_equal(env->b->pcmd.enclave_id, eid);
		for (unsigned int j = 0; j < sizeof(env->b->pcmd.secinfo.reserved); j++)
			assert_int_equal(env->b->pcmd.secinfo.reserved[j], 0);
		for (unsigned int j = 0; j < sizeof(env->b->pcmd.reserved); j++)
			assert_int_equal(env->b->pcmd.reserved[j], 0);
		assert_memory_not_equal(env->b->data, contents, sizeof(contents));

		/* Back, in another frame. */
		assert_encls_status(lp_of(env), paging_reload(env->e, offset, slot, env->b), 0,
				    false);
		new_index = (uint64_t)sgx_frame_index(cpu, p->frame);
		assert_int_not_equal(new_index, old_index);
		after = sgx_epcm(cpu, new_index);
		assert_true(after->valid);
		assert_int_equal(after->page_type, before.page_type);
		assert_int_equal(after->rwx, before.rwx);
		assert_int_equal(after->state, before.state & ~SGX_EPCM_BLOCKED);
		assert_int_equal(after->secs, before.secs);
		assert_int_equal(after->linaddr, before.linaddr);
		assert_memory_equal(sgx_frame_kva(cpu, new_index), contents, sizeof(contents));
		assert_memory_equal(storage + offset, contents, sizeof(contents));
		assert_int_equal(paging_chldcnt(env->e), chldcnt);
		assert_int_equal(paging_va_slot(env->f, slot), 0);
	}
	sgx_slice_put(slice);
}

static void test_eldb_loads_blocked(void **state)
{
	struct env *env = *state;
	struct sgx_cpu *cpu = env->f->cpu;
	struct fixture_page *p = paging_page(env->e, FIXTURE_DATA_OFFSET);
	sgx_paddr_t dest = cpu_fixture_alloc(env->f);
	struct sgx_epcm_entry *e;

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	assert_encls_status(lp_of(env),
			    paging_eld(lp_of(env), env->b, dest, env->va, env->e->secs, true), 0,
			    false);
	cpu_fixture_free(env->f, p->frame);
	p->frame = dest;
	e = sgx_epcm(cpu, sgx_frame_index(cpu, dest));
	assert_true(e->valid);
	assert_true(e->state & SGX_EPCM_BLOCKED);
	assert_memory_equal(sgx_frame_kva(cpu, sgx_frame_index(cpu, dest)), fixture_data_page,
			    4096);

	/* Already blocked: EBLOCK says so; EWB needs an ETRACK first, like any blocked page. */
	assert_encls_status(lp_of(env), __eblock(lp_of(env), dest), SGX_BLKSTATE, true);
	assert_encls_status(lp_of(env), paging_ewb(lp_of(env), dest, env->va, env->b),
			    SGX_NOT_TRACKED, false);
	assert_int_equal(__etrack(lp_of(env), env->e->secs), 0);
	assert_encls_status(lp_of(env), paging_ewb(lp_of(env), dest, env->va, env->b), 0, false);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	assert_false(sgx_epcm(cpu, sgx_frame_index(cpu, p->frame))->state & SGX_EPCM_BLOCKED);
}

static void test_flipped_blob_bit(void **state)
{
	struct env *env = *state;
	static const unsigned int positions[] = { 0, 1, 2047, 4095 };

	assert_int_equal(paging_evict(env->e, FIXTURE_CODE_OFFSET, env->va, env->b), 0);
	for (unsigned int i = 0; i < 4; i++) {
		for (unsigned int bit = 0; bit < 8; bit += 7) {
			env->b->data[positions[i]] ^= 1 << bit;
			assert_mac_fail(env, env->b, env->va, env->e->secs);
			env->b->data[positions[i]] ^= 1 << bit;
		}
	}
	assert_int_equal(paging_reload(env->e, FIXTURE_CODE_OFFSET, env->va, env->b), 0);
}

static void test_flipped_pcmd_bits(void **state)
{
	struct env *env = *state;
	struct sgx_pcmd saved;

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	saved = env->b->pcmd;

	/*
	 * Every bit of SECINFO.FLAGS that means something: RWX, PENDING, MODIFIED, PR, PT. A PT that
	 * is not a child type (SECS, VA, or no type at all) makes PAGEINFO.SECS illegal (#GP) before
	 * any MAC; without it, the MAC fails.
	 */
	for (unsigned int bit = 0; bit < 16; bit++) {
		unsigned int type;

		env->b->pcmd.secinfo.flags ^= 1ULL << bit;
		type = sgx_secinfo_page_type(env->b->pcmd.secinfo.flags);
		if (type != SGX_PAGE_TYPE_REG && type != SGX_PAGE_TYPE_TCS &&
		    type != SGX_PAGE_TYPE_TRIM && type != SGX_PAGE_TYPE_SS_FIRST &&
		    type != SGX_PAGE_TYPE_SS_REST) {
			sgx_paddr_t dest = cpu_fixture_alloc(env->f);

			assert_encls_gp(lp_of(env), paging_eld(lp_of(env), env->b, dest, env->va,
							       env->e->secs, false));
			cpu_fixture_free(env->f, dest);
			assert_mac_fail(env, env->b, env->va, 0);
		} else {
			assert_mac_fail(env, env->b, env->va, env->e->secs);
		}
		env->b->pcmd = saved;
	}
	/* A reserved FLAGS bit, a reserved SECINFO byte, a PCMD reserved byte, the MAC. */
	env->b->pcmd.secinfo.flags ^= 1ULL << 40;
	assert_mac_fail(env, env->b, env->va, env->e->secs);
	env->b->pcmd = saved;
	env->b->pcmd.secinfo.reserved[20] = 0x10;
	assert_mac_fail(env, env->b, env->va, env->e->secs);
	env->b->pcmd = saved;
	env->b->pcmd.reserved[0] = 1;
	assert_mac_fail(env, env->b, env->va, env->e->secs);
	env->b->pcmd = saved;
	for (unsigned int i = 0; i < 16; i += 15) {
		env->b->pcmd.mac[i] ^= 0x80;
		assert_mac_fail(env, env->b, env->va, env->e->secs);
		env->b->pcmd = saved;
	}
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
}

/*
 * The SDM builds ELDU's MAC header from PCMD.SECINFO, PCMD's reserved bytes, PAGEINFO.LINADDR
 * and the EID of PAGEINFO.SECS; PCMD.ENCLAVEID is written by EWB for software (the kernel can
 * tell which enclave a blob belongs to) and never read back. So a changed ENCLAVEID loads, as on
 * hardware; what binds the page to its enclave is PAGEINFO.SECS (test_wrong_secs).
 */
static void test_enclaveid_not_authenticated(void **state)
{
	struct env *env = *state;

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	env->b->pcmd.enclave_id ^= 0xFF;
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
}

static void test_replayed_blob(void **state)
{
	struct env *env = *state;
	struct paging_blob *old = paging_blob_new();
	struct fixture_page *p = paging_page(env->e, FIXTURE_DATA_OFFSET);
	uint8_t *kva;

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	paging_blob_copy(old, env->b);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);

	/* Loaded once: the slot is empty now, the same blob cannot load again. */
	assert_mac_fail(env, old, env->va, env->e->secs);

	/* The page changes and is evicted again into the same slot. */
	kva = sgx_frame_kva(env->f->cpu, sgx_frame_index(env->f->cpu, p->frame));
	memset(kva, 0x11, 4096);
	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	/* The older blob of the same page, same slot, same address: refused. */
	assert_mac_fail(env, old, env->va, env->e->secs);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	kva = sgx_frame_kva(env->f->cpu, sgx_frame_index(env->f->cpu, p->frame));
	assert_int_equal(kva[0], 0x11);
	assert_int_equal(kva[4095], 0x11);
	paging_blob_free(old);
}

static void test_wrong_slot(void **state)
{
	struct env *env = *state;
	struct paging_blob *other = paging_blob_new();

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	assert_int_equal(paging_evict(env->e, FIXTURE_RODATA_OFFSET, env->va + 8, other), 0);
	/* Each blob in the other's slot (a live version, just not its own), and in an empty one. */
	assert_mac_fail(env, env->b, env->va + 8, env->e->secs);
	assert_mac_fail(env, other, env->va, env->e->secs);
	assert_mac_fail(env, env->b, env->va + 16, env->e->secs);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	assert_int_equal(paging_reload(env->e, FIXTURE_RODATA_OFFSET, env->va + 8, other), 0);
	paging_blob_free(other);
}

static void test_wrong_linaddr(void **state)
{
	struct env *env = *state;

	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	env->b->linaddr += 4096;
	assert_mac_fail(env, env->b, env->va, env->e->secs);
	env->b->linaddr -= 2 * 4096;
	assert_mac_fail(env, env->b, env->va, env->e->secs);
	env->b->linaddr += 4096;
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
}

static void test_wrong_secs(void **state)
{
	struct env *env = *state;
	struct fixture_enclave *other = aligned_alloc(4096, (sizeof(*other) + 4095) & ~4095UL);

	/* A second enclave with the same layout, even the same ELRANGE: only the EID differs. */
	fixture_enclave_create(other, env->f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_int_not_equal(paging_hidden(other)->eid, paging_hidden(env->e)->eid);
	assert_int_equal(paging_evict(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	assert_mac_fail(env, env->b, env->va, other->secs);
	assert_int_equal(paging_chldcnt(other), NR_STANDARD);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
	fixture_enclave_destroy(other);
	free(other);
}

static void test_tracking_waits_for_lp(void **state)
{
	struct env *env = *state;
	struct sgx_secs_hidden *h = paging_hidden(env->e);
	struct fixture_page *p = paging_page(env->e, FIXTURE_DATA_OFFSET);
	struct sgx_lp *lp = lp_of(env);
	struct sgx_tlp inside = { 0 }, late = { 0 };

	/* A thread is in the enclave (EENTER's half of tracking). */
	sgx_track_enter(h, &inside);
	assert_int_equal(__eblock(lp, p->frame), 0);
	/* No ETRACK yet. */
	assert_encls_status(lp, paging_ewb(lp, p->frame, env->va, env->b), SGX_NOT_TRACKED, false);
	assert_int_equal(__etrack(lp, env->e->secs), 0);
	/* The LP that was inside at ETRACK has not left. */
	assert_encls_status(lp, paging_ewb(lp, p->frame, env->va, env->b), SGX_NOT_TRACKED, false);
	assert_encls_status(lp, __etrack(lp, env->e->secs), SGX_PREV_TRK_INCMPL, false);
	/* A thread that entered after ETRACK does not hold EWB back. */
	sgx_track_enter(h, &late);
	assert_encls_status(lp, paging_ewb(lp, p->frame, env->va, env->b), SGX_NOT_TRACKED, false);
	assert_true(sgx_epcm(env->f->cpu, sgx_frame_index(env->f->cpu, p->frame))->valid);
	assert_int_equal(paging_va_slot(env->f, env->va), 0);
	/* AEX/EEXIT of the tracked LP. */
	sgx_track_exit(h, &inside);
	assert_encls_status(lp, paging_ewb(lp, p->frame, env->va, env->b), 0, false);
	sgx_track_exit(h, &late);
	assert_int_equal(paging_reload(env->e, FIXTURE_DATA_OFFSET, env->va, env->b), 0);
}

static void test_secs_children(void **state)
{
	struct env *env = *state;
	struct sgx_lp *lp = lp_of(env);

	assert_int_equal(paging_chldcnt(env->e), NR_STANDARD);
	assert_encls_status(lp, __eremove(lp, env->e->secs), SGX_CHILD_PRESENT, false);
	assert_encls_status(lp, paging_ewb(lp, env->e->secs, env->va, env->b), SGX_CHILD_PRESENT,
			    false);
	/* Down to one child (evicted children do not count): still refused. */
	for (unsigned int i = 1; i < NR_STANDARD; i++)
		assert_int_equal(paging_evict(env->e, standard_offsets[i], env->va + 8 * i, env->b),
				 0);
	assert_int_equal(paging_chldcnt(env->e), 1);
	assert_encls_status(lp, __eremove(lp, env->e->secs), SGX_CHILD_PRESENT, false);
	assert_encls_status(lp, paging_ewb(lp, env->e->secs, env->va, env->b), SGX_CHILD_PRESENT,
			    false);
	assert_int_equal(paging_va_slot(env->f, env->va), 0);
	assert_true(sgx_epcm(env->f->cpu, sgx_frame_index(env->f->cpu, env->e->secs))->valid);
}

static void test_secs_eviction(void **state)
{
	struct env *env = *state;
	struct sgx_cpu *cpu = env->f->cpu;
	struct sgx_lp *lp = lp_of(env);
	struct paging_blob *blobs[NR_STANDARD], *secs_blob = paging_blob_new();
	uint64_t eid = paging_hidden(env->e)->eid;
	struct sgx_secs image = *sgx_secs_page(cpu, sgx_frame_index(cpu, env->e->secs));
	sgx_paddr_t secs_va = paging_va_new(env->f), new_secs;
	struct sgx_secs_hidden *h;

	for (unsigned int i = 0; i < NR_STANDARD; i++) {
		blobs[i] = paging_blob_new();
		assert_int_equal(
			paging_evict(env->e, standard_offsets[i], env->va + 8 * i, blobs[i]), 0);
	}
	assert_int_equal(paging_chldcnt(env->e), 0);
	assert_encls_status(lp, paging_ewb(lp, env->e->secs, secs_va, secs_blob), 0, false);
	assert_false(sgx_epcm(cpu, sgx_frame_index(cpu, env->e->secs))->valid);
	assert_int_equal(secs_blob->pcmd.enclave_id, eid);
	assert_int_equal(secs_blob->pcmd.secinfo.flags, SGX_SECINFO_SECS);
	assert_int_equal(secs_blob->linaddr, 0);

	/* A child cannot load while its SECS is out. */
	new_secs = cpu_fixture_alloc(env->f);
	assert_encls_epcm_pf(lp, paging_eld(lp, blobs[0], new_secs, env->va, env->e->secs, false),
			     env->e->secs);
	/* A SECS blob takes no PAGEINFO.SECS. */
	assert_encls_gp(lp, paging_eld(lp, secs_blob, new_secs, secs_va, env->e->secs, false));

	/* Back in another frame: same page, ENCLAVECONTEXT is the new frame, no children. */
	assert_encls_status(lp, paging_eld(lp, secs_blob, new_secs, secs_va, 0, false), 0, false);
	cpu_fixture_free(env->f, env->e->secs);
	env->e->secs = new_secs;
	h = paging_hidden(env->e);
	assert_int_equal(h->eid, eid);
	assert_int_equal(h->enclavecontext, new_secs);
	assert_int_equal(h->chldcnt, 0);
	assert_int_equal(sgx_epcm(cpu, sgx_frame_index(cpu, new_secs))->page_type,
			 SGX_PAGE_TYPE_SECS);
	assert_memory_equal(sgx_secs_page(cpu, sgx_frame_index(cpu, new_secs)), &image,
			    SGX_SECS_HIDDEN_OFFSET);

	/* The children come back under the new SECS frame, the count with them. */
	for (unsigned int i = 0; i < NR_STANDARD; i++) {
		assert_int_equal(
			paging_reload(env->e, standard_offsets[i], env->va + 8 * i, blobs[i]), 0);
		assert_int_equal(paging_chldcnt(env->e), i + 1);
		assert_int_equal(
			sgx_epcm(cpu, sgx_frame_index(
					      cpu, paging_page(env->e, standard_offsets[i])->frame))
				->secs,
			new_secs);
		paging_blob_free(blobs[i]);
	}
	assert_memory_equal(
		sgx_frame_kva(
			cpu, sgx_frame_index(cpu, paging_page(env->e, FIXTURE_CODE_OFFSET)->frame)),
		fixture_code_page, 4096);
	paging_blob_free(secs_blob);
	paging_va_free(env->f, secs_va);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_every_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eldb_loads_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_blob_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_pcmd_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enclaveid_not_authenticated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replayed_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_linaddr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracking_waits_for_lp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secs_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secs_eviction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
