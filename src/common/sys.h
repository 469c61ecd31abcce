/* SPDX-License-Identifier: MIT */
/*
 * The system calls sgxemu makes on its own behalf, issued directly rather than through the libc
 * symbols that the compat layer's LD_PRELOAD shim interposes (open, ioctl, mmap, mprotect, munmap,
 * madvise, mremap, close, fstat, ...). Going through the interposed symbol would re-enter the
 * shim: at best a wasted lookup, at worst a lock taken twice (the runtime's fault path runs with
 * its address-space lock held and inside a signal handler). Every call here is one `syscall`,
 * with libc's conventions (-1 and errno; MAP_FAILED for mmap).
 */
#ifndef SGXEMU_COMMON_SYS_H
#define SGXEMU_COMMON_SYS_H

#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline void *sgx_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static inline int sgx_sys_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

static inline int sgx_sys_mprotect(void *addr, size_t len, int prot)
{
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

static inline int sgx_sys_madvise(void *addr, size_t len, int advice)
{
	return (int)syscall(SYS_madvise, addr, len, advice);
}

static inline void *sgx_sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
				   void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

static inline int sgx_sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static inline int sgx_sys_ioctl(int fd, unsigned long request, unsigned long arg)
{
	return (int)syscall(SYS_ioctl, fd, request, arg);
}

static inline int sgx_sys_fstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

static inline int sgx_sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

#endif /* SGXEMU_COMMON_SYS_H */
