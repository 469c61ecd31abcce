// SPDX-License-Identifier: MIT
/* AES-128-CMAC (RFC 4493, NIST SP 800-38B): what EREPORT's MAC is, so what a verifier recomputes. */
#include <string.h>

#include "aes128.h"

/* Doubling in GF(2^128) with the CMAC polynomial (x^128 + x^7 + x^2 + x + 1 -> 0x87). */
static void dbl(uint8_t b[AES128_BLOCK_SIZE])
{
	uint8_t carry = b[0] >> 7;

	for (int i = 0; i < AES128_BLOCK_SIZE - 1; i++)
		b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
	b[AES128_BLOCK_SIZE - 1] =
		(uint8_t)(b[AES128_BLOCK_SIZE - 1] << 1) ^ (uint8_t)(0x87 & -carry);
}

void aes128_cmac(const uint8_t key[AES128_KEY_SIZE], const void *msg, size_t len,
		 uint8_t mac[AES128_TAG_SIZE])
{
	const uint8_t *m = msg;
	struct aes128 aes;
	uint8_t k[AES128_BLOCK_SIZE] = { 0 }, x[AES128_BLOCK_SIZE] = { 0 };
	uint8_t last[AES128_BLOCK_SIZE] = { 0 };
	size_t full = len ? (len - 1) / AES128_BLOCK_SIZE : 0; /* blocks before the last one */
	size_t rest = len - full * AES128_BLOCK_SIZE; /* 1..16, or 0 for an empty message */

	aes128_init(&aes, key);
	/* Subkeys: K1 = dbl(E(K, 0)); K2 = dbl(K1). */
	aes128_encrypt_block(&aes, k, k);
	dbl(k);

	for (size_t i = 0; i < full; i++) {
		for (int j = 0; j < AES128_BLOCK_SIZE; j++)
			x[j] ^= m[i * AES128_BLOCK_SIZE + j];
		aes128_encrypt_block(&aes, x, x);
	}
	/* The last block: complete -> XOR K1; partial or empty -> pad with 10..0, XOR K2. */
	memcpy(last, m + full * AES128_BLOCK_SIZE, rest);
	if (rest < AES128_BLOCK_SIZE) {
		last[rest] = 0x80;
		dbl(k);
	}
	for (int j = 0; j < AES128_BLOCK_SIZE; j++)
		x[j] ^= last[j] ^ k[j];
	aes128_encrypt_block(&aes, x, mac);

	aes128_wipe(&aes);
	crypto_wipe(k, sizeof(k));
	crypto_wipe(x, sizeof(x));
	crypto_wipe(last, sizeof(last));
}
