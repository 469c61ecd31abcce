/* SPDX-License-Identifier: MIT */
/*
 * Virtual EPC (/dev/sgx_vepc, the kernel's virt.c; ref §1.5, §3.5, §4.10, seeds 001 and 004).
 *
 * One open file is one virtual EPC: raw EPC frames for a guest, handed out by file page offset.
 * A hypervisor maps the file MAP_SHARED (never inherited by fork); the first touch of an offset
 * allocates a frame (no reclaim) and the frame stays with that offset until the file is
 * released. The guest runs ENCLS on those frames itself; the host knows nothing of what they
 * hold, which is why EREMOVE had to leave the free path (seed 004): freeing a guest's frames
 * means EREMOVE in two passes (children first, then their SECS pages), and a SECS whose
 * children live in another vEPC instance becomes a "zombie", kept on a platform-wide list until a
 * later release removes its last child.
 *
 * Storage. A vEPC's frames keep their contents in the vEPC's own memfd at their file offset
 * (sgx_cpu_bind_frame_storage), so the runtime maps that memfd at the hypervisor's addresses and
 * a fault only has to bind a frame and set the page-table entry.
 *
 * The hypervisor side of trapped leaves (KVM's ECREATE and EINIT exits) is here too:
 * sgx_virt_ecreate() and sgx_virt_einit(), which take the guest's SECS by its host virtual
 * address inside a vEPC mapping, as KVM passes it.
 */
#ifndef SGXEMU_KERNEL_VIRT_H
#define SGXEMU_KERNEL_VIRT_H

#include <stdint.h>
#include <sys/queue.h>

#include "kernel/mm.h"
#include "kernel/pagemap.h"
#include "kernel/sgx.h"

struct sgx_vepc {
	struct sgx_platform *platform;
	pthread_mutex_t lock;	       /* the page array and storage_size */
	struct sgx_pagemap page_array; /* file page offset -> struct sgx_epc_page * */
	int storage_fd;		       /* memfd: a frame's contents at its file offset */
	uint64_t storage_size;
	uint32_t refcount;	   /* the file's reference + one per mapping (atomic) */
	LIST_ENTRY(sgx_vepc) link; /* platform->vepc_list */
};

/* open(/dev/sgx_vepc): an empty vEPC with one reference; NULL (errno set) on failure. */
struct sgx_vepc *sgx_vepc_alloc(struct sgx_platform *platform);
void sgx_vepc_get(struct sgx_vepc *vepc);
/* The last reference frees every frame: EREMOVE in two passes, zombies kept (ref §4.10). */
void sgx_vepc_put(struct sgx_vepc *vepc);

/* A new reference unless the last one is already gone (the vEPC is being released). */
bool sgx_vepc_tryget(struct sgx_vepc *vepc);
/* Release now, whatever holds references (platform shutdown: they must not be used again). */
void sgx_vepc_release(struct sgx_vepc *vepc);
/* Free the bookkeeping without an ENCLS, leaving the frames as they are (a kexec's old kernel). */
void sgx_vepc_abandon(struct sgx_vepc *vepc);

/* The vEPC behind an fd of /dev/sgx_vepc, with a new reference; ERR_PTR(-EBADF) etc. */
struct sgx_vepc *sgx_vepc_from_fd(int fd);

/*
 * mmap(): may [pgoff, pgoff + len) be mapped with these flags? 0, -EINVAL without MAP_SHARED
 * (VM_SHARED), -EOVERFLOW if the offsets wrap. On success the storage covers the range and *fd
 * is the storage memfd (owned by the vEPC) to map at file offset pgoff << 12.
 */
int sgx_vepc_mmap(struct sgx_vepc *vepc, uint64_t pgoff, uint64_t len, bool shared, int *fd);

/*
 * The fault handler for a non-present access at addr, which maps file page pgoff of vepc with
 * the VMA's SGX_VM_* bits: allocates and binds a frame on first touch, sets the CPU's page-table
 * entry. SGX_FAULT_RETRY when no frame is free now but the reclaimer can make one; SIGBUS for
 * any other failure; SGX_FAULT_HWPOISON for a frame with a memory error.
 */
enum sgx_vm_fault sgx_vepc_fault(struct sgx_vepc *vepc, uint64_t addr, uint64_t pgoff,
				 unsigned long vm_flags, struct sgx_fault_answer *answer);

/* munmap()/mprotect() of [addr, addr + len) mapping file pages from pgoff: clear the CPU PTEs. */
void sgx_vepc_unmap(struct sgx_vepc *vepc, uint64_t addr, uint64_t pgoff, uint64_t len);

/*
 * SGX_IOC_VEPC_REMOVE_ALL: EREMOVE every page in file-offset order. Returns how many SECS pages
 * answered SGX_CHILD_PRESENT (userspace runs it on every vEPC of the guest, then again on those
 * that returned more than 0), or -EBUSY at the first other failure.
 */
long sgx_vepc_remove_all(struct sgx_vepc *vepc);

/* The vEPC file's ioctls: 0 or a count, -errno, -ENOIOCTLCMD for an unknown command. */
long sgx_vepc_ioctl(struct sgx_vepc *vepc, unsigned int cmd, unsigned long arg);

/* The frame at file page pgoff, 0 if none has been allocated (tests, introspection). */
sgx_paddr_t sgx_vepc_frame(struct sgx_vepc *vepc, uint64_t pgoff);

/* Frames on the platform-wide zombie SECS list (tests, `sgxemu info`). */
unsigned int sgx_vepc_nr_zombies(struct sgx_platform *platform);

/* --- the hypervisor's helpers for trapped ENCLS (KVM's vmx/sgx.c calls these) -------------- */

/*
 * The EPC frame behind a host virtual address (a page of a vEPC mapping, usually), as KVM finds
 * the PFN behind a guest's EPC: the page is faulted in if it was never touched. Returns 0, or
 * -EFAULT if the address maps no EPC.
 */
int sgx_virt_user_epc(struct sgx_platform *platform, uint64_t uaddr, sgx_paddr_t *paddr);

/*
 * ECREATE for a guest: pageinfo as KVM builds it (contents and SECINFO are ordinary pointers),
 * secs the SECS page's host virtual address. 0, -EINVAL (with a warning) if secs is not a user
 * address, or -EFAULT with *trapnr set if ECREATE faulted.
 */
int sgx_virt_ecreate(struct sgx_platform *platform, struct sgx_pageinfo *pageinfo, uint64_t secs,
		     int *trapnr);

/*
 * EINIT for a guest with the guest's own launch-key hash (its virtual IA32_SGXLEPUBKEYHASHn).
 * With flexible launch control the hash is written to the LP's MSRs the way KVM writes them, and
 * the host's launch-key cache entry for that LP is invalidated (launch.h): the host's next EINIT
 * there must not trust what it last wrote. Returns EINIT's SGX status (0 or positive) for KVM to
 * reflect into the guest, -EINVAL (with a warning) for a pointer that is not a user address, or
 * -EFAULT with *trapnr set if EINIT faulted.
 */
int sgx_virt_einit(struct sgx_platform *platform, uint64_t sigstruct, uint64_t token, uint64_t secs,
		   const uint64_t lepubkeyhash[4], int *trapnr);

#endif /* SGXEMU_KERNEL_VIRT_H */
