/* SPDX-License-Identifier: MIT */
/* `--patch-cpuid` (see patch.c). */
#ifndef SGXEMU_COMPAT_PATCH_H
#define SGXEMU_COMPAT_PATCH_H

#include <stdbool.h>
#include <stdint.h>

/* Does path (an object's name) match the LIB[:LIB...] list? */
bool compat_patch_wanted(const char *list, const char *path);

/*
 * Rewrites every cpuid in the executable segments of the object loaded at base with these program
 * headers. Returns the number of sites rewritten, or -errno.
 */
int compat_patch_object(const char *name, uint64_t base, const void *phdrs, unsigned int phnum);

/* Was the object at base handled already? (Records it if not.) */
bool compat_patch_seen(uint64_t base);

/* Patches the matching objects loaded now (the shim's constructor, and after each dlopen). */
void compat_patch_cpuid_loaded(const char *list);

/* The list given by `sgxemu run --patch-cpuid`, or NULL (read by the dlopen stub). */
extern __attribute__((visibility("hidden"))) const char *compat_patch_list;

#endif /* SGXEMU_COMPAT_PATCH_H */
