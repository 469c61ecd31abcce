/* SPDX-License-Identifier: MIT */
/*
 * A multi-page enclave built purely through the device API — SECS, two TCSs, three SSA frames
 * each, code, read-only data, data, an unmeasured heap, a guard hole and a stack — signed with
 * the library's signer and initialised. The same layout written as SGXS and measured by the
 * `sgxemu measure` command gives the MRENCLAVE that EINIT accepted and the SECS holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>
#include <sgxemu/sgxs.h>
#include <sgxemu/sign.h>

#include "cpu/cpu_internal.h"
#include "cpu/sigstruct.h"
#include "kernel/encl.h"
#include "kernel_fixture.h"

#define SIZE 0x20000ULL
#define BASE 0x7f1200000000ULL

/* One ADD_PAGES call: a run of pages with the same SECINFO. */
struct run {
	uint64_t offset;
	unsigned int npages;
	uint64_t flags;
	bool measure;
	int fill; /* byte pattern; -1: the TCS image for this offset */
};

static const struct run layout[] = {
	{ 0x0000, 1, SGX_SECINFO_TCS, true, -1 },    /* TCS 0 */
	{ 0x1000, 1, SGX_SECINFO_TCS, true, -1 },    /* TCS 1 */
	{ 0x2000, 3, KFIX_SECINFO_RW, true, 0x00 },  /* SSA frames of TCS 0 */
	{ 0x5000, 3, KFIX_SECINFO_RW, true, 0x00 },  /* SSA frames of TCS 1 */
	{ 0x8000, 2, KFIX_SECINFO_RX, true, 0xC3 },  /* code */
	{ 0xA000, 1, KFIX_SECINFO_R, true, 0x52 },   /* read-only data */
	{ 0xB000, 2, KFIX_SECINFO_RW, true, 0xDA },  /* data */
	{ 0xD000, 4, KFIX_SECINFO_RW, false, 0x00 }, /* heap: not measured */
	/* 0x11000: a guard hole */
	{ 0x12000, 2, KFIX_SECINFO_RW, true, 0x5C }, /* stack */
};

static void fill_page(uint8_t *page, const struct run *run, unsigned int i)
{
	if (run->fill >= 0) {
		memset(page, run->fill, 4096);
		/* Make each page distinct so that a swapped page would change the measurement. */
		page[0] = (uint8_t)(run->offset >> 12) + (uint8_t)i;
		return;
	}
	{
		struct sgx_tcs tcs;
		unsigned int which = run->offset == 0 ? 0 : 1;

		kfix_tcs_image(&tcs, 0x2000 + which * 0x3000, 3, 0x8000);
		tcs.ofsbase = 0xB000;
		tcs.ogsbase = 0xB000;
		memcpy(page, &tcs, sizeof(tcs));
	}
}

/* The layout as an SGXS stream in a temporary file. */
static void write_sgxs(const char *path)
{
	uint8_t page[4096];
	struct sgxemu_sgxs_writer *w;
	char err[256];
	FILE *out = fopen(path, "wb");

	assert_non_null(out);
	w = sgxemu_sgxs_writer_new(out, 1, SIZE, err, sizeof(err));
	if (!w)
		fail_msg("%s", err);
	for (size_t r = 0; r < sizeof(layout) / sizeof(layout[0]); r++) {
		for (unsigned int i = 0; i < layout[r].npages; i++) {
			fill_page(page, &layout[r], i);
			if (sgxemu_sgxs_write_page(w, layout[r].offset + i * 4096ULL,
						   layout[r].flags, page,
						   layout[r].measure ? SGXEMU_SGXS_MEASURE_ALL : 0,
						   0, err, sizeof(err)))
				fail_msg("%s", err);
		}
	}
	if (sgxemu_sgxs_writer_finish(w, err, sizeof(err)))
		fail_msg("%s", err);
	fclose(out);
}

static bool parse_hex32(const char *hex, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned int byte;

		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return false;
		out[i] = (uint8_t)byte;
	}
	return true;
}

/* `sgxemu measure FILE` as a user runs it. */
static void sgxemu_measure(const char *path, uint8_t mrenclave[32])
{
	const char *build = getenv("SGXEMU_BUILD_DIR");
	char cmd[512], line[256];
	bool found = false;
	FILE *p;

	if (!build)
		build = SGXEMU_BUILD_DIR;
	snprintf(cmd, sizeof(cmd), "%s/sgxemu measure %s", build, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "mrenclave ", 10))
			found = parse_hex32(line + 10, mrenclave);
	}
	assert_int_equal(pclose(p), 0);
	assert_true(found);
}

static void multi_page_enclave(void **state)
{
	struct kfix_config config = { .epc = "1M" };
	struct sgx_platform *p = kfix_boot(&config);
	uint64_t free0 = kfix_free_pages(p);
	char path[] = "/tmp/sgxemu-build-XXXXXX";
	uint8_t measured[32], side[32];
	struct sgxemu_sign_fields fields;
	struct sgx_sigstruct sig;
	struct kfix_enclave e;
	struct sgx_encl *encl;
	unsigned int total = 0;
	char err[256];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_sgxs(path);
	sgxemu_measure(path, measured);
	unlink(path);

	/* Build it through the device API only. */
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	e.secs.base = BASE;
	e.secs.size = SIZE;
	assert_int_equal(kfix_create(&e), 0);
	for (size_t r = 0; r < sizeof(layout) / sizeof(layout[0]); r++) {
		const struct run *run = &layout[r];
		struct sgx_secinfo secinfo = { .flags = run->flags };
		struct sgx_enclave_add_pages add = { 0 };
		uint8_t *src = aligned_alloc(4096, run->npages * 4096ULL);

		for (unsigned int i = 0; i < run->npages; i++)
			fill_page(src + i * 4096ULL, run, i);
		add.src = (uint64_t)(uintptr_t)src;
		add.offset = run->offset;
		add.length = run->npages * 4096ULL;
		add.secinfo = (uint64_t)(uintptr_t)&secinfo;
		add.flags = run->measure ? SGX_PAGE_MEASURE : 0;
		assert_int_equal(sgxemu_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0);
		assert_int_equal(add.count, add.length);
		/* Keep the fixture's side measurement in step, as an independent third opinion. */
		for (unsigned int i = 0; i < run->npages; i++) {
			uint64_t off = run->offset + i * 4096ULL;

			sgx_measure_eadd(&e.measurement, off, run->flags);
			for (unsigned int c = 0; run->measure && c < 4096; c += 256)
				sgx_measure_eextend(&e.measurement, off + c, src + i * 4096ULL + c);
		}
		total += run->npages;
		free(src);
	}
	kfix_mrenclave(&e, side);
	assert_memory_equal(side, measured, 32);

	/* Signed over what `sgxemu measure` printed, with the library signer. */
	sgxemu_sign_fields_default(&fields, false);
	fields.attributes.flags = SGX_ATTR_MODE64BIT;
	fields.attributes.xfrm = 3;
	fields.isvprodid = 7;
	fields.isvsvn = 2;
	assert_int_equal(sgxemu_sign(&fields, measured, kfix_second_key(), &sig, err, sizeof(err)),
			 0);
	{
		struct sgx_enclave_init init = { .sigstruct = (uint64_t)(uintptr_t)&sig };

		assert_int_equal(sgxemu_ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &init), 0);
	}

	/* The SECS agrees: MRENCLAVE, MRSIGNER, the ISV fields, and INIT is set. */
	encl = sgx_encl_from_fd(e.fd);
	{
		uint64_t index = (uint64_t)sgx_frame_index(p->cpu, encl->secs.epc_page->paddr);
		const struct sgx_secs *secs = sgx_secs_page(p->cpu, index);
		uint8_t mrsigner[32];

		assert_memory_equal(secs->mrenclave, measured, 32);
		sgx_sigstruct_mrsigner(&sig, mrsigner);
		assert_memory_equal(secs->mrsigner, mrsigner, 32);
		assert_int_equal(secs->isv_prod_id, 7);
		assert_int_equal(secs->isv_svn, 2);
		assert_true(secs->attributes.flags & SGX_ATTR_INIT);
	}
	assert_int_equal(encl->secs_child_cnt, total);
	assert_int_equal(sgx_pagemap_count(&encl->page_array), total);
	/* The guard hole stays a hole. */
	assert_int_equal(sgx_encl_page_frame(encl, BASE + 0x11000), 0);
	sgx_encl_put(encl);
	kfix_check(p);

	/* Every page (children, SECS, VA) goes back at close. */
	assert_int_equal(kfix_free_pages(p), free0 - total - 2);
	kfix_close(&e);
	assert_int_equal(kfix_free_pages(p), free0);
	kfix_shutdown(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(multi_page_enclave) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
