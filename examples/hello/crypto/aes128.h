/* SPDX-License-Identifier: MIT */
/*
 * AES-128, AES-128-CMAC (RFC 4493) and AES-128-GCM (NIST SP 800-38D, 96-bit IVs) for freestanding
 * enclave code. The block cipher is the AES-NI instructions (through the compiler's intrinsics;
 * build with -maes); CMAC and GCM are written on top of it. GHASH multiplies bit by bit with
 * masks instead of branches or tables, so its timing does not depend on the key or the data; it
 * is slow (~1 µs per block) and meant for small messages: keys, reports, sealed secrets.
 *
 * The same files are compiled into the example enclave and into a host unit test that checks them
 * against the FIPS-197, RFC 4493 and GCM-specification vectors and against OpenSSL.
 *
 * Needs only <stddef.h>, <stdint.h> and memcpy/memset.
 */
#ifndef HELLO_AES128_H
#define HELLO_AES128_H

#include <stddef.h>
#include <stdint.h>

#define AES128_KEY_SIZE 16
#define AES128_BLOCK_SIZE 16
#define AES128_GCM_IV_SIZE 12
#define AES128_TAG_SIZE 16

/* The expanded key: 11 round keys. */
struct aes128 {
	uint8_t round_key[11][AES128_BLOCK_SIZE] __attribute__((aligned(16)));
};

void aes128_init(struct aes128 *ctx, const uint8_t key[AES128_KEY_SIZE]);
void aes128_encrypt_block(const struct aes128 *ctx, const uint8_t in[AES128_BLOCK_SIZE],
			  uint8_t out[AES128_BLOCK_SIZE]);
/* Overwrites the round keys (the compiler may not drop it). */
void aes128_wipe(struct aes128 *ctx);

/* AES-128-CMAC of msg[0..len) under key. */
void aes128_cmac(const uint8_t key[AES128_KEY_SIZE], const void *msg, size_t len,
		 uint8_t mac[AES128_TAG_SIZE]);

/* AES-128-GCM: encrypts in[0..len) into out (may be the same buffer), authenticating aad too. */
void aes128_gcm_seal(const uint8_t key[AES128_KEY_SIZE], const uint8_t iv[AES128_GCM_IV_SIZE],
		     const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		     uint8_t tag[AES128_TAG_SIZE]);

/*
 * Checks the tag first and decrypts only if it matches: 0, or -1 with out untouched (a forged or
 * damaged message never reaches the caller, not even in part).
 */
int aes128_gcm_open(const uint8_t key[AES128_KEY_SIZE], const uint8_t iv[AES128_GCM_IV_SIZE],
		    const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		    const uint8_t tag[AES128_TAG_SIZE]);

/* 1 if a[0..len) == b[0..len), in time that depends only on len. */
int crypto_equal(const void *a, const void *b, size_t len);

/* Overwrites p[0..len) with zeros in a way the compiler keeps. */
void crypto_wipe(void *p, size_t len);

#endif /* HELLO_AES128_H */
