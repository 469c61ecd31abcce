/* SPDX-License-Identifier: MIT */
/*
 * The auxiliary vector: programs find the vDSO through AT_SYSINFO_EHDR (getauxval, or a walk of
 * the initial stack past envp). The shim rewrites that entry in the process's own vector, which
 * is where getauxval reads it (glibc's _dl_auxv points into the initial stack), so every reader
 * finds the synthetic vDSO; glibc itself set up its own vDSO calls from the real one before any
 * of this ran and is not affected.
 */
#include "compat/compat.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common/sys.h"

#define AUXV_MAX 64

static Elf64_auxv_t real_auxv[AUXV_MAX];
static pthread_once_t real_auxv_once = PTHREAD_ONCE_INIT;

/* /proc/self/auxv is the kernel's copy: never rewritten by anyone in the process. */
static void read_real_auxv(void)
{
	int fd = sgx_sys_openat(AT_FDCWD, "/proc/self/auxv", O_RDONLY | O_CLOEXEC, 0);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return;
	while (got < sizeof(real_auxv) - sizeof(real_auxv[0]) &&
	       (n = read(fd, (char *)real_auxv + got, sizeof(real_auxv) - sizeof(real_auxv[0]) - got)) >
		       0)
		got += (size_t)n;
	sgx_sys_close(fd);
}

uint64_t compat_real_auxval(unsigned long type)
{
	pthread_once(&real_auxv_once, read_real_auxv);
	for (unsigned int i = 0; i < AUXV_MAX && real_auxv[i].a_type != AT_NULL; i++)
		if (real_auxv[i].a_type == type)
			return real_auxv[i].a_un.a_val;
	return 0;
}

/* ld.so's record of the initial stack: argc, then argv, envp and the auxiliary vector. */
extern void *__libc_stack_end;

int compat_patch_auxv(void)
{
	uint64_t image = compat_vdso_image(NULL), real = compat_real_auxval(AT_SYSINFO_EHDR);
	uint64_t *sp = __libc_stack_end;
	Elf64_auxv_t *auxv;
	uint64_t argc;

	if (!image)
		return -ENOENT;
	if (!sp)
		return -EINVAL;
	argc = sp[0];
	sp += 1 + argc + 1; /* argc, argv[], NULL */
	while (*sp)
		sp++;	    /* envp[] */
	auxv = (Elf64_auxv_t *)(sp + 1);
	for (unsigned int i = 0; i < 4 * AUXV_MAX && auxv[i].a_type != AT_NULL; i++) {
		if (auxv[i].a_type != AT_SYSINFO_EHDR)
			continue;
		/* Only if this really is the kernel's vector (it holds the real vDSO). */
		if (auxv[i].a_un.a_val != real && auxv[i].a_un.a_val != image)
			return -EINVAL;
		auxv[i].a_un.a_val = image;
		return 0;
	}
	return -ENOENT; /* the kernel gave no vDSO (vdso=0): getauxval's interposer answers */
}
