/* SPDX-License-Identifier: MIT */
/* MRENCLAVE: the three synthetic examples of ref/sgx-isa.md §4, reproduced block by block. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cpu/measure.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void assert_mrenclave(const struct sgx_measurement *m, const char *expected)
{
	uint8_t mr[32];
	char text[65];

	sgx_measure_final(m, mr);
	hex(mr, sizeof(mr), text);
	assert_string_equal(text, expected);
}

static void test_synthetic_examples(void **state)
{
	static const uint8_t zero_chunk[256];
	struct sgx_measurement m;

	sgx_measure_init(&m);
	sgx_measure_ecreate(&m, 1, 0x2000);
	assert_mrenclave(&m, "9e197c8837c6d65632dbdd59cd7df4f1a25b68d8e4e5eb6ca3b20b05311fecb8");

	sgx_measure_eadd(&m, 0, 0x203);
	for (uint64_t off = 0; off < 4096; off += 256)
		sgx_measure_eextend(&m, off, zero_chunk);
	assert_mrenclave(&m, "1f2cf80bd03ffd8bfac33f7cba128aff511c3af666b93bb66e7ef718418bdade");

	sgx_measure_eadd(&m, 0x1000, 0x100);
	assert_mrenclave(&m, "2280eda7599b4f23813224621835d69de20107e0d8b13881e19481578669e02c");
	/* 1 ECREATE + 1 EADD + 16 EEXTENDs (5 blocks each) + 1 EADD */
	assert_int_equal(m.blocks, 1 + 1 + 16 * 5 + 1);
}

static void test_ecreate_block_layout(void **state)
{
	uint8_t block[64], expected[64] = { 0 };

	sgx_measure_ecreate_block(block, 1, 0x2000);
	memcpy(expected, "ECREATE", 8);
	expected[8] = 1;
	expected[13] = 0x20; /* SIZE is an unaligned u64 at byte 12 */
	assert_memory_equal(block, expected, sizeof(block));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synthetic_examples),
		cmocka_unit_test(test_ecreate_block_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
