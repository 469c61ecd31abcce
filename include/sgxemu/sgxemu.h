/* SPDX-License-Identifier: MIT */
/*
 * sgxemu's public API: the Linux SGX device files as in-process calls.
 *
 * sgxemu_open/ioctl/close behave like open(2)/ioctl(2)/close(2) on a Linux machine with an SGX
 * driver: the same paths, the same ioctl numbers and structures (from the system's <asm/sgx.h>),
 * the same checks in the same order, and -1 with errno set on failure. The descriptors are real
 * file descriptors (memfds named after the device), so poll/dup/fcntl/close-on-exec work on them
 * as on any fd. Pass an fd that is not an sgxemu device and the call goes to the real system call.
 *
 * The platform (the emulated EPC and CPU) boots on first use from the SGXEMU_* environment
 * variables (<sgxemu/config.h>), or explicitly with sgxemu_boot().
 *
 * Link with -lsgxemu.
 */
#ifndef SGXEMU_SGXEMU_H
#define SGXEMU_SGXEMU_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sgxemu/config.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- the platform --------------------------------------------------------------------------- */

/*
 * Boot the process's platform with this configuration instead of the environment's. Returns 0,
 * or -1 with errno: EBUSY if a platform is already booted, EINVAL for an invalid configuration
 * (the reason is logged), ENOMEM.
 */
int sgxemu_boot(const struct sgxemu_config *config);

/*
 * Shut the platform down: every enclave is torn down, the EPC and CPU are freed. Descriptors
 * still open answer ENODEV afterwards (close them with sgxemu_close). The next sgxemu_open boots
 * a new platform.
 */
void sgxemu_shutdown(void);

/*
 * Put the platform to sleep (S3) and wake it up, losing the EPC as real machines do
 * (ref/linux-sgx-subsystem.md §4.12). sgxemu_platform_suspend() forces every thread out of its
 * enclave, zaps every enclave mapping and power-cycles the CPU: every EPCM entry becomes invalid,
 * the paging and report keys change, the launch-key MSRs reset. Until sgxemu_platform_resume(),
 * threads that enter an enclave or run a leaf (most ioctls) wait, as on a sleeping machine; do
 * not wait for such a call of your own in between. Afterwards an entry into an old enclave
 * reports #PF with the SGX bit (the SDK's "rebuild your enclave"), its ioctls fail, its teardown
 * frees everything, and new enclaves work.
 *
 * Both return 0, or -1 with errno: ENODEV if no platform is booted; EBUSY (suspend) if the
 * platform is already suspended or a thread could not be made to leave its enclave (stopped
 * by a debugger, say: then nothing happened); EINVAL (resume) if it is not suspended.
 */
int sgxemu_platform_suspend(void);
int sgxemu_platform_resume(void);

/*
 * Make sig (SIGUSR2, say) a suspend trigger: each time the process receives it, the platform is
 * suspended and resumed, as if the machine had slept (`kill -USR2 <pid>` on a running program;
 * `SGXEMU_SUSPEND_SIGNAL=USR2` does the same for any program, `sgxemu run` included). sgxemu
 * takes the signal for good: the program's own handlers for it are never called, and a thread
 * inside an enclave is not interrupted by it (the suspend then forces it out). Returns 0, or -1
 * with errno EINVAL (a signal sgxemu needs for itself or that cannot be caught) or EBUSY
 * (another signal is already the trigger).
 */
int sgxemu_suspend_on_signal(int sig);

/*
 * Report a memory error in the EPC page at epc_addr (an EPC "physical" address, see `sgxemu
 * info`), as a machine check or a patrol scrub would (the kernel's arch_memory_failure, §4.11). A
 * free page is quarantined at once; a page in use is never written back by the reclaimer, the
 * next thread that touches it gets SIGBUS (an enclave thread after its AEX, at the AEP), and it
 * is quarantined when its owner frees it. Poisoned pages are never handed out again. With
 * action_required, the calling thread consumed the error itself and gets SIGBUS now. Returns 0
 * (also for a page already poisoned), or -1 with errno ENXIO (not EPC) or ENODEV (no platform).
 */
int sgxemu_memory_failure(unsigned long long epc_addr, int action_required);

/* --- the device files ----------------------------------------------------------------------- */

/*
 * open(2) of "/dev/sgx_enclave" (a new enclave per open; only with flexible launch control),
 * "/dev/sgx_provision" (the PROVISIONKEY capability), "/dev/sgx_vepc" (a virtual EPC for a
 * guest: map it MAP_SHARED, SGX_IOC_VEPC_REMOVE_ALL). Any other path fails with ENOENT, as on a
 * machine without that node. O_CLOEXEC and O_NONBLOCK are honoured; the mode argument of
 * O_CREAT is accepted and ignored.
 */
int sgxemu_open(const char *path, int flags, ...);

/*
 * ioctl(2): SGX_IOC_ENCLAVE_CREATE, _ADD_PAGES, _INIT and _PROVISION on an enclave, and the SGX2
 * ioctls _RESTRICT_PERMISSIONS, _MODIFY_TYPES and _REMOVE_PAGES (ENODEV when the configuration has
 * no SGX2); SGX_IOC_VEPC_REMOVE_ALL on a virtual EPC; ENOTTY for commands the device does not
 * have. Signals are blocked for the duration of the call, as no signal handler runs inside a real
 * system call; an interrupted call is restarted if the handler has SA_RESTART, else it fails with
 * EINTR (or reports partial progress in `count`).
 */
int sgxemu_ioctl(int fd, unsigned long request, ...);

/* close(2): the enclave goes when the last descriptor of its file (and its last mapping) goes. */
int sgxemu_close(int fd);

/* Which device an fd is: */
enum sgxemu_device {
	SGXEMU_DEVICE_NONE = 0,	 /* not an sgxemu device (or not open) */
	SGXEMU_DEVICE_ENCLAVE,	 /* /dev/sgx_enclave */
	SGXEMU_DEVICE_PROVISION, /* /dev/sgx_provision */
	SGXEMU_DEVICE_VEPC,	 /* /dev/sgx_vepc */
};
enum sgxemu_device sgxemu_fd_device(int fd);

/* --- mappings and entry (the runtime) -------------------------------------------------------- */

/*
 * mmap(2), mprotect(2) and munmap(2) for descriptors of the device files, with the driver's rules
 * (ref/linux-sgx-subsystem.md §1.1): only MAP_SHARED; after INIT only inside ELRANGE; never beyond
 * a page's maximum protection (EACCES). The usual pattern works: reserve 2 x SIZE anonymously
 * with PROT_NONE, then map segments of the enclave fd with MAP_FIXED. A descriptor that is not
 * an sgxemu device goes to the real system call.
 */
void *sgxemu_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);
int sgxemu_mprotect(void *addr, size_t len, int prot);
int sgxemu_munmap(void *addr, size_t len);

/*
 * madvise(2) and mremap(2) over enclave mappings, answering what the kernel answers for a VMA with
 * VM_PFNMAP | VM_IO | VM_DONTEXPAND (MADV_DONTNEED and other advice that reclaims or populates
 * pages: EINVAL; growing: EFAULT; MREMAP_DONTUNMAP: EINVAL; shrinking unmaps the tail). Ranges
 * without an enclave mapping go to the real system call.
 */
int sgxemu_madvise(void *addr, size_t len, int advice);
void *sgxemu_mremap(void *old_address, size_t old_size, size_t new_size, int flags,
		    ... /* void *new_address */);

struct sgx_enclave_run;

/*
 * The contract of the kernel's __vdso_sgx_enter_enclave (vdso_sgx_enter_enclave_t in
 * <asm/sgx.h>): EENTER or ERESUME the TCS in run->tcs; returns 0 after EEXIT or an exception
 * (run->function, exception_vector, exception_error_code, exception_addr), -EINVAL for a bad
 * function or nonzero reserved bytes, or what run->user_handler returns.
 */
int sgxemu_enter_enclave(unsigned long rdi, unsigned long rsi, unsigned long rdx,
			 unsigned int function, unsigned long r8, unsigned long r9,
			 struct sgx_enclave_run *run);

/* --- statistics ----------------------------------------------------------------------------- */

/* A snapshot of the platform: the EPC, the enclaves, and how often each leaf ran. */
struct sgxemu_stats {
	unsigned int nr_sections;
	unsigned int nr_enclaves;
	uint64_t epc_pages;	   /* every frame of every section */
	uint64_t epc_free_pages;   /* on the free lists */
	uint64_t epc_leaked_pages; /* lost to a failed EREMOVE, as the kernel leaks them */
	uint64_t enclave_pages;	   /* child pages (REG, TCS, TRIM) of all enclaves */
	uint64_t va_pages;	   /* version-array pages of the reclaimer */
	uint64_t evicted_pages;	   /* child pages in the enclaves' backing stores now */
	uint64_t pages_evicted;	   /* EWBs of child pages so far (the reclaimer) */
	uint64_t pages_loaded;	   /* ELDUs of child pages so far (the fault path) */
	uint64_t secs_evicted;	   /* ... and of SECS pages, after their last child */
	uint64_t secs_loaded;
	uint64_t forced_aex;	     /* kicks: every thread inside an enclave forced out */
	uint64_t aex;		     /* asynchronous exits */
	uint64_t encls[16];	     /* ENCLS leaf executions, by leaf (enum sgx_encls_leaf) */
	uint64_t enclu[8];	     /* ENCLU leaf executions, by leaf (enum sgx_enclu_leaf) */
	uint64_t epc_poisoned_pages; /* quarantined after a memory error (sgxemu_memory_failure) */
	uint64_t power_cycles;	     /* EPC losses: sgxemu_platform_suspend() and the like */
	unsigned int nr_vepcs;	     /* open /dev/sgx_vepc instances */
	uint64_t vepc_pages;	     /* EPC pages they hold for guests */
};

/*
 * Fills *stats for the process's platform (booting it from the environment if needed). Returns 0,
 * or -1 with errno ENODEV if no platform could be booted.
 */
int sgxemu_stats(struct sgxemu_stats *stats);

/* --- CPUID ----------------------------------------------------------------------------------- */

/*
 * CPUID as the emulated processor answers it: leaves 0 (maximum leaf), 7 (SGX, SGX_LC) and 0x12
 * (SGX capabilities, EPC sections) from the default platform (booted on first use), every other
 * leaf from the real CPU. A program written for real SGX can use it with one weak reference:
 *
 *	extern void sgxemu_cpuid(uint32_t, uint32_t, uint32_t[4]) __attribute__((weak));
 *	if (sgxemu_cpuid) sgxemu_cpuid(leaf, subleaf, regs); else __cpuid_count(...);
 *
 * (exported by libsgxemu and by the `sgxemu run` shim).
 */
void sgxemu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

#ifdef __cplusplus
}
#endif

#endif /* SGXEMU_SGXEMU_H */
