/* SPDX-License-Identifier: MIT */
/*
 * The backing store of an enclave (ref §3.4): where EWB writes the encrypted contents and the PCMD
 * of an evicted page and where ELDU reads them back. The layout is the kernel's shmem file's, with
 * E = SECS.SIZE + 4096:
 *
 *   [0, SIZE)                 the contents of child page i at i * 4096 (i = (addr - base) / 4096)
 *   [SIZE, SIZE + 4096)       the SECS (page index SIZE / 4096)
 *   [SIZE + 4096, E + E/32)   the PCMDs, 128 bytes each, page index i at SIZE + 4096 + i * 128
 *                             (32 to a backing page; the SECS's is i = SIZE / 4096)
 *
 * By default the store is a memfd ("SGX backing", sparse); with the backing-dir setting it is an
 * unlinked file in that directory instead, so that very large enclaves page to disk rather than
 * to memory. It is created when the enclave's first page is evicted (the kernel creates its
 * shmem file at ECREATE; an fd per enclave is a resource worth not spending) and it goes with the
 * enclave. PCMDs are read and written through a shared mapping of the file, as the kernel uses
 * kmap()s of the shmem pages; the contents pages are not: EWB writes into a buffer that is then
 * pwrite()n to the store, and ELDU reads from a buffer pread() from it. A contents page is
 * truncated at every reload, and truncating a page this process has mapped (a PTE, touched by
 * EWB or ELDU) costs a TLB shootdown of every CPU running the process, tens of microseconds on a
 * VM, more than the rest of the reload; a page that was only ever pread/pwritten has no PTE. The
 * mapping of the contents stays for tests and debuggers (`contents` below).
 *
 * Every page is allocated (fallocate) before EWB writes it, as the kernel pins its backing pages
 * first: an EWB whose output cannot be stored would lose the page, so a store that is full makes
 * the reclaimer skip the page instead.
 */
#ifndef SGXEMU_KERNEL_BACKING_H
#define SGXEMU_KERNEL_BACKING_H

#include <stdbool.h>
#include <stdint.h>

#include <sgxemu/arch.h>

struct sgx_encl;

#define SGX_PCMDS_PER_PAGE 32
#define SGX_PCMD_FIRST_MASK ((uint64_t)SGX_PCMDS_PER_PAGE - 1)

struct sgx_backing_store {
	int fd;
	uint8_t *map; /* NULL until the first eviction */
	uint64_t size;
};

/* One page's place in the store, the kernel's struct sgx_backing. */
struct sgx_backing {
	uint64_t page_index;
	uint8_t *contents;    /* 4 KiB, in the mapping (not used by EWB/ELDU, see above) */
	struct sgx_pcmd *pcmd; /* 128 bytes inside the PCMD page */
	uint64_t pcmd_page;   /* file offset of the PCMD page */
};

/* The page index of an enclave page (ELRANGE offset / 4096) and of the SECS (SIZE / 4096). */
uint64_t sgx_encl_page_index(struct sgx_encl *encl, uint64_t addr);
uint64_t sgx_encl_secs_index(struct sgx_encl *encl);

/*
 * For a write-back: creates the store if this is the first eviction, and allocates the contents
 * and PCMD pages of page_index. 0, or -errno (the page then stays resident). Enclave lock held.
 */
int sgx_encl_alloc_backing(struct sgx_encl *encl, uint64_t page_index, struct sgx_backing *b);
/* For a reload: where page_index's blob is. -EFAULT if there is no store. Enclave lock held. */
int sgx_encl_lookup_backing(struct sgx_encl *encl, uint64_t page_index, struct sgx_backing *b);
/*
 * After an ELDU, successful or not (ref §3.4): the contents page is truncated and the PCMD
 * zeroed; the PCMD page too is truncated once it is all zeros, unless the reclaimer is about to
 * write a PCMD into it (a page sharing it is BEING_RECLAIMED). Enclave lock held.
 */
void sgx_encl_release_backing(struct sgx_encl *encl, struct sgx_backing *b);
/*
 * The contents page of b, in and out of the store (page: 4 KiB). 0, or -errno. Enclave lock held.
 */
int sgx_backing_write_contents(struct sgx_encl *encl, const struct sgx_backing *b,
			       const void *page);
int sgx_backing_read_contents(struct sgx_encl *encl, const struct sgx_backing *b, void *page);
/* The enclave goes: the store with it. */
void sgx_encl_backing_free(struct sgx_encl *encl);

#endif /* SGXEMU_KERNEL_BACKING_H */
