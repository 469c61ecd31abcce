/* SPDX-License-Identifier: MIT */
#include "cpu/sigstruct.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

static const uint8_t sgx_header1[16] = SGX_SIGSTRUCT_HEADER1;
static const uint8_t sgx_header2[16] = SGX_SIGSTRUCT_HEADER2;

/* 00 01 FF..FF 00 || DigestInfo prefix for SHA-256: 2 + 330 + 1 + 19 = 352 bytes. */
static const uint8_t sha256_digest_info[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						0x01, 0x05, 0x00, 0x04, 0x20 };

const uint8_t sgx_pkcs1_sha256_padding[352] = {
	[0] = 0x00,
	[1] = 0x01,
	[2 ... 331] = 0xff,
	[332] = 0x00,
	[333] = 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

_Static_assert(sizeof(sha256_digest_info) == 352 - 333, "DigestInfo prefix ends the padding");

const char *sgx_sigstruct_strerror(enum sgx_sigstruct_error err)
{
	switch (err) {
	case SGX_SIGSTRUCT_OK: return "valid";
	case SGX_SIGSTRUCT_BAD_HEADER: return "bad HEADER (bytes 0..15)";
	case SGX_SIGSTRUCT_BAD_VENDOR: return "VENDOR is neither 0 nor 0x8086";
	case SGX_SIGSTRUCT_BAD_HEADER2: return "bad HEADER2 (bytes 24..39)";
	case SGX_SIGSTRUCT_BAD_EXPONENT: return "EXPONENT is not 3";
	case SGX_SIGSTRUCT_BAD_RESERVED: return "a reserved field is not zero";
	case SGX_SIGSTRUCT_SIGNATURE_TOO_LARGE: return "SIGNATURE is not less than MODULUS";
	case SGX_SIGSTRUCT_BAD_SIGNATURE: return "signature does not match the signed fields and MODULUS";
	case SGX_SIGSTRUCT_BAD_Q1: return "Q1 is not floor(SIGNATURE^2 / MODULUS)";
	case SGX_SIGSTRUCT_BAD_Q2: return "Q2 is not floor((SIGNATURE^3 - Q1*SIGNATURE*MODULUS) / MODULUS)";
	case SGX_SIGSTRUCT_NO_MEMORY: return "out of memory";
	}
	return "unknown error";
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

enum sgx_sigstruct_error sgx_sigstruct_check_format(const struct sgx_sigstruct *sig)
{
	uint32_t type;

	/*
	 * The SDM compares all 16 HEADER bytes; Intel's signer uses bytes 12..15 as a TYPE word whose
	 * bit 31 marks debug/pre-release signing (ref §1.9). Accept exactly those two values.
	 */
	if (memcmp(sig->header.header1, sgx_header1, 12))
		return SGX_SIGSTRUCT_BAD_HEADER;
	memcpy(&type, sig->header.header1 + 12, sizeof(type));
	if (type != 0 && type != 0x80000000U)
		return SGX_SIGSTRUCT_BAD_HEADER;
	if (sig->header.vendor != 0 && sig->header.vendor != SGX_SIGSTRUCT_VENDOR_INTEL)
		return SGX_SIGSTRUCT_BAD_VENDOR;
	if (memcmp(sig->header.header2, sgx_header2, sizeof(sgx_header2)))
		return SGX_SIGSTRUCT_BAD_HEADER2;
	if (sig->exponent != 3)
		return SGX_SIGSTRUCT_BAD_EXPONENT;
	/* CET is not implemented, so its two bytes are reserved too. */
	if (!all_zero(sig->header.reserved, sizeof(sig->header.reserved)) ||
	    sig->body.cet_attributes || sig->body.cet_attributes_mask ||
	    !all_zero(sig->body.reserved1, sizeof(sig->body.reserved1)) ||
	    !all_zero(sig->body.reserved2, sizeof(sig->body.reserved2)) ||
	    !all_zero(sig->reserved4, sizeof(sig->reserved4)))
		return SGX_SIGSTRUCT_BAD_RESERVED;
	return SGX_SIGSTRUCT_OK;
}

void sgx_sigstruct_digest(const struct sgx_sigstruct *sig, uint8_t digest[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;

	/* EVP_Digest* cannot fail for SHA-256 short of allocation failure, which aborts below. */
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, &sig->header, sizeof(sig->header)) ||
	    !EVP_DigestUpdate(ctx, &sig->body, sizeof(sig->body)) ||
	    !EVP_DigestFinal_ex(ctx, digest, &len))
		memset(digest, 0, 32);
	EVP_MD_CTX_free(ctx);
}

void sgx_sigstruct_mrsigner(const struct sgx_sigstruct *sig, uint8_t mrsigner[32])
{
	unsigned int len = 32;

	if (!EVP_Digest(sig->modulus, sizeof(sig->modulus), mrsigner, &len, EVP_sha256(), NULL))
		memset(mrsigner, 0, 32);
}

enum sgx_sigstruct_error sgx_sigstruct_check_signature(const struct sgx_sigstruct *sig)
{
	enum sgx_sigstruct_error ret = SGX_SIGSTRUCT_NO_MEMORY;
	uint8_t em[SGX_MODULUS_SIZE], expected[SGX_MODULUS_SIZE];
	BIGNUM *n, *s, *q1, *q2, *s2, *s3, *tmp, *want_q1, *want_q2, *rem;
	BN_CTX *ctx = BN_CTX_new();

	n = BN_lebin2bn(sig->modulus, SGX_MODULUS_SIZE, NULL);
	s = BN_lebin2bn(sig->signature, SGX_MODULUS_SIZE, NULL);
	q1 = BN_lebin2bn(sig->q1, SGX_MODULUS_SIZE, NULL);
	q2 = BN_lebin2bn(sig->q2, SGX_MODULUS_SIZE, NULL);
	s2 = BN_new();
	s3 = BN_new();
	tmp = BN_new();
	want_q1 = BN_new();
	want_q2 = BN_new();
	rem = BN_new();
	if (!ctx || !n || !s || !q1 || !q2 || !s2 || !s3 || !tmp || !want_q1 || !want_q2 || !rem)
		goto out;

	ret = SGX_SIGSTRUCT_SIGNATURE_TOO_LARGE;
	if (BN_is_zero(n) || BN_cmp(s, n) >= 0)
		goto out;

	/* EM = S^3 mod N, compared as a 384-byte big-endian string with the expected encoding. */
	ret = SGX_SIGSTRUCT_NO_MEMORY;
	if (!BN_sqr(s2, s, ctx) || !BN_mul(s3, s2, s, ctx))
		goto out;
	if (!BN_mod(rem, s3, n, ctx) || BN_bn2binpad(rem, em, sizeof(em)) < 0)
		goto out;
	memcpy(expected, sgx_pkcs1_sha256_padding, sizeof(sgx_pkcs1_sha256_padding));
	sgx_sigstruct_digest(sig, expected + sizeof(sgx_pkcs1_sha256_padding));
	ret = SGX_SIGSTRUCT_BAD_SIGNATURE;
	if (memcmp(em, expected, sizeof(em)))
		goto out;

	/* Q1 = floor(S^2 / N); Q2 = floor((S^3 - Q1*S*N) / N), i.e. floor(S * (S^2 mod N) / N). */
	ret = SGX_SIGSTRUCT_NO_MEMORY;
	if (!BN_div(want_q1, NULL, s2, n, ctx))
		goto out;
	if (!BN_mul(tmp, want_q1, s, ctx) || !BN_mul(tmp, tmp, n, ctx) || !BN_sub(tmp, s3, tmp) ||
	    !BN_div(want_q2, NULL, tmp, n, ctx))
		goto out;
	ret = SGX_SIGSTRUCT_BAD_Q1;
	if (BN_cmp(q1, want_q1))
		goto out;
	ret = SGX_SIGSTRUCT_BAD_Q2;
	if (BN_cmp(q2, want_q2))
		goto out;
	ret = SGX_SIGSTRUCT_OK;
out:
	BN_free(n);
	BN_free(s);
	BN_free(q1);
	BN_free(q2);
	BN_free(s2);
	BN_free(s3);
	BN_free(tmp);
	BN_free(want_q1);
	BN_free(want_q2);
	BN_free(rem);
	BN_CTX_free(ctx);
	return ret;
}
