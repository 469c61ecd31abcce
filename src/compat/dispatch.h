/* SPDX-License-Identifier: MIT */
/*
 * `sgxemu run --syscall-dispatch`: a static executable, loaded into the sgxemu process itself,
 * whose system calls are caught with syscall user dispatch (see dispatch.c).
 */
#ifndef SGXEMU_COMPAT_DISPATCH_H
#define SGXEMU_COMPAT_DISPATCH_H

/* Loads and starts the static executable path with argv; returns only on failure (an exit code). */
int compat_dispatch_run(const char *path, int argc, char **argv);

#endif /* SGXEMU_COMPAT_DISPATCH_H */
