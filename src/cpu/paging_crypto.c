// SPDX-License-Identifier: MIT
/*
 * The cryptography of EWB and ELDB/ELDU (ref/sgx-isa.md §7.1): AES-128-GCM under CR_BASE_PK, the
 * paging key, which is random per power cycle, so a blob written before a power cycle can never
 * load after it.
 *
 * Each LP keeps its own pair of OpenSSL contexts and keys them once per power cycle: a page costs
 * an IV change, the AAD and one pass over 4 KiB, never a key schedule or an allocation (the
 * bench's ewb_eldu_pages_s is measured against exactly two GCM passes). The contexts belong to
 * the LP, which its caller holds exclusively, so no lock is taken here.
 *
 * The IV is VERSION << 32 as the SDM writes it, VERSION being the 64-bit value EWB stores in the
 * VA slot. VERSION comes from one processor-wide counter that only goes up and skips 0, so an IV
 * is never reused under a key, and the slot's value is what ties a blob to its slot: an older
 * blob of the same page, or a blob put in the wrong slot, decrypts under another IV and fails
 * its MAC.
 */
#include <string.h>

#include <openssl/evp.h>

#include "cpu/cpu_internal.h"

#define GCM_IV_SIZE 12
#define GCM_TAG_SIZE 16

void sgx_paging_header_init(struct sgx_paging_header *hdr, uint64_t eid, uint64_t linaddr,
			    const struct sgx_pcmd *pcmd)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->eid = eid;
	hdr->linaddr = linaddr;
	memcpy(hdr->secinfo, &pcmd->secinfo, sizeof(hdr->secinfo));
	memcpy(hdr->pcmd_reserved, pcmd->reserved, sizeof(hdr->pcmd_reserved));
}

uint64_t sgx_paging_next_version(struct sgx_cpu *cpu)
{
	uint64_t version;

	/*
	 * 2^64 EWBs will not happen in the life of a process; skipping 0 keeps the "0 is an empty
	 * slot" rule true even then. (Hardware has CR_VERSION_THRESHOLD for the same reason.)
	 */
	do {
		version = __atomic_add_fetch(&cpu->paging_version, 1, __ATOMIC_RELAXED);
	} while (!version);
	return version;
}

static int key_context(EVP_CIPHER_CTX *ctx, const uint8_t key[16], bool encrypt)
{
	if (!EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, encrypt))
		return -1;
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_SIZE, NULL))
		return -1;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, encrypt))
		return -1;
	return 0;
}

/*
 * Make sure this LP's contexts hold the current power cycle's key. lp.c creates the contexts
 * with gcm_key_cycle = ~0 ("never keyed"); they are created here only if that failed. The
 * power-cycle counter is published after the new key (power.c) and no leaf runs during a power
 * cycle, so a counter that matches means the key matches.
 */
static int paging_contexts(struct sgx_lp *lp)
{
	struct sgx_cpu *cpu = lp->cpu;
	uint64_t cycle = __atomic_load_n(&cpu->power_cycles, __ATOMIC_ACQUIRE);

	if (__builtin_expect(lp->gcm_key_cycle == cycle && lp->gcm_enc && lp->gcm_dec, 1))
		return 0;

	if (!lp->gcm_enc)
		lp->gcm_enc = EVP_CIPHER_CTX_new();
	if (!lp->gcm_dec)
		lp->gcm_dec = EVP_CIPHER_CTX_new();
	if (!lp->gcm_enc || !lp->gcm_dec)
		return -1;
	if (key_context(lp->gcm_enc, cpu->paging_key, true) ||
	    key_context(lp->gcm_dec, cpu->paging_key, false)) {
		lp->gcm_key_cycle = ~0ULL;
		return -1;
	}
	lp->gcm_key_cycle = cycle;
	return 0;
}

static void version_iv(uint64_t version, uint8_t iv[GCM_IV_SIZE])
{
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(version >> (56 - 8 * i));
	memset(iv + 8, 0, GCM_IV_SIZE - 8);
}

int sgx_paging_encrypt(struct sgx_lp *lp, uint64_t version, const struct sgx_paging_header *hdr,
		       const uint8_t *src, uint8_t *dst, uint8_t mac[16])
{
	uint8_t iv[GCM_IV_SIZE];
	EVP_CIPHER_CTX *ctx;
	int len;

	if (paging_contexts(lp))
		return -1;
	ctx = lp->gcm_enc;
	version_iv(version, iv);
	if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) ||
	    !EVP_EncryptUpdate(ctx, NULL, &len, (const uint8_t *)hdr, sizeof(*hdr)) ||
	    !EVP_EncryptUpdate(ctx, dst, &len, src, SGX_PAGE_SIZE) ||
	    !EVP_EncryptFinal_ex(ctx, dst + len, &len) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_SIZE, mac))
		return -1;
	return 0;
}

int sgx_paging_decrypt(struct sgx_lp *lp, uint64_t version, const struct sgx_paging_header *hdr,
		       const uint8_t *src, uint8_t *dst, const uint8_t mac[16])
{
	uint8_t iv[GCM_IV_SIZE], tag[GCM_TAG_SIZE];
	EVP_CIPHER_CTX *ctx;
	int len;

	if (paging_contexts(lp))
		return -1;
	ctx = lp->gcm_dec;
	version_iv(version, iv);
	memcpy(tag, mac, sizeof(tag));
	if (!EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) ||
	    !EVP_DecryptUpdate(ctx, NULL, &len, (const uint8_t *)hdr, sizeof(*hdr)) ||
	    !EVP_DecryptUpdate(ctx, dst, &len, src, SGX_PAGE_SIZE) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_SIZE, tag))
		return -1;
	/* The tag comparison inside OpenSSL is constant-time. */
	if (EVP_DecryptFinal_ex(ctx, dst + len, &len) <= 0)
		return SGX_MAC_COMPARE_FAIL;
	return 0;
}
