/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "cpu_fixture.h"
#include "kernel/driver.h"
#include "kernel_fixture.h"

static const uint8_t kfix_zero_page[4096] __attribute__((aligned(4096)));

struct sgx_platform *kfix_boot(const struct kfix_config *config)
{
	struct kfix_config defaults = { 0 };
	struct sgx_platform *platform;
	struct sgxemu_config cc;
	char err[256];

	if (!config)
		config = &defaults;
	sgxemu_config_defaults(&cc);
	assert_int_equal(
		sgxemu_config_set(&cc, "epc", config->epc ? config->epc : "1M", err, sizeof(err)),
		0);
	cc.sgx2 = !config->sgx1_only;
	cc.flc = !config->no_flc;
	cc.launch_cache = config->launch_cache;
	cc.nr_lps = config->lps ? config->lps : 2;
	for (unsigned int i = 0; i < 8 && config->settings[i]; i++) {
		char key[64];
		const char *eq = strchr(config->settings[i], '=');

		assert_non_null(eq);
		assert_true((size_t)(eq - config->settings[i]) < sizeof(key));
		memcpy(key, config->settings[i], (size_t)(eq - config->settings[i]));
		key[eq - config->settings[i]] = '\0';
		if (sgxemu_config_set(&cc, key, eq + 1, err, sizeof(err)))
			fail_msg("%s: %s", config->settings[i], err);
	}
	platform = sgx_platform_create(&cc, err, sizeof(err));
	if (!platform)
		fail_msg("platform boot failed: %s", err);
	if (!config->ksgxd)
		sgx_reclaimer_freeze(platform);
	return platform;
}

void kfix_check(struct sgx_platform *platform)
{
	char err[512];

	if (sgx_platform_check(platform, err, sizeof(err)))
		fail_msg("invariant violated: %s", err);
}

void kfix_shutdown(struct sgx_platform *platform)
{
	kfix_check(platform);
	sgx_platform_destroy(platform);
}

uint64_t kfix_free_pages(struct sgx_platform *platform)
{
	return __atomic_load_n(&platform->nr_free_pages, __ATOMIC_RELAXED);
}

int kfix_ioctl(int fd, unsigned long request, void *arg)
{
	return sgxemu_ioctl(fd, request, arg) ? -errno : 0;
}

void kfix_enclave_init(struct kfix_enclave *e, struct sgx_platform *platform, uint64_t attributes)
{
	memset(e, 0, sizeof(*e));
	e->platform = platform;
	e->fd = sgx_platform_open(platform, "/dev/sgx_enclave", O_RDWR);
	assert_true(e->fd >= 0);
	e->secs.base = KFIX_BASE;
	e->secs.size = KFIX_SIZE;
	e->secs.ssa_frame_size = 1;
	e->secs.attributes.flags = attributes;
	e->secs.attributes.xfrm = 0x3;
	sgxemu_sign_fields_default(&e->fields, false);
	e->fields.attributes = e->secs.attributes;
	e->fields.attributes_mask.flags = ~0ULL;
	e->fields.attributes_mask.xfrm = ~0ULL;
}

int kfix_create(struct kfix_enclave *e)
{
	struct sgx_enclave_create create = { .src = (uint64_t)(uintptr_t)&e->secs };
	int ret = kfix_ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &create);

	if (!ret) {
		sgx_measure_init(&e->measurement);
		sgx_measure_ecreate(&e->measurement, e->secs.ssa_frame_size, e->secs.size);
	}
	return ret;
}

int kfix_add_pages(struct kfix_enclave *e, uint64_t offset, unsigned int npages, uint64_t flags,
		   const void *data, bool measure, uint64_t *count)
{
	struct sgx_secinfo secinfo = { .flags = flags };
	struct sgx_enclave_add_pages add = { 0 };
	uint8_t *src;
	int ret;

	src = aligned_alloc(4096, (size_t)npages * 4096);
	assert_non_null(src);
	for (unsigned int i = 0; i < npages; i++)
		memcpy(src + (size_t)i * 4096, data ? data : kfix_zero_page, 4096);
	add.src = (uint64_t)(uintptr_t)src;
	add.offset = offset;
	add.length = (uint64_t)npages * 4096;
	add.secinfo = (uint64_t)(uintptr_t)&secinfo;
	add.flags = measure ? SGX_PAGE_MEASURE : 0;
	ret = kfix_ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add);
	/* Measure on the side what was actually added (count also on partial progress). */
	for (uint64_t c = 0; c < add.count; c += 4096) {
		sgx_measure_eadd(&e->measurement, offset + c, flags);
		for (uint64_t o = 0; measure && o < 4096; o += 256)
			sgx_measure_eextend(&e->measurement, offset + c + o, src + c + o);
	}
	if (count)
		*count = add.count;
	free(src);
	return ret;
}

int kfix_add(struct kfix_enclave *e, uint64_t offset, uint64_t flags, const void *data,
	     bool measure)
{
	return kfix_add_pages(e, offset, 1, flags, data, measure, NULL);
}

void kfix_tcs_image(struct sgx_tcs *tcs, uint64_t ossa, uint32_t nssa, uint64_t oentry)
{
	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = ossa;
	tcs->nssa = nssa;
	tcs->oentry = oentry;
	tcs->fslimit = 0xFFF;
	tcs->gslimit = 0xFFF;
}

void kfix_build_standard(struct kfix_enclave *e)
{
	static uint8_t code[4096] __attribute__((aligned(4096)));
	static uint8_t data[4096] __attribute__((aligned(4096)));
	struct sgx_tcs tcs __attribute__((aligned(4096)));

	memset(code, 0xC3, sizeof(code));
	memset(data, 0xDA, sizeof(data));
	kfix_tcs_image(&tcs, KFIX_SSA_OFFSET, KFIX_NSSA, KFIX_CODE_OFFSET);
	assert_int_equal(kfix_create(e), 0);
	assert_int_equal(kfix_add(e, KFIX_TCS_OFFSET, KFIX_SECINFO_TCS, &tcs, true), 0);
	assert_int_equal(
		kfix_add_pages(e, KFIX_SSA_OFFSET, KFIX_NSSA, KFIX_SECINFO_RW, NULL, true, NULL),
		0);
	assert_int_equal(kfix_add(e, KFIX_CODE_OFFSET, KFIX_SECINFO_RX, code, true), 0);
	assert_int_equal(kfix_add(e, KFIX_DATA_OFFSET, KFIX_SECINFO_RW, data, true), 0);
}

void kfix_mrenclave(struct kfix_enclave *e, uint8_t mrenclave[32])
{
	sgx_measure_final(&e->measurement, mrenclave);
}

void kfix_sign(struct kfix_enclave *e, EVP_PKEY *key)
{
	uint8_t mrenclave[32];
	char err[256];

	kfix_mrenclave(e, mrenclave);
	if (sgxemu_sign(&e->fields, mrenclave, key ? key : fixture_signing_key(), &e->sigstruct,
			err, sizeof(err)))
		fail_msg("sgxemu_sign: %s", err);
}

int kfix_init(struct kfix_enclave *e)
{
	struct sgx_enclave_init init = { .sigstruct = (uint64_t)(uintptr_t)&e->sigstruct };

	return kfix_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init);
}

void kfix_enclave_create(struct kfix_enclave *e, struct sgx_platform *platform, uint64_t attributes)
{
	kfix_enclave_init(e, platform, attributes);
	kfix_build_standard(e);
	kfix_sign(e, NULL);
	assert_int_equal(kfix_init(e), 0);
}

void kfix_close(struct kfix_enclave *e)
{
	if (e->fd >= 0)
		assert_int_equal(sgxemu_close(e->fd), 0);
	e->fd = -1;
}

static pthread_once_t kfix_key_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *kfix_key2;

static void kfix_make_key(void)
{
	kfix_key2 = sgxemu_generate_signing_key();
}

EVP_PKEY *kfix_second_key(void)
{
	pthread_once(&kfix_key_once, kfix_make_key);
	assert_non_null(kfix_key2);
	return kfix_key2;
}

void *kfix_edge(size_t n)
{
	uint8_t *map =
		mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(map != MAP_FAILED);
	assert_true(n <= 4096);
	assert_int_equal(mprotect(map + 4096, 4096, PROT_NONE), 0);
	memset(map, 0, 4096);
	return map + 4096 - n;
}

void *kfix_readonly_page(const void *contents, size_t len)
{
	uint8_t *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(map != MAP_FAILED);
	assert_true(len <= 4096);
	if (contents)
		memcpy(map, contents, len);
	assert_int_equal(mprotect(map, 4096, PROT_READ), 0);
	return map;
}

void kfix_hog_epc(struct sgx_platform *platform, uint64_t leave, struct kfix_hog *hog)
{
	uint64_t n = kfix_free_pages(platform);

	assert_true(n >= leave);
	hog->nr = 0;
	hog->pages = calloc(n - leave + 1, sizeof(*hog->pages));
	assert_non_null(hog->pages);
	while (kfix_free_pages(platform) > leave) {
		struct sgx_epc_page *page =
			sgx_alloc_epc_page(platform, hog, SGX_EPC_OWNER_TEST, false);

		assert_false(IS_ERR(page));
		/* Only a running ksgxd could free pages meanwhile; kfix_boot freezes it. */
		assert_true(hog->nr < n - leave);
		hog->pages[hog->nr++] = page;
	}
}

void kfix_release_epc(struct sgx_platform *platform, struct kfix_hog *hog)
{
	for (uint64_t i = 0; i < hog->nr; i++)
		sgx_free_epc_page(platform, hog->pages[i]);
	free(hog->pages);
	hog->pages = NULL;
	hog->nr = 0;
}

static void *kfix_thread_main(void *arg)
{
	struct kfix_thread *t = arg;

	t->ret = kfix_ioctl(t->fd, t->request, t->arg);
	return NULL;
}

void kfix_thread_start(struct kfix_thread *t, int fd, unsigned long request, void *arg)
{
	t->fd = fd;
	t->request = request;
	t->arg = arg;
	t->ret = 1;
	assert_int_equal(pthread_create(&t->thread, NULL, kfix_thread_main, t), 0);
}

int kfix_thread_join(struct kfix_thread *t)
{
	assert_int_equal(pthread_join(t->thread, NULL), 0);
	return t->ret;
}

size_t kfix_log_count(uint64_t seq, const char *needle)
{
	return sgx_log_count_since(seq, needle);
}
