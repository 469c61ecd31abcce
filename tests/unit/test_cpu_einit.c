/* SPDX-License-Identifier: MIT */
/*
 * EINIT and launch control (ref §3 EINIT, §5). Each check, and where two are broken at once, the
 * one the SDM puts first must answer.
 *
 *   1  RBX/RCX not 4K, RDX not 512-aligned: #GP      einit_alignment (+ RCX not EPC)
 *   1  RCX not EPC: #PF(RCX)                           einit_bad_pointers (+ SIGSTRUCT unreadable)
 *   1  SIGSTRUCT / EINITTOKEN unreadable: #PF(addr)   einit_bad_pointers (+ bad format)
 *   2  SIGSTRUCT format: SGX_INVALID_SIG_STRUCT       einit_sigstruct_format (+ event injected)
 *   3  unmasked event: SGX_UNMASKED_EVENT, retry ok   einit_unmasked_event (+ bad signature)
 *   3  signature / Q1 / Q2: SGX_INVALID_SIGNATURE     einit_signature (+ RCX not a SECS)
 *   4  SECS busy: #GP; not a SECS: #PF; initialized: #GP  einit_secs_checks (+ wrong hash)
 *   5  ISVFAMILYID without KSS: SGX_INVALID_SIG_STRUCT einit_kss (+ wrong ENCLAVEHASH)
 *   6  ENCLAVEHASH: SGX_INVALID_MEASUREMENT           einit_measurement (+ attribute mismatch)
 *   8  EINITTOKEN_KEY, MRSIGNER != MSRs: INVALID_ATTRIBUTE  einit_einittoken_key (+ no token)
 *   9  ATTRIBUTES under ATTRIBUTEMASK: INVALID_ATTRIBUTE    einit_attributes (+ MRSIGNER != MSRs)
 *  10  MISCSELECT under MISCMASK: INVALID_ATTRIBUTE   einit_miscselect
 *  11  no token, MRSIGNER != the LP's MSRs: SGX_INVALID_EINITTOKEN  einit_flc_msrs
 *  12  token: DEBUG rule, reserved, VALID bits: INVALID_EINITTOKEN  einit_token_fields
 *  12  token CPUSVNLE beyond: SGX_INVALID_CPUSVN      einit_token_cpusvn (+ bad MAC)
 *  12  token MAC: SGX_INVALID_EINITTOKEN              einit_token_mac (+ wrong MRENCLAVE)
 *  12  token MRENCLAVE/MRSIGNER: INVALID_MEASUREMENT; ATTRIBUTES: INVALID_ATTRIBUTE
 *                                                     einit_token_identity
 *  12  a valid token (non-FLC, MSRs locked to Intel's hash) launches  einit_token_valid
 *  13  commit: MRENCLAVE, MRSIGNER, ISV fields, PADDING, KSS ids, INIT  einit_commit, einit_kss
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cpu_fixture.h"
#include "cpu/sigstruct.h"

#define PTR(p) ((uint64_t)(uintptr_t)(p))
#define NOT_EPC 0x9000ULL

static struct cpu_fixture *f;
static struct fixture_enclave e;
static uint8_t signer[32];

static int setup_flc(void **state)
{
	f = cpu_fixture_create(NULL);
	memset(&e, 0, sizeof(e));
	fixture_signer_hash(signer);
	return 0;
}

static int setup_no_flc(void **state)
{
	struct cpu_fixture_config config = { .no_flc = true };

	f = cpu_fixture_create(&config);
	memset(&e, 0, sizeof(e));
	fixture_signer_hash(signer);
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

/* Built and signed, MSRs set to the signer: one EINIT away from running. */
static void ready(uint64_t attributes)
{
	fixture_enclave_init(&e, f, attributes);
	fixture_enclave_build(&e);
	fixture_enclave_sign(&e);
	if (sgx_cpu_config(f->cpu)->flc)
		fixture_set_lepubkeyhash(lp(), signer);
}

static int einit(void)
{
	return fixture_einit(&e, lp());
}

static int einit_raw(uint64_t sigstruct, sgx_paddr_t secs, uint64_t token)
{
	return sgx_encls(lp(), EINIT, sigstruct, secs, token, NULL);
}

static bool initialized(void)
{
	return fixture_secs(&e)->attributes.flags & SGX_ATTR_INIT;
}

static void resign(void)
{
	fixture_enclave_sign(&e);
}

static void test_einit_alignment(void **state)
{
	ready(SGX_ATTR_MODE64BIT);
	fixture_assert_gp(lp(), einit_raw(PTR(&e.sigstruct) + 8, NOT_EPC, PTR(&e.token)));
	fixture_assert_gp(lp(), einit_raw(PTR(&e.sigstruct), NOT_EPC + 0x10, PTR(&e.token)));
	fixture_assert_gp(lp(), einit_raw(PTR(&e.sigstruct), NOT_EPC, PTR(&e.token) + 256));
	fixture_assert_gp(lp(), einit_raw(PTR(&e.sigstruct), e.secs + 0x800, PTR(&e.token)));
	assert_false(initialized());
	fixture_assert_ok(lp(), einit());
}

static void test_einit_bad_pointers(void **state)
{
	uint64_t bad = fixture_bad_pointer();

	ready(SGX_ATTR_MODE64BIT);
	fixture_assert_pf(lp(), einit_raw(bad, NOT_EPC, PTR(&e.token)), NOT_EPC, true);
	fixture_assert_pf(lp(), einit_raw(bad, e.secs, PTR(&e.token)), bad, false);
	/* The token is read even when it would not be needed, and before the format check. */
	memset(e.sigstruct.header.header1, 0, 16);
	fixture_assert_pf(lp(), einit_raw(PTR(&e.sigstruct), e.secs, bad), bad, false);
	assert_false(initialized());
	resign();
	fixture_assert_ok(lp(), einit());
}

static void test_einit_sigstruct_format(void **state)
{
	struct sgx_cpu_stats stats;

	ready(SGX_ATTR_MODE64BIT);
	/* Each format error, with an unmasked event pending: the format check comes first and the
	 * event stays pending. */
	sgx_cpu_inject_unmasked_event(f->cpu, 1);
	e.sigstruct.header.header1[0] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	resign();
	e.sigstruct.header.vendor = 0x1234;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	resign();
	e.sigstruct.header.header2[15] = 7;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	resign();
	e.sigstruct.exponent = 65537;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	resign();
	e.sigstruct.reserved4[11] = 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	resign();
	e.sigstruct.body.reserved2[0] = 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	assert_int_equal(f->cpu->unmasked_events, 1);
	assert_false(initialized());
	resign();
	fixture_assert_status(lp(), einit(), SGX_UNMASKED_EVENT, false);
	fixture_assert_ok(lp(), einit());
	sgx_cpu_get_stats(f->cpu, &stats);
	assert_int_equal(stats.encls[EINIT], 8);
}

static void test_einit_unmasked_event(void **state)
{
	ready(SGX_ATTR_MODE64BIT);
	sgx_cpu_inject_unmasked_event(f->cpu, 2);
	/* With a bad signature too: the event window comes first. */
	e.sigstruct.signature[0] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_UNMASKED_EVENT, false);
	resign();
	fixture_assert_status(lp(), einit(), SGX_UNMASKED_EVENT, false);
	assert_false(initialized());
	/* The kernel retries: nothing was changed by the interrupted attempts. */
	fixture_assert_ok(lp(), einit());
	assert_true(initialized());
}

static void test_einit_signature(void **state)
{
	sgx_paddr_t reg;

	ready(SGX_ATTR_MODE64BIT);
	reg = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	/* A signed field changed after signing, with RCX a REG page: the signature (3) answers
	 * before the SECS is looked at (4). */
	e.sigstruct.body.isvsvn++;
	fixture_assert_status(lp(), einit_raw(PTR(&e.sigstruct), reg, PTR(&e.token)),
			      SGX_INVALID_SIGNATURE, false);
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIGNATURE, false);
	resign();
	e.sigstruct.signature[383] ^= 0x40;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIGNATURE, false);
	resign();
	e.sigstruct.q1[0] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIGNATURE, false);
	resign();
	e.sigstruct.q2[100] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIGNATURE, false);
	resign();
	e.sigstruct.modulus[0] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIGNATURE, false);
	assert_false(initialized());
	resign();
	fixture_assert_ok(lp(), einit());
}

static void test_einit_secs_checks(void **state)
{
	uint64_t secs_index;
	sgx_paddr_t reg, invalid = cpu_fixture_alloc(f);

	ready(SGX_ATTR_MODE64BIT);
	secs_index = fixture_secs_index(&e);
	reg = fixture_page_frame(&e, FIXTURE_DATA_OFFSET);
	/* The measurement is busy (an EADD/EEXTEND in flight), and ENCLAVEHASH is wrong: #GP. */
	e.sign_fields.isvsvn = 1;
	memset(e.measurement.sha.h, 0, sizeof(e.measurement.sha.h));
	resign();
	assert_true(sgx_trylock(&f->cpu->frames[secs_index].measure_lock));
	fixture_assert_gp(lp(), einit());
	sgx_unlock(&f->cpu->frames[secs_index].measure_lock);
	/* The SECS page held exclusively (EREMOVE/EWB of it): #GP. */
	assert_true(sgx_page_trylock_excl(f->cpu, secs_index));
	fixture_assert_gp(lp(), einit());
	sgx_page_unlock_excl(f->cpu, secs_index);
	/* Not a SECS: #PF(RCX) with PFEC.SGX, before the measurement would be compared. */
	fixture_assert_pf(lp(), einit_raw(PTR(&e.sigstruct), reg, PTR(&e.token)), reg, true);
	fixture_assert_pf(lp(), einit_raw(PTR(&e.sigstruct), invalid, PTR(&e.token)), invalid,
			  true);
	fixture_assert_status(lp(), einit(), SGX_INVALID_MEASUREMENT, false);
	cpu_fixture_free(f, invalid);

	/* Initialized already: #GP, even with a wrong ENCLAVEHASH. */
	fixture_enclave_destroy(&e);
	fixture_enclave_create(&e, f, SGX_ATTR_MODE64BIT);
	fixture_assert_gp(lp(), einit());
	e.measurement.sha.h[0] ^= 1;
	resign();
	fixture_assert_gp(lp(), einit());
}

static void test_einit_measurement(void **state)
{
	ready(SGX_ATTR_MODE64BIT);
	/* ENCLAVEHASH of another enclave, and the attributes mismatching too: measurement first. */
	e.measurement.sha.h[0] ^= 1;
	e.sign_fields.attributes.flags |= SGX_ATTR_DEBUG;
	resign();
	fixture_assert_status(lp(), einit(), SGX_INVALID_MEASUREMENT, false);
	assert_false(initialized());
	assert_int_equal(fixture_secs(&e)->mrenclave[0], 0);

	/* One more page after signing changes MRENCLAVE as well. */
	fixture_enclave_destroy(&e);
	ready(SGX_ATTR_MODE64BIT);
	assert_int_equal(fixture_eadd(&e, 0x8000, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, false), 0);
	fixture_assert_status(lp(), einit(), SGX_INVALID_MEASUREMENT, false);
	resign();
	fixture_assert_ok(lp(), einit());
}

static void test_einit_einittoken_key(void **state)
{
	ready(SGX_ATTR_MODE64BIT | SGX_ATTR_EINITTOKENKEY);
	/* A launch enclave signed by someone else than the MSR hash: INVALID_ATTRIBUTE, which wins
	 * over the missing token's INVALID_EINITTOKEN. */
	fixture_set_lepubkeyhash(lp(), (const uint8_t *)sgx_intel_lepubkeyhash);
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	assert_false(initialized());
	/* Signed by the MSR hash's key: it may. */
	fixture_set_lepubkeyhash(lp(), signer);
	fixture_assert_ok(lp(), einit());
	assert_true(fixture_secs(&e)->attributes.flags & SGX_ATTR_EINITTOKENKEY);
}

static void test_einit_attributes(void **state)
{
	ready(SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	/* The SIGSTRUCT says non-debug with DEBUG bound, the SECS is debug: refused, and that
	 * answer (9) wins over the MSRs not matching the signer (11). */
	e.sign_fields.attributes.flags = SGX_ATTR_MODE64BIT;
	resign();
	fixture_set_lepubkeyhash(lp(), (const uint8_t *)sgx_intel_lepubkeyhash);
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	fixture_set_lepubkeyhash(lp(), signer);
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	/* XFRM under the mask. */
	e.sign_fields.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	e.sign_fields.attributes.xfrm = 0x7;
	resign();
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	/* Bits outside the mask do not matter: DEBUG left unbound launches the debug SECS. */
	e.sign_fields.attributes.xfrm = 0x7;
	e.sign_fields.attributes_mask.xfrm = ~0x4ULL;
	e.sign_fields.attributes.flags = SGX_ATTR_MODE64BIT;
	e.sign_fields.attributes_mask.flags = ~SGX_ATTR_DEBUG;
	resign();
	fixture_assert_ok(lp(), einit());
	assert_true(fixture_secs(&e)->attributes.flags & SGX_ATTR_DEBUG);
}

static void test_einit_miscselect(void **state)
{
	fixture_enclave_init(&e, f, SGX_ATTR_MODE64BIT);
	e.secs_image.miscselect = SGX_MISC_EXINFO;
	fixture_enclave_build(&e);
	e.sign_fields.miscselect = 0;
	e.sign_fields.misc_mask = ~0U;
	fixture_enclave_sign(&e);
	fixture_set_lepubkeyhash(lp(), signer);
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	e.sign_fields.misc_mask = ~SGX_MISC_EXINFO;
	resign();
	fixture_assert_ok(lp(), einit());
	assert_int_equal(fixture_secs(&e)->miscselect, SGX_MISC_EXINFO);
}

static void test_einit_flc_msrs(void **state)
{
	struct sgx_lp *other = sgx_cpu_get_lp_id(f->cpu, 1);

	ready(SGX_ATTR_MODE64BIT);
	/* The MSRs at reset hold Intel's hash: a token-less launch of our signer is refused. */
	fixture_set_lepubkeyhash(lp(), (const uint8_t *)sgx_intel_lepubkeyhash);
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	/* The MSRs are per LP: writing LP 1's does nothing for an EINIT on LP 0... */
	fixture_set_lepubkeyhash(other, signer);
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	/* ...but EINIT on LP 1 sees them. */
	fixture_assert_ok(other, __einit(other, &e.sigstruct, &e.token, e.secs));
	assert_true(initialized());
	sgx_cpu_put_lp(other);
}

static void test_einit_commit(void **state)
{
	struct sgx_secs_hidden *hidden;
	struct sgx_secs *secs;
	uint8_t mrenclave[32];

	ready(SGX_ATTR_MODE64BIT);
	e.sign_fields.isvprodid = 0x1234;
	e.sign_fields.isvsvn = 0x42;
	memset(e.sign_fields.isvextprodid, 0xAB, 16); /* not a KSS enclave: not copied */
	resign();
	fixture_assert_ok(lp(), einit());
	secs = fixture_secs(&e);
	hidden = fixture_hidden(&e);
	sgx_measure_final(&e.measurement, mrenclave);
	assert_memory_equal(secs->mrenclave, mrenclave, 32);
	assert_memory_equal(secs->mrsigner, signer, 32);
	assert_int_equal(secs->isv_prod_id, 0x1234);
	assert_int_equal(secs->isv_svn, 0x42);
	assert_true(secs->attributes.flags & SGX_ATTR_INIT);
	assert_memory_equal(hidden->padding, sgx_pkcs1_sha256_padding, 352);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(hidden->isvextprodid[i], 0);
}

static void test_einit_kss(void **state)
{
	struct sgx_secs_hidden *hidden;

	ready(SGX_ATTR_MODE64BIT);
	/* ISVFAMILYID without KSS, and ENCLAVEHASH wrong too: INVALID_SIG_STRUCT (5) first. */
	memset(e.sign_fields.isvfamilyid, 0x77, 16);
	e.measurement.sha.h[3] ^= 1;
	resign();
	fixture_assert_status(lp(), einit(), SGX_INVALID_SIG_STRUCT, false);
	fixture_enclave_destroy(&e);

	ready(SGX_ATTR_MODE64BIT | SGX_ATTR_KSS);
	memset(e.sign_fields.isvfamilyid, 0x77, 16);
	memset(e.sign_fields.isvextprodid, 0x88, 16);
	resign();
	fixture_assert_ok(lp(), einit());
	hidden = fixture_hidden(&e);
	for (unsigned int i = 0; i < 16; i++) {
		assert_int_equal(hidden->isvfamilyid[i], 0x77);
		assert_int_equal(hidden->isvextprodid[i], 0x88);
	}
}

/* --- tokens (no FLC: the MSRs are locked to Intel's hash) --------------------------------- */

struct le_identity {
	uint16_t isvprodid, isvsvn;
	uint8_t cpusvn[16];
	struct sgx_attributes attributes;
	uint32_t miscselect;
	uint8_t keyid[32];
};

static void le_default(struct le_identity *le)
{
	memset(le, 0, sizeof(*le));
	le->isvprodid = 0x20;
	le->isvsvn = 3;
	memcpy(le->cpusvn, f->cpu->cpusvn, 16);
	le->attributes.flags = SGX_ATTR_INIT | SGX_ATTR_MODE64BIT | SGX_ATTR_EINITTOKENKEY;
	le->attributes.xfrm = 0x3;
	memset(le->keyid, 0x4B, sizeof(le->keyid));
}

/*
 * A token as a launch enclave makes it: EGETKEY(EINITTOKEN) derives the key from the LE's
 * identity (MRSIGNER = the MSR hash it was launched under, its ISVPRODID) and its KEYREQUEST's
 * CPUSVN, ISVSVN, KEYID and masked attributes; the LE records exactly those in the *LE fields and
 * MACs bytes 0..191 with AES-128-CMAC.
 */
static void token_mac(struct sgx_einittoken *token, const uint8_t le_mrsigner[32])
{
	struct sgx_keydep dep;
	uint8_t key[16];

	memset(&dep, 0, sizeof(dep));
	dep.keyname = SGX_KEYNAME_EINITTOKEN;
	dep.isvprodid = token->isvprodidle;
	dep.isvsvn = token->isvsvnle;
	memcpy(dep.owner_epoch, f->cpu->owner_epoch, 16);
	dep.attributes = token->maskedattributesle;
	memcpy(dep.mrsigner, le_mrsigner, 32);
	memcpy(dep.keyid, token->keyid, 32);
	memcpy(dep.seal_key_fuses, f->cpu->seal_fuses, 16);
	memcpy(dep.cpusvn, token->cpusvnle, 16);
	dep.miscselect = token->maskedmiscselectle;
	memcpy(dep.padding, sgx_pkcs1_sha256_padding, sizeof(dep.padding));
	sgx_derive_key(f->cpu, &dep, key);
	sgx_cmac(key, token, offsetof(struct sgx_einittoken, cpusvnle), token->mac);
}

static void make_token(struct sgx_einittoken *token, const struct le_identity *le,
		       const uint8_t le_mrsigner[32])
{
	memset(token, 0, sizeof(*token));
	token->valid = 1;
	token->attributes = e.secs_image.attributes;
	sgx_measure_final(&e.measurement, token->mrenclave);
	memcpy(token->mrsigner, signer, 32);
	memcpy(token->cpusvnle, le->cpusvn, 16);
	token->isvprodidle = le->isvprodid;
	token->isvsvnle = le->isvsvn;
	token->maskedmiscselectle = le->miscselect;
	token->maskedattributesle = le->attributes;
	memcpy(token->keyid, le->keyid, 32);
	token_mac(token, le_mrsigner);
}

static const uint8_t *intel_hash(void)
{
	return (const uint8_t *)sgx_intel_lepubkeyhash;
}

static void test_einit_token_valid(void **state)
{
	struct le_identity le;
	struct sgx_fault fault;

	ready(SGX_ATTR_MODE64BIT);
	/* Locked MSRs: no way to launch our signer without a token. */
	assert_int_equal(sgx_wrmsr(lp(), MSR_IA32_SGXLEPUBKEYHASH0, 0, &fault), -1);
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	le_default(&le);
	make_token(&e.token, &le, intel_hash());
	fixture_assert_ok(lp(), einit());
	assert_true(initialized());
	assert_memory_equal(fixture_secs(&e)->mrsigner, signer, 32);
}

static void test_einit_token_with_flc(void **state)
{
	struct le_identity le;

	/* With FLC the MSRs still hold Intel's hash until written; a token keyed to it works. */
	ready(SGX_ATTR_MODE64BIT);
	fixture_set_lepubkeyhash(lp(), intel_hash());
	le_default(&le);
	make_token(&e.token, &le, signer); /* keyed for the wrong LE signer */
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	fixture_assert_ok(lp(), einit());
}

static void test_einit_token_fields(void **state)
{
	struct le_identity le;

	ready(SGX_ATTR_MODE64BIT);
	le_default(&le);
	/* A debug-only token for a production enclave, and a CPUSVN from the future: the DEBUG
	 * rule answers first. */
	le.attributes.flags |= SGX_ATTR_DEBUG;
	le.cpusvn[0] = 0xFF;
	make_token(&e.token, &le, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	le.cpusvn[0] = f->cpu->cpusvn[0];
	make_token(&e.token, &le, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	le_default(&le);
	/* VALID bits 31:1 and every reserved range, each with a future CPUSVN as well. */
	le.cpusvn[1] = 0xFF;
	make_token(&e.token, &le, intel_hash());
	e.token.valid = 3;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.reserved1[43] = 1;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.reserved2[0] = 1;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.reserved3[5] = 1;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.reserved4[23] = 1; /* outside the MAC, still checked */
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	assert_false(initialized());
	le_default(&le);
	make_token(&e.token, &le, intel_hash());
	fixture_assert_ok(lp(), einit());
}

static void test_einit_token_debug_enclave(void **state)
{
	struct le_identity le;

	/* A debug token for a debug enclave is fine. */
	ready(SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	le_default(&le);
	le.attributes.flags |= SGX_ATTR_DEBUG;
	make_token(&e.token, &le, intel_hash());
	fixture_assert_ok(lp(), einit());
}

static void test_einit_token_cpusvn(void **state)
{
	struct le_identity le;

	ready(SGX_ATTR_MODE64BIT);
	le_default(&le);
	le.cpusvn[15] = f->cpu->cpusvn[15] + 1;
	make_token(&e.token, &le, intel_hash());
	e.token.mac[0] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_CPUSVN, false);
	/* An older CPUSVN (all zeros) is fine: the LE asked for that key. */
	memset(le.cpusvn, 0, 16);
	make_token(&e.token, &le, intel_hash());
	fixture_assert_ok(lp(), einit());
}

static void test_einit_token_mac(void **state)
{
	struct le_identity le;

	ready(SGX_ATTR_MODE64BIT);
	le_default(&le);
	/* A bad MAC and a token for another enclave: the MAC answers first. */
	make_token(&e.token, &le, intel_hash());
	e.token.mrenclave[0] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.mac[15] ^= 0x80;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	/* The key inputs outside the MACed bytes matter too: KEYID, ISVSVNLE, masked fields. */
	make_token(&e.token, &le, intel_hash());
	e.token.keyid[31] ^= 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.isvsvnle++;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.isvprodidle++;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.maskedmiscselectle = 1;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.maskedattributesle.xfrm = 0x7;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	make_token(&e.token, &le, intel_hash());
	e.token.cpusvnle[0] = 0;
	fixture_assert_status(lp(), einit(), SGX_INVALID_EINITTOKEN, false);
	assert_false(initialized());
}

static void test_einit_token_identity(void **state)
{
	struct le_identity le;

	ready(SGX_ATTR_MODE64BIT);
	le_default(&le);
	make_token(&e.token, &le, intel_hash());
	e.token.mrenclave[31] ^= 1;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_MEASUREMENT, false);
	make_token(&e.token, &le, intel_hash());
	e.token.mrsigner[0] ^= 1;
	e.token.attributes.flags |= SGX_ATTR_DEBUG;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_MEASUREMENT, false);
	make_token(&e.token, &le, intel_hash());
	e.token.attributes.flags |= SGX_ATTR_DEBUG;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	make_token(&e.token, &le, intel_hash());
	e.token.attributes.xfrm = 0x7;
	token_mac(&e.token, intel_hash());
	fixture_assert_status(lp(), einit(), SGX_INVALID_ATTRIBUTE, false);
	assert_false(initialized());
	make_token(&e.token, &le, intel_hash());
	fixture_assert_ok(lp(), einit());
}

#define T(name) cmocka_unit_test_setup_teardown(test_##name, setup_flc, teardown)
#define T_NO_FLC(name) cmocka_unit_test_setup_teardown(test_##name, setup_no_flc, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(einit_alignment),
		T(einit_bad_pointers),
		T(einit_sigstruct_format),
		T(einit_unmasked_event),
		T(einit_signature),
		T(einit_secs_checks),
		T(einit_measurement),
		T(einit_einittoken_key),
		T(einit_attributes),
		T(einit_miscselect),
		T(einit_flc_msrs),
		T(einit_commit),
		T(einit_kss),
		T(einit_token_with_flc),
		T_NO_FLC(einit_token_valid),
		T_NO_FLC(einit_token_fields),
		T_NO_FLC(einit_token_debug_enclave),
		T_NO_FLC(einit_token_cpusvn),
		T_NO_FLC(einit_token_mac),
		T_NO_FLC(einit_token_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
