// SPDX-License-Identifier: MIT
/*
 * The program tests/cli/test_gdb.sh and test_perf_map.sh debug and profile: it loads the test
 * enclave through sgxemu's public API (registering its ELF for debuggers), makes ordinary ecalls
 * (each ENCLU is a SIGILL, each first touch of a page a SIGBUS: sgxemu's own signal traffic),
 * then, per argument:
 *
 *   ud2         an unhandled #UD in the enclave: sgxemu reports it to the vDSO caller
 *   host-segv   a NULL write in host code after the enclave ran: a real crash
 *   spin N      N iterations of the enclave's spin loop (for a profiler)
 *
 * It prints "base 0x..." (the enclave base) and "pid N" first.
 */
#include <asm/sgx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "../../enclave/test_enclave_abi.h"

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

static const struct sgxemu_loader_ops ops = {
	.open = ops_open,
	.ioctl = ops_ioctl,
	.mmap = ops_mmap,
	.mprotect = ops_mprotect,
	.munmap = ops_munmap,
	.close = ops_close,
};

/* Returns the vDSO call's result; *run holds the report. */
static int call(struct sgxemu_enclave *e, unsigned int op, struct te_args *args,
		struct sgx_enclave_run *run)
{
	memset(run, 0, sizeof(*run));
	run->tcs = e->tcs[0];
	return sgxemu_enter_enclave(op, (unsigned long)args, 0, EENTER, 0, 0, run);
}

int main(int argc, char **argv)
{
	struct sgxemu_load_params params = {
		.ops = &ops,
		.sgxs_path = SGXEMU_BUILD_DIR "/enclave/test_enclave.sgxs",
		.elf_path = SGXEMU_BUILD_DIR "/enclave/test_enclave.elf",
	};
	struct sgx_enclave_run run;
	struct sgxemu_enclave *e;
	struct te_args args;
	char err[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sgxemu_enclave_load(&params, &e, err, sizeof(err))) {
		fprintf(stderr, "load: %s\n", err);
		return 1;
	}
	printf("base %#llx\npid %d\n", (unsigned long long)e->base, (int)getpid());

	for (int i = 0; i < 3; i++) {
		memset(&args, 0, sizeof(args));
		args.u.echo.a = 40;
		args.u.echo.b = i;
		if (call(e, TE_OP_ECHO, &args, &run) || run.function != EEXIT ||
		    args.u.echo.sum != 40ULL + i) {
			fprintf(stderr, "echo failed\n");
			return 1;
		}
	}
	printf("ecalls done\n");

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "ud2")) {
			memset(&args, 0, sizeof(args));
			args.u.fault.kind = TE_FAULT_UD2;
			/* No user handler: the exception is reported and the call returns. */
			call(e, TE_OP_FAULT, &args, &run);
			printf("exception reported: function %u vector %u\n", run.function,
			       run.exception_vector);
		} else if (!strcmp(argv[i], "host-segv")) {
			printf("crashing in host code\n");
			/* A low, unmapped and aligned address (UBSan would report a misaligned one first). */
			*(volatile int *)((uintptr_t)argc * 16) = 0;
		} else if (!strcmp(argv[i], "spin") && i + 1 < argc) {
			memset(&args, 0, sizeof(args));
			args.u.spin.seed = 1;
			args.u.spin.iterations = strtoull(argv[++i], NULL, 0);
			if (call(e, TE_OP_SPIN, &args, &run) || run.function != EEXIT)
				return 1;
			printf("spin done\n");
		} else {
			fprintf(stderr, "unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	sgxemu_enclave_unload(e);
	printf("exiting normally\n");
	return 0;
}
