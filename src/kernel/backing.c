/* SPDX-License-Identifier: MIT */
/*
 * The backing store of evicted enclave pages (see backing.h): the kernel's sgx_encl_get_backing(),
 * sgx_encl_alloc_backing(), sgx_encl_lookup_backing() and the truncation rules of __sgx_encl_eldu.
 */
#include "kernel/backing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "kernel/encl.h"

uint64_t sgx_encl_page_index(struct sgx_encl *encl, uint64_t addr)
{
	return (addr - encl->base) >> SGX_PAGE_SHIFT;
}

uint64_t sgx_encl_secs_index(struct sgx_encl *encl)
{
	return encl->size >> SGX_PAGE_SHIFT;
}

/* E + E/32 with E = SIZE + 4096: the contents, the SECS, and 128 bytes of PCMD for each. */
static uint64_t sgx_backing_size(struct sgx_encl *encl)
{
	uint64_t encl_size = encl->size + SGX_PAGE_SIZE;

	return encl_size + (encl_size >> 5);
}

/* An unlinked file in dir: O_TMPFILE where the filesystem has it, else mkstemp and unlink. */
static int sgx_backing_tmpfile(const char *dir)
{
	char path[512];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if ((size_t)snprintf(path, sizeof(path), "%s/sgxemu-backing-XXXXXX", dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int sgx_backing_create(struct sgx_encl *encl)
{
	struct sgx_backing_store *store = &encl->backing;
	const char *dir = encl->platform->config.backing_dir;
	uint64_t size = sgx_backing_size(encl);
	void *map;
	int fd, ret;

	fd = *dir ? sgx_backing_tmpfile(dir) : memfd_create("SGX backing", MFD_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (ftruncate(fd, (off_t)size))
		goto fail_fd;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (map == MAP_FAILED)
		goto fail_fd;
	store->fd = fd;
	store->size = size;
	store->map = map;
	return 0;

fail_fd:
	ret = -errno;
	close(fd);
	errno = -ret;
fail:
	ret = -errno;
	if (sgx_platform_warn_first(encl->platform, SGX_WARN_BACKING))
		pr_warn("cannot create the backing store of enclave %llu (%llu bytes%s%s): %s",
			(unsigned long long)encl->id, (unsigned long long)size,
			*dir ? " in " : "", dir, strerror(-ret));
	return ret;
}

void sgx_encl_backing_free(struct sgx_encl *encl)
{
	struct sgx_backing_store *store = &encl->backing;

	if (!store->map)
		return;
	munmap(store->map, store->size);
	close(store->fd);
	store->map = NULL;
}

static void sgx_backing_locate(struct sgx_encl *encl, uint64_t page_index, struct sgx_backing *b)
{
	uint64_t pcmd_offset = encl->size + SGX_PAGE_SIZE + page_index * sizeof(struct sgx_pcmd);

	b->page_index = page_index;
	b->contents = encl->backing.map + (page_index << SGX_PAGE_SHIFT);
	b->pcmd = (struct sgx_pcmd *)(encl->backing.map + pcmd_offset);
	b->pcmd_page = pcmd_offset & ~((uint64_t)SGX_PAGE_SIZE - 1);
}

int sgx_encl_alloc_backing(struct sgx_encl *encl, uint64_t page_index, struct sgx_backing *b)
{
	int fd, ret;

	if (!encl->backing.map) {
		ret = sgx_backing_create(encl);
		if (ret)
			return ret;
	}
	sgx_backing_locate(encl, page_index, b);
	fd = encl->backing.fd;
	/* Both pages exist before EWB writes them, or the page is not evicted at all. */
	if (fallocate(fd, 0, (off_t)(page_index << SGX_PAGE_SHIFT), SGX_PAGE_SIZE) ||
	    fallocate(fd, 0, (off_t)b->pcmd_page, SGX_PAGE_SIZE)) {
		ret = -errno;
		if (sgx_platform_warn_first(encl->platform, SGX_WARN_BACKING))
			pr_warn("cannot allocate backing for enclave %llu: %s",
				(unsigned long long)encl->id, strerror(-ret));
		return ret;
	}
	return 0;
}

int sgx_encl_lookup_backing(struct sgx_encl *encl, uint64_t page_index, struct sgx_backing *b)
{
	if (!encl->backing.map)
		return -EFAULT;
	sgx_backing_locate(encl, page_index, b);
	return 0;
}

int sgx_backing_write_contents(struct sgx_encl *encl, const struct sgx_backing *b,
			       const void *page)
{
	ssize_t n = pwrite(encl->backing.fd, page, SGX_PAGE_SIZE,
			   (off_t)(b->page_index << SGX_PAGE_SHIFT));

	if (n == SGX_PAGE_SIZE)
		return 0;
	return n < 0 ? -errno : -EIO;
}

int sgx_backing_read_contents(struct sgx_encl *encl, const struct sgx_backing *b, void *page)
{
	ssize_t n = pread(encl->backing.fd, page, SGX_PAGE_SIZE,
			  (off_t)(b->page_index << SGX_PAGE_SHIFT));

	if (n == SGX_PAGE_SIZE)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/* shmem_truncate_range() of one page. Reading the hole back would allocate it again: don't. */
static bool sgx_backing_truncate(struct sgx_encl *encl, uint64_t offset)
{
	return !fallocate(encl->backing.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)offset, SGX_PAGE_SIZE);
}

static bool sgx_backing_page_empty(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;

	for (size_t i = 0; i < SGX_PAGE_SIZE / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/*
 * Is the reclaimer about to write a PCMD into the PCMD page of the 32 pages from first_index? A
 * page it is writing back is resident and BEING_RECLAIMED (the bit is the VA offset's lowest
 * once the page is out, hence the residency test). The SECS has no page-array entry and is
 * written back whole under the enclave lock: the scan stops there.
 */
static bool sgx_reclaimer_writing_to_pcmd(struct sgx_encl *encl, uint64_t first_index)
{
	for (uint64_t i = first_index; i < first_index + SGX_PCMDS_PER_PAGE; i++) {
		struct sgx_encl_page *entry;

		if (i == sgx_encl_secs_index(encl))
			break;
		entry = sgx_pagemap_load(&encl->page_array,
					 (encl->base >> SGX_PAGE_SHIFT) + i);
		if (entry && entry->epc_page && (entry->desc & SGX_ENCL_PAGE_BEING_RECLAIMED))
			return true;
	}
	return false;
}

void sgx_encl_release_backing(struct sgx_encl *encl, struct sgx_backing *b)
{
	uint8_t *pcmd_page = encl->backing.map + b->pcmd_page;

	if (!sgx_backing_truncate(encl, b->page_index << SGX_PAGE_SHIFT))
		pr_warn_once("cannot truncate the backing store: %s", strerror(errno));
	memset(b->pcmd, 0, sizeof(*b->pcmd));
	if (!sgx_backing_page_empty(pcmd_page) ||
	    sgx_reclaimer_writing_to_pcmd(encl, b->page_index & ~SGX_PCMD_FIRST_MASK))
		return;
	/* The kernel reads the page back to be sure; a punch that failed is what it would see. */
	if (!sgx_backing_truncate(encl, b->pcmd_page) &&
	    sgx_platform_warn_first(encl->platform, SGX_WARN_PCMD_NOT_EMPTY))
		pr_warn("PCMD page not empty after truncate.");
}
