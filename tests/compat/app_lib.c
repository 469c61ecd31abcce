/* SPDX-License-Identifier: MIT */
/*
 * What an SGX application written for Linux carries, and nothing from sgxemu: CPUID through a weak
 * sgxemu_cpuid (else the instruction), the vDSO's __vdso_sgx_enter_enclave found by walking the
 * vDSO's dynamic symbol table with DT_HASH (as the kernel selftests' parser does), and an SGXS
 * loader over /dev/sgx_enclave with the usual reservation pattern. Only libc, <asm/sgx.h> and the
 * test enclave's ABI header.
 */
#include "app.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The one-line change that points a program at the emulator. */
extern void sgxemu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) __attribute__((weak));

void app_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	if (sgxemu_cpuid) {
		sgxemu_cpuid(leaf, subleaf, r);
		return;
	}
	__cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

bool app_cpu_has_sgx(bool *sgx2, bool *flc)
{
	uint32_t r[4];

	app_cpuid(0, 0, r);
	if (r[0] < 0x12)
		return false;
	app_cpuid(7, 0, r);
	if (!(r[1] & (1U << 2)))
		return false;
	*flc = r[2] & (1U << 30);
	app_cpuid(0x12, 0, r);
	*sgx2 = r[0] & 2;
	return r[0] & 1;
}

/* --- the vDSO: a hand-written walk of its dynamic symbol table ------------------------------ */

static uint32_t elf_hash(const char *name)
{
	uint32_t h = 0, g;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		g = h & 0xf0000000;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

void *app_vdso_sym(const char *name, const char *version)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), load_offset = 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *symtab = NULL;
	const char *strtab = NULL;
	const uint32_t *hash = NULL;
	const Elf64_Half *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	bool found_load = false;

	if (!base)
		return NULL;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !found_load) {
			load_offset = base + ph[i].p_offset - ph[i].p_vaddr;
			found_load = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!found_load || !dyn)
		return NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uint64_t p = dyn->d_un.d_ptr + load_offset;

		if (dyn->d_tag == DT_SYMTAB)
			symtab = (const Elf64_Sym *)p;
		else if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)p;
		else if (dyn->d_tag == DT_HASH)
			hash = (const uint32_t *)p;
		else if (dyn->d_tag == DT_VERSYM)
			versym = (const Elf64_Half *)p;
		else if (dyn->d_tag == DT_VERDEF)
			verdef = (const Elf64_Verdef *)p;
	}
	if (!symtab || !strtab || !hash)
		return NULL;
	{
		uint32_t nbucket = hash[0];
		const uint32_t *bucket = hash + 2, *chain = hash + 2 + nbucket;

		for (uint32_t i = bucket[elf_hash(name) % nbucket]; i; i = chain[i]) {
			const Elf64_Sym *s = &symtab[i];
			const Elf64_Verdef *vd = verdef;

			if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
			    strcmp(name, strtab + s->st_name))
				continue;
			if (!version || !versym || !verdef)
				return (void *)(load_offset + s->st_value);
			/* The symbol's version must be `version`. */
			for (;;) {
				const Elf64_Verdaux *aux =
					(const Elf64_Verdaux *)((const char *)vd + vd->vd_aux);

				if (!(vd->vd_flags & VER_FLG_BASE) &&
				    vd->vd_ndx == (versym[i] & 0x7fff))
					return strcmp(strtab + aux->vda_name, version) ||
							       vd->vd_hash != elf_hash(version)
						       ? NULL
						       : (void *)(load_offset + s->st_value);
				if (!vd->vd_next)
					break;
				vd = (const Elf64_Verdef *)((const char *)vd + vd->vd_next);
			}
			return NULL;
		}
	}
	return NULL;
}

/* --- SGXS ------------------------------------------------------------------------------------- */

#define TAG_ECREATE 0x0045544145524345ULL
#define TAG_EADD 0x0000000044444145ULL
#define TAG_EEXTEND 0x00444E4554584545ULL
#define TAG_UNMEASRD 0x44525341454D4E55ULL

#define SECINFO_TYPE(f) (((f) >> 8) & 0xff)
#define PT_TCS_PAGE 1

#define SIGSTRUCT_MISCSELECT 900
#define SIGSTRUCT_ATTRIBUTES 928
#define SECS_SIZE 0
#define SECS_BASE 8
#define SECS_SSAFRAMESIZE 16
#define SECS_MISCSELECT 20
#define SECS_ATTRIBUTES 48

struct page {
	uint64_t offset, flags;
	uint16_t measured;
	uint8_t data[4096];
};

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !(*out = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	*len = (size_t)st.st_size;
	if (read(fd, *out, *len) != (ssize_t)*len) {
		close(fd);
		free(*out);
		return -EIO;
	}
	close(fd);
	return 0;
}

/* Adds one page (the reconstructed SGXS page) with SGX_IOC_ENCLAVE_ADD_PAGES. */
static int add_page(struct app_enclave *e, const struct page *pg)
{
	uint8_t secinfo[64] __attribute__((aligned(64))) = { 0 };
	void *src = aligned_alloc(4096, 4096);
	struct sgx_enclave_add_pages add = { 0 };
	int ret = 0;

	if (!src)
		return -ENOMEM;
	memcpy(src, pg->data, 4096);
	memcpy(secinfo, &pg->flags, 8);
	add.src = (uint64_t)src;
	add.offset = pg->offset;
	add.length = 4096;
	add.secinfo = (uint64_t)secinfo;
	if (pg->measured == 0xffff)
		add.flags = SGX_PAGE_MEASURE;
	else if (pg->measured)
		ret = -EINVAL; /* partially measured: the uAPI cannot say it */
	if (!ret && ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add))
		ret = -errno;
	free(src);
	if (ret)
		return ret;
	if (SECINFO_TYPE(pg->flags) == PT_TCS_PAGE && e->nr_tcs < APP_MAX_TCS)
		e->tcs[e->nr_tcs++] = e->base + pg->offset;
	e->page_prot[pg->offset / 4096] =
		SECINFO_TYPE(pg->flags) == PT_TCS_PAGE
			? PROT_READ | PROT_WRITE
			: ((pg->flags & SECINFO_R) ? PROT_READ : 0) |
				  ((pg->flags & SECINFO_W) ? PROT_WRITE : 0) |
				  ((pg->flags & SECINFO_X) ? PROT_EXEC : 0);
	e->page_added[pg->offset / 4096] = 1;
	if (pg->offset + 4096 > e->image_end)
		e->image_end = pg->offset + 4096;
	return 0;
}

/* Maps every run of added pages with the same protection, then the free tail (if asked). */
static int map_pages(struct app_enclave *e, bool map_free)
{
	uint64_t npages = e->size / 4096;

	for (uint64_t i = 0; i < npages;) {
		uint64_t j = i;
		void *p;

		if (!e->page_added[i]) {
			i++;
			continue;
		}
		while (j < npages && e->page_added[j] && e->page_prot[j] == e->page_prot[i])
			j++;
		p = mmap((void *)(e->base + i * 4096), (j - i) * 4096, e->page_prot[i],
			 MAP_SHARED | MAP_FIXED, e->fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		i = j;
	}
	if (map_free && e->image_end < e->size &&
	    mmap((void *)(e->base + e->image_end), e->size - e->image_end, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, e->fd, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

int app_load(const char *sgxs_path, const char *sig_path, bool map_free, struct app_enclave *e,
	     char *err, size_t errlen)
{
	uint8_t *sgxs = NULL, *sig = NULL, *secs = NULL, *probe;
	size_t sgxs_len, sig_len, at = 64;
	struct page *pg = NULL;
	uint64_t size, tag;
	uint32_t ssaframesize;
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if ((ret = read_file(sgxs_path, &sgxs, &sgxs_len)) ||
	    (ret = read_file(sig_path, &sig, &sig_len))) {
		snprintf(err, errlen, "read %s: %s", sgxs ? sig_path : sgxs_path, strerror(-ret));
		goto out;
	}
	memcpy(&tag, sgxs, 8);
	memcpy(&ssaframesize, sgxs + 8, 4);
	memcpy(&size, sgxs + 12, 8);
	if (sgxs_len < 64 || tag != TAG_ECREATE || sig_len != 1808) {
		snprintf(err, errlen, "%s is not a sized SGXS stream", sgxs_path);
		ret = -EINVAL;
		goto out;
	}

	e->fd = open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (e->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "open /dev/sgx_enclave: %s", strerror(errno));
		goto out;
	}
	/* A loader may probe the fd with a mapping before CREATE: the kernel allows it. */
	probe = mmap(NULL, 4096, PROT_READ, MAP_SHARED, e->fd, 0);
	if (probe == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "probe mmap before CREATE: %s", strerror(errno));
		goto out;
	}
	munmap(probe, 4096);

	/* Reserve 2 x SIZE, keep the SIZE-aligned half (ELRANGE must be naturally aligned). */
	e->size = size;
	e->reservation = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->reservation == MAP_FAILED) {
		ret = -errno;
		snprintf(err, errlen, "reserve: %s", strerror(errno));
		goto out;
	}
	e->base = ((uint64_t)e->reservation + size - 1) & ~(size - 1);
	e->page_prot = calloc(size / 4096, 1);
	e->page_added = calloc(size / 4096, 1);
	secs = aligned_alloc(4096, 4096);
	if (!e->page_prot || !e->page_added || !secs) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memset(secs, 0, 4096);
	memcpy(secs + SECS_SIZE, &size, 8);
	memcpy(secs + SECS_BASE, &e->base, 8);
	memcpy(secs + SECS_SSAFRAMESIZE, &ssaframesize, 4);
	memcpy(secs + SECS_MISCSELECT, sig + SIGSTRUCT_MISCSELECT, 4);
	memcpy(secs + SECS_ATTRIBUTES, sig + SIGSTRUCT_ATTRIBUTES, 16);
	{
		struct sgx_enclave_create create = { .src = (uint64_t)secs };

		if (ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &create)) {
			ret = -errno;
			snprintf(err, errlen, "SGX_IOC_ENCLAVE_CREATE: %s", strerror(errno));
			goto out;
		}
	}

	pg = malloc(sizeof(*pg));
	if (!pg) {
		ret = -ENOMEM;
		goto out;
	}
	pg->offset = UINT64_MAX;
	while (at + 64 <= sgxs_len) {
		const uint8_t *rec = sgxs + at;
		uint64_t off;

		memcpy(&tag, rec, 8);
		memcpy(&off, rec + 8, 8);
		if (tag == TAG_EADD) {
			if (pg->offset != UINT64_MAX && (ret = add_page(e, pg)))
				goto add_failed;
			memset(pg, 0, sizeof(*pg));
			pg->offset = off;
			memcpy(&pg->flags, rec + 16, 8);
			at += 64;
		} else if (tag == TAG_EEXTEND || tag == TAG_UNMEASRD) {
			if (at + 320 > sgxs_len || pg->offset == UINT64_MAX)
				break;
			memcpy(pg->data + (off & 0xfff), rec + 64, 256);
			if (tag == TAG_EEXTEND)
				pg->measured |= 1U << ((off & 0xfff) / 256);
			at += 320;
		} else {
			snprintf(err, errlen, "unknown SGXS record at %zu", at);
			ret = -EINVAL;
			goto out;
		}
	}
	if (pg->offset != UINT64_MAX && (ret = add_page(e, pg)))
		goto add_failed;
	{
		struct sgx_enclave_init init = { .sigstruct = (uint64_t)sig };

		if (ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init)) {
			ret = -errno;
			snprintf(err, errlen, "SGX_IOC_ENCLAVE_INIT: %s", strerror(errno));
			goto out;
		}
	}
	ret = map_pages(e, map_free);
	if (ret)
		snprintf(err, errlen, "mmap of the enclave: %s", strerror(-ret));
	goto out;

add_failed:
	snprintf(err, errlen, "SGX_IOC_ENCLAVE_ADD_PAGES at %#llx: %s",
		 (unsigned long long)pg->offset, strerror(-ret));
out:
	free(pg);
	free(secs);
	free(sgxs);
	free(sig);
	if (ret)
		app_unload(e);
	return ret;
}

void app_unload(struct app_enclave *e)
{
	if (e->reservation && e->reservation != MAP_FAILED)
		munmap(e->reservation, 2 * e->size);
	if (e->fd >= 0)
		close(e->fd);
	free(e->page_prot);
	free(e->page_added);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

/* --- calls ---------------------------------------------------------------------------------- */

vdso_sgx_enter_enclave_t app_vdso_enter;

int64_t app_call(const struct app_enclave *e, unsigned int tcs, unsigned int op,
		 struct te_args *args)
{
	struct sgx_enclave_run run = { .tcs = e->tcs[tcs] };
	int ret;

	args->status = -1;
	ret = app_vdso_call(op, (unsigned long)args, 0, SGX_ENCLU_EENTER, 0, 0, &run,
			    app_vdso_enter);
	if (ret || run.function != SGX_ENCLU_EEXIT)
		return -1000 - ret;
	return args->status;
}

const char *app_dir(void)
{
	const char *d = getenv("APP_ENCLAVE_DIR");

	return d ? d : APP_DEFAULT_ENCLAVE_DIR;
}
