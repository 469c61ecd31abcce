// SPDX-License-Identifier: MIT
/*
 * AES-128-GCM with 96-bit IVs (NIST SP 800-38D): CTR encryption from inc32(J0), J0 = IV || 0^31 || 1,
 * and the tag E(K, J0) ^ GHASH_H(A || pad || C || pad || len(A) || len(C)), H = E(K, 0^128).
 */
#include <string.h>

#include "aes128.h"

struct ghash {
	uint64_t h[2]; /* H as two big-endian halves: h[0] holds bits 0..63 (x^0..x^63) */
	uint64_t y[2];
};

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Y = Y * H in GF(2^128) (SP 800-38D Algorithm 1, the "right shift" form with R = 11100001 || 0^120),
 * without branches on secret bits.
 */
static void gf_mul_h(struct ghash *g)
{
	uint64_t zh = 0, zl = 0, vh = g->h[0], vl = g->h[1];

	for (int i = 0; i < 128; i++) {
		uint64_t bit = i < 64 ? g->y[0] >> (63 - i) : g->y[1] >> (127 - i);
		uint64_t mask = -(bit & 1);
		uint64_t lsb = -(vl & 1);

		zh ^= vh & mask;
		zl ^= vl & mask;
		vl = vl >> 1 | vh << 63;
		vh = (vh >> 1) ^ (0xe100000000000000ULL & lsb);
	}
	g->y[0] = zh;
	g->y[1] = zl;
}

static void ghash_block(struct ghash *g, const uint8_t block[AES128_BLOCK_SIZE])
{
	g->y[0] ^= load_be64(block);
	g->y[1] ^= load_be64(block + 8);
	gf_mul_h(g);
}

/* Absorbs data, zero-padding its last block. */
static void ghash_update(struct ghash *g, const uint8_t *data, size_t len)
{
	uint8_t block[AES128_BLOCK_SIZE];

	for (; len >= AES128_BLOCK_SIZE; data += AES128_BLOCK_SIZE, len -= AES128_BLOCK_SIZE)
		ghash_block(g, data);
	if (len) {
		memset(block, 0, sizeof(block));
		memcpy(block, data, len);
		ghash_block(g, block);
	}
}

struct gcm {
	struct aes128 aes;
	struct ghash ghash;
	uint8_t j0[AES128_BLOCK_SIZE];
};

static void gcm_start(struct gcm *c, const uint8_t key[AES128_KEY_SIZE],
		      const uint8_t iv[AES128_GCM_IV_SIZE], const void *aad, size_t aad_len)
{
	uint8_t h[AES128_BLOCK_SIZE] = { 0 };

	aes128_init(&c->aes, key);
	aes128_encrypt_block(&c->aes, h, h);
	c->ghash.h[0] = load_be64(h);
	c->ghash.h[1] = load_be64(h + 8);
	c->ghash.y[0] = c->ghash.y[1] = 0;
	crypto_wipe(h, sizeof(h));
	memcpy(c->j0, iv, AES128_GCM_IV_SIZE);
	c->j0[12] = c->j0[13] = c->j0[14] = 0;
	c->j0[15] = 1;
	ghash_update(&c->ghash, aad, aad_len);
}

/* CTR mode from inc32(J0): out = in ^ keystream. */
static void gcm_ctr(struct gcm *c, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t ctr[AES128_BLOCK_SIZE], ks[AES128_BLOCK_SIZE];
	uint32_t n = 1;

	memcpy(ctr, c->j0, sizeof(ctr));
	for (size_t off = 0; off < len; off += AES128_BLOCK_SIZE) {
		size_t chunk = len - off < AES128_BLOCK_SIZE ? len - off : AES128_BLOCK_SIZE;

		n++;
		ctr[12] = (uint8_t)(n >> 24);
		ctr[13] = (uint8_t)(n >> 16);
		ctr[14] = (uint8_t)(n >> 8);
		ctr[15] = (uint8_t)n;
		aes128_encrypt_block(&c->aes, ctr, ks);
		for (size_t i = 0; i < chunk; i++)
			out[off + i] = in[off + i] ^ ks[i];
	}
	crypto_wipe(ks, sizeof(ks));
}

static void gcm_tag(struct gcm *c, const uint8_t *ct, size_t len, size_t aad_len,
		    uint8_t tag[AES128_TAG_SIZE])
{
	uint8_t lengths[AES128_BLOCK_SIZE], s[AES128_BLOCK_SIZE];

	ghash_update(&c->ghash, ct, len);
	store_be64(lengths, (uint64_t)aad_len * 8);
	store_be64(lengths + 8, (uint64_t)len * 8);
	ghash_block(&c->ghash, lengths);
	store_be64(s, c->ghash.y[0]);
	store_be64(s + 8, c->ghash.y[1]);
	aes128_encrypt_block(&c->aes, c->j0, tag);
	for (int i = 0; i < AES128_TAG_SIZE; i++)
		tag[i] ^= s[i];
}

void aes128_gcm_seal(const uint8_t key[AES128_KEY_SIZE], const uint8_t iv[AES128_GCM_IV_SIZE],
		     const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		     uint8_t tag[AES128_TAG_SIZE])
{
	struct gcm c;

	gcm_start(&c, key, iv, aad, aad_len);
	gcm_ctr(&c, in, len, out);
	gcm_tag(&c, out, len, aad_len, tag);
	crypto_wipe(&c, sizeof(c));
}

int aes128_gcm_open(const uint8_t key[AES128_KEY_SIZE], const uint8_t iv[AES128_GCM_IV_SIZE],
		    const void *aad, size_t aad_len, const void *in, size_t len, void *out,
		    const uint8_t tag[AES128_TAG_SIZE])
{
	uint8_t expected[AES128_TAG_SIZE];
	struct gcm c;
	int ok;

	gcm_start(&c, key, iv, aad, aad_len);
	gcm_tag(&c, in, len, aad_len, expected);
	ok = crypto_equal(expected, tag, AES128_TAG_SIZE);
	if (ok)
		gcm_ctr(&c, in, len, out);
	crypto_wipe(&c, sizeof(c));
	crypto_wipe(expected, sizeof(expected));
	return ok ? 0 : -1;
}
