// SPDX-License-Identifier: MIT
/*
 * The enclave loader (include/sgxemu/loader.h). It streams the SGXS image: pages come out of the
 * reader in address order and are gathered into runs that one SGX_IOC_ENCLAVE_ADD_PAGES each
 * can add (same SECINFO, same measurement, contiguous, at most LOAD_RUN_PAGES), so memory use
 * does not grow with the enclave.
 */
#include <sgxemu/loader.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sgxemu/debug.h>
#include <sgxemu/enclave_tls.h>
#include <sgxemu/sgxs.h>

#include "common/log.h"

#define PAGE_SIZE 4096ULL
#define LOAD_RUN_PAGES 256
#define LOAD_MAX_STALLS 1000
#define DEFAULT_DEVICE "/dev/sgx_enclave"
#define DEFAULT_PROVISION_DEVICE "/dev/sgx_provision"

/* --- libc -------------------------------------------------------------------------------- */

static int libc_open(void *ctx, const char *path, int flags)
{
	return open(path, flags);
}

static int libc_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

static void *libc_mmap(void *ctx, void *addr, size_t length, int prot, int flags, int fd,
		       off_t offset)
{
	return mmap(addr, length, prot, flags, fd, offset);
}

static int libc_mprotect(void *ctx, void *addr, size_t length, int prot)
{
	return mprotect(addr, length, prot);
}

static int libc_munmap(void *ctx, void *addr, size_t length)
{
	return munmap(addr, length);
}

static int libc_close(void *ctx, int fd)
{
	return close(fd);
}

const struct sgxemu_loader_ops sgxemu_loader_libc_ops = {
	.open = libc_open,
	.ioctl = libc_ioctl,
	.mmap = libc_mmap,
	.mprotect = libc_mprotect,
	.munmap = libc_munmap,
	.close = libc_close,
};

/* --- state of one load ------------------------------------------------------------------- */

struct map_run {
	uint64_t offset, size;
	int prot;
};

struct tls_seen {
	uint64_t offset;
	struct sgxemu_tls header;
};

struct tcs_seen {
	uint64_t offset;
	uint64_t ofsbase;
};

struct load {
	const struct sgxemu_load_params *p;
	const struct sgxemu_loader_ops *ops;
	void *ctx;
	struct sgxemu_enclave *e;
	char *err;
	size_t errlen;
	bool reserved;

	uint8_t *run_buf;
	uint64_t run_offset, run_pages, run_flags;
	bool run_measured;

	struct map_run *maps;
	size_t nr_maps, cap_maps;
	struct tls_seen *tls;
	size_t nr_tls, cap_tls;
	struct tcs_seen *tcs;
	size_t nr_tcs, cap_tcs;
};

__attribute__((format(printf, 2, 3))) static int load_error(struct load *l, const char *fmt, ...)
{
	va_list ap;

	if (l->err && l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err, l->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static bool grow(void **array, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	p = realloc(*array, n * elem);
	if (!p)
		return false;
	*array = p;
	*cap = n;
	return true;
}

/* --- pages ------------------------------------------------------------------------------- */

static int flush_run(struct load *l)
{
	struct sgx_secinfo secinfo = { .flags = l->run_flags };
	uint64_t len = l->run_pages * PAGE_SIZE, done = 0;
	unsigned int stalls = 0;

	while (done < len) {
		struct sgx_enclave_add_pages add = {
			.src = (uint64_t)(l->run_buf + done),
			.offset = l->run_offset + done,
			.length = len - done,
			.secinfo = (uint64_t)&secinfo,
			.flags = l->run_measured ? SGX_PAGE_MEASURE : 0,
		};
		int ret = l->ops->ioctl(l->ctx, l->e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add);
		int saved = errno;

		if (add.count > len - done || add.count % PAGE_SIZE)
			return load_error(l,
					  "SGX_IOC_ENCLAVE_ADD_PAGES at offset 0x%llx reported "
					  "count %llu for %llu bytes",
					  (unsigned long long)(l->run_offset + done),
					  (unsigned long long)add.count,
					  (unsigned long long)(len - done));
		done += add.count;
		/* A signal stops the kernel early: 0 with a short count, or EINTR before page 1. */
		if (ret == 0 || saved == EINTR) {
			if (add.count)
				stalls = 0;
			else if (++stalls > LOAD_MAX_STALLS)
				return load_error(l,
						  "SGX_IOC_ENCLAVE_ADD_PAGES at offset 0x%llx made "
						  "no progress in %d attempts",
						  (unsigned long long)(l->run_offset + done),
						  LOAD_MAX_STALLS);
			continue;
		}
		return load_error(l,
				  "SGX_IOC_ENCLAVE_ADD_PAGES at offset 0x%llx (%llu pages, SECINFO "
				  "0x%llx, %s): %s",
				  (unsigned long long)(l->run_offset + done),
				  (unsigned long long)((len - done) / PAGE_SIZE),
				  (unsigned long long)l->run_flags,
				  l->run_measured ? "measured" : "not measured", strerror(saved));
	}
	l->run_pages = 0;
	return 0;
}

static int page_prot(uint64_t flags)
{
	/* The kernel lets TCS pages be mapped read-write although their EPCM permissions are 0. */
	if (sgx_secinfo_page_type(flags) == SGX_PAGE_TYPE_TCS)
		return PROT_READ | PROT_WRITE;
	return ((flags & SGX_SECINFO_R) ? PROT_READ : 0) |
	       ((flags & SGX_SECINFO_W) ? PROT_WRITE : 0) |
	       ((flags & SGX_SECINFO_X) ? PROT_EXEC : 0);
}

static int note_mapping(struct load *l, uint64_t offset, int prot)
{
	struct map_run *last = l->nr_maps ? &l->maps[l->nr_maps - 1] : NULL;

	if (last && last->offset + last->size == offset && last->prot == prot) {
		last->size += PAGE_SIZE;
		return 0;
	}
	if (!grow((void **)&l->maps, &l->cap_maps, l->nr_maps + 1, sizeof(*l->maps)))
		return load_error(l, "out of memory");
	l->maps[l->nr_maps++] = (struct map_run){ offset, PAGE_SIZE, prot };
	return 0;
}

/* TCS pages are the entry points; a measured sgxemu TLS page describes the layout. */
static int note_special(struct load *l, const struct sgxemu_sgxs_page *pg, bool measured)
{
	if (sgx_secinfo_page_type(pg->secinfo_flags) == SGX_PAGE_TYPE_TCS) {
		const struct sgx_tcs *tcs = (const struct sgx_tcs *)pg->data;

		if (!grow((void **)&l->tcs, &l->cap_tcs, l->nr_tcs + 1, sizeof(*l->tcs)))
			return load_error(l, "out of memory");
		l->tcs[l->nr_tcs++] = (struct tcs_seen){ pg->offset, tcs->ofsbase };
		return 0;
	}
	if (measured) {
		struct sgxemu_tls header;

		memcpy(&header, pg->data, sizeof(header));
		if (header.magic != SGXEMU_TLS_MAGIC || header.version != SGXEMU_TLS_VERSION)
			return 0;
		if (!grow((void **)&l->tls, &l->cap_tls, l->nr_tls + 1, sizeof(*l->tls)))
			return load_error(l, "out of memory");
		l->tls[l->nr_tls++] = (struct tls_seen){ pg->offset, header };
	}
	return 0;
}

static int add_page(struct load *l, const struct sgxemu_sgxs_page *pg)
{
	struct sgxemu_enclave *e = l->e;
	bool measured;

	if (pg->measured == SGXEMU_SGXS_MEASURE_ALL) {
		/* The kernel EEXTENDs chunks 0..15 in order; another order measures differently. */
		for (unsigned int i = 0; i < pg->nr_measured; i++)
			if (pg->measure_order[i] != i)
				return load_error(
					l,
					"page at offset 0x%llx measures its chunks out of "
					"order, which SGX_IOC_ENCLAVE_ADD_PAGES cannot "
					"reproduce",
					(unsigned long long)pg->offset);
		measured = true;
	} else if (pg->measured == 0) {
		measured = false;
	} else {
		return load_error(l,
				  "page at offset 0x%llx: Partially-measured pages not supported "
				  "(measured chunks 0x%04x)",
				  (unsigned long long)pg->offset, pg->measured);
	}

	if (l->run_pages &&
	    (pg->offset != l->run_offset + l->run_pages * PAGE_SIZE ||
	     pg->secinfo_flags != l->run_flags || measured != l->run_measured ||
	     l->run_pages == LOAD_RUN_PAGES) &&
	    flush_run(l))
		return -1;
	if (!l->run_pages) {
		l->run_offset = pg->offset;
		l->run_flags = pg->secinfo_flags;
		l->run_measured = measured;
	}
	memcpy(l->run_buf + l->run_pages * PAGE_SIZE, pg->data, PAGE_SIZE);
	l->run_pages++;

	e->nr_pages++;
	e->image_end = pg->offset + PAGE_SIZE;
	if (note_mapping(l, pg->offset, page_prot(pg->secinfo_flags)))
		return -1;
	return note_special(l, pg, measured);
}

/* --- steps -------------------------------------------------------------------------------- */

static int reserve(struct load *l)
{
	struct sgxemu_enclave *e = l->e;
	uint64_t addr, base, head, tail;
	void *p;

	if (e->size > (1ULL << 46))
		return load_error(l, "enclave SIZE 0x%llx is larger than the address space allows",
				  (unsigned long long)e->size);
	p = l->ops->mmap(l->ctx, NULL, 2 * e->size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return load_error(l, "reserving 0x%llx bytes of address space for ELRANGE: %s",
				  (unsigned long long)(2 * e->size), strerror(errno));
	addr = (uint64_t)p;
	base = (addr + e->size - 1) & ~(e->size - 1);
	head = base - addr;
	tail = addr + 2 * e->size - (base + e->size);
	/* Keep only the aligned ELRANGE; nothing else may land there until unload. */
	if (head)
		l->ops->munmap(l->ctx, p, head);
	if (tail)
		l->ops->munmap(l->ctx, (void *)(base + e->size), tail);
	e->base = base;
	l->reserved = true;
	return 0;
}

static int create(struct load *l, const struct sgx_sigstruct *sig)
{
	struct sgxemu_enclave *e = l->e;
	struct sgx_enclave_create create;
	struct sgx_secs *secs;
	int ret, saved;

	e->attributes = l->p->set_attributes ? l->p->attributes : sig->body.attributes;
	e->miscselect = l->p->set_miscselect ? l->p->miscselect : sig->body.miscselect;
	secs = calloc(1, sizeof(*secs));
	if (!secs)
		return load_error(l, "out of memory");
	secs->size = e->size;
	secs->base = e->base;
	secs->ssa_frame_size = e->ssa_frame_size;
	secs->miscselect = e->miscselect;
	secs->attributes = e->attributes;
	create.src = (uint64_t)secs;
	ret = l->ops->ioctl(l->ctx, e->fd, SGX_IOC_ENCLAVE_CREATE, &create);
	saved = errno;
	free(secs);
	if (ret)
		return load_error(
			l,
			"SGX_IOC_ENCLAVE_CREATE (SIZE 0x%llx, base 0x%llx, SSAFRAMESIZE %u, "
			"ATTRIBUTES 0x%llx, XFRM 0x%llx, MISCSELECT 0x%x): %s",
			(unsigned long long)e->size, (unsigned long long)e->base, e->ssa_frame_size,
			(unsigned long long)e->attributes.flags,
			(unsigned long long)e->attributes.xfrm, e->miscselect, strerror(saved));
	return 0;
}

static int provision(struct load *l)
{
	const char *dev =
		l->p->provision_device ? l->p->provision_device : DEFAULT_PROVISION_DEVICE;
	struct sgx_enclave_provision prov;
	int pfd, ret, saved;

	pfd = l->ops->open(l->ctx, dev, O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		return load_error(l, "%s (the enclave asks for PROVISIONKEY): %s", dev,
				  strerror(errno));
	prov.fd = (uint64_t)pfd;
	ret = l->ops->ioctl(l->ctx, l->e->fd, SGX_IOC_ENCLAVE_PROVISION, &prov);
	saved = errno;
	l->ops->close(l->ctx, pfd);
	if (ret)
		return load_error(l, "SGX_IOC_ENCLAVE_PROVISION: %s", strerror(saved));
	return 0;
}

static int init(struct load *l, const struct sgx_sigstruct *sig)
{
	struct sgx_enclave_init init = { .sigstruct = (uint64_t)sig };
	char ours[65], theirs[65];
	int saved;

	if (!l->ops->ioctl(l->ctx, l->e->fd, SGX_IOC_ENCLAVE_INIT, &init))
		return 0;
	saved = errno;
	if (saved != EPERM)
		return load_error(l, "SGX_IOC_ENCLAVE_INIT: %s", strerror(saved));
	hex(ours, l->e->mrenclave, 32);
	hex(theirs, sig->body.enclavehash, 32);
	if (memcmp(l->e->mrenclave, sig->body.enclavehash, 32))
		return load_error(l,
				  "SGX_IOC_ENCLAVE_INIT: %s: the image's MRENCLAVE %s is not the "
				  "SIGSTRUCT's ENCLAVEHASH %s",
				  strerror(saved), ours, theirs);
	return load_error(l,
			  "SGX_IOC_ENCLAVE_INIT: %s: EINIT refused the SIGSTRUCT (signature, "
			  "attributes/MISCSELECT under their masks, or launch control)",
			  strerror(saved));
}

static const char *prot_name(int prot)
{
	static const char *const names[8] = {
		"---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"
	};

	return names[prot & 7];
}

static int map_one(struct load *l, uint64_t offset, uint64_t size, int prot)
{
	void *want = (void *)(l->e->base + offset);
	void *got = l->ops->mmap(l->ctx, want, size, prot, MAP_SHARED | MAP_FIXED, l->e->fd, 0);

	if (got == MAP_FAILED)
		return load_error(l, "mmap of the enclave at 0x%llx (0x%llx bytes, %s): %s",
				  (unsigned long long)(uint64_t)want, (unsigned long long)size,
				  prot_name(prot), strerror(errno));
	if (got != want)
		return load_error(l, "mmap of the enclave at %p landed at %p", want, got);
	return 0;
}

static int map_enclave(struct load *l)
{
	struct sgxemu_enclave *e = l->e;

	for (size_t i = 0; i < l->nr_maps; i++)
		if (map_one(l, l->maps[i].offset, l->maps[i].size, l->maps[i].prot))
			return -1;
	if ((l->p->flags & SGXEMU_LOAD_MAP_FREE) && e->free_size) {
		if (map_one(l, e->free_start - e->base, e->free_size, PROT_READ | PROT_WRITE))
			return -1;
		e->free_mapped = true;
	}
	return 0;
}

/* Entry points, the free range and, for `sgxemu pack` images, the heap. */
static int describe(struct load *l)
{
	struct sgxemu_enclave *e = l->e;

	e->tcs = calloc(l->nr_tcs ? l->nr_tcs : 1, sizeof(*e->tcs));
	if (!e->tcs)
		return load_error(l, "out of memory");
	for (size_t i = 0; i < l->nr_tcs; i++)
		e->tcs[i] = e->base + l->tcs[i].offset;
	e->nr_tcs = (unsigned int)l->nr_tcs;
	e->free_start = e->base + e->image_end;
	e->free_size = e->size - e->image_end;
	e->image_end += e->base;

	for (size_t i = 0; l->nr_tcs && i < l->nr_tls; i++) {
		const struct sgxemu_tls *t = &l->tls[i].header;

		if (l->tls[i].offset != l->tcs[0].ofsbase || t->self != l->tls[i].offset ||
		    t->heap > e->size || t->heap_size > e->size - t->heap)
			continue;
		e->has_layout = true;
		e->heap = e->base + t->heap;
		e->heap_size = t->heap_size;
	}
	return 0;
}

static int read_sigstruct(struct load *l, struct sgx_sigstruct *sig)
{
	const struct sgxemu_load_params *p = l->p;
	char path[4096];
	const char *name = p->sig_path;
	long size;
	FILE *f;
	size_t got;

	if (p->sigstruct) {
		memcpy(sig, p->sigstruct, sizeof(*sig));
		return 0;
	}
	if (!name) {
		size_t n;

		if (!p->sgxs_path)
			return load_error(l, "no SIGSTRUCT given");
		n = strlen(p->sgxs_path);
		if (n >= 5 && !strcmp(p->sgxs_path + n - 5, ".sgxs"))
			n -= 5;
		if (snprintf(path, sizeof(path), "%.*s.sig", (int)n, p->sgxs_path) >=
		    (int)sizeof(path))
			return load_error(l, "path too long: %s", p->sgxs_path);
		name = path;
	}
	f = fopen(name, "rb");
	if (!f)
		return load_error(l, "%s: %s", name, strerror(errno));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	got = size == (long)sizeof(*sig) ? fread(sig, 1, sizeof(*sig), f) : 0;
	fclose(f);
	if (got != sizeof(*sig))
		return load_error(l, "%s: a SIGSTRUCT file is exactly %zu bytes", name,
				  sizeof(*sig));
	return 0;
}

static int stream_pages(struct load *l, struct sgxemu_sgxs_reader *r)
{
	struct sgxemu_sgxs_page *pg = malloc(sizeof(*pg));
	char reason[512];
	int ret;

	if (!pg)
		return load_error(l, "out of memory");
	while ((ret = sgxemu_sgxs_next_page(r, pg, reason, sizeof(reason))) == 1)
		if (add_page(l, pg))
			break;
	free(pg);
	if (ret == 1)
		return -1;
	if (ret < 0)
		return load_error(l, "%s", reason);
	if (l->run_pages && flush_run(l))
		return -1;
	if (sgxemu_sgxs_mrenclave(r, l->e->mrenclave, reason, sizeof(reason)))
		return load_error(l, "%s", reason);
	return 0;
}

static void load_cleanup(struct load *l)
{
	free(l->run_buf);
	free(l->maps);
	free(l->tls);
	free(l->tcs);
}

int sgxemu_enclave_load(const struct sgxemu_load_params *params, struct sgxemu_enclave **out,
			char *err, size_t errlen)
{
	const char *device = params->device ? params->device : DEFAULT_DEVICE;
	struct load l = { .p = params, .err = err, .errlen = errlen };
	struct sgxemu_sgxs_reader *r = NULL;
	struct sgx_sigstruct *sig = NULL;
	struct sgxemu_enclave *e;
	char reason[512];

	*out = NULL;
	l.ops = params->ops ? params->ops : &sgxemu_loader_libc_ops;
	l.ctx = params->ops_ctx;
	e = calloc(1, sizeof(*e));
	sig = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	l.run_buf = aligned_alloc(PAGE_SIZE, LOAD_RUN_PAGES * PAGE_SIZE);
	if (!e || !sig || !l.run_buf) {
		load_error(&l, "out of memory");
		goto fail_free;
	}
	l.e = e;
	e->fd = -1;
	e->ops = l.ops;
	e->ops_ctx = l.ctx;

	if (read_sigstruct(&l, sig))
		goto fail_free;
	if (params->sgxs)
		r = sgxemu_sgxs_open_mem(params->sgxs, params->sgxs_len, SGXEMU_SGXS_MEASURE,
					 reason, sizeof(reason));
	else if (params->sgxs_path)
		r = sgxemu_sgxs_open(params->sgxs_path, SGXEMU_SGXS_MEASURE, reason,
				     sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "no SGXS image given");
	if (!r) {
		load_error(&l, "%s", reason);
		goto fail_free;
	}
	e->size = sgxemu_sgxs_info(r)->size;
	e->ssa_frame_size = sgxemu_sgxs_info(r)->ssa_frame_size;

	e->fd = l.ops->open(l.ctx, device, O_RDWR | O_CLOEXEC);
	if (e->fd < 0) {
		load_error(&l, "%s: %s", device, strerror(errno));
		goto fail_free;
	}
	if (reserve(&l) || create(&l, sig))
		goto fail;
	if ((e->attributes.flags & SGX_ATTR_PROVISIONKEY) && provision(&l))
		goto fail;
	if (stream_pages(&l, r) || init(&l, sig) || describe(&l) || map_enclave(&l))
		goto fail;

	sgxemu_sgxs_close(r);
	free(sig);
	load_cleanup(&l);
	/* Only a debugging aid: an enclave that could not be registered still runs. */
	if (sgxemu_debug_add_enclave(e->base, e->size, params->elf_path))
		pr_warn("loader: enclave at %#llx not registered for debuggers (%s)",
			(unsigned long long)e->base, strerror(errno));
	*out = e;
	return 0;

fail:
	if (l.reserved)
		l.ops->munmap(l.ctx, (void *)e->base, e->size);
	l.ops->close(l.ctx, e->fd);
fail_free:
	if (r)
		sgxemu_sgxs_close(r);
	if (e)
		free(e->tcs);
	free(e);
	free(sig);
	load_cleanup(&l);
	return -1;
}

void sgxemu_enclave_unload(struct sgxemu_enclave *e)
{
	if (!e)
		return;
	sgxemu_debug_remove_enclave(e->base);
	e->ops->munmap(e->ops_ctx, (void *)e->base, e->size);
	e->ops->close(e->ops_ctx, e->fd);
	free(e->tcs);
	free(e);
}
