/* SPDX-License-Identifier: MIT */
/*
 * Checking a SIGSTRUCT the way EINIT will, before EINIT does: what `sgxemu verify` runs. Each
 * failure names the check that failed, so that a user knows what to fix.
 */
#ifndef SGXEMU_VERIFY_H
#define SGXEMU_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <sgxemu/arch.h>

enum sgxemu_verify_check {
	SGXEMU_VERIFY_OK = 0,
	SGXEMU_VERIFY_HEADER,	   /* HEADER bytes 0..15 */
	SGXEMU_VERIFY_VENDOR,	   /* VENDOR is 0 or 0x8086 */
	SGXEMU_VERIFY_HEADER2,	   /* HEADER2 bytes 24..39 */
	SGXEMU_VERIFY_EXPONENT,	   /* EXPONENT is 3 */
	SGXEMU_VERIFY_RESERVED,	   /* reserved fields are zero */
	SGXEMU_VERIFY_SIGNATURE,   /* RSA-3072 PKCS#1 v1.5 SHA-256 over bytes 0..127 || 900..1027 */
	SGXEMU_VERIFY_Q1,	   /* Q1 = floor(S^2 / N) */
	SGXEMU_VERIFY_Q2,	   /* Q2 = floor(S * (S^2 mod N) / N) */
	SGXEMU_VERIFY_ENCLAVEHASH, /* ENCLAVEHASH = the stream's MRENCLAVE */
};

/* The check's short name ("header", "signature", "q1", "enclavehash", ...). */
const char *sgxemu_verify_check_name(enum sgxemu_verify_check check);

/*
 * Runs every check EINIT runs on a SIGSTRUCT by itself (format, signature, Q1/Q2), then, if
 * mrenclave is not NULL, compares ENCLAVEHASH with it. Returns the first failed check, with a
 * one-line reason in err ("signature check failed: ..."), or SGXEMU_VERIFY_OK.
 *
 * A signature failure says which way it failed: a signature that decrypts to a well-formed
 * PKCS#1 block over another digest means signed bytes changed after signing; one that does not
 * decrypt at all means MODULUS or SIGNATURE changed, or another key signed.
 */
enum sgxemu_verify_check sgxemu_verify_sigstruct(const struct sgx_sigstruct *sig,
						 const uint8_t mrenclave[32], char *err,
						 size_t errlen);

#endif /* SGXEMU_VERIFY_H */
