/* SPDX-License-Identifier: MIT */
/*
 * build/libsgxemu-preload.so: the LD_PRELOAD shim `sgxemu run` starts programs with.
 *
 * It interposes the libc functions through which a program reaches the SGX driver and routes the
 * calls that concern sgxemu's device files, enclave mappings, the device nodes, /proc/cpuinfo and
 * the vDSO into the kernel layer and the runtime; every other call goes, untouched, to the next
 * definition (libc's, or another preloaded library's), found with dlsym(RTLD_NEXT). sgxemu's own
 * code never calls these symbols (common/sys.h issues its system calls directly), so nothing
 * recurses. The fast paths cost a load and a compare: no device file open means no fstat; no
 * enclave mapped means no lookup (mm.h's lock-free extents).
 *
 * docs/compat.md lists what is intercepted and how each call behaves.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "common/sys.h"
#include "compat/compat.h"
#include "compat/patch.h"
#include "kernel/driver.h"
#include "runtime/cpuid.h"
#include "runtime/pm_trigger.h"
#include "runtime/runtime.h"
#include "runtime/signal.h"

#define EXPORT __attribute__((visibility("default")))

/* --- the next definitions ------------------------------------------------------------------ */

/* Resolved on first use; a missing one (a libc without statx) fails with ENOSYS. */
#define REAL(name) ((__typeof__(&name))real_symbol(&real_##name, #name))
#define DECLARE_REAL(name) static void *real_##name

static void *real_symbol(void **slot, const char *name)
{
	void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (!p) {
		p = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, p, __ATOMIC_RELEASE);
	}
	return p;
}

DECLARE_REAL(open);
DECLARE_REAL(open64);
DECLARE_REAL(openat);
DECLARE_REAL(openat64);
DECLARE_REAL(__open_2);
DECLARE_REAL(__open64_2);
DECLARE_REAL(__openat_2);
DECLARE_REAL(__openat64_2);
DECLARE_REAL(creat);
DECLARE_REAL(creat64);
DECLARE_REAL(fopen);
DECLARE_REAL(fopen64);
DECLARE_REAL(stat);
DECLARE_REAL(stat64);
DECLARE_REAL(lstat);
DECLARE_REAL(lstat64);
DECLARE_REAL(fstat);
DECLARE_REAL(fstat64);
DECLARE_REAL(fstatat);
DECLARE_REAL(fstatat64);
DECLARE_REAL(statx);
DECLARE_REAL(access);
DECLARE_REAL(faccessat);
DECLARE_REAL(euidaccess);
DECLARE_REAL(eaccess);
DECLARE_REAL(ioctl);
DECLARE_REAL(mmap);
DECLARE_REAL(mmap64);
DECLARE_REAL(mprotect);
DECLARE_REAL(munmap);
DECLARE_REAL(mremap);
DECLARE_REAL(madvise);
DECLARE_REAL(close);
DECLARE_REAL(dup2);
DECLARE_REAL(dup3);
DECLARE_REAL(close_range);
DECLARE_REAL(closefrom);
DECLARE_REAL(getauxval);
__attribute__((visibility("hidden"))) void *compat_real_dlopen;

/* Old binaries reach stat through these (glibc before 2.33 had no stat symbol). */
int __xstat(int ver, const char *path, struct stat *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
DECLARE_REAL(__xstat);
DECLARE_REAL(__lxstat);
DECLARE_REAL(__fxstat);
DECLARE_REAL(__fxstatat);

/* AT_EMPTY_PATH with "" (or NULL, which Linux 6.11 accepts): the descriptor itself. */
__attribute__((noinline)) static bool empty_path(const char *path)
{
	return !path || !*path;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int ret_fd(int ret)
{
	return ret < 0 ? fail(-ret) : ret;
}

/* --- open ------------------------------------------------------------------------------------ */

static bool takes_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* The node a path names, if it is one sgxemu provides (device nodes, /proc/cpuinfo). */
static enum compat_node node_for_open(int dirfd, const char *path)
{
	enum compat_node node = compat_node_at(dirfd, path);

	return node;
}

#define OPEN_BODY(real_call)                                                                    \
	do {                                                                                    \
		enum compat_node node = node_for_open(AT_FDCWD, path);                          \
		mode_t mode = 0;                                                                \
		if (takes_mode(flags)) {                                                        \
			va_list ap;                                                             \
			va_start(ap, flags);                                                    \
			mode = va_arg(ap, mode_t);                                              \
			va_end(ap);                                                             \
		}                                                                               \
		if (node)                                                                       \
			return ret_fd(compat_node_open(node, path, flags));                     \
		return real_call;                                                               \
	} while (0)

EXPORT int open(const char *path, int flags, ...)
{
	OPEN_BODY(REAL(open)(path, flags, mode));
}

EXPORT int open64(const char *path, int flags, ...)
{
	OPEN_BODY(REAL(open64)(path, flags, mode));
}

#define OPENAT_BODY(real_call)                                                                  \
	do {                                                                                    \
		enum compat_node node = node_for_open(dirfd, path);                             \
		mode_t mode = 0;                                                                \
		if (takes_mode(flags)) {                                                        \
			va_list ap;                                                             \
			va_start(ap, flags);                                                    \
			mode = va_arg(ap, mode_t);                                              \
			va_end(ap);                                                             \
		}                                                                               \
		if (node)                                                                       \
			return ret_fd(compat_node_open(node, path, flags));                     \
		return real_call;                                                               \
	} while (0)

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	OPENAT_BODY(REAL(openat)(dirfd, path, flags, mode));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	OPENAT_BODY(REAL(openat64)(dirfd, path, flags, mode));
}

/* _FORTIFY_SOURCE's checked variants. */
EXPORT int __open_2(const char *path, int flags)
{
	enum compat_node node = node_for_open(AT_FDCWD, path);

	if (node)
		return ret_fd(compat_node_open(node, path, flags));
	return ((int (*)(const char *, int))real_symbol(&real___open_2, "__open_2"))(path, flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
	enum compat_node node = node_for_open(AT_FDCWD, path);

	if (node)
		return ret_fd(compat_node_open(node, path, flags));
	return ((int (*)(const char *, int))real_symbol(&real___open64_2, "__open64_2"))(path,
											   flags);
}

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	enum compat_node node = node_for_open(dirfd, path);

	if (node)
		return ret_fd(compat_node_open(node, path, flags));
	return ((int (*)(int, const char *, int))real_symbol(&real___openat_2, "__openat_2"))(
		dirfd, path, flags);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	enum compat_node node = node_for_open(dirfd, path);

	if (node)
		return ret_fd(compat_node_open(node, path, flags));
	return ((int (*)(int, const char *, int))real_symbol(&real___openat64_2,
							      "__openat64_2"))(dirfd, path, flags);
}

EXPORT int creat(const char *path, mode_t mode)
{
	enum compat_node node = node_for_open(AT_FDCWD, path);

	if (node)
		return ret_fd(compat_node_open(node, path, O_CREAT | O_WRONLY | O_TRUNC));
	return REAL(creat)(path, mode);
}

EXPORT int creat64(const char *path, mode_t mode)
{
	enum compat_node node = node_for_open(AT_FDCWD, path);

	if (node)
		return ret_fd(compat_node_open(node, path, O_CREAT | O_WRONLY | O_TRUNC));
	return REAL(creat64)(path, mode);
}

/* fopen opens through libc's internal open: it needs its own interposer. */
static FILE *fopen_node(enum compat_node node, const char *path, const char *mode)
{
	int flags = strchr(mode, '+') ? O_RDWR : (mode[0] == 'r' ? O_RDONLY : O_WRONLY);
	FILE *f;
	int fd;

	if (strchr(mode, 'e'))
		flags |= O_CLOEXEC;
	fd = compat_node_open(node, path, flags);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, mode);
	if (!f) {
		int err = errno;

		compat_close(fd);
		errno = err;
	}
	return f;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	enum compat_node node = node_for_open(AT_FDCWD, path);

	if (node)
		return fopen_node(node, path, mode);
	return REAL(fopen)(path, mode);
}

EXPORT FILE *fopen64(const char *path, const char *mode)
{
	enum compat_node node = node_for_open(AT_FDCWD, path);

	if (node)
		return fopen_node(node, path, mode);
	return REAL(fopen64)(path, mode);
}

/* --- stat and access ------------------------------------------------------------------------- */

/*
 * The device nodes exist as character devices (for /proc/cpuinfo the real file is stat'ed). A
 * trailing slash makes a non-directory path ENOTDIR, as the VFS says.
 */
static int node_stat(int dirfd, const char *path, struct stat *st, bool *handled)
{
	enum compat_node node = compat_node_at(dirfd, path);

	*handled = false;
	if (!node || node == COMPAT_NODE_CPUINFO)
		return 0;
	*handled = true;
	if (!compat_node_exists(node))
		return fail(ENOENT);
	if (path[strlen(path) - 1] == '/')
		return fail(ENOTDIR);
	compat_node_stat(node, st);
	return 0;
}

/* fstat of one of our descriptors: the node it was opened from. */
static bool fd_stat(int fd, struct stat *st)
{
	enum compat_node node;

	if (!sgx_driver_has_files())
		return false;
	node = compat_fd_node(fd);
	if (!node)
		return false;
	compat_node_stat(node, st);
	return true;
}

EXPORT int stat(const char *path, struct stat *st)
{
	bool handled;
	int ret = node_stat(AT_FDCWD, path, st, &handled);

	return handled ? ret : REAL(stat)(path, st);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
	bool handled;
	int ret = node_stat(AT_FDCWD, path, (struct stat *)st, &handled);

	return handled ? ret : REAL(stat64)(path, st);
}

EXPORT int lstat(const char *path, struct stat *st)
{
	bool handled;
	int ret = node_stat(AT_FDCWD, path, st, &handled);

	return handled ? ret : REAL(lstat)(path, st);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
	bool handled;
	int ret = node_stat(AT_FDCWD, path, (struct stat *)st, &handled);

	return handled ? ret : REAL(lstat64)(path, st);
}

EXPORT int fstat(int fd, struct stat *st)
{
	if (fd_stat(fd, st))
		return 0;
	return REAL(fstat)(fd, st);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	if (fd_stat(fd, (struct stat *)st))
		return 0;
	return REAL(fstat64)(fd, st);
}

static int fstatat_common(int dirfd, const char *path, struct stat *st, int flags, bool *handled)
{
	*handled = false;
	if ((flags & AT_EMPTY_PATH) && empty_path(path)) {
		*handled = fd_stat(dirfd, st);
		return 0;
	}
	return node_stat(dirfd, path, st, handled);
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	bool handled;
	int ret = fstatat_common(dirfd, path, st, flags, &handled);

	return handled ? ret : REAL(fstatat)(dirfd, path, st, flags);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	bool handled;
	int ret = fstatat_common(dirfd, path, (struct stat *)st, flags, &handled);

	return handled ? ret : REAL(fstatat64)(dirfd, path, st, flags);
}

EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	bool handled;
	int ret = node_stat(AT_FDCWD, path, st, &handled);

	return handled ? ret : REAL(__xstat)(ver, path, st);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	bool handled;
	int ret = node_stat(AT_FDCWD, path, st, &handled);

	return handled ? ret : REAL(__lxstat)(ver, path, st);
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	if (fd_stat(fd, st))
		return 0;
	return REAL(__fxstat)(ver, fd, st);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	bool handled;
	int ret = fstatat_common(dirfd, path, st, flags, &handled);

	return handled ? ret : REAL(__fxstatat)(ver, dirfd, path, st, flags);
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	enum compat_node node = COMPAT_NODE_NONE;

	if ((flags & AT_EMPTY_PATH) && empty_path(path)) {
		if (sgx_driver_has_files())
			node = compat_fd_node(dirfd);
	} else {
		node = compat_node_at(dirfd, path);
		if (node == COMPAT_NODE_CPUINFO)
			node = COMPAT_NODE_NONE;
		if (node && !compat_node_exists(node))
			return fail(ENOENT);
		if (node && path[strlen(path) - 1] == '/')
			return fail(ENOTDIR);
	}
	if (node) {
		compat_node_statx(node, mask, stx);
		return 0;
	}
	if (!REAL(statx))
		return fail(ENOSYS);
	return REAL(statx)(dirfd, path, flags, mask, stx);
}

static int node_access(int dirfd, const char *path, int mode, bool effective, bool *handled)
{
	enum compat_node node = compat_node_at(dirfd, path);
	int ret;

	*handled = false;
	if (!node || node == COMPAT_NODE_CPUINFO)
		return 0;
	*handled = true;
	if (!compat_node_exists(node))
		return fail(ENOENT);
	ret = compat_node_access(node, mode, effective);
	return ret ? fail(-ret) : 0;
}

EXPORT int access(const char *path, int mode)
{
	bool handled;
	int ret = node_access(AT_FDCWD, path, mode, false, &handled);

	return handled ? ret : REAL(access)(path, mode);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	bool handled;
	int ret = node_access(dirfd, path, mode, flags & AT_EACCESS, &handled);

	return handled ? ret : REAL(faccessat)(dirfd, path, mode, flags);
}

EXPORT int euidaccess(const char *path, int mode)
{
	bool handled;
	int ret = node_access(AT_FDCWD, path, mode, true, &handled);

	return handled ? ret : REAL(euidaccess)(path, mode);
}

EXPORT int eaccess(const char *path, int mode)
{
	bool handled;
	int ret = node_access(AT_FDCWD, path, mode, true, &handled);

	return handled ? ret : REAL(eaccess)(path, mode);
}

/* Extended attributes: the nodes have none (ls -l asks for security.selinux and ACLs). */
static bool node_xattr(const char *path, ssize_t *ret)
{
	enum compat_node node = compat_node_at(AT_FDCWD, path);

	if (!node || node == COMPAT_NODE_CPUINFO)
		return false;
	*ret = compat_node_exists(node) ? fail(ENODATA) : fail(ENOENT);
	return true;
}

DECLARE_REAL(getxattr);
DECLARE_REAL(lgetxattr);
DECLARE_REAL(listxattr);
DECLARE_REAL(llistxattr);
ssize_t getxattr(const char *path, const char *name, void *value, size_t size);
ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size);
ssize_t listxattr(const char *path, char *list, size_t size);
ssize_t llistxattr(const char *path, char *list, size_t size);

EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
	ssize_t ret;

	if (node_xattr(path, &ret))
		return ret;
	return REAL(getxattr)(path, name, value, size);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	ssize_t ret;

	if (node_xattr(path, &ret))
		return ret;
	return REAL(lgetxattr)(path, name, value, size);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	ssize_t ret;

	if (node_xattr(path, &ret))
		return ret == -1 && errno == ENODATA ? 0 : ret;
	return REAL(listxattr)(path, list, size);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	ssize_t ret;

	if (node_xattr(path, &ret))
		return ret == -1 && errno == ENODATA ? 0 : ret;
	return REAL(llistxattr)(path, list, size);
}

/* --- ioctl, mappings ------------------------------------------------------------------------- */

EXPORT int ioctl(int fd, unsigned long request, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (compat_fd_is_device(fd))
		return sgxemu_ioctl(fd, request, arg);
	return REAL(ioctl)(fd, request, arg);
}

static bool mmap_is_ours(void *addr, size_t len, int flags, int fd)
{
	if (!(flags & MAP_ANONYMOUS) && compat_fd_is_device(fd))
		return true;
	/* A fixed mapping over an enclave mapping replaces it: the runtime must forget it. */
	return (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	       compat_range_is_enclave((uint64_t)addr, len);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (mmap_is_ours(addr, len, flags, fd))
		return sgxemu_mmap(addr, len, prot, flags, fd, off);
	return REAL(mmap)(addr, len, prot, flags, fd, off);
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (mmap_is_ours(addr, len, flags, fd))
		return sgxemu_mmap(addr, len, prot, flags, fd, off);
	return REAL(mmap64)(addr, len, prot, flags, fd, off);
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	if (compat_range_is_enclave((uint64_t)addr, len))
		return sgxemu_mprotect(addr, len, prot);
	return REAL(mprotect)(addr, len, prot);
}

EXPORT int munmap(void *addr, size_t len)
{
	if (compat_range_is_enclave((uint64_t)addr, len))
		return sgxemu_munmap(addr, len);
	return REAL(munmap)(addr, len);
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (compat_range_is_enclave((uint64_t)old, old_len ? old_len : 1) ||
	    ((flags & MREMAP_FIXED) && compat_range_is_enclave((uint64_t)new_addr, new_len)))
		return sgxemu_mremap(old, old_len, new_len, flags, new_addr);
	return REAL(mremap)(old, old_len, new_len, flags, new_addr);
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	if (compat_range_is_enclave((uint64_t)addr, len))
		return sgxemu_madvise(addr, len, advice);
	return REAL(madvise)(addr, len, advice);
}

/* --- descriptors ----------------------------------------------------------------------------- */

EXPORT int close(int fd)
{
	if (sgx_driver_has_files())
		return sgxemu_close(fd);
	return REAL(close)(fd);
}

/* dup2/dup3 onto a device descriptor close it first: its file may be released. */
static bool replaces_device(int oldfd, int newfd)
{
	return oldfd != newfd && compat_fd_is_device(newfd);
}

EXPORT int dup2(int oldfd, int newfd)
{
	bool sweep = replaces_device(oldfd, newfd);
	int ret = REAL(dup2)(oldfd, newfd);

	if (sweep && ret >= 0)
		compat_fds_closed();
	return ret;
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	bool sweep = replaces_device(oldfd, newfd);
	int ret = REAL(dup3)(oldfd, newfd, flags);

	if (sweep && ret >= 0)
		compat_fds_closed();
	return ret;
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int ret;

	if (!REAL(close_range))
		return fail(ENOSYS);
	ret = REAL(close_range)(first, last, flags);
	if (!ret && !(flags & CLOSE_RANGE_CLOEXEC) && sgx_driver_has_files())
		compat_fds_closed();
	return ret;
}

EXPORT void closefrom(int lowfd)
{
	if (REAL(closefrom))
		REAL(closefrom)(lowfd);
	if (sgx_driver_has_files())
		compat_fds_closed();
}

/* --- the vDSO -------------------------------------------------------------------------------- */

EXPORT unsigned long getauxval(unsigned long type)
{
	if (type == AT_SYSINFO_EHDR) {
		uint64_t image = compat_vdso_image(NULL);

		if (image)
			return image;
	}
	return REAL(getauxval)(type);
}

EXPORT unsigned long __getauxval(unsigned long type)
{
	return getauxval(type);
}

/*
 * dlopen("linux-vdso.so.1") gives the synthetic vDSO (loaded from a memfd holding the same
 * image), so dlsym finds __vdso_sgx_enter_enclave. Called by the dlopen stub (preload_dlopen.S),
 * which jumps straight to the real dlopen for every other name so that the caller stays the
 * program (dlopen searches the *caller's* RUNPATH).
 */
__attribute__((visibility("hidden"))) void *compat_dlopen_vdso(const char *name, int flags)
{
	char path[64];
	int fd;

	if (!name || strcmp(name, "linux-vdso.so.1"))
		return NULL;
	fd = compat_vdso_memfd();
	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return ((void *(*)(const char *, int))compat_real_dlopen)(path, flags & ~RTLD_NOLOAD);
}

/*
 * With --patch-cpuid, dlopen goes through here (not straight to libc): the new library is patched
 * before the caller can run it. The price: dlopen sees the shim as its caller, so a bare name is
 * searched without the calling object's RUNPATH (docs/compat.md).
 */
__attribute__((visibility("hidden"))) void *compat_dlopen_patch(const char *name, int flags)
{
	void *h = ((void *(*)(const char *, int))compat_real_dlopen)(name, flags);

	if (h && compat_patch_list)
		compat_patch_cpuid_loaded(compat_patch_list);
	return h;
}

/* --- start-up ------------------------------------------------------------------------------- */

/* On a CPU with SGX, a raw enclu outside sgxemu's vDSO may run on the real hardware. */
static void check_host_sgx(void)
{
	unsigned int a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	if (b & (1U << 2))
		pr_warn("sgxemu: this CPU has SGX of its own. Programs under `sgxemu run` talk to the "
			"emulated platform; a raw ENCLU they execute faults on the real CPU (#GP or "
			"#PF: an emulated TCS is not EPC) and is then emulated, but a real enclave "
			"created outside sgxemu would run on the hardware");
}

__attribute__((constructor)) static void compat_preload_init(void)
{
	const char *v;

	compat_real_dlopen = dlsym(RTLD_NEXT, "dlopen");
	compat_patch_auxv();
	check_host_sgx();

	v = getenv(COMPAT_ENV_PATCH_CPUID);
	if (v && *v) {
		sgx_signals_init();
		compat_patch_list = v;
		compat_patch_cpuid_loaded(v);
	}
	v = getenv(COMPAT_ENV_CPUID_FAULTING);
	if (v && !strcmp(v, "1")) {
		int ret;

		sgx_signals_init();
		ret = sgx_cpuid_enable_faulting();
		if (ret)
			pr_info("sgxemu: CPUID faulting is not available here (%s); use sgxemu_cpuid "
				"or --patch-cpuid", strerror(-ret));
	}
	/* `kill -USR2` works from the start, not only once the program has used SGX. */
	if (getenv("SGXEMU_SUSPEND_SIGNAL"))
		sgx_pm_trigger_from_env();
}
