// SPDX-License-Identifier: MIT
/*
 * The packer's layout and output (include/sgxemu/pack.h has the layout). The ELF is read and
 * checked by pack_elf.c; the stream goes out through the SGXS writer, which enforces the
 * canonical-stream rules, so whatever this emits is something every SGXS reader accepts.
 */
#include <sgxemu/pack.h>

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sgxemu/arch.h>
#include <sgxemu/enclave_tls.h>
#include <sgxemu/sgxs.h>

#include "lib/pack_internal.h"

#define PAGE_SIZE 4096ULL
#define PAGE_ALIGNED(x) (((x) & (PAGE_SIZE - 1)) == 0)
#define PAGE_ROUND(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define XSAVE_LEGACY_AND_HEADER 576
#define PACK_MAX_SIZE (1ULL << 40)
#define PACK_MAX_ELF_FILE (1ULL << 30)

void sgxemu_pack_options_default(struct sgxemu_pack_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->threads = 1;
	opts->stack_size = 64 * 1024;
	opts->guard_size = 64 * 1024;
	opts->heap_size = 1024 * 1024;
	opts->reserve_size = 0;
	opts->nssa = 2;
	opts->ssa_frame_size = 0;
	opts->xfrm = 0x3;
}

uint64_t sgxemu_host_xcr0(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0x3;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

int sgxemu_pack_ssa_frame_size(uint64_t xfrm, uint32_t *pages, char *err, size_t errlen)
{
	uint64_t xsave = XSAVE_LEGACY_AND_HEADER;
	unsigned int a, b, c, d;

	if ((xfrm & 0x3) != 0x3)
		return pack_error(err, errlen,
				  "XFRM 0x%llx lacks x87 and SSE (bits 1:0 must be set)",
				  (unsigned long long)xfrm);
	for (unsigned int i = 2; i < 64; i++) {
		if (!(xfrm & (1ULL << i)))
			continue;
		/* Sub-leaf i: EAX = size, EBX = offset in the standard (non-compacted) format. */
		__cpuid_count(0xD, i, a, b, c, d);
		if (!a)
			return pack_error(err, errlen,
					  "XFRM 0x%llx has bit %u, a state component this CPU does "
					  "not describe (CPUID 0xD); give the SSA frame size "
					  "explicitly",
					  (unsigned long long)xfrm, i);
		if (c & 1)
			continue; /* supervisor state (IA32_XSS): never in XFRM's XSAVE area */
		if ((uint64_t)a + b > xsave)
			xsave = (uint64_t)a + b;
	}
	*pages = (uint32_t)((xsave + SGX_SSA_MISC_EXINFO_SIZE + SGX_SSA_GPRS_SIZE + PAGE_SIZE - 1) /
			    PAGE_SIZE);
	return 0;
}

static uint64_t next_pow2(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

static int check_options(const struct sgxemu_pack_options *o, char *err, size_t errlen)
{
	if (o->threads < 1 || o->threads > SGXEMU_PACK_MAX_THREADS)
		return pack_error(err, errlen, "threads must be 1..%d", SGXEMU_PACK_MAX_THREADS);
	if (!o->stack_size || !PAGE_ALIGNED(o->stack_size))
		return pack_error(err, errlen,
				  "the stack size must be a non-zero multiple of 4096");
	if (!PAGE_ALIGNED(o->guard_size) || !PAGE_ALIGNED(o->heap_size) ||
	    !PAGE_ALIGNED(o->reserve_size))
		return pack_error(err, errlen,
				  "guard, heap and reserve sizes must be multiples of 4096");
	if (o->nssa < 2)
		return pack_error(err, errlen,
				  "NSSA must be at least 2, so that an exception handler can run");
	if (o->stack_size > PACK_MAX_SIZE || o->guard_size > PACK_MAX_SIZE ||
	    o->heap_size > PACK_MAX_SIZE || o->reserve_size > PACK_MAX_SIZE || o->nssa > 1024 ||
	    o->ssa_frame_size > 1024)
		return pack_error(err, errlen, "a size is beyond what an enclave can hold");
	return 0;
}

/* Computes every offset. */
static int plan_layout(const struct pack_elf *elf, const struct sgxemu_pack_options *o,
		       struct sgxemu_pack_layout *l, char *err, size_t errlen)
{
	uint64_t cursor, per_thread;

	l->nssa = o->nssa;
	l->ssa_frame_size = o->ssa_frame_size;
	if (!l->ssa_frame_size &&
	    sgxemu_pack_ssa_frame_size(o->xfrm, &l->ssa_frame_size, err, errlen))
		return -1;
	l->entry = elf->entry;
	l->relocations = elf->relocations;

	l->nr_segments = elf->nr_segments;
	for (unsigned int i = 0; i < elf->nr_segments; i++) {
		const struct pack_segment *s = &elf->segments[i];
		struct sgxemu_pack_segment *d = &l->segments[i];

		d->offset = PAGE_DOWN(s->vaddr);
		d->size = PAGE_ROUND(s->vaddr + s->memsz) - d->offset;
		d->secinfo_flags = SGX_SECINFO_REG | ((s->flags & PF_R) ? SGX_SECINFO_R : 0) |
				   ((s->flags & PF_W) ? SGX_SECINFO_W : 0) |
				   ((s->flags & PF_X) ? SGX_SECINFO_X : 0);
		l->elf_end = d->offset + d->size;
	}

	l->heap = l->elf_end;
	l->heap_size = o->heap_size;
	cursor = l->heap + l->heap_size;

	per_thread = o->guard_size + o->stack_size + 2 * PAGE_SIZE +
		     (uint64_t)o->nssa * l->ssa_frame_size * PAGE_SIZE;
	if (per_thread * o->threads > PACK_MAX_SIZE)
		return pack_error(err, errlen, "the threads need more than 1 TiB");
	l->threads = calloc(o->threads, sizeof(*l->threads));
	if (!l->threads)
		return pack_error(err, errlen, "out of memory");
	l->nr_threads = o->threads;
	for (unsigned int t = 0; t < o->threads; t++) {
		struct sgxemu_pack_thread *th = &l->threads[t];

		th->guard = cursor;
		th->stack = th->guard + o->guard_size;
		th->tls = th->stack + o->stack_size;
		th->tcs = th->tls + PAGE_SIZE;
		th->ssa = th->tcs + PAGE_SIZE;
		cursor = th->ssa + (uint64_t)o->nssa * l->ssa_frame_size * PAGE_SIZE;
	}
	l->image_end = cursor;
	if (l->image_end + o->reserve_size > PACK_MAX_SIZE)
		return pack_error(err, errlen, "the enclave would be larger than 1 TiB");
	l->size = next_pow2(l->image_end + o->reserve_size);
	if (l->size < SGXEMU_SGXS_MIN_SIZE)
		l->size = SGXEMU_SGXS_MIN_SIZE;
	return 0;
}

struct pack_out {
	struct sgxemu_sgxs_writer *w;
	struct sgxemu_pack_layout *l;
	uint8_t page[PAGE_SIZE];
};

static int emit(struct pack_out *p, uint64_t offset, uint64_t flags, const uint8_t *data,
		bool measured, char *err, size_t errlen)
{
	static const uint8_t zero[PAGE_SIZE];

	if (sgxemu_sgxs_write_page(p->w, offset, flags, data ? data : zero,
				   measured ? SGXEMU_SGXS_MEASURE_ALL : 0, 0, err, errlen))
		return -1;
	p->l->pages++;
	if (measured)
		p->l->measured_pages++;
	return 0;
}

static int emit_range(struct pack_out *p, uint64_t offset, uint64_t size, uint64_t flags, char *err,
		      size_t errlen)
{
	for (uint64_t off = offset; off < offset + size; off += PAGE_SIZE)
		if (emit(p, off, flags, NULL, false, err, errlen))
			return -1;
	return 0;
}

static int emit_segments(struct pack_out *p, const struct pack_elf *elf, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < elf->nr_segments; i++) {
		const struct pack_segment *s = &elf->segments[i];
		const struct sgxemu_pack_segment *d = &p->l->segments[i];

		for (uint64_t page = d->offset; page < d->offset + d->size; page += PAGE_SIZE) {
			/* The file bytes of [page, page + 4096) that belong to this segment. */
			uint64_t lo = page > s->vaddr ? page : s->vaddr;
			uint64_t hi = page + PAGE_SIZE < s->vaddr + s->filesz
					      ? page + PAGE_SIZE
					      : s->vaddr + s->filesz;

			memset(p->page, 0, sizeof(p->page));
			if (lo < hi)
				memcpy(p->page + (lo - page),
				       elf->buf + s->offset + (lo - s->vaddr), hi - lo);
			if (emit(p, page, d->secinfo_flags, p->page, true, err, errlen))
				return -1;
		}
	}
	return 0;
}

static int emit_thread(struct pack_out *p, const struct sgxemu_pack_options *o, unsigned int t,
		       char *err, size_t errlen)
{
	const struct sgxemu_pack_layout *l = p->l;
	const struct sgxemu_pack_thread *th = &l->threads[t];
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	struct sgxemu_tls tls;
	struct sgx_tcs tcs;

	if (emit_range(p, th->stack, o->stack_size, rw, err, errlen))
		return -1;

	memset(&tls, 0, sizeof(tls));
	tls.magic = SGXEMU_TLS_MAGIC;
	tls.version = SGXEMU_TLS_VERSION;
	tls.thread_index = t;
	tls.nr_threads = l->nr_threads;
	tls.nssa = l->nssa;
	tls.ssa_frame_size = l->ssa_frame_size;
	tls.self = th->tls;
	tls.tcs = th->tcs;
	tls.ssa = th->ssa;
	tls.stack_top = th->tls;
	tls.stack_bottom = th->stack;
	tls.heap = l->heap;
	tls.heap_size = l->heap_size;
	tls.image_end = l->image_end;
	tls.enclave_size = l->size;
	memset(p->page, 0, sizeof(p->page));
	memcpy(p->page, &tls, sizeof(tls));
	if (emit(p, th->tls, rw, p->page, true, err, errlen))
		return -1;

	memset(&tcs, 0, sizeof(tcs));
	tcs.ossa = th->ssa;
	tcs.nssa = l->nssa;
	tcs.oentry = l->entry;
	tcs.ofsbase = th->tls;
	tcs.ogsbase = th->tls;
	tcs.fslimit = 0xFFF;
	tcs.gslimit = 0xFFF;
	if (emit(p, th->tcs, SGX_SECINFO_TCS, (const uint8_t *)&tcs, true, err, errlen))
		return -1;

	return emit_range(p, th->ssa, (uint64_t)l->nssa * l->ssa_frame_size * PAGE_SIZE, rw, err,
			  errlen);
}

void sgxemu_pack_layout_free(struct sgxemu_pack_layout *layout)
{
	if (!layout)
		return;
	free(layout->threads);
	layout->threads = NULL;
	layout->nr_threads = 0;
}

int sgxemu_pack_elf_mem(const void *image, size_t len, const struct sgxemu_pack_options *opts,
			FILE *out, struct sgxemu_pack_layout *layout, char *err, size_t errlen)
{
	struct sgxemu_pack_options defaults;
	struct sgxemu_pack_layout local;
	struct pack_out *p = NULL;
	struct pack_elf elf;
	uint8_t *copy = NULL;
	int ret = -1;

	if (!opts) {
		sgxemu_pack_options_default(&defaults);
		opts = &defaults;
	}
	if (!layout)
		layout = &local;
	memset(layout, 0, sizeof(*layout));
	if (check_options(opts, err, errlen))
		return -1;

	/* libelf gets a private copy: it wants a writable buffer. */
	copy = malloc(len ? len : 1);
	p = calloc(1, sizeof(*p));
	if (!copy || !p) {
		pack_error(err, errlen, "out of memory");
		goto out;
	}
	memcpy(copy, image, len);
	if (pack_read_elf(copy, len, opts->entry, &elf, err, errlen))
		goto out;
	if (plan_layout(&elf, opts, layout, err, errlen))
		goto out;

	p->l = layout;
	p->w = sgxemu_sgxs_writer_new(out, layout->ssa_frame_size, layout->size, err, errlen);
	if (!p->w)
		goto out;
	if (emit_segments(p, &elf, err, errlen) ||
	    emit_range(p, layout->heap, layout->heap_size,
		       SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, err, errlen))
		goto out_writer;
	for (unsigned int t = 0; t < layout->nr_threads; t++)
		if (emit_thread(p, opts, t, err, errlen))
			goto out_writer;
	sgxemu_sgxs_writer_mrenclave(p->w, layout->mrenclave);
	ret = sgxemu_sgxs_writer_finish(p->w, err, errlen);
	p->w = NULL;
out_writer:
	if (p->w)
		sgxemu_sgxs_writer_finish(p->w, NULL, 0);
out:
	if (ret || layout == &local)
		sgxemu_pack_layout_free(layout);
	free(p);
	free(copy);
	return ret;
}

int sgxemu_pack_elf_file(const char *path, const struct sgxemu_pack_options *opts, FILE *out,
			 struct sgxemu_pack_layout *layout, char *err, size_t errlen)
{
	char reason[512];
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	FILE *f;
	int ret;

	if (layout)
		memset(layout, 0, sizeof(*layout));
	f = fopen(path, "rb");
	if (!f)
		return pack_error(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > PACK_MAX_ELF_FILE) {
		fclose(f);
		return pack_error(err, errlen, "%s: not a regular file of at most 1 GiB", path);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (buf)
		got = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return pack_error(err, errlen, "%s: cannot read the file", path);
	}
	ret = sgxemu_pack_elf_mem(buf, got, opts, out, layout, reason, sizeof(reason));
	if (ret)
		pack_error(err, errlen, "%s: %s", path, reason);
	free(buf);
	return ret;
}
