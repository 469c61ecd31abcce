/* SPDX-License-Identifier: MIT */
#include "kernel/task.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "kernel/err.h"

/* The innermost system call this thread is in (a handler may nest another ioctl). */
static __thread struct sgx_task *sgx_current;

/*
 * Signals that must stay deliverable inside an ioctl: synchronous faults. Blocking them would
 * turn a fault into a forced default action; the kernel layer reads user memory with
 * process_vm_readv and never faults on purpose.
 */
static const int sgx_sync_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS };

void sgx_task_enter(struct sgx_task *task)
{
	sigset_t all;

	sigfillset(&all);
	for (size_t i = 0; i < sizeof(sgx_sync_signals) / sizeof(sgx_sync_signals[0]); i++)
		sigdelset(&all, sgx_sync_signals[i]);
	pthread_sigmask(SIG_BLOCK, &all, &task->user_mask);
	task->prev = sgx_current;
	sgx_current = task;
}

/* The kernel discards these at generation when ignored; while blocked they stay pending. */
static bool sgx_signal_ignored(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa))
		return true;
	if (sa.sa_flags & SA_SIGINFO)
		return false;
	if (sa.sa_handler == SIG_IGN)
		return true;
	if (sa.sa_handler == SIG_DFL)
		return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
	return false;
}

static const sigset_t *sgx_user_mask(sigset_t *scratch)
{
	if (sgx_current)
		return &sgx_current->user_mask;
	pthread_sigmask(SIG_SETMASK, NULL, scratch);
	return scratch;
}

/* The pending signals that would be delivered to the caller; false if there are none. */
static bool sgx_deliverable_pending(sigset_t *out)
{
	sigset_t pending, scratch;
	const sigset_t *mask;
	bool any = false;

	sigemptyset(out);
	if (sigpending(&pending))
		return false;
	if (sigisemptyset(&pending))
		return false;
	mask = sgx_user_mask(&scratch);
	for (int sig = 1; sig < NSIG; sig++) {
		if (!sigismember(&pending, sig) || sigismember(mask, sig))
			continue;
		if (sgx_signal_ignored(sig))
			continue;
		sigaddset(out, sig);
		any = true;
	}
	return any;
}

bool sgx_signal_pending(void)
{
	sigset_t set;

	return sgx_deliverable_pending(&set);
}

/* The signal-restart rule: restart unless a handler without SA_RESTART is about to run. */
static bool sgx_should_restart(void)
{
	sigset_t set;

	if (!sgx_deliverable_pending(&set))
		return true;
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		bool handler;

		if (!sigismember(&set, sig) || sigaction(sig, NULL, &sa))
			continue;
		handler = (sa.sa_flags & SA_SIGINFO) ||
			  (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
		if (handler && !(sa.sa_flags & SA_RESTART))
			return false;
	}
	/* Default actions (stop, terminate) restart or never return; SA_RESTART handlers restart. */
	return true;
}

bool sgx_task_leave(struct sgx_task *task, int ret)
{
	bool restart = false;

	if (ret == -ERESTARTSYS)
		restart = sgx_should_restart();
	sgx_current = task->prev;
	/* Pending signals are delivered here, as on the way back to user mode. */
	pthread_sigmask(SIG_SETMASK, &task->user_mask, NULL);
	return restart;
}

static void sgx_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void sgx_msleep_interruptible(unsigned int ms)
{
	sigset_t watch, scratch;
	const sigset_t *mask;
	struct pollfd pfd;
	int fd;

	if (sgx_signal_pending())
		return;
	/* Every signal that would be delivered wakes us; reading nothing leaves it pending. */
	sigemptyset(&watch);
	mask = sgx_user_mask(&scratch);
	for (int sig = 1; sig < NSIG; sig++) {
		if (!sigismember(mask, sig) && !sgx_signal_ignored(sig))
			sigaddset(&watch, sig);
	}
	fd = signalfd(-1, &watch, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0) {
		/* No fd to spare: sleep in slices and look between them. */
		for (unsigned int slept = 0; slept < ms && !sgx_signal_pending(); slept++)
			sgx_sleep_ms(1);
		return;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, (int)ms) < 0 && errno == EINTR)
		;
	close(fd);
}
