/* SPDX-License-Identifier: MIT */
/*
 * EAUG, EMODPR and EMODT (ref §3, §8.7). Check -> test; "+" is the later check broken as well.
 *
 *   EAUG
 *     RBX/RCX alignment: #GP; RCX not EPC: #PF            eaug_operands (+ PAGEINFO unreadable)
 *     PAGEINFO unreadable: #PF(PAGEINFO)                   eaug_operands
 *     SECS/LINADDR alignment, SRCPGE != 0, SECINFO != 0: #GP  eaug_pageinfo (+ SECS not EPC)
 *     SECS not EPC: #PF(SECS)                              eaug_pageinfo (+ page valid)
 *     page in use: #GP; page valid: #PF(RCX)               eaug_target (+ SECS not a SECS)
 *     SECS in use: #GP; not a SECS: #PF(SECS)              eaug_secs (+ not initialized)
 *     SECS not initialized: #GP; LINADDR outside: #GP      eaug_secs
 *     effects: zeroed REG RW PENDING, CHLDCNT++, unmeasured  eaug_effects
 *   EMODPR
 *     RBX 64 / RCX 4K alignment: #GP; not EPC: #PF         emodpr_operands (+ SECINFO unreadable)
 *     SECINFO unreadable: #PF; reserved, W without R: #GP  emodpr_secinfo (+ page invalid)
 *     SGX1 leaf holds the page: #GP                        emodpr_conflicts (+ page invalid)
 *     page invalid: #PF                                    emodpr_conflicts
 *     SGX2 leaf holds the page: SGX_EPC_PAGE_CONFLICT      emodpr_conflicts (+ PENDING)
 *     PENDING / MODIFIED: SGX_PAGE_NOT_MODIFIABLE          emodpr_state (+ type not REG)
 *     type not REG: #PF                                    emodpr_state (+ not initialized)
 *     enclave not initialized: #GP                         emodpr_not_initialized
 *     effects: PR, RWX restricted only, BEPOCH             emodpr_effects
 *   EMODT
 *     alignment, not EPC                                   emodt_operands
 *     SECINFO reserved, type not TCS/TRIM: #GP             emodt_secinfo (+ page invalid)
 *     SGX1 leaf holds the page: SGX_EPC_PAGE_CONFLICT      emodt_conflicts (+ page invalid)
 *     page invalid: #PF; SGX2 holder: conflict             emodt_conflicts
 *     transition not allowed: #PF                          emodt_transitions (+ MODIFIED)
 *     PENDING / MODIFIED: SGX_PAGE_NOT_MODIFIABLE          emodt_transitions
 *     enclave not initialized: #GP                         emodt_not_initialized
 *     effects: MODIFIED, PR cleared, RWX 0, type, BEPOCH   emodt_effects
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "cpu_fixture.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define NOT_EPC 0x7000ULL
#define AUG_OFFSET 0x8000ULL

static struct cpu_fixture *f;
static struct fixture_enclave e;
static struct sgx_pageinfo pginfo;
static struct sgx_secinfo secinfo_buf[2];

static int setup(void **state)
{
	f = cpu_fixture_create(NULL);
	memset(&e, 0, sizeof(e));
	return 0;
}

static int teardown(void **state)
{
	fixture_enclave_destroy(&e);
	cpu_fixture_destroy(f);
	return 0;
}

static struct sgx_lp *lp(void)
{
	return f->lp;
}

static struct sgx_epcm_entry *epcm(sgx_paddr_t frame)
{
	return fixture_epcm(f, frame);
}

static uint64_t idx(sgx_paddr_t frame)
{
	return (uint64_t)sgx_frame_index(f->cpu, frame);
}

static void aug_operands(uint64_t offset)
{
	pginfo = (struct sgx_pageinfo){ .addr = FIXTURE_BASE + offset, .secs = e.secs };
}

static int eaug(uint64_t pageinfo, sgx_paddr_t frame)
{
	return sgx_encls(lp(), EAUG, pageinfo, frame, 0, NULL);
}

/* --- EAUG ------------------------------------------------------------------------------------ */

static void test_eaug_operands(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	aug_operands(AUG_OFFSET);
	fixture_assert_gp(lp(), eaug(PTR(&pginfo) + 16, NOT_EPC));
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), NOT_EPC + 0x10));
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame + 0x10));
	fixture_assert_pf(lp(), eaug(fixture_bad_pointer(), NOT_EPC), NOT_EPC, true);
	fixture_assert_pf(lp(), eaug(fixture_bad_pointer(), frame), fixture_bad_pointer(), false);
	assert_false(epcm(frame)->valid);
	cpu_fixture_free(f, frame);
}

static void test_eaug_pageinfo(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), used;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	used = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	/* Each field error with SECS also outside the EPC: #GP before #PF(SECS). */
	aug_operands(AUG_OFFSET);
	pginfo.secs = NOT_EPC + 0x20;
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	aug_operands(AUG_OFFSET + 0x40);
	pginfo.secs = NOT_EPC;
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	aug_operands(AUG_OFFSET);
	pginfo.contents = PTR(fixture_data_page);
	pginfo.secs = NOT_EPC;
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	aug_operands(AUG_OFFSET);
	pginfo.metadata = PTR(&secinfo_buf[0]);
	pginfo.secs = NOT_EPC;
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	/* SECS outside the EPC and the target valid: #PF(SECS) first. */
	aug_operands(AUG_OFFSET);
	pginfo.secs = NOT_EPC;
	fixture_assert_pf(lp(), eaug(PTR(&pginfo), used), NOT_EPC, true);
	assert_false(epcm(frame)->valid);
	cpu_fixture_free(f, frame);
}

static void test_eaug_target(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), used;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	used = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	/* Target valid, SECS a REG page: #PF(RCX) first. */
	aug_operands(AUG_OFFSET);
	pginfo.secs = used;
	fixture_assert_pf(lp(), eaug(PTR(&pginfo), used), used, true);
	/* Target in use (and SECS wrong): #GP first. */
	assert_true(sgx_page_trylock_excl(f->cpu, idx(frame)));
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	sgx_page_unlock_excl(f->cpu, idx(frame));
	fixture_assert_pf(lp(), eaug(PTR(&pginfo), frame), used, true);
	assert_false(epcm(frame)->valid);
	cpu_fixture_free(f, frame);
}

static void test_eaug_secs(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	/* Not initialized yet, with LINADDR outside ELRANGE: #GP (and SECS checks come first). */
	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	fixture_enclave_build(&e);
	aug_operands(AUG_OFFSET);
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	assert_true(sgx_page_trylock_excl(f->cpu, fixture_secs_index(&e)));
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	sgx_page_unlock_excl(f->cpu, fixture_secs_index(&e));
	fixture_enclave_destroy(&e);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	aug_operands(FIXTURE_SIZE);
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	aug_operands(0);
	pginfo.addr = FIXTURE_BASE - 0x1000;
	fixture_assert_gp(lp(), eaug(PTR(&pginfo), frame));
	/* The SECS frame, when invalid, is #PF(SECS). */
	aug_operands(AUG_OFFSET);
	pginfo.secs = frame;
	fixture_assert_pf(lp(), eaug(PTR(&pginfo), cpu_fixture_alloc(f)), frame, true);
	assert_false(epcm(frame)->valid);
	cpu_fixture_free(f, frame);
}

static void test_eaug_effects(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	struct sgx_secs_hidden *hidden;
	uint64_t children, blocks;
	uint8_t *kva;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	hidden = fixture_hidden(&e);
	children = hidden->chldcnt;
	blocks = hidden->measurement.blocks;
	/* Whatever the storage held at that offset (here: a host write), the new page is zeros. */
	{
		struct sgx_slice *slice = sgx_cpu_secs_slice(f->cpu, e.secs);

		assert_int_equal(pwrite(sgx_slice_fd(slice), fixture_data_page, 4096, AUG_OFFSET),
				 4096);
		sgx_slice_put(slice);
	}
	aug_operands(AUG_OFFSET);
	fixture_assert_ok(lp(), eaug(PTR(&pginfo), frame));
	assert_true(epcm(frame)->valid);
	assert_int_equal(epcm(frame)->page_type, SGX_PAGE_TYPE_REG);
	assert_int_equal(epcm(frame)->rwx, SGX_SECINFO_R | SGX_SECINFO_W);
	assert_int_equal(epcm(frame)->state, SGX_EPCM_PENDING);
	assert_int_equal(epcm(frame)->linaddr, FIXTURE_BASE + AUG_OFFSET);
	assert_int_equal(epcm(frame)->secs, e.secs);
	assert_int_equal(hidden->chldcnt, children + 1);
	assert_int_equal(hidden->measurement.blocks, blocks);
	kva = sgx_frame_kva(f->cpu, idx(frame));
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(kva[i], 0);
	e.pages[e.nr_pages++] = (struct fixture_page){ .offset = AUG_OFFSET,
						       .flags = SGX_SECINFO_REG,
						       .frame = frame };
}

/* --- EMODPR ---------------------------------------------------------------------------------- */

static int emodpr(uint64_t secinfo, sgx_paddr_t frame)
{
	return sgx_encls(lp(), EMODPR, secinfo, frame, 0, NULL);
}

static int emodt(uint64_t secinfo, sgx_paddr_t frame)
{
	return sgx_encls(lp(), EMODT, secinfo, frame, 0, NULL);
}

static void test_emodpr_operands(void **state)
{
	sgx_paddr_t data;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_R;
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]) + 32, NOT_EPC));
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), data + 0x40));
	fixture_assert_pf(lp(), emodpr(fixture_bad_pointer(), NOT_EPC), NOT_EPC, true);
	fixture_assert_pf(lp(), emodpr(fixture_bad_pointer(), data), fixture_bad_pointer(), false);
	assert_int_equal(epcm(data)->rwx, SGX_SECINFO_R | SGX_SECINFO_W);
}

static void test_emodpr_secinfo(void **state)
{
	sgx_paddr_t invalid = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	secinfo_buf[0].flags = SGX_SECINFO_W;
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), invalid));
	secinfo_buf[0].flags = SGX_SECINFO_W | SGX_SECINFO_X;
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), invalid));
	secinfo_buf[0].flags = SGX_SECINFO_R | SGX_SECINFO_PR;
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), invalid));
	secinfo_buf[0].flags = SGX_SECINFO_R | (1ULL << 20);
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), invalid));
	secinfo_buf[0].flags = SGX_SECINFO_R;
	secinfo_buf[0].reserved[10] = 1;
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), invalid));
	secinfo_buf[0].reserved[10] = 0;
	fixture_assert_pf(lp(), emodpr(PTR(&secinfo_buf[0]), invalid), invalid, true);
	cpu_fixture_free(f, invalid);
}

static void test_emodpr_conflicts(void **state)
{
	sgx_paddr_t data, invalid = cpu_fixture_alloc(f), aug = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_R;
	/* An SGX1 leaf (exclusive or shared) holds it: #GP, even when the page is invalid. */
	assert_true(sgx_page_trylock_excl(f->cpu, idx(invalid)));
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), invalid));
	sgx_page_unlock_excl(f->cpu, idx(invalid));
	assert_true(sgx_page_trylock_shared(f->cpu, idx(data)));
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), data));
	sgx_page_unlock_shared(f->cpu, idx(data));
	/* An SGX2 leaf (an EACCEPT of the enclave) holds it: the conflict code... */
	assert_true(sgx_page_trylock_excl_sgx2(f->cpu, idx(data)));
	fixture_assert_status(lp(), emodpr(PTR(&secinfo_buf[0]), data), SGX_EPC_PAGE_CONFLICT,
			      false);
	sgx_page_unlock_excl(f->cpu, idx(data));
	/* ...but only after VALID, which the SDM checks in between. */
	assert_true(sgx_page_trylock_excl_sgx2(f->cpu, idx(invalid)));
	fixture_assert_pf(lp(), emodpr(PTR(&secinfo_buf[0]), invalid), invalid, true);
	sgx_page_unlock_excl(f->cpu, idx(invalid));
	/* SGX2 holder and PENDING: the conflict answers first. */
	aug_operands(AUG_OFFSET);
	fixture_assert_ok(lp(), eaug(PTR(&pginfo), aug));
	e.pages[e.nr_pages++] = (struct fixture_page){ .offset = AUG_OFFSET, .frame = aug };
	assert_true(sgx_page_trylock_excl_sgx2(f->cpu, idx(aug)));
	fixture_assert_status(lp(), emodpr(PTR(&secinfo_buf[0]), aug), SGX_EPC_PAGE_CONFLICT,
			      false);
	sgx_page_unlock_excl(f->cpu, idx(aug));
	assert_int_equal(epcm(data)->rwx, SGX_SECINFO_R | SGX_SECINFO_W);
	assert_int_equal(epcm(data)->state, 0);
	cpu_fixture_free(f, invalid);
}

static void test_emodpr_state(void **state)
{
	sgx_paddr_t aug = cpu_fixture_alloc(f), tcs, code;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	tcs = fixture_page_frame(&e, FIXTURE_TCS_OFFSET);
	code = fixture_page_frame(&e, FIXTURE_CODE_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_R;
	aug_operands(AUG_OFFSET);
	fixture_assert_ok(lp(), eaug(PTR(&pginfo), aug));
	e.pages[e.nr_pages++] = (struct fixture_page){ .offset = AUG_OFFSET, .frame = aug };
	fixture_assert_status(lp(), emodpr(PTR(&secinfo_buf[0]), aug), SGX_PAGE_NOT_MODIFIABLE,
			      false);
	/* A TCS: #PF (type), no other state. */
	fixture_assert_pf(lp(), emodpr(PTR(&secinfo_buf[0]), tcs), tcs, true);
	/* A page turned TRIM (MODIFIED, and not REG): NOT_MODIFIABLE answers before the type. */
	secinfo_buf[1].flags = SGX_SECINFO_TRIM;
	fixture_assert_ok(lp(), emodt(PTR(&secinfo_buf[1]), code));
	fixture_assert_status(lp(), emodpr(PTR(&secinfo_buf[0]), code), SGX_PAGE_NOT_MODIFIABLE,
			      false);
	/* SECS and VA pages are not REG either. */
	fixture_assert_pf(lp(), emodpr(PTR(&secinfo_buf[0]), e.secs), e.secs, true);
}

static void test_emodpr_not_initialized(void **state)
{
	sgx_paddr_t tcs, data;

	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	fixture_enclave_build(&e);
	tcs = fixture_page_frame(&e, FIXTURE_TCS_OFFSET);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_R;
	/* Not REG and not initialized: the type (#PF) first. */
	fixture_assert_pf(lp(), emodpr(PTR(&secinfo_buf[0]), tcs), tcs, true);
	fixture_assert_gp(lp(), emodpr(PTR(&secinfo_buf[0]), data));
	secinfo_buf[0].flags = SGX_SECINFO_TRIM;
	fixture_assert_gp(lp(), emodt(PTR(&secinfo_buf[0]), data));
	assert_int_equal(epcm(data)->state, 0);
	assert_int_equal(epcm(data)->page_type, SGX_PAGE_TYPE_REG);
}

static void test_emodpr_effects(void **state)
{
	sgx_paddr_t data, code;
	struct sgx_secs_hidden *hidden;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	hidden = fixture_hidden(&e);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	code = fixture_page_frame(&e, FIXTURE_CODE_OFFSET);
	/* Restriction only: asking RX of an RW page leaves R. */
	secinfo_buf[0].flags = SGX_SECINFO_R | SGX_SECINFO_X;
	fixture_assert_ok(lp(), emodpr(PTR(&secinfo_buf[0]), data));
	assert_int_equal(epcm(data)->rwx, SGX_SECINFO_R);
	assert_int_equal(epcm(data)->state, SGX_EPCM_PR);
	assert_int_equal(epcm(data)->bepoch, hidden->epoch);
	/* Again while PR is pending: allowed (PR is no obstacle), restricts further. */
	assert_int_equal(sgx_track_start(hidden), 0);
	secinfo_buf[0].flags = 0;
	fixture_assert_ok(lp(), emodpr(PTR(&secinfo_buf[0]), data));
	assert_int_equal(epcm(data)->rwx, 0);
	assert_int_equal(epcm(data)->bepoch, hidden->epoch);
	assert_false(sgx_track_done(hidden, epcm(data)->bepoch));
	/* The SECINFO's page type is not looked at. */
	secinfo_buf[0].flags = SGX_SECINFO_TCS | SGX_SECINFO_R;
	fixture_assert_ok(lp(), emodpr(PTR(&secinfo_buf[0]), code));
	assert_int_equal(epcm(code)->rwx, SGX_SECINFO_R);
	assert_int_equal(epcm(code)->page_type, SGX_PAGE_TYPE_REG);
}

/* --- EMODT ----------------------------------------------------------------------------------- */

static void test_emodt_operands(void **state)
{
	sgx_paddr_t data;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_TRIM;
	fixture_assert_gp(lp(), emodt(PTR(&secinfo_buf[0]) + 8, NOT_EPC));
	fixture_assert_gp(lp(), emodt(PTR(&secinfo_buf[0]), data + 0x800));
	fixture_assert_pf(lp(), emodt(fixture_bad_pointer(), NOT_EPC), NOT_EPC, true);
	fixture_assert_pf(lp(), emodt(fixture_bad_pointer(), data), fixture_bad_pointer(), false);
	assert_int_equal(epcm(data)->page_type, SGX_PAGE_TYPE_REG);
}

static void test_emodt_secinfo(void **state)
{
	sgx_paddr_t invalid = cpu_fixture_alloc(f);
	static const uint64_t bad[] = {
		SGX_SECINFO_REG,
		SGX_SECINFO_SECS,
		SGX_SECINFO_VA,
		(uint64_t)6 << 8,
		SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED,
		SGX_SECINFO_TCS | (1ULL << 6),
	};

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		secinfo_buf[0].flags = bad[i];
		fixture_assert_gp(lp(), emodt(PTR(&secinfo_buf[0]), invalid));
	}
	secinfo_buf[0].flags = SGX_SECINFO_TRIM;
	secinfo_buf[0].reserved[0] = 1;
	fixture_assert_gp(lp(), emodt(PTR(&secinfo_buf[0]), invalid));
	secinfo_buf[0].reserved[0] = 0;
	/* RWX are ignored. */
	secinfo_buf[0].flags = SGX_SECINFO_TRIM | SGX_SECINFO_R | SGX_SECINFO_W;
	fixture_assert_pf(lp(), emodt(PTR(&secinfo_buf[0]), invalid), invalid, true);
	cpu_fixture_free(f, invalid);
}

static void test_emodt_conflicts(void **state)
{
	sgx_paddr_t data, invalid = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_TRIM;
	/* SGX1 holder: the conflict code (not #GP as for EMODPR), even for an invalid page. */
	assert_true(sgx_page_trylock_excl(f->cpu, idx(invalid)));
	fixture_assert_status(lp(), emodt(PTR(&secinfo_buf[0]), invalid), SGX_EPC_PAGE_CONFLICT,
			      false);
	sgx_page_unlock_excl(f->cpu, idx(invalid));
	assert_true(sgx_page_trylock_shared(f->cpu, idx(data)));
	fixture_assert_status(lp(), emodt(PTR(&secinfo_buf[0]), data), SGX_EPC_PAGE_CONFLICT,
			      false);
	sgx_page_unlock_shared(f->cpu, idx(data));
	/* SGX2 holder: conflict, after the VALID check. */
	assert_true(sgx_page_trylock_excl_sgx2(f->cpu, idx(data)));
	fixture_assert_status(lp(), emodt(PTR(&secinfo_buf[0]), data), SGX_EPC_PAGE_CONFLICT,
			      false);
	sgx_page_unlock_excl(f->cpu, idx(data));
	assert_true(sgx_page_trylock_excl_sgx2(f->cpu, idx(invalid)));
	fixture_assert_pf(lp(), emodt(PTR(&secinfo_buf[0]), invalid), invalid, true);
	sgx_page_unlock_excl(f->cpu, idx(invalid));
	assert_int_equal(epcm(data)->page_type, SGX_PAGE_TYPE_REG);
	cpu_fixture_free(f, invalid);
}

static void test_emodt_transitions(void **state)
{
	sgx_paddr_t tcs, code, data, va = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	tcs = fixture_page_frame(&e, FIXTURE_TCS_OFFSET);
	code = fixture_page_frame(&e, FIXTURE_CODE_OFFSET);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	fixture_assert_ok(lp(), __epa(lp(), va));
	/* TCS -> TCS, SECS -> anything, VA -> anything: #PF. */
	secinfo_buf[0].flags = SGX_SECINFO_TCS;
	fixture_assert_pf(lp(), emodt(PTR(&secinfo_buf[0]), tcs), tcs, true);
	secinfo_buf[0].flags = SGX_SECINFO_TRIM;
	fixture_assert_pf(lp(), emodt(PTR(&secinfo_buf[0]), e.secs), e.secs, true);
	fixture_assert_pf(lp(), emodt(PTR(&secinfo_buf[0]), va), va, true);
	/* REG -> TCS; then TCS (MODIFIED) -> TRIM is an allowed transition but NOT_MODIFIABLE. */
	secinfo_buf[0].flags = SGX_SECINFO_TCS;
	fixture_assert_ok(lp(), emodt(PTR(&secinfo_buf[0]), code));
	secinfo_buf[0].flags = SGX_SECINFO_TRIM;
	fixture_assert_status(lp(), emodt(PTR(&secinfo_buf[0]), code), SGX_PAGE_NOT_MODIFIABLE,
			      false);
	/* TRIM (MODIFIED) -> TRIM: the transition (#PF) answers before MODIFIED. */
	fixture_assert_ok(lp(), emodt(PTR(&secinfo_buf[0]), data));
	fixture_assert_pf(lp(), emodt(PTR(&secinfo_buf[0]), data), data, true);
	/* An accepted TCS may be trimmed. */
	fixture_assert_ok(lp(), emodt(PTR(&secinfo_buf[0]), tcs));
	assert_int_equal(epcm(tcs)->page_type, SGX_PAGE_TYPE_TRIM);
	assert_int_equal(__eremove(lp(), va), 0);
	cpu_fixture_free(f, va);
}

static void test_emodt_pending(void **state)
{
	sgx_paddr_t aug = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	aug_operands(AUG_OFFSET);
	fixture_assert_ok(lp(), eaug(PTR(&pginfo), aug));
	e.pages[e.nr_pages++] = (struct fixture_page){ .offset = AUG_OFFSET, .frame = aug };
	secinfo_buf[0].flags = SGX_SECINFO_TCS;
	fixture_assert_status(lp(), emodt(PTR(&secinfo_buf[0]), aug), SGX_PAGE_NOT_MODIFIABLE,
			      false);
	assert_int_equal(epcm(aug)->state, SGX_EPCM_PENDING);
}

static void test_emodt_not_initialized(void **state)
{
	sgx_paddr_t data;

	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	fixture_enclave_build(&e);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	secinfo_buf[0].flags = SGX_SECINFO_TCS;
	fixture_assert_gp(lp(), emodt(PTR(&secinfo_buf[0]), data));
	assert_int_equal(epcm(data)->page_type, SGX_PAGE_TYPE_REG);
}

static void test_emodt_effects(void **state)
{
	sgx_paddr_t data;
	struct sgx_secs_hidden *hidden;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	hidden = fixture_hidden(&e);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	/* A pending restriction (PR) is superseded by the type change. */
	secinfo_buf[0].flags = SGX_SECINFO_R;
	fixture_assert_ok(lp(), emodpr(PTR(&secinfo_buf[0]), data));
	assert_int_equal(sgx_track_start(hidden), 0);
	assert_int_equal(sgx_track_start(hidden), 0);
	secinfo_buf[0].flags = SGX_SECINFO_TRIM | SGX_SECINFO_R;
	fixture_assert_ok(lp(), emodt(PTR(&secinfo_buf[0]), data));
	assert_int_equal(epcm(data)->page_type, SGX_PAGE_TYPE_TRIM);
	assert_int_equal(epcm(data)->state, SGX_EPCM_MODIFIED);
	assert_int_equal(epcm(data)->rwx, 0);
	assert_int_equal(epcm(data)->bepoch, 2);
	assert_int_equal(epcm(data)->linaddr, FIXTURE_BASE + FIXTURE_DATA_OFFSET);
	/* Contents stay until EREMOVE. */
	assert_int_equal(sgx_frame_kva(f->cpu, idx(data))[0], 0xDA);
}

#define T(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(eaug_operands),	  T(eaug_pageinfo),
		T(eaug_target),		  T(eaug_secs),
		T(eaug_effects),	  T(emodpr_operands),
		T(emodpr_secinfo),	  T(emodpr_conflicts),
		T(emodpr_state),	  T(emodpr_not_initialized),
		T(emodpr_effects),	  T(emodt_operands),
		T(emodt_secinfo),	  T(emodt_conflicts),
		T(emodt_transitions),	  T(emodt_pending),
		T(emodt_not_initialized), T(emodt_effects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
