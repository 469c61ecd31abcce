/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT checks shared by EINIT and `sgxemu verify` (ref/sgx-isa.md §1.9, §5): the format
 * (headers, vendor, exponent, reserved bytes) and the RSA-3072 signature with its Q1/Q2 helpers.
 * Each failure has its own reason so that `verify` can say which check failed; EINIT folds them
 * into SGX_INVALID_SIG_STRUCT and SGX_INVALID_SIGNATURE.
 */
#ifndef SGXEMU_CPU_SIGSTRUCT_H
#define SGXEMU_CPU_SIGSTRUCT_H

#include <stdint.h>

#include <sgxemu/arch.h>

enum sgx_sigstruct_error {
	SGX_SIGSTRUCT_OK = 0,
	/* format (EINIT: SGX_INVALID_SIG_STRUCT) */
	SGX_SIGSTRUCT_BAD_HEADER,
	SGX_SIGSTRUCT_BAD_VENDOR,
	SGX_SIGSTRUCT_BAD_HEADER2,
	SGX_SIGSTRUCT_BAD_EXPONENT,
	SGX_SIGSTRUCT_BAD_RESERVED,
	/* signature (EINIT: SGX_INVALID_SIGNATURE) */
	SGX_SIGSTRUCT_SIGNATURE_TOO_LARGE,
	SGX_SIGSTRUCT_BAD_SIGNATURE,
	SGX_SIGSTRUCT_BAD_Q1,
	SGX_SIGSTRUCT_BAD_Q2,
	SGX_SIGSTRUCT_NO_MEMORY,
};

/* A one-line description of a reason, for messages. */
const char *sgx_sigstruct_strerror(enum sgx_sigstruct_error err);

/* HEADER, VENDOR, HEADER2, EXPONENT and the reserved bytes (EINIT step 2). */
enum sgx_sigstruct_error sgx_sigstruct_check_format(const struct sgx_sigstruct *sig);

/*
 * The signature: S < N, S^3 mod N is the PKCS#1 v1.5 SHA-256 encoding of the signed bytes
 * (0..127 || 900..1027), and Q1 = floor(S^2 / N), Q2 = floor((S^3 - Q1*S*N) / N).
 */
enum sgx_sigstruct_error sgx_sigstruct_check_signature(const struct sgx_sigstruct *sig);

/* MRSIGNER: SHA-256 of the 384 modulus bytes as stored (little-endian). */
void sgx_sigstruct_mrsigner(const struct sgx_sigstruct *sig, uint8_t mrsigner[32]);

/* SHA-256 of the signed bytes, the digest the signature covers. */
void sgx_sigstruct_digest(const struct sgx_sigstruct *sig, uint8_t digest[32]);

/* The 352 fixed bytes that start every valid EM (SECS.PADDING after EINIT). */
extern const uint8_t sgx_pkcs1_sha256_padding[352];

#endif /* SGXEMU_CPU_SIGSTRUCT_H */
