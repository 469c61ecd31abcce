// SPDX-License-Identifier: MIT
/*
 * The paging cryptography of ref/sgx-isa.md §7.1 (src/cpu/paging_crypto.c) on its own, with a
 * bare processor structure: the leaves that use it are tested in test_cpu_paging*.c.
 *
 *   property                                                      test
 *   EWB then ELDU of the same page/header/version round-trips     test_round_trip
 *   AES-128-GCM, IV = VERSION << 32, AAD = the 128-byte header    test_known_answer
 *   header layout EID@0 LINADDR@8 SECINFO@16 PCMD.RSVD@80         test_header_layout
 *   any change to ciphertext, MAC, EID, LINADDR, SECINFO (flags
 *   or reserved), PCMD reserved, or VERSION fails the MAC         test_tamper
 *   contexts are keyed once per power cycle, not per page         test_keyed_once_per_cycle
 *   a new power cycle's key rejects the old blobs                 test_keyed_once_per_cycle
 *   VERSION strictly increases and skips 0                        test_version_counter
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cpu/cpu_internal.h"

struct fixture {
	struct sgx_cpu *cpu;
	struct sgx_lp *lp;
	struct sgx_pcmd pcmd;
	struct sgx_paging_header hdr;
	uint8_t page[4096];
	uint8_t blob[4096];
	uint8_t out[4096];
	uint8_t mac[16];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->cpu = calloc(1, sizeof(*f->cpu));
	f->lp = calloc(1, sizeof(*f->lp));
	if (!f->cpu || !f->lp)
		return -1;
	f->lp->cpu = f->cpu;
	f->lp->gcm_key_cycle = ~0ULL; /* as lp.c leaves a fresh LP */
	RAND_bytes(f->cpu->paging_key, sizeof(f->cpu->paging_key));
	RAND_bytes(f->page, sizeof(f->page));
	f->pcmd.secinfo.flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	sgx_paging_header_init(&f->hdr, 0x1234, 0x7f0000005000ULL, &f->pcmd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	EVP_CIPHER_CTX_free(f->lp->gcm_enc);
	EVP_CIPHER_CTX_free(f->lp->gcm_dec);
	free(f->lp);
	free(f->cpu);
	free(f);
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sgx_paging_encrypt(f->lp, 7, &f->hdr, f->page, f->blob, f->mac), 0);
	assert_memory_not_equal(f->blob, f->page, sizeof(f->page));
	assert_int_equal(sgx_paging_decrypt(f->lp, 7, &f->hdr, f->blob, f->out, f->mac), 0);
	assert_memory_equal(f->out, f->page, sizeof(f->page));

	/* In place, as ELDU does in the LP's scratch page. */
	memcpy(f->out, f->blob, sizeof(f->blob));
	assert_int_equal(sgx_paging_decrypt(f->lp, 7, &f->hdr, f->out, f->out, f->mac), 0);
	assert_memory_equal(f->out, f->page, sizeof(f->page));
}

static void test_known_answer(void **state)
{
	struct fixture *f = *state;
	const uint64_t version = 0x0102030405060708ULL;
	const uint8_t iv[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0 };
	uint8_t expect[4096], tag[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len;

	assert_non_null(ctx);
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, f->cpu->paging_key, iv),
			 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &len, (uint8_t *)&f->hdr, 128), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, expect, &len, f->page, 4096), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, expect + len, &len), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(ctx);

	assert_int_equal(sgx_paging_encrypt(f->lp, version, &f->hdr, f->page, f->blob, f->mac), 0);
	assert_memory_equal(f->blob, expect, sizeof(expect));
	assert_memory_equal(f->mac, tag, sizeof(tag));
}

static void test_header_layout(void **state)
{
	struct sgx_pcmd pcmd;
	struct sgx_paging_header hdr;
	uint8_t *b = (uint8_t *)&hdr;
	uint64_t v;

	memset(&pcmd, 0, sizeof(pcmd));
	pcmd.secinfo.flags = 0x0305;
	pcmd.secinfo.reserved[55] = 0xAA;
	pcmd.enclave_id = 0x5555; /* ENCLAVEID is software's handle, not authenticated */
	pcmd.reserved[0] = 0xBB;
	pcmd.reserved[39] = 0xCC;
	memset(pcmd.mac, 0xEE, sizeof(pcmd.mac));
	memset(&hdr, 0xFF, sizeof(hdr));
	sgx_paging_header_init(&hdr, 0x1122334455667788ULL, 0xABCD000ULL, &pcmd);

	memcpy(&v, b + 0, 8);
	assert_int_equal(v, 0x1122334455667788ULL);
	memcpy(&v, b + 8, 8);
	assert_int_equal(v, 0xABCD000ULL);
	memcpy(&v, b + 16, 8);
	assert_int_equal(v, 0x0305);
	assert_int_equal(b[16 + 63], 0xAA);
	assert_int_equal(b[80], 0xBB);
	assert_int_equal(b[119], 0xCC);
	for (int i = 120; i < 128; i++)
		assert_int_equal(b[i], 0);
	for (int i = 24; i < 16 + 63; i++)
		assert_int_equal(b[i], 0);
}

static void assert_rejected(struct fixture *f, uint64_t version,
			    const struct sgx_paging_header *hdr, const uint8_t *blob,
			    const uint8_t *mac)
{
	assert_int_equal(sgx_paging_decrypt(f->lp, version, hdr, blob, f->out, mac),
			 SGX_MAC_COMPARE_FAIL);
}

static void test_tamper(void **state)
{
	struct fixture *f = *state;
	struct sgx_paging_header hdr;
	uint8_t blob[4096], mac[16];

	assert_int_equal(sgx_paging_encrypt(f->lp, 42, &f->hdr, f->page, f->blob, f->mac), 0);

	memcpy(blob, f->blob, sizeof(blob));
	blob[4095] ^= 0x80;
	assert_rejected(f, 42, &f->hdr, blob, f->mac);
	blob[4095] ^= 0x80;
	blob[0] ^= 1;
	assert_rejected(f, 42, &f->hdr, blob, f->mac);

	memcpy(mac, f->mac, sizeof(mac));
	mac[15] ^= 1;
	assert_rejected(f, 42, &f->hdr, f->blob, mac);

	assert_rejected(f, 41, &f->hdr, f->blob, f->mac);
	assert_rejected(f, 43, &f->hdr, f->blob, f->mac);
	assert_rejected(f, 0, &f->hdr, f->blob, f->mac);

	hdr = f->hdr;
	hdr.eid++;
	assert_rejected(f, 42, &hdr, f->blob, f->mac);
	hdr = f->hdr;
	hdr.linaddr += 4096;
	assert_rejected(f, 42, &hdr, f->blob, f->mac);
	hdr = f->hdr;
	hdr.secinfo[0] ^= SGX_SECINFO_X; /* permissions */
	assert_rejected(f, 42, &hdr, f->blob, f->mac);
	hdr = f->hdr;
	hdr.secinfo[1] = SGX_PAGE_TYPE_TCS; /* page type */
	assert_rejected(f, 42, &hdr, f->blob, f->mac);
	hdr = f->hdr;
	hdr.secinfo[40] = 1; /* SECINFO reserved */
	assert_rejected(f, 42, &hdr, f->blob, f->mac);
	hdr = f->hdr;
	hdr.pcmd_reserved[17] = 1;
	assert_rejected(f, 42, &hdr, f->blob, f->mac);

	/* And the untouched blob still loads: nothing above disturbed the context. */
	assert_int_equal(sgx_paging_decrypt(f->lp, 42, &f->hdr, f->blob, f->out, f->mac), 0);
	assert_memory_equal(f->out, f->page, sizeof(f->page));
}

static void test_keyed_once_per_cycle(void **state)
{
	struct fixture *f = *state;
	uint8_t blob2[4096], mac2[16];
	EVP_CIPHER_CTX *enc;

	assert_int_equal(sgx_paging_encrypt(f->lp, 9, &f->hdr, f->page, f->blob, f->mac), 0);
	enc = f->lp->gcm_enc;

	/*
	 * Changing CR_BASE_PK behind the LP's back without a power cycle does not reach the
	 * contexts: they were keyed once, and a page only sets the IV.
	 */
	f->cpu->paging_key[0] ^= 0xFF;
	assert_int_equal(sgx_paging_encrypt(f->lp, 9, &f->hdr, f->page, blob2, mac2), 0);
	assert_memory_equal(blob2, f->blob, sizeof(blob2));
	assert_memory_equal(mac2, f->mac, sizeof(mac2));
	assert_ptr_equal(f->lp->gcm_enc, enc);

	/* A power cycle: the next page re-keys, in the same contexts, and old blobs fail. */
	__atomic_add_fetch(&f->cpu->power_cycles, 1, __ATOMIC_RELEASE);
	assert_rejected(f, 9, &f->hdr, f->blob, f->mac);
	assert_int_equal(f->lp->gcm_key_cycle, 1);
	assert_int_equal(sgx_paging_encrypt(f->lp, 9, &f->hdr, f->page, blob2, mac2), 0);
	assert_memory_not_equal(blob2, f->blob, sizeof(blob2));
	assert_ptr_equal(f->lp->gcm_enc, enc);
	assert_int_equal(sgx_paging_decrypt(f->lp, 9, &f->hdr, blob2, f->out, mac2), 0);
	assert_memory_equal(f->out, f->page, sizeof(f->page));
}

static void test_version_counter(void **state)
{
	struct fixture *f = *state;
	uint64_t a, b;

	a = sgx_paging_next_version(f->cpu);
	assert_int_not_equal(a, 0);
	b = sgx_paging_next_version(f->cpu);
	assert_true(b > a);

	f->cpu->paging_version = UINT64_MAX - 1;
	assert_int_equal(sgx_paging_next_version(f->cpu), UINT64_MAX);
	assert_int_equal(sgx_paging_next_version(f->cpu), 1); /* 0 means "empty slot" */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_known_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyed_once_per_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_counter, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
