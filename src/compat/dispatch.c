/* SPDX-License-Identifier: MIT */
#include "compat/dispatch.h"

#include <stdio.h>

int compat_dispatch_run(const char *path, int argc, char **argv)
{
	fprintf(stderr, "sgxemu run: --syscall-dispatch is not available in this build\n");
	return 1;
}
