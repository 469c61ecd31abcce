/* SPDX-License-Identifier: MIT */
/*
 * /proc/cpuinfo as a kernel with the SGX driver shows it on the emulated CPU: the "flags" line
 * of every processor gains "sgx" (CPUID.7.0:EBX[2], X86_FEATURE_SGX) and, with flexible launch
 * control, "sgx_lc" (CPUID.7.0:ECX[30]); SGX1/SGX2 are scattered features the kernel does not
 * print (ref/linux-sgx-subsystem.md §6). The kernel prints flags in feature-word order: "sgx"
 * comes right after "tsc_adjust" (word 9, bit 1), "sgx_lc" after the word-16 flags, so it is
 * placed at the end of the line. A read-only open gets a sealed memfd with the edited text.
 */
#include "compat/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sgxemu/config.h>

#include "common/sys.h"

#define CPUINFO_MAX (4U << 20)

static bool has_flag(const char *line, size_t len, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = line; p + n <= line + len; p++)
		if (!memcmp(p, flag, n) && (p[-1] == ' ' || p[-1] == ':') &&
		    (p + n == line + len || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

static bool emulated_flc(void)
{
	struct sgxemu_config config;
	char err[200];

	sgxemu_config_defaults(&config);
	if (sgxemu_config_from_env(&config, err, sizeof(err)))
		return false;
	return config.flc;
}

/* Appends the edited text of one "flags" line (without its newline) to out. */
static size_t edit_flags(const char *line, size_t len, bool flc, char *out)
{
	const char *anchor = NULL, *p;
	size_t o = 0;

	for (p = line; p + 11 <= line + len; p++)
		if (!memcmp(p, " tsc_adjust", 11) && (p + 11 == line + len || p[11] == ' ')) {
			anchor = p + 11;
			break;
		}
	if (has_flag(line, len, "sgx"))
		anchor = NULL;
	if (anchor) {
		memcpy(out, line, (size_t)(anchor - line));
		o = (size_t)(anchor - line);
		memcpy(out + o, " sgx", 4);
		o += 4;
		memcpy(out + o, anchor, (size_t)(line + len - anchor));
		o += (size_t)(line + len - anchor);
	} else {
		memcpy(out, line, len);
		o = len;
		if (!has_flag(line, len, "sgx")) {
			memcpy(out + o, " sgx", 4);
			o += 4;
		}
	}
	if (flc && !has_flag(line, len, "sgx_lc")) {
		memcpy(out + o, " sgx_lc", 7);
		o += 7;
	}
	return o;
}

int compat_cpuinfo_open(int flags)
{
	char *in, *out;
	size_t got = 0, o = 0;
	bool flc = emulated_flc();
	ssize_t n;
	int src, fd, ret;

	if ((flags & O_ACCMODE) != O_RDONLY)
		return -EACCES; /* /proc/cpuinfo is 0444 */
	src = sgx_sys_openat(AT_FDCWD, "/proc/cpuinfo", O_RDONLY | O_CLOEXEC, 0);
	if (src < 0)
		return -errno;
	in = malloc(CPUINFO_MAX);
	out = malloc(CPUINFO_MAX + CPUINFO_MAX / 16);
	ret = -ENOMEM;
	if (!in || !out)
		goto out_close;
	while (got < CPUINFO_MAX && (n = read(src, in + got, CPUINFO_MAX - got)) > 0)
		got += (size_t)n;
	for (size_t i = 0; i < got;) {
		char *nl = memchr(in + i, '\n', got - i);
		size_t len = nl ? (size_t)(nl - (in + i)) : got - i;

		if (len >= 5 && !memcmp(in + i, "flags", 5))
			o += edit_flags(in + i, len, flc, out + o);
		else {
			memcpy(out + o, in + i, len);
			o += len;
		}
		if (nl)
			out[o++] = '\n';
		i += len + (nl ? 1 : 0);
	}
	fd = memfd_create("cpuinfo", MFD_ALLOW_SEALING | ((flags & O_CLOEXEC) ? MFD_CLOEXEC : 0));
	ret = -errno;
	if (fd < 0)
		goto out_close;
	if (write(fd, out, o) != (ssize_t)o) {
		ret = -EIO;
		sgx_sys_close(fd);
		goto out_close;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
	lseek(fd, 0, SEEK_SET);
	ret = fd;
out_close:
	free(in);
	free(out);
	sgx_sys_close(src);
	return ret;
}
