/* SPDX-License-Identifier: MIT */
/*
 * find_vma() and VM_MAYEXEC for ADD_PAGES's source pages, read from /proc/self/maps and
 * /proc/self/mountinfo. The kernel refuses (EACCES) to EADD from a mapping that could never be
 * executable, which in practice means a file mapping on a filesystem mounted noexec (do_mmap()
 * clears VM_MAYEXEC exactly when path_noexec() holds); anonymous and shmem mappings always have
 * it. Kept per ioctl in a small cache, since one ADD_PAGES usually reads one mapping.
 */
#ifndef SGXEMU_KERNEL_VMA_H
#define SGXEMU_KERNEL_VMA_H

#include <stdbool.h>
#include <stdint.h>

struct sgx_vma {
	uint64_t start;
	uint64_t end;
	bool mayexec;
};

struct sgx_vma_cache {
	bool valid;
	struct sgx_vma vma;
};

/*
 * find_vma(current->mm, addr): the first mapping that ends above addr (it may start above addr,
 * when addr is in a gap). 0, or -EFAULT if there is none, -ENOMEM if /proc cannot be read.
 */
int sgx_find_vma(struct sgx_vma_cache *cache, uint64_t addr, struct sgx_vma *vma);

/* PROCMAP_QUERY when the kernel has it (tests turn it off to exercise the maps parser). */
extern bool sgx_vma_use_procmap_query;

/* For tests: is a file mapping of path on device major:minor VM_MAYEXEC? */
bool sgx_file_mapping_mayexec(unsigned int major, unsigned int minor, const char *path);

#endif /* SGXEMU_KERNEL_VMA_H */
