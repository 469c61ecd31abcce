// SPDX-License-Identifier: MIT
/*
 * The enclave registry debuggers read (include/sgxemu/debug.h) and the perf map of enclave
 * symbols.
 */
#include <sgxemu/debug.h>

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

_Static_assert(__builtin_offsetof(struct sgxemu_debug_enclave, next) == 0, "gdb layout");
_Static_assert(__builtin_offsetof(struct sgxemu_debug_enclave, base) == 8, "gdb layout");
_Static_assert(__builtin_offsetof(struct sgxemu_debug_enclave, size) == 16, "gdb layout");
_Static_assert(__builtin_offsetof(struct sgxemu_debug_enclave, elf_path) == 24, "gdb layout");

__attribute__((visibility("default"))) struct sgxemu_debug_enclave *sgxemu_debug_enclaves;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static bool perf_map_wanted(void)
{
	const char *v = getenv("SGXEMU_PERF_MAP");

	if (!v || !*v || !strcmp(v, "0"))
		return false;
	if (strcmp(v, "1"))
		pr_warn_once("SGXEMU_PERF_MAP=%s: expected 0 or 1; writing the perf map", v);
	return true;
}

/*
 * Appends the ELF's function symbols at base + st_value (the image is linked at 0, so a symbol's
 * value is its offset in the enclave). One write per line on an O_APPEND descriptor, so lines of
 * enclaves registered by two threads never interleave.
 */
static int write_perf_map(uint64_t base, const char *elf_path)
{
	char path[64], line[PATH_MAX + 64];
	Elf_Scn *scn = NULL;
	int fd, out, ret = -1;
	size_t written = 0;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	fd = open(elf_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		goto out_close;
	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)getpid());
	out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0)
		goto out_elf;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int len;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			len = snprintf(line, sizeof(line), "%" PRIx64 " %" PRIx64 " %s\n",
				       base + sym.st_value, (uint64_t)sym.st_size, name);
			if (len > 0 && (size_t)len < sizeof(line) &&
			    write(out, line, (size_t)len) == len)
				written++;
		}
	}
	ret = written ? 0 : -1;
	close(out);
out_elf:
	elf_end(elf);
out_close:
	close(fd);
	return ret;
}

__attribute__((visibility("default"))) int sgxemu_debug_add_enclave(uint64_t base, uint64_t size,
								    const char *elf_path)
{
	struct sgxemu_debug_enclave *d, *it;
	char *path = NULL;

	if (elf_path) {
		path = realpath(elf_path, NULL);
		if (!path)
			path = strdup(elf_path);
		if (!path)
			return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		free(path);
		return -1;
	}
	d->base = base;
	d->size = size;
	d->elf_path = path;

	pthread_mutex_lock(&registry_lock);
	for (it = sgxemu_debug_enclaves; it; it = it->next) {
		if (it->base == base) {
			pthread_mutex_unlock(&registry_lock);
			free(path);
			free(d);
			errno = EEXIST;
			return -1;
		}
	}
	d->next = sgxemu_debug_enclaves;
	/* Release: a debugger that sees the pointer sees the record. */
	__atomic_store_n(&sgxemu_debug_enclaves, d, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&registry_lock);

	if (path && perf_map_wanted() && write_perf_map(base, path))
		pr_warn("perf map: no function symbols written for %s", path);
	return 0;
}

__attribute__((visibility("default"))) void sgxemu_debug_remove_enclave(uint64_t base)
{
	struct sgxemu_debug_enclave **link, *d = NULL;

	pthread_mutex_lock(&registry_lock);
	for (link = &sgxemu_debug_enclaves; *link; link = &(*link)->next) {
		if ((*link)->base == base) {
			d = *link;
			__atomic_store_n(link, d->next, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (d) {
		free((void *)d->elf_path);
		free(d);
	}
}
