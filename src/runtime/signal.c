/* SPDX-License-Identifier: MIT */
/*
 * Signal ownership and delivery to the application (see signal.h for the why).
 *
 * Everything here talks to the kernel with raw rt_sigaction/rt_sigprocmask/sigaltstack system
 * calls: glibc's wrappers are what we interpose, and sanitizer runtimes wrap them too — sgxemu's
 * own handlers must reach the kernel unwrapped (ThreadSanitizer would otherwise defer the IPI).
 */
#include "runtime/signal.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>


#include "common/log.h"
#include "runtime/sigframe.h"
#include "runtime/thread.h"

/* The kernel's struct sigaction (not glibc's): the mask is one 64-bit word. */
struct sgx_ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define SA_RESTORER_FLAG 0x04000000UL
#define KSIG_MASK(sig) (1ULL << ((sig) - 1))
#define SGX_ALTSTACK_SIZE (256UL << 10)
/* An interrupted RSP this close above our own frame means we are running on the same stack. */
#define SGX_SAME_STACK_DISTANCE (1UL << 20)
/* Room left below our frame for what this handler still calls before it returns. */
#define SGX_DELIVERY_STACK_MARGIN (16UL << 10)

/* The application's disposition of each signal, as it believes it to be. */
struct sgx_app_action {
	uint32_t seq; /* odd while being written: readers retry (a seqlock) */
	void *handler;
	unsigned long flags;
	uint64_t mask;
};

static struct sgx_app_action app_actions[_NSIG];
static uint32_t app_actions_lock;
static int signals_initialised;
static int signals_taken_over;

void sgx_signal_stub(int sig, siginfo_t *info, void *uc);
/* trap_entry.S; named __restore_rt there, the name debuggers recognise a signal trampoline by. */
void sgx_signal_restorer(void) __asm__("__restore_rt");

static const int sgx_trap_signals[] = { SIGILL, SIGSEGV, SIGBUS, SIGFPE, SIGTRAP, SIGSYS };

/* The synchronous fault signals. */
static uint64_t fault_signal_mask(void)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < sizeof(sgx_trap_signals) / sizeof(sgx_trap_signals[0]); i++)
		mask |= KSIG_MASK(sgx_trap_signals[i]);
	return mask;
}

/* What an application can never block: the faults and the IPI. */
static uint64_t trap_signal_mask(void)
{
	return fault_signal_mask() | KSIG_MASK(SGX_IPI_SIGNAL);
}

bool sgx_signal_is_trap(int sig)
{
	return sig > 0 && sig < _NSIG && (trap_signal_mask() & KSIG_MASK(sig));
}

uint64_t sgx_signal_handler_mask(void)
{
	return ~fault_signal_mask();
}

/* Signals sgxemu took for itself besides the traps (sgx_signal_claim): never the application's. */
static uint64_t claimed_signals;

bool sgx_signal_is_claimed(int sig)
{
	return sig > 0 && sig < _NSIG &&
	       (__atomic_load_n(&claimed_signals, __ATOMIC_ACQUIRE) & KSIG_MASK(sig));
}

uint64_t sgx_signal_enclave_mask(uint64_t app_mask)
{
	return app_mask & ~trap_signal_mask();
}

static long raw_sigaction(int sig, const struct sgx_ksigaction *act, struct sgx_ksigaction *old)
{
	return syscall(SYS_rt_sigaction, sig, act, old, sizeof(uint64_t));
}

static long raw_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return syscall(SYS_rt_sigprocmask, how, set, old, sizeof(uint64_t));
}

static void install_stub(int sig, unsigned long extra_flags)
{
	struct sgx_ksigaction act = {
		.handler = (void *)sgx_signal_stub,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG | extra_flags,
		.restorer = sgx_signal_restorer,
		/*
		 * Async signals wait while sgxemu's handler runs, the IPI too: one taken inside the
		 * stub, after it switched FS/GS to the enclave's and before its sigreturn, would run
		 * C on the enclave's TLS, or take this handler's own frame for an enclave context.
		 * An IPI left pending is taken right after the sigreturn, in enclave mode, as it
		 * should be (and a thread in the handler is not inside: the kick does not wait for
		 * it). Faults must stay deliverable.
		 */
		.mask = sgx_signal_handler_mask(),
	};

	/* Synchronous faults may nest (an enclave entered from an application's handler). */
	if (fault_signal_mask() & KSIG_MASK(sig))
		act.flags |= SA_NODEFER;
	raw_sigaction(sig, &act, NULL);
}

/* The kernel disposition for an application action on a signal sgxemu does not own. */
static void install_app_action(int sig, const struct sgx_app_action *a)
{
	struct sgx_ksigaction act = {
		.handler = a->handler,
		.flags = a->flags | SA_RESTORER_FLAG,
		.restorer = sgx_signal_restorer,
		.mask = a->mask,
	};

	if (a->handler == SIG_DFL || a->handler == SIG_IGN || !signals_taken_over) {
		raw_sigaction(sig, &act, NULL);
		return;
	}
	/* Routed through sgxemu: it keeps the flags the kernel itself acts on. */
	install_stub(sig, a->flags & (SA_RESTART | SA_NOCLDSTOP | SA_NOCLDWAIT));
}

static void actions_lock(uint64_t *saved_mask)
{
	uint64_t all = ~0ULL;

	raw_sigprocmask(SIG_BLOCK, &all, saved_mask);
	while (__atomic_exchange_n(&app_actions_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void actions_unlock(const uint64_t *saved_mask)
{
	__atomic_store_n(&app_actions_lock, 0, __ATOMIC_RELEASE);
	raw_sigprocmask(SIG_SETMASK, saved_mask, NULL);
}

/*
 * A seqlock read, without a fence (ThreadSanitizer has no fences; -Wtsan refuses them): the
 * fields are read with acquire loads, so the second read of seq cannot move above them, and the
 * writer stores them with release stores after making seq odd, so a reader that saw any of them
 * also sees seq changed.
 */
static void read_action(int sig, struct sgx_app_action *out)
{
	const struct sgx_app_action *a = &app_actions[sig];
	uint32_t seq;

	do {
		seq = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);
		out->handler = __atomic_load_n(&a->handler, __ATOMIC_ACQUIRE);
		out->flags = __atomic_load_n(&a->flags, __ATOMIC_ACQUIRE);
		out->mask = __atomic_load_n(&a->mask, __ATOMIC_ACQUIRE);
	} while ((seq & 1) || seq != __atomic_load_n(&a->seq, __ATOMIC_RELAXED));
}

static void write_action(int sig, const struct sgx_app_action *in)
{
	struct sgx_app_action *a = &app_actions[sig];
	uint32_t seq = __atomic_load_n(&a->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&a->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&a->handler, in->handler, __ATOMIC_RELEASE);
	__atomic_store_n(&a->flags, in->flags, __ATOMIC_RELEASE);
	__atomic_store_n(&a->mask, in->mask, __ATOMIC_RELEASE);
	__atomic_store_n(&a->seq, seq + 2, __ATOMIC_RELEASE);
}

void sgx_signals_init(void)
{
	uint64_t saved;

	if (__atomic_load_n(&signals_initialised, __ATOMIC_ACQUIRE))
		return;
	actions_lock(&saved);
	if (!signals_initialised) {
		/* Start from what the kernel has, so dispositions set before us are kept. */
		for (int sig = 1; sig < _NSIG; sig++) {
			struct sgx_ksigaction old;
			struct sgx_app_action a = { 0 };

			if (sig == SIGKILL || sig == SIGSTOP || raw_sigaction(sig, NULL, &old))
				continue;
			a.handler = old.handler;
			a.flags = old.flags & ~SA_RESTORER_FLAG;
			a.mask = old.mask;
			write_action(sig, &a);
		}
		for (size_t i = 0; i < sizeof(sgx_trap_signals) / sizeof(sgx_trap_signals[0]); i++)
			install_stub(sgx_trap_signals[i], 0);
		install_stub(SGX_IPI_SIGNAL, 0);
		__atomic_store_n(&signals_initialised, 1, __ATOMIC_RELEASE);
	}
	actions_unlock(&saved);
}

int sgx_signal_claim(int sig)
{
	uint64_t saved;

	if (sig < 1 || sig >= _NSIG || sig == SIGKILL || sig == SIGSTOP || sgx_signal_is_trap(sig))
		return -EINVAL;
	sgx_signals_init();
	actions_lock(&saved);
	__atomic_fetch_or(&claimed_signals, KSIG_MASK(sig), __ATOMIC_RELEASE);
	install_stub(sig, SA_RESTART);
	actions_unlock(&saved);
	return 0;
}

void sgx_signals_take_over(void)
{
	uint64_t saved;

	if (__atomic_load_n(&signals_taken_over, __ATOMIC_ACQUIRE))
		return;
	sgx_signals_init();
	actions_lock(&saved);
	if (!signals_taken_over) {
		signals_taken_over = 1;
		for (int sig = 1; sig < _NSIG; sig++) {
			struct sgx_app_action a;

			if (sig == SIGKILL || sig == SIGSTOP || sgx_signal_is_trap(sig) ||
			    sgx_signal_is_claimed(sig))
				continue;
			read_action(sig, &a);
			if (a.handler != SIG_DFL && a.handler != SIG_IGN)
				install_app_action(sig, &a);
		}
	}
	actions_unlock(&saved);
}

/* --- delivery ---------------------------------------------------------------------------- */

/* The kernel's struct ucontext is glibc's ucontext_t up to the first 8 bytes of uc_sigmask. */
#define KERNEL_UCONTEXT_SIZE (offsetof(ucontext_t, uc_sigmask) + sizeof(uint64_t))

static bool sig_default_ignores(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static uint64_t *uc_mask(ucontext_t *uc)
{
	return (uint64_t *)&uc->uc_sigmask;
}

/* The default action of a signal sgxemu's handler received: terminate with that signal. */
static void default_action(int sig)
{
	struct sgx_ksigaction dfl = { .handler = SIG_DFL };
	uint64_t unblock = KSIG_MASK(sig);

	if (sig_default_ignores(sig))
		return;
	raw_sigaction(sig, &dfl, NULL);
	raw_sigprocmask(SIG_UNBLOCK, &unblock, NULL);
	syscall(SYS_tgkill, getpid(), sgx_raw_gettid(), sig);
	/* A stop signal returns here after SIGCONT; a fatal one never does. */
}

static size_t fpstate_size(const ucontext_t *uc)
{
	const struct sgx_fpx_sw_bytes *sw = sgx_uc_fp_sw_bytes(uc);

	if (!sw)
		return 0;
	if (sw->magic1 == SGX_FP_XSTATE_MAGIC1)
		return sw->extended_size;
	return 512;
}

static bool on_stack(uint64_t sp, const stack_t *ss)
{
	uint64_t base = (uint64_t)ss->ss_sp;

	return !(ss->ss_flags & SS_DISABLE) && sp > base && sp <= base + ss->ss_size;
}

void sgx_deliver_to_app(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct sgx_app_action a;
	struct sgx_thread *t;
	uint64_t sp, frame, fp_copy = 0, interrupted_mask = *uc_mask(uc);
	size_t fp_size = fpstate_size(uc);

	read_action(sig, &a);
	if (a.handler == SIG_IGN) {
		/* A fault cannot be ignored: the kernel would kill; so do we. */
		if (sgx_signal_is_trap(sig) && info->si_code > 0)
			default_action(sig);
		return;
	}
	if (a.handler == SIG_DFL) {
		default_action(sig);
		return;
	}

	/* The stack the kernel would pick: the application's own alternate stack, or below RSP. */
	sp = (uint64_t)g[REG_RSP];
	t = sgx_thread_find(sgx_raw_gettid());
	if ((a.flags & SA_ONSTACK) && t && !on_stack(sp, &t->app_altstack) &&
	    !(t->app_altstack.ss_flags & SS_DISABLE))
		sp = (uint64_t)t->app_altstack.ss_sp + t->app_altstack.ss_size;
	else if ((a.flags & SA_ONSTACK) && !t) {
		stack_t cur;

		/* No record: the kernel's registered stack is the application's own. */
		if (!syscall(SYS_sigaltstack, NULL, &cur) && !on_stack(sp, &cur) &&
		    !(cur.ss_flags & SS_DISABLE))
			sp = (uint64_t)cur.ss_sp + cur.ss_size;
		else
			sp -= 128;
	} else {
		sp -= 128; /* the red zone */
	}
	/*
	 * On a thread without sgxemu's alternate stack this handler runs on the interrupted stack
	 * itself, just below the red zone: the new frame must go below everything in use now, or
	 * it would overwrite the kernel's frame we are reading from.
	 */
	{
		uint64_t here = (uint64_t)__builtin_frame_address(0);

		if (here < sp && sp - here < SGX_SAME_STACK_DISTANCE)
			sp = here - SGX_DELIVERY_STACK_MARGIN;
	}

	/* Lay out an rt_sigframe as the kernel does: fpstate (64-aligned), then ucontext+siginfo. */
	if (fp_size) {
		sp = (sp - fp_size) & ~63ULL;
		fp_copy = sp;
		memcpy((void *)fp_copy, uc->uc_mcontext.fpregs, fp_size);
	}
	frame = ((sp - (8 + KERNEL_UCONTEXT_SIZE + sizeof(siginfo_t))) & ~15ULL) - 8;
	{
		ucontext_t *uc_copy = (ucontext_t *)(frame + 8);
		siginfo_t *info_copy = (siginfo_t *)(frame + 8 + KERNEL_UCONTEXT_SIZE);

		*(uint64_t *)frame = (uint64_t)sgx_signal_restorer;
		memcpy(uc_copy, uc, KERNEL_UCONTEXT_SIZE);
		uc_copy->uc_mcontext.fpregs = (fpregset_t)fp_copy;
		*uc_mask(uc_copy) = interrupted_mask;
		memcpy(info_copy, info, sizeof(*info_copy));

		/* Return from sgxemu's handler straight into the application's. */
		g[REG_RIP] = (greg_t)a.handler;
		g[REG_RSP] = (greg_t)frame;
		g[REG_RDI] = sig;
		g[REG_RSI] = (greg_t)info_copy;
		g[REG_RDX] = (greg_t)uc_copy;
		g[REG_RAX] = 0;
		g[REG_EFL] &= ~(greg_t)(0x400 | 0x100); /* DF and TF clear, as the kernel does */
	}
	/*
	 * The handler's mask, as the kernel would set it — except the traps and the IPI: sgxemu's
	 * emulation runs on them (an ENCLU inside this very handler is a SIGILL), so they are never
	 * really blocked. A nested genuine fault then reaches the handler instead of killing.
	 */
	*uc_mask(uc) = sgx_signal_enclave_mask(interrupted_mask | a.mask |
					       ((a.flags & SA_NODEFER) ? 0 : KSIG_MASK(sig)));

	if (a.flags & SA_RESETHAND) {
		struct sgx_app_action dfl = { .handler = SIG_DFL };
		uint64_t saved;

		actions_lock(&saved);
		write_action(sig, &dfl);
		if (!sgx_signal_is_trap(sig))
			install_app_action(sig, &dfl);
		actions_unlock(&saved);
	}
}

/* --- per-thread alternate stack ---------------------------------------------------------- */

int sgx_signal_thread_init(struct sgx_thread *t)
{
	stack_t ours, old;
	uint8_t *mem;

	if (t->altstack)
		return 0;
	if (syscall(SYS_sigaltstack, NULL, &old))
		return -errno;
	/* Running on the application's alternate stack: it cannot be replaced now; use it. */
	if (old.ss_flags & SS_ONSTACK)
		return -EBUSY;
	mem = mmap(NULL, SGX_ALTSTACK_SIZE + 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -ENOMEM;
	/* A guard page below: an overflow is a clean crash, not silent corruption. */
	mprotect(mem, 4096, PROT_NONE);
	t->altstack = mem;
	t->altstack_size = SGX_ALTSTACK_SIZE + 4096;
	sgx_signal_altstack(t, &ours);
	if (syscall(SYS_sigaltstack, &ours, NULL)) {
		int err = errno;

		munmap(mem, SGX_ALTSTACK_SIZE + 4096);
		t->altstack = NULL;
		return -err;
	}
	t->app_altstack = old;
	return 0;
}

void sgx_signal_altstack(const struct sgx_thread *t, stack_t *ss)
{
	ss->ss_sp = (uint8_t *)t->altstack + 4096;
	ss->ss_size = t->altstack_size - 4096;
	ss->ss_flags = 0;
}

void sgx_signal_thread_exit(struct sgx_thread *t)
{
	stack_t disable = { .ss_flags = SS_DISABLE };

	if (!t->altstack)
		return;
	syscall(SYS_sigaltstack, &disable, NULL);
	munmap(t->altstack, t->altstack_size);
	t->altstack = NULL;
}

/* --- interposed libc functions ----------------------------------------------------------- */

__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction *act,
						     struct sigaction *old)
{
	struct sgx_app_action a;
	uint64_t saved;

	if (sig < 1 || sig >= _NSIG || sig == SGX_IPI_SIGNAL ||
	    (act && (sig == SIGKILL || sig == SIGSTOP))) {
		errno = EINVAL;
		return -1;
	}
	sgx_signals_init();
	actions_lock(&saved);
	read_action(sig, &a);
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = (__sighandler_t)a.handler;
		old->sa_flags = (int)a.flags;
		memcpy(&old->sa_mask, &a.mask, sizeof(a.mask));
	}
	if (act) {
		a.handler = (void *)act->sa_handler;
		a.flags = (unsigned long)(unsigned int)act->sa_flags & ~SA_RESTORER_FLAG;
		memcpy(&a.mask, &act->sa_mask, sizeof(a.mask));
		a.mask &= ~(KSIG_MASK(SIGKILL) | KSIG_MASK(SIGSTOP));
		write_action(sig, &a);
		if (!sgx_signal_is_trap(sig) && !sgx_signal_is_claimed(sig))
			install_app_action(sig, &a);
	}
	actions_unlock(&saved);
	return 0;
}

__attribute__((visibility("default"))) __sighandler_t signal(int sig, __sighandler_t handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	act.sa_flags = SA_RESTART; /* glibc's BSD semantics */
	if (sigaction(sig, &act, &old))
		return SIG_ERR;
	return old.sa_handler;
}

__attribute__((visibility("default"))) int sigaltstack(const stack_t *ss, stack_t *old)
{
	struct sgx_thread *t = sgx_thread_find(sgx_raw_gettid());
	uint64_t sp = (uint64_t)__builtin_frame_address(0);

	/* Until sgxemu owns this thread's alternate stack, the kernel's is the application's. */
	if (!t || !t->altstack)
		return (int)syscall(SYS_sigaltstack, ss, old);
	if (old) {
		*old = t->app_altstack;
		if (on_stack(sp, &t->app_altstack))
			old->ss_flags |= SS_ONSTACK;
	}
	if (ss) {
		if (on_stack(sp, &t->app_altstack)) {
			errno = EPERM;
			return -1;
		}
		if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size < (size_t)MINSIGSTKSZ) {
			errno = ENOMEM;
			return -1;
		}
		t->app_altstack = *ss;
	}
	return 0;
}

/*
 * The mask interposers. The trap signals and the IPI carry the emulation itself (an ENCLU is a
 * SIGILL): blocking one would make the kernel kill the process at the next enclave entry, so they
 * are never blocked in the kernel. The application still sees the mask it asked for: the trap
 * bits it believes blocked are kept per thread and merged into what it reads back.
 */
static __thread uint64_t app_blocked_traps;

static int set_app_mask(int how, const sigset_t *set, sigset_t *old)
{
	uint64_t kernel, view, want = 0;

	if (raw_sigprocmask(SIG_BLOCK, NULL, &kernel))
		return errno;
	view = (kernel & ~trap_signal_mask()) | app_blocked_traps;
	if (set) {
		uint64_t req;

		memcpy(&req, set, sizeof(req));
		switch (how) {
		case SIG_BLOCK:
			want = view | req;
			break;
		case SIG_UNBLOCK:
			want = view & ~req;
			break;
		case SIG_SETMASK:
			want = req;
			break;
		default:
			return EINVAL;
		}
		want &= ~(KSIG_MASK(SIGKILL) | KSIG_MASK(SIGSTOP));
	}
	if (old) {
		sigemptyset(old);
		memcpy(old, &view, sizeof(view));
	}
	if (!set)
		return 0;
	app_blocked_traps = want & trap_signal_mask();
	want &= ~trap_signal_mask();
	if (raw_sigprocmask(SIG_SETMASK, &want, NULL))
		return errno;
	return 0;
}

__attribute__((visibility("default"))) int pthread_sigmask(int how, const sigset_t *set,
							   sigset_t *old)
{
	return set_app_mask(how, set, old);
}

__attribute__((visibility("default"))) int sigprocmask(int how, const sigset_t *set,
						       sigset_t *old)
{
	int err = set_app_mask(how, set, old);

	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

__attribute__((visibility("default"))) int sigsuspend(const sigset_t *mask)
{
	uint64_t want;

	memcpy(&want, mask, sizeof(want));
	want &= ~trap_signal_mask();
	return (int)syscall(SYS_rt_sigsuspend, &want, sizeof(want));
}
