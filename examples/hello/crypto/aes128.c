// SPDX-License-Identifier: MIT
/*
 * AES-128 with AES-NI (FIPS-197): the key schedule with AESKEYGENASSIST, the rounds with
 * AESENC/AESENCLAST. No tables, so no key-dependent memory accesses.
 */
#include <string.h>
#include <wmmintrin.h>

#include "aes128.h"

/*
 * One step of the key schedule: w[i..i+3] from w[i-4..i-1] (prev) and AESKEYGENASSIST's output,
 * whose dword 3 is RotWord(SubWord(w[i-1])) ^ Rcon.
 */
static __m128i expand_step(__m128i prev, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, _MM_SHUFFLE(3, 3, 3, 3));
	prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
	prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
	prev = _mm_xor_si128(prev, _mm_slli_si128(prev, 4));
	return _mm_xor_si128(prev, assist);
}

/* The round constant must be an immediate, hence a macro. */
#define EXPAND(rk, i, rcon) \
	((rk)[i] = expand_step((rk)[(i)-1], _mm_aeskeygenassist_si128((rk)[(i)-1], (rcon))))

void aes128_init(struct aes128 *ctx, const uint8_t key[AES128_KEY_SIZE])
{
	__m128i rk[11];

	rk[0] = _mm_loadu_si128((const __m128i *)key);
	EXPAND(rk, 1, 0x01);
	EXPAND(rk, 2, 0x02);
	EXPAND(rk, 3, 0x04);
	EXPAND(rk, 4, 0x08);
	EXPAND(rk, 5, 0x10);
	EXPAND(rk, 6, 0x20);
	EXPAND(rk, 7, 0x40);
	EXPAND(rk, 8, 0x80);
	EXPAND(rk, 9, 0x1b);
	EXPAND(rk, 10, 0x36);
	for (int i = 0; i < 11; i++)
		_mm_store_si128((__m128i *)ctx->round_key[i], rk[i]);
}

void aes128_encrypt_block(const struct aes128 *ctx, const uint8_t in[AES128_BLOCK_SIZE],
			  uint8_t out[AES128_BLOCK_SIZE])
{
	__m128i b = _mm_loadu_si128((const __m128i *)in);

	b = _mm_xor_si128(b, _mm_load_si128((const __m128i *)ctx->round_key[0]));
	for (int i = 1; i < 10; i++)
		b = _mm_aesenc_si128(b, _mm_load_si128((const __m128i *)ctx->round_key[i]));
	b = _mm_aesenclast_si128(b, _mm_load_si128((const __m128i *)ctx->round_key[10]));
	_mm_storeu_si128((__m128i *)out, b);
}

void crypto_wipe(void *p, size_t len)
{
	memset(p, 0, len);
	/* The buffer is "used" afterwards as far as the compiler knows: the stores stay. */
	asm volatile("" : : "r"(p) : "memory");
}

void aes128_wipe(struct aes128 *ctx)
{
	crypto_wipe(ctx, sizeof(*ctx));
}

int crypto_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}
