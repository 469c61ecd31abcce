/* SPDX-License-Identifier: MIT */
/*
 * The suspend trigger: a signal (SGXEMU_SUSPEND_SIGNAL, `sgxemu run`, sgxemu_suspend_on_signal)
 * that puts the process's platform through a suspend and resume, as if the machine had slept:
 * `kill -USR2 <pid>` makes a running program meet the EPC loss of ref §4.12.
 *
 * The signal may arrive on any thread, also one inside an enclave, and a suspend waits for
 * threads (the kick, the gates), so nothing is done in the handler: it writes one byte to a pipe
 * (async-signal-safe) and returns to wherever the thread was, enclave mode included, without an
 * AEX (the signal is the platform's, like an SMI: the program never sees it). A dedicated thread
 * reads the pipe and runs the suspend and the resume.
 */
#include "runtime/pm_trigger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sgxemu/config.h>
#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "common/sys.h"
#include "kernel/power.h"
#include "kernel/sgx.h"
#include "runtime/signal.h"

static pthread_mutex_t trigger_lock = PTHREAD_MUTEX_INITIALIZER;
static int trigger_pipe[2] = { -1, -1 };
static int trigger_sig;		/* atomic: the claimed signal, 0 while none */
static uint64_t trigger_cycles; /* completed suspend/resume cycles (atomic) */

static void *pm_thread(void *arg)
{
	uint64_t all = ~0ULL;
	char byte;

	/* Never the target of a process-directed signal: every thread that can take one may. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	for (;;) {
		struct sgx_platform *platform;
		ssize_t n = read(trigger_pipe[0], &byte, 1);
		int ret;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		platform = sgx_default_platform_booted();
		if (!platform)
			continue; /* no SGX in use yet: nothing to lose */
		ret = sgx_platform_suspend(platform);
		if (ret) {
			pr_warn("sgx: simulated suspend (signal %d) failed (%d)",
				__atomic_load_n(&trigger_sig, __ATOMIC_RELAXED), ret);
			continue;
		}
		sgx_platform_resume(platform);
		__atomic_add_fetch(&trigger_cycles, 1, __ATOMIC_RELEASE);
		pr_info("sgx: simulated suspend and resume (signal %d)",
			__atomic_load_n(&trigger_sig, __ATOMIC_RELAXED));
	}
	return NULL;
}

bool sgx_pm_trigger_handle(int sig)
{
	char byte = 1;

	if (!sig || sig != __atomic_load_n(&trigger_sig, __ATOMIC_ACQUIRE))
		return false;
	/* A full pipe already holds a pending request: one more would change nothing. */
	if (write(__atomic_load_n(&trigger_pipe[1], __ATOMIC_ACQUIRE), &byte, 1) < 0) {
		/* nothing to do */
	}
	return true;
}

uint64_t sgx_pm_trigger_cycles(void)
{
	return __atomic_load_n(&trigger_cycles, __ATOMIC_ACQUIRE);
}

/*
 * A forked child shares the pipe with its parent but has no thread reading it, and its own
 * platform: its trigger signal stays sgxemu's and does nothing (the parent's must not fire).
 */
static void pm_trigger_fork_child(void)
{
	int rd = trigger_pipe[0], wr = trigger_pipe[1];

	pthread_mutex_init(&trigger_lock, NULL);
	__atomic_store_n(&trigger_pipe[1], -1, __ATOMIC_RELEASE);
	trigger_pipe[0] = -1;
	if (rd >= 0)
		sgx_sys_close(rd);
	if (wr >= 0)
		sgx_sys_close(wr);
}

static void pm_trigger_atfork(void)
{
	pthread_atfork(NULL, NULL, pm_trigger_fork_child);
}

int sgx_pm_trigger_install(int sig)
{
	static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

	pthread_attr_t attr;
	pthread_t thread;
	int ret = 0;

	pthread_once(&atfork_once, pm_trigger_atfork);
	pthread_mutex_lock(&trigger_lock);
	if (trigger_sig) {
		ret = trigger_sig == sig ? 0 : -EBUSY;
		goto out;
	}
	if (pipe2(trigger_pipe, O_CLOEXEC)) {
		ret = -errno;
		goto out;
	}
	fcntl(trigger_pipe[1], F_SETFL, O_NONBLOCK);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = -pthread_create(&thread, &attr, pm_thread, NULL);
	pthread_attr_destroy(&attr);
	if (!ret) {
		/* The handler may run as soon as the signal is claimed: publish first. */
		__atomic_store_n(&trigger_sig, sig, __ATOMIC_RELEASE);
		ret = sgx_signal_claim(sig);
		if (ret)
			__atomic_store_n(&trigger_sig, 0, __ATOMIC_RELEASE);
	}
	if (ret) {
		/* Closing the pipe ends the thread, if it started. */
		sgx_sys_close(trigger_pipe[0]);
		sgx_sys_close(trigger_pipe[1]);
		trigger_pipe[0] = trigger_pipe[1] = -1;
	}
out:
	pthread_mutex_unlock(&trigger_lock);
	return ret;
}

void sgx_pm_trigger_from_env(void)
{
	const char *value = getenv("SGXEMU_SUSPEND_SIGNAL");
	struct sgxemu_config config;
	char err[128];
	int ret;

	if (!value)
		return;
	sgxemu_config_defaults(&config);
	if (sgxemu_config_set(&config, "suspend-signal", value, err, sizeof(err))) {
		pr_err("SGXEMU_SUSPEND_SIGNAL: %s", err);
		return;
	}
	if (!config.suspend_signal)
		return;
	ret = sgx_pm_trigger_install(config.suspend_signal);
	if (ret)
		pr_err("SGXEMU_SUSPEND_SIGNAL: cannot take signal %d (%d)", config.suspend_signal,
		       ret);
}

__attribute__((visibility("default"))) int sgxemu_suspend_on_signal(int sig)
{
	int ret;

	if (sig <= 0 || sig >= NSIG || sig == SIGKILL || sig == SIGSTOP || sig == SGX_IPI_SIGNAL ||
	    sgx_signal_is_trap(sig)) {
		errno = EINVAL;
		return -1;
	}
	ret = sgx_pm_trigger_install(sig);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}
