/* SPDX-License-Identifier: MIT */
#include "cpu/measure.h"

#include <string.h>

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v)); /* x86-64: already little-endian */
}

void sgx_measure_ecreate_block(uint8_t block[64], uint32_t ssa_frame_size, uint64_t size)
{
	memset(block, 0, SGX_MEASURE_BLOCK_SIZE);
	put_u64(block, SGX_MEASURE_TAG_ECREATE);
	memcpy(block + 8, &ssa_frame_size, sizeof(ssa_frame_size));
	put_u64(block + 12, size);
}

void sgx_measure_eadd_block(uint8_t block[64], uint64_t offset, uint64_t secinfo_flags)
{
	memset(block, 0, SGX_MEASURE_BLOCK_SIZE);
	put_u64(block, SGX_MEASURE_TAG_EADD);
	put_u64(block + 8, offset);
	put_u64(block + 16, secinfo_flags); /* the first 48 bytes of SECINFO: flags, then zeros */
}

void sgx_measure_eextend_block(uint8_t block[64], uint64_t offset)
{
	memset(block, 0, SGX_MEASURE_BLOCK_SIZE);
	put_u64(block, SGX_MEASURE_TAG_EEXTEND);
	put_u64(block + 8, offset);
}

void sgx_measure_init(struct sgx_measurement *m)
{
	SHA256_Init(&m->sha);
	m->blocks = 0;
}

void sgx_measure_ecreate(struct sgx_measurement *m, uint32_t ssa_frame_size, uint64_t size)
{
	uint8_t block[SGX_MEASURE_BLOCK_SIZE];

	sgx_measure_ecreate_block(block, ssa_frame_size, size);
	SHA256_Update(&m->sha, block, sizeof(block));
	m->blocks += 1;
}

void sgx_measure_eadd(struct sgx_measurement *m, uint64_t offset, uint64_t secinfo_flags)
{
	uint8_t block[SGX_MEASURE_BLOCK_SIZE];

	sgx_measure_eadd_block(block, offset, secinfo_flags);
	SHA256_Update(&m->sha, block, sizeof(block));
	m->blocks += 1;
}

void sgx_measure_eextend(struct sgx_measurement *m, uint64_t offset, const uint8_t data[256])
{
	uint8_t block[SGX_MEASURE_BLOCK_SIZE];

	sgx_measure_eextend_block(block, offset);
	SHA256_Update(&m->sha, block, sizeof(block));
	SHA256_Update(&m->sha, data, 256);
	m->blocks += 5;
}

void sgx_measure_blocks(struct sgx_measurement *m, const void *blocks, size_t len)
{
	SHA256_Update(&m->sha, blocks, len);
	m->blocks += len / SGX_MEASURE_BLOCK_SIZE;
}

void sgx_measure_final(const struct sgx_measurement *m, uint8_t mrenclave[32])
{
	SHA256_CTX copy = m->sha;

	SHA256_Final(mrenclave, &copy);
}
