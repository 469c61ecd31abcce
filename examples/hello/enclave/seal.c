// SPDX-License-Identifier: MIT
/*
 * Sealing: AES-128-GCM under the seal key EGETKEY derives from the enclave's identity (MRENCLAVE
 * and/or MRSIGNER per KEYPOLICY), the CPU's SVN, the enclave's ISVSVN and a random KEYID. The key
 * request travels with the blob (it is not secret) so that the same enclave — or, with the
 * MRSIGNER policy, any enclave of the same signer and product — derives the same key later; the
 * whole header is GCM's additional data, so it cannot be changed unnoticed.
 */
#include "crypto/aes128.h"
#include "enclave.h"

_Static_assert(__builtin_offsetof(struct hello_sealed, tag) == HELLO_SEALED_AAD_SIZE, "AAD");

#define SEAL_POLICIES (SGX_KEYPOLICY_MRENCLAVE | SGX_KEYPOLICY_MRSIGNER)
/*
 * Attributes the key is bound to: INIT and DEBUG (always bound by the CPU), 64-bit mode and the
 * privileged attributes, so a debug build or one with other privileges cannot unseal.
 */
#define SEAL_FLAGS_MASK                                                                \
	(SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY | \
	 SGX_ATTR_EINITTOKENKEY | SGX_ATTR_KSS)

static int rdrand_bytes(uint8_t *out, size_t len)
{
	while (len) {
		uint64_t v = 0;
		uint8_t ok = 0;
		size_t n = len < 8 ? len : 8;

		/* Intel's guidance: retry a few times; a persistent failure means no entropy. */
		for (int tries = 0; tries < 10 && !ok; tries++)
			asm volatile("rdrand %0" : "=r"(v), "=@ccc"(ok));
		if (!ok)
			return -1;
		memcpy(out, &v, n);
		out += n;
		len -= n;
	}
	return 0;
}

static int seal_key(const struct hello_sealed *s, uint8_t key[16])
{
	struct sgx_keyrequest req __attribute__((aligned(512)));
	uint8_t out[16] __attribute__((aligned(16)));
	int zf;

	memset(&req, 0, sizeof(req));
	req.keyname = SGX_KEYNAME_SEAL;
	req.keypolicy = s->keypolicy;
	req.isvsvn = s->isvsvn;
	memcpy(req.cpusvn, s->cpusvn, sizeof(req.cpusvn));
	req.attributemask.flags = SEAL_FLAGS_MASK;
	req.attributemask.xfrm = 0;
	req.miscmask = 0xFFFFFFFF;
	memcpy(req.keyid, s->keyid, sizeof(req.keyid));
	hello_enclu(EGETKEY, (uint64_t)&req, (uint64_t)out, 0, &zf);
	if (zf)
		return -1;
	memcpy(key, out, 16);
	crypto_wipe(out, sizeof(out));
	return 0;
}

static int valid_policy(uint16_t policy)
{
	return policy && !(policy & ~SEAL_POLICIES);
}

int64_t hello_seal(struct hello_seal *s)
{
	struct hello_sealed *blob = &s->sealed;
	struct sgx_report self;
	uint8_t key[16];

	if (s->len > HELLO_SECRET_MAX || !valid_policy(s->keypolicy))
		return HELLO_ERR_PARAM;
	memset(blob, 0, sizeof(*blob));
	/* Seal for the CPU and enclave versions we run on now. */
	hello_ereport(NULL, NULL, &self);
	memcpy(blob->cpusvn, self.body.cpusvn, sizeof(blob->cpusvn));
	blob->isvsvn = self.body.isvsvn;
	blob->keypolicy = s->keypolicy;
	blob->len = s->len;
	if (rdrand_bytes(blob->keyid, sizeof(blob->keyid)) ||
	    rdrand_bytes(blob->iv, sizeof(blob->iv)))
		return HELLO_ERR_RANDOM;
	if (seal_key(blob, key))
		return HELLO_ERR_KEY;
	aes128_gcm_seal(key, blob->iv, blob, HELLO_SEALED_AAD_SIZE, s->secret, s->len,
			blob->ciphertext, blob->tag);
	crypto_wipe(key, sizeof(key));
	return HELLO_OK;
}

int64_t hello_unseal(struct hello_seal *s)
{
	const struct hello_sealed *blob = &s->sealed;
	uint8_t key[16], plain[HELLO_SECRET_MAX];
	int ret;

	if (blob->len > HELLO_SECRET_MAX || !valid_policy(blob->keypolicy))
		return HELLO_ERR_PARAM;
	/* EGETKEY refuses an ISVSVN or CPUSVN newer than ours: sealed by a later version. */
	if (seal_key(blob, key))
		return HELLO_ERR_KEY;
	ret = aes128_gcm_open(key, blob->iv, blob, HELLO_SEALED_AAD_SIZE, blob->ciphertext,
			      blob->len, plain, blob->tag);
	crypto_wipe(key, sizeof(key));
	if (ret)
		return HELLO_ERR_MAC;
	memset(s->secret, 0, sizeof(s->secret));
	memcpy(s->secret, plain, blob->len);
	s->len = blob->len;
	crypto_wipe(plain, sizeof(plain));
	return HELLO_OK;
}
