/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu run --syscall-dispatch -- PROG`: a static executable, which no LD_PRELOAD can reach,
 * on the emulated SGX machine.
 *
 * The program is loaded into the `sgxemu` process itself (a small ELF loader for static ET_EXEC
 * and static-PIE ET_DYN images: segments, a break area, a stack with argv, envp and an auxiliary
 * vector whose AT_SYSINFO_EHDR is sgxemu's vDSO) and entered on the main thread with syscall user
 * dispatch on: every system call it makes is a SIGSYS to sgxemu's signal stub (the runtime's, in
 * the shared exempt section `sgxemu_exempt`; one selector per thread: the runtime's record). The
 * thread record says `guest`, so the stub gives sgxemu's C code the host's FS/GS bases and the
 * program its own on the way back (trap_entry.S).
 *
 * The handler emulates what concerns sgxemu: open/openat/creat of the device nodes and
 * /proc/cpuinfo, stat/access of the nodes, ioctl, mmap/mprotect/munmap/mremap/madvise of enclave
 * descriptors and mappings, close/dup2/dup3/close_range (the driver's release), and what the
 * program's process state needs from us: arch_prctl (its FS/GS live in the record), brk (its own
 * break area: the real one is sgxemu's malloc's), rt_sigaction/rt_sigprocmask/sigaltstack (the
 * runtime owns the trap signals), fork (the child re-arms dispatch for itself), readlink of
 * /proc/self/exe. Every other system call is re-issued from the exempt range *with the program's
 * own registers, mask and FS*: the handler returns into a two-instruction gadget (`syscall`, then
 * a jump to the program's return address, kept 136 bytes below its stack pointer, under the red
 * zone), so blocking calls block with the program's signal mask and are interrupted and restarted
 * as the kernel would (a signal that finds the thread in the gadget rewinds it to the program's
 * own `syscall`, or completes the jump, before anything is delivered).
 *
 * Threads: clone with CLONE_THREAD starts one of sgxemu's own threads that arms dispatch for itself
 * and enters the program with the clone child's registers (clone3 answers ENOSYS, so that libc
 * falls back to clone). execve of a static executable runs it under `sgxemu run --syscall-dispatch`
 * again (the kernel clears syscall user dispatch on exec). Not supported: a program's own use of
 * syscall user dispatch (EBUSY).
 */
#include "compat/dispatch.h"

#include <asm/prctl.h>
#include <elf.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/prctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "common/sys.h"
#include "compat/compat.h"
#include "compat/patch.h"
#include "kernel/driver.h"
#include "runtime/runtime.h"
#include "runtime/signal.h"
#include "runtime/thread.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

#define PAGE 4096UL
#define PAGE_DOWN(x) ((x) & ~(PAGE - 1))
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define STACK_SIZE (8UL << 20)
#define BRK_RESERVE (1UL << 30)
#define GADGET_SLOT 136
#define KSIG(sig) (1ULL << ((sig)-1))

extern char __start_sgxemu_exempt[], __stop_sgxemu_exempt[];
extern char compat_dispatch_gadget[], compat_dispatch_gadget_ret[];
void compat_dispatch_start(uint64_t entry, uint64_t sp, uint8_t *selector, const uint64_t *mask);
void compat_dispatch_resume(const greg_t *gregs, uint8_t *selector, uint64_t fsbase,
			    const uint64_t *mask);

_Static_assert(REG_R8 == 0 && REG_R12 == 4 && REG_RDI == 8 && REG_RBX == 11 && REG_RCX == 14 &&
		       REG_RSP == 15 && REG_RIP == 16,
	       "dispatch_entry.S reads the ucontext registers by these indices");

/* The program: one per process. */
static struct {
	char path[4096];
	char sgxemu[4096]; /* the sgxemu executable, to run a static program the program executes */
	uint64_t brk_start, brk_cur, brk_end;
} guest;

/*
 * The program's live threads. sgxemu's own threads (the reclaimer's, ...) would keep the process
 * alive after the program's last thread called exit, and glibc would end it with status 0 when
 * the last pthread returns: the last one out ends the process with its own status, as the kernel
 * does.
 */
static uint32_t guest_threads;

/* --- loading --------------------------------------------------------------------------------- */

struct image {
	uint64_t base; /* load bias (0 for ET_EXEC) */
	uint64_t entry, phdr;
	unsigned int phnum;
	uint64_t end;
};

static int prot_of(uint32_t flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

static int load_image(const char *path, struct image *img, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	uint64_t lo = UINT64_MAX, hi = 0;
	int fd, ret = -ENOEXEC;

	memset(img, 0, sizeof(*img));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || eh.e_phentsize != sizeof(*ph) ||
	    !eh.e_phnum || eh.e_phnum > 64) {
		snprintf(err, errlen, "%s: not an x86-64 executable", path);
		goto out;
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || pread(fd, ph, eh.e_phnum * sizeof(*ph), (off_t)eh.e_phoff) !=
			   (ssize_t)(eh.e_phnum * sizeof(*ph))) {
		snprintf(err, errlen, "%s: cannot read the program headers", path);
		goto out;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			snprintf(err, errlen, "%s: not static (it has an interpreter)", path);
			goto out;
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (PAGE_DOWN(ph[i].p_vaddr) < lo)
			lo = PAGE_DOWN(ph[i].p_vaddr);
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (lo >= hi) {
		snprintf(err, errlen, "%s: nothing to load", path);
		goto out;
	}
	/* The whole span first (ET_DYN: anywhere; ET_EXEC: where it was linked, replacing nothing). */
	{
		void *want = eh.e_type == ET_EXEC ? (void *)lo : NULL;
		void *span = mmap(want, PAGE_UP(hi) - lo, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
					  (want ? MAP_FIXED_NOREPLACE : 0),
				  -1, 0);

		if (span == MAP_FAILED || (want && span != want)) {
			snprintf(err, errlen, "%s: cannot map at %#llx: %s", path,
				 (unsigned long long)lo,
				 span == MAP_FAILED ? strerror(errno) : "address taken");
			ret = -ENOMEM;
			goto out;
		}
		img->base = (uint64_t)span - lo;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		uint64_t start, file_end, mem_end, off;
		int prot = prot_of(ph[i].p_flags);

		if (ph[i].p_type == PT_PHDR)
			img->phdr = img->base + ph[i].p_vaddr;
		if (ph[i].p_type != PT_LOAD)
			continue;
		start = img->base + PAGE_DOWN(ph[i].p_vaddr);
		off = ph[i].p_offset - (ph[i].p_vaddr - PAGE_DOWN(ph[i].p_vaddr));
		file_end = img->base + ph[i].p_vaddr + ph[i].p_filesz;
		mem_end = img->base + ph[i].p_vaddr + ph[i].p_memsz;
		if (ph[i].p_filesz &&
		    mmap((void *)start, PAGE_UP(file_end) - start, prot | PROT_WRITE,
			 MAP_PRIVATE | MAP_FIXED, fd, (off_t)off) == MAP_FAILED) {
			snprintf(err, errlen, "%s: cannot map segment %u: %s", path, i,
				 strerror(errno));
			ret = -errno;
			goto out;
		}
		/* The .bss: the rest of the last file page, then anonymous zero pages. */
		if (mem_end > file_end) {
			if (PAGE_UP(file_end) > file_end && ph[i].p_filesz)
				memset((void *)file_end, 0,
				       PAGE_UP(file_end) > mem_end ? mem_end - file_end
								   : PAGE_UP(file_end) - file_end);
			if (PAGE_UP(mem_end) > PAGE_UP(file_end) &&
			    mmap((void *)PAGE_UP(ph[i].p_filesz ? file_end : start),
				 PAGE_UP(mem_end) - PAGE_UP(ph[i].p_filesz ? file_end : start),
				 prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1,
				 0) == MAP_FAILED) {
				snprintf(err, errlen, "%s: cannot map .bss: %s", path,
					 strerror(errno));
				ret = -errno;
				goto out;
			}
		}
		if (ph[i].p_filesz)
			mprotect((void *)start, PAGE_UP(file_end) - start, prot);
		if (mem_end > img->end)
			img->end = mem_end;
		if (!img->phdr && ph[i].p_offset == 0)
			img->phdr = start + eh.e_phoff; /* the headers are in the first segment */
	}
	img->entry = img->base + eh.e_entry;
	img->phnum = eh.e_phnum;
	ret = 0;
out:
	free(ph);
	close(fd);
	return ret;
}

/* The program's break area: reserved after its image, made accessible as it grows. */
static void reserve_brk(uint64_t end)
{
	uint64_t start = PAGE_UP(end);
	void *p = mmap((void *)start, BRK_RESERVE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	guest.brk_start = guest.brk_cur = start;
	guest.brk_end = (p == (void *)start) ? start + BRK_RESERVE : start;
}

static long emulate_brk(uint64_t want)
{
	if (!want || want < guest.brk_start || want > guest.brk_end)
		return (long)guest.brk_cur;
	if (PAGE_UP(want) > PAGE_UP(guest.brk_cur))
		sgx_sys_mprotect((void *)PAGE_UP(guest.brk_cur),
				 PAGE_UP(want) - PAGE_UP(guest.brk_cur), PROT_READ | PROT_WRITE);
	else if (PAGE_UP(want) < PAGE_UP(guest.brk_cur)) {
		sgx_sys_madvise((void *)PAGE_UP(want), PAGE_UP(guest.brk_cur) - PAGE_UP(want),
				MADV_DONTNEED);
		sgx_sys_mprotect((void *)PAGE_UP(want), PAGE_UP(guest.brk_cur) - PAGE_UP(want),
				 PROT_NONE);
	}
	guest.brk_cur = want;
	return (long)want;
}

/* argc, argv, envp, auxv, as the kernel lays them out (ABI: RSP at argc, 16-byte aligned). */
static uint64_t build_stack(const struct image *img, int argc, char **argv, char *err,
			    size_t errlen)
{
	extern char **environ;
	uint8_t *lo = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	uint64_t sp, *p, *argv_p, *envp_p, random_at, platform_at, execfn_at;
	unsigned int envc = 0, nwords;
	uint8_t rnd[16];

	if (lo == MAP_FAILED) {
		snprintf(err, errlen, "cannot allocate the program's stack: %s", strerror(errno));
		return 0;
	}
	mprotect(lo, PAGE, PROT_NONE); /* a guard page */
	sp = (uint64_t)lo + STACK_SIZE;
#define PUSH_BYTES(src, n) (sp -= (n), memcpy((void *)sp, (src), (n)), sp)
	execfn_at = PUSH_BYTES(guest.path, strlen(guest.path) + 1);
	platform_at = PUSH_BYTES("x86_64", 7);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	random_at = PUSH_BYTES(rnd, sizeof(rnd));
	while (environ[envc])
		envc++;
	argv_p = calloc((size_t)argc + 1, sizeof(uint64_t));
	envp_p = calloc(envc + 1, sizeof(uint64_t));
	if (!argv_p || !envp_p)
		return 0;
	for (int i = argc - 1; i >= 0; i--)
		argv_p[i] = PUSH_BYTES(argv[i], strlen(argv[i]) + 1);
	for (int i = (int)envc - 1; i >= 0; i--)
		envp_p[i] = PUSH_BYTES(environ[i], strlen(environ[i]) + 1);
#undef PUSH_BYTES
	{
		uint64_t auxv[][2] = {
			{ AT_PHDR, img->phdr },
			{ AT_PHENT, sizeof(Elf64_Phdr) },
			{ AT_PHNUM, img->phnum },
			{ AT_PAGESZ, PAGE },
			{ AT_BASE, 0 },
			{ AT_FLAGS, 0 },
			{ AT_ENTRY, img->entry },
			{ AT_UID, getuid() },
			{ AT_EUID, geteuid() },
			{ AT_GID, getgid() },
			{ AT_EGID, getegid() },
			{ AT_SECURE, 0 },
			{ AT_RANDOM, random_at },
			{ AT_HWCAP, getauxval(AT_HWCAP) },
			{ AT_HWCAP2, getauxval(AT_HWCAP2) },
			{ AT_CLKTCK, getauxval(AT_CLKTCK) },
			{ AT_PLATFORM, platform_at },
			{ AT_EXECFN, execfn_at },
			{ AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) },
			{ AT_SYSINFO_EHDR, compat_vdso_image(NULL) },
			{ AT_NULL, 0 },
		};
		unsigned int nauxv = sizeof(auxv) / sizeof(auxv[0]);

		if (!auxv[nauxv - 2][1]) /* no vDSO could be built: leave the entry out */
			auxv[nauxv - 2][0] = AT_IGNORE;
		nwords = 1 + (unsigned int)argc + 1 + envc + 1 + 2 * nauxv;
		sp = (sp - nwords * 8) & ~15UL;
		p = (uint64_t *)sp;
		*p++ = (uint64_t)argc;
		for (int i = 0; i < argc; i++)
			*p++ = argv_p[i];
		*p++ = 0;
		for (unsigned int i = 0; i < envc; i++)
			*p++ = envp_p[i];
		*p++ = 0;
		memcpy(p, auxv, sizeof(auxv));
	}
	free(argv_p);
	free(envp_p);
	return sp;
}

/* --- the system calls ------------------------------------------------------------------------ */

#define ARG(n)                            \
	((uint64_t)g[(n) == 0	? REG_RDI \
		     : (n) == 1 ? REG_RSI \
		     : (n) == 2 ? REG_RDX \
		     : (n) == 3 ? REG_R10 \
		     : (n) == 4 ? REG_R8  \
				: REG_R9])

static long neg_errno(long ret)
{
	return ret < 0 ? -errno : ret;
}

/* The program's own call, issued from the exempt range with its own registers (see above). */
static void reissue(ucontext_t *uc, long nr)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t *slot = (uint64_t *)((uint64_t)g[REG_RSP] - GADGET_SLOT);

	*slot = (uint64_t)g[REG_RIP];
	g[REG_RAX] = nr;
	g[REG_RIP] = (greg_t)compat_dispatch_gadget;
}

/* A signal found the thread in the gadget: make the program's context whole again first. */
static void dispatch_fixup(struct sgx_thread *t, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	uint64_t slot = *(uint64_t *)((uint64_t)g[REG_RSP] - GADGET_SLOT);

	if (rip == (uint64_t)compat_dispatch_gadget)
		g[REG_RIP] =
			(greg_t)(slot - 2); /* not issued (or to be restarted): the program's */
	else if (rip == (uint64_t)compat_dispatch_gadget_ret)
		g[REG_RIP] = (greg_t)slot; /* issued: only the jump back was left */
}

static long sys_open_node(int dirfd, const char *path, int flags, bool *handled)
{
	enum compat_node node = compat_node_at(dirfd, path);

	*handled = node != COMPAT_NODE_NONE;
	return *handled ? compat_node_open(node, path, flags) : 0;
}

static long sys_stat_node(int dirfd, const char *path, struct stat *st, int flags, bool *handled)
{
	enum compat_node node;

	*handled = false;
	if ((flags & AT_EMPTY_PATH) && path && !*path) {
		node = compat_fd_is_device(dirfd) ? compat_fd_node(dirfd) : COMPAT_NODE_NONE;
		if (!node)
			return 0;
		*handled = true;
		compat_node_stat(node, st);
		return 0;
	}
	node = compat_node_at(dirfd, path);
	if (!node || node == COMPAT_NODE_CPUINFO)
		return 0;
	*handled = true;
	if (!compat_node_exists(node))
		return -ENOENT;
	if (path[strlen(path) - 1] == '/')
		return -ENOTDIR;
	compat_node_stat(node, st);
	return 0;
}

static long sys_access_node(int dirfd, const char *path, int mode, bool effective, bool *handled)
{
	enum compat_node node = compat_node_at(dirfd, path);

	*handled = false;
	if (!node || node == COMPAT_NODE_CPUINFO)
		return 0;
	*handled = true;
	if (!compat_node_exists(node))
		return -ENOENT;
	return compat_node_access(node, mode, effective);
}

/* The kernel's struct sigaction for rt_sigaction. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static long sys_rt_sigaction(int sig, const struct ksigaction *act, struct ksigaction *old,
			     size_t size)
{
	struct sigaction a, o;

	if (size != 8)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (act) {
		a.sa_handler = (__sighandler_t)act->handler;
		a.sa_flags =
			(int)(act->flags & ~0x04000000UL); /* our restorer, not the program's */
		memcpy(&a.sa_mask, &act->mask, 8);
	}
	if (sigaction(sig, act ? &a : NULL, old ? &o : NULL))
		return -errno;
	if (old) {
		old->handler = (void *)o.sa_handler;
		old->flags = (unsigned long)(unsigned int)o.sa_flags;
		old->restorer = NULL;
		memcpy(&old->mask, &o.sa_mask, 8);
	}
	return 0;
}

/* rt_sigprocmask: the program's mask is the one the kernel restores at our sigreturn. */
static long sys_rt_sigprocmask(ucontext_t *uc, int how, const uint64_t *set, uint64_t *old,
			       size_t size)
{
	uint64_t *mask = (uint64_t *)&uc->uc_sigmask, now = *mask;

	if (size != 8)
		return -EINVAL;
	if (old)
		*old = now;
	if (!set)
		return 0;
	switch (how) {
	case SIG_BLOCK:
		now |= *set;
		break;
	case SIG_UNBLOCK:
		now &= ~*set;
		break;
	case SIG_SETMASK:
		now = *set;
		break;
	default:
		return -EINVAL;
	}
	/* SIGKILL and SIGSTOP cannot be blocked; sgxemu's trap signals and IPI never are. */
	*mask = sgx_signal_enclave_mask(now & ~(KSIG(SIGKILL) | KSIG(SIGSTOP)));
	return 0;
}

/* The thread becomes (again) a guest: dispatch on, the record knows. */
static int become_guest(struct sgx_thread *t)
{
	t->sud_selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)__start_sgxemu_exempt,
		  (unsigned long)(__stop_sgxemu_exempt - __start_sgxemu_exempt), &t->sud_selector))
		return -errno;
	t->sud_enabled = 1;
	t->guest = 1;
	return 0;
}

/*
 * fork, vfork, and clone without CLONE_THREAD. A clone that shares our memory (CLONE_VM, as
 * glibc's posix_spawn and system() make, with CLONE_VFORK and a stack of their own) runs as a fork
 * (POSIX allows vfork to be one): the child starts on the stack it was given, in its own copy of
 * the memory, and the parent goes on at once. What the child writes is not seen by the parent, so
 * posix_spawn of a program that cannot be executed succeeds and its child exits with 127, as with
 * a fork-based posix_spawn.
 */
static long sys_fork(struct sgx_thread *t, ucontext_t *uc, uint64_t flags, uint64_t stack,
		     uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	bool settls = flags & CLONE_SETTLS;
	long pid;

	/*
	 * The kernel's clone goes on with sgxemu's handler in the child, on its own stack and TLS: the
	 * program's stack and TLS are applied to the child's context below instead. CLONE_SIGHAND
	 * needs CLONE_VM.
	 */
	flags &= ~(uint64_t)(CLONE_VM | CLONE_VFORK | CLONE_SIGHAND | CLONE_SETTLS);
	sgx_runtime_fork_prepare();
	pid = syscall(SYS_clone, flags, 0, ptid, ctid, 0);
	if (pid < 0) {
		pid = -errno;
		sgx_runtime_fork_parent();
		return pid;
	}
	if (pid > 0)
		sgx_runtime_fork_parent();
	else
		sgx_runtime_fork_child();
	if (pid == 0) {
		guest_threads = 1; /* the child has the forking thread only */
		/*
		 * The child's thread has a new tid, so a new record, and no dispatch (the kernel does
		 * not inherit it): arm it again. This handler's stub still holds the parent's record
		 * (copied) and restores the guest's bases from it; the new record's selector is set
		 * to "block" last, as nothing here makes a system call after it.
		 */
		struct sgx_thread *c = sgx_thread_current(t->host_fsbase, t->host_gsbase);

		if (!c || become_guest(c))
			_exit(127);
		if (stack)
			uc->uc_mcontext.gregs[REG_RSP] = (greg_t)stack;
		if (settls)
			t->guest_fsbase =
				tls; /* the child's copy of the record: what the stub loads */
		/* The alternate stack is inherited across fork (we are running on it). */
		c->altstack = t->altstack;
		c->altstack_size = t->altstack_size;
		c->app_altstack = t->app_altstack;
		c->guest_fsbase = t->guest_fsbase;
		c->guest_gsbase = t->guest_gsbase;
		c->fs_swapped = 1;
		c->sud_selector = SYSCALL_DISPATCH_FILTER_BLOCK;
	}
	return pid;
}

/* --- threads ------------------------------------------------------------------------------- */

/*
 * A thread of the program (clone with CLONE_THREAD) is one of sgxemu's own threads (so that
 * sgxemu's C code has its libc's TLS in the handler) that, once it has armed dispatch for itself,
 * takes the registers the kernel would give the clone child and jumps into the program. Its exit
 * (SYS_exit) comes back here: CLONE_CHILD_CLEARTID's clear and wake, then the thread ends.
 */
struct guest_start {
	greg_t gregs[NGREG];
	uint64_t mask;
	uint64_t flags, ptid, ctid, tls, fsbase, gsbase;
	int32_t tid; /* futex word: 0 until the child has armed itself, then its tid (or -errno) */
};

static __thread sigjmp_buf *guest_exit_jmp;
static __thread uint64_t guest_clear_tid;

static void *guest_thread_main(void *arg)
{
	struct guest_start *r = arg;
	struct sgx_thread *t;
	sigjmp_buf exit_jmp;
	uint64_t fs;
	int32_t tid = sgx_raw_gettid();

	/* Every signal is blocked here (sys_clone_thread) until compat_dispatch_resume. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	t = sgx_thread_current(fs, 0);
	if (!t || sgx_signal_thread_init(t) < 0 || become_guest(t)) {
		__atomic_store_n(&r->tid, -EAGAIN, __ATOMIC_RELEASE);
		syscall(SYS_futex, &r->tid, FUTEX_WAKE, 1, NULL, NULL, 0);
		return NULL;
	}
	syscall(SYS_arch_prctl, ARCH_GET_GS, &t->host_gsbase);
	t->guest_fsbase = (r->flags & CLONE_SETTLS) ? r->tls : r->fsbase;
	t->guest_gsbase = r->gsbase;
	/*
	 * The kernel stores both tids before either side runs: the program's libc may read its own
	 * tid (glibc's pd->tid, CLONE_PARENT_SETTID) as soon as the thread starts, so the child
	 * writes the parent's copy too (same memory) before anything goes on.
	 */
	if (r->flags & CLONE_PARENT_SETTID)
		*(int32_t *)r->ptid = tid;
	if (r->flags & CLONE_CHILD_SETTID)
		*(int32_t *)r->ctid = tid;
	guest_clear_tid = (r->flags & CLONE_CHILD_CLEARTID) ? r->ctid : 0;
	if (sigsetjmp(exit_jmp, 0) == 0) {
		struct guest_start start = *r;

		guest_exit_jmp = &exit_jmp;
		/* The parent may go on (and free r) once the tid is published. */
		__atomic_store_n(&r->tid, tid, __ATOMIC_RELEASE);
		syscall(SYS_futex, &r->tid, FUTEX_WAKE, 1, NULL, NULL, 0);
		t->fs_swapped = 1;
		compat_dispatch_resume(start.gregs, &t->sud_selector, t->guest_fsbase, &start.mask);
	}
	/* The program's thread called exit: back in sgxemu's own thread, which now ends. */
	guest_exit_jmp = NULL;
	t->guest = 0;
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	return NULL;
}

static long sys_clone_thread(struct sgx_thread *t, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct guest_start *r = calloc(1, sizeof(*r));
	pthread_attr_t attr;
	pthread_t thread;
	uint64_t all = ~0ULL, old;
	int32_t tid;
	int err;

	if (!r)
		return -ENOMEM;
	memcpy(r->gregs, g, sizeof(r->gregs));
	r->gregs[REG_RAX] = 0;
	if (ARG(1))
		r->gregs[REG_RSP] = (greg_t)ARG(1);
	r->mask = *(uint64_t *)&uc->uc_sigmask;
	r->flags = ARG(0);
	r->ptid = ARG(2);
	r->ctid = ARG(3);
	r->tls = ARG(4);
	r->fsbase = t->guest_fsbase;
	r->gsbase = t->guest_gsbase;
	/*
	 * The new thread starts with every signal blocked (it inherits this mask): a signal for the
	 * program taken before it has become a guest would run the program's handler on sgxemu's
	 * TLS. This handler's own mask comes back at its sigreturn.
	 */
	__atomic_add_fetch(&guest_threads, 1, __ATOMIC_RELAXED);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&thread, &attr, guest_thread_main, r);
	pthread_attr_destroy(&attr);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
	if (err) {
		__atomic_sub_fetch(&guest_threads, 1, __ATOMIC_RELAXED);
		free(r);
		return -EAGAIN;
	}
	while (!(tid = __atomic_load_n(&r->tid, __ATOMIC_ACQUIRE)))
		syscall(SYS_futex, &r->tid, FUTEX_WAIT, 0, NULL, NULL, 0);
	free(r);
	if (tid < 0)
		__atomic_sub_fetch(&guest_threads, 1, __ATOMIC_RELAXED);
	return tid;
}

/* SYS_exit of a program thread sgxemu started: the kernel's clear_child_tid, then its end. */
static void sys_exit_thread(void)
{
	if (guest_clear_tid) {
		__atomic_store_n((int32_t *)guest_clear_tid, 0, __ATOMIC_RELEASE);
		syscall(SYS_futex, guest_clear_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	siglongjmp(*guest_exit_jmp, 1);
}

/* --- execve ------------------------------------------------------------------------------- */

/* Is path a static ELF executable (no PT_INTERP)? Scripts and dynamic programs are not. */
static bool is_static_elf(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool found = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		goto out;
	found = true;
	for (unsigned int i = 0; i < eh.e_phnum && found; i++)
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
			    sizeof(ph) ||
		    ph.p_type == PT_INTERP)
			found = false;
out:
	close(fd);
	return found;
}

/*
 * execve of a static executable: the kernel would run it without syscall user dispatch (exec
 * clears it), so it runs under `sgxemu run --syscall-dispatch` instead, with the program's
 * environment (which carries the SGXEMU_* configuration) and signal mask. Anything else (a
 * dynamic program, a script) is executed as asked: the LD_PRELOAD that `sgxemu run` put in the
 * environment gives it the shim. Returns the error, or false in *handled for the kernel's execve.
 */
static long sys_execve(ucontext_t *uc, const char *path, char *const *argv, char *const *envp,
		       bool *handled)
{
	static const char *const prefix[] = { "sgxemu", "run", "--syscall-dispatch", "--" };
	const size_t nprefix = sizeof(prefix) / sizeof(prefix[0]);
	char **args = NULL, **env = NULL, *preload = NULL, dotpath[4096];
	size_t argc = 0, envc = 0;
	uint64_t old;
	long ret = -ENOMEM;

	*handled = path && guest.sgxemu[0] && !access(path, X_OK) && is_static_elf(path);
	if (!*handled)
		return 0;
	/* A bare name is relative to the working directory for execve (sgxemu run would search PATH). */
	if (!strchr(path, '/') &&
	    (size_t)snprintf(dotpath, sizeof(dotpath), "./%s", path) < sizeof(dotpath))
		path = dotpath;
	while (argv && argv[argc])
		argc++;
	while (envp && envp[envc])
		envc++;
	args = calloc(nprefix + argc + 2, sizeof(*args));
	env = calloc(envc + 1, sizeof(*env));
	if (!args || !env)
		goto out;
	for (size_t i = 0; i < nprefix; i++)
		args[i] = (char *)prefix[i];
	/* The program's own argv[0] is replaced by the path (the loader takes argv from there on). */
	args[nprefix] = (char *)path;
	for (size_t i = 1; i < argc; i++)
		args[nprefix + i] = argv[i];
	/*
	 * sgxemu itself must not get the shim that `sgxemu run` put in LD_PRELOAD for the program's
	 * dynamic children (it has the platform already; it adds the shim again for the new program).
	 */
	for (size_t i = 0, j = 0; i < envc; i++) {
		const char *shim = "/" COMPAT_SHIM_NAME;
		char *item, *save, *out;

		if (strncmp(envp[i], "LD_PRELOAD=", 11)) {
			env[j++] = envp[i];
			continue;
		}
		preload = calloc(1, strlen(envp[i]) + 1);
		item = strdup(envp[i] + 11);
		if (!preload || !item) {
			free(item);
			goto out;
		}
		out = stpcpy(preload, "LD_PRELOAD=");
		for (char *tok = strtok_r(item, ": ", &save); tok;
		     tok = strtok_r(NULL, ": ", &save)) {
			size_t n = strlen(tok);

			if (n >= strlen(shim) && !strcmp(tok + n - strlen(shim), shim))
				continue;
			out += sprintf(out, "%s%s", out[-1] == '=' ? "" : ":", tok);
		}
		free(item);
		if (out[-1] != '=')
			env[j++] = preload;
	}
	/* The new image starts with the program's mask, not this handler's. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &uc->uc_sigmask, &old, 8);
	ret = syscall(SYS_execve, guest.sgxemu, args, env);
	ret = ret < 0 ? -errno : ret;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
out:
	free(preload);
	free(args);
	free(env);
	return ret;
}

static long sys_readlink(const char *path, char *buf, size_t size, bool *handled)
{
	size_t n = strlen(guest.path);

	*handled = path && !strcmp(path, "/proc/self/exe");
	if (!*handled)
		return 0;
	if (n > size)
		n = size;
	memcpy(buf, guest.path, n);
	return (long)n;
}

static void dispatch_syscall(struct sgx_thread *t, siginfo_t *info, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = info->si_syscall, ret = 0;
	bool handled = true;

	switch (nr) {
	case SYS_open:
		ret = sys_open_node(AT_FDCWD, (const char *)ARG(0), (int)ARG(1), &handled);
		break;
	case SYS_creat:
		ret = sys_open_node(AT_FDCWD, (const char *)ARG(0), O_CREAT | O_WRONLY | O_TRUNC,
				    &handled);
		break;
	case SYS_openat:
		ret = sys_open_node((int)ARG(0), (const char *)ARG(1), (int)ARG(2), &handled);
		break;
	case SYS_stat:
	case SYS_lstat:
		ret = sys_stat_node(AT_FDCWD, (const char *)ARG(0), (struct stat *)ARG(1), 0,
				    &handled);
		break;
	case SYS_newfstatat:
		ret = sys_stat_node((int)ARG(0), (const char *)ARG(1), (struct stat *)ARG(2),
				    (int)ARG(3), &handled);
		break;
	case SYS_fstat:
		handled = compat_fd_is_device((int)ARG(0));
		if (handled)
			compat_node_stat(compat_fd_node((int)ARG(0)), (struct stat *)ARG(1));
		break;
	case SYS_statx: {
		enum compat_node node = COMPAT_NODE_NONE;
		const char *path = (const char *)ARG(1);

		handled = false;
		if (((int)ARG(2) & AT_EMPTY_PATH) && (!path || !*path))
			node = compat_fd_is_device((int)ARG(0)) ? compat_fd_node((int)ARG(0))
								: COMPAT_NODE_NONE;
		else if ((node = compat_node_at((int)ARG(0), path)) == COMPAT_NODE_CPUINFO)
			node = COMPAT_NODE_NONE;
		if (node) {
			handled = true;
			if (!compat_node_exists(node))
				ret = -ENOENT;
			else
				compat_node_statx(node, (unsigned int)ARG(3),
						  (struct statx *)ARG(4));
		}
		break;
	}
	case SYS_access:
		ret = sys_access_node(AT_FDCWD, (const char *)ARG(0), (int)ARG(1), false, &handled);
		break;
	case SYS_faccessat:
	case SYS_faccessat2:
		ret = sys_access_node((int)ARG(0), (const char *)ARG(1), (int)ARG(2),
				      nr == SYS_faccessat2 && ((int)ARG(3) & AT_EACCESS), &handled);
		break;
	case SYS_execve:
		ret = sys_execve(uc, (const char *)ARG(0), (char *const *)ARG(1),
				 (char *const *)ARG(2), &handled);
		break;
	case SYS_execveat:
		handled = false;
		if (!ARG(4) &&
		    ((int)ARG(0) == AT_FDCWD || (ARG(1) && *(const char *)ARG(1) == '/')))
			ret = sys_execve(uc, (const char *)ARG(1), (char *const *)ARG(2),
					 (char *const *)ARG(3), &handled);
		break;
	case SYS_readlink:
		ret = sys_readlink((const char *)ARG(0), (char *)ARG(1), ARG(2), &handled);
		break;
	case SYS_readlinkat:
		ret = sys_readlink((const char *)ARG(1), (char *)ARG(2), ARG(3), &handled);
		break;
	case SYS_ioctl:
		handled = compat_fd_is_device((int)ARG(0));
		if (handled)
			ret = neg_errno(sgxemu_ioctl((int)ARG(0), ARG(1), ARG(2)));
		break;
	case SYS_mmap:
		handled = (!((int)ARG(3) & MAP_ANONYMOUS) && compat_fd_is_device((int)ARG(4))) ||
			  (((int)ARG(3) & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
			   compat_range_is_enclave(ARG(0), ARG(1)));
		if (handled) {
			void *p = sgxemu_mmap((void *)ARG(0), ARG(1), (int)ARG(2), (int)ARG(3),
					      (int)ARG(4), (off_t)ARG(5));

			ret = p == MAP_FAILED ? -errno : (long)p;
		}
		break;
	case SYS_mprotect:
		handled = compat_range_is_enclave(ARG(0), ARG(1));
		if (handled)
			ret = neg_errno(sgxemu_mprotect((void *)ARG(0), ARG(1), (int)ARG(2)));
		break;
	case SYS_munmap:
		handled = compat_range_is_enclave(ARG(0), ARG(1));
		if (handled)
			ret = neg_errno(sgxemu_munmap((void *)ARG(0), ARG(1)));
		break;
	case SYS_madvise:
		handled = compat_range_is_enclave(ARG(0), ARG(1));
		if (handled)
			ret = neg_errno(sgxemu_madvise((void *)ARG(0), ARG(1), (int)ARG(2)));
		break;
	case SYS_mremap:
		handled = compat_range_is_enclave(ARG(0), ARG(1) ? ARG(1) : 1) ||
			  (((int)ARG(3) & MREMAP_FIXED) && compat_range_is_enclave(ARG(4), ARG(2)));
		if (handled) {
			void *p = sgxemu_mremap((void *)ARG(0), ARG(1), ARG(2), (int)ARG(3),
						(void *)ARG(4));

			ret = p == MAP_FAILED ? -errno : (long)p;
		}
		break;
	case SYS_close:
		handled = sgx_driver_has_files();
		if (handled)
			ret = neg_errno(sgxemu_close((int)ARG(0)));
		break;
	case SYS_dup2:
	case SYS_dup3: {
		bool sweep = ARG(0) != ARG(1) && compat_fd_is_device((int)ARG(1));

		ret = neg_errno(nr == SYS_dup2 ? syscall(SYS_dup2, ARG(0), ARG(1))
					       : syscall(SYS_dup3, ARG(0), ARG(1), ARG(2)));
		if (sweep && ret >= 0)
			compat_fds_closed();
		break;
	}
	case SYS_close_range:
		ret = neg_errno(syscall(SYS_close_range, ARG(0), ARG(1), ARG(2)));
		if (!ret && !(ARG(2) & CLOSE_RANGE_CLOEXEC))
			compat_fds_closed();
		break;
	case SYS_brk:
		ret = emulate_brk(ARG(0));
		break;
	case SYS_arch_prctl:
		switch (ARG(0)) {
		case ARCH_SET_FS:
			t->guest_fsbase = ARG(1);
			break;
		case ARCH_SET_GS:
			t->guest_gsbase = ARG(1);
			break;
		case ARCH_GET_FS:
			*(uint64_t *)ARG(1) = t->guest_fsbase;
			break;
		case ARCH_GET_GS:
			*(uint64_t *)ARG(1) = t->guest_gsbase;
			break;
		default:
			handled = false;
		}
		break;
	case SYS_rt_sigaction:
		ret = sys_rt_sigaction((int)ARG(0), (const struct ksigaction *)ARG(1),
				       (struct ksigaction *)ARG(2), ARG(3));
		break;
	case SYS_rt_sigprocmask:
		ret = sys_rt_sigprocmask(uc, (int)ARG(0), (const uint64_t *)ARG(1),
					 (uint64_t *)ARG(2), ARG(3));
		break;
	case SYS_sigaltstack:
		ret = neg_errno(sigaltstack((const stack_t *)ARG(0), (stack_t *)ARG(1)));
		break;
	case SYS_clone3:
		ret = -ENOSYS; /* libc falls back to clone */
		break;
	case SYS_clone:
		if ((ARG(0) & CLONE_THREAD) && (ARG(0) & CLONE_VM))
			ret = sys_clone_thread(t, uc);
		else if (ARG(0) & CLONE_THREAD)
			ret = -EINVAL; /* CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM */
		else
			ret = sys_fork(t, uc, ARG(0), ARG(1), ARG(2), ARG(3), ARG(4));
		break;
	case SYS_exit:
		if (!__atomic_sub_fetch(&guest_threads, 1, __ATOMIC_ACQ_REL))
			exit((int)ARG(0));	  /* the last thread: the process's exit status */
		handled = guest_exit_jmp != NULL; /* the main thread's exit is the kernel's */
		if (handled)
			sys_exit_thread();
		break;
	case SYS_fork:
	case SYS_vfork:
		ret = sys_fork(t, uc, SIGCHLD, 0, 0, 0, 0);
		break;
	case SYS_exit_group:
		/* sgxemu's own exit work (statistics) runs, then the process goes. */
		exit((int)ARG(0));
	case SYS_prctl:
		handled = ARG(0) == PR_SET_SYSCALL_USER_DISPATCH;
		ret = -EBUSY; /* the program's own dispatch would replace sgxemu's */
		break;
	default:
		handled = false;
		break;
	}
	if (!handled) {
		reissue(uc, nr);
		return;
	}
	g[REG_RAX] = ret;
}

static const struct sgx_guest_ops dispatch_ops = {
	.syscall = dispatch_syscall,
	.fixup = dispatch_fixup,
};

int compat_dispatch_run(const char *path, int argc, char **argv)
{
	struct sgx_thread *t;
	struct image img;
	uint64_t fs, sp, all = ~0ULL, mask;
	char err[512];

	if (!realpath(path, guest.path)) {
		fprintf(stderr, "sgxemu run: %s: %s\n", path, strerror(errno));
		return 127;
	}
	{
		ssize_t n = readlink("/proc/self/exe", guest.sgxemu, sizeof(guest.sgxemu) - 1);

		guest.sgxemu[n > 0 ? n : 0] = '\0';
	}
	if (load_image(path, &img, err, sizeof(err))) {
		fprintf(stderr, "sgxemu run: %s\n", err);
		return 1;
	}
	reserve_brk(img.end);
	/* --patch-cpuid naming the program itself: its CPUID instructions see the emulated CPU. */
	{
		const char *list = getenv(COMPAT_ENV_PATCH_CPUID);

		if (list && compat_patch_wanted(list, guest.path)) {
			sgx_signals_init();
			compat_patch_object(guest.path, img.base, (const void *)img.phdr,
					    img.phnum);
		}
	}
	sp = build_stack(&img, argc, argv, err, sizeof(err));
	if (!sp) {
		fprintf(stderr, "sgxemu run: %s\n", err);
		return 1;
	}
	/* The runtime owns the signals before the program can install any handler. */
	if (sgx_runtime_init()) {
		fprintf(stderr, "sgxemu run: the runtime cannot start (userfaultfd)\n");
		return 1;
	}
	sgx_signals_take_over();
	sgx_runtime_set_guest_ops(&dispatch_ops);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	t = sgx_thread_current(fs, 0);
	if (!t || sgx_signal_thread_init(t)) {
		fprintf(stderr, "sgxemu run: cannot set up the program's thread\n");
		return 1;
	}
	syscall(SYS_arch_prctl, ARCH_GET_GS, &t->host_gsbase);
	if (become_guest(t)) {
		fprintf(stderr,
			"sgxemu run: syscall user dispatch is unavailable: %s (Linux 5.11+)\n",
			strerror(errno));
		return 1;
	}
	fflush(NULL);
	/* From here to the program's first instruction no signal may find a half-switched thread. */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &mask, 8);
	t->guest_fsbase = 0;
	t->guest_gsbase = 0;
	t->fs_swapped = 1;
	guest_threads = 1;
	compat_dispatch_start(img.entry, sp, &t->sud_selector, &mask);
	return 1; /* not reached */
}
