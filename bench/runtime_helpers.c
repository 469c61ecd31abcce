// SPDX-License-Identifier: MIT
/*
 * Helpers for the runtime figures (bench.h): the project's test enclave loaded through the
 * in-process device API, and the physical costs those figures are measured against — a bare
 * signal round trip and a segment-base write, done the way the runtime has to do them here.
 */
#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <asm/prctl.h>

#include <sgxemu/loader.h>
#include <sgxemu/sgxemu.h>

#include "bench.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

/* --- the test enclave ---------------------------------------------------------------------- */

static int ops_open(void *ctx, const char *path, int flags)
{
	return sgxemu_open(path, flags);
}

static int ops_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return sgxemu_ioctl(fd, request, arg);
}

static void *ops_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return sgxemu_mmap(addr, len, prot, flags, fd, off);
}

static int ops_mprotect(void *ctx, void *addr, size_t len, int prot)
{
	return sgxemu_mprotect(addr, len, prot);
}

static int ops_munmap(void *ctx, void *addr, size_t len)
{
	return sgxemu_munmap(addr, len);
}

static int ops_close(void *ctx, int fd)
{
	return sgxemu_close(fd);
}

static const struct sgxemu_loader_ops bench_ops = {
	.open = ops_open,
	.ioctl = ops_ioctl,
	.mmap = ops_mmap,
	.mprotect = ops_mprotect,
	.munmap = ops_munmap,
	.close = ops_close,
};

struct sgxemu_enclave *bench_load_test_enclave(char *err, size_t errlen)
{
	return bench_load_test_enclave_flags(0, err, errlen);
}

struct sgxemu_enclave *bench_load_test_enclave_flags(unsigned int flags, char *err, size_t errlen)
{
	struct sgxemu_load_params params = {
		.ops = &bench_ops,
		.sgxs_path = SGXEMU_BUILD_DIR "/enclave/test_enclave.sgxs",
		.elf_path = SGXEMU_BUILD_DIR "/enclave/test_enclave.elf",
		.flags = flags,
	};
	struct sgxemu_enclave *e = NULL;

	if (sgxemu_enclave_load(&params, &e, err, errlen))
		return NULL;
	return e;
}

int bench_ecall(struct sgxemu_enclave *e, unsigned int op, struct te_args *args)
{
	struct sgx_enclave_run run;
	int ret;

	memset(&run, 0, sizeof(run));
	run.tcs = e->tcs[0];
	/*
	 * A plain C call is enough here: R12-R15 are lost only when an exception is reported to the
	 * caller (then the CPU's synthetic state comes back); resolved faults end in ERESUME, which
	 * restores every register.
	 */
	ret = sgxemu_enter_enclave(op, (unsigned long)args, 0, EENTER, 0, 0, &run);
	if (ret || run.function != EEXIT)
		return -1;
	return (int)args->status;
}

/* --- segment-base writes --------------------------------------------------------------------- */

bool bench_have_fsgsbase(void)
{
	return getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
}

/*
 * n × 4 base writes, the entry's and the exit's (FS and GS each), rewriting the current values so
 * that this thread's TLS stays valid.
 */
static void base_writes(void *arg)
{
	unsigned int n = *(unsigned int *)arg;
	unsigned long fs, gs;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	if (bench_have_fsgsbase()) {
		for (unsigned int i = 0; i < n; i++) {
			asm volatile("wrfsbase %0; wrgsbase %1; wrfsbase %0; wrgsbase %1"
				     :
				     : "r"(fs), "r"(gs)
				     : "memory");
		}
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		syscall(SYS_arch_prctl, ARCH_SET_FS, fs);
		syscall(SYS_arch_prctl, ARCH_SET_GS, gs);
		syscall(SYS_arch_prctl, ARCH_SET_FS, fs);
		syscall(SYS_arch_prctl, ARCH_SET_GS, gs);
	}
}

static void nothing(void *arg)
{
}

double bench_base_writes_ns(void)
{
	unsigned int n = 2000;
	double t, unused;

	bench_best_of_cpu(7, base_writes, nothing, &n, &t, &unused);
	return t / n * 1e9;
}

/* --- bare signal round trips ----------------------------------------------------------------- */

/* The kernel's struct sigaction: sgxemu's handlers must be saved and put back exactly. */
struct bench_ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define BENCH_SA_RESTORER 0x04000000UL

void bench_sigreturn(void);
asm(".pushsection .text\n"
    ".type bench_sigreturn, @function\n"
    "bench_sigreturn:\n"
    "	mov $15, %rax\n" /* rt_sigreturn */
    "	syscall\n"
    "	ud2\n"
    ".size bench_sigreturn, . - bench_sigreturn\n"
    ".popsection\n");

static long ksigaction(int sig, const struct bench_ksigaction *act, struct bench_ksigaction *old)
{
	return syscall(SYS_rt_sigaction, sig, act, old, sizeof(uint64_t));
}

int bench_signal_swap(int sig, void (*handler)(int, siginfo_t *, void *),
		      struct bench_signal_saved *saved)
{
	struct bench_ksigaction act = {
		.handler = (void *)handler,
		.flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | BENCH_SA_RESTORER, /* as sgxemu's */
		.restorer = bench_sigreturn,
	};

	saved->sig = sig;
	return ksigaction(sig, &act, (struct bench_ksigaction *)saved->kaction) ? -errno : 0;
}

void bench_signal_restore(const struct bench_signal_saved *saved)
{
	ksigaction(saved->sig, (const struct bench_ksigaction *)saved->kaction, NULL);
}

_Static_assert(sizeof(((struct bench_signal_saved *)0)->kaction) >= sizeof(struct bench_ksigaction),
	       "saved action");

/* --- a bare resolved fault ------------------------------------------------------------------- */

static struct bench_uffd_region *fault_region; /* for the SIGBUS handler */

static void continue_page(int sig, siginfo_t *info, void *ucv)
{
	struct uffdio_continue c = {
		.range = { .start = (uint64_t)info->si_addr & ~(BENCH_PAGE - 1),
			   .len = BENCH_PAGE },
	};

	if (ioctl(fault_region->uffd, UFFDIO_CONTINUE, &c) && errno != EEXIST)
		_exit(99); /* the limit cannot be measured; never loop on the fault */
}

int bench_uffd_region_setup(struct bench_uffd_region *r, unsigned int pages)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_SHMEM };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING |
					       UFFDIO_REGISTER_MODE_MINOR };

	r->pages = pages;
	r->region = MAP_FAILED;
	r->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	r->memfd = memfd_create("bench-limit", MFD_CLOEXEC);
	if (r->uffd < 0 || r->memfd < 0 || ioctl(r->uffd, UFFDIO_API, &api) ||
	    ftruncate(r->memfd, (off_t)pages * BENCH_PAGE))
		return -errno;
	r->region = mmap(NULL, pages * BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (r->region == MAP_FAILED)
		return -errno;
	memset(r->region, 1, pages * BENCH_PAGE); /* in the page cache: later faults are minor */
	reg.range.start = (uint64_t)r->region;
	reg.range.len = pages * BENCH_PAGE;
	return ioctl(r->uffd, UFFDIO_REGISTER, &reg) ? -errno : 0;
}

int bench_uffd_region_faults(struct bench_uffd_region *r)
{
	struct bench_signal_saved saved;
	int ret;

	ret = bench_signal_swap(SIGBUS, continue_page, &saved);
	if (ret)
		return ret;
	fault_region = r;
	madvise(r->region, r->pages * BENCH_PAGE, MADV_DONTNEED);
	for (unsigned int i = 0; i < r->pages; i++)
		(void)*(volatile uint64_t *)(r->region + i * BENCH_PAGE);
	bench_signal_restore(&saved);
	return 0;
}

void bench_uffd_region_teardown(struct bench_uffd_region *r)
{
	if (r->region != MAP_FAILED)
		munmap(r->region, r->pages * BENCH_PAGE);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->uffd >= 0)
		close(r->uffd);
	r->region = MAP_FAILED;
	r->memfd = r->uffd = -1;
}
