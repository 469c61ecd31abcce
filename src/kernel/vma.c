/* SPDX-License-Identifier: MIT */
#include "kernel/vma.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/fs.h>

/*
 * PROCMAP_QUERY (Linux 6.11): find_vma() as an ioctl on /proc/self/maps, one VMA instead of the
 * whole text. The installed uAPI headers may predate it; the layout is the kernel's.
 */
#ifndef PROCMAP_QUERY
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#endif

bool sgx_vma_use_procmap_query = true;

/* Undo mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
static void sgx_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Does mount point mnt contain path (at a component boundary)? Returns the match length. */
static size_t sgx_mount_prefix(const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return 1;
	if (strncmp(mnt, path, n))
		return 0;
	if (path[n] != '/' && path[n] != '\0')
		return 0;
	return n;
}

static bool sgx_has_option(const char *options, const char *option)
{
	size_t n = strlen(option);

	const char *p = options;

	while (p) {
		if (!strncmp(p, option, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Filesystems whose superblocks are SB_I_NOEXEC whatever the mount flags say. */
static bool sgx_fstype_noexec(const char *fstype)
{
	return !strcmp(fstype, "proc") || !strcmp(fstype, "sysfs");
}

bool sgx_file_mapping_mayexec(unsigned int major, unsigned int minor, const char *path)
{
	unsigned int nr_dev_mounts = 0, nr_dev_noexec = 0;
	size_t best_len = 0;
	bool best_noexec = false;
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return true;
	while (getline(&line, &cap, f) > 0) {
		unsigned int maj, min;
		char mnt[4096], opts[1024], *sep, fstype[64];
		size_t len;
		bool noexec;

		/* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s %1023s", &maj, &min, mnt, opts) != 4)
			continue;
		if (maj != major || min != minor)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", fstype) != 1)
			fstype[0] = '\0';
		sgx_unescape(mnt);
		noexec = sgx_has_option(opts, "noexec") || sgx_fstype_noexec(fstype);
		nr_dev_mounts++;
		nr_dev_noexec += noexec;
		/* The longest mount point containing the path; a later (over)mount wins a tie. */
		len = sgx_mount_prefix(mnt, path);
		if (len && len >= best_len) {
			best_len = len;
			best_noexec = noexec;
		}
	}
	free(line);
	fclose(f);

	if (best_len)
		return !best_noexec;
	/*
	 * The path is not under any mount of that device (a deleted file, a bind mount of a
	 * subdirectory): noexec only if every mount of the device is. A device with no mount at all
	 * is an internal one (shmem for memfd, SysV shm and shared anonymous memory): executable.
	 */
	return !(nr_dev_mounts && nr_dev_noexec == nr_dev_mounts);
}

static bool sgx_special_mayexec(const char *name)
{
	/* The vvar pages are VM_READ|VM_MAYREAD only; [vdso], [heap], [stack], [anon:...] are not. */
	return strncmp(name, "[vvar", 5) != 0;
}

static void sgx_strip_deleted(char *name)
{
	static const char deleted[] = " (deleted)";
	size_t n = strlen(name), d = sizeof(deleted) - 1;

	if (n > d && !strcmp(name + n - d, deleted))
		name[n - d] = '\0';
}

/* 0, -EFAULT (no VMA), or -ENOTTY if the kernel has no PROCMAP_QUERY. */
static int sgx_find_vma_query(uint64_t addr, struct sgx_vma *vma)
{
	char name[PATH_MAX];
	struct procmap_query q = {
		.size = sizeof(q),
		.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
		.query_addr = addr,
		.vma_name_addr = (uint64_t)(uintptr_t)name,
		.vma_name_size = sizeof(name),
	};
	int fd, ret, err;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOTTY;
	ret = ioctl(fd, PROCMAP_QUERY, &q);
	err = errno;
	close(fd);
	if (ret)
		return err == ENOENT ? -EFAULT : -ENOTTY;
	if (!q.vma_name_size)
		name[0] = '\0';
	vma->start = q.vma_start;
	vma->end = q.vma_end;
	if (name[0] == '/' && q.inode) {
		sgx_strip_deleted(name);
		vma->mayexec = sgx_file_mapping_mayexec(q.dev_major, q.dev_minor, name);
	} else {
		vma->mayexec = sgx_special_mayexec(name);
	}
	return 0;
}

static int sgx_find_vma_uncached(uint64_t addr, struct sgx_vma *vma)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -EFAULT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -ENOMEM;
	while (getline(&line, &cap, f) > 0) {
		uint64_t start, end, inode;
		unsigned int major, minor;
		int name_at = 0;
		char *name, *nl;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*x %x:%x %" SCNu64 " %n", &start,
			   &end, &major, &minor, &inode, &name_at) < 5)
			continue;
		if (end <= addr)
			continue;
		name = line + name_at;
		nl = strchr(name, '\n');
		if (nl)
			*nl = '\0';
		/* The vsyscall page is a gate area, not a VMA: find_vma() never returns it. */
		if (!strcmp(name, "[vsyscall]"))
			continue;
		vma->start = start;
		vma->end = end;
		if (name[0] == '/' && inode) {
			sgx_strip_deleted(name);
			vma->mayexec = sgx_file_mapping_mayexec(major, minor, name);
		} else {
			vma->mayexec = sgx_special_mayexec(name);
		}
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

int sgx_find_vma(struct sgx_vma_cache *cache, uint64_t addr, struct sgx_vma *vma)
{
	int ret;

	if (cache && cache->valid && cache->vma.start <= addr && addr < cache->vma.end) {
		*vma = cache->vma;
		return 0;
	}
	ret = -ENOTTY;
	if (__atomic_load_n(&sgx_vma_use_procmap_query, __ATOMIC_RELAXED))
		ret = sgx_find_vma_query(addr, vma);
	if (ret == -ENOTTY)
		ret = sgx_find_vma_uncached(addr, vma);
	if (!ret && cache && vma->start <= addr) {
		cache->vma = *vma;
		cache->valid = true;
	}
	return ret;
}
