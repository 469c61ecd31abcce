/* SPDX-License-Identifier: MIT */
/*
 * ECREATE, EADD, EEXTEND and EREMOVE: the success paths, every fault and status code of ref §3,
 * and the three synthetic MRENCLAVE examples of ref §4 reproduced through the leaves.
 *
 * Where a test passes operands that break two checks at once, the earlier check must win: that
 * proves the order. The table maps each SDM check (ref §3, step numbers) to its test.
 *
 *   ECREATE
 *   1  RBX not 32-aligned: #GP                     ecreate_alignment (+ RCX not EPC)
 *   1  RCX not 4K-aligned: #GP                     ecreate_alignment (+ RCX not EPC)
 *   1  RCX not EPC: #PF(RCX)                       ecreate_not_epc (+ PAGEINFO unreadable)
 *   2  PAGEINFO unreadable: #PF(PAGEINFO)          ecreate_bad_pointers (+ SECINFO unreadable)
 *   2  SRCPGE not 4K / SECINFO not 64-aligned: #GP ecreate_operand_alignment (+ SECINFO unreadable)
 *   3  LINADDR or SECS non-zero: #GP               ecreate_pageinfo_fields (+ SECINFO unreadable)
 *   4  SECINFO unreadable: #PF(SECINFO)            ecreate_bad_pointers (+ page already valid)
 *   4  SECINFO reserved / PT != SECS: #GP          ecreate_secinfo (+ page already valid)
 *   5  page in use by another leaf: #GP            ecreate_conflict (+ page already valid)
 *   5  page valid: #PF(RCX) with PFEC.SGX          ecreate_page_valid (+ SRCPGE unreadable)
 *   6  SRCPGE unreadable: #PF(SRCPGE)              ecreate_bad_pointers (+ SECS contents invalid)
 *   7  each SECS rule: #GP, frame left invalid     ecreate_secs_rules
 *   8  effects: EPCM, EID, MRENCLAVE, fields       ecreate_effects, synthetic_mrenclave
 *   EADD
 *   1  RBX/RCX alignment: #GP; RCX not EPC: #PF    eadd_alignment_and_epc (+ later faults)
 *   2  PAGEINFO unreadable: #PF                    eadd_bad_pointers (+ SECS not EPC)
 *   2  SRCPGE/SECS/SECINFO/LINADDR alignment: #GP  eadd_operand_alignment (+ SECS not EPC)
 *   2  SECS not EPC: #PF(SECS)                     eadd_secs_checks (+ SECINFO unreadable)
 *   3  SECINFO unreadable: #PF; reserved/PT: #GP   eadd_secinfo (+ page valid)
 *   4  page in use: #GP; page valid: #PF(RCX)      eadd_target_page (+ SECS invalid)
 *   5  SECS in use: #GP; SECS not a valid SECS: #PF(SECS)  eadd_secs_checks (+ SRCPGE unreadable)
 *   6  SRCPGE unreadable: #PF(SRCPGE)              eadd_bad_pointers (+ LINADDR outside)
 *   7  TCS reserved / 32-bit limits, REG W&!R: #GP eadd_contents_rules (+ LINADDR outside: same
 *                                                   vector, so order shown by measurement busy)
 *   8  LINADDR outside ELRANGE: #GP                eadd_linaddr
 *   9  measurement busy / initialized: #GP         eadd_measurement_busy, eadd_after_einit
 *  10-12 TCS fields cleared, EPCM, CHLDCNT, storage eadd_effects, eadd_tcs_effects
 *   EEXTEND
 *      RBX alignment #GP / not EPC #PF; RCX 256-alignment #GP / not EPC #PF  eextend_operands
 *      page in use #GP; invalid or not REG/TCS #PF(RCX); wrong SECS #GP      eextend_page_checks
 *      measurement busy / initialized #GP; effects                         eextend_measurement
 *      hashes the page as it is now (EDBGWR, other LP, reused frame)       eextend_current_contents,
 *                                                                          eextend_after_reuse
 *   EREMOVE
 *      alignment #GP, not EPC #PF, in use #GP, invalid: success            eremove_basics
 *      VA page                                                             eremove_va
 *      SECS with (virtual) children SGX_CHILD_PRESENT; in use #GP; SECS     eremove_secs
 *      child with an LP inside SGX_ENCLAVE_ACT; accepted TRIM allowed      eremove_enclave_active
 *      effects: EPCM invalid, CHLDCNT--, storage punched                   eremove_effects
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu_fixture.h"
#include "cpu/sigstruct.h"

static struct cpu_fixture *f;
static struct fixture_enclave e;

static struct sgx_secs secs_src __attribute__((aligned(4096)));
static uint8_t page_src[4096] __attribute__((aligned(4096)));
static uint8_t pageinfo_buf[64] __attribute__((aligned(64)));
static struct sgx_secinfo secinfo_buf[2];
static struct sgx_pageinfo *const pginfo = (struct sgx_pageinfo *)pageinfo_buf;

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define NOT_EPC 0x5000ULL /* page aligned, not inside any EPC section */

static int setup(void **state)
{
	f = cpu_fixture_create(NULL);
	memset(&e, 0, sizeof(e));
	return 0;
}

static int teardown(void **state)
{
	cpu_fixture_destroy(f);
	return 0;
}

static struct sgx_lp *lp(void)
{
	return f->lp;
}

static bool frame_valid(sgx_paddr_t frame)
{
	return fixture_epcm(f, frame)->valid;
}

/* --- ECREATE --------------------------------------------------------------------------------- */

static void ecreate_operands(void)
{
	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	secs_src = e.secs_image;
	memset(pageinfo_buf, 0, sizeof(pageinfo_buf));
	secinfo_buf[0] = (struct sgx_secinfo){ .flags = SGX_SECINFO_SECS };
	pginfo->contents = PTR(&secs_src);
	pginfo->metadata = PTR(&secinfo_buf[0]);
}

static int ecreate_at(uint64_t pageinfo, sgx_paddr_t frame)
{
	return sgx_encls(lp(), ECREATE, pageinfo, frame, 0, NULL);
}

static void test_ecreate_alignment(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	ecreate_operands();
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf) + 16, NOT_EPC));
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), NOT_EPC + 8));
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame + 8));
	assert_false(frame_valid(frame));
}

static void test_ecreate_not_epc(void **state)
{
	ecreate_operands();
	/* RCX is checked before PAGEINFO is read. */
	fixture_assert_pf(lp(), ecreate_at(fixture_bad_pointer(), NOT_EPC), NOT_EPC, true);
	fixture_assert_pf(lp(), ecreate_at(PTR(pageinfo_buf), 0), 0, true);
}

static void test_ecreate_bad_pointers(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), other = cpu_fixture_alloc(f);

	ecreate_operands();
	fixture_assert_pf(lp(), ecreate_at(fixture_bad_pointer(), frame), fixture_bad_pointer(),
			  false);

	/* SECINFO is read before the target page's EPCM is looked at. */
	ecreate_operands();
	assert_int_equal(ecreate_at(PTR(pageinfo_buf), other), 0);
	pginfo->metadata = fixture_bad_pointer();
	fixture_assert_pf(lp(), ecreate_at(PTR(pageinfo_buf), other), fixture_bad_pointer(), false);

	/* SRCPGE is copied before the SECS in it is checked. */
	ecreate_operands();
	pginfo->contents = fixture_bad_pointer();
	fixture_assert_pf(lp(), ecreate_at(PTR(pageinfo_buf), frame), fixture_bad_pointer(), false);
	assert_false(frame_valid(frame));
	assert_int_equal(__eremove(lp(), other), 0);
}

static void test_ecreate_operand_alignment(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	ecreate_operands();
	pginfo->contents = PTR(&secs_src) + 64;
	pginfo->metadata = fixture_bad_pointer(); /* never read: the alignment check comes first */
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	ecreate_operands();
	pginfo->metadata = fixture_bad_pointer() + 32;
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_false(frame_valid(frame));
}

static void test_ecreate_pageinfo_fields(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	ecreate_operands();
	pginfo->addr = FIXTURE_BASE;
	pginfo->metadata = fixture_bad_pointer();
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	ecreate_operands();
	pginfo->secs = frame;
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_false(frame_valid(frame));
}

static void test_ecreate_secinfo(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), busy = cpu_fixture_alloc(f);
	static const uint64_t bad_flags[] = {
		SGX_SECINFO_REG, /* not PT_SECS */
		SGX_SECINFO_TCS,
		SGX_SECINFO_SECS | (1ULL << 6),		/* reserved bit 6 */
		SGX_SECINFO_SECS | (1ULL << 16),	/* reserved bits 63:16 */
		SGX_SECINFO_SECS | SGX_SECINFO_PENDING, /* SGX2 state: EACCEPT only */
	};

	/* busy is a valid page: the SECINFO #GP must come before its #PF. */
	ecreate_operands();
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), busy));
	for (unsigned int i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		ecreate_operands();
		secinfo_buf[0].flags = bad_flags[i];
		fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), busy));
		fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	}
	ecreate_operands();
	secinfo_buf[0].reserved[55] = 1;
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), busy));
	assert_false(frame_valid(frame));

	/* RWX are not checked (and the EPCM's are 0). */
	ecreate_operands();
	secinfo_buf[0].flags = SGX_SECINFO_SECS | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X;
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_int_equal(fixture_epcm(f, frame)->rwx, 0);
	assert_int_equal(__eremove(lp(), frame), 0);
	assert_int_equal(__eremove(lp(), busy), 0);
}

static void test_ecreate_conflict(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint64_t index = (uint64_t)sgx_frame_index(f->cpu, frame);

	ecreate_operands();
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	/* In use by another leaf and valid: the conflict #GP wins over the #PF. */
	assert_true(sgx_page_trylock_shared(f->cpu, index));
	fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	sgx_page_unlock_shared(f->cpu, index);
	assert_int_equal(__eremove(lp(), frame), 0);
}

static void test_ecreate_page_valid(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	ecreate_operands();
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	pginfo->contents = fixture_bad_pointer();
	fixture_assert_pf(lp(), ecreate_at(PTR(pageinfo_buf), frame), frame, true);
	assert_true(sgx_lp_last_fault(lp())->error_code & X86_PF_WRITE);
	/* The valid SECS was not disturbed by the failed attempt. */
	assert_true(frame_valid(frame));
	assert_int_equal(sgx_secs_page(f->cpu, sgx_frame_index(f->cpu, frame))->size, FIXTURE_SIZE);
	assert_int_equal(__eremove(lp(), frame), 0);
}

struct secs_rule {
	const char *what;
	void (*apply)(struct sgx_secs *secs);
};

static void xfrm_no_sse(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x1;
}
static void xfrm_no_x87(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x2;
}
static void xfrm_unsupported(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x3 | (1ULL << 62);
}
static void xfrm_avx512_partial(struct sgx_secs *s)
{
	s->attributes.xfrm = 0x3 | (1ULL << 5);
}
static void misc_unsupported(struct sgx_secs *s)
{
	s->miscselect = 0x2;
}
static void misc_mixed(struct sgx_secs *s)
{
	s->miscselect = SGX_MISC_EXINFO | 0x4;
}
static void ssa_zero(struct sgx_secs *s)
{
	s->ssa_frame_size = 0;
}
static void base_noncanonical(struct sgx_secs *s)
{
	s->base = 0x0000800000000000ULL;
}
static void base_32bit_high(struct sgx_secs *s)
{
	s->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	s->base = 1ULL << 32;
}
static void size_too_big_64(struct sgx_secs *s)
{
	s->size = 1ULL << 56;
	s->base = 0;
}
static void size_too_big_32(struct sgx_secs *s)
{
	s->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	s->size = 1ULL << 31;
	s->base = 0;
}
static void size_small(struct sgx_secs *s)
{
	s->size = 4096;
}
static void size_not_pow2(struct sgx_secs *s)
{
	s->size = 0x3000;
}
static void base_misaligned(struct sgx_secs *s)
{
	s->base = FIXTURE_BASE + 0x8000;
}
static void attr_init(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_INIT;
}
static void attr_bit3(struct sgx_secs *s)
{
	s->attributes.flags |= 1ULL << 3;
}
static void attr_cet(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_CET;
}
static void attr_aexnotify(struct sgx_secs *s)
{
	s->attributes.flags |= SGX_ATTR_ASYNC_EXIT_NOTIFY;
}
static void attr_high(struct sgx_secs *s)
{
	s->attributes.flags |= 1ULL << 63;
}
static void reserved1(struct sgx_secs *s)
{
	s->reserved1[0] = 1;
}
static void reserved2(struct sgx_secs *s)
{
	s->reserved2[31] = 1;
}
static void reserved3(struct sgx_secs *s)
{
	s->reserved3[7] = 1;
}
static void reserved4(struct sgx_secs *s)
{
	s->reserved4[3833] = 1;
}
static void configid_no_kss(struct sgx_secs *s)
{
	s->config_id[63] = 1;
}
static void configsvn_no_kss(struct sgx_secs *s)
{
	s->config_svn = 1;
}

static void test_ecreate_secs_rules(void **state)
{
	static const struct secs_rule rules[] = {
		{ "XFRM without SSE", xfrm_no_sse },
		{ "XFRM without x87", xfrm_no_x87 },
		{ "XFRM bit 62", xfrm_unsupported },
		{ "XFRM AVX-512 partial", xfrm_avx512_partial },
		{ "MISCSELECT bit 1", misc_unsupported },
		{ "MISCSELECT EXINFO and bit 2", misc_mixed },
		{ "SSAFRAMESIZE 0", ssa_zero },
		{ "non-canonical BASEADDR", base_noncanonical },
		{ "32-bit BASEADDR above 4G", base_32bit_high },
		{ "SIZE 2^56 in 64-bit mode", size_too_big_64 },
		{ "SIZE 2^31 in 32-bit mode", size_too_big_32 },
		{ "SIZE 4096", size_small },
		{ "SIZE not a power of two", size_not_pow2 },
		{ "BASEADDR not aligned to SIZE", base_misaligned },
		{ "ATTRIBUTES.INIT", attr_init },
		{ "ATTRIBUTES bit 3", attr_bit3 },
		{ "ATTRIBUTES.CET", attr_cet },
		{ "ATTRIBUTES.AEXNOTIFY", attr_aexnotify },
		{ "ATTRIBUTES bit 63", attr_high },
		{ "reserved1", reserved1 },
		{ "reserved2", reserved2 },
		{ "reserved3", reserved3 },
		{ "reserved4", reserved4 },
		{ "CONFIGID without KSS", configid_no_kss },
		{ "CONFIGSVN without KSS", configsvn_no_kss },
	};
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint64_t index = (uint64_t)sgx_frame_index(f->cpu, frame);

	for (unsigned int i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		ecreate_operands();
		rules[i].apply(&secs_src);
		print_message("ECREATE rule: %s\n", rules[i].what);
		fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
		/* Nothing left behind: invalid, storage punched. */
		assert_false(frame_valid(frame));
		assert_null(sgx_frame_kva(f->cpu, index));
		assert_int_equal(f->cpu->pool_kva[index * 4096 + 8], 0);
	}

	/* The limits themselves are fine: the largest sizes, a 32-bit enclave, EXINFO, KSS. */
	ecreate_operands();
	secs_src.size = 1ULL << 35;
	secs_src.base = 1ULL << 35;
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_int_equal(__eremove(lp(), frame), 0);
	ecreate_operands();
	secs_src.attributes.flags = 0;
	secs_src.size = 1ULL << 30;
	secs_src.base = 1ULL << 30;
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_int_equal(__eremove(lp(), frame), 0);
	ecreate_operands();
	secs_src.miscselect = SGX_MISC_EXINFO;
	secs_src.attributes.flags |= SGX_ATTR_KSS;
	secs_src.config_id[0] = 0xCF;
	secs_src.config_svn = 7;
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_int_equal(sgx_secs_page(f->cpu, index)->config_svn, 7);
	assert_int_equal(__eremove(lp(), frame), 0);
}

static void test_ecreate_ssa_frame_size(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint32_t needed = 0;
	uint64_t xfrm = 0;

	/* The largest legal XFRM on this host: its XSAVE area decides the minimum frame. */
	xfrm = 0x3;
	if (sgx_xfrm_legal(f->cpu, f->cpu->xfrm_mask))
		xfrm = f->cpu->xfrm_mask;
	needed = sgx_xsave_size(f->cpu, xfrm) + SGX_SSA_GPRS_SIZE + SGX_SSA_MISC_EXINFO_SIZE;
	ecreate_operands();
	secs_src.attributes.xfrm = xfrm;
	secs_src.miscselect = SGX_MISC_EXINFO;
	secs_src.ssa_frame_size = (needed + 4095) / 4096;
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	assert_int_equal(__eremove(lp(), frame), 0);
	if (needed > 4096 &&
	    (needed - SGX_SSA_MISC_EXINFO_SIZE + 4095) / 4096 < (needed + 4095) / 4096) {
		/* EXINFO's 16 bytes tip it over a page boundary. */
		secs_src.ssa_frame_size = (needed + 4095) / 4096 - 1;
		fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	}
	if (needed > 4096) {
		secs_src.ssa_frame_size = 1;
		fixture_assert_gp(lp(), ecreate_at(PTR(pageinfo_buf), frame));
	}
}

static void test_ecreate_effects(void **state)
{
	sgx_paddr_t a = cpu_fixture_alloc(f), b = cpu_fixture_alloc(f);
	uint64_t ia = (uint64_t)sgx_frame_index(f->cpu, a),
		 ib = (uint64_t)sgx_frame_index(f->cpu, b);
	struct sgx_secs_hidden *ha, *hb;
	struct sgx_epcm_entry *ea;
	struct sgx_secs *sa;

	ecreate_operands();
	/* Fields that ECREATE overwrites, whatever the source page says. */
	memset(secs_src.mrenclave, 0xEE, sizeof(secs_src.mrenclave));
	memset(secs_src.mrsigner, 0xEE, sizeof(secs_src.mrsigner));
	secs_src.isv_prod_id = 5;
	secs_src.isv_svn = 6;
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), a));
	fixture_assert_ok(lp(), ecreate_at(PTR(pageinfo_buf), b));

	ea = sgx_epcm(f->cpu, ia);
	assert_int_equal(ea->valid, 1);
	assert_int_equal(ea->page_type, SGX_PAGE_TYPE_SECS);
	assert_int_equal(ea->rwx, 0);
	assert_int_equal(ea->state, 0);
	assert_int_equal(ea->linaddr, 0);
	sa = sgx_secs_page(f->cpu, ia);
	assert_int_equal(sa->size, FIXTURE_SIZE);
	assert_int_equal(sa->base, FIXTURE_BASE);
	assert_int_equal(sa->attributes.flags, SGX_ATTR_MODE64BIT);
	for (unsigned int i = 0; i < 32; i++) {
		assert_int_equal(sa->mrenclave[i], 0);
		assert_int_equal(sa->mrsigner[i], 0);
	}
	assert_int_equal(sa->isv_prod_id, 0);
	assert_int_equal(sa->isv_svn, 0);

	ha = sgx_secs_hidden(f->cpu, ia);
	hb = sgx_secs_hidden(f->cpu, ib);
	assert_int_not_equal(ha->eid, 0);
	assert_int_not_equal(ha->eid, hb->eid);
	assert_int_equal(ha->chldcnt, 0);
	assert_int_equal(ha->enclavecontext, a);
	assert_int_equal(ha->measurement.blocks, 1);
	assert_int_equal(__eremove(lp(), a), 0);
	assert_int_equal(__eremove(lp(), b), 0);
}

/* --- the synthetic examples of ref §4 ------------------------------------------------------ */

static void assert_hidden_mrenclave(const struct fixture_enclave *en, const char *expected)
{
	uint8_t mr[32];
	char text[65];

	sgx_measure_final(&fixture_hidden(en)->measurement, mr);
	for (unsigned int i = 0; i < 32; i++)
		sprintf(text + 2 * i, "%02x", mr[i]);
	assert_string_equal(text, expected);
}

static void test_synthetic_mrenclave(void **state)
{
	static struct sgx_tcs tcs __attribute__((aligned(4096)));

	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	e.secs_image.size = 0x2000;
	assert_int_equal(fixture_ecreate(&e), 0);
	assert_hidden_mrenclave(&e,
				"9e197c8837c6d65632dbdd59cd7df4f1a25b68d8e4e5eb6ca3b20b05311fecb8");

	assert_int_equal(
		fixture_eadd(&e, 0, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, NULL, true),
		0);
	assert_hidden_mrenclave(&e,
				"1f2cf80bd03ffd8bfac33f7cba128aff511c3af666b93bb66e7ef718418bdade");

	/* A TCS (a valid image: all zeros is one) given RWX: measured as 0x100 all the same. */
	memset(&tcs, 0, sizeof(tcs));
	assert_int_equal(
		fixture_eadd(&e, 0x1000,
			     SGX_SECINFO_TCS | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X, &tcs,
			     false),
		0);
	assert_hidden_mrenclave(&e,
				"2280eda7599b4f23813224621835d69de20107e0d8b13881e19481578669e02c");
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, 1 + 1 + 16 * 5 + 1);
	fixture_enclave_destroy(&e);
}

/* --- EADD ------------------------------------------------------------------------------------ */

static void eadd_operands(uint64_t offset, uint64_t flags)
{
	memset(pageinfo_buf, 0, sizeof(pageinfo_buf));
	memset(page_src, 0x11, sizeof(page_src));
	secinfo_buf[0] = (struct sgx_secinfo){ .flags = flags };
	pginfo->addr = FIXTURE_BASE + offset;
	pginfo->contents = PTR(page_src);
	pginfo->metadata = PTR(&secinfo_buf[0]);
	pginfo->secs = e.secs;
}

static int eadd_at(uint64_t pageinfo, sgx_paddr_t frame)
{
	return sgx_encls(lp(), EADD, pageinfo, frame, 0, NULL);
}

static void new_enclave(void)
{
	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_int_equal(fixture_ecreate(&e), 0);
}

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static void test_eadd_alignment_and_epc(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	new_enclave();
	eadd_operands(0x4000, REG_RW);
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf) + 8, NOT_EPC));
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame + 0x800));
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), NOT_EPC + 1));
	fixture_assert_pf(lp(), eadd_at(fixture_bad_pointer(), NOT_EPC), NOT_EPC, true);
	assert_false(frame_valid(frame));
	assert_int_equal(fixture_hidden(&e)->chldcnt, 0);
	fixture_enclave_destroy(&e);
}

static void test_eadd_bad_pointers(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint64_t blocks;

	new_enclave();
	blocks = fixture_hidden(&e)->measurement.blocks;
	eadd_operands(0x4000, REG_RW);
	fixture_assert_pf(lp(), eadd_at(fixture_bad_pointer(), frame), fixture_bad_pointer(),
			  false);
	/* SRCPGE unreadable and LINADDR outside ELRANGE: the copy (6) comes before the range (8). */
	eadd_operands(0x4000, REG_RW);
	pginfo->contents = fixture_bad_pointer();
	pginfo->addr = FIXTURE_BASE + FIXTURE_SIZE;
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), frame), fixture_bad_pointer(), false);
	/* SECINFO unreadable. */
	eadd_operands(0x4000, REG_RW);
	pginfo->metadata = fixture_bad_pointer();
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), frame), fixture_bad_pointer(), false);
	assert_false(frame_valid(frame));
	assert_int_equal(fixture_hidden(&e)->chldcnt, 0);
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, blocks);
	fixture_enclave_destroy(&e);
}

static void test_eadd_operand_alignment(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	new_enclave();
	/* Each misalignment with SECS also outside the EPC: #GP (2) before #PF(SECS). */
	eadd_operands(0x4000, REG_RW);
	pginfo->contents += 8;
	pginfo->secs = NOT_EPC;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	eadd_operands(0x4000, REG_RW);
	pginfo->secs = NOT_EPC + 0x10;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	eadd_operands(0x4000, REG_RW);
	pginfo->metadata += 32;
	pginfo->secs = NOT_EPC;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	eadd_operands(0x4000, REG_RW);
	pginfo->addr += 0x100;
	pginfo->secs = NOT_EPC;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	assert_false(frame_valid(frame));
	fixture_enclave_destroy(&e);
}

static void test_eadd_secinfo(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), used;
	static const uint64_t bad_flags[] = {
		SGX_SECINFO_SECS,
		SGX_SECINFO_VA,
		SGX_SECINFO_TRIM,
		(uint64_t)5 << 8, /* SS_FIRST: no CET */
		REG_RW | (1ULL << 7),
		REG_RW | (1ULL << 40),
		REG_RW | SGX_SECINFO_PENDING,
		REG_RW | SGX_SECINFO_MODIFIED,
		REG_RW | SGX_SECINFO_PR,
	};

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, NULL, false), 0);
	used = fixture_page_frame(&e, 0x4000);
	/* SECS outside the EPC would be #PF at step 2; a bad SECINFO on a valid page is #GP (3). */
	for (unsigned int i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		eadd_operands(0x5000, bad_flags[i]);
		fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), used));
		fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	}
	eadd_operands(0x5000, REG_RW);
	secinfo_buf[0].reserved[0] = 1;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), used));
	/* SECINFO unreadable, target valid: the read (3) is before the EPCM check (4). */
	eadd_operands(0x5000, REG_RW);
	pginfo->metadata = fixture_bad_pointer();
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), used), fixture_bad_pointer(), false);
	assert_false(frame_valid(frame));
	assert_int_equal(fixture_hidden(&e)->chldcnt, 1);
	fixture_enclave_destroy(&e);
}

static void test_eadd_target_page(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), used, stranger = cpu_fixture_alloc(f);
	uint64_t index = (uint64_t)sgx_frame_index(f->cpu, frame);

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, NULL, false), 0);
	used = fixture_page_frame(&e, 0x4000);
	/* Target valid and SECS not a SECS: #PF(RCX) (4) before #PF(SECS) (5). */
	eadd_operands(0x5000, REG_RW);
	pginfo->secs = stranger;
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), used), used, true);
	/* Target in use by another leaf and valid: #GP. */
	assert_true(sgx_page_trylock_shared(f->cpu, (uint64_t)sgx_frame_index(f->cpu, used)));
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), used));
	sgx_page_unlock_shared(f->cpu, (uint64_t)sgx_frame_index(f->cpu, used));
	/* In use and SECS invalid: #GP (4) before #PF (5). */
	assert_true(sgx_page_trylock_excl(f->cpu, index));
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	sgx_page_unlock_excl(f->cpu, index);
	assert_false(frame_valid(frame));
	fixture_enclave_destroy(&e);
}

static void test_eadd_secs_checks(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f), reg;
	uint64_t secs_index;

	new_enclave();
	secs_index = fixture_secs_index(&e);
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, NULL, false), 0);
	reg = fixture_page_frame(&e, 0x4000);

	/* SECS outside the EPC and SECINFO unreadable: #PF(SECS) (2) before the read (3). */
	eadd_operands(0x5000, REG_RW);
	pginfo->secs = NOT_EPC;
	pginfo->metadata = fixture_bad_pointer();
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), frame), NOT_EPC, true);
	/* SECS is a REG page / an invalid page, and SRCPGE unreadable: #PF(SECS) (5) first. */
	eadd_operands(0x5000, REG_RW);
	pginfo->secs = reg;
	pginfo->contents = fixture_bad_pointer();
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), frame), reg, true);
	eadd_operands(0x5000, REG_RW);
	pginfo->secs = frame;
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), cpu_fixture_alloc(f)), frame, true);
	/* SECS held exclusively (e.g. EREMOVE/EWB of it in flight) and SRCPGE bad: #GP (5). */
	assert_true(sgx_page_trylock_excl(f->cpu, secs_index));
	eadd_operands(0x5000, REG_RW);
	pginfo->contents = fixture_bad_pointer();
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	sgx_page_unlock_excl(f->cpu, secs_index);
	assert_false(frame_valid(frame));
	assert_int_equal(fixture_hidden(&e)->chldcnt, 1);
	fixture_enclave_destroy(&e);
}

static void test_eadd_contents_rules(void **state)
{
	static struct sgx_tcs tcs __attribute__((aligned(4096)));
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint64_t secs_index;

	new_enclave();
	secs_index = fixture_secs_index(&e);
	/* A TCS with a non-zero reserved byte, and the measurement busy: #GP either way; with the
	 * measurement lock free the rule alone answers, and nothing is measured. */
	fixture_tcs_image(&tcs);
	tcs.reserved[100] = 1;
	eadd_operands(0x0, SGX_SECINFO_TCS);
	memcpy(page_src, &tcs, sizeof(tcs));
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	/* REG with W but not R. */
	eadd_operands(0x4000, SGX_SECINFO_REG | SGX_SECINFO_W);
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	eadd_operands(0x4000, SGX_SECINFO_REG | SGX_SECINFO_W | SGX_SECINFO_X);
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, 1);
	/* 64-bit enclaves do not care about the limits. */
	fixture_tcs_image(&tcs);
	tcs.fslimit = 0;
	eadd_operands(0x0, SGX_SECINFO_TCS);
	memcpy(page_src, &tcs, sizeof(tcs));
	fixture_assert_ok(lp(), eadd_at(PTR(pageinfo_buf), frame));
	assert_int_equal(__eremove(lp(), frame), 0);
	fixture_enclave_destroy(&e);
	(void)secs_index;

	/* A 32-bit enclave's TCS limits must end in 0xFFF. */
	fixture_enclave_init(&e, f, 0);
	assert_int_equal(fixture_ecreate(&e), 0);
	fixture_tcs_image(&tcs);
	tcs.gslimit = 0x1000;
	eadd_operands(0x0, SGX_SECINFO_TCS);
	memcpy(page_src, &tcs, sizeof(tcs));
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	tcs.gslimit = 0x1FFF;
	memcpy(page_src, &tcs, sizeof(tcs));
	fixture_assert_ok(lp(), eadd_at(PTR(pageinfo_buf), frame));
	assert_int_equal(__eremove(lp(), frame), 0);
	fixture_enclave_destroy(&e);
}

static void test_eadd_linaddr(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	new_enclave();
	eadd_operands(0, REG_RW);
	pginfo->addr = FIXTURE_BASE - 0x1000;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	pginfo->addr = FIXTURE_BASE + FIXTURE_SIZE;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	pginfo->addr = 0;
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	/* The last page of ELRANGE is inside. */
	pginfo->addr = FIXTURE_BASE + FIXTURE_SIZE - 0x1000;
	fixture_assert_ok(lp(), eadd_at(PTR(pageinfo_buf), frame));
	assert_int_equal(__eremove(lp(), frame), 0);
	fixture_enclave_destroy(&e);
}

static void test_eadd_measurement_busy(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint64_t secs_index;

	new_enclave();
	secs_index = fixture_secs_index(&e);
	assert_true(sgx_trylock(&f->cpu->frames[secs_index].measure_lock));
	eadd_operands(0x4000, REG_RW);
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	/* LINADDR outside is #GP too, before (8) the busy check (9); and a bad SRCPGE (6) is a #PF
	 * even while the measurement is busy. */
	pginfo->contents = fixture_bad_pointer();
	fixture_assert_pf(lp(), eadd_at(PTR(pageinfo_buf), frame), fixture_bad_pointer(), false);
	sgx_unlock(&f->cpu->frames[secs_index].measure_lock);
	assert_false(frame_valid(frame));
	fixture_enclave_destroy(&e);
}

static void test_eadd_after_einit(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	eadd_operands(0x8000, REG_RW);
	fixture_assert_gp(lp(), eadd_at(PTR(pageinfo_buf), frame));
	assert_false(frame_valid(frame));
	assert_int_equal(fixture_hidden(&e)->chldcnt, e.nr_pages);
	fixture_enclave_destroy(&e);
}

static uint8_t *slice_page(const struct fixture_enclave *en, uint64_t offset)
{
	struct sgx_slice *slice = sgx_cpu_secs_slice(f->cpu, en->secs);
	uint8_t *p;

	assert_non_null(slice);
	p = sgx_slice_kva(slice) + offset;
	sgx_slice_put(slice);
	return p;
}

static void test_eadd_effects(void **state)
{
	sgx_paddr_t frame;
	struct sgx_epcm_entry *entry;
	struct sgx_slice *slice;
	uint8_t buf[4096];

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x7000, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X,
				      fixture_code_page, false),
			 0);
	frame = fixture_page_frame(&e, 0x7000);
	entry = fixture_epcm(f, frame);
	assert_int_equal(entry->valid, 1);
	assert_int_equal(entry->page_type, SGX_PAGE_TYPE_REG);
	assert_int_equal(entry->rwx, SGX_SECINFO_R | SGX_SECINFO_X);
	assert_int_equal(entry->state, 0);
	assert_int_equal(entry->secs, e.secs);
	assert_int_equal(entry->linaddr, FIXTURE_BASE + 0x7000);
	assert_int_equal(fixture_hidden(&e)->chldcnt, 1);
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, 2);

	/* The contents are in the enclave's slice at the linear offset, as the runtime maps it. */
	slice = sgx_cpu_secs_slice(f->cpu, e.secs);
	assert_non_null(slice);
	assert_int_equal(sgx_slice_size(slice), FIXTURE_SIZE);
	assert_int_equal(pread(sgx_slice_fd(slice), buf, sizeof(buf), 0x7000),
			 (ssize_t)sizeof(buf));
	assert_memory_equal(buf, fixture_code_page, sizeof(buf));
	assert_ptr_equal(sgx_frame_kva(f->cpu, (uint64_t)sgx_frame_index(f->cpu, frame)),
			 sgx_slice_kva(slice) + 0x7000);
	sgx_slice_put(slice);
	fixture_enclave_destroy(&e);
}

static void test_eadd_tcs_effects(void **state)
{
	static struct sgx_tcs tcs __attribute__((aligned(4096)));
	const struct sgx_tcs *stored;
	sgx_paddr_t frame;

	new_enclave();
	fixture_tcs_image(&tcs);
	tcs.flags = SGX_TCS_DBGOPTIN;
	tcs.cssa = 1;
	tcs.aep = 0x1234;
	tcs.state = 1;
	assert_int_equal(
		fixture_eadd(&e, 0, SGX_SECINFO_TCS | SGX_SECINFO_R | SGX_SECINFO_W, &tcs, true),
		0);
	frame = fixture_page_frame(&e, 0);
	assert_int_equal(fixture_epcm(f, frame)->page_type, SGX_PAGE_TYPE_TCS);
	assert_int_equal(fixture_epcm(f, frame)->rwx, 0);
	stored = (const struct sgx_tcs *)slice_page(&e, 0);
	assert_int_equal(stored->flags, 0);
	assert_int_equal(stored->cssa, 0);
	assert_int_equal(stored->aep, 0);
	assert_int_equal(stored->state, 0);
	assert_int_equal(stored->ossa, FIXTURE_SSA_OFFSET);
	assert_int_equal(stored->nssa, FIXTURE_NSSA);
	/* The side measurement (fixture) clears the same fields: both agree at EINIT. */
	for (unsigned int i = 1; i <= 3; i++)
		assert_int_equal(fixture_eadd(&e, i * 0x1000, REG_RW, NULL, true), 0);
	fixture_enclave_sign(&e);
	{
		uint8_t signer[32];

		sgx_sigstruct_mrsigner(&e.sigstruct, signer);
		fixture_set_lepubkeyhash(lp(), signer);
	}
	fixture_assert_ok(lp(), fixture_einit(&e, lp()));
	fixture_enclave_destroy(&e);
}

/* --- EEXTEND --------------------------------------------------------------------------------- */

static void test_eextend_operands(void **state)
{
	sgx_paddr_t reg;

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, NULL, false), 0);
	reg = fixture_page_frame(&e, 0x4000);
	/* RBX misaligned and not EPC: #GP; RBX not EPC and RCX misaligned: #PF(RBX). */
	fixture_assert_gp(lp(), __eextend(lp(), NOT_EPC + 8, reg));
	fixture_assert_pf(lp(), __eextend(lp(), NOT_EPC, reg + 1), NOT_EPC, true);
	/* RCX misaligned and not EPC: #GP; RCX not EPC: #PF(RCX). */
	fixture_assert_gp(lp(), __eextend(lp(), e.secs, NOT_EPC + 0x80));
	fixture_assert_gp(lp(), __eextend(lp(), e.secs, reg + 0x10));
	fixture_assert_pf(lp(), __eextend(lp(), e.secs, NOT_EPC + 0x100), NOT_EPC + 0x100, true);
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, 2);
	/* Every 256-byte chunk is fine. */
	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg + 0xF00));
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, 7);
	fixture_enclave_destroy(&e);
}

static void test_eextend_page_checks(void **state)
{
	sgx_paddr_t reg, invalid = cpu_fixture_alloc(f);
	uint64_t reg_index;
	static struct fixture_enclave other;

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, NULL, false), 0);
	reg = fixture_page_frame(&e, 0x4000);
	reg_index = (uint64_t)sgx_frame_index(f->cpu, reg);

	/* In use and (say) the wrong SECS: #GP for the conflict. */
	assert_true(sgx_page_trylock_excl(f->cpu, reg_index));
	fixture_assert_gp(lp(), __eextend(lp(), e.secs, reg));
	sgx_page_unlock_excl(f->cpu, reg_index);
	/* Shared holders (another EEXTEND, EBLOCK) do not conflict. */
	assert_true(sgx_page_trylock_shared(f->cpu, reg_index));
	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg));
	sgx_page_unlock_shared(f->cpu, reg_index);
	/* Invalid page, with the wrong SECS too: #PF(RCX) before the SECS #GP. */
	fixture_assert_pf(lp(), __eextend(lp(), reg, invalid + 0x100), invalid + 0x100, true);
	/* A SECS page is not REG/TCS: #PF. */
	fixture_assert_pf(lp(), __eextend(lp(), e.secs, e.secs), e.secs, true);
	/* The page belongs to another enclave: #GP. */
	fixture_enclave_init(&other, f, SGX_ATTR_MODE64BIT);
	assert_int_equal(fixture_ecreate(&other), 0);
	fixture_assert_gp(lp(), __eextend(lp(), other.secs, reg));
	fixture_assert_gp(lp(), __eextend(lp(), reg, reg));
	fixture_enclave_destroy(&other);
	fixture_enclave_destroy(&e);
}

static void test_eextend_measurement(void **state)
{
	sgx_paddr_t reg;
	uint64_t secs_index;
	struct sgx_measurement expect;
	uint8_t a[32], b[32];

	new_enclave();
	secs_index = fixture_secs_index(&e);
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, fixture_data_page, false), 0);
	reg = fixture_page_frame(&e, 0x4000);
	assert_true(sgx_trylock(&f->cpu->frames[secs_index].measure_lock));
	fixture_assert_gp(lp(), __eextend(lp(), e.secs, reg));
	sgx_unlock(&f->cpu->frames[secs_index].measure_lock);

	/* One chunk at offset 0x4300 hashes the header block then the data. */
	expect = fixture_hidden(&e)->measurement;
	sgx_measure_eextend(&expect, 0x4300, fixture_data_page + 0x300);
	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg + 0x300));
	sgx_measure_final(&expect, a);
	sgx_measure_final(&fixture_hidden(&e)->measurement, b);
	assert_memory_equal(a, b, 32);
	assert_int_equal(fixture_hidden(&e)->measurement.blocks, expect.blocks);
	fixture_enclave_destroy(&e);

	/* After EINIT: #GP. */
	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	fixture_assert_gp(lp(),
			  __eextend(lp(), e.secs, fixture_page_frame(&e, FIXTURE_CODE_OFFSET)));
	fixture_enclave_destroy(&e);
}

/*
 * EEXTEND hashes the page as it is now: right after EADD (the LP's copy of it), from another LP
 * (the storage), and after a debugger changed it (EDBGWR), never a stale copy.
 */
static void test_eextend_current_contents(void **state)
{
	struct sgx_lp *other = sgx_cpu_get_lp_id(f->cpu, 1);
	struct sgx_measurement expect;
	static uint8_t page[4096];
	sgx_paddr_t reg;
	uint8_t a[32], b[32];

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, fixture_data_page, false), 0);
	reg = fixture_page_frame(&e, 0x4000);
	memcpy(page, fixture_data_page, sizeof(page));
	expect = fixture_hidden(&e)->measurement;

	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg));
	sgx_measure_eextend(&expect, 0x4000, page);
	fixture_assert_ok(other, __eextend(other, e.secs, reg + 0x100));
	sgx_measure_eextend(&expect, 0x4100, page + 0x100);
	fixture_assert_ok(lp(), __edbgwr(lp(), reg + 0x200, 0x1122334455667788ULL));
	memcpy(page + 0x200, &(uint64_t){ 0x1122334455667788ULL }, 8);
	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg + 0x200));
	sgx_measure_eextend(&expect, 0x4200, page + 0x200);
	fixture_assert_ok(other, __edbgwr(other, reg + 0x300, 0x99));
	memcpy(page + 0x300, &(uint64_t){ 0x99 }, 8);
	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg + 0x300));
	sgx_measure_eextend(&expect, 0x4300, page + 0x300);

	sgx_measure_final(&expect, a);
	sgx_measure_final(&fixture_hidden(&e)->measurement, b);
	assert_memory_equal(a, b, 32);
	sgx_cpu_put_lp(other);
	fixture_enclave_destroy(&e);
}

/* A frame reused by another EADD: EEXTEND hashes the new page, not the old one's copy. */
static void test_eextend_after_reuse(void **state)
{
	struct sgx_measurement expect;
	sgx_paddr_t reg;
	uint8_t a[32], b[32];

	new_enclave();
	assert_int_equal(fixture_eadd(&e, 0x4000, REG_RW, fixture_data_page, false), 0);
	reg = fixture_page_frame(&e, 0x4000);
	fixture_assert_ok(lp(), __eremove(lp(), reg));
	/* The same frame again, at another address, through another LP's EADD path. */
	{
		struct sgx_lp *other = sgx_cpu_get_lp_id(f->cpu, 1);

		eadd_operands(0x6000, REG_RW);
		memcpy(page_src, fixture_code_page, sizeof(page_src));
		fixture_assert_ok(other, sgx_encls(other, EADD, PTR(pageinfo_buf), reg, 0, NULL));
		sgx_cpu_put_lp(other);
	}
	expect = fixture_hidden(&e)->measurement;
	fixture_assert_ok(lp(), __eextend(lp(), e.secs, reg));
	sgx_measure_eextend(&expect, 0x6000, fixture_code_page);
	sgx_measure_final(&expect, a);
	sgx_measure_final(&fixture_hidden(&e)->measurement, b);
	assert_memory_equal(a, b, 32);
	e.pages[0].offset = 0x6000;
	fixture_enclave_destroy(&e);
}

/* --- EREMOVE --------------------------------------------------------------------------------- */

static void test_eremove_basics(void **state)
{
	sgx_paddr_t frame = cpu_fixture_alloc(f);
	uint64_t index = (uint64_t)sgx_frame_index(f->cpu, frame);

	fixture_assert_gp(lp(), __eremove(lp(), NOT_EPC + 4));
	fixture_assert_gp(lp(), __eremove(lp(), frame + 8));
	fixture_assert_pf(lp(), __eremove(lp(), NOT_EPC), NOT_EPC, true);
	/* An invalid page: success, nothing to do (the kernel's sanitising relies on it). */
	fixture_assert_ok(lp(), __eremove(lp(), frame));
	/* In use, even if invalid: #GP. */
	assert_true(sgx_page_trylock_shared(f->cpu, index));
	fixture_assert_gp(lp(), __eremove(lp(), frame));
	sgx_page_unlock_shared(f->cpu, index);
}

static void test_eremove_va(void **state)
{
	sgx_paddr_t va = cpu_fixture_alloc(f);

	assert_int_equal(__epa(lp(), va), 0);
	assert_true(frame_valid(va));
	fixture_assert_ok(lp(), __eremove(lp(), va));
	assert_false(frame_valid(va));
}

static void remove_all_children(struct fixture_enclave *en)
{
	while (en->nr_pages) {
		fixture_assert_ok(lp(), __eremove(lp(), en->pages[0].frame));
		fixture_enclave_forget(en, en->pages[0].offset);
	}
}

static void test_eremove_secs(void **state)
{
	struct sgx_secs_hidden *hidden;
	uint64_t secs_index;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	hidden = fixture_hidden(&e);
	secs_index = fixture_secs_index(&e);
	fixture_assert_status(lp(), __eremove(lp(), e.secs), SGX_CHILD_PRESENT, false);
	assert_true(frame_valid(e.secs));
	remove_all_children(&e);
	assert_int_equal(hidden->chldcnt, 0);
	/* Virtual children (ENCLV) count as well. */
	hidden->virtchildcnt = 1;
	fixture_assert_status(lp(), __eremove(lp(), e.secs), SGX_CHILD_PRESENT, false);
	hidden->virtchildcnt = 0;
	/* A SECS in use by another leaf (an EADD holding it): #GP, not CHILD_PRESENT logic. */
	assert_true(sgx_page_trylock_shared(f->cpu, secs_index));
	fixture_assert_gp(lp(), __eremove(lp(), e.secs));
	sgx_page_unlock_shared(f->cpu, secs_index);
	fixture_assert_ok(lp(), __eremove(lp(), e.secs));
	assert_false(frame_valid(e.secs));
	assert_null(sgx_frame_kva(f->cpu, secs_index));
	cpu_fixture_free(f, e.secs);
	e.secs = 0;
}

static void test_eremove_enclave_active(void **state)
{
	static struct sgx_secinfo secinfo;
	struct sgx_secs_hidden *hidden;
	sgx_paddr_t data, code;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	hidden = fixture_hidden(&e);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	code = fixture_page_frame(&e, FIXTURE_CODE_OFFSET);

	/* An LP inside the enclave (as EENTER would count it). */
	hidden->lps_inside = 1;
	fixture_assert_status(lp(), __eremove(lp(), data), SGX_ENCLAVE_ACT, false);
	assert_true(frame_valid(data));
	assert_int_equal(hidden->removing, 0);

	/* A trimmed page (TRIM, MODIFIED until EACCEPT) still cannot go... */
	secinfo.flags = SGX_SECINFO_TRIM;
	fixture_assert_ok(lp(), __emodt(lp(), &secinfo, code));
	fixture_assert_status(lp(), __eremove(lp(), code), SGX_ENCLAVE_ACT, false);
	/* ...but once the enclave accepted it (MODIFIED = 0), it can, threads inside or not, and
	 * the child count still drops (the SDM's early exit would leak it). */
	fixture_epcm(f, code)->state &= ~SGX_EPCM_MODIFIED;
	fixture_assert_ok(lp(), __eremove(lp(), code));
	assert_false(frame_valid(code));
	fixture_enclave_forget(&e, FIXTURE_CODE_OFFSET);
	assert_int_equal(hidden->chldcnt, e.nr_pages);

	hidden->lps_inside = 0;
	fixture_assert_ok(lp(), __eremove(lp(), data));
	fixture_enclave_forget(&e, FIXTURE_DATA_OFFSET);
	fixture_enclave_destroy(&e);
}

static void test_eremove_effects(void **state)
{
	sgx_paddr_t data;
	uint8_t *contents;
	uint64_t count;

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	data = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	contents = slice_page(&e, FIXTURE_DATA_OFFSET);
	assert_int_equal(contents[0], fixture_data_page[0]);
	count = fixture_hidden(&e)->chldcnt;
	fixture_assert_ok(lp(), __eremove(lp(), data));
	assert_false(frame_valid(data));
	assert_int_equal(fixture_hidden(&e)->chldcnt, count - 1);
	/* The storage is punched: the runtime's mapping would read zeros (a hole). */
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(contents[i], 0);
	assert_null(sgx_frame_kva(f->cpu, (uint64_t)sgx_frame_index(f->cpu, data)));
	/* Again: invalid now, so success. */
	fixture_assert_ok(lp(), __eremove(lp(), data));
	fixture_enclave_forget(&e, FIXTURE_DATA_OFFSET);
	fixture_enclave_destroy(&e);
}

static void test_standard_enclave(void **state)
{
	uint64_t before = cpu_fixture_nr_free(f);

	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_true(fixture_secs(&e)->attributes.flags & SGX_ATTR_INIT);
	assert_int_equal(fixture_hidden(&e)->chldcnt, 6);
	fixture_enclave_destroy(&e);
	assert_int_equal(cpu_fixture_nr_free(f), before);
}

#define T(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ecreate_alignment),
		T(ecreate_not_epc),
		T(ecreate_bad_pointers),
		T(ecreate_operand_alignment),
		T(ecreate_pageinfo_fields),
		T(ecreate_secinfo),
		T(ecreate_conflict),
		T(ecreate_page_valid),
		T(ecreate_secs_rules),
		T(ecreate_ssa_frame_size),
		T(ecreate_effects),
		T(synthetic_mrenclave),
		T(eadd_alignment_and_epc),
		T(eadd_bad_pointers),
		T(eadd_operand_alignment),
		T(eadd_secinfo),
		T(eadd_target_page),
		T(eadd_secs_checks),
		T(eadd_contents_rules),
		T(eadd_linaddr),
		T(eadd_measurement_busy),
		T(eadd_after_einit),
		T(eadd_effects),
		T(eadd_tcs_effects),
		T(eextend_operands),
		T(eextend_page_checks),
		T(eextend_measurement),
		T(eextend_current_contents),
		T(eextend_after_reuse),
		T(eremove_basics),
		T(eremove_va),
		T(eremove_secs),
		T(eremove_enclave_active),
		T(eremove_effects),
		T(standard_enclave),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
