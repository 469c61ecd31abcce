/* SPDX-License-Identifier: MIT */
/*
 * The calling thread as the kernel sees `current` during an ioctl. The kernel never runs a user
 * signal handler inside a system call; sgxemu runs its ioctls in the caller's thread, so it blocks
 * signals for the duration and asks "is a signal pending?" with sigpending(), exactly where the
 * kernel calls signal_pending(current). When an ioctl ends with -ERESTARTSYS, the caller's mask
 * is restored (the handler runs then, as on the return to user mode) and the ioctl is restarted
 * transparently if that handler has SA_RESTART, else it fails with EINTR.
 */
#ifndef SGXEMU_KERNEL_TASK_H
#define SGXEMU_KERNEL_TASK_H

#include <signal.h>
#include <stdbool.h>

struct sgx_task {
	sigset_t user_mask; /* the caller's mask, in force again when the ioctl returns */
	struct sgx_task *prev;
};

/* Enter and leave a system call: block (nearly) every signal, then restore the caller's mask. */
void sgx_task_enter(struct sgx_task *task);
/*
 * Leave after ret. For -ERESTARTSYS this decides, before the mask is restored and the pending
 * handlers run, whether the call is to be restarted; returns true if so (else ret is EINTR).
 */
bool sgx_task_leave(struct sgx_task *task, int ret);

/*
 * signal_pending(current): a signal is pending that the caller does not block and does not
 * ignore, so that it would be delivered on return to user mode.
 */
bool sgx_signal_pending(void);

/*
 * msleep_interruptible(): sleep up to ms milliseconds, returning early (without consuming it)
 * when a deliverable signal becomes pending.
 */
void sgx_msleep_interruptible(unsigned int ms);

#endif /* SGXEMU_KERNEL_TASK_H */
