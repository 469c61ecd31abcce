/* SPDX-License-Identifier: MIT */
/*
 * The streaming MRENCLAVE (ref/sgx-isa.md §4): SHA-256 over the 64-byte blocks that ECREATE, EADD
 * and EEXTEND append. The CPU keeps one inside each SECS page (so that it follows the page through
 * EWB/ELDU, as hardware keeps it there); `sgxemu measure` drives one from an SGXS stream.
 *
 * The state is OpenSSL's plain SHA256_CTX rather than an opaque EVP context for exactly that
 * reason: it has to be plain bytes that can live inside an EPC page.
 */
#ifndef SGXEMU_CPU_MEASURE_H
#define SGXEMU_CPU_MEASURE_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>

#define SGX_MEASURE_TAG_ECREATE 0x0045544145524345ULL /* "ECREATE\0" */
#define SGX_MEASURE_TAG_EADD 0x0000000044444145ULL    /* "EADD\0\0\0\0" */
#define SGX_MEASURE_TAG_EEXTEND 0x00444E4554584545ULL /* "EEXTEND\0" */
#define SGX_MEASURE_BLOCK_SIZE 64

struct sgx_measurement {
	SHA256_CTX sha;
	uint64_t blocks; /* the SECS's MRENCLAVE update counter */
};

void sgx_measure_init(struct sgx_measurement *m);
void sgx_measure_ecreate(struct sgx_measurement *m, uint32_t ssa_frame_size, uint64_t size);
/* offset = LINADDR - BASEADDR; secinfo_flags as hashed (TCS pages with RWX already cleared). */
void sgx_measure_eadd(struct sgx_measurement *m, uint64_t offset, uint64_t secinfo_flags);
/* One EEXTEND: the header block and the 256 data bytes at offset (256-aligned). */
void sgx_measure_eextend(struct sgx_measurement *m, uint64_t offset, const uint8_t data[256]);
/*
 * Blocks already formed (an SGXS stream's measured records, in order): len is a multiple of 64.
 * One call for many blocks runs at the speed of SHA-256 itself.
 */
void sgx_measure_blocks(struct sgx_measurement *m, const void *blocks, size_t len);
/* MRENCLAVE so far; m is left untouched so that measuring can continue. */
void sgx_measure_final(const struct sgx_measurement *m, uint8_t mrenclave[32]);

/* The raw 64-byte header blocks, for writers of SGXS streams. */
void sgx_measure_ecreate_block(uint8_t block[64], uint32_t ssa_frame_size, uint64_t size);
void sgx_measure_eadd_block(uint8_t block[64], uint64_t offset, uint64_t secinfo_flags);
void sgx_measure_eextend_block(uint8_t block[64], uint64_t offset);

#endif /* SGXEMU_CPU_MEASURE_H */
