// SPDX-License-Identifier: MIT
/*
 * ewb_eldu_pages_s: pages per second through a full eviction and reload, EBLOCK + EWB and ELDU
 * of every page of a 1 MiB enclave with one ETRACK per batch, as the kernel's reclaimer and
 * fault handler drive them. The limit, measured in the same run, is the crypto a round trip
 * cannot avoid: two AES-128-GCM passes over 4 KiB with a 128-byte AAD (one seal, one open) on
 * contexts keyed once.
 *
 * The enclave is built with the real ECREATE and EADD (EINIT is not needed to page), each page a
 * distinct pattern; after the last round every page is compared with its pattern, so a fast
 * wrong answer cannot score.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bench.h"
#include "cpu/cpu_internal.h"

#define NR_PAGES 256 /* one batch, half a VA page */
#define ROUNDS 9
#define ENCLAVE_BASE 0x40000000ULL
#define ENCLAVE_SIZE (2ULL << 20)

struct ewb_bench {
	struct sgx_cpu *cpu;
	struct sgx_lp *lp;
	sgx_paddr_t secs, va, frames[NR_PAGES];
	uint8_t *backing;      /* NR_PAGES ciphertext pages, what the kernel keeps in shmem */
	struct sgx_pcmd *pcmd; /* NR_PAGES */
	struct sgx_pageinfo *pageinfo; /* NR_PAGES */
	/* The limit's own contexts and buffers. */
	EVP_CIPHER_CTX *enc, *dec;
	uint8_t *plain, *cipher;
	uint8_t aad[128], tag[16];
	int failed;
	char err[160];
};

static void fail(struct ewb_bench *b, const char *what, int ret)
{
	if (!b->failed)
		snprintf(b->err, sizeof(b->err), "%s returned %#x", what, ret);
	b->failed = 1;
}

static uint8_t pattern(unsigned int page, unsigned int byte)
{
	return (uint8_t)(page * 37 + byte * 11 + 1);
}

static int build(struct ewb_bench *b)
{
	static struct sgx_secs secs_page __attribute__((aligned(4096)));
	static uint8_t source[4096] __attribute__((aligned(4096)));
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { .flags = SGX_SECINFO_SECS };
	struct sgx_pageinfo pi __attribute__((aligned(32))) = { 0 };
	int ret;

	/* Frames: 0 is the SECS, 1 the VA page, the rest the enclave's pages. */
	b->secs = sgx_frame_paddr(b->cpu, 0);
	b->va = sgx_frame_paddr(b->cpu, 1);
	memset(&secs_page, 0, sizeof(secs_page));
	secs_page.size = ENCLAVE_SIZE;
	secs_page.base = ENCLAVE_BASE;
	secs_page.ssa_frame_size = 1;
	secs_page.attributes.flags = SGX_ATTR_MODE64BIT;
	secs_page.attributes.xfrm = 3;
	pi.contents = (uint64_t)(uintptr_t)&secs_page;
	pi.metadata = (uint64_t)(uintptr_t)&secinfo;
	ret = __ecreate(b->lp, &pi, b->secs);
	if (ret) {
		fail(b, "ECREATE", ret);
		return -1;
	}
	ret = __epa(b->lp, b->va);
	if (ret) {
		fail(b, "EPA", ret);
		return -1;
	}

	secinfo.flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	for (unsigned int i = 0; i < NR_PAGES; i++) {
		for (unsigned int j = 0; j < sizeof(source); j++)
			source[j] = pattern(i, j);
		b->frames[i] = sgx_frame_paddr(b->cpu, 2 + i);
		pi.addr = ENCLAVE_BASE + (uint64_t)i * SGX_PAGE_SIZE;
		pi.contents = (uint64_t)(uintptr_t)source;
		pi.secs = b->secs;
		ret = __eadd(b->lp, &pi, b->frames[i]);
		if (ret) {
			fail(b, "EADD", ret);
			return -1;
		}
	}
	return 0;
}

/* One batch out and back in: EBLOCK each, ETRACK once, EWB each, ELDU each. */
static void round_trip(void *arg)
{
	struct ewb_bench *b = arg;
	int ret;

	for (unsigned int i = 0; i < NR_PAGES; i++) {
		ret = __eblock(b->lp, b->frames[i]);
		if (ret)
			fail(b, "EBLOCK", ret);
	}
	ret = __etrack(b->lp, b->secs);
	if (ret)
		fail(b, "ETRACK", ret);
	for (unsigned int i = 0; i < NR_PAGES; i++) {
		struct sgx_pageinfo *pi = &b->pageinfo[i];

		pi->addr = 0;
		pi->contents = (uint64_t)(uintptr_t)(b->backing + (size_t)i * SGX_PAGE_SIZE);
		pi->metadata = (uint64_t)(uintptr_t)&b->pcmd[i];
		pi->secs = 0;
		ret = __ewb(b->lp, pi, b->frames[i], b->va + 8 * i);
		if (ret)
			fail(b, "EWB", ret);
	}
	for (unsigned int i = 0; i < NR_PAGES; i++) {
		struct sgx_pageinfo *pi = &b->pageinfo[i];

		pi->secs = b->secs; /* LINADDR is what EWB wrote back */
		ret = __eldu(b->lp, pi, b->frames[i], b->va + 8 * i);
		if (ret)
			fail(b, "ELDU", ret);
	}
}

/* Two GCM passes per page, as EWB's seal and ELDU's open. */
static void gcm_limit(void *arg)
{
	struct ewb_bench *b = arg;
	uint8_t iv[12] = { 0 };
	int len, ok = 1;

	for (unsigned int i = 0; i < NR_PAGES; i++) {
		iv[7] = (uint8_t)i;
		ok &= EVP_EncryptInit_ex(b->enc, NULL, NULL, NULL, iv);
		ok &= EVP_EncryptUpdate(b->enc, NULL, &len, b->aad, sizeof(b->aad));
		ok &= EVP_EncryptUpdate(b->enc, b->cipher, &len, b->plain, SGX_PAGE_SIZE);
		ok &= EVP_EncryptFinal_ex(b->enc, b->cipher + len, &len);
		ok &= EVP_CIPHER_CTX_ctrl(b->enc, EVP_CTRL_GCM_GET_TAG, 16, b->tag);
		ok &= EVP_DecryptInit_ex(b->dec, NULL, NULL, NULL, iv);
		ok &= EVP_DecryptUpdate(b->dec, NULL, &len, b->aad, sizeof(b->aad));
		ok &= EVP_DecryptUpdate(b->dec, b->plain, &len, b->cipher, SGX_PAGE_SIZE);
		ok &= EVP_CIPHER_CTX_ctrl(b->dec, EVP_CTRL_GCM_SET_TAG, 16, b->tag);
		ok &= EVP_DecryptFinal_ex(b->dec, b->plain + len, &len) > 0;
	}
	if (!ok)
		fail(b, "OpenSSL AES-GCM", 0);
}

static int limit_init(struct ewb_bench *b)
{
	uint8_t key[16];

	b->enc = EVP_CIPHER_CTX_new();
	b->dec = EVP_CIPHER_CTX_new();
	b->plain = aligned_alloc(4096, SGX_PAGE_SIZE);
	b->cipher = aligned_alloc(4096, SGX_PAGE_SIZE);
	if (!b->enc || !b->dec || !b->plain || !b->cipher || RAND_bytes(key, sizeof(key)) != 1)
		return -1;
	RAND_bytes(b->plain, SGX_PAGE_SIZE);
	if (!EVP_EncryptInit_ex(b->enc, EVP_aes_128_gcm(), NULL, key, NULL) ||
	    !EVP_DecryptInit_ex(b->dec, EVP_aes_128_gcm(), NULL, key, NULL))
		return -1;
	return 0;
}

static bool contents_intact(struct ewb_bench *b)
{
	for (unsigned int i = 0; i < NR_PAGES; i++) {
		const uint8_t *kva =
			sgx_frame_kva(b->cpu, (uint64_t)sgx_frame_index(b->cpu, b->frames[i]));

		for (unsigned int j = 0; j < SGX_PAGE_SIZE; j++)
			if (kva[j] != pattern(i, j))
				return false;
	}
	return true;
}

static void teardown(struct ewb_bench *b)
{
	if (b->lp) {
		for (unsigned int i = 0; i < NR_PAGES; i++)
			if (b->frames[i])
				__eremove(b->lp, b->frames[i]);
		__eremove(b->lp, b->va);
		__eremove(b->lp, b->secs);
		sgx_cpu_put_lp(b->lp);
	}
	sgx_cpu_destroy(b->cpu);
	EVP_CIPHER_CTX_free(b->enc);
	EVP_CIPHER_CTX_free(b->dec);
	free(b->plain);
	free(b->cipher);
	free(b->backing);
	free(b->pcmd);
	free(b->pageinfo);
}

static int run(struct bench_result *result, char *err, size_t errlen)
{
	struct ewb_bench b = { 0 };
	struct sgxemu_config config;
	double t, t_limit;
	int ret = -1;

	sgxemu_config_defaults(&config);
	if (sgxemu_config_set(&config, "epc", "4M", err, errlen))
		return -1;
	config.nr_lps = 1;
	b.cpu = sgx_cpu_create(&config);
	if (!b.cpu) {
		snprintf(err, errlen, "cannot create the processor");
		return -1;
	}
	b.lp = sgx_cpu_get_lp(b.cpu);
	/* The bench plays the kernel: every operand is its own memory (see cpu.h). */
	sgx_lp_set_kernel_operands(b.lp, true);
	b.backing = aligned_alloc(4096, (size_t)NR_PAGES * SGX_PAGE_SIZE);
	b.pcmd = aligned_alloc(128, NR_PAGES * sizeof(*b.pcmd));
	b.pageinfo = aligned_alloc(32, NR_PAGES * sizeof(*b.pageinfo));
	if (!b.backing || !b.pcmd || !b.pageinfo || limit_init(&b)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (build(&b))
		goto failed;
	/* Touch everything once so that the first timed round is not the one paying for it. */
	round_trip(&b);
	gcm_limit(&b);
	if (b.failed)
		goto failed;
	bench_best_of(ROUNDS, round_trip, gcm_limit, &b, &t, &t_limit);
	if (b.failed)
		goto failed;
	if (!contents_intact(&b)) {
		snprintf(err, errlen, "a page did not survive EWB+ELDU intact");
		goto out;
	}
	result->value = NR_PAGES / t;
	result->limit = NR_PAGES / t_limit;
	ret = 0;
	goto out;
failed:
	snprintf(err, errlen, "%s", b.err);
out:
	teardown(&b);
	return ret;
}

const struct bench_figure bench_ewb_eldu_pages_s = {
	.name = "ewb_eldu_pages_s",
	.unit = "pages/s",
	.description = "EBLOCK+EWB and ELDU of 256 enclave pages (one ETRACK per batch) vs two "
		       "AES-128-GCM passes over 4 KiB per page",
	.run = run,
};
