/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: sequences of open/ioctl/close on the enclave and provision devices, with
 * argument structures and pointers taken from the input — valid pointers into a scratch arena,
 * pointers that run into a PROT_NONE page, read-only structs, NULL, non-canonical and kernel
 * addresses, [vvar] — and random requests. After every input: every descriptor is closed, the
 * invariant checker passes, and the free EPC is back where it started with nothing leaked.
 *
 * Pointers are never arbitrary 64-bit values that could land in the fuzzer's own memory: the
 * kernel would write `count` there just as happily as into a valid struct, which is not a bug.
 */
#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "kernel/driver.h"
#include "kernel/sgx.h"

#define ARENA_PAGES 8
#define MAX_FDS 4
#define MAX_OPS 64

static struct sgx_platform *platform;
static uint64_t free0;
static uint8_t *arena;	  /* ARENA_PAGES read-write pages ... */
static uint8_t *guard;	  /* ... then one PROT_NONE page */
static uint8_t *readonly; /* a read-only page, refilled per input */
static uint64_t vvar;

struct input {
	const uint8_t *data;
	size_t size;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->size; i++) {
		v |= (uint64_t)in->data[0] << (8 * i);
		in->data++;
		in->size--;
	}
	return v;
}

struct uptr {
	uint64_t addr;
	void *fill; /* where the caller's bytes go (NULL: nowhere, the pointer is bad) */
	bool ro;    /* the read-only page: filled with mprotect around the copy */
};

/* A user pointer of some kind, for `len` bytes. */
static struct uptr pointer(struct input *in, size_t len)
{
	uint8_t kind = (uint8_t)take(in, 1);
	uint64_t off = take(in, 2) % (ARENA_PAGES * 4096);
	struct uptr p = { 0 };

	switch (kind % 12) {
	case 0:
		return p;
	case 1:
		p.addr = 0x8000000000000000ULL + take(in, 4); /* non-canonical */
		return p;
	case 2:
		p.addr = 0xffff888000000000ULL; /* kernel half */
		return p;
	case 3:
		p.addr = (1ULL << 47) - 4096; /* unmapped top of user space */
		return p;
	case 4:
		/* Runs into the guard page after fewer than len bytes. */
		p.addr = (uint64_t)(uintptr_t)(guard - (off % (len ? len : 1)));
		return p;
	case 5:
		p.addr = (uint64_t)(uintptr_t)readonly;
		p.fill = readonly;
		p.ro = true;
		return p;
	case 6:
		p.addr = vvar ? vvar : 0x1000;
		return p;
	default:
		/* Inside the arena, with room for len bytes. */
		if (off + len > ARENA_PAGES * 4096)
			off = len <= ARENA_PAGES * 4096 ? ARENA_PAGES * 4096 - len : 0;
		if (kind & 0x80)
			off &= ~0xFFFULL;
		p.addr = (uint64_t)(uintptr_t)(arena + off);
		p.fill = arena + off;
		return p;
	}
}

static void place(const struct uptr *p, const void *data, size_t len)
{
	if (!p->fill)
		return;
	if (p->ro && mprotect(readonly, 4096, PROT_READ | PROT_WRITE))
		abort();
	memcpy(p->fill, data, len > 4096 && p->ro ? 4096 : len);
	if (p->ro && mprotect(readonly, 4096, PROT_READ))
		abort();
}

static void fill_bytes(struct input *in, void *dst, size_t len)
{
	size_t n = len < in->size ? len : in->size;

	memcpy(dst, in->data, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->data += n;
	in->size -= n;
}

/* A SECS that is usually close to valid, so that the fuzzer gets past CREATE. */
static void make_secs(struct input *in, struct sgx_secs *secs)
{
	uint8_t shape = (uint8_t)take(in, 1);

	memset(secs, 0, sizeof(*secs));
	secs->size = 1ULL << (13 + shape % 8);
	secs->base = (take(in, 2) & 0xFF) * secs->size + 0x100000000ULL;
	secs->ssa_frame_size = 1;
	secs->attributes.flags = SGX_ATTR_MODE64BIT;
	secs->attributes.xfrm = 3;
	if (shape & 0x80) {
		/* Perturb a few bytes anywhere in the SECS. */
		for (int i = 0; i < 3; i++) {
			uint16_t at = (uint16_t)take(in, 2) % sizeof(*secs);

			((uint8_t *)secs)[at] ^= (uint8_t)take(in, 1);
		}
	}
}

static unsigned long request(struct input *in)
{
	static const unsigned long known[] = {
		SGX_IOC_ENCLAVE_CREATE,
		SGX_IOC_ENCLAVE_ADD_PAGES,
		SGX_IOC_ENCLAVE_INIT,
		SGX_IOC_ENCLAVE_PROVISION,
		SGX_IOC_VEPC_REMOVE_ALL,
		SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
		SGX_IOC_ENCLAVE_MODIFY_TYPES,
		SGX_IOC_ENCLAVE_REMOVE_PAGES,
		FIOCLEX,
		FIONCLEX,
	};
	uint8_t pick = (uint8_t)take(in, 1);

	if (pick < 240)
		return known[pick % (sizeof(known) / sizeof(known[0]))];
	return take(in, 8);
}

static void do_ioctl(struct input *in, int fd, int prov)
{
	static uint8_t page[4096];
	unsigned long req = request(in);
	struct uptr p, q;

	switch (req) {
	case SGX_IOC_ENCLAVE_CREATE: {
		struct sgx_enclave_create create;
		struct sgx_secs secs;

		make_secs(in, &secs);
		p = pointer(in, sizeof(secs));
		place(&p, &secs, sizeof(secs));
		create.src = p.addr;
		q = pointer(in, sizeof(create));
		place(&q, &create, sizeof(create));
		break;
	}
	case SGX_IOC_ENCLAVE_ADD_PAGES: {
		struct sgx_enclave_add_pages add;
		struct sgx_secinfo secinfo = { 0 };
		static const uint64_t types[] = { SGX_SECINFO_REG, SGX_SECINFO_TCS };

		p = pointer(in, 4096);
		fill_bytes(in, page, 64);
		place(&p, page, 4096);
		add.src = p.addr;
		add.offset = (take(in, 1) % 16) * 4096 + ((take(in, 1) & 0x80) ? 8 : 0);
		add.length = (take(in, 1) % 5) * 4096;
		secinfo.flags = types[take(in, 1) & 1] | (take(in, 1) & 0x7);
		if (take(in, 1) > 240)
			secinfo.flags ^= 1ULL << (take(in, 1) % 64);
		p = pointer(in, sizeof(secinfo));
		place(&p, &secinfo, sizeof(secinfo));
		add.secinfo = p.addr;
		add.flags = take(in, 1);
		add.count = take(in, 1);
		q = pointer(in, sizeof(add));
		place(&q, &add, sizeof(add));
		break;
	}
	case SGX_IOC_ENCLAVE_INIT: {
		struct sgx_enclave_init init;

		p = pointer(in, sizeof(struct sgx_sigstruct));
		fill_bytes(in, page, sizeof(struct sgx_sigstruct));
		place(&p, page, sizeof(struct sgx_sigstruct));
		init.sigstruct = p.addr;
		q = pointer(in, sizeof(init));
		place(&q, &init, sizeof(init));
		break;
	}
	case SGX_IOC_ENCLAVE_PROVISION: {
		struct sgx_enclave_provision params;
		uint8_t which = (uint8_t)take(in, 1);

		params.fd =
			which < 128 ? (uint64_t)prov : (which < 200 ? (uint64_t)fd : take(in, 8));
		q = pointer(in, sizeof(params));
		place(&q, &params, sizeof(params));
		break;
	}
	default:
		/* Anything else (FIONBIO and FIOASYNC go to the real ioctl: they read an int). */
		fill_bytes(in, page, 64);
		q = pointer(in, 64);
		place(&q, page, 64);
		break;
	}
	(void)sgxemu_ioctl(fd, req, q.addr);
}

static void find_vvar(void)
{
	unsigned long start, end;
	char line[512];
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		return;
	while (fgets(line, sizeof(line), maps)) {
		if (strstr(line, "[vvar]") && sscanf(line, "%lx-%lx", &start, &end) == 2)
			vvar = start;
	}
	fclose(maps);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sgxemu_config config;
	char err[256];

	(void)argc;
	(void)argv;
	sgxemu_config_defaults(&config);
	if (sgxemu_config_set(&config, "epc", "256K", err, sizeof(err)))
		abort();
	config.nr_lps = 2;
	config.log_level = SGX_LOG_ERR;
	platform = sgx_platform_create(&config, err, sizeof(err));
	if (!platform) {
		fprintf(stderr, "fuzz_ioctl: %s\n", err);
		abort();
	}
	free0 = platform->nr_free_pages;
	arena = mmap(NULL, (ARENA_PAGES + 1) * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	readonly = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || readonly == MAP_FAILED)
		abort();
	guard = arena + ARENA_PAGES * 4096;
	if (mprotect(readonly, 4096, PROT_READ))
		abort();
	if (mprotect(guard, 4096, PROT_NONE))
		abort();
	find_vvar();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	int fds[MAX_FDS], nr_fds = 0, prov;
	char err[512];

	memset(arena, 0, ARENA_PAGES * 4096);

	prov = sgx_platform_open(platform, "/dev/sgx_provision", O_RDWR);
	if (prov < 0)
		abort();
	for (int op = 0; op < MAX_OPS && in.size; op++) {
		uint8_t kind = (uint8_t)take(&in, 1);
		int which = nr_fds ? (int)(take(&in, 1) % (uint64_t)nr_fds) : 0;

		switch (kind % 8) {
		case 0:
			if (nr_fds < MAX_FDS) {
				int fd = sgx_platform_open(platform, "/dev/sgx_enclave",
							   (kind & 0x80) ? O_RDWR | O_CLOEXEC
									 : O_RDWR);

				if (fd >= 0)
					fds[nr_fds++] = fd;
			}
			break;
		case 1:
			if (nr_fds) {
				if (sgxemu_close(fds[which]))
					abort();
				fds[which] = fds[--nr_fds];
			}
			break;
		case 2: {
			/* The provision device has no ioctls, beyond the VFS's descriptor flags. */
			unsigned long req = request(&in);
			int ret = sgxemu_ioctl(prov, req, 0);

			if ((unsigned int)req == FIOCLEX || (unsigned int)req == FIONCLEX ||
			    (unsigned int)req == FIONBIO || (unsigned int)req == FIOASYNC)
				break;
			if (ret != -1 || errno != ENOTTY)
				abort();
			break;
		}
		default:
			if (nr_fds)
				do_ioctl(&in, fds[which], prov);
			break;
		}
	}
	for (int i = 0; i < nr_fds; i++)
		if (sgxemu_close(fds[i]))
			abort();
	if (sgxemu_close(prov))
		abort();

	if (sgx_platform_check(platform, err, sizeof(err))) {
		fprintf(stderr, "fuzz_ioctl: invariant violated: %s\n", err);
		abort();
	}
	if (platform->nr_free_pages != free0 || platform->nr_encls) {
		fprintf(stderr, "fuzz_ioctl: %llu free pages (was %llu), %u enclaves left\n",
			(unsigned long long)platform->nr_free_pages, (unsigned long long)free0,
			platform->nr_encls);
		abort();
	}
	return 0;
}
