/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT verification for `sgxemu verify` (include/sgxemu/verify.h): the CPU's own checks
 * (src/cpu/sigstruct.c, which EINIT uses), each mapped to a named check, plus a diagnosis of how
 * a signature failed and the ENCLAVEHASH comparison.
 */
#include <sgxemu/verify.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>

#include "cpu/sigstruct.h"

__attribute__((format(printf, 4, 5))) static enum sgxemu_verify_check
failed(enum sgxemu_verify_check check, char *err, size_t errlen, const char *fmt, ...)
{
	char reason[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s check failed: %s", sgxemu_verify_check_name(check),
			 reason);
	return check;
}

const char *sgxemu_verify_check_name(enum sgxemu_verify_check check)
{
	switch (check) {
	case SGXEMU_VERIFY_OK:
		return "ok";
	case SGXEMU_VERIFY_HEADER:
		return "header";
	case SGXEMU_VERIFY_VENDOR:
		return "vendor";
	case SGXEMU_VERIFY_HEADER2:
		return "header2";
	case SGXEMU_VERIFY_EXPONENT:
		return "exponent";
	case SGXEMU_VERIFY_RESERVED:
		return "reserved";
	case SGXEMU_VERIFY_SIGNATURE:
		return "signature";
	case SGXEMU_VERIFY_Q1:
		return "q1";
	case SGXEMU_VERIFY_Q2:
		return "q2";
	case SGXEMU_VERIFY_ENCLAVEHASH:
		return "enclavehash";
	}
	return "unknown";
}

static void to_hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/*
 * After the CPU's check said "bad signature": does S^3 mod N still have the fixed PKCS#1 v1.5
 * SHA-256 prefix? Then the key and signature belong together and the digest differs: the signed
 * bytes changed. Returns true and the signed digest in signed_digest if so.
 */
static bool signature_is_over_other_bytes(const struct sgx_sigstruct *sig,
					  uint8_t signed_digest[32])
{
	uint8_t em[SGX_MODULUS_SIZE];
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = BN_lebin2bn(sig->modulus, SGX_MODULUS_SIZE, NULL);
	BIGNUM *s = BN_lebin2bn(sig->signature, SGX_MODULUS_SIZE, NULL);
	BIGNUM *e = BN_new(), *m = BN_new();
	bool ret = false;

	if (!ctx || !n || !s || !e || !m || BN_is_zero(n) || !BN_set_word(e, 3) ||
	    !BN_mod_exp(m, s, e, n, ctx) || BN_bn2binpad(m, em, sizeof(em)) < 0)
		goto out;
	if (!memcmp(em, sgx_pkcs1_sha256_padding, sizeof(sgx_pkcs1_sha256_padding))) {
		memcpy(signed_digest, em + sizeof(sgx_pkcs1_sha256_padding), 32);
		ret = true;
	}
out:
	BN_free(n);
	BN_free(s);
	BN_free(e);
	BN_free(m);
	BN_CTX_free(ctx);
	return ret;
}

enum sgxemu_verify_check sgxemu_verify_sigstruct(const struct sgx_sigstruct *sig,
						 const uint8_t mrenclave[32], char *err,
						 size_t errlen)
{
	enum sgx_sigstruct_error e = sgx_sigstruct_check_format(sig);
	uint8_t digest[32], signed_digest[32];
	char a[65], b[65];

	switch (e) {
	case SGX_SIGSTRUCT_OK:
		break;
	case SGX_SIGSTRUCT_BAD_HEADER:
		return failed(SGXEMU_VERIFY_HEADER, err, errlen, "%s", sgx_sigstruct_strerror(e));
	case SGX_SIGSTRUCT_BAD_VENDOR:
		return failed(SGXEMU_VERIFY_VENDOR, err, errlen, "VENDOR is 0x%x, not 0 or 0x8086",
			      sig->header.vendor);
	case SGX_SIGSTRUCT_BAD_HEADER2:
		return failed(SGXEMU_VERIFY_HEADER2, err, errlen, "%s", sgx_sigstruct_strerror(e));
	case SGX_SIGSTRUCT_BAD_EXPONENT:
		return failed(SGXEMU_VERIFY_EXPONENT, err, errlen, "EXPONENT is %u, not 3",
			      sig->exponent);
	default:
		return failed(SGXEMU_VERIFY_RESERVED, err, errlen, "%s", sgx_sigstruct_strerror(e));
	}

	e = sgx_sigstruct_check_signature(sig);
	switch (e) {
	case SGX_SIGSTRUCT_OK:
		break;
	case SGX_SIGSTRUCT_BAD_SIGNATURE:
		if (signature_is_over_other_bytes(sig, signed_digest)) {
			sgx_sigstruct_digest(sig, digest);
			to_hex(digest, 32, a);
			to_hex(signed_digest, 32, b);
			return failed(SGXEMU_VERIFY_SIGNATURE, err, errlen,
				      "signed bytes (0..127, 900..1027) changed after signing: "
				      "their SHA-256 is %s, the signature covers %s",
				      a, b);
		}
		return failed(SGXEMU_VERIFY_SIGNATURE, err, errlen,
			      "SIGNATURE does not decrypt under MODULUS to a PKCS#1 v1.5 SHA-256 "
			      "block (MODULUS or SIGNATURE changed, or another key signed)");
	case SGX_SIGSTRUCT_BAD_Q1:
		return failed(SGXEMU_VERIFY_Q1, err, errlen, "%s", sgx_sigstruct_strerror(e));
	case SGX_SIGSTRUCT_BAD_Q2:
		return failed(SGXEMU_VERIFY_Q2, err, errlen, "%s", sgx_sigstruct_strerror(e));
	default:
		return failed(SGXEMU_VERIFY_SIGNATURE, err, errlen, "%s",
			      sgx_sigstruct_strerror(e));
	}

	if (mrenclave && memcmp(sig->body.enclavehash, mrenclave, 32)) {
		to_hex(sig->body.enclavehash, 32, a);
		to_hex(mrenclave, 32, b);
		return failed(SGXEMU_VERIFY_ENCLAVEHASH, err, errlen,
			      "ENCLAVEHASH %s is not the stream's MRENCLAVE %s", a, b);
	}
	return SGXEMU_VERIFY_OK;
}
