// SPDX-License-Identifier: MIT
/*
 * The example enclave's crypto, run on the host: the same source files the enclave is built from,
 * checked against published vectors (FIPS-197 Appendix B and C.1, RFC 4493 §4, the GCM
 * specification's test cases 1-4) and against OpenSSL on random inputs of every length that
 * exercises a block boundary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/aes128.h"

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*hex) {
		unsigned int byte;

		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < max);
		assert_int_equal(sscanf(hex, "%2x", &byte), 1);
		out[n++] = (uint8_t)byte;
		hex += 2;
	}
	return n;
}

#define UNHEX(hex, buf) unhex(hex, buf, sizeof(buf))

static void assert_hex(const uint8_t *got, const char *hex)
{
	uint8_t want[256];
	size_t n = UNHEX(hex, want);

	assert_memory_equal(got, want, n);
}

static void test_aes_fips197(void **state)
{
	static const struct {
		const char *key, *in, *out;
	} v[] = {
		/* FIPS-197 Appendix B (the cipher example) and Appendix C.1 (AES-128). */
		{ "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
		  "3925841d02dc09fbdc118597196a0b32" },
		{ "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
		  "69c4e0d86a7b0430d8cdb78070b4c55a" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t key[16], in[16], out[16];
		struct aes128 aes;

		UNHEX(v[i].key, key);
		UNHEX(v[i].in, in);
		aes128_init(&aes, key);
		aes128_encrypt_block(&aes, in, out);
		assert_hex(out, v[i].out);
		/* In place. */
		aes128_encrypt_block(&aes, in, in);
		assert_hex(in, v[i].out);
	}
}

static void test_cmac_rfc4493(void **state)
{
	static const char *msg =
		"6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
		"30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
	static const struct {
		size_t len;
		const char *mac;
	} v[] = {
		{ 0, "bb1d6929e95937287fa37d129b756746" },
		{ 16, "070a16b46b4d4144f79bdd9dd04a287c" },
		{ 40, "dfa66747de9ae63030ca32611497c827" },
		{ 64, "51f0bebf7e3b9d92fc49741779363cfe" },
	};
	uint8_t key[16], m[64], mac[16];

	UNHEX("2b7e151628aed2a6abf7158809cf4f3c", key);
	assert_int_equal(UNHEX(msg, m), 64);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		aes128_cmac(key, m, v[i].len, mac);
		assert_hex(mac, v[i].mac);
	}
}

static void test_gcm_spec_vectors(void **state)
{
	static const char *p3 = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
				"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
	static const char *c3 = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
				"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
	static const struct {
		const char *key, *iv, *aad;
		size_t len; /* of the plaintext, a prefix of p3 (or zeros for cases 1-2) */
		bool zeros;
		const char *tag;
	} v[] = {
		{ "00000000000000000000000000000000", "000000000000000000000000", "", 0, true,
		  "58e2fccefa7e3061367f1d57a4e7455a" },
		{ "00000000000000000000000000000000", "000000000000000000000000", "", 16, true,
		  "ab6e47d42cec13bdf53a67b21257bddf" },
		{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "", 64, false,
		  "4d5c2af327cd64a62cf35abd2ba6fab4" },
		{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2", 60, false,
		  "5bc94fbc3221a5db94fae95ae7121a47" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t key[16], iv[12], aad[32], pt[64] = { 0 }, ct[64], back[64], tag[16];
		uint8_t want_ct[64];
		size_t aad_len = UNHEX(v[i].aad, aad);

		UNHEX(v[i].key, key);
		UNHEX(v[i].iv, iv);
		if (!v[i].zeros) {
			UNHEX(p3, pt);
			UNHEX(c3, want_ct);
		} else {
			UNHEX("0388dace60b6a392f328c2b971b2fe78", want_ct);
		}
		aes128_gcm_seal(key, iv, aad, aad_len, pt, v[i].len, ct, tag);
		assert_memory_equal(ct, want_ct, v[i].len);
		assert_hex(tag, v[i].tag);

		assert_int_equal(aes128_gcm_open(key, iv, aad, aad_len, ct, v[i].len, back, tag),
				 0);
		assert_memory_equal(back, pt, v[i].len);
	}
}

static void test_gcm_refuses_tampering(void **state)
{
	uint8_t key[16] = { 1 }, iv[12] = { 2 }, aad[20] = { 3 }, pt[40], ct[40], out[40], tag[16];

	memset(pt, 0x5a, sizeof(pt));
	aes128_gcm_seal(key, iv, aad, sizeof(aad), pt, sizeof(pt), ct, tag);

	/* Every single-bit change of ciphertext, tag, AAD or IV is refused; out stays untouched. */
	for (size_t bit = 0; bit < 8 * sizeof(ct); bit += 7) {
		memset(out, 0xee, sizeof(out));
		ct[bit / 8] ^= (uint8_t)(1 << bit % 8);
		assert_int_equal(
			aes128_gcm_open(key, iv, aad, sizeof(aad), ct, sizeof(ct), out, tag), -1);
		ct[bit / 8] ^= (uint8_t)(1 << bit % 8);
		for (size_t i = 0; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xee);
	}
	tag[15] ^= 1;
	assert_int_equal(aes128_gcm_open(key, iv, aad, sizeof(aad), ct, sizeof(ct), out, tag), -1);
	tag[15] ^= 1;
	aad[0] ^= 0x80;
	assert_int_equal(aes128_gcm_open(key, iv, aad, sizeof(aad), ct, sizeof(ct), out, tag), -1);
	aad[0] ^= 0x80;
	iv[11] ^= 1;
	assert_int_equal(aes128_gcm_open(key, iv, aad, sizeof(aad), ct, sizeof(ct), out, tag), -1);
	iv[11] ^= 1;
	assert_int_equal(aes128_gcm_open(key, iv, aad, sizeof(aad), ct, sizeof(ct), out, tag), 0);
	assert_memory_equal(out, pt, sizeof(pt));
}

static void openssl_gcm(const uint8_t *key, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
			const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv), 1);
	if (aad_len)
		assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(ctx, ct, &n, pt, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, ct + len, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(ctx);
}

static void openssl_cmac(const uint8_t *key, const uint8_t *msg, size_t len, uint8_t *mac)
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, "AES-128-CBC", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t out_len = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
	assert_int_equal(EVP_MAC_final(ctx, mac, &out_len, 16), 1);
	assert_int_equal(out_len, 16);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
}

/* Every length from 0 to 80 (five blocks and every partial block) against OpenSSL. */
static void test_against_openssl(void **state)
{
	uint8_t key[16], iv[12], aad[48], pt[80], ct[80], want_ct[80], back[80], tag[16], want[16];

	for (size_t len = 0; len <= sizeof(pt); len++) {
		size_t aad_len = len % (sizeof(aad) + 1);

		assert_int_equal(RAND_bytes(key, sizeof(key)), 1);
		assert_int_equal(RAND_bytes(iv, sizeof(iv)), 1);
		assert_int_equal(RAND_bytes(aad, sizeof(aad)), 1);
		assert_int_equal(RAND_bytes(pt, sizeof(pt)), 1);

		aes128_cmac(key, pt, len, tag);
		openssl_cmac(key, pt, len, want);
		assert_memory_equal(tag, want, 16);

		aes128_gcm_seal(key, iv, aad, aad_len, pt, len, ct, tag);
		openssl_gcm(key, iv, aad, aad_len, pt, len, want_ct, want);
		assert_memory_equal(ct, want_ct, len);
		assert_memory_equal(tag, want, 16);
		assert_int_equal(aes128_gcm_open(key, iv, aad, aad_len, ct, len, back, tag), 0);
		assert_memory_equal(back, pt, len);
	}
}

static void test_equal_and_wipe(void **state)
{
	uint8_t a[33], b[33];

	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(crypto_equal(a, b, sizeof(a)));
	assert_true(crypto_equal(a, b, 0));
	b[32] ^= 1;
	assert_false(crypto_equal(a, b, sizeof(a)));
	crypto_wipe(a, sizeof(a));
	for (size_t i = 0; i < sizeof(a); i++)
		assert_int_equal(a[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aes_fips197),
		cmocka_unit_test(test_cmac_rfc4493),
		cmocka_unit_test(test_gcm_spec_vectors),
		cmocka_unit_test(test_gcm_refuses_tampering),
		cmocka_unit_test(test_against_openssl),
		cmocka_unit_test(test_equal_and_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
