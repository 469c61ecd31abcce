/* SPDX-License-Identifier: MIT */
/*
 * The kernel's ERR_PTR convention: a pointer-returning function returns either a valid pointer or
 * a negative errno folded into the top 4095 addresses, so that allocation paths read like the
 * kernel's (`epc_page = sgx_alloc_epc_page(...); if (IS_ERR(epc_page)) return PTR_ERR(epc_page);`).
 */
#ifndef SGXEMU_KERNEL_ERR_H
#define SGXEMU_KERNEL_ERR_H

#include <stdbool.h>
#include <stdint.h>

#define MAX_ERRNO 4095

/* Kernel-internal errnos: userspace never sees these values (ERESTARTSYS becomes EINTR or a
 * transparent restart, ENOIOCTLCMD becomes ENOTTY). */
#define ERESTARTSYS 512
#define ENOIOCTLCMD 515

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return (uintptr_t)ptr >= (uintptr_t)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#define ERR_CAST(ptr) ((void *)(ptr))

#endif /* SGXEMU_KERNEL_ERR_H */
