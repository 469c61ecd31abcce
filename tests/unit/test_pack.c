/* SPDX-License-Identifier: MIT */
/*
 * The packer (include/sgxemu/pack.h) on the project's own test enclave: the stream it writes is
 * read back with the strict SGXS reader and every page is checked against the layout contract
 * (which pages exist, their SECINFO, measured or not, the TLS and TCS contents, SIZE), its
 * MRENCLAVE is recomputed independently, and malformed ELF images are refused with the reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cpuid.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sgxemu/arch.h>
#include <sgxemu/enclave_tls.h>
#include <sgxemu/pack.h>
#include <sgxemu/sgxs.h>

#include "cpu/measure.h"

#define PAGE 4096ULL
#define ELF_PATH SGXEMU_BUILD_DIR "/enclave/test_enclave.elf"

static uint8_t *elf_image;
static size_t elf_len;

static int load_elf(void **state)
{
	FILE *f = fopen(ELF_PATH, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	elf_image = malloc((size_t)n);
	elf_len = fread(elf_image, 1, (size_t)n, f);
	fclose(f);
	return elf_len == (size_t)n ? 0 : -1;
}

static int free_elf(void **state)
{
	free(elf_image);
	return 0;
}

/* A packed stream in memory. */
struct packed {
	char *buf;
	size_t len;
	struct sgxemu_pack_layout layout;
	char err[512];
	int ret;
};

static void pack(struct packed *p, const void *image, size_t len,
		 const struct sgxemu_pack_options *opts)
{
	FILE *out = open_memstream(&p->buf, &p->len);

	assert_non_null(out);
	memset(&p->layout, 0, sizeof(p->layout));
	p->err[0] = 0;
	p->ret = sgxemu_pack_elf_mem(image, len, opts, out, &p->layout, p->err, sizeof(p->err));
	fclose(out);
}

static void packed_free(struct packed *p)
{
	sgxemu_pack_layout_free(&p->layout);
	free(p->buf);
}

static const Elf64_Phdr *phdrs(const uint8_t *image)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;

	return (const Elf64_Phdr *)(image + eh->e_phoff);
}

/* What a page must be, from the layout contract. */
struct expect {
	uint64_t flags;
	int measured;
	const uint8_t *data; /* NULL: zero */
};

static int in(uint64_t off, uint64_t start, uint64_t size)
{
	return off >= start && off < start + size;
}

static void test_layout_and_pages(void **state)
{
	struct sgxemu_pack_options o;
	struct packed p;
	struct sgxemu_sgxs_reader *r;
	struct sgxemu_sgxs_page *page = malloc(sizeof(*page));
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf_image;
	uint8_t mr_stream[32], mr_indep[32], expected[PAGE];
	struct sgx_measurement m;
	uint64_t seen = 0, next = 0;
	char err[256];
	int ret;

	sgxemu_pack_options_default(&o);
	o.threads = 3;
	o.stack_size = 5 * PAGE;
	o.guard_size = 2 * PAGE;
	o.heap_size = 7 * PAGE;
	o.nssa = 3;
	o.reserve_size = 1 << 20;
	pack(&p, elf_image, elf_len, &o);
	assert_int_equal(p.ret, 0);

	/* SIZE: the next power of two >= image end + reserve. */
	assert_true(p.layout.size >= p.layout.image_end + o.reserve_size);
	assert_true(p.layout.size / 2 < p.layout.image_end + o.reserve_size);
	assert_int_equal(p.layout.size & (p.layout.size - 1), 0);
	assert_int_equal(p.layout.nssa, 3);
	assert_int_equal(p.layout.entry, eh->e_entry);
	assert_int_equal(p.layout.heap, p.layout.elf_end);
	assert_int_equal(p.layout.nr_threads, 3);
	assert_true(p.layout.relocations > 0);

	r = sgxemu_sgxs_open_mem(p.buf, p.len, SGXEMU_SGXS_MEASURE, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(sgxemu_sgxs_info(r)->size, p.layout.size);
	assert_int_equal(sgxemu_sgxs_info(r)->ssa_frame_size, p.layout.ssa_frame_size);

	sgx_measure_init(&m);
	sgx_measure_ecreate(&m, p.layout.ssa_frame_size, p.layout.size);

	while ((ret = sgxemu_sgxs_next_page(r, page, err, sizeof(err))) == 1) {
		struct expect e = { 0 };
		uint64_t off = page->offset;
		int found = 0;

		/* ELF segments: permissions from p_flags, contents from the file, fully measured. */
		for (int i = 0; i < eh->e_phnum; i++) {
			const Elf64_Phdr *ph = &phdrs(elf_image)[i];
			uint64_t lo = ph->p_vaddr & ~(PAGE - 1);

			if (ph->p_type != PT_LOAD || !in(off, lo, ph->p_vaddr + ph->p_memsz - lo))
				continue;
			found = 1;
			e.flags = SGX_SECINFO_REG | ((ph->p_flags & PF_R) ? SGX_SECINFO_R : 0) |
				  ((ph->p_flags & PF_W) ? SGX_SECINFO_W : 0) |
				  ((ph->p_flags & PF_X) ? SGX_SECINFO_X : 0);
			e.measured = 1;
			memset(expected, 0, sizeof(expected));
			for (uint64_t a = off; a < off + PAGE; a++)
				if (a >= ph->p_vaddr && a < ph->p_vaddr + ph->p_filesz)
					expected[a - off] =
						elf_image[ph->p_offset + a - ph->p_vaddr];
			e.data = expected;
		}
		if (in(off, p.layout.heap, p.layout.heap_size)) {
			found = 1;
			e.flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
		}
		for (unsigned int t = 0; t < 3; t++) {
			const struct sgxemu_pack_thread *th = &p.layout.threads[t];
			uint64_t ssa_size = 3ULL * p.layout.ssa_frame_size * PAGE;

			assert_false(in(off, th->guard, o.guard_size)); /* the gap has no page */
			assert_int_equal(th->stack, th->guard + o.guard_size);
			assert_int_equal(th->tls, th->stack + o.stack_size);
			if (in(off, th->stack, o.stack_size) || in(off, th->ssa, ssa_size)) {
				found = 1;
				e.flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
			}
			if (off == th->tls) {
				const struct sgxemu_tls *tls = (const void *)page->data;

				found = 1;
				e.flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
				e.measured = 1;
				e.data = page->data;
				assert_int_equal(tls->magic, SGXEMU_TLS_MAGIC);
				assert_int_equal(tls->thread_index, t);
				assert_int_equal(tls->nr_threads, 3);
				assert_int_equal(tls->self, th->tls);
				assert_int_equal(tls->tcs, th->tcs);
				assert_int_equal(tls->ssa, th->ssa);
				assert_int_equal(tls->stack_top, th->tls);
				assert_int_equal(tls->stack_bottom, th->stack);
				assert_int_equal(tls->heap, p.layout.heap);
				assert_int_equal(tls->heap_size, o.heap_size);
				assert_int_equal(tls->image_end, p.layout.image_end);
				assert_int_equal(tls->enclave_size, p.layout.size);
				assert_int_equal(tls->nssa, 3);
				assert_int_equal(tls->ssa_frame_size, p.layout.ssa_frame_size);
				for (size_t k = sizeof(*tls); k < PAGE; k++)
					assert_int_equal(page->data[k], 0);
			}
			if (off == th->tcs) {
				const struct sgx_tcs *tcs = (const void *)page->data;

				found = 1;
				e.flags = SGX_SECINFO_TCS;
				e.measured = 1;
				e.data = page->data;
				assert_int_equal(tcs->state, 0);
				assert_int_equal(tcs->flags, 0);
				assert_int_equal(tcs->ossa, th->ssa);
				assert_int_equal(th->ssa, th->tcs + PAGE);
				assert_int_equal(tcs->cssa, 0);
				assert_int_equal(tcs->nssa, 3);
				assert_int_equal(tcs->oentry, eh->e_entry);
				assert_int_equal(tcs->ofsbase, th->tls);
				assert_int_equal(tcs->ogsbase, th->tls);
				assert_int_equal(tcs->fslimit, 0xFFF);
				assert_int_equal(tcs->gslimit, 0xFFF);
			}
		}
		assert_true(found);
		assert_true(off >= next); /* ascending */
		next = off + PAGE;
		assert_true(off < p.layout.image_end);
		assert_int_equal(page->secinfo_flags, e.flags);
		assert_int_equal(page->measured, e.measured ? 0xFFFF : 0);
		assert_int_equal(page->loaded, e.measured ? 0xFFFF : 0);
		if (e.data)
			assert_memory_equal(page->data, e.data, PAGE);
		else
			for (size_t k = 0; k < PAGE; k++)
				assert_int_equal(page->data[k], 0);

		sgx_measure_eadd(&m, off, page->secinfo_flags);
		for (unsigned int c = 0; e.measured && c < 16; c++)
			sgx_measure_eextend(&m, off + 256 * c, page->data + 256 * c);
		seen++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(seen, p.layout.pages);
	assert_int_equal(sgxemu_sgxs_mrenclave(r, mr_stream, err, sizeof(err)), 0);
	sgxemu_sgxs_close(r);

	/* MRENCLAVE: the packer's, the stream reader's, and an independent EADD/EEXTEND replay. */
	sgx_measure_final(&m, mr_indep);
	assert_memory_equal(p.layout.mrenclave, mr_stream, 32);
	assert_memory_equal(p.layout.mrenclave, mr_indep, 32);
	/* A plain stream: SHA-256 of the whole file is MRENCLAVE. */
	{
		uint8_t sha[32];

		SHA256((const unsigned char *)p.buf, p.len, sha);
		assert_memory_equal(sha, mr_stream, 32);
	}
	free(page);
	packed_free(&p);
}

static void test_deterministic_and_option_sensitive(void **state)
{
	struct sgxemu_pack_options o;
	struct packed a, b, c;

	sgxemu_pack_options_default(&o);
	pack(&a, elf_image, elf_len, &o);
	pack(&b, elf_image, elf_len, &o);
	assert_int_equal(a.ret, 0);
	assert_int_equal(b.ret, 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.buf, b.buf, a.len);
	o.heap_size += PAGE;
	pack(&c, elf_image, elf_len, &o);
	assert_int_equal(c.ret, 0);
	assert_memory_not_equal(a.layout.mrenclave, c.layout.mrenclave, 32);
	/* Defaults: one thread, NSSA 2. */
	assert_int_equal(a.layout.nr_threads, 1);
	assert_int_equal(a.layout.nssa, 2);
	packed_free(&a);
	packed_free(&b);
	packed_free(&c);
}

static void test_entry_symbol(void **state)
{
	struct sgxemu_pack_options o;
	struct packed p;

	sgxemu_pack_options_default(&o);
	o.entry = "te_fault_trigger";
	pack(&p, elf_image, elf_len, &o);
	assert_int_equal(p.ret, 0);
	assert_int_not_equal(p.layout.entry, ((const Elf64_Ehdr *)elf_image)->e_entry);
	packed_free(&p);

	o.entry = "no_such_symbol";
	pack(&p, elf_image, elf_len, &o);
	assert_int_equal(p.ret, -1);
	assert_non_null(strstr(p.err, "'no_such_symbol' is not defined"));
	packed_free(&p);

	/* A data symbol is not an entry point. */
	o.entry = "te_buffer";
	pack(&p, elf_image, elf_len, &o);
	assert_int_equal(p.ret, -1);
	assert_non_null(strstr(p.err, "not in an executable segment"));
	packed_free(&p);
}

/* XSAVE size of XFRM from CPUID leaf 0xD, computed here the plain way. */
static uint64_t xsave_size(uint64_t xfrm)
{
	uint64_t size = 576;

	for (unsigned int i = 2; i < 64; i++) {
		unsigned int a, b, c, d;

		if (!(xfrm & (1ULL << i)))
			continue;
		__cpuid_count(0xD, i, a, b, c, d);
		if (b + a > size)
			size = b + a;
	}
	return size;
}

static void test_ssa_frame_size(void **state)
{
	uint64_t host = sgxemu_host_xcr0();
	uint32_t pages;
	char err[256];

	assert_int_equal(sgxemu_pack_ssa_frame_size(0x3, &pages, err, sizeof(err)), 0);
	assert_int_equal(pages, 1); /* 576 + 16 + 184 */
	assert_int_equal(sgxemu_pack_ssa_frame_size(host, &pages, err, sizeof(err)), 0);
	assert_int_equal(pages, (xsave_size(host) + 200 + 4095) / 4096);
	assert_int_equal(sgxemu_pack_ssa_frame_size(0x1, &pages, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "x87 and SSE"));
	/* Bit 62 is no state component of any CPU (CPUID 0xD answers zeros). */
	assert_int_equal(sgxemu_pack_ssa_frame_size(0x3 | (1ULL << 62), &pages, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "bit 62"));
}

static void test_explicit_ssa_frame_size(void **state)
{
	struct sgxemu_pack_options o;
	struct packed p;

	sgxemu_pack_options_default(&o);
	o.ssa_frame_size = 3;
	o.nssa = 4;
	pack(&p, elf_image, elf_len, &o);
	assert_int_equal(p.ret, 0);
	assert_int_equal(p.layout.ssa_frame_size, 3);
	assert_int_equal(p.layout.image_end, p.layout.threads[0].ssa + 12 * PAGE);
	packed_free(&p);
}

static void expect_option_error(const struct sgxemu_pack_options *o, const char *needle)
{
	struct packed p;

	pack(&p, elf_image, elf_len, o);
	assert_int_equal(p.ret, -1);
	if (!strstr(p.err, needle))
		fail_msg("error '%s' does not mention '%s'", p.err, needle);
	packed_free(&p);
}

static void test_bad_options(void **state)
{
	struct sgxemu_pack_options o;

	sgxemu_pack_options_default(&o);
	o.nssa = 1;
	expect_option_error(&o, "NSSA must be at least 2");
	sgxemu_pack_options_default(&o);
	o.threads = 0;
	expect_option_error(&o, "threads");
	sgxemu_pack_options_default(&o);
	o.stack_size = 1000;
	expect_option_error(&o, "stack size");
	sgxemu_pack_options_default(&o);
	o.heap_size = 100;
	expect_option_error(&o, "multiples of 4096");
	sgxemu_pack_options_default(&o);
	o.xfrm = 0x2;
	expect_option_error(&o, "x87 and SSE");
}

/* --- malformed images: each a copy of the good one with one thing wrong ------------------- */

static uint8_t *copy_image(void)
{
	uint8_t *c = malloc(elf_len);

	memcpy(c, elf_image, elf_len);
	return c;
}

static Elf64_Phdr *phdr_of(uint8_t *image, uint32_t type, uint32_t flags)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;

	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(image + eh->e_phoff) + i;

		if (ph->p_type == type && (!flags || ph->p_flags == flags))
			return ph;
	}
	fail_msg("no program header of type %u", type);
	return NULL;
}

/* The file offset of vaddr in the image's file-backed segments. */
static uint64_t file_offset(uint8_t *image, uint64_t vaddr)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;

	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(image + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr < ph->p_vaddr + ph->p_filesz)
			return ph->p_offset + vaddr - ph->p_vaddr;
	}
	fail_msg("0x%llx is not file-backed", (unsigned long long)vaddr);
	return 0;
}

static Elf64_Dyn *dyn_entry(uint8_t *image, int64_t tag)
{
	Elf64_Phdr *dyn = phdr_of(image, PT_DYNAMIC, 0);
	Elf64_Dyn *d = (Elf64_Dyn *)(image + dyn->p_offset);

	for (; d->d_tag != DT_NULL; d++)
		if (d->d_tag == tag)
			return d;
	fail_msg("no dynamic entry %lld", (long long)tag);
	return NULL;
}

static Elf64_Rela *first_rela(uint8_t *image)
{
	return (Elf64_Rela *)(image + file_offset(image, dyn_entry(image, DT_RELA)->d_un.d_ptr));
}

static void expect_refused(uint8_t *image, size_t len, const char *needle)
{
	struct packed p;

	pack(&p, image, len, NULL);
	assert_int_equal(p.ret, -1);
	if (!strstr(p.err, needle))
		fail_msg("error '%s' does not mention '%s'", p.err, needle);
	packed_free(&p);
	free(image);
}

static void test_refuses_malformed_images(void **state)
{
	uint8_t *c;

	c = copy_image();
	memcpy(c,
	       "\x7f"
	       "ELX",
	       4);
	expect_refused(c, elf_len, "not an ELF file");

	c = copy_image();
	expect_refused(c, 10, "not an ELF file");

	c = copy_image();
	c[EI_CLASS] = ELFCLASS32;
	expect_refused(c, elf_len, "not a 64-bit little-endian");

	c = copy_image();
	((Elf64_Ehdr *)c)->e_machine = EM_386;
	expect_refused(c, elf_len, "not an x86-64 image");

	c = copy_image();
	((Elf64_Ehdr *)c)->e_type = ET_EXEC;
	expect_refused(c, elf_len, "ET_EXEC");

	c = copy_image();
	((Elf64_Ehdr *)c)->e_type = ET_REL;
	expect_refused(c, elf_len, "not an executable image");

	c = copy_image();
	phdr_of(c, PT_GNU_STACK, 0)->p_type = PT_INTERP;
	expect_refused(c, elf_len, "PT_INTERP");

	c = copy_image();
	phdr_of(c, PT_GNU_STACK, 0)->p_type = PT_TLS;
	expect_refused(c, elf_len, "PT_TLS");

	c = copy_image();
	phdr_of(c, PT_LOAD, PF_R | PF_W)->p_flags = PF_W;
	expect_refused(c, elf_len, "writable but not readable");

	c = copy_image();
	phdr_of(c, PT_LOAD, PF_R | PF_X)->p_flags = 0;
	expect_refused(c, elf_len, "no permissions");

	c = copy_image();
	{
		Elf64_Phdr *ph = phdr_of(c, PT_LOAD, PF_R | PF_W);

		ph->p_filesz = ph->p_memsz + 1;
	}
	expect_refused(c, elf_len, "p_filesz > p_memsz");

	/* Truncated in the middle of the data segment. */
	c = copy_image();
	expect_refused(c, phdr_of(c, PT_LOAD, PF_R | PF_W)->p_offset + 16, "past the end");

	/* The text segment moved into the page of the first one. */
	c = copy_image();
	phdr_of(c, PT_LOAD, PF_R | PF_X)->p_vaddr = 0x100;
	expect_refused(c, elf_len, "share a page");

	c = copy_image();
	phdr_of(c, PT_LOAD, PF_R | PF_X)->p_vaddr = 1ULL << 41;
	expect_refused(c, elf_len, "beyond 1 TiB");

	c = copy_image();
	((Elf64_Ehdr *)c)->e_entry = 0;
	expect_refused(c, elf_len, "not in an executable segment");

	c = copy_image();
	first_rela(c)->r_info = ELF64_R_INFO(0, R_X86_64_64);
	expect_refused(c, elf_len, "R_X86_64_64");

	c = copy_image();
	first_rela(c)->r_info = ELF64_R_INFO(0, R_X86_64_JUMP_SLOT);
	expect_refused(c, elf_len, "only R_X86_64_RELATIVE is supported");

	/* A relocation into the text segment is a text relocation. */
	c = copy_image();
	first_rela(c)->r_offset = phdr_of(c, PT_LOAD, PF_R | PF_X)->p_vaddr;
	expect_refused(c, elf_len, "read-only segment");

	c = copy_image();
	first_rela(c)->r_offset = 1ULL << 39;
	expect_refused(c, elf_len, "outside every loaded segment");

	c = copy_image();
	dyn_entry(c, DT_DEBUG)->d_tag = DT_NEEDED;
	expect_refused(c, elf_len, "DT_NEEDED");

	c = copy_image();
	dyn_entry(c, DT_DEBUG)->d_tag = DT_TEXTREL;
	expect_refused(c, elf_len, "text relocations");

	c = copy_image();
	dyn_entry(c, DT_DEBUG)->d_tag = DT_JMPREL;
	expect_refused(c, elf_len, "PLT relocations");

	c = copy_image();
	dyn_entry(c, DT_DEBUG)->d_tag = DT_REL;
	expect_refused(c, elf_len, "DT_REL");

	c = copy_image();
	dyn_entry(c, DT_RELAENT)->d_un.d_val = 16;
	expect_refused(c, elf_len, "DT_RELAENT");

	c = copy_image();
	dyn_entry(c, DT_RELASZ)->d_un.d_val += 1;
	expect_refused(c, elf_len, "DT_RELASZ");
}

static void test_file_errors_name_the_file(void **state)
{
	char *buf = NULL, err[512];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(
		sgxemu_pack_elf_file("/nonexistent/enclave.elf", NULL, out, NULL, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "/nonexistent/enclave.elf"));
	assert_int_equal(sgxemu_pack_elf_file(ELF_PATH, NULL, out, NULL, err, sizeof(err)), 0);
	fclose(out);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_pages),
		cmocka_unit_test(test_deterministic_and_option_sensitive),
		cmocka_unit_test(test_entry_symbol),
		cmocka_unit_test(test_ssa_frame_size),
		cmocka_unit_test(test_explicit_ssa_frame_size),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_refuses_malformed_images),
		cmocka_unit_test(test_file_errors_name_the_file),
	};

	return cmocka_run_group_tests(tests, load_elf, free_elf);
}
