/* SPDX-License-Identifier: MIT */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sys.h"
#include "kernel/encl.h"
#include "kernel/lockdep.h"
#include "kernel/mm.h"
#include "runtime/mm.h"
#include "runtime/mm_internal.h"
#include "runtime/pm_trigger.h"
#include "runtime/signal.h"
#include "runtime/thread.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

/* How long a kick waits for threads to leave an enclave before giving up on them. */
#define SGX_KICK_TIMEOUT_NS (200 * 1000 * 1000LL)

extern uint8_t sgx_have_fsgsbase;

static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t uffd_lock = PTHREAD_MUTEX_INITIALIZER;
static int runtime_uffd = -1;

/* Creates the process's userfaultfd; 0 or -errno. Called under uffd_lock. */
static int runtime_uffd_create(void)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_SHMEM,
	};
	int fd, err;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0 && errno == EINVAL) /* kernels before 5.11 have no UFFD_USER_MODE_ONLY */
		fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		pr_err("runtime: userfaultfd unavailable (%s); enclave pages cannot be mapped. "
		       "Allow it with sysctl vm.unprivileged_userfaultfd=1 or run as root",
		       strerror(err));
		return -err;
	}
	if (sgx_sys_ioctl(fd, UFFDIO_API, (unsigned long)&api)) {
		err = errno;
		pr_err("runtime: userfaultfd lacks SIGBUS/minor-fault support (%s); Linux 5.14 or "
		       "later is needed", strerror(err));
		sgx_sys_close(fd);
		return -err;
	}
	__atomic_store_n(&runtime_uffd, fd, __ATOMIC_RELEASE);
	return 0;
}

static void runtime_init_once(void)
{
	/* WRFSBASE/WRGSBASE only where the kernel enabled them for user space. */
	sgx_have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) ? 1 : 0;
	sgx_signals_init();
	sgx_mm_init();
	sgx_pm_trigger_from_env();
}

int sgx_runtime_init(void)
{
	int ret = 0;

	pthread_once(&runtime_once, runtime_init_once);
	if (__atomic_load_n(&runtime_uffd, __ATOMIC_ACQUIRE) >= 0)
		return 0;
	/* Made once per process: again in a forked child, whose parent's belongs to the parent. */
	pthread_mutex_lock(&uffd_lock);
	if (runtime_uffd < 0)
		ret = runtime_uffd_create();
	pthread_mutex_unlock(&uffd_lock);
	return ret;
}

static const struct sgx_guest_ops *guest_ops;

void sgx_runtime_set_guest_ops(const struct sgx_guest_ops *ops)
{
	__atomic_store_n(&guest_ops, ops, __ATOMIC_RELEASE);
}

const struct sgx_guest_ops *sgx_runtime_guest_ops(void)
{
	return __atomic_load_n(&guest_ops, __ATOMIC_ACQUIRE);
}

int sgx_runtime_uffd(void)
{
	return __atomic_load_n(&runtime_uffd, __ATOMIC_ACQUIRE);
}

/*
 * In a forked child: the inherited userfaultfd still refers to the parent's address space (a
 * UFFDIO_CONTINUE through it would install PTEs in the parent), so it goes.
 */
void sgx_runtime_fork_child_uffd(void)
{
	int fd = __atomic_exchange_n(&runtime_uffd, -1, __ATOMIC_ACQ_REL);

	pthread_mutex_init(&uffd_lock, NULL);
	if (fd >= 0)
		sgx_sys_close(fd);
}

/* --- the kernel's callbacks -------------------------------------------------------------- */

static void runtime_zap(void *priv, struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	sgx_mm_zap_encl(encl, start, end);
}

static void runtime_zap_vepc(void *priv, struct sgx_vepc *vepc, uint64_t pgoff, uint64_t nr)
{
	sgx_mm_zap_vepc(vepc, pgoff, nr);
}

/* fixup_user_fault(): the fault path for addr, without delivering anything. */
static int runtime_fault_in(void *priv, uint64_t addr)
{
	switch (sgx_mm_fault(addr, SGX_ACCESS_WRITE)) {
	case SGX_MM_FAULT_MAPPED:
	case SGX_MM_FAULT_NO_ACCESS:
		return 0;
	default:
		return -EFAULT;
	}
}

struct kick_target {
	struct sgx_thread *t;
	uint32_t acks;
};

struct kick_scan {
	struct sgx_cpu *cpu;
	uint64_t base;
	unsigned int nr;
	struct kick_target targets[256];
	bool overflow;
};

static bool thread_inside(const struct sgx_thread *t, const struct sgx_cpu *cpu, uint64_t base)
{
	/* The thread itself writes these as it enters and leaves (enter_enclave publishes them). */
	return __atomic_load_n(&t->tlp.enclave_mode, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&t->tlp.cpu, __ATOMIC_RELAXED) == cpu &&
	       __atomic_load_n(&t->tlp.base, __ATOMIC_RELAXED) == base;
}

static void kick_one(struct sgx_thread *t, void *arg)
{
	struct kick_scan *scan = arg;

	if (!thread_inside(t, scan->cpu, scan->base))
		return;
	if (scan->nr == sizeof(scan->targets) / sizeof(scan->targets[0])) {
		scan->overflow = true;
		return;
	}
	scan->targets[scan->nr].t = t;
	scan->targets[scan->nr].acks = __atomic_load_n(&t->ipi_acks, __ATOMIC_ACQUIRE);
	scan->nr++;
	/* One IPI in flight per thread: a second would only be coalesced or queued behind it. */
	if (!__atomic_exchange_n(&t->ipi_pending, 1, __ATOMIC_ACQ_REL))
		syscall(SYS_tgkill, getpid(), t->tid, SGX_IPI_SIGNAL);
}

/* A stopped or traced-stopped thread cannot run its handler: waiting for it would hang. */
static bool thread_stopped(int32_t tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = sgx_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	sgx_sys_close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the state follows the command name, which may contain spaces */
	return p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The reclaimer's IPI: every thread inside the enclave takes an AEX (and ERESUMEs at once, in a
 * new epoch). Waits for each to acknowledge, bounded: a thread that is stopped (SIGSTOP, a
 * debugger) cannot, and the caller must move on (the kernel's reclaimer tries other pages).
 */
static int runtime_kick(void *priv, struct sgx_encl *encl)
{
	struct kick_scan scan = { .cpu = encl->platform->cpu, .base = encl->base };
	int64_t deadline = now_ns() + SGX_KICK_TIMEOUT_NS;
	int ret = 0;

	sgx_thread_for_each(kick_one, &scan);
	for (unsigned int i = 0; i < scan.nr; i++) {
		struct kick_target *k = &scan.targets[i];

		for (;;) {
			uint32_t acks = __atomic_load_n(&k->t->ipi_acks, __ATOMIC_ACQUIRE);
			struct timespec slice = { .tv_nsec = 1000 * 1000 };
			int64_t left = deadline - now_ns();

			if (acks != k->acks || !thread_inside(k->t, scan.cpu, scan.base))
				break;
			if (left <= 0 || thread_stopped(k->t->tid)) {
				ret = -ETIMEDOUT;
				break;
			}
			syscall(SYS_futex, &k->t->ipi_acks, FUTEX_WAIT_PRIVATE, acks, &slice, NULL, 0);
		}
	}
	return scan.overflow ? -ETIMEDOUT : ret;
}

void sgx_runtime_ipi_ack(struct sgx_thread *t)
{
	__atomic_store_n(&t->ipi_pending, 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&t->ipi_acks, 1, __ATOMIC_ACQ_REL);
	syscall(SYS_futex, &t->ipi_acks, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static const struct sgx_mm_ops runtime_mm_ops = {
	.zap = runtime_zap,
	.kick = runtime_kick,
	.zap_vepc = runtime_zap_vepc,
	.fault_in = runtime_fault_in,
};

void sgx_runtime_attach_platform(struct sgx_platform *platform)
{
	if (platform->mm_ops != &runtime_mm_ops)
		sgx_platform_register_mm(platform, &runtime_mm_ops, NULL);
}
