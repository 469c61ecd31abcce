/* SPDX-License-Identifier: MIT */
#include "runtime_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sgxemu/pack.h>
#include <sgxemu/sign.h>

static int ops_open(void *ctx, const char *path, int flags)
{
	return sgxemu_open(path, flags);
}

static int ops_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return sgxemu_ioctl(fd, request, arg);
}

static void *ops_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return sgxemu_mmap(addr, len, prot, flags, fd, off);
}

static int ops_mprotect(void *ctx, void *addr, size_t len, int prot)
{
	return sgxemu_mprotect(addr, len, prot);
}

static int ops_munmap(void *ctx, void *addr, size_t len)
{
	return sgxemu_munmap(addr, len);
}

static int ops_close(void *ctx, int fd)
{
	return sgxemu_close(fd);
}

const struct sgxemu_loader_ops rfix_sgxemu_ops = {
	.open = ops_open,
	.ioctl = ops_ioctl,
	.mmap = ops_mmap,
	.mprotect = ops_mprotect,
	.munmap = ops_munmap,
	.close = ops_close,
};

static EVP_PKEY *rfix_key;
static pthread_once_t rfix_key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
	rfix_key = sgxemu_generate_signing_key();
}

struct sgxemu_enclave *rfix_load(const struct rfix_options *user_opts)
{
	struct rfix_options o = {
		.threads = 4, .nssa = 3, .heap_size = 2 << 20, .reserve = 8 << 20, .xfrm = 3,
	};
	struct sgxemu_pack_options pack;
	struct sgxemu_pack_layout layout;
	struct sgxemu_load_params params = { 0 };
	struct sgxemu_sign_fields fields;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e = NULL;
	char err[256], *stream = NULL;
	size_t stream_len = 0;
	FILE *out;

	if (user_opts) {
		o = *user_opts;
		if (!o.threads)
			o.threads = 4;
		if (!o.nssa)
			o.nssa = 3;
		if (!o.xfrm)
			o.xfrm = 3;
	}
	sgxemu_pack_options_default(&pack);
	pack.threads = o.threads;
	pack.nssa = o.nssa;
	pack.heap_size = o.heap_size;
	pack.reserve_size = o.reserve;
	pack.xfrm = o.xfrm;

	out = open_memstream(&stream, &stream_len);
	assert_non_null(out);
	if (sgxemu_pack_elf_file(SGXEMU_BUILD_DIR "/enclave/test_enclave.elf", &pack, out, &layout,
				 err, sizeof(err)))
		fail_msg("pack: %s", err);
	fclose(out);

	pthread_once(&rfix_key_once, make_key);
	assert_non_null(rfix_key);
	sgxemu_sign_fields_default(&fields, true);
	fields.attributes.xfrm = o.xfrm;
	fields.miscselect = o.no_exinfo ? 0 : SGX_MISC_EXINFO;
	if (sgxemu_sign(&fields, layout.mrenclave, rfix_key, &sig, err, sizeof(err)))
		fail_msg("sign: %s", err);
	sgxemu_pack_layout_free(&layout);

	params.ops = &rfix_sgxemu_ops;
	params.sgxs = stream;
	params.sgxs_len = stream_len;
	params.sigstruct = &sig;
	params.flags = o.load_flags;
	if (sgxemu_enclave_load(&params, &e, err, sizeof(err)))
		fail_msg("load: %s", err);
	free(stream);
	return e;
}

void rfix_unload(struct sgxemu_enclave *e)
{
	sgxemu_enclave_unload(e);
}

int rfix_enter(struct sgxemu_enclave *e, unsigned int op, struct te_args *args,
	       struct sgx_enclave_run *run)
{
	return rfix_enter_enclave(op, (unsigned long)args, 0, EENTER, 0, 0, run);
}

int64_t rfix_call(struct sgxemu_enclave *e, unsigned int tcs, unsigned int op,
		  struct te_args *args)
{
	struct sgx_enclave_run run;
	int ret;

	assert_true(tcs < e->nr_tcs);
	memset(&run, 0, sizeof(run));
	run.tcs = e->tcs[tcs];
	ret = rfix_enter(e, op, args, &run);
	assert_int_equal(ret, 0);
	if (run.function != EEXIT)
		fail_msg("enclave call op %u: function %u, vector %u, error code %#x, address %#llx",
			 op, run.function, run.exception_vector, run.exception_error_code,
			 (unsigned long long)run.exception_addr);
	return args->status;
}
