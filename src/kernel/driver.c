/* SPDX-License-Identifier: MIT */
/*
 * The device files: sgxemu_open/ioctl/close, the table of open device files, the process-default
 * platform (the kernel's driver.c and misc-device glue).
 */
#include "kernel/driver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/forkwatch.h"
#include "common/log.h"
#include "common/sys.h"
#include "kernel/encl.h"
#include "kernel/task.h"
#include "kernel/virt.h"

#define SGX_DEV_ENCLAVE "/dev/sgx_enclave"
#define SGX_DEV_PROVISION "/dev/sgx_provision"
#define SGX_DEV_VEPC "/dev/sgx_vepc"

/*
 * close(2), ioctl(2) and fstat(2) are issued as system calls (common/sys.h): the compat layer
 * interposes the libc symbols and routes them here, so calling them back through libc would come
 * straight back.
 */

/*
 * An open device file: the kernel's struct file. Identified by the inode of its memfd; the
 * driver keeps its own descriptor of that memfd open (hidden_fd) so the inode, and with it the
 * identity, cannot be recycled while the file exists.
 */
struct sgx_file {
	enum sgx_file_type type;
	dev_t dev;
	ino_t ino;
	int hidden_fd;
	int f_flags;
	bool forked; /* inherited across fork(): answers ENODEV (docs/compat.md) */
	bool seen;   /* sweep: some descriptor still refers to the inode */
	uint32_t refcount; /* the table's reference + calls in flight (under sgx_files.lock) */
	struct sgx_platform *platform; /* NULL once the platform is gone: ENODEV */
	struct sgx_encl *encl;	       /* SGX_FILE_ENCLAVE */
	struct sgx_vepc *vepc;	       /* SGX_FILE_VEPC */
	LIST_ENTRY(sgx_file) link;
};

LIST_HEAD(sgx_file_list, sgx_file);

/* Descriptors are process-wide, so is their table. */
static struct {
	pthread_mutex_t lock;
	struct sgx_file_list files;
	unsigned int nr_files; /* read without the lock: the compat layer's fast path */
} sgx_files = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sgx_files_fork_child_locked(void);
static pthread_once_t sgx_atfork_once = PTHREAD_ONCE_INIT;

static void sgx_atfork_register(void)
{
	pthread_atfork(sgx_driver_fork_prepare, sgx_driver_fork_parent, sgx_driver_fork_child);
}

/* State a child must not use exists from now on (a device file, the default platform). */
static void sgx_driver_arm_fork(void)
{
	pthread_once(&sgx_atfork_once, sgx_atfork_register);
	sgx_fork_arm(SGX_FORK_SLOT_DRIVER);
}

/* Takes the table lock; in a child forked since the last call, abandons what it inherited. */
static void sgx_files_lock(void)
{
	pthread_mutex_lock(&sgx_files.lock);
	if (sgx_fork_child_check(SGX_FORK_SLOT_DRIVER))
		sgx_files_fork_child_locked();
}

static void sgx_files_unlock(void)
{
	pthread_mutex_unlock(&sgx_files.lock);
}

bool sgx_driver_has_files(void)
{
	return __atomic_load_n(&sgx_files.nr_files, __ATOMIC_ACQUIRE) != 0;
}

static void sgx_file_put(struct sgx_file *file)
{
	struct sgx_encl *encl = NULL;
	struct sgx_vepc *vepc = NULL;
	bool last;

	sgx_files_lock();
	last = --file->refcount == 0;
	if (last) {
		encl = file->encl;
		file->encl = NULL;
		vepc = file->vepc;
		file->vepc = NULL;
	}
	sgx_files_unlock();
	if (!last)
		return;
	/* release(): the file's own enclave reference (mappings hold theirs). */
	if (encl)
		sgx_encl_put(encl);
	if (vepc)
		sgx_vepc_put(vepc);
	sgx_sys_close(file->hidden_fd);
	free(file);
}

/* fdget(): the file behind fd with a reference, or NULL (errno EBADF if fd is not open). */
static struct sgx_file *sgx_file_get(int fd)
{
	struct sgx_file *file;
	struct stat st;

	if (sgx_sys_fstat(fd, &st))
		return NULL;
	errno = 0;
	sgx_files_lock();
	LIST_FOREACH(file, &sgx_files.files, link)
	{
		if (file->dev == st.st_dev && file->ino == st.st_ino) {
			file->refcount++;
			break;
		}
	}
	sgx_files_unlock();
	return file;
}

enum sgx_file_type sgx_inode_type(dev_t dev, ino_t ino)
{
	enum sgx_file_type type = SGX_FILE_NONE;
	struct sgx_file *file;

	if (!sgx_driver_has_files())
		return SGX_FILE_NONE;
	sgx_files_lock();
	LIST_FOREACH(file, &sgx_files.files, link)
	{
		if (file->dev == dev && file->ino == ino) {
			type = file->type;
			break;
		}
	}
	sgx_files_unlock();
	return type;
}

enum sgx_file_type sgx_fd_type(int fd)
{
	struct sgx_file *file = sgx_file_get(fd);
	enum sgx_file_type type;

	if (!file)
		return SGX_FILE_NONE;
	type = file->type;
	sgx_file_put(file);
	return type;
}

enum sgxemu_device sgxemu_fd_device(int fd)
{
	switch (sgx_fd_type(fd)) {
	case SGX_FILE_ENCLAVE:
		return SGXEMU_DEVICE_ENCLAVE;
	case SGX_FILE_PROVISION:
		return SGXEMU_DEVICE_PROVISION;
	case SGX_FILE_VEPC:
		return SGXEMU_DEVICE_VEPC;
	default:
		return SGXEMU_DEVICE_NONE;
	}
}

struct sgx_encl *sgx_encl_from_fd(int fd)
{
	struct sgx_file *file = sgx_file_get(fd);
	struct sgx_encl *encl = NULL;
	enum sgx_file_type type;

	if (!file)
		return ERR_PTR(errno == EBADF ? -EBADF : -EINVAL);
	sgx_files_lock();
	type = file->type;
	if (type == SGX_FILE_ENCLAVE && file->encl) {
		encl = file->encl;
		sgx_encl_get(encl);
	}
	if (file->forked)
		sgx_driver_warn_forked();
	sgx_files_unlock();
	sgx_file_put(file);
	if (!encl)
		return ERR_PTR(type == SGX_FILE_ENCLAVE ? -ENODEV : -EINVAL);
	return encl;
}

struct sgx_vepc *sgx_vepc_from_fd(int fd)
{
	struct sgx_file *file = sgx_file_get(fd);
	struct sgx_vepc *vepc = NULL;
	enum sgx_file_type type;

	if (!file)
		return ERR_PTR(errno == EBADF ? -EBADF : -EINVAL);
	sgx_files_lock();
	type = file->type;
	if (type == SGX_FILE_VEPC && file->vepc) {
		vepc = file->vepc;
		sgx_vepc_get(vepc);
	}
	if (file->forked)
		sgx_driver_warn_forked();
	sgx_files_unlock();
	sgx_file_put(file);
	if (!vepc)
		return ERR_PTR(type == SGX_FILE_VEPC ? -ENODEV : -EINVAL);
	return vepc;
}

/* --- open --------------------------------------------------------------------------------- */

/*
 * The path as the VFS would resolve it lexically: relative to the working directory, with "//",
 * "." and ".." folded. (Symlinks to the nodes cannot exist: the nodes do not.)
 */
int sgx_normalize_path(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX * 2];
	size_t len = 0;
	char *save = NULL, *tok;

	if (!*path)
		return -ENOENT;
	if (path[0] == '/') {
		if (strlen(path) >= sizeof(buf))
			return -ENAMETOOLONG;
		strcpy(buf, path);
	} else {
		if (!getcwd(buf, PATH_MAX))
			return -errno;
		if (strlen(buf) + 1 + strlen(path) >= sizeof(buf))
			return -ENAMETOOLONG;
		strcat(buf, "/");
		strcat(buf, path);
	}
	out[0] = '\0';
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(tok);

		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			char *slash = strrchr(out, '/');

			if (slash)
				*slash = '\0';
			len = strlen(out);
			continue;
		}
		if (len + 1 + n >= size)
			return -ENAMETOOLONG;
		out[len++] = '/';
		memcpy(out + len, tok, n);
		len += n;
		out[len] = '\0';
	}
	if (!len)
		strcpy(out, "/");
	return 0;
}

static int sgx_file_install(struct sgx_platform *platform, enum sgx_file_type type,
			    const char *name, int flags, struct sgx_encl *encl,
			    struct sgx_vepc *vepc)
{
	struct sgx_file *file;
	struct stat st;
	int fd, ret;

	file = calloc(1, sizeof(*file));
	if (!file)
		return -ENOMEM;
	fd = memfd_create(name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0) {
		ret = -errno;
		goto err_free;
	}
	file->hidden_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (file->hidden_fd < 0 || sgx_sys_fstat(fd, &st)) {
		ret = -errno;
		goto err_close;
	}
	if ((flags & O_NONBLOCK) && fcntl(fd, F_SETFL, O_NONBLOCK)) {
		ret = -errno;
		goto err_close;
	}
	file->type = type;
	file->dev = st.st_dev;
	file->ino = st.st_ino;
	file->f_flags = flags;
	file->refcount = 1;
	file->platform = platform;
	file->encl = encl;
	file->vepc = vepc;

	sgx_driver_arm_fork();
	sgx_files_lock();
	LIST_INSERT_HEAD(&sgx_files.files, file, link);
	__atomic_add_fetch(&sgx_files.nr_files, 1, __ATOMIC_RELEASE);
	sgx_files_unlock();
	return fd;

err_close:
	if (file->hidden_fd >= 0)
		sgx_sys_close(file->hidden_fd);
	sgx_sys_close(fd);
err_free:
	free(file);
	return ret;
}

int sgx_platform_open(struct sgx_platform *platform, const char *path, int flags)
{
	char norm[PATH_MAX];
	struct sgx_encl *encl;
	bool trailing_slash;
	int ret;

	ret = sgx_normalize_path(path, norm, sizeof(norm));
	if (ret)
		return ret;
	/* "/dev/sgx_enclave/" names a directory, which a device node is not. */
	trailing_slash = path[strlen(path) - 1] == '/';

	if (platform->have_enclave_dev && !strcmp(norm, SGX_DEV_ENCLAVE)) {
		if ((flags & O_DIRECTORY) || trailing_slash)
			return -ENOTDIR;
		if ((flags & O_CREAT) && (flags & O_EXCL))
			return -EEXIST;
		/* An O_PATH descriptor never reaches the driver's open(): no enclave. */
		if ((flags & O_PATH) == O_PATH)
			return sgx_file_install(platform, SGX_FILE_ENCLAVE, "sgx_enclave", flags,
						NULL, NULL);
		/* sgx_open(): a new enclave, nothing in the EPC yet. */
		encl = sgx_encl_alloc(platform);
		if (!encl)
			return -ENOMEM;
		ret = sgx_file_install(platform, SGX_FILE_ENCLAVE, "sgx_enclave", flags, encl, NULL);
		if (ret < 0)
			sgx_encl_put(encl);
		return ret;
	}
	if (platform->have_provision_dev && !strcmp(norm, SGX_DEV_PROVISION)) {
		if ((flags & O_DIRECTORY) || trailing_slash)
			return -ENOTDIR;
		if ((flags & O_CREAT) && (flags & O_EXCL))
			return -EEXIST;
		return sgx_file_install(platform, SGX_FILE_PROVISION, "sgx_provision", flags, NULL,
					NULL);
	}
	if (platform->have_vepc_dev && !strcmp(norm, SGX_DEV_VEPC)) {
		struct sgx_vepc *vepc;

		if ((flags & O_DIRECTORY) || trailing_slash)
			return -ENOTDIR;
		if ((flags & O_CREAT) && (flags & O_EXCL))
			return -EEXIST;
		if ((flags & O_PATH) == O_PATH)
			return sgx_file_install(platform, SGX_FILE_VEPC, "sgx_vepc", flags, NULL,
						NULL);
		/* sgx_vepc_open(): an empty virtual EPC; frames come with the guest's faults. */
		vepc = sgx_vepc_alloc(platform);
		if (!vepc)
			return -ENOMEM;
		ret = sgx_file_install(platform, SGX_FILE_VEPC, "sgx_vepc", flags, NULL, vepc);
		if (ret < 0)
			sgx_vepc_put(vepc);
		return ret;
	}
	/* Anything else: no such node. */
	return -ENOENT;
}

int sgxemu_open(const char *path, int flags, ...)
{
	struct sgx_platform *platform;
	int ret;

	if (!path) {
		errno = EFAULT;
		return -1;
	}
	platform = sgx_default_platform();
	if (!platform) {
		/* A machine whose SGX did not come up has no nodes. */
		errno = ENOENT;
		return -1;
	}
	ret = sgx_platform_open(platform, path, flags);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return ret;
}

/* --- close -------------------------------------------------------------------------------- */

/* Is fd one of the driver's own hidden descriptors? Called with the table lock held. */
static bool sgx_is_hidden_fd(long fd)
{
	struct sgx_file *file;

	LIST_FOREACH(file, &sgx_files.files, link)
	{
		if (file->hidden_fd == fd)
			return true;
	}
	return false;
}

/*
 * The kernel's last fput, found after the fact: every file of the table whose inode no descriptor
 * (other than the driver's own) refers to any more is unlinked and moved to *released, whose
 * references the caller drops outside the lock. One pass over /proc/self/fd. Called with the
 * table lock held.
 */
static void sgx_files_sweep_locked(struct sgx_file_list *released)
{
	struct sgx_file *file, *next;
	struct dirent *de;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return; /* cannot tell: keep the files rather than release them under a user */
	LIST_FOREACH(file, &sgx_files.files, link)
		file->seen = false;
	while ((de = readdir(dir))) {
		struct stat st;
		char *end;
		long n = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || n == dirfd(dir) || sgx_is_hidden_fd(n))
			continue;
		if (sgx_sys_fstat((int)n, &st))
			continue;
		LIST_FOREACH(file, &sgx_files.files, link)
		{
			if (file->dev == st.st_dev && file->ino == st.st_ino)
				file->seen = true;
		}
	}
	closedir(dir);
	for (file = LIST_FIRST(&sgx_files.files); file; file = next) {
		next = LIST_NEXT(file, link);
		if (file->seen)
			continue;
		LIST_REMOVE(file, link);
		__atomic_sub_fetch(&sgx_files.nr_files, 1, __ATOMIC_RELEASE);
		LIST_INSERT_HEAD(released, file, link);
	}
}

static void sgx_files_put_released(struct sgx_file_list *released)
{
	struct sgx_file *file;

	while ((file = LIST_FIRST(released))) {
		LIST_REMOVE(file, link);
		file->link.le_prev = NULL;
		sgx_file_put(file); /* the table's reference */
	}
}

void sgx_driver_sweep(void)
{
	struct sgx_file_list released = LIST_HEAD_INITIALIZER(released);

	if (!sgx_driver_has_files())
		return;
	sgx_files_lock();
	sgx_files_sweep_locked(&released);
	sgx_files_unlock();
	sgx_files_put_released(&released);
}

int sgxemu_close(int fd)
{
	struct sgx_file_list released = LIST_HEAD_INITIALIZER(released);
	struct sgx_file *file = sgx_file_get(fd);
	int ret;

	if (!file)
		return sgx_sys_close(fd);

	/* The table lock makes "close, then look for other descriptors" one step for closers. */
	sgx_files_lock();
	ret = sgx_sys_close(fd);
	if (!ret)
		sgx_files_sweep_locked(&released);
	sgx_files_unlock();

	sgx_files_put_released(&released);
	sgx_file_put(file); /* ours */
	return ret;
}

/* --- fork --------------------------------------------------------------------------------- */

void sgx_driver_warn_forked(void)
{
	pr_warn_once("sgxemu: an SGX device descriptor was inherited across fork(); an emulated "
		     "enclave lives in its parent's memory and cannot be shared, so the descriptor "
		     "answers ENODEV in the child (docs/compat.md, \"fork\")");
}

static void sgx_default_fork_child(void);

/*
 * In a forked child: the inherited files keep their identity (so their descriptors are still
 * recognised) but lose their platform and enclave without any teardown (the EPC storage is shared
 * with the parent: an EREMOVE here would punch the parent's pages), and the child boots a
 * platform of its own on its next open. Called with the table lock held.
 */
static void sgx_files_fork_child_locked(void)
{
	struct sgx_file *file;

	LIST_FOREACH(file, &sgx_files.files, link)
	{
		file->platform = NULL;
		file->encl = NULL;
		file->vepc = NULL;
		file->forked = true;
	}
	sgx_default_fork_child();
}

void sgx_driver_fork_prepare(void)
{
	sgx_default_fork_prepare();
	pthread_mutex_lock(&sgx_files.lock);
}

void sgx_driver_fork_parent(void)
{
	pthread_mutex_unlock(&sgx_files.lock);
	sgx_default_fork_release();
}

void sgx_driver_fork_child(void)
{
	pthread_mutex_unlock(&sgx_files.lock);
	sgx_default_fork_release();
	/* The abandonment itself runs at the first use of the table (sgx_files_lock). */
	sgx_files_lock();
	sgx_files_unlock();
}

/* --- ioctl -------------------------------------------------------------------------------- */

static long sgx_file_ioctl(struct sgx_file *file, int fd, unsigned int cmd, unsigned long arg)
{
	struct sgx_task task;
	long ret;

	if ((file->f_flags & O_PATH) == O_PATH)
		return -EBADF;

	/* do_vfs_ioctl() handles the descriptor-flag ioctls before any driver sees them. */
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
	case FIONBIO:
	case FIOASYNC:
		return sgx_sys_ioctl(fd, cmd, arg) ? -errno : 0;
	default:
		break;
	}

	if (!file->platform) {
		if (file->forked)
			sgx_driver_warn_forked();
		return -ENODEV;
	}
	/* /dev/sgx_provision has no ioctl at all; /dev/sgx_vepc has its own. */
	if (file->type == SGX_FILE_VEPC) {
		if (!file->vepc)
			return -ENOTTY;
		sgx_task_enter(&task);
		ret = sgx_vepc_ioctl(file->vepc, cmd, arg);
		sgx_task_leave(&task, (int)ret);
		return ret == -ENOIOCTLCMD ? -ENOTTY : ret;
	}
	if (file->type != SGX_FILE_ENCLAVE)
		return -ENOTTY;

	for (;;) {
		bool restart;

		sgx_task_enter(&task);
		ret = sgx_ioctl(file->encl, cmd, arg);
		restart = sgx_task_leave(&task, (int)ret);
		if (ret != -ERESTARTSYS)
			break;
		if (!restart) {
			ret = -EINTR;
			break;
		}
	}
	if (ret == -ENOIOCTLCMD)
		ret = -ENOTTY;
	return ret;
}

int sgxemu_ioctl(int fd, unsigned long request, ...)
{
	struct sgx_file *file;
	unsigned long arg;
	va_list ap;
	long ret;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	file = sgx_file_get(fd);
	if (!file) {
		if (errno == EBADF)
			return -1;
		/* Not a device of ours: the real system call. */
		return sgx_sys_ioctl(fd, request, arg);
	}
	/* The kernel's ioctl command is an unsigned int; the upper bits of request are dropped. */
	ret = sgx_file_ioctl(file, fd, (unsigned int)request, arg);
	sgx_file_put(file);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (int)ret;
}

/* --- platform teardown -------------------------------------------------------------------- */

static void sgx_driver_detach(struct sgx_platform *platform, bool release)
{
	struct sgx_file *file;

	for (;;) {
		struct sgx_encl *encl = NULL;
		struct sgx_vepc *vepc = NULL;

		pthread_mutex_lock(&sgx_files.lock);
		LIST_FOREACH(file, &sgx_files.files, link)
		{
			if (file->platform == platform)
				break;
		}
		if (file) {
			file->platform = NULL;
			encl = file->encl;
			file->encl = NULL;
			vepc = file->vepc;
			file->vepc = NULL;
		}
		pthread_mutex_unlock(&sgx_files.lock);
		if (!file)
			return;
		if (encl && release)
			sgx_encl_put(encl);
		if (vepc && release)
			sgx_vepc_put(vepc);
	}
}

void sgx_driver_platform_gone(struct sgx_platform *platform)
{
	sgx_driver_detach(platform, true);
}

void sgx_driver_platform_gone_abandon(struct sgx_platform *platform)
{
	sgx_driver_detach(platform, false);
}

/* --- the process-default platform --------------------------------------------------------- */

static pthread_mutex_t sgx_default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sgx_platform *sgx_default;
static bool sgx_default_failed;
/* In a forked child: the parent's platform is abandoned (never torn down, never used again). */
static void sgx_default_fork_child(void)
{
	__atomic_store_n(&sgx_default, NULL, __ATOMIC_RELEASE);
	sgx_default_failed = false;
}

void sgx_default_fork_prepare(void)
{
	pthread_mutex_lock(&sgx_default_lock);
}

void sgx_default_fork_release(void)
{
	pthread_mutex_unlock(&sgx_default_lock);
}

/* config.stats_at_exit: the statistics of the platform in use when the process ends. */
static void sgx_print_stats_at_exit(void)
{
	struct sgx_platform *platform = __atomic_load_n(&sgx_default, __ATOMIC_ACQUIRE);

	if (!platform)
		return;
	fprintf(stderr, "sgxemu: statistics at exit (pid %d)\n", (int)getpid());
	sgx_platform_print_stats(platform, stderr);
}

static void sgx_default_booted(struct sgx_platform *platform)
{
	static bool hooked; /* under sgx_default_lock */

	if (platform->config.stats_at_exit && !hooked)
		hooked = !atexit(sgx_print_stats_at_exit);
}

struct sgx_platform *sgx_default_platform_peek(void)
{
	if (sgx_fork_child_pending(SGX_FORK_SLOT_DRIVER))
		return NULL;
	return __atomic_load_n(&sgx_default, __ATOMIC_ACQUIRE);
}

struct sgx_platform *sgx_default_platform(void)
{
	struct sgx_platform *platform;
	struct sgxemu_config config;
	char err[256];

	/* A forked child must not see its parent's platform (it abandons it at the first use). */
	if (sgx_driver_has_files() || __atomic_load_n(&sgx_default, __ATOMIC_ACQUIRE)) {
		sgx_files_lock();
		sgx_files_unlock();
	}
	platform = __atomic_load_n(&sgx_default, __ATOMIC_ACQUIRE);
	if (platform)
		return platform;
	pthread_mutex_lock(&sgx_default_lock);
	if (!sgx_default && !sgx_default_failed) {
		sgxemu_config_defaults(&config);
		if (sgxemu_config_from_env(&config, err, sizeof(err))) {
			pr_err("%s", err);
			sgx_default_failed = true;
		} else {
			platform = sgx_platform_create(&config, err, sizeof(err));
			if (!platform) {
				pr_err("%s", err);
				sgx_default_failed = true;
			} else {
				sgx_driver_arm_fork();
				sgx_default_booted(platform);
			}
			__atomic_store_n(&sgx_default, platform, __ATOMIC_RELEASE);
		}
	}
	platform = sgx_default;
	pthread_mutex_unlock(&sgx_default_lock);
	return platform;
}

struct sgx_platform *sgx_default_platform_booted(void)
{
	return __atomic_load_n(&sgx_default, __ATOMIC_ACQUIRE);
}

int sgxemu_boot(const struct sgxemu_config *config)
{
	struct sgx_platform *platform;
	char err[256];
	int ret = 0;

	pthread_mutex_lock(&sgx_default_lock);
	if (sgx_default) {
		ret = EBUSY;
		goto out;
	}
	platform = sgx_platform_create(config, err, sizeof(err));
	if (!platform) {
		ret = errno;
		pr_err("%s", err);
		goto out;
	}
	sgx_default_failed = false;
	sgx_driver_arm_fork();
	sgx_default_booted(platform);
	__atomic_store_n(&sgx_default, platform, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&sgx_default_lock);
	if (ret) {
		errno = ret;
		return -1;
	}
	return 0;
}

void sgxemu_shutdown(void)
{
	struct sgx_platform *platform;

	pthread_mutex_lock(&sgx_default_lock);
	platform = sgx_default;
	__atomic_store_n(&sgx_default, NULL, __ATOMIC_RELEASE);
	sgx_default_failed = false;
	pthread_mutex_unlock(&sgx_default_lock);
	sgx_platform_destroy(platform);
}
