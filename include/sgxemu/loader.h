/* SPDX-License-Identifier: MIT */
/*
 * An enclave loader over the Linux SGX uAPI (<asm/sgx.h>), doing exactly what a loader does on a
 * real SGX machine (ref/linux-sgx-subsystem.md §1, ref/sgxs.md §7):
 *
 *   1. open /dev/sgx_enclave;
 *   2. reserve 2 x SIZE of address space (anonymous, PROT_NONE), keep the SIZE-aligned half;
 *   3. SGX_IOC_ENCLAVE_CREATE with a SECS from the stream (SIZE, SSAFRAMESIZE), the base, and the
 *      SIGSTRUCT's ATTRIBUTES and MISCSELECT (or the caller's);
 *      SGX_IOC_ENCLAVE_PROVISION if the attributes ask for the provisioning key;
 *   4. SGX_IOC_ENCLAVE_ADD_PAGES per run of contiguous pages with the same SECINFO and the same
 *      measurement: SGX_PAGE_MEASURE for fully measured pages, nothing for pages without a
 *      measured chunk; a partially measured page is refused, as the upstream driver would;
 *   5. SGX_IOC_ENCLAVE_INIT with the SIGSTRUCT;
 *   6. mmap(MAP_SHARED | MAP_FIXED) of the enclave fd over each run of pages with the same
 *      permissions (TCS pages read-write, as the kernel allows them).
 *
 * The system calls go through a small table, so the same code drives a real kernel (the libc
 * table; also an unmodified program under `sgxemu run`) and sgxemu's in-process device API.
 */
#ifndef SGXEMU_LOADER_H
#define SGXEMU_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sgxemu/arch.h>

/*
 * The system calls the loader makes, with libc's conventions: -1 (MAP_FAILED for mmap) and errno
 * on failure. ctx is the table user's; the libc table ignores it.
 */
struct sgxemu_loader_ops {
	int (*open)(void *ctx, const char *path, int flags);
	int (*ioctl)(void *ctx, int fd, unsigned long request, void *arg);
	void *(*mmap)(void *ctx, void *addr, size_t length, int prot, int flags, int fd,
		      off_t offset);
	int (*mprotect)(void *ctx, void *addr, size_t length, int prot);
	int (*munmap)(void *ctx, void *addr, size_t length);
	int (*close)(void *ctx, int fd);
};

/* open(2), ioctl(2), mmap(2), ... of this process. */
extern const struct sgxemu_loader_ops sgxemu_loader_libc_ops;

/* Map the free part of ELRANGE (after the image) read-write from the enclave fd, for SGX2 EAUG. */
#define SGXEMU_LOAD_MAP_FREE (1U << 0)

struct sgxemu_load_params {
	const struct sgxemu_loader_ops *ops; /* NULL: sgxemu_loader_libc_ops */
	void *ops_ctx;
	const char *device;	      /* NULL: "/dev/sgx_enclave" */
	const char *provision_device; /* NULL: "/dev/sgx_provision" (only if PROVISIONKEY) */

	/* The SGXS stream: a file, or memory (sgxs != NULL). */
	const char *sgxs_path;
	const void *sgxs;
	size_t sgxs_len;

	/* The SIGSTRUCT: in memory, or a file; neither: the .sig beside sgxs_path. */
	const struct sgx_sigstruct *sigstruct;
	const char *sig_path;

	/* SECS fields other than the SIGSTRUCT's (EINIT checks them under its masks). */
	bool set_attributes;
	struct sgx_attributes attributes;
	bool set_miscselect;
	uint32_t miscselect;

	unsigned int flags; /* SGXEMU_LOAD_* */

	/*
	 * The ELF the stream was packed from, if known: registered with the enclave for debuggers
	 * and profilers (<sgxemu/debug.h>). Every loaded enclave is registered, with or without it.
	 */
	const char *elf_path;
};

/* A loaded, initialised enclave. Addresses are linear addresses in this process. */
struct sgxemu_enclave {
	int fd; /* the /dev/sgx_enclave file: ioctls for SGX2 go here */
	uint64_t base;
	uint64_t size;
	uint32_t ssa_frame_size;
	uint32_t miscselect;
	struct sgx_attributes attributes;
	uint8_t mrenclave[32]; /* of the stream (the CPU's measurement, if EINIT passed) */

	unsigned int nr_tcs;
	uint64_t *tcs; /* in address order */

	uint64_t nr_pages;
	uint64_t image_end;  /* end of the highest page added */
	uint64_t free_start; /* [free_start, base + size): no pages yet, for SGX2 */
	uint64_t free_size;
	bool free_mapped; /* SGXEMU_LOAD_MAP_FREE was honoured */

	/*
	 * Known only for images laid out by `sgxemu pack` (the TCS's FS base holds the TLS page of
	 * include/sgxemu/enclave_tls.h): the heap. Otherwise has_layout is false and both are 0.
	 */
	bool has_layout;
	uint64_t heap;
	uint64_t heap_size;

	const struct sgxemu_loader_ops *ops;
	void *ops_ctx;
};

/*
 * Loads and initialises. Returns 0 with *out set, or -1 with a one-line reason in err that names
 * the step, the ioctl and the errno ("SGX_IOC_ENCLAVE_ADD_PAGES at offset 0x5000 (3 pages, SECINFO
 * 0x205, measured): Input/output error"). Nothing is left behind on failure.
 */
int sgxemu_enclave_load(const struct sgxemu_load_params *params, struct sgxemu_enclave **out,
			char *err, size_t errlen);

/* Unmaps ELRANGE, closes the enclave fd (the kernel then tears the enclave down) and frees e. */
void sgxemu_enclave_unload(struct sgxemu_enclave *e);

#endif /* SGXEMU_LOADER_H */
