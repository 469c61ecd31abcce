/* SPDX-License-Identifier: MIT */
/*
 * Creating SIGSTRUCTs: what `sgxemu sign` does, as a library, so that tests, the demo and
 * loaders can sign enclaves without Intel's SDK. Signing is deterministic (RSA PKCS#1 v1.5): the
 * same key and fields always give the same 1808 bytes.
 */
#ifndef SGXEMU_SIGN_H
#define SGXEMU_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <sgxemu/arch.h>

/* Every signed field of a SIGSTRUCT except ENCLAVEHASH, which comes from the measurement. */
struct sgxemu_sign_fields {
	uint32_t vendor; /* 0 or 0x8086 */
	uint32_t date;	 /* BCD 0xYYYYMMDD */
	uint32_t swdefined;
	uint32_t miscselect;
	uint32_t misc_mask;
	struct sgx_attributes attributes;
	struct sgx_attributes attributes_mask;
	uint8_t isvfamilyid[16];
	uint8_t isvextprodid[16];
	uint16_t isvprodid;
	uint16_t isvsvn;
};

/*
 * The defaults, as Fortanix's signer: vendor 0, today's date (UTC), ATTRIBUTES = MODE64BIT with
 * XFRM 3, XFRM mask ~3, MISCSELECT 0 with MISCMASK all ones, KSS fields zero. The FLAGS mask
 * binds every bit including DEBUG = 0, so the enclave cannot be launched in debug mode; with
 * `debug`, DEBUG is set in ATTRIBUTES and left out of the mask (Fortanix's `sgxs-sign --debug`),
 * so the same SIGSTRUCT launches the enclave in debug or production mode.
 */
void sgxemu_sign_fields_default(struct sgxemu_sign_fields *fields, bool debug);

/*
 * Fills *out: headers, the fields, ENCLAVEHASH = mrenclave, MODULUS, EXPONENT 3, SIGNATURE, Q1,
 * Q2. key must be an RSA-3072 key with public exponent 3. Returns 0, or -1 with a one-line reason
 * in err (wrong key size or exponent, OpenSSL failure).
 */
int sgxemu_sign(const struct sgxemu_sign_fields *fields, const uint8_t mrenclave[32], EVP_PKEY *key,
		struct sgx_sigstruct *out, char *err, size_t errlen);

/* Reads a PEM private key; NULL with a reason in err if it cannot be read. */
EVP_PKEY *sgxemu_load_signing_key(const char *path, char *err, size_t errlen);

/* A fresh RSA-3072, e = 3 key (tests, the demo, `sgxemu sign --generate-key`). */
EVP_PKEY *sgxemu_generate_signing_key(void);

/*
 * Writes key as an unencrypted PEM private key to a new file (mode 0600; an existing file is
 * never overwritten). Returns 0, or -1 with a reason in err.
 */
int sgxemu_write_signing_key(EVP_PKEY *key, const char *path, char *err, size_t errlen);

/* 0 if key can sign a SIGSTRUCT (RSA, 3072 bits, e = 3); else -1 with the reason in err. */
int sgxemu_check_signing_key(EVP_PKEY *key, char *err, size_t errlen);

/* The MRSIGNER of enclaves key signs: SHA-256 of its modulus as SIGSTRUCT stores it. 0 or -1. */
int sgxemu_signing_key_mrsigner(EVP_PKEY *key, uint8_t mrsigner[32]);

/* DATE in the SIGSTRUCT's BCD form: (2016, 12, 14) -> 0x20161214. */
uint32_t sgxemu_sign_date_bcd(int year, int month, int day);

/* The signed fields of an existing SIGSTRUCT (re-signing, `verify`, tests). */
void sgxemu_sign_fields_from_sigstruct(struct sgxemu_sign_fields *fields,
				       const struct sgx_sigstruct *sig);

#endif /* SGXEMU_SIGN_H */
