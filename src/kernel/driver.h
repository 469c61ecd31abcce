/* SPDX-License-Identifier: MIT */
/*
 * The device files (the kernel's driver.c and misc-device glue), as seen from inside the kernel
 * layer. The public face is <sgxemu/sgxemu.h>.
 *
 * Every open of a device returns a real file descriptor: a memfd named after the device. The
 * driver recognises its files by inode (st_dev, st_ino), never by fd number, so dup(), dup2()
 * and fd-number reuse cannot confuse it; the file is released when no descriptor refers to its
 * inode any more (checked on sgxemu_close), like the kernel's last fput.
 */
#ifndef SGXEMU_KERNEL_DRIVER_H
#define SGXEMU_KERNEL_DRIVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "kernel/sgx.h"

enum sgx_file_type {
	SGX_FILE_NONE = 0,
	SGX_FILE_ENCLAVE,   /* /dev/sgx_enclave */
	SGX_FILE_PROVISION, /* /dev/sgx_provision */
	SGX_FILE_VEPC,	    /* /dev/sgx_vepc */
};

/* open() of a device node of this platform: an fd, or -errno. */
int sgx_platform_open(struct sgx_platform *platform, const char *path, int flags);

/* The type of the device file behind fd (SGX_FILE_NONE if it is not one of ours). */
enum sgx_file_type sgx_fd_type(int fd);

/*
 * The path as the VFS would resolve it lexically (relative to the working directory, "//", "."
 * and ".." folded) into out: 0 or -errno.
 */
int sgx_normalize_path(const char *path, char *out, size_t size);

/* The default platform if it has booted (no boot otherwise), else NULL. */
struct sgx_platform *sgx_default_platform_peek(void);

/* The type of the device file with this inode (fstat of any of its descriptors). */
enum sgx_file_type sgx_inode_type(dev_t dev, ino_t ino);

/* Some device file is open (a lock-free hint for the compat layer's fast paths). */
bool sgx_driver_has_files(void);

/*
 * Releases every device file that no descriptor refers to any more (after descriptors were closed
 * behind sgxemu_close's back: dup2/dup3 onto one, close_range, closefrom).
 */
void sgx_driver_sweep(void);

/*
 * fork(): the handlers pthread_atfork runs around it (the compat layer and the runtime register
 * them). The child keeps its inherited descriptors recognisable, but they answer ENODEV; its
 * next open boots a platform of its own. Children of raw forks are noticed too (forkwatch.h).
 */
void sgx_driver_fork_prepare(void);
void sgx_driver_fork_parent(void);
void sgx_driver_fork_child(void);
void sgx_default_fork_prepare(void);
void sgx_default_fork_release(void);
/* The one-time explanation for a child that uses an inherited descriptor. */
void sgx_driver_warn_forked(void);

/* The enclave ioctls (ioctl.c): 0 or -errno, -ERESTARTSYS and -ENOIOCTLCMD included. */
long sgx_ioctl(struct sgx_encl *encl, unsigned int cmd, unsigned long arg);

/* The platform is going away: its files stay open but answer ENODEV (their enclaves go). */
void sgx_driver_platform_gone(struct sgx_platform *platform);
/* The same without releasing the enclaves (sgx_platform_abandon frees them without ENCLS). */
void sgx_driver_platform_gone_abandon(struct sgx_platform *platform);

#endif /* SGXEMU_KERNEL_DRIVER_H */
