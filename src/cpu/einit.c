/* SPDX-License-Identifier: MIT */
/*
 * EINIT and launch control (ref §3 EINIT steps 1-13, §5). The numbers in comments are the ref's.
 *
 * Launch control: an enclave may launch without a token iff its MRSIGNER equals the
 * IA32_SGXLEPUBKEYHASH0..3 of the LP EINIT runs on (with flexible launch control the kernel writes
 * them to the signer's hash first; without it they are locked to Intel's hash, so only Intel's
 * launch enclave can). Anything else needs an EINITTOKEN whose MAC is made with the EINITTOKEN
 * key, which only an enclave signed by that same hash with the EINITTOKEN_KEY attribute can get.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "cpu/cpu_internal.h"
#include "cpu/sigstruct.h"

#define ALIGNED(x, a) (((x) & ((a)-1)) == 0)

/* Bytes of the token covered by its MAC (ref §1.10). */
#define EINITTOKEN_MACED_SIZE offsetof(struct sgx_einittoken, cpusvnle)

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* "CPUSVN beyond the current one" [model, ref §6]: some byte is above the processor's. */
static bool cpusvn_beyond(const uint8_t svn[16], const uint8_t current[16])
{
	for (unsigned int i = 0; i < 16; i++)
		if (svn[i] > current[i])
			return true;
	return false;
}

static bool attributes_match(const struct sgx_attributes *a, const struct sgx_attributes *b,
			     const struct sgx_attributes *mask)
{
	return (a->flags & mask->flags) == (b->flags & mask->flags) &&
	       (a->xfrm & mask->xfrm) == (b->xfrm & mask->xfrm);
}

static bool token_reserved_set(const struct sgx_einittoken *token)
{
	return (token->valid & ~1U) || !all_zero(token->reserved1, sizeof(token->reserved1)) ||
	       !all_zero(token->reserved2, sizeof(token->reserved2)) ||
	       !all_zero(token->reserved3, sizeof(token->reserved3)) ||
	       !all_zero(token->reserved4, sizeof(token->reserved4));
}

/*
 * The EINITTOKEN key as the launch enclave got it from EGETKEY(EINITTOKEN) (ref §5): the LE's
 * identity is the MSR hash and the values it recorded in the token's *LE fields.
 */
static void einittoken_key(const struct sgx_lp *lp, const struct sgx_einittoken *token,
			   uint8_t key[16])
{
	const struct sgx_cpu *cpu = lp->cpu;
	struct sgx_keydep dep;

	memset(&dep, 0, sizeof(dep));
	dep.keyname = SGX_KEYNAME_EINITTOKEN;
	dep.isvprodid = token->isvprodidle;
	dep.isvsvn = token->isvsvnle; /* the 2018 pseudocode's TMP_TOKEN.ISVSVN is a typo (§11) */
	memcpy(dep.owner_epoch, cpu->owner_epoch, sizeof(dep.owner_epoch));
	dep.attributes = token->maskedattributesle;
	memcpy(dep.mrsigner, lp->lepubkeyhash, sizeof(dep.mrsigner));
	memcpy(dep.keyid, token->keyid, sizeof(dep.keyid));
	memcpy(dep.seal_key_fuses, cpu->seal_fuses, sizeof(dep.seal_key_fuses));
	memcpy(dep.cpusvn, token->cpusvnle, sizeof(dep.cpusvn));
	dep.miscselect = token->maskedmiscselectle;
	memcpy(dep.padding, sgx_pkcs1_sha256_padding, sizeof(dep.padding));
	sgx_derive_key(cpu, &dep, key);
	explicit_bzero(&dep, sizeof(dep));
}

/* Steps 11-12: 0 if the launch is allowed, else the status code. */
static int check_launch(struct sgx_lp *lp, const struct sgx_secs *secs,
			const struct sgx_einittoken *token, const uint8_t mrenclave[32],
			const uint8_t mrsigner[32])
{
	bool signer_is_msr = !memcmp(mrsigner, lp->lepubkeyhash, 32);
	uint8_t key[16], mac[16];

	if (!(token->valid & 1))
		return signer_is_msr ? 0 : SGX_INVALID_EINITTOKEN;

	if ((token->maskedattributesle.flags & SGX_ATTR_DEBUG) &&
	    !(secs->attributes.flags & SGX_ATTR_DEBUG))
		return SGX_INVALID_EINITTOKEN;
	if (token_reserved_set(token))
		return SGX_INVALID_EINITTOKEN;
	if (cpusvn_beyond(token->cpusvnle, lp->cpu->cpusvn))
		return SGX_INVALID_CPUSVN;
	einittoken_key(lp, token, key);
	sgx_cmac(key, token, EINITTOKEN_MACED_SIZE, mac);
	explicit_bzero(key, sizeof(key));
	if (CRYPTO_memcmp(mac, token->mac, sizeof(mac)))
		return SGX_INVALID_EINITTOKEN;
	if (memcmp(token->mrenclave, mrenclave, 32) || memcmp(token->mrsigner, mrsigner, 32))
		return SGX_INVALID_MEASUREMENT;
	if (memcmp(&token->attributes, &secs->attributes, sizeof(secs->attributes)))
		return SGX_INVALID_ATTRIBUTE;
	return 0;
}

/* Steps 5-12 with the SECS locked: 0 or a status code. */
static int check_enclave(struct sgx_lp *lp, struct sgx_secs *secs, struct sgx_secs_hidden *hidden,
			 const struct sgx_sigstruct *sig, const struct sgx_einittoken *token,
			 uint8_t mrenclave[32], uint8_t mrsigner[32])
{
	const struct sgx_sigstruct_body *body = &sig->body;

	/* 5 */
	if (!all_zero(body->isvfamilyid, sizeof(body->isvfamilyid)) &&
	    !(secs->attributes.flags & SGX_ATTR_KSS))
		return SGX_INVALID_SIG_STRUCT;
	/* 6 */
	sgx_measure_final(&hidden->measurement, mrenclave);
	if (memcmp(mrenclave, body->enclavehash, 32))
		return SGX_INVALID_MEASUREMENT;
	/* 7 */
	sgx_sigstruct_mrsigner(sig, mrsigner);
	/* 8: EINITTOKEN_KEY is a controlled attribute: only the MSR hash's signer may have it. */
	if ((secs->attributes.flags & SGX_ATTR_EINITTOKENKEY) &&
	    memcmp(mrsigner, lp->lepubkeyhash, 32))
		return SGX_INVALID_ATTRIBUTE;
	/*
	 * 9, 10. The SDM prose also wants reserved ATTRIBUTES bits 0 in SIGSTRUCT.ATTRIBUTES and 1 in
	 * ATTRIBUTEMASK, but its pseudocode never checks that, and neither do we (ref §3).
	 */
	if (!attributes_match(&secs->attributes, &body->attributes, &body->attributes_mask))
		return SGX_INVALID_ATTRIBUTE;
	if ((secs->miscselect & body->misc_mask) != (body->miscselect & body->misc_mask))
		return SGX_INVALID_ATTRIBUTE;
	/* 11, 12 */
	return check_launch(lp, secs, token, mrenclave, mrsigner);
}

static bool take_unmasked_event(struct sgx_cpu *cpu)
{
	uint32_t n = __atomic_load_n(&cpu->unmasked_events, __ATOMIC_RELAXED);

	while (n)
		if (__atomic_compare_exchange_n(&cpu->unmasked_events, &n, n - 1, true,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return true;
	return false;
}

int sgx_einit(struct sgx_lp *lp, uint64_t sigstruct_addr, sgx_paddr_t secs_pa, uint64_t token_addr)
{
	struct sgx_cpu *cpu = lp->cpu;
	struct sgx_sigstruct sig;
	struct sgx_einittoken token;
	struct sgx_secs_hidden *hidden;
	struct sgx_frame *secs_frame;
	struct sgx_epcm_entry *se;
	struct sgx_secs *secs;
	uint8_t mrenclave[32], mrsigner[32];
	uint64_t index;
	int ret;

	/* 1 */
	if (!ALIGNED(sigstruct_addr, SGX_PAGE_SIZE) || !ALIGNED(secs_pa, SGX_PAGE_SIZE) ||
	    !ALIGNED(token_addr, 512))
		return sgx_encls_gp(lp);
	ret = sgx_encls_epc(lp, secs_pa, &index);
	if (ret)
		return ret;
	ret = sgx_encls_read(lp, &sig, sigstruct_addr, sizeof(sig));
	if (ret)
		return ret;
	ret = sgx_encls_read(lp, &token, token_addr, sizeof(token));
	if (ret)
		return ret;
	/* 2 */
	if (sgx_sigstruct_check_format(&sig) != SGX_SIGSTRUCT_OK)
		return sgx_encls_status(lp, SGX_INVALID_SIG_STRUCT, false);
	/* 3: the signature check is EINIT's interruptible window. */
	if (take_unmasked_event(cpu))
		return sgx_encls_status(lp, SGX_UNMASKED_EVENT, false);
	if (sgx_sigstruct_check_signature(&sig) != SGX_SIGSTRUCT_OK)
		return sgx_encls_status(lp, SGX_INVALID_SIGNATURE, false);
	/* 4 */
	if (!sgx_page_trylock_shared(cpu, index))
		return sgx_encls_gp(lp);
	secs_frame = &cpu->frames[index];
	if (!sgx_trylock(&secs_frame->measure_lock)) {
		ret = sgx_encls_gp(lp);
		goto unlock_page;
	}
	se = sgx_epcm(cpu, index);
	if (!se->valid || se->page_type != SGX_PAGE_TYPE_SECS) {
		ret = sgx_encls_epcm_pf(lp, secs_pa, false);
		goto unlock_measure;
	}
	secs = sgx_secs_page(cpu, index);
	if (secs->attributes.flags & SGX_ATTR_INIT) {
		ret = sgx_encls_gp(lp);
		goto unlock_measure;
	}
	/* 5-12 */
	hidden = sgx_secs_hidden(cpu, index);
	ret = check_enclave(lp, secs, hidden, &sig, &token, mrenclave, mrsigner);
	if (ret) {
		ret = sgx_encls_status(lp, ret, false);
		goto unlock_measure;
	}

	sgx_cpu_pause(cpu, SGX_LEAF_CLASS_ENCLS, EINIT, secs_pa);

	/* 13 */
	memcpy(secs->mrenclave, mrenclave, sizeof(secs->mrenclave));
	memcpy(secs->mrsigner, mrsigner, sizeof(secs->mrsigner));
	secs->isv_prod_id = sig.body.isvprodid;
	secs->isv_svn = sig.body.isvsvn;
	/* The SDM copies the KSS identities only for KSS enclaves (both are zero otherwise). */
	if (secs->attributes.flags & SGX_ATTR_KSS) {
		memcpy(hidden->isvfamilyid, sig.body.isvfamilyid, sizeof(hidden->isvfamilyid));
		memcpy(hidden->isvextprodid, sig.body.isvextprodid, sizeof(hidden->isvextprodid));
	}
	/* The fixed top of EM: the signature check above proved EM starts with it. */
	memcpy(hidden->padding, sgx_pkcs1_sha256_padding, sizeof(hidden->padding));
	/* Everything above is visible before INIT is (EENTER on another thread reads it first). */
	__atomic_fetch_or((uint64_t *)((uint8_t *)secs + offsetof(struct sgx_secs, attributes)),
			  SGX_ATTR_INIT, __ATOMIC_RELEASE);
	ret = 0;

unlock_measure:
	sgx_unlock(&secs_frame->measure_lock);
unlock_page:
	sgx_page_unlock_shared(cpu, index);
	return ret;
}
