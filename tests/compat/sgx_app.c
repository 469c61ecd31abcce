/* SPDX-License-Identifier: MIT */
/*
 * An ordinary SGX application, built as a dynamic executable against libc, <asm/sgx.h> and the test
 * enclave's ABI only: tests/cli/test_run.sh runs it under `sgxemu run` (and without, where it must
 * fail as on a machine without SGX). `sgx_app CHECK` runs one check; each prints "ok: ..." lines
 * and exits 0, or prints "FAIL: ..." and exits 1. Exit 3: no SGX on this machine (the message
 * says why); exit 4: the feature is not there (skipped by the test).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"

#define CHECK(cond, ...)                                             \
	do {                                                         \
		if (!(cond)) {                                       \
			printf("FAIL: %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__);                         \
			printf("\n");                                \
			exit(1);                                     \
		}                                                    \
	} while (0)

static char sgxs_path[4096], sig_path[4096];
static const char *self_path; /* argv[0], to run this program again */

static void load(struct app_enclave *e, bool map_free)
{
	char err[512];
	int ret = app_load(sgxs_path, sig_path, map_free, e, err, sizeof(err));

	if (ret == -ENOENT && strstr(err, "open /dev/sgx_enclave")) {
		printf("no SGX: %s\n", err);
		exit(3);
	}
	CHECK(!ret, "load: %s", err);
}

static void echo(struct app_enclave *e, unsigned int tcs, uint64_t a, uint64_t b)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.echo.a = a;
	args.u.echo.b = b;
	CHECK(app_call(e, tcs, TE_OP_ECHO, &args) == TE_OK, "echo status %lld",
	      (long long)args.status);
	CHECK(args.u.echo.sum == a + b && args.u.echo.product == a * b, "echo results");
}

static struct te_info info_of(struct app_enclave *e)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	CHECK(app_call(e, 0, TE_OP_INFO, &args) == TE_OK, "info");
	return args.u.info;
}

/* --- basic: CPUID, the vDSO, load, ecalls, an exception report --------------------------- */

static struct {
	int calls;
	uint32_t function;
	uint16_t vector, error_code;
	uint64_t addr;
	int64_t phase2;
} seen;

/* The second phase (CSSA 1) and ERESUME, from inside the vDSO call, as the enclave requires. */
static int second_phase(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			struct sgx_enclave_run *run)
{
	struct sgx_enclave_run phase2 = { .tcs = run->tcs };
	struct te_args args;

	if (run->function == SGX_ENCLU_EEXIT)
		return 0;
	seen.calls++;
	seen.function = run->function;
	seen.vector = run->exception_vector;
	seen.error_code = run->exception_error_code;
	seen.addr = run->exception_addr;
	memset(&args, 0, sizeof(args));
	if (app_vdso_call(0, (unsigned long)&args, 0, SGX_ENCLU_EENTER, 0, 0, &phase2,
			  app_vdso_enter) ||
	    phase2.function != SGX_ENCLU_EEXIT)
		return -1;
	seen.phase2 = args.status;
	return SGX_ENCLU_ERESUME;
}

static void set_policy(struct app_enclave *e, uint32_t action)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.policy.action = action;
	CHECK(app_call(e, 0, TE_OP_SET_POLICY, &args) == TE_OK, "set policy");
}

static int check_basic(void)
{
	struct app_enclave e;
	struct sgx_enclave_run run;
	struct te_info info;
	struct te_args args;
	bool sgx2 = false, flc = false;
	uint32_t r[4];

	if (!app_cpu_has_sgx(&sgx2, &flc)) {
		printf("no SGX: CPUID.(EAX=7):EBX.SGX is 0\n");
		/* Go on: the device open must then fail too. */
	} else {
		app_cpuid(0x12, 2, r);
		CHECK((r[0] & 0xf) == 1, "CPUID.(12H,2) is not an EPC section");
		printf("ok: cpuid: SGX1%s%s, EPC section 0 of %llu MiB\n", sgx2 ? " SGX2" : "",
		       flc ? " FLC" : "",
		       (unsigned long long)((((uint64_t)(r[3] & 0xfffff) << 32) |
					     (r[2] & ~0xfffU)) >>
					    20));
	}
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	if (!app_vdso_enter) {
		int fd = open("/dev/sgx_enclave", O_RDWR);

		printf("no SGX: the vDSO has no __vdso_sgx_enter_enclave (open: %s)\n",
		       fd < 0 ? strerror(errno) : "succeeded");
		return 3;
	}
	CHECK(app_vdso_sym("clock_gettime", "LINUX_2.6") ||
		      app_vdso_sym("__vdso_clock_gettime", "LINUX_2.6"),
	      "the vDSO lost clock_gettime");
	printf("ok: vdso: __vdso_sgx_enter_enclave@LINUX_2.6 at %p\n", (void *)app_vdso_enter);

	load(&e, false);
	printf("ok: loaded %llu MiB enclave at %#llx with %u TCS\n",
	       (unsigned long long)(e.size >> 20), (unsigned long long)e.base, e.nr_tcs);
	echo(&e, 0, 40, 2);
	info = info_of(&e);
	CHECK(info.base == e.base && info.tcs == e.tcs[0], "info: base/tcs");
	printf("ok: ecalls (echo, info)\n");

	/*
	 * An exception report: a write to the read-only page. Its mapping is read-only too, so the
	 * page walk refuses the write before the EPCM is consulted: #PF with P|W|U (0x7).
	 */
	set_policy(&e, TE_ACTION_SKIP);
	memset(&seen, 0, sizeof(seen));
	memset(&args, 0, sizeof(args));
	args.u.fault.kind = TE_FAULT_WRITE;
	args.u.fault.seed = 0x77;
	memset(&run, 0, sizeof(run));
	run.tcs = e.tcs[0];
	run.user_handler = (uint64_t)second_phase;
	CHECK(app_vdso_call(TE_OP_FAULT, (unsigned long)&args, 0, SGX_ENCLU_EENTER, 0, 0, &run,
			    app_vdso_enter) == 0,
	      "vdso call");
	CHECK(seen.calls == 1 && seen.function == SGX_ENCLU_ERESUME && seen.vector == 14 &&
		      seen.error_code == 0x7 && seen.addr == info.ro_page,
	      "exception report: calls %d function %u vector %u error %#x addr %#llx", seen.calls,
	      seen.function, seen.vector, seen.error_code, (unsigned long long)seen.addr);
	CHECK(seen.phase2 == TE_EXC_HANDLED && args.status == TE_OK, "second phase %lld, op %lld",
	      (long long)seen.phase2, (long long)args.status);
	printf("ok: exception report #PF 0x7 at the read-only page, handled in the enclave\n");

	/* EREPORT: the enclave's own report. */
	memset(&args, 0, sizeof(args));
	CHECK(app_call(&e, 1, TE_OP_EREPORT, &args) == TE_OK, "EREPORT");
	printf("ok: ereport\n");
	app_unload(&e);
	return 0;
}

/* --- the device nodes -------------------------------------------------------------------- */

static int check_stat(void)
{
	struct stat st, st2;
	int fd;

	CHECK(!stat("/dev/sgx_enclave", &st), "stat: %s", strerror(errno));
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 10, "not a misc character device");
	CHECK((st.st_mode & 0777) == 0660, "mode %o", st.st_mode & 0777);
	CHECK(st.st_uid == 0 && st.st_gid == getegid(), "owner %u:%u", st.st_uid, st.st_gid);
	CHECK(!lstat("/dev/sgx_provision", &st2) && S_ISCHR(st2.st_mode) &&
		      st2.st_rdev != st.st_rdev,
	      "lstat of sgx_provision");
	CHECK(!access("/dev/sgx_enclave", R_OK | W_OK), "access: %s", strerror(errno));
	CHECK(access("/dev/sgx_enclave", X_OK) && errno == EACCES, "X_OK should be EACCES");
	CHECK(!faccessat(AT_FDCWD, "/dev/sgx_enclave", R_OK, AT_EACCESS), "faccessat");
	CHECK(stat("/dev/sgx_enclave/", &st2) && errno == ENOTDIR, "trailing slash");
	CHECK(!stat("/dev/sgx_vepc", &st2) && S_ISCHR(st2.st_mode) && major(st2.st_rdev) == 10 &&
		      st2.st_rdev != st.st_rdev,
	      "stat of sgx_vepc");
	{
		struct statx stx;

		CHECK(!statx(AT_FDCWD, "/dev/sgx_enclave", 0, STATX_BASIC_STATS, &stx) &&
			      S_ISCHR(stx.stx_mode) && stx.stx_rdev_major == 10,
		      "statx");
	}
	{
		int dir = open("/dev", O_RDONLY | O_DIRECTORY);

		CHECK(dir >= 0 && !fstatat(dir, "sgx_enclave", &st2, 0) &&
			      st2.st_rdev == st.st_rdev,
		      "fstatat relative to /dev");
		fd = openat(dir, "./sgx_enclave", O_RDWR);
		CHECK(fd >= 0, "openat relative to /dev: %s", strerror(errno));
		close(dir);
	}
	CHECK(!fstat(fd, &st2) && S_ISCHR(st2.st_mode) && st2.st_rdev == st.st_rdev, "fstat");
	close(fd);
	CHECK(open("/dev/sgx_enclave", O_RDWR | O_DIRECTORY) < 0 && errno == ENOTDIR,
	      "O_DIRECTORY");
	{
		FILE *f = fopen("/proc/cpuinfo", "r");
		char line[8192];
		bool sgx = false, lc = false;

		CHECK(f, "fopen /proc/cpuinfo");
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "flags", 5)) {
				sgx = strstr(line, " sgx ") || strstr(line, " sgx\n");
				lc = strstr(line, " sgx_lc") != NULL;
				break;
			}
		fclose(f);
		CHECK(sgx && lc, "/proc/cpuinfo flags lack sgx/sgx_lc");
	}
	printf("ok: stat, lstat, statx, fstat, fstatat, access, faccessat, /proc/cpuinfo\n");
	return 0;
}

/* --- descriptors -------------------------------------------------------------------------- */

static int check_fds(void)
{
	struct app_enclave e;
	int dupfd, fd2, flags;

	load(&e, false);
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	CHECK(app_vdso_enter, "vDSO");

	/* dup: the enclave lives on while any descriptor does; ioctls work through the copy. */
	dupfd = dup(e.fd);
	CHECK(dupfd >= 0, "dup");
	CHECK(!close(e.fd), "close");
	{
		struct sgx_enclave_init init = { 0 };

		/* The file is still the (initialised) enclave: INIT again is EINVAL, not EBADF. */
		CHECK(ioctl(dupfd, SGX_IOC_ENCLAVE_INIT, &init) && errno == EINVAL,
		      "ioctl on the dup: %s", strerror(errno));
	}
	echo(&e, 0, 1, 2);

	/* A reused number: a new enclave may get the old number; the first is unaffected. */
	e.fd = open("/dev/sgx_enclave", O_RDWR);
	CHECK(e.fd >= 0, "reopen");
	{
		struct sgx_enclave_init init = { 0 };

		/* A fresh file: INIT before CREATE is EINVAL too, but EADD etc. belong to it alone. */
		CHECK(ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &init) && errno == EINVAL, "fresh fd");
	}
	echo(&e, 1, 3, 4);

	/* dup2 onto the fresh enclave's fd releases it; the number now names the first enclave. */
	CHECK(dup2(dupfd, e.fd) == e.fd, "dup2");
	CHECK(!close(dupfd), "close");
	echo(&e, 2, 5, 6);

	/* fcntl(F_DUPFD_CLOEXEC), FD_CLOEXEC and FIOCLEX are the descriptor's own. */
	fd2 = fcntl(e.fd, F_DUPFD_CLOEXEC, 100);
	CHECK(fd2 >= 100, "F_DUPFD_CLOEXEC");
	flags = fcntl(fd2, F_GETFD);
	CHECK(flags & FD_CLOEXEC, "FD_CLOEXEC");
	CHECK(!ioctl(fd2, FIONCLEX) && !(fcntl(fd2, F_GETFD) & FD_CLOEXEC), "FIONCLEX");
	CHECK(!fcntl(fd2, F_SETFD, FD_CLOEXEC) && (fcntl(fd2, F_GETFD) & FD_CLOEXEC), "F_SETFD");

	/* close_range over both numbers: the mappings keep the enclave alive, as in the kernel. */
	CHECK(!close_range((unsigned int)fd2, (unsigned int)fd2, 0), "close_range");
	CHECK(fcntl(fd2, F_GETFD) < 0 && errno == EBADF, "closed by close_range");
	echo(&e, 3, 7, 8);
	CHECK(!close_range((unsigned int)e.fd, (unsigned int)e.fd, CLOSE_RANGE_CLOEXEC),
	      "close_range CLOEXEC");
	CHECK(fcntl(e.fd, F_GETFD) & FD_CLOEXEC, "CLOSE_RANGE_CLOEXEC");
	echo(&e, 0, 9, 10);
	close(e.fd);
	e.fd = -1;
	/* No descriptor left, only the mapping: still running. */
	echo(&e, 0, 11, 12);
	printf("ok: dup, close, reuse, dup2, F_DUPFD_CLOEXEC, FD_CLOEXEC, FIONCLEX, close_range\n");

	/* O_CLOEXEC: the descriptor is gone in a program this one executes (itself, "closed N"). */
	{
		int cfd = open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC), status = -1;
		char num[16];
		pid_t pid;

		CHECK(cfd >= 0 && (fcntl(cfd, F_GETFD) & FD_CLOEXEC), "O_CLOEXEC");
		snprintf(num, sizeof(num), "%d", cfd);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			execl(self_path, self_path, "closed", num, (char *)NULL);
			_exit(127);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 0,
		      "descriptor %d after execve: status %#x", cfd, status);
		close(cfd);
	}
	printf("ok: O_CLOEXEC: the descriptor does not survive execve\n");

	/* munmap of the whole range drops the last reference: the enclave goes. */
	app_unload(&e);
	printf("ok: unloaded\n");
	return 0;
}

/* --- two enclaves --------------------------------------------------------------------------- */

static int check_two(void)
{
	struct app_enclave a, b;
	struct te_args args;

	load(&a, false);
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	CHECK(app_vdso_enter, "vDSO");
	load(&b, false);
	CHECK(a.base != b.base && a.fd != b.fd, "two enclaves share a base");
	/* Each keeps its own data. */
	for (int i = 0; i < 2; i++) {
		struct app_enclave *e = i ? &b : &a;

		memset(&args, 0, sizeof(args));
		args.u.buf.offset = 0;
		args.u.buf.len = 16;
		memset(args.u.buf.data, 'A' + i, 16);
		CHECK(app_call(e, 0, TE_OP_BUF_PUT, &args) == TE_OK, "put");
	}
	for (int i = 0; i < 2; i++) {
		struct app_enclave *e = i ? &b : &a;

		memset(&args, 0, sizeof(args));
		args.u.buf.len = 16;
		CHECK(app_call(e, 1, TE_OP_BUF_GET, &args) == TE_OK, "get");
		CHECK(args.u.buf.data[0] == 'A' + i && args.u.buf.data[15] == 'A' + i,
		      "enclave %d lost its data", i);
	}
	echo(&a, 2, 1, 1);
	echo(&b, 2, 2, 2);
	app_unload(&a);
	echo(&b, 3, 3, 3);
	app_unload(&b);
	printf("ok: two enclaves at once, each with its own memory\n");
	return 0;
}

/* --- fork --------------------------------------------------------------------------------- */

static sigjmp_buf touch_jmp;
static volatile int touch_sig;

static void touch_handler(int sig)
{
	touch_sig = sig;
	siglongjmp(touch_jmp, 1);
}

static int touch(volatile uint8_t *p, bool write)
{
	struct sigaction sa = { .sa_handler = touch_handler };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	touch_sig = 0;
	if (!sigsetjmp(touch_jmp, 1)) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
	}
	return touch_sig;
}

static int check_fork(void)
{
	struct app_enclave e;
	struct te_args args;
	struct te_info info;
	int status;
	pid_t pid;

	load(&e, false);
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	CHECK(app_vdso_enter, "vDSO");
	info = info_of(&e);
	memset(&args, 0, sizeof(args));
	args.u.buf.len = 32;
	memset(args.u.buf.data, 0x42, 32);
	CHECK(app_call(&e, 0, TE_OP_BUF_PUT, &args) == TE_OK, "put");

	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct sgx_enclave_init init = { 0 };
		struct app_enclave mine;
		int sig;

		/* The inherited descriptor says why it cannot work here. */
		if (!ioctl(e.fd, SGX_IOC_ENCLAVE_INIT, &init) || errno != ENODEV) {
			printf("FAIL: child: inherited fd ioctl: %s\n", strerror(errno));
			_exit(1);
		}
		/* Inherited enclave memory: SIGBUS on any touch, and nothing reaches the parent. */
		sig = touch((volatile uint8_t *)info.buffer, true);
		if (sig != SIGBUS) {
			printf("FAIL: child: touching the inherited buffer gave signal %d\n", sig);
			_exit(1);
		}
		sig = touch((volatile uint8_t *)e.base, false);
		if (sig != SIGBUS) {
			printf("FAIL: child: reading inherited code gave signal %d\n", sig);
			_exit(1);
		}
		/* The child boots a platform of its own and runs its own enclave. */
		load(&mine, false);
		echo(&mine, 0, 100, 200);
		app_unload(&mine);
		close(e.fd);
		printf("ok: child: inherited fd ENODEV, inherited mapping SIGBUS, own enclave "
		       "runs\n");
		fflush(stdout);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	/* The parent's enclave is intact. */
	memset(&args, 0, sizeof(args));
	args.u.buf.len = 32;
	CHECK(app_call(&e, 1, TE_OP_BUF_GET, &args) == TE_OK, "get");
	for (int i = 0; i < 32; i++)
		CHECK(args.u.buf.data[i] == 0x42, "parent's enclave data changed at %d", i);
	echo(&e, 2, 5, 5);
	app_unload(&e);
	printf("ok: parent: enclave intact after the child\n");
	return 0;
}

/* --- the virtual EPC (what a VMM maps as its guest's EPC) ------------------------------- */

static int check_vepc(void)
{
	struct sgx_enclave_create create = { 0 };
	volatile uint8_t *map;
	int fd, status = -1;
	pid_t pid;

	fd = open("/dev/sgx_vepc", O_RDWR);
	CHECK(fd >= 0, "open /dev/sgx_vepc: %s", strerror(errno));
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
		      errno == EINVAL,
	      "MAP_PRIVATE of a vEPC");
	map = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno));
	/* The guest's EPC pages come on first touch and keep what is written. */
	map[0] = 0x5a;
	map[3 * 4096 + 7] = 0xa5;
	CHECK(map[0] == 0x5a && map[3 * 4096 + 7] == 0xa5, "vEPC contents");
	/* Only the vEPC's own ioctl. */
	CHECK(ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &create) && errno == ENOTTY, "CREATE: %s",
	      strerror(errno));
	CHECK(!ioctl(fd, SGX_IOC_VEPC_REMOVE_ALL, 0), "REMOVE_ALL: %s", strerror(errno));
	/* VM_DONTCOPY: a child has no mapping there at all. */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(touch(map, false) == SIGSEGV ? 0 : 1);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "a child's touch of the vEPC mapping: status %#x", status);
	CHECK(!close(fd) && map[0] == 0x5a, "the mapping outlives the descriptor");
	CHECK(!munmap((void *)map, 4 * 4096), "munmap");
	printf("ok: vepc: open, MAP_SHARED pages on touch, REMOVE_ALL, ENOTTY, not inherited\n");
	return 0;
}

/* --- SGX2: EAUG (EACCEPT first, or a touch), RESTRICT_PERMISSIONS, MODIFY_TYPES, REMOVE_PAGES */

#define PAGE_SIZE_ 4096ULL
#define PAGE_DOWN_(a) ((a) & ~(PAGE_SIZE_ - 1))

/* EACCEPT from inside the enclave on TCS tcs: the SGX status (0 = success). */
static uint64_t eaccept(struct app_enclave *e, unsigned int tcs, uint64_t addr, uint64_t flags)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.sgx2.addr = addr;
	args.u.sgx2.secinfo_flags = flags;
	CHECK(app_call(e, tcs, TE_OP_EACCEPT, &args) == TE_OK, "EACCEPT at %#llx: op status %lld",
	      (unsigned long long)addr, (long long)args.status);
	return args.u.sgx2.rax_out;
}

static uint64_t enclave_read(struct app_enclave *e, uint64_t addr)
{
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.mem.addr = addr;
	CHECK(app_call(e, 0, TE_OP_READ, &args) == TE_OK, "read %#llx", (unsigned long long)addr);
	return args.u.mem.value;
}

/* TE_OP_TOUCH over [addr, addr + npages pages) on TCS 0, through the vDSO with a user handler. */
static void touch_pages(struct app_enclave *e, uint64_t addr, uint64_t npages, uint64_t seed,
			uint32_t mode, sgx_enclave_user_handler_t handler)
{
	struct sgx_enclave_run run = { .tcs = e->tcs[0], .user_handler = (uint64_t)handler };
	struct te_args args;

	memset(&args, 0, sizeof(args));
	args.u.touch.addr = addr;
	args.u.touch.npages = npages;
	args.u.touch.seed = seed;
	args.u.touch.mode = mode;
	CHECK(!app_vdso_call(TE_OP_TOUCH, (unsigned long)&args, 0, SGX_ENCLU_EENTER, 0, 0, &run,
			     app_vdso_enter) &&
		      run.function == SGX_ENCLU_EEXIT,
	      "touch %#llx: function %u, exception %u at %#llx", (unsigned long long)addr,
	      run.function, run.exception_vector, (unsigned long long)run.exception_addr);
	CHECK(args.status == TE_OK && args.u.touch.pages_done == npages &&
		      !args.u.touch.mismatches && !args.u.touch.eaccept_failures,
	      "touch %#llx: status %lld, done %llu, mismatches %llu, EACCEPT failures %llu (%#llx)",
	      (unsigned long long)addr, (long long)args.status,
	      (unsigned long long)args.u.touch.pages_done,
	      (unsigned long long)args.u.touch.mismatches,
	      (unsigned long long)args.u.touch.eaccept_failures,
	      (unsigned long long)args.u.touch.eaccept_status);
}

/*
 * The "touch" flow: the enclave writes a page nobody added. The kernel EAUGs it on the fault
 * (PENDING), the write meets the EPCM and the vDSO reports #PF with the SGX bit; the program's
 * handler has the page accepted (here from another TCS: the SDK's enclave runtime would do it in
 * its own exception handler) and ERESUMEs, and the write completes.
 */
static struct {
	struct app_enclave *e;
	uint64_t page;
	int calls;
	uint16_t vector, error_code;
	uint64_t addr, accept;
} pending;

static int accept_on_fault(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			   struct sgx_enclave_run *run)
{
	if (run->function == SGX_ENCLU_EEXIT)
		return 0;
	pending.calls++;
	pending.vector = run->exception_vector;
	pending.error_code = run->exception_error_code;
	pending.addr = run->exception_addr;
	if (pending.calls > 1 || run->exception_vector != 14 ||
	    PAGE_DOWN_(run->exception_addr) != pending.page)
		return -EFAULT; /* not the fault this flow expects: stop */
	pending.accept =
		eaccept(pending.e, 1, pending.page,
			SECINFO_PT(SGX_PAGE_TYPE_REG) | SECINFO_R | SECINFO_W | SECINFO_PENDING);
	return SGX_ENCLU_ERESUME;
}

static int check_sgx2(void)
{
	struct app_enclave e;
	struct te_args args;
	struct te_info info;
	bool sgx2 = false, flc = false;
	uint64_t n = 16, first, touched, last, off;

	if (!app_cpu_has_sgx(&sgx2, &flc) || !sgx2) {
		printf("skip: no SGX2\n");
		return 4;
	}
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	CHECK(app_vdso_enter, "vDSO");
	load(&e, true);
	info = info_of(&e);
	first = info.image_end; /* free ELRANGE: nothing was added there */
	touched = first + n * PAGE_SIZE_;
	last = touched + PAGE_SIZE_;
	CHECK(last <= e.base + e.size, "no free ELRANGE for %llu pages", (unsigned long long)n + 1);

	/* 1. EAUG, EACCEPT first: each EACCEPT faults, the kernel EAUGs the page, EACCEPT retries. */
	touch_pages(&e, first, n, 9, TE_TOUCH_EACCEPT | TE_TOUCH_WRITE | TE_TOUCH_VERIFY, NULL);
	printf("ok: sgx2: EAUG on fault + EACCEPT first: %llu pages written and verified\n",
	       (unsigned long long)n);

	/* 2. EAUG by a touch: #PF (SGX) on the PENDING page, accepted by the program's handler. */
	pending.e = &e;
	pending.page = touched;
	touch_pages(&e, touched, 1, 10, TE_TOUCH_WRITE | TE_TOUCH_VERIFY, accept_on_fault);
	CHECK(pending.calls == 1 && pending.vector == 14 && (pending.error_code & PF_SGX) &&
		      (pending.error_code & 0x2) && PAGE_DOWN_(pending.addr) == touched &&
		      pending.accept == 0,
	      "touch flow: %d reports, vector %u, error code %#x at %#llx, EACCEPT %llu",
	      pending.calls, pending.vector, pending.error_code, (unsigned long long)pending.addr,
	      (unsigned long long)pending.accept);
	printf("ok: sgx2: EAUG by a touch: #PF %#x (SGX) on the PENDING page, EACCEPT, ERESUME\n",
	       pending.error_code);

	/* 3. RESTRICT_PERMISSIONS to read-only, EACCEPT(PR): writes fault in the EPCM, reads work. */
	{
		struct sgx_enclave_restrict_permissions rp = { .offset = first - e.base,
							       .length = 2 * PAGE_SIZE_,
							       .permissions = SECINFO_R };

		CHECK(!ioctl(e.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp) &&
			      rp.count == rp.length && rp.result == 0,
		      "RESTRICT_PERMISSIONS: %s, count %llu, result %llu", strerror(errno),
		      (unsigned long long)rp.count, (unsigned long long)rp.result);
		for (uint64_t i = 0; i < 2; i++)
			CHECK(!eaccept(&e, 0, first + i * PAGE_SIZE_,
				       SECINFO_PT(SGX_PAGE_TYPE_REG) | SECINFO_R | SECINFO_PR),
			      "EACCEPT(PR) page %llu", (unsigned long long)i);
		set_policy(&e, TE_ACTION_SKIP);
		memset(&seen, 0, sizeof(seen));
		memset(&args, 0, sizeof(args));
		args.u.fault.kind = TE_FAULT_WRITE;
		args.u.fault.addr = first + PAGE_SIZE_;
		{
			struct sgx_enclave_run run = { .tcs = e.tcs[0],
						       .user_handler = (uint64_t)second_phase };

			CHECK(!app_vdso_call(TE_OP_FAULT, (unsigned long)&args, 0, SGX_ENCLU_EENTER,
					     0, 0, &run, app_vdso_enter),
			      "vdso call");
		}
		CHECK(seen.calls == 1 && seen.vector == 14 && (seen.error_code & PF_SGX) &&
			      seen.addr == first + PAGE_SIZE_ && seen.phase2 == TE_EXC_HANDLED,
		      "write to the restricted page: %d reports, vector %u, error code %#x at "
		      "%#llx",
		      seen.calls, seen.vector, seen.error_code, (unsigned long long)seen.addr);
		off = first + PAGE_SIZE_ - e.base;
		CHECK(enclave_read(&e, first + PAGE_SIZE_) == te_pattern(9, off),
		      "the restricted page lost its data");
		set_policy(&e, TE_ACTION_RECORD);
		/* EMODPE gives the write permission back (the enclave alone can extend it). */
		memset(&args, 0, sizeof(args));
		args.u.sgx2.addr = first + PAGE_SIZE_;
		args.u.sgx2.secinfo_flags = SECINFO_R | SECINFO_W;
		CHECK(app_call(&e, 0, TE_OP_EMODPE, &args) == TE_OK, "EMODPE");
		memset(&args, 0, sizeof(args));
		args.u.mem.addr = first + PAGE_SIZE_;
		args.u.mem.value = 0x5eed;
		CHECK(app_call(&e, 0, TE_OP_WRITE, &args) == TE_OK &&
			      enclave_read(&e, first + PAGE_SIZE_) == 0x5eed,
		      "write after EMODPE");
	}
	printf("ok: sgx2: RESTRICT_PERMISSIONS(R) + EACCEPT(PR): write #PF %#x (SGX), data kept; "
	       "EMODPE(RW) writes again\n",
	       seen.error_code);

	/* 4. Trim every added page: MODIFY_TYPES(TRIM), EACCEPT(TRIM|MODIFIED), REMOVE_PAGES. */
	{
		struct sgx_enclave_modify_types mt = { .offset = first - e.base,
						       .length = last - first,
						       .page_type = SGX_PAGE_TYPE_TRIM };
		struct sgx_enclave_remove_pages rm = { .offset = first - e.base,
						       .length = last - first };

		/* Not before the enclave has accepted the trim. */
		CHECK(!ioctl(e.fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt) && mt.count == mt.length &&
			      mt.result == 0,
		      "MODIFY_TYPES: %s", strerror(errno));
		CHECK(ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm) && errno == EPERM,
		      "REMOVE_PAGES before EACCEPT: %s", strerror(errno));
		for (uint64_t a = first; a < last; a += PAGE_SIZE_)
			CHECK(!eaccept(&e, 0, a, SECINFO_PT(SGX_PAGE_TYPE_TRIM) | SECINFO_MODIFIED),
			      "EACCEPT(TRIM) at %#llx", (unsigned long long)a);
		rm.count = 0;
		CHECK(!ioctl(e.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm) && rm.count == rm.length,
		      "REMOVE_PAGES: %s", strerror(errno));
	}
	/* The range is free again: a new EAUG there gives a fresh, zeroed page. */
	CHECK(!eaccept(&e, 0, touched,
		       SECINFO_PT(SGX_PAGE_TYPE_REG) | SECINFO_R | SECINFO_W | SECINFO_PENDING),
	      "EACCEPT after REMOVE_PAGES");
	CHECK(enclave_read(&e, touched) == 0, "a removed page came back with data");
	app_unload(&e);
	printf("ok: sgx2: MODIFY_TYPES(TRIM) + EACCEPT + REMOVE_PAGES over %llu pages; the range "
	       "takes a fresh EAUG\n",
	       (unsigned long long)(n + 1));
	return 0;
}

/* --- oversubscription: an enclave larger than the EPC ------------------------------------ */

static int check_oversub(void)
{
	struct app_enclave e;
	struct te_args args;
	struct te_info info;
	uint64_t epc = 0;
	uint32_t r[4];
	char err[512];
	int ret;

	/* The EPC's size, as the program sees it: every section of CPUID leaf 0x12. */
	for (uint32_t sub = 2;; sub++) {
		app_cpuid(0x12, sub, r);
		if ((r[0] & 0xf) != 1)
			break;
		epc += ((uint64_t)(r[3] & 0xfffff) << 32) | (r[2] & ~0xfffU);
	}
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	CHECK(app_vdso_enter, "vDSO");
	ret = app_load(sgxs_path, sig_path, false, &e, err, sizeof(err));
	CHECK(!ret, "load: %s", err);
	info = info_of(&e);
	CHECK(epc && info.heap_size > epc, "not oversubscribed: heap %llu KiB, EPC %llu KiB",
	      (unsigned long long)(info.heap_size >> 10), (unsigned long long)(epc >> 10));
	/* Write and verify the whole heap, twice, in a permuted order: pages go out and back. */
	for (int pass = 0; pass < 2; pass++) {
		memset(&args, 0, sizeof(args));
		args.u.touch.seed = 1234 + pass;
		args.u.touch.mode = TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_RANDOM;
		CHECK(app_call(&e, pass, TE_OP_TOUCH, &args) == TE_OK, "touch");
		CHECK(args.u.touch.pages_done == info.heap_size / 4096 && !args.u.touch.mismatches,
		      "%llu pages done, %llu words lost in paging",
		      (unsigned long long)args.u.touch.pages_done,
		      (unsigned long long)args.u.touch.mismatches);
	}
	/* The rest of the enclave came back too: code, TCS and data still work. */
	echo(&e, 2, 6, 7);
	printf("ok: oversubscribed: %llu KiB of heap in a %llu KiB EPC, written and verified "
	       "twice\n",
	       (unsigned long long)(info.heap_size >> 10), (unsigned long long)(epc >> 10));
	app_unload(&e);
	return 0;
}

/* --- threads: one per TCS, entering at the same time ------------------------------------- */

struct worker {
	struct app_enclave *e;
	unsigned int tcs;
	int ok;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct te_args args;

	for (uint64_t i = 0; i < 200; i++) {
		memset(&args, 0, sizeof(args));
		args.u.echo.a = i;
		args.u.echo.b = w->tcs;
		if (app_call(w->e, w->tcs, TE_OP_ECHO, &args) != TE_OK ||
		    args.u.echo.sum != i + w->tcs)
			return NULL;
	}
	memset(&args, 0, sizeof(args));
	if (app_call(w->e, w->tcs, TE_OP_INFO, &args) != TE_OK ||
	    args.u.info.tcs != w->e->tcs[w->tcs])
		return NULL;
	w->ok = 1;
	return NULL;
}

static int check_threads(void)
{
	struct app_enclave e;
	struct worker w[APP_MAX_TCS];
	pthread_t th[APP_MAX_TCS];
	unsigned int n;

	load(&e, false);
	app_vdso_enter = app_vdso_sym("__vdso_sgx_enter_enclave", "LINUX_2.6");
	CHECK(app_vdso_enter, "vDSO");
	for (unsigned int i = 0; i < e.nr_tcs; i++) {
		w[i] = (struct worker){ .e = &e, .tcs = i };
		CHECK(!pthread_create(&th[i], NULL, worker_main, &w[i]), "pthread_create");
	}
	for (unsigned int i = 0; i < e.nr_tcs; i++) {
		CHECK(!pthread_join(th[i], NULL), "pthread_join");
		CHECK(w[i].ok, "thread %u failed", i);
	}
	n = e.nr_tcs;
	app_unload(&e);
	printf("ok: %u threads, one per TCS, 200 ecalls each\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} checks[] = {
		{ "basic", check_basic },     { "stat", check_stat },	    { "fds", check_fds },
		{ "two", check_two },	      { "fork", check_fork },	    { "sgx2", check_sgx2 },
		{ "oversub", check_oversub }, { "threads", check_threads }, { "vepc", check_vepc },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	self_path = argv[0];
	if (argc == 3 && !strcmp(argv[1], "closed")) /* check_fds: is descriptor N closed? */
		return fcntl(atoi(argv[2]), F_GETFD) < 0 && errno == EBADF ? 0 : 1;
	snprintf(sgxs_path, sizeof(sgxs_path), "%s/test_enclave.sgxs", app_dir());
	snprintf(sig_path, sizeof(sig_path), "%s/test_enclave.sig", app_dir());
	for (size_t i = 0; argc == 2 && i < sizeof(checks) / sizeof(checks[0]); i++)
		if (!strcmp(argv[1], checks[i].name))
			return checks[i].fn();
	fprintf(stderr, "usage: sgx_app basic|stat|fds|two|fork|sgx2|oversub|threads|vepc\n");
	return 2;
}
