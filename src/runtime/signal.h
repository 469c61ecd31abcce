/* SPDX-License-Identifier: MIT */
/*
 * Signal ownership (DESIGN.md "Signals are AEX, then delivery").
 *
 * sgxemu owns the kernel-level disposition of the signals it needs: the traps (SIGILL, SIGSEGV,
 * SIGBUS, SIGFPE, SIGTRAP, SIGSYS), its "IPI" signal, and — once any thread has entered an
 * enclave — every signal the application handles, because any of them may interrupt enclave code
 * and must then cause an AEX first. The application's own handlers are kept in a table
 * (sigaction & co. are interposed) and are never called from inside sgxemu's handler: sgxemu
 * builds a signal frame on the stack the kernel would have used and returns into the handler, so
 * the application's handler runs exactly as if the kernel had delivered it (its own stack, mask,
 * SA_ flags, and siginfo/ucontext it may edit or longjmp out of).
 */
#ifndef SGXEMU_RUNTIME_SIGNAL_H
#define SGXEMU_RUNTIME_SIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct sgx_thread;

/* The reclaimer's "IPI": a real-time signal the application never sees. */
#define SGX_IPI_SIGNAL (SIGRTMAX - 1)

/* Installs sgxemu's handlers for the trap signals and the IPI (idempotent). */
void sgx_signals_init(void);

/* Called at the first enclave entry in the process: route application handlers through sgxemu. */
void sgx_signals_take_over(void);

/* True for the signals sgxemu always owns. */
bool sgx_signal_is_trap(int sig);

/*
 * Takes sig for sgxemu itself (the suspend trigger): sgxemu's handler is installed for good, the
 * application's sigaction on it is recorded but never reaches the kernel. 0 or -EINVAL (a trap
 * signal, SIGKILL, SIGSTOP, out of range).
 */
int sgx_signal_claim(int sig);
bool sgx_signal_is_claimed(int sig);

/*
 * Delivers sig to the application as the kernel would have at the context in uc: runs its handler
 * (by returning into it through a frame built on the right stack), ignores it, or carries out the
 * default action. info may be synthesized (an exception re-raised after an AEX).
 */
void sgx_deliver_to_app(int sig, siginfo_t *info, void *uc);

/* The mask sgxemu's handlers run with: everything but the faults. */
uint64_t sgx_signal_handler_mask(void);

/* The application's view of the kernel mask bits sgxemu keeps clear inside enclaves. */
uint64_t sgx_signal_enclave_mask(uint64_t app_mask);

/* Installs sgxemu's alternate signal stack on the calling thread (recording the app's). */
int sgx_signal_thread_init(struct sgx_thread *t);
void sgx_signal_thread_exit(struct sgx_thread *t);
/* sgxemu's alternate stack of t as a stack_t (for a signal frame's uc_stack). */
void sgx_signal_altstack(const struct sgx_thread *t, stack_t *ss);

#endif /* SGXEMU_RUNTIME_SIGNAL_H */
