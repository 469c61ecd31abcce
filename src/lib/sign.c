/* SPDX-License-Identifier: MIT */
/*
 * The SIGSTRUCT signer (include/sgxemu/sign.h). The layout and the rules it satisfies are
 * ref/sgx-isa.md §1.9 and §5 and ref/sgxs.md §8; src/cpu/sigstruct.c is the checker it must
 * satisfy. OpenSSL does the RSA: PKCS#1 v1.5 with SHA-256 is deterministic, so the same key and
 * fields always give the same bytes as any other correct signer.
 */
#include <sgxemu/sign.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "cpu/sigstruct.h"

#define SIGN_RSA_BITS 3072
#define SIGN_RSA_EXPONENT 3

__attribute__((format(printf, 3, 4))) static int sign_error(char *err, size_t errlen,
							    const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The first queued OpenSSL error as text, for the end of a message; drains the queue. */
static const char *openssl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e) {
		snprintf(buf, len, "no further detail from OpenSSL");
		return buf;
	}
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static uint32_t bcd(unsigned int value, unsigned int digits)
{
	uint32_t out = 0;

	for (unsigned int i = 0; i < digits; i++) {
		out |= (uint32_t)(value % 10) << (4 * i);
		value /= 10;
	}
	return out;
}

uint32_t sgxemu_sign_date_bcd(int year, int month, int day)
{
	return bcd((unsigned int)year, 4) << 16 | bcd((unsigned int)month, 2) << 8 |
	       bcd((unsigned int)day, 2);
}

void sgxemu_sign_fields_default(struct sgxemu_sign_fields *fields, bool debug)
{
	time_t now = time(NULL);
	struct tm tm;

	memset(fields, 0, sizeof(*fields));
	fields->vendor = 0;
	/* UTC, so that two machines signing at the same moment agree on the date. */
	if (gmtime_r(&now, &tm))
		fields->date = sgxemu_sign_date_bcd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	fields->attributes.flags = SGX_ATTR_MODE64BIT;
	fields->attributes.xfrm = 3; /* x87 and SSE, the architectural minimum */
	/*
	 * XFRM mask ~3: the enclave must run with exactly x87+SSE (bits 0 and 1 are mandatory
	 * anyway). FLAGS: every bit bound, DEBUG=0 included, so that the SIGSTRUCT refuses a debug
	 * launch (the Intel SDK's DisableDebug). With `debug`, Fortanix's `sgxs-sign --debug`: DEBUG
	 * set and left out of the mask, so the same SIGSTRUCT launches debug and production alike.
	 */
	fields->attributes_mask.flags = ~0ULL;
	fields->attributes_mask.xfrm = ~3ULL;
	if (debug) {
		fields->attributes.flags |= SGX_ATTR_DEBUG;
		fields->attributes_mask.flags &= ~SGX_ATTR_DEBUG;
	}
	fields->miscselect = 0;
	fields->misc_mask = ~0U;
}

/* Copies a BIGNUM into a 384-byte little-endian field (the SIGSTRUCT's byte order). */
static int bn_to_field(const BIGNUM *bn, uint8_t field[SGX_MODULUS_SIZE])
{
	return BN_bn2lebinpad(bn, field, SGX_MODULUS_SIZE) == SGX_MODULUS_SIZE ? 0 : -1;
}

int sgxemu_check_signing_key(EVP_PKEY *key, char *err, size_t errlen)
{
	BIGNUM *n = NULL, *e = NULL;
	int ret = -1;

	if (!key)
		return sign_error(err, errlen, "no signing key");
	if (!EVP_PKEY_is_a(key, "RSA"))
		return sign_error(err, errlen,
				  "the key is %s, not RSA; SIGSTRUCT needs an RSA-3072 key with "
				  "public exponent 3",
				  EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key)
							       : "not RSA");
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		sign_error(err, errlen, "cannot read the RSA modulus and exponent of the key");
		goto out;
	}
	if (BN_num_bits(n) != SIGN_RSA_BITS) {
		sign_error(err, errlen,
			   "the key is RSA-%d; SIGSTRUCT needs RSA-3072 with public exponent 3 "
			   "(make one with `sgxemu sign --generate-key KEY.pem`)",
			   BN_num_bits(n));
		goto out;
	}
	if (!BN_is_word(e, SIGN_RSA_EXPONENT)) {
		char *dec = BN_bn2dec(e);

		sign_error(err, errlen,
			   "the key's public exponent is %s; SIGSTRUCT needs exponent 3 "
			   "(make a key with `sgxemu sign --generate-key KEY.pem`)",
			   dec ? dec : "not 3");
		OPENSSL_free(dec);
		goto out;
	}
	ret = 0;
out:
	BN_free(n);
	BN_free(e);
	return ret;
}

/* Q1 = floor(S^2 / N), Q2 = floor(S * (S^2 mod N) / N) (ref/sgxs.md §8). */
static int compute_q1_q2(const BIGNUM *s, const BIGNUM *n, struct sgx_sigstruct *out)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *s2 = BN_new(), *q1 = BN_new(), *r1 = BN_new(), *t = BN_new(), *q2 = BN_new();
	int ret = -1;

	if (!ctx || !s2 || !q1 || !r1 || !t || !q2)
		goto out;
	if (!BN_sqr(s2, s, ctx) || !BN_div(q1, r1, s2, n, ctx) || !BN_mul(t, r1, s, ctx) ||
	    !BN_div(q2, NULL, t, n, ctx))
		goto out;
	if (bn_to_field(q1, out->q1) || bn_to_field(q2, out->q2))
		goto out;
	ret = 0;
out:
	BN_free(s2);
	BN_free(q1);
	BN_free(r1);
	BN_free(t);
	BN_free(q2);
	BN_CTX_free(ctx);
	return ret;
}

/* RSA PKCS#1 v1.5 over the SHA-256 digest of the signed bytes; sig is big-endian. */
static int rsa_sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t sig[SGX_MODULUS_SIZE],
			   char *err, size_t errlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	size_t siglen = SGX_MODULUS_SIZE;
	char why[160];
	int ret = -1;

	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		sign_error(err, errlen, "cannot set up RSA signing: %s",
			   openssl_reason(why, sizeof(why)));
		goto out;
	}
	if (EVP_PKEY_sign(ctx, sig, &siglen, digest, 32) <= 0) {
		sign_error(err, errlen, "RSA signing failed (is this a private key?): %s",
			   openssl_reason(why, sizeof(why)));
		goto out;
	}
	if (siglen != SGX_MODULUS_SIZE) {
		sign_error(err, errlen, "RSA signature is %zu bytes, expected 384", siglen);
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return ret;
}

int sgxemu_sign(const struct sgxemu_sign_fields *fields, const uint8_t mrenclave[32], EVP_PKEY *key,
		struct sgx_sigstruct *out, char *err, size_t errlen)
{
	static const uint8_t header1[16] = SGX_SIGSTRUCT_HEADER1;
	static const uint8_t header2[16] = SGX_SIGSTRUCT_HEADER2;
	uint8_t digest[32], sig_be[SGX_MODULUS_SIZE];
	BIGNUM *n = NULL, *s = NULL;
	int ret = -1;

	memset(out, 0, sizeof(*out)); /* a refusal leaves nothing that looks signed */
	if (fields->vendor != 0 && fields->vendor != SGX_SIGSTRUCT_VENDOR_INTEL)
		return sign_error(err, errlen,
				  "VENDOR 0x%x is not allowed: EINIT accepts only 0 and 0x8086",
				  fields->vendor);
	if (sgxemu_check_signing_key(key, err, errlen))
		return -1;

	memcpy(out->header.header1, header1, sizeof(header1));
	out->header.vendor = fields->vendor;
	out->header.date = fields->date;
	memcpy(out->header.header2, header2, sizeof(header2));
	out->header.swdefined = fields->swdefined;
	out->body.miscselect = fields->miscselect;
	out->body.misc_mask = fields->misc_mask;
	memcpy(out->body.isvfamilyid, fields->isvfamilyid, sizeof(out->body.isvfamilyid));
	out->body.attributes = fields->attributes;
	out->body.attributes_mask = fields->attributes_mask;
	memcpy(out->body.enclavehash, mrenclave, sizeof(out->body.enclavehash));
	memcpy(out->body.isvextprodid, fields->isvextprodid, sizeof(out->body.isvextprodid));
	out->body.isvprodid = fields->isvprodid;
	out->body.isvsvn = fields->isvsvn;
	out->exponent = SIGN_RSA_EXPONENT;

	sgx_sigstruct_digest(out, digest);
	if (rsa_sign_digest(key, digest, sig_be, err, errlen))
		goto out;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !(s = BN_bin2bn(sig_be, sizeof(sig_be), NULL)) || bn_to_field(n, out->modulus) ||
	    bn_to_field(s, out->signature) || compute_q1_q2(s, n, out)) {
		sign_error(err, errlen, "out of memory computing MODULUS, SIGNATURE, Q1 and Q2");
		goto out;
	}
	ret = 0;
out:
	BN_free(n);
	BN_free(s);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

int sgxemu_signing_key_mrsigner(EVP_PKEY *key, uint8_t mrsigner[32])
{
	uint8_t modulus[SGX_MODULUS_SIZE];
	unsigned int len = 32;
	BIGNUM *n = NULL;
	int ret = -1;

	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) || bn_to_field(n, modulus) ||
	    !EVP_Digest(modulus, sizeof(modulus), mrsigner, &len, EVP_sha256(), NULL))
		goto out;
	ret = 0;
out:
	BN_free(n);
	return ret;
}

/* Never prompt: a library must not read the terminal behind its caller's back. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	*(bool *)u = true;
	return -1;
}

EVP_PKEY *sgxemu_load_signing_key(const char *path, char *err, size_t errlen)
{
	bool wanted_passphrase = false;
	EVP_PKEY *key;
	char why[160];
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		sign_error(err, errlen, "cannot open key %s: %s", path, strerror(errno));
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, &wanted_passphrase);
	fclose(f);
	if (!key) {
		if (wanted_passphrase)
			sign_error(err, errlen,
				   "key %s is encrypted; decrypt it first "
				   "(openssl pkey -in %s -out PLAIN.pem)",
				   path, path);
		else
			sign_error(err, errlen, "%s holds no PEM private key: %s", path,
				   openssl_reason(why, sizeof(why)));
		ERR_clear_error();
		return NULL;
	}
	return key;
}

EVP_PKEY *sgxemu_generate_signing_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *key = NULL;

	if (!ctx || !e || !BN_set_word(e, SIGN_RSA_EXPONENT) || EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, SIGN_RSA_BITS) <= 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int sgxemu_write_signing_key(EVP_PKEY *key, const char *path, char *err, size_t errlen)
{
	char why[160];
	FILE *f;
	int fd;

	/* A private key: readable by its owner only, and never silently overwritten. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return sign_error(err, errlen, "cannot create %s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return sign_error(err, errlen, "cannot write %s: %s", path, strerror(errno));
	}
	if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)) {
		fclose(f);
		unlink(path);
		return sign_error(err, errlen, "cannot write the key to %s: %s", path,
				  openssl_reason(why, sizeof(why)));
	}
	if (fclose(f)) {
		unlink(path);
		return sign_error(err, errlen, "cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

void sgxemu_sign_fields_from_sigstruct(struct sgxemu_sign_fields *fields,
				       const struct sgx_sigstruct *sig)
{
	memset(fields, 0, sizeof(*fields));
	fields->vendor = sig->header.vendor;
	fields->date = sig->header.date;
	fields->swdefined = sig->header.swdefined;
	fields->miscselect = sig->body.miscselect;
	fields->misc_mask = sig->body.misc_mask;
	fields->attributes = sig->body.attributes;
	fields->attributes_mask = sig->body.attributes_mask;
	memcpy(fields->isvfamilyid, sig->body.isvfamilyid, sizeof(fields->isvfamilyid));
	memcpy(fields->isvextprodid, sig->body.isvextprodid, sizeof(fields->isvextprodid));
	fields->isvprodid = sig->body.isvprodid;
	fields->isvsvn = sig->body.isvsvn;
}
