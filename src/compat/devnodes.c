/* SPDX-License-Identifier: MIT */
/*
 * The device nodes as the file system shows them. On a machine with the SGX driver, devtmpfs
 * creates /dev/sgx_enclave, /dev/sgx_provision and (with KVM) /dev/sgx_vepc as misc character
 * devices (major 10, dynamic minors) and udev gives them their group and mode (systemd's rules:
 * group "sgx" or "sgx_prv", mode 0660). Here they belong to root and to the caller's group, mode
 * 0660, so that what `access` and `stat` say agrees with what `open` does for any user.
 */
#include "compat/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <sgxemu/config.h>
#include <sgxemu/sgxemu.h>

#include "common/sys.h"
#include "kernel/driver.h"
#include "runtime/mm.h"

#define MISC_MAJOR 10

static const struct {
	const char *path;
	unsigned int minor;
	uint64_t ino;
} nodes[] = {
	[COMPAT_NODE_ENCLAVE] = { "/dev/sgx_enclave", 125, 0x5e5e0001 },
	[COMPAT_NODE_PROVISION] = { "/dev/sgx_provision", 126, 0x5e5e0002 },
	[COMPAT_NODE_VEPC] = { "/dev/sgx_vepc", 124, 0x5e5e0003 },
	[COMPAT_NODE_CPUINFO] = { "/proc/cpuinfo", 0, 0 },
};

/* The directory a dirfd names, or an error. */
static int dirfd_path(int dirfd, char *out, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	n = readlink(link, out, size - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

enum compat_node compat_node_at(int dirfd, const char *path)
{
	char norm[PATH_MAX], joined[PATH_MAX * 2];
	const char *full = path;

	/* Fast path: every node's path has "sgx_" or "cpuinfo" in its last component. */
	if (!path || (!strstr(path, "sgx_") && !strstr(path, "cpuinfo")))
		return COMPAT_NODE_NONE;
	if (path[0] != '/' && dirfd != AT_FDCWD) {
		char dir[PATH_MAX];

		if (dirfd_path(dirfd, dir, sizeof(dir)) || dir[0] != '/')
			return COMPAT_NODE_NONE;
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", dir, path) >= sizeof(joined))
			return COMPAT_NODE_NONE;
		full = joined;
	}
	if (sgx_normalize_path(full, norm, sizeof(norm)))
		return COMPAT_NODE_NONE;
	/* "/dev/sgx_enclave/" is a directory path: the node itself answers ENOTDIR. */
	for (unsigned int n = COMPAT_NODE_ENCLAVE; n <= COMPAT_NODE_CPUINFO; n++)
		if (!strcmp(norm, nodes[n].path))
			return (enum compat_node)n;
	return COMPAT_NODE_NONE;
}

bool compat_node_exists(enum compat_node node)
{
	struct sgx_platform *platform = sgx_default_platform_peek();
	struct sgxemu_config config;
	char err[256];

	switch (node) {
	case COMPAT_NODE_CPUINFO:
		return true;
	case COMPAT_NODE_VEPC:
	case COMPAT_NODE_PROVISION:
	case COMPAT_NODE_ENCLAVE:
		break;
	default:
		return false;
	}
	/* Without booting: the configuration says what sgx_drv_init would register. */
	if (platform) {
		if (node == COMPAT_NODE_VEPC)
			return platform->have_vepc_dev;
		return node == COMPAT_NODE_ENCLAVE ? platform->have_enclave_dev
						   : platform->have_provision_dev;
	}
	sgxemu_config_defaults(&config);
	if (sgxemu_config_from_env(&config, err, sizeof(err)) ||
	    sgxemu_config_validate(&config, err, sizeof(err)))
		return false; /* the platform would not boot: a machine without SGX */
	/* sgx_provision and sgx_vepc (the emulated machine has VMX and KVM) need no launch control. */
	return node != COMPAT_NODE_ENCLAVE || config.flc;
}

/* /dev is devtmpfs: the nodes share its device number and times. */
static void dev_dir(struct stat *dev)
{
	if (stat("/dev", dev))
		memset(dev, 0, sizeof(*dev));
}

void compat_node_stat(enum compat_node node, struct stat *st)
{
	struct stat dev;

	dev_dir(&dev);
	memset(st, 0, sizeof(*st));
	st->st_dev = dev.st_dev;
	st->st_ino = nodes[node].ino;
	st->st_mode = S_IFCHR | 0660;
	st->st_nlink = 1;
	st->st_uid = 0;
	st->st_gid = getegid();
	st->st_rdev = makedev(MISC_MAJOR, nodes[node].minor);
	st->st_blksize = 4096;
	st->st_atim = dev.st_mtim;
	st->st_mtim = dev.st_mtim;
	st->st_ctim = dev.st_mtim;
}

void compat_node_statx(enum compat_node node, unsigned int mask, struct statx *stx)
{
	struct stat st;

	compat_node_stat(node, &st);
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_blksize = (uint32_t)st.st_blksize;
	stx->stx_nlink = (uint32_t)st.st_nlink;
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_ino = st.st_ino;
	stx->stx_atime.tv_sec = st.st_atim.tv_sec;
	stx->stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
	stx->stx_mtime.tv_sec = st.st_mtim.tv_sec;
	stx->stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
	stx->stx_ctime.tv_sec = st.st_ctim.tv_sec;
	stx->stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
}

int compat_node_access(enum compat_node node, int mode, bool effective)
{
	uid_t uid = effective ? geteuid() : getuid();
	gid_t gid = effective ? getegid() : getgid();

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (mode & X_OK)
		return -EACCES; /* no execute bit for anyone, root included (no x bit at all) */
	/* Root (CAP_DAC_OVERRIDE), or the group the node was given, may read and write. */
	if (uid == 0 || gid == getegid())
		return 0;
	return mode ? -EACCES : 0;
}

enum compat_node compat_fd_node(int fd)
{
	switch (sgxemu_fd_device(fd)) {
	case SGXEMU_DEVICE_ENCLAVE:
		return COMPAT_NODE_ENCLAVE;
	case SGXEMU_DEVICE_PROVISION:
		return COMPAT_NODE_PROVISION;
	case SGXEMU_DEVICE_VEPC:
		return COMPAT_NODE_VEPC;
	default:
		return COMPAT_NODE_NONE;
	}
}

int compat_node_open(enum compat_node node, const char *path, int flags)
{
	int fd;

	if (node == COMPAT_NODE_CPUINFO)
		return compat_cpuinfo_open(flags);
	if (!compat_node_exists(node))
		return -ENOENT;
	fd = sgxemu_open(nodes[node].path, flags);
	return fd < 0 ? -errno : fd;
}

/* --- descriptors -------------------------------------------------------------------------- */

bool compat_fd_is_device(int fd)
{
	return fd >= 0 && sgx_driver_has_files() && sgxemu_fd_device(fd) != SGXEMU_DEVICE_NONE;
}

bool compat_range_is_enclave(uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;

	if (end < addr)
		end = UINT64_MAX;
	return sgx_mm_touches_enclave(addr, end);
}

int compat_close(int fd)
{
	if (!sgx_driver_has_files())
		return sgx_sys_close(fd);
	return sgxemu_close(fd);
}

void compat_fds_closed(void)
{
	sgx_driver_sweep();
}
