/* SPDX-License-Identifier: MIT */
/*
 * Key derivation primitives (keys.c): AES-128-CMAC against RFC 4493's vectors, and the derived key
 * as a function of every byte of KEYDEPENDENCIES and of the root key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_internal.h"

static void unhex(const char *text, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int byte;

		assert_int_equal(sscanf(text + 2 * i, "%2x", &byte), 1);
		out[i] = (uint8_t)byte;
	}
}

/* RFC 4493 §4: AES-128 key 2b7e1516..., the four example messages and their MACs. */
static void test_cmac_rfc4493(void **state)
{
	static const char *msg_hex = "6bc1bee22e409f96e93d7e117393172a"
				     "ae2d8a571e03ac9c9eb76fac45af8e51"
				     "30c81c46a35ce411e5fbc1191a0a52ef"
				     "f69f2445df4f9b17ad2b417be66c3710";
	static const struct {
		size_t len;
		const char *mac;
	} vectors[] = {
		{ 0, "bb1d6929e95937287fa37d129b756746" },
		{ 16, "070a16b46b4d4144f79bdd9dd04a287c" },
		{ 40, "dfa66747de9ae63030ca32611497c827" },
		{ 64, "51f0bebf7e3b9d92fc49741779363cfe" },
	};
	uint8_t key[16], msg[64], mac[16], expected[16];

	unhex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof(key));
	unhex(msg_hex, msg, sizeof(msg));
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		unhex(vectors[i].mac, expected, sizeof(expected));
		memset(mac, 0, sizeof(mac));
		sgx_cmac(key, msg, vectors[i].len, mac);
		assert_memory_equal(mac, expected, sizeof(mac));
	}
}

/* Only root_key is read by sgx_derive_key; a zeroed processor structure is enough here. */
static struct sgx_cpu *fake_cpu(uint8_t seed)
{
	struct sgx_cpu *cpu = calloc(1, sizeof(*cpu));

	assert_non_null(cpu);
	for (int i = 0; i < 16; i++)
		cpu->root_key[i] = (uint8_t)(seed + 7 * i);
	return cpu;
}

static void fill_keydep(struct sgx_keydep *dep)
{
	uint8_t *p = (uint8_t *)dep;

	for (size_t i = 0; i < sizeof(*dep); i++)
		p[i] = (uint8_t)(i * 31 + 5);
}

static void test_derive_deterministic(void **state)
{
	struct sgx_cpu *a = fake_cpu(1), *b = fake_cpu(1);
	struct sgx_keydep dep;
	uint8_t k1[16], k2[16], k3[16];

	fill_keydep(&dep);
	sgx_derive_key(a, &dep, k1);
	sgx_derive_key(a, &dep, k2);
	sgx_derive_key(b, &dep, k3);
	assert_memory_equal(k1, k2, 16);
	/* Two processors with the same root key derive the same key: sealing survives restarts. */
	assert_memory_equal(k1, k3, 16);
	free(a);
	free(b);
}

/* Every byte (hence every field) of KEYDEPENDENCIES is an input: flipping one changes the key. */
static void test_derive_every_byte_matters(void **state)
{
	struct sgx_cpu *cpu = fake_cpu(9);
	struct sgx_keydep dep, flipped;
	uint8_t base[16], key[16];

	fill_keydep(&dep);
	sgx_derive_key(cpu, &dep, base);
	for (size_t i = 0; i < sizeof(dep); i++) {
		for (unsigned int bit = 0; bit < 8; bit += 7) {
			flipped = dep;
			((uint8_t *)&flipped)[i] ^= (uint8_t)(1U << bit);
			sgx_derive_key(cpu, &flipped, key);
			if (!memcmp(key, base, 16))
				fail_msg("flipping bit %u of KEYDEPENDENCIES byte %zu did not "
					 "change the key",
					 bit, i);
		}
	}
	free(cpu);
}

/* The named fields, so that a layout change that drops one is caught by name too. */
static void test_derive_each_field(void **state)
{
	static const struct {
		const char *name;
		size_t offset, size;
	} fields[] = {
#define F(m) { #m, offsetof(struct sgx_keydep, m), sizeof(((struct sgx_keydep *)0)->m) }
		F(keyname),	F(isvprodid),	   F(isvsvn),	      F(keypolicy),  F(configsvn),
		F(owner_epoch), F(attributes),	   F(attribute_mask), F(mrenclave),  F(mrsigner),
		F(keyid),	F(seal_key_fuses), F(cpusvn),	      F(miscselect), F(miscmask),
		F(config_id),	F(isvfamilyid),	   F(isvextprodid),   F(padding),
#undef F
	};
	struct sgx_cpu *cpu = fake_cpu(3);
	struct sgx_keydep dep, flipped;
	uint8_t base[16], key[16];

	memset(&dep, 0, sizeof(dep));
	sgx_derive_key(cpu, &dep, base);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* first and last byte of the field */
		size_t where[2] = { fields[i].offset, fields[i].offset + fields[i].size - 1 };

		for (int j = 0; j < 2; j++) {
			flipped = dep;
			((uint8_t *)&flipped)[where[j]] ^= 0x80;
			sgx_derive_key(cpu, &flipped, key);
			if (!memcmp(key, base, 16))
				fail_msg("field %s does not change the key", fields[i].name);
		}
	}
	free(cpu);
}

static void test_derive_root_key_matters(void **state)
{
	struct sgx_cpu *cpu = fake_cpu(4);
	struct sgx_keydep dep;
	uint8_t base[16], key[16];

	fill_keydep(&dep);
	sgx_derive_key(cpu, &dep, base);
	for (int i = 0; i < 16; i++) {
		cpu->root_key[i] ^= 1;
		sgx_derive_key(cpu, &dep, key);
		cpu->root_key[i] ^= 1;
		assert_memory_not_equal(key, base, 16);
	}
	free(cpu);
}

/* The derived key is exactly CMAC(root key, the packed struct): no hidden extra inputs. */
static void test_derive_is_cmac_of_struct(void **state)
{
	struct sgx_cpu *cpu = fake_cpu(5);
	struct sgx_keydep dep;
	uint8_t key[16], mac[16];

	fill_keydep(&dep);
	sgx_derive_key(cpu, &dep, key);
	sgx_cmac(cpu->root_key, &dep, sizeof(dep), mac);
	assert_memory_equal(key, mac, 16);
	free(cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmac_rfc4493),
		cmocka_unit_test(test_derive_deterministic),
		cmocka_unit_test(test_derive_every_byte_matters),
		cmocka_unit_test(test_derive_each_field),
		cmocka_unit_test(test_derive_root_key_matters),
		cmocka_unit_test(test_derive_is_cmac_of_struct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
