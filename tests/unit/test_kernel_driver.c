/* SPDX-License-Identifier: MIT */
/*
 * The device files: which paths open, what kind of descriptor comes back, how dup/dup2/close
 * and fd-number reuse behave (the enclave goes with the last descriptor of its file), the
 * generic and unknown ioctls, and the process-default platform.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "kernel/driver.h"
#include "kernel/encl.h"
#include "kernel_fixture.h"

static int open_errno(struct sgx_platform *p, const char *path, int flags)
{
	int fd = sgx_platform_open(p, path, flags);

	if (fd >= 0) {
		assert_int_equal(sgxemu_close(fd), 0);
		return 0;
	}
	return fd;
}

static void device_paths(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	char cwd[PATH_MAX];

	(void)state;
	assert_int_equal(open_errno(p, "/dev/sgx_enclave", O_RDWR), 0);
	assert_int_equal(open_errno(p, "/dev/sgx_provision", O_RDONLY), 0);
	/* The VFS's lexical rules. */
	assert_int_equal(open_errno(p, "/dev//sgx_enclave", O_RDWR), 0);
	assert_int_equal(open_errno(p, "/dev/./sgx_enclave", O_RDWR), 0);
	assert_int_equal(open_errno(p, "/dev/../dev/sgx_enclave", O_RDWR), 0);
	assert_int_equal(open_errno(p, "//dev/sgx_provision", O_RDWR), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/dev"), 0);
	assert_int_equal(open_errno(p, "sgx_enclave", O_RDWR), 0);
	assert_int_equal(open_errno(p, "./sgx_provision", O_RDWR), 0);
	assert_int_equal(chdir(cwd), 0);
	/* Nodes that do not exist on a mainline kernel. */
	assert_int_equal(open_errno(p, "/dev/sgx/enclave", O_RDWR), -ENOENT);
	assert_int_equal(open_errno(p, "/dev/isgx", O_RDWR), -ENOENT);
	assert_int_equal(open_errno(p, "/dev/sgx_enclave2", O_RDWR), -ENOENT);
	assert_int_equal(open_errno(p, "sgx_enclave", O_RDWR), -ENOENT);
	assert_int_equal(open_errno(p, "", O_RDWR), -ENOENT);
	/* A device is not a directory, and it exists. */
	assert_int_equal(open_errno(p, "/dev/sgx_enclave/", O_RDWR), -ENOTDIR);
	assert_int_equal(open_errno(p, "/dev/sgx_enclave", O_RDWR | O_DIRECTORY), -ENOTDIR);
	assert_int_equal(open_errno(p, "/dev/sgx_enclave", O_RDWR | O_CREAT | O_EXCL), -EEXIST);
	assert_int_equal(open_errno(p, "/dev/sgx_provision", O_RDWR | O_CREAT | O_EXCL), -EEXIST);
	assert_int_equal(open_errno(p, "/dev/sgx_enclave", O_RDWR | O_CREAT), 0);
	assert_int_equal(p->nr_encls, 0);
	kfix_shutdown(p);
}

static void descriptors_are_real(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	char link[64], target[128];
	struct stat st;
	ssize_t n;
	int fd;

	(void)state;
	fd = sgx_platform_open(p, "/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:sgx_enclave"));
	assert_int_equal(sgxemu_fd_device(fd), SGXEMU_DEVICE_ENCLAVE);
	assert_int_equal(sgxemu_close(fd), 0);
	assert_int_equal(sgxemu_fd_device(fd), SGXEMU_DEVICE_NONE);

	fd = sgx_platform_open(p, "/dev/sgx_provision", O_RDONLY | O_NONBLOCK);
	assert_false(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(sgxemu_fd_device(fd), SGXEMU_DEVICE_PROVISION);
	n = readlink((snprintf(link, sizeof(link), "/proc/self/fd/%d", fd), link), target,
		     sizeof(target) - 1);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:sgx_provision"));
	assert_int_equal(sgxemu_close(fd), 0);
	kfix_shutdown(p);
}

/* The enclave lives as long as any descriptor of its file: dup, dup2, in any close order. */
static void enclave_lives_until_last_descriptor(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free0 = kfix_free_pages(p);
	struct kfix_enclave e;
	int dup_fd, dup2_fd;

	(void)state;
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	assert_int_equal(kfix_create(&e), 0);
	dup_fd = dup(e.fd);
	dup2_fd = dup2(e.fd, 200);
	assert_int_equal(dup2_fd, 200);

	kfix_close(&e);
	assert_int_equal(p->nr_encls, 1);
	/* The same enclave through the dup: the page goes into it. */
	e.fd = dup_fd;
	assert_int_equal(kfix_add(&e, 0x1000, KFIX_SECINFO_RW, NULL, true), 0);
	assert_int_equal(sgxemu_close(dup_fd), 0);
	assert_int_equal(p->nr_encls, 1);
	e.fd = dup2_fd;
	assert_int_equal(kfix_add(&e, 0x1000, KFIX_SECINFO_RW, NULL, true), -EBUSY);
	assert_int_equal(sgxemu_close(dup2_fd), 0);
	/* Last descriptor: released, every page back. */
	assert_int_equal(p->nr_encls, 0);
	assert_int_equal(kfix_free_pages(p), free0);
	kfix_shutdown(p);
}

/* A number closed behind the driver's back and reused is not mistaken for the enclave. */
static void fd_number_reuse(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sgx_enclave_create create = { 0 };
	int fd, other;

	(void)state;
	fd = sgx_platform_open(p, "/dev/sgx_enclave", O_RDWR);
	assert_int_equal(close(fd), 0);
	other = open("/dev/null", O_RDONLY);
	assert_int_equal(other, fd);
	assert_int_equal(sgxemu_fd_device(other), SGXEMU_DEVICE_NONE);
	/* The real ioctl of /dev/null answers, not the enclave's. */
	assert_int_equal(kfix_ioctl(other, SGX_IOC_ENCLAVE_CREATE, &create), -ENOTTY);
	assert_int_equal(sgxemu_close(other), 0);
	/* The abandoned enclave is still accounted for and goes with the platform. */
	assert_int_equal(p->nr_encls, 1);
	kfix_shutdown(p);
}

static void ioctl_dispatch(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct kfix_enclave e;
	int prov, pipefd[2], avail = -1;
	unsigned long big;

	(void)state;
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	/* Commands the enclave device does not have. */
	assert_int_equal(kfix_ioctl(e.fd, 0, NULL), -ENOTTY);
	assert_int_equal(kfix_ioctl(e.fd, SGX_IOC_VEPC_REMOVE_ALL, NULL), -ENOTTY);
	assert_int_equal(kfix_ioctl(e.fd, _IOW('X', 1, int), NULL), -ENOTTY);
	assert_int_equal(kfix_ioctl(e.fd, _IOW(SGX_MAGIC, 0x20, int), NULL), -ENOTTY);
	/* The kernel's cmd is an unsigned int: the upper half of the request is dropped. */
	big = (1UL << 32) | SGX_IOC_ENCLAVE_CREATE;
	{
		struct sgx_enclave_create create = { .src = (uint64_t)(uintptr_t)&e.secs };

		assert_int_equal(kfix_ioctl(e.fd, big, &create), 0);
	}
	/* The descriptor-flag ioctls are the VFS's and work on any file. */
	assert_int_equal(kfix_ioctl(e.fd, FIOCLEX, NULL), 0);
	assert_true(fcntl(e.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(kfix_ioctl(e.fd, FIONCLEX, NULL), 0);
	assert_false(fcntl(e.fd, F_GETFD) & FD_CLOEXEC);

	/* /dev/sgx_provision has no ioctls. */
	prov = sgx_platform_open(p, "/dev/sgx_provision", O_RDONLY);
	assert_int_equal(kfix_ioctl(prov, SGX_IOC_ENCLAVE_CREATE, NULL), -ENOTTY);
	assert_int_equal(kfix_ioctl(prov, SGX_IOC_ENCLAVE_PROVISION, NULL), -ENOTTY);
	assert_int_equal(sgxemu_close(prov), 0);

	/* Not open: EBADF; not ours: the real ioctl. */
	assert_int_equal(kfix_ioctl(-1, SGX_IOC_ENCLAVE_CREATE, NULL), -EBADF);
	assert_int_equal(sgxemu_close(-1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(sgxemu_ioctl(pipefd[0], FIONREAD, &avail), 0);
	assert_int_equal(avail, 0);
	assert_int_equal(sgxemu_close(pipefd[0]), 0);
	assert_int_equal(sgxemu_close(pipefd[1]), 0);
	kfix_close(&e);
	kfix_shutdown(p);
}

static void o_path_opens_no_enclave(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	int fd;

	(void)state;
	fd = sgx_platform_open(p, "/dev/sgx_enclave", O_PATH);
	assert_true(fd >= 0);
	assert_int_equal(p->nr_encls, 0);
	assert_int_equal(kfix_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, NULL), -EBADF);
	assert_int_equal(sgxemu_close(fd), 0);
	kfix_shutdown(p);
}

static void encl_from_fd(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sgx_encl *encl;
	int fd, prov;

	(void)state;
	fd = sgx_platform_open(p, "/dev/sgx_enclave", O_RDWR);
	prov = sgx_platform_open(p, "/dev/sgx_provision", O_RDWR);
	encl = sgx_encl_from_fd(fd);
	assert_false(IS_ERR(encl));
	/* A mapping's reference keeps the enclave after the last close. */
	assert_int_equal(sgxemu_close(fd), 0);
	assert_int_equal(p->nr_encls, 1);
	sgx_encl_put(encl);
	assert_int_equal(p->nr_encls, 0);
	assert_int_equal(PTR_ERR(sgx_encl_from_fd(prov)), -EINVAL);
	assert_int_equal(PTR_ERR(sgx_encl_from_fd(0)), -EINVAL);
	assert_int_equal(PTR_ERR(sgx_encl_from_fd(-1)), -EBADF);
	assert_int_equal(sgxemu_close(prov), 0);
	kfix_shutdown(p);
}

static void no_flc_means_no_enclave_node(void **state)
{
	struct kfix_config config = { .no_flc = true };
	uint64_t seq = sgx_log_seq();
	struct sgx_platform *p;

	(void)state;
	p = kfix_boot(&config);
	assert_int_equal(kfix_log_count(seq,
					"sgx: SGX disabled: SGX launch control CPU feature is not "
					"available, /dev/sgx_enclave disabled."),
			 1);
	assert_int_equal(open_errno(p, "/dev/sgx_enclave", O_RDWR), -ENOENT);
	/* The provision node is registered regardless (KVM uses it too). */
	assert_int_equal(open_errno(p, "/dev/sgx_provision", O_RDWR), 0);
	kfix_shutdown(p);
}

/* sgxemu_open & co. on the process-default platform. */
static void default_platform(void **state)
{
	struct sgxemu_config config;
	struct sgx_enclave_create create;
	struct kfix_enclave e;
	char err[128];
	int fd;

	(void)state;
	sgxemu_config_defaults(&config);
	assert_int_equal(sgxemu_config_set(&config, "epc", "2M", err, sizeof(err)), 0);
	config.nr_lps = 2;
	assert_int_equal(sgxemu_boot(&config), 0);
	assert_int_equal(sgxemu_boot(&config), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(sgx_default_platform()->nr_total_pages, 512);

	fd = sgxemu_open("/dev/sgx_enclave", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(sgxemu_open("/dev/sgx", O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
	kfix_enclave_init(&e, sgx_default_platform(), SGX_ATTR_MODE64BIT);
	kfix_close(&e);
	create.src = (uint64_t)(uintptr_t)&e.secs;
	assert_int_equal(sgxemu_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &create), 0);

	/* Shutdown: the descriptor stays but its device is gone. */
	sgxemu_shutdown();
	assert_int_equal(kfix_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &create), -ENODEV);
	assert_int_equal(sgxemu_fd_device(fd), SGXEMU_DEVICE_ENCLAVE);
	assert_int_equal(sgxemu_close(fd), 0);

	/* The next open boots from the environment. */
	setenv("SGXEMU_EPC", "1M", 1);
	fd = sgxemu_open("/dev/sgx_enclave", O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(sgx_default_platform()->nr_total_pages, 256);
	assert_int_equal(sgxemu_close(fd), 0);
	sgxemu_shutdown();

	/* A broken environment: no SGX, no nodes, and the reason in the log. */
	setenv("SGXEMU_EPC", "lots", 1);
	{
		uint64_t seq = sgx_log_seq();

		assert_int_equal(sgxemu_open("/dev/sgx_enclave", O_RDWR), -1);
		assert_int_equal(errno, ENOENT);
		assert_int_equal(kfix_log_count(seq, "SGXEMU_EPC"), 1);
	}
	sgxemu_shutdown();
	unsetenv("SGXEMU_EPC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(device_paths),
		cmocka_unit_test(descriptors_are_real),
		cmocka_unit_test(enclave_lives_until_last_descriptor),
		cmocka_unit_test(fd_number_reuse),
		cmocka_unit_test(ioctl_dispatch),
		cmocka_unit_test(o_path_opens_no_enclave),
		cmocka_unit_test(encl_from_fd),
		cmocka_unit_test(no_flc_means_no_enclave_node),
		cmocka_unit_test(default_platform),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
