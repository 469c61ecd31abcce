/* SPDX-License-Identifier: MIT */
/*
 * The compat layer (DESIGN.md "compat"): what makes an unmodified program see an SGX machine.
 * The core here is shared by the two front ends:
 *   - the LD_PRELOAD shim (preload.c, build/libsgxemu-preload.so), which interposes libc;
 *   - the syscall-dispatch mode (dispatch.c), which catches the system calls of a static
 *     program that `sgxemu run --syscall-dispatch` loads itself.
 * Both route device files, their mappings, `stat` of the nodes, /proc/cpuinfo and the vDSO here.
 * docs/compat.md describes the behaviour a program sees.
 */
#ifndef SGXEMU_COMPAT_COMPAT_H
#define SGXEMU_COMPAT_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/stat.h>

/* --- device nodes (devnodes.c) --------------------------------------------------------------- */

enum compat_node {
	COMPAT_NODE_NONE = 0,
	COMPAT_NODE_ENCLAVE,   /* /dev/sgx_enclave */
	COMPAT_NODE_PROVISION, /* /dev/sgx_provision */
	COMPAT_NODE_VEPC,      /* /dev/sgx_vepc */
	COMPAT_NODE_CPUINFO,   /* /proc/cpuinfo (with the sgx flags) */
};

/*
 * Which emulated node path names, resolved against dirfd (AT_FDCWD or a directory descriptor)
 * lexically, as the VFS would for these nodes. A path that cannot be one returns NONE quickly
 * (no system call): this runs on every open/stat of the process.
 */
enum compat_node compat_node_at(int dirfd, const char *path);

/* Does the node exist on the emulated machine (its configuration: FLC gives /dev/sgx_enclave)? */
bool compat_node_exists(enum compat_node node);

/* stat(2) of an existing node: a character device as udev would create it. */
void compat_node_stat(enum compat_node node, struct stat *st);
void compat_node_statx(enum compat_node node, unsigned int mask, struct statx *stx);
/* access(2) of an existing node for the caller's effective (or real) ids: 0 or -errno. */
int compat_node_access(enum compat_node node, int mode, bool effective);

/* The node behind an open descriptor of sgxemu's (NONE for any other fd). */
enum compat_node compat_fd_node(int fd);

/* open(2) of a node: an fd or -errno. */
int compat_node_open(enum compat_node node, const char *path, int flags);

/* --- descriptors and mappings (fds.c) ------------------------------------------------------- */

/* close(2) of any fd: a device file goes through the driver (its enclave may be released). */
int compat_close(int fd);
/* After descriptors were closed behind our back (dup2, dup3, close_range, closefrom). */
void compat_fds_closed(void);
/* Should a mmap/munmap/... of this range or fd go to the runtime instead of the kernel? */
bool compat_fd_is_device(int fd);
bool compat_range_is_enclave(uint64_t addr, uint64_t len);

/* --- the vDSO (vdso.c) ------------------------------------------------------------------------ */

/* The synthetic vDSO image (built once), or 0 if it could not be built. */
uint64_t compat_vdso_image(size_t *size);
/* A memfd holding the image, for dlopen("linux-vdso.so.1"); -1 on failure. */
int compat_vdso_memfd(void);
uint32_t compat_elf_hash(const char *name);
uint32_t compat_gnu_hash(const char *name);

/* --- the auxiliary vector (auxv.c) ------------------------------------------------------------ */

/* The value the kernel put in this process's auxiliary vector (from /proc/self/auxv). */
uint64_t compat_real_auxval(unsigned long type);
/*
 * Points the process's own auxiliary vector (the one getauxval reads, on the initial stack) at
 * the synthetic vDSO. Returns 0 or -errno.
 */
int compat_patch_auxv(void);

/* --- /proc/cpuinfo (cpuinfo.c) ---------------------------------------------------------------- */

/* A sealed memfd with /proc/cpuinfo as the emulated CPU would show it (sgx, sgx_lc): fd or -errno. */
int compat_cpuinfo_open(int flags);

/* --- the environment that `sgxemu run` passes ------------------------------------------------- */

#define COMPAT_ENV_CPUID_FAULTING "SGXEMU_CPUID_FAULTING" /* 1: enable it where the host can */
#define COMPAT_ENV_PATCH_CPUID "SGXEMU_PATCH_CPUID"	  /* LIB[:LIB...]: rewrite their cpuid */
/* The shim's file name, in LD_PRELOAD. */
#define COMPAT_SHIM_NAME "libsgxemu-preload.so"

#endif /* SGXEMU_COMPAT_COMPAT_H */
