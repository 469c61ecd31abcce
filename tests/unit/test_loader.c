/* SPDX-License-Identifier: MIT */
/*
 * The loader (include/sgxemu/loader.h) against a fake kernel behind its ops table: the fake keeps
 * the uAPI's rules (what CREATE, ADD_PAGES and INIT accept, EBUSY for a page added twice, the
 * measurement ADD_PAGES performs) and records every call, so the tests check what a real loader
 * must do: the reservation and its alignment, the SECS, one ADD_PAGES per run with the right
 * SECINFO and SGX_PAGE_MEASURE, MRENCLAVE, INIT, the permission-run mappings, the handle, the
 * retries after a signal, and that a failure leaves nothing behind.
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
#include <sys/mman.h>

#include <sgxemu/arch.h>
#include <sgxemu/loader.h>
#include <sgxemu/pack.h>
#include <sgxemu/sgxs.h>

#include "cpu/measure.h"

#define PAGE 4096ULL
#define ELF_PATH SGXEMU_BUILD_DIR "/enclave/test_enclave.elf"
#define FAKE_FD 42
#define FAKE_PROVISION_FD 43
#define MAX_CALLS 4096
#define MAX_PAGES 8192

enum call_kind { C_OPEN, C_IOCTL, C_MMAP, C_MPROTECT, C_MUNMAP, C_CLOSE };

struct call {
	enum call_kind kind;
	unsigned long request;
	uint64_t addr, len, offset, secinfo;
	int prot, flags, fd;
	char path[64];
};

struct fake {
	/* recording */
	struct call calls[MAX_CALLS];
	unsigned int nr_calls;
	/* the kernel's state */
	bool created, initialized, provisioned;
	struct sgx_secs secs;
	struct sgx_measurement m;
	uint64_t page_offset[MAX_PAGES];
	uint64_t page_flags[MAX_PAGES];
	bool page_measured[MAX_PAGES];
	unsigned int nr_pages;
	uint64_t reservation;
	bool open_fds[64];
	/* injected failures */
	int open_errno;
	int fail_add_nr; /* the n-th ADD_PAGES call (1-based) fails with fail_errno */
	int fail_errno;
	int short_adds; /* the next n ADD_PAGES calls add one page and return 0 */
	int eintr_adds; /* the next n ADD_PAGES calls return EINTR with count 0 */
	int init_errno;
	int adds_seen;
};

static struct call *record(struct fake *f, enum call_kind kind)
{
	struct call *c;

	assert_true(f->nr_calls < MAX_CALLS);
	c = &f->calls[f->nr_calls++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	return c;
}

static int fake_open(void *ctx, const char *path, int flags)
{
	struct fake *f = ctx;
	struct call *c = record(f, C_OPEN);

	snprintf(c->path, sizeof(c->path), "%s", path);
	c->flags = flags;
	if (f->open_errno) {
		errno = f->open_errno;
		return -1;
	}
	if (!strcmp(path, "/dev/sgx_provision")) {
		f->open_fds[FAKE_PROVISION_FD] = true;
		return FAKE_PROVISION_FD;
	}
	assert_string_equal(path, "/dev/sgx_enclave");
	assert_true(flags & O_RDWR);
	f->open_fds[FAKE_FD] = true;
	return FAKE_FD;
}

static int errno_fail(int e)
{
	errno = e;
	return -1;
}

static int fake_add_pages(struct fake *f, struct sgx_enclave_add_pages *a)
{
	const struct sgx_secinfo *si = (const void *)a->secinfo;
	uint64_t flags = si->flags, type = sgx_secinfo_page_type(flags);

	a->count = 0;
	f->adds_seen++;
	if (!f->created || f->initialized)
		return errno_fail(EINVAL);
	if (a->src % PAGE || a->offset % PAGE || !a->length || a->length % PAGE ||
	    a->offset + a->length - PAGE >= f->secs.size)
		return errno_fail(EINVAL);
	if ((type != SGX_PAGE_TYPE_REG && type != SGX_PAGE_TYPE_TCS) ||
	    ((flags & SGX_SECINFO_W) && !(flags & SGX_SECINFO_R)) ||
	    (type == SGX_PAGE_TYPE_TCS && (flags & 7)) || (flags & ~(7ULL | 0xFF00ULL)))
		return errno_fail(EINVAL);
	for (size_t i = 8; i < 64; i++)
		if (((const uint8_t *)si)[i])
			return errno_fail(EINVAL);
	if (f->adds_seen == f->fail_add_nr)
		return errno_fail(f->fail_errno);
	if (f->eintr_adds) {
		f->eintr_adds--;
		return errno_fail(EINTR);
	}
	for (uint64_t done = 0; done < a->length; done += PAGE) {
		uint64_t off = a->offset + done;
		const uint8_t *src = (const uint8_t *)(a->src + done);

		for (unsigned int i = 0; i < f->nr_pages; i++)
			if (f->page_offset[i] == off)
				return errno_fail(EBUSY);
		assert_true(f->nr_pages < MAX_PAGES);
		f->page_offset[f->nr_pages] = off;
		f->page_flags[f->nr_pages] = flags;
		f->page_measured[f->nr_pages] = a->flags & SGX_PAGE_MEASURE;
		f->nr_pages++;
		sgx_measure_eadd(&f->m, off, flags);
		if (a->flags & SGX_PAGE_MEASURE)
			for (unsigned int c = 0; c < 16; c++)
				sgx_measure_eextend(&f->m, off + 256 * c, src + 256 * c);
		a->count += PAGE;
		if (f->short_adds && a->count < a->length) {
			f->short_adds--;
			return 0; /* a signal arrived: partial success */
		}
	}
	return 0;
}

static int fake_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	struct fake *f = ctx;
	struct call *c = record(f, C_IOCTL);

	c->request = request;
	c->fd = fd;
	if (fd != FAKE_FD || !f->open_fds[FAKE_FD])
		return errno_fail(EBADF);
	switch (request) {
	case SGX_IOC_ENCLAVE_CREATE: {
		const struct sgx_enclave_create *cr = arg;

		if (f->created)
			return errno_fail(EINVAL);
		memcpy(&f->secs, (const void *)cr->src, sizeof(f->secs));
		if (!f->secs.size || (f->secs.size & (f->secs.size - 1)) ||
		    f->secs.base & (f->secs.size - 1))
			return errno_fail(EIO);
		sgx_measure_init(&f->m);
		sgx_measure_ecreate(&f->m, f->secs.ssa_frame_size, f->secs.size);
		f->created = true;
		return 0;
	}
	case SGX_IOC_ENCLAVE_ADD_PAGES: {
		struct sgx_enclave_add_pages *a = arg;

		c->offset = a->offset;
		c->len = a->length;
		c->secinfo = ((const struct sgx_secinfo *)a->secinfo)->flags;
		c->flags = (int)a->flags;
		return fake_add_pages(f, a);
	}
	case SGX_IOC_ENCLAVE_PROVISION: {
		const struct sgx_enclave_provision *p = arg;

		if (p->fd != FAKE_PROVISION_FD || !f->open_fds[FAKE_PROVISION_FD])
			return errno_fail(EINVAL);
		f->provisioned = true;
		return 0;
	}
	case SGX_IOC_ENCLAVE_INIT: {
		const struct sgx_enclave_init *in = arg;
		const struct sgx_sigstruct *sig = (const void *)in->sigstruct;
		uint8_t mr[32];

		if (!f->created || f->initialized)
			return errno_fail(EINVAL);
		if (f->init_errno)
			return errno_fail(f->init_errno);
		sgx_measure_final(&f->m, mr);
		if (memcmp(mr, sig->body.enclavehash, 32))
			return errno_fail(EPERM); /* SGX_INVALID_MEASUREMENT */
		memcpy(f->secs.mrenclave, mr, 32);
		f->initialized = true;
		return 0;
	}
	default:
		return errno_fail(ENOTTY);
	}
}

static void *fake_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct fake *f = ctx;
	struct call *c = record(f, C_MMAP);

	c->addr = (uint64_t)addr;
	c->len = len;
	c->prot = prot;
	c->flags = flags;
	c->fd = fd;
	if (flags & MAP_ANONYMOUS) {
		/* Page aligned but deliberately not SIZE aligned, so the loader has to align. */
		f->reservation = 0x7f0000000000ULL + PAGE;
		return (void *)f->reservation;
	}
	if (!(flags & MAP_SHARED) || fd != FAKE_FD) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return addr;
}

static int fake_mprotect(void *ctx, void *addr, size_t len, int prot)
{
	struct call *c = record(ctx, C_MPROTECT);

	c->addr = (uint64_t)addr;
	c->len = len;
	c->prot = prot;
	return 0;
}

static int fake_munmap(void *ctx, void *addr, size_t len)
{
	struct call *c = record(ctx, C_MUNMAP);

	c->addr = (uint64_t)addr;
	c->len = len;
	return 0;
}

static int fake_close(void *ctx, int fd)
{
	struct fake *f = ctx;
	struct call *c = record(f, C_CLOSE);

	c->fd = fd;
	if (fd < 0 || fd >= 64 || !f->open_fds[fd])
		return errno_fail(EBADF);
	f->open_fds[fd] = false;
	return 0;
}

static const struct sgxemu_loader_ops fake_ops = {
	.open = fake_open,
	.ioctl = fake_ioctl,
	.mmap = fake_mmap,
	.mprotect = fake_mprotect,
	.munmap = fake_munmap,
	.close = fake_close,
};

/* --- the image under test ----------------------------------------------------------------- */

static char *stream;
static size_t stream_len;
static struct sgxemu_pack_layout layout;
static struct sgxemu_pack_options opts;

static int setup(void **state)
{
	FILE *out = open_memstream(&stream, &stream_len);
	char err[512];

	sgxemu_pack_options_default(&opts);
	opts.threads = 2;
	opts.heap_size = 300 * PAGE; /* more than one ADD_PAGES run */
	opts.nssa = 3;
	opts.reserve_size = 1 << 20;
	if (sgxemu_pack_elf_file(ELF_PATH, &opts, out, &layout, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	fclose(out);
	return 0;
}

static int teardown(void **state)
{
	sgxemu_pack_layout_free(&layout);
	free(stream);
	return 0;
}

static void sigstruct_for(struct sgx_sigstruct *sig, const uint8_t mrenclave[32])
{
	memset(sig, 0, sizeof(*sig));
	sig->body.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	sig->body.attributes.xfrm = 0x3;
	sig->body.miscselect = SGX_MISC_EXINFO;
	memcpy(sig->body.enclavehash, mrenclave, 32);
}

static void params_for(struct sgxemu_load_params *p, struct fake *f, struct sgx_sigstruct *sig)
{
	memset(p, 0, sizeof(*p));
	p->ops = &fake_ops;
	p->ops_ctx = f;
	p->sgxs = stream;
	p->sgxs_len = stream_len;
	p->sigstruct = sig;
}

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	return f;
}

static unsigned int count_calls(const struct fake *f, enum call_kind kind, unsigned long request)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < f->nr_calls; i++)
		if (f->calls[i].kind == kind && (kind != C_IOCTL || f->calls[i].request == request))
			n++;
	return n;
}

static int index_of(const struct fake *f, enum call_kind kind, unsigned long request)
{
	for (unsigned int i = 0; i < f->nr_calls; i++)
		if (f->calls[i].kind == kind && (kind != C_IOCTL || f->calls[i].request == request))
			return (int)i;
	return -1;
}

/* Nothing left: every fd closed, the whole ELRANGE unmapped. */
static void assert_cleaned_up(const struct fake *f, uint64_t base, uint64_t size)
{
	bool unmapped = false;

	for (int fd = 0; fd < 64; fd++)
		assert_false(f->open_fds[fd]);
	for (unsigned int i = 0; i < f->nr_calls; i++)
		if (f->calls[i].kind == C_MUNMAP && f->calls[i].addr == base &&
		    f->calls[i].len == size)
			unmapped = true;
	assert_true(unmapped);
}

/* What the packer's layout says the page at offset is. */
static void expected_page(uint64_t off, uint64_t *flags, bool *measured)
{
	*flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	*measured = false;
	for (unsigned int i = 0; i < layout.nr_segments; i++)
		if (off >= layout.segments[i].offset &&
		    off < layout.segments[i].offset + layout.segments[i].size) {
			*flags = layout.segments[i].secinfo_flags;
			*measured = true;
		}
	for (unsigned int t = 0; t < layout.nr_threads; t++) {
		if (off == layout.threads[t].tls)
			*measured = true;
		if (off == layout.threads[t].tcs) {
			*flags = SGX_SECINFO_TCS;
			*measured = true;
		}
	}
}

static void test_load_follows_the_uapi(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	char err[512];
	uint64_t base, mapped = 0;
	int create_at, init_at, first_add, last_add = -1, runs = 0;

	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, f, &sig);
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), 0);
	base = e->base;

	/* Reservation: 2 x SIZE anonymous PROT_NONE; the base is SIZE-aligned inside it. */
	assert_int_equal(f->calls[1].kind, C_MMAP);
	assert_int_equal(f->calls[1].len, 2 * layout.size);
	assert_int_equal(f->calls[1].prot, PROT_NONE);
	assert_true(f->calls[1].flags & MAP_ANONYMOUS);
	assert_int_equal(base % layout.size, 0);
	assert_true(base >= f->reservation &&
		    base + layout.size <= f->reservation + 2 * layout.size);

	/* SECS */
	assert_int_equal(f->secs.size, layout.size);
	assert_int_equal(f->secs.base, base);
	assert_int_equal(f->secs.ssa_frame_size, layout.ssa_frame_size);
	assert_int_equal(f->secs.attributes.flags, SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG);
	assert_int_equal(f->secs.attributes.xfrm, 3);
	assert_int_equal(f->secs.miscselect, SGX_MISC_EXINFO);
	assert_false(f->provisioned);

	/* Order: CREATE, ADD_PAGES..., INIT, then the mappings. */
	create_at = index_of(f, C_IOCTL, SGX_IOC_ENCLAVE_CREATE);
	init_at = index_of(f, C_IOCTL, SGX_IOC_ENCLAVE_INIT);
	first_add = index_of(f, C_IOCTL, SGX_IOC_ENCLAVE_ADD_PAGES);
	assert_true(create_at < first_add && first_add < init_at);
	assert_int_equal(count_calls(f, C_IOCTL, SGX_IOC_ENCLAVE_INIT), 1);

	/* Every page once, in order, with the layout's SECINFO and measurement. */
	assert_int_equal(f->nr_pages, layout.pages);
	for (unsigned int i = 0; i < f->nr_pages; i++) {
		uint64_t flags;
		bool measured;

		if (i)
			assert_true(f->page_offset[i] > f->page_offset[i - 1]);
		expected_page(f->page_offset[i], &flags, &measured);
		assert_int_equal(f->page_flags[i], flags);
		assert_int_equal(f->page_measured[i], measured);
	}
	/* One ioctl per run: consecutive calls never could have been merged. */
	for (unsigned int i = 0; i < f->nr_calls; i++) {
		const struct call *c = &f->calls[i];

		if (c->kind != C_IOCTL || c->request != SGX_IOC_ENCLAVE_ADD_PAGES)
			continue;
		if (last_add >= 0) {
			const struct call *prev = &f->calls[last_add];

			assert_true(prev->offset + prev->len != c->offset ||
				    prev->secinfo != c->secinfo || prev->flags != c->flags ||
				    prev->len == 256 * PAGE);
		}
		last_add = (int)i;
		runs++;
	}
	assert_true(runs > 5);
	assert_memory_equal(f->secs.mrenclave, layout.mrenclave, 32);
	assert_memory_equal(e->mrenclave, layout.mrenclave, 32);

	/* Mappings after INIT: MAP_SHARED|MAP_FIXED of the fd, exactly the pages, right prot. */
	for (unsigned int i = init_at; i < f->nr_calls; i++) {
		const struct call *c = &f->calls[i];

		if (c->kind != C_MMAP)
			continue;
		assert_int_equal(c->flags, MAP_SHARED | MAP_FIXED);
		assert_int_equal(c->fd, FAKE_FD);
		for (uint64_t a = c->addr; a < c->addr + c->len; a += PAGE) {
			uint64_t flags;
			bool measured, present = false;
			int prot;

			for (unsigned int k = 0; k < f->nr_pages; k++)
				present |= base + f->page_offset[k] == a;
			assert_true(present);
			expected_page(a - base, &flags, &measured);
			prot = sgx_secinfo_page_type(flags) == SGX_PAGE_TYPE_TCS
				       ? PROT_READ | PROT_WRITE
				       : (int)(flags & 7); /* PROT_* match SECINFO R/W/X */
			assert_int_equal(c->prot, prot);
			mapped++;
		}
	}
	assert_int_equal(mapped, layout.pages);
	/*
	 * The reservation, one per segment (the heap continues the RW data segment), one per
	 * thread (stack, TLS, TCS and SSA are all read-write; the guard gap separates threads).
	 */
	assert_int_equal(count_calls(f, C_MMAP, 0), 1 + layout.nr_segments + layout.nr_threads);

	/* The handle */
	assert_int_equal(e->fd, FAKE_FD);
	assert_int_equal(e->size, layout.size);
	assert_int_equal(e->nr_tcs, 2);
	assert_int_equal(e->tcs[0], base + layout.threads[0].tcs);
	assert_int_equal(e->tcs[1], base + layout.threads[1].tcs);
	assert_true(e->has_layout);
	assert_int_equal(e->heap, base + layout.heap);
	assert_int_equal(e->heap_size, opts.heap_size);
	assert_int_equal(e->image_end, base + layout.image_end);
	assert_int_equal(e->free_start, base + layout.image_end);
	assert_int_equal(e->free_size, layout.size - layout.image_end);
	assert_false(e->free_mapped);
	assert_int_equal(e->nr_pages, layout.pages);

	sgxemu_enclave_unload(e);
	assert_cleaned_up(f, base, layout.size);
	free(f);
}

static void test_map_free_range(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	const struct call *last;
	char err[512];

	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, f, &sig);
	p.flags = SGXEMU_LOAD_MAP_FREE;
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), 0);
	last = &f->calls[f->nr_calls - 1];
	assert_int_equal(last->kind, C_MMAP);
	assert_int_equal(last->addr, e->free_start);
	assert_int_equal(last->len, e->free_size);
	assert_int_equal(last->prot, PROT_READ | PROT_WRITE);
	assert_true(e->free_mapped);
	sgxemu_enclave_unload(e);
	free(f);
}

static void test_signals_during_add_pages(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	char err[512];

	f->short_adds = 5;
	f->eintr_adds = 3;
	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, f, &sig);
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), 0);
	assert_int_equal(f->nr_pages, layout.pages);
	assert_int_equal(f->short_adds, 0);
	assert_int_equal(f->eintr_adds, 0);
	assert_memory_equal(f->secs.mrenclave, layout.mrenclave, 32);
	sgxemu_enclave_unload(e);
	free(f);
}

static void test_add_pages_failure(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e = (void *)1;
	char err[512];

	f->fail_add_nr = 3;
	f->fail_errno = EIO;
	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, f, &sig);
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_null(e);
	assert_non_null(strstr(err, "SGX_IOC_ENCLAVE_ADD_PAGES at offset 0x"));
	assert_non_null(strstr(err, strerror(EIO)));
	assert_int_equal(count_calls(f, C_IOCTL, SGX_IOC_ENCLAVE_INIT), 0);
	assert_cleaned_up(f, f->secs.base, layout.size);
	free(f);
}

static void test_wrong_enclavehash(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	uint8_t wrong[32];
	char err[512];

	memcpy(wrong, layout.mrenclave, 32);
	wrong[0] ^= 1;
	sigstruct_for(&sig, wrong);
	params_for(&p, f, &sig);
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SGX_IOC_ENCLAVE_INIT: Operation not permitted"));
	assert_non_null(strstr(err, "is not the SIGSTRUCT's ENCLAVEHASH"));
	assert_cleaned_up(f, f->secs.base, layout.size);

	/* EPERM for another reason (signature, launch control) says so. */
	memset(f, 0, sizeof(*f));
	f->init_errno = EPERM;
	sigstruct_for(&sig, layout.mrenclave);
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "EINIT refused the SIGSTRUCT"));

	memset(f, 0, sizeof(*f));
	f->init_errno = EIO;
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SGX_IOC_ENCLAVE_INIT: Input/output error"));
	free(f);
}

static void test_attributes_and_provision(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	int create_at, prov_at, init_at;
	char err[512];

	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, f, &sig);
	p.set_attributes = true;
	p.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY;
	p.attributes.xfrm = 0x7;
	p.set_miscselect = true;
	p.miscselect = 0;
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), 0);
	assert_int_equal(f->secs.attributes.flags, SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY);
	assert_int_equal(f->secs.attributes.xfrm, 0x7);
	assert_int_equal(f->secs.miscselect, 0);
	assert_true(f->provisioned);
	/* PROVISION between CREATE and INIT (CREATE resets the kernel's attribute mask). */
	create_at = index_of(f, C_IOCTL, SGX_IOC_ENCLAVE_CREATE);
	prov_at = index_of(f, C_IOCTL, SGX_IOC_ENCLAVE_PROVISION);
	init_at = index_of(f, C_IOCTL, SGX_IOC_ENCLAVE_INIT);
	assert_true(create_at < prov_at && prov_at < init_at);
	assert_false(f->open_fds[FAKE_PROVISION_FD]); /* closed again */
	sgxemu_enclave_unload(e);
	free(f);
}

static void test_partially_measured_page(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	struct sgxemu_sgxs_writer *w;
	uint8_t page[PAGE] = { 1 }, mr[32];
	char *buf = NULL, err[512];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	w = sgxemu_sgxs_writer_new(out, 1, 0x4000, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(sgxemu_sgxs_write_page(w, 0, SGX_SECINFO_REG | SGX_SECINFO_R, page, 0xFFFF,
						0, err, sizeof(err)),
			 0);
	assert_int_equal(sgxemu_sgxs_write_page(w, 0x1000, SGX_SECINFO_REG | SGX_SECINFO_R, page,
						0x00FF, 0xFF00, err, sizeof(err)),
			 0);
	sgxemu_sgxs_writer_mrenclave(w, mr);
	assert_int_equal(sgxemu_sgxs_writer_finish(w, err, sizeof(err)), 0);
	fclose(out);

	sigstruct_for(&sig, mr);
	params_for(&p, f, &sig);
	p.sgxs = buf;
	p.sgxs_len = len;
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "0x1000: Partially-measured pages not supported"));
	assert_cleaned_up(f, f->secs.base, 0x4000);
	free(buf);
	free(f);
}

static void test_open_failure_and_bad_inputs(void **state)
{
	struct fake *f = fake_new();
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	char err[512];

	f->open_errno = ENOENT;
	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, f, &sig);
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_string_equal(err, "/dev/sgx_enclave: No such file or directory");

	/* A broken stream is refused before any system call. */
	memset(f, 0, sizeof(*f));
	p.sgxs_len = 10;
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_int_equal(f->nr_calls, 0);

	/* A missing .sig beside a file */
	params_for(&p, f, NULL);
	p.sgxs = NULL;
	p.sgxs_path = "/nonexistent/x.sgxs";
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.sig: No such file or directory");
	free(f);
}

/* The real system calls: this machine has no /dev/sgx_enclave (nor does CI). */
static void test_libc_ops_without_sgx(void **state)
{
	struct sgxemu_load_params p;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e;
	char err[512];

	sigstruct_for(&sig, layout.mrenclave);
	params_for(&p, NULL, &sig);
	p.ops = NULL;
	p.device = "/nonexistent/sgx_enclave";
	assert_int_equal(sgxemu_enclave_load(&p, &e, err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/sgx_enclave: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_follows_the_uapi),
		cmocka_unit_test(test_map_free_range),
		cmocka_unit_test(test_signals_during_add_pages),
		cmocka_unit_test(test_add_pages_failure),
		cmocka_unit_test(test_wrong_enclavehash),
		cmocka_unit_test(test_attributes_and_provision),
		cmocka_unit_test(test_partially_measured_page),
		cmocka_unit_test(test_open_failure_and_bad_inputs),
		cmocka_unit_test(test_libc_ops_without_sgx),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
