/* SPDX-License-Identifier: MIT */
/*
 * The loader through sgxemu's in-process device API (sgxemu_open/sgxemu_ioctl/sgxemu_close): the
 * project's test enclave, packed and signed here, is created, built page by page and initialised
 * by the kernel layer and the emulated CPU. EINIT succeeding proves that the CPU measured exactly
 * the packer's MRENCLAVE (the SIGSTRUCT carries it); a SIGSTRUCT for another measurement is
 * refused with the loader's explanation.
 *
 * Mapping ELRANGE needs the runtime's sgxemu_mmap, which is not there yet: until it is, the
 * enclave-fd mappings are recorded, not made (the reservation is real).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sgxemu/loader.h>
#include <sgxemu/pack.h>
#include <sgxemu/sgxemu.h>
#include <sgxemu/sign.h>

#define ELF_PATH SGXEMU_BUILD_DIR "/enclave/test_enclave.elf"

struct emu_ctx {
	unsigned int enclave_maps;
	uint64_t mapped_bytes;
};

static int emu_open(void *ctx, const char *path, int flags)
{
	return sgxemu_open(path, flags);
}

static int emu_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return sgxemu_ioctl(fd, request, arg);
}

static void *emu_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct emu_ctx *c = ctx;

	if (fd < 0)
		return mmap(addr, len, prot, flags, fd, off);
	assert_int_equal(sgxemu_fd_device(fd), SGXEMU_DEVICE_ENCLAVE);
	assert_int_equal(flags, MAP_SHARED | MAP_FIXED);
	c->enclave_maps++;
	c->mapped_bytes += len;
	return addr;
}

static int emu_mprotect(void *ctx, void *addr, size_t len, int prot)
{
	return mprotect(addr, len, prot);
}

static int emu_munmap(void *ctx, void *addr, size_t len)
{
	return munmap(addr, len);
}

static int emu_close(void *ctx, int fd)
{
	return sgxemu_close(fd);
}

static const struct sgxemu_loader_ops emu_ops = {
	.open = emu_open,
	.ioctl = emu_ioctl,
	.mmap = emu_mmap,
	.mprotect = emu_mprotect,
	.munmap = emu_munmap,
	.close = emu_close,
};

static char *stream;
static size_t stream_len;
static struct sgxemu_pack_layout layout;
static EVP_PKEY *key;

static int setup(void **state)
{
	struct sgxemu_pack_options o;
	FILE *out = open_memstream(&stream, &stream_len);
	char err[512];

	sgxemu_pack_options_default(&o);
	o.threads = 2;
	o.heap_size = 64 * 4096;
	o.nssa = 3;
	o.reserve_size = 1 << 20;
	if (sgxemu_pack_elf_file(ELF_PATH, &o, out, &layout, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	fclose(out);
	key = sgxemu_generate_signing_key();
	return key ? 0 : -1;
}

static int teardown(void **state)
{
	sgxemu_shutdown();
	EVP_PKEY_free(key);
	sgxemu_pack_layout_free(&layout);
	free(stream);
	return 0;
}

static void sign(struct sgx_sigstruct *sig, const uint8_t mrenclave[32])
{
	struct sgxemu_sign_fields fields;
	char err[256];

	sgxemu_sign_fields_default(&fields, true);
	fields.miscselect = SGX_MISC_EXINFO;
	assert_int_equal(sgxemu_sign(&fields, mrenclave, key, sig, err, sizeof(err)), 0);
}

static void test_load_through_sgxemu(void **state)
{
	struct sgx_sigstruct *sig = calloc(1, sizeof(*sig));
	struct sgxemu_load_params p = { 0 };
	struct emu_ctx ctx = { 0 };
	struct sgxemu_enclave *e;
	char err[512];

	sign(sig, layout.mrenclave);
	p.ops = &emu_ops;
	p.ops_ctx = &ctx;
	p.sgxs = stream;
	p.sgxs_len = stream_len;
	p.sigstruct = sig;
	if (sgxemu_enclave_load(&p, &e, err, sizeof(err)))
		fail_msg("%s", err);
	assert_memory_equal(e->mrenclave, layout.mrenclave, 32);
	assert_int_equal(e->size, layout.size);
	assert_int_equal(e->base % e->size, 0);
	assert_int_equal(e->miscselect, SGX_MISC_EXINFO);
	assert_true(e->attributes.flags & SGX_ATTR_DEBUG);
	assert_int_equal(e->nr_tcs, 2);
	assert_int_equal(e->tcs[1], e->base + layout.threads[1].tcs);
	assert_true(e->has_layout);
	assert_int_equal(e->heap, e->base + layout.heap);
	assert_int_equal(e->nr_pages, layout.pages);
	assert_int_equal(ctx.mapped_bytes, layout.pages * 4096);
	assert_int_equal(sgxemu_fd_device(e->fd), SGXEMU_DEVICE_ENCLAVE);
	sgxemu_enclave_unload(e);
	free(sig);
}

static void test_wrong_measurement_refused(void **state)
{
	struct sgx_sigstruct *sig = calloc(1, sizeof(*sig));
	struct sgxemu_load_params p = { 0 };
	struct emu_ctx ctx = { 0 };
	struct sgxemu_enclave *e;
	uint8_t other[32];
	char err[512];

	memcpy(other, layout.mrenclave, 32);
	other[31] ^= 0x80;
	sign(sig, other);
	p.ops = &emu_ops;
	p.ops_ctx = &ctx;
	p.sgxs = stream;
	p.sgxs_len = stream_len;
	p.sigstruct = sig;
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SGX_IOC_ENCLAVE_INIT: Operation not permitted"));
	assert_non_null(strstr(err, "is not the SIGSTRUCT's ENCLAVEHASH"));
	assert_int_equal(ctx.enclave_maps, 0);
	free(sig);
}

/* The build's own artefacts: test_enclave.sgxs with the .sig beside it (found by the loader). */
static void test_load_build_image(void **state)
{
	struct sgxemu_load_params p = { 0 };
	struct emu_ctx ctx = { 0 };
	struct sgxemu_enclave *e;
	char err[512];

	p.ops = &emu_ops;
	p.ops_ctx = &ctx;
	p.sgxs_path = SGXEMU_BUILD_DIR "/enclave/test_enclave.sgxs";
	if (sgxemu_enclave_load(&p, &e, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(e->nr_tcs, 4);
	assert_int_equal(e->miscselect, SGX_MISC_EXINFO);
	assert_true(e->has_layout);
	assert_int_equal(e->heap_size, 2 << 20);
	assert_true(e->free_size >= 8 << 20);
	sgxemu_enclave_unload(e);

	p.sig_path = SGXEMU_BUILD_DIR "/enclave/test_enclave-noexinfo.sig";
	if (sgxemu_enclave_load(&p, &e, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(e->miscselect, 0);
	sgxemu_enclave_unload(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_through_sgxemu),
		cmocka_unit_test(test_wrong_measurement_refused),
		cmocka_unit_test(test_load_build_image),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
