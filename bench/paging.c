// SPDX-License-Identifier: MIT
/*
 * The reclaimer's figures, on the test enclave running natively with its heap larger than the
 * EPC. A sweep over a heap that does not fit faults on every page (each page it needs next is the
 * oldest one on the LRU, so it went out first): every access is an AEX, the fault path's ELDU
 * (the SECS stays in), an ERESUME, and, on ksgxd's side, a zap, EBLOCK and EWB of the page the
 * EPC gives up for it.
 *
 * paging_pages_s: faults served per second in that steady state, heap four times the EPC
 *   (16 MiB of EPC). Time is the process's CPU time (the faulting thread and ksgxd together), so
 *   that a loaded machine does not count against it and a second core does not count for it.
 *   The limit, measured in the same run and on the same clock, is what one fault and one
 *   eviction cannot avoid here: GCM seal of 4 KiB (EWB), a hole punched in a memfd (the evicted
 *   page stops using memory, and its PTE goes with it), the SIGBUS round trip of touching it
 *   (userfaultfd, as the runtime), GCM open (ELDU), the pwrite filling the page back and the
 *   UFFDIO_CONTINUE mapping it, plus the four FS/GS base writes of an AEX and an ERESUME.
 *
 * paging_scaling: the CPU cost of a fault with a 4 GiB EPC over its cost with 64 MiB. Sweeping a
 *   heap four times a 4 GiB EPC would take many minutes, so both sides measure windows of 8192
 *   pages that are out, with the rest of the EPC full of colder pages of the same enclave (see
 *   measure_windows). The limit is 1: nothing in a fault should depend on the EPC's size.
 *
 * Every sweep verifies the pages' contents, and the ELDU counter must account for every page of
 * a timed sweep, so neither a wrong answer nor a sweep that did not fault can score.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <sgxemu/config.h>
#include <sgxemu/loader.h>
#include <sgxemu/pack.h>
#include <sgxemu/sgxemu.h>
#include <sgxemu/sign.h>

#include "bench.h"

#define PAGE 4096UL
#define ROUNDS 5
/* Pages per timed sweep of the scaling figure (the pages/s figure sweeps its whole heap). */
#define SCALING_SWEEP 8192

/* --- the test enclave with a heap of a chosen size ------------------------------------------ */

static const struct sgxemu_loader_ops *paging_ops(void);

static struct sgxemu_enclave *load_with_heap(uint64_t heap_size, char *err, size_t errlen)
{
	static EVP_PKEY *key;
	struct sgxemu_pack_options pack;
	struct sgxemu_pack_layout layout;
	struct sgxemu_load_params params = { .ops = paging_ops() };
	struct sgxemu_sign_fields fields;
	struct sgx_sigstruct sig;
	struct sgxemu_enclave *e = NULL;
	char *stream = NULL;
	size_t stream_len = 0;
	FILE *out;
	int ret;

	if (!key)
		key = sgxemu_generate_signing_key();
	if (!key) {
		snprintf(err, errlen, "cannot make a signing key");
		return NULL;
	}
	sgxemu_pack_options_default(&pack);
	pack.heap_size = heap_size;
	out = open_memstream(&stream, &stream_len);
	if (!out) {
		snprintf(err, errlen, "open_memstream: %s", strerror(errno));
		return NULL;
	}
	ret = sgxemu_pack_elf_file(SGXEMU_BUILD_DIR "/enclave/test_enclave.elf", &pack, out,
				   &layout, err, errlen);
	fclose(out);
	if (ret)
		goto out;
	sgxemu_sign_fields_default(&fields, true);
	fields.attributes.xfrm = pack.xfrm;
	ret = sgxemu_sign(&fields, layout.mrenclave, key, &sig, err, errlen);
	sgxemu_pack_layout_free(&layout);
	if (ret)
		goto out;
	params.sgxs = stream;
	params.sgxs_len = stream_len;
	params.sigstruct = &sig;
	if (sgxemu_enclave_load(&params, &e, err, errlen))
		e = NULL;
out:
	free(stream);
	return e;
}

static int ops_open(void *ctx, const char *path, int flags)
{
	return sgxemu_open(path, flags);
}

static int ops_ioctl(void *ctx, int fd, unsigned long request, void *arg)
{
	return sgxemu_ioctl(fd, request, arg);
}

static void *ops_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return sgxemu_mmap(addr, len, prot, flags, fd, off);
}

static int ops_mprotect(void *ctx, void *addr, size_t len, int prot)
{
	return sgxemu_mprotect(addr, len, prot);
}

static int ops_munmap(void *ctx, void *addr, size_t len)
{
	return sgxemu_munmap(addr, len);
}

static int ops_close(void *ctx, int fd)
{
	return sgxemu_close(fd);
}

static const struct sgxemu_loader_ops *paging_ops(void)
{
	static const struct sgxemu_loader_ops ops = {
		.open = ops_open,
		.ioctl = ops_ioctl,
		.mmap = ops_mmap,
		.mprotect = ops_mprotect,
		.munmap = ops_munmap,
		.close = ops_close,
	};

	return &ops;
}

/* --- sweeps ---------------------------------------------------------------------------------- */

static double process_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t pages_loaded(void)
{
	struct sgxemu_stats s;

	return sgxemu_stats(&s) ? 0 : s.pages_loaded;
}

struct sweep {
	struct sgxemu_enclave *e;
	uint64_t first, npages; /* heap pages [first, first + npages) */
	uint64_t seed;
	double best_ns; /* process CPU per fault, best sweep */
	int failed;
	char err[160];
};

static void sweep_fail(struct sweep *s, const char *what)
{
	if (!s->failed)
		snprintf(s->err, sizeof(s->err), "%s", what);
	s->failed = 1;
}

static int64_t touch(struct sweep *s, uint32_t mode, uint64_t *mismatches)
{
	struct te_args args;
	int64_t status;

	memset(&args, 0, sizeof(args));
	args.u.touch.addr = s->e->heap + s->first * PAGE;
	args.u.touch.npages = s->npages;
	args.u.touch.seed = s->seed;
	args.u.touch.mode = mode;
	status = bench_ecall(s->e, TE_OP_TOUCH, &args);
	if (status == TE_OK && args.u.touch.pages_done != s->npages)
		status = -1;
	*mismatches = args.u.touch.mismatches;
	return status;
}

/*
 * One timed sweep (mode) over the pages: CPU per fault. Every page must have been loaded (the
 * sweep faults on all of them), else nothing was measured.
 */
static void timed_sweep(struct sweep *s, uint32_t mode)
{
	uint64_t mismatches, loaded = pages_loaded();
	double t0 = process_cpu_seconds(), t;

	if (touch(s, mode, &mismatches) != TE_OK || mismatches) {
		sweep_fail(s, "the enclave's pages did not verify");
		return;
	}
	t = process_cpu_seconds() - t0;
	loaded = pages_loaded() - loaded;
	if (loaded < s->npages) {
		sweep_fail(s, "the sweep did not fault on every page: nothing was measured");
		return;
	}
	t = t / (double)loaded * 1e9;
	if (!s->best_ns || t < s->best_ns)
		s->best_ns = t;
}

/* A platform with epc bytes of EPC and the enclave with heap bytes of heap in it. */
static struct sgxemu_enclave *setup(uint64_t epc, uint64_t heap, char *err, size_t errlen)
{
	struct sgxemu_config config;
	struct sgxemu_enclave *e;
	char size[32];

	sgxemu_shutdown();
	sgxemu_config_defaults(&config);
	snprintf(size, sizeof(size), "%lluK", (unsigned long long)(epc >> 10));
	if (sgxemu_config_set(&config, "epc", size, err, errlen) || sgxemu_boot(&config)) {
		if (!*err)
			snprintf(err, errlen, "cannot boot a platform with %s of EPC", size);
		return NULL;
	}
	e = load_with_heap(heap, err, errlen);
	if (e && e->heap_size < heap) {
		snprintf(err, errlen, "the heap is smaller than asked");
		sgxemu_enclave_unload(e);
		e = NULL;
	}
	return e;
}

/* The process's default platform goes with the enclave (the next figure boots its own). */
static void teardown(struct sgxemu_enclave *e)
{
	if (e)
		sgxemu_enclave_unload(e);
	sgxemu_shutdown();
}

/*
 * paging_pages_s's measurement: heap four times the EPC, written once, then ROUNDS timed sweeps
 * over all of it that verify every page.
 */
static int measure_steady(uint64_t epc, double *ns_per_fault, char *err, size_t errlen)
{
	struct sweep s = { .npages = 4 * epc / PAGE, .seed = 0x5eed };
	uint64_t mismatches;
	int ret = -1;

	s.e = setup(epc, 4 * epc, err, errlen);
	if (!s.e)
		goto out;
	if (touch(&s, TE_TOUCH_WRITE, &mismatches) != TE_OK) {
		snprintf(err, errlen, "writing the pattern failed");
		goto out;
	}
	for (unsigned int i = 0; i < ROUNDS && !s.failed; i++)
		timed_sweep(&s, TE_TOUCH_VERIFY);
	if (s.failed) {
		snprintf(err, errlen, "%s", s.err);
		goto out;
	}
	*ns_per_fault = s.best_ns;
	ret = 0;
out:
	teardown(s.e);
	return ret;
}

/*
 * paging_scaling's measurement, with an EPC too large to sweep through in a benchmark: the heap
 * is the EPC plus ROUNDS windows of SCALING_SWEEP pages. Built in order, the EPC holds the end of
 * the heap; the windows at its start are out. Each timed sweep writes one window (a fault on every
 * page, and ksgxd evicting the coldest pages of the EPC for them), then an untimed one verifies it.
 */
static int measure_windows(uint64_t epc, double *ns_per_fault, char *err, size_t errlen)
{
	uint64_t extra = (uint64_t)ROUNDS * SCALING_SWEEP * PAGE;
	struct sweep s = { .npages = SCALING_SWEEP, .seed = 0x5ca1e };
	uint64_t mismatches;
	int ret = -1;

	s.e = setup(epc, epc + extra, err, errlen);
	if (!s.e)
		goto out;
	for (unsigned int i = 0; i < ROUNDS && !s.failed; i++) {
		s.first = (uint64_t)i * SCALING_SWEEP;
		timed_sweep(&s, TE_TOUCH_WRITE);
		if (!s.failed && (touch(&s, TE_TOUCH_VERIFY, &mismatches) != TE_OK || mismatches))
			sweep_fail(&s, "the enclave's pages did not verify");
	}
	if (s.failed) {
		snprintf(err, errlen, "%s", s.err);
		goto out;
	}
	*ns_per_fault = s.best_ns;
	ret = 0;
out:
	teardown(s.e);
	return ret;
}

/* --- the limit ------------------------------------------------------------------------------- */

#define LIMIT_PAGES 256

struct paging_limit {
	int uffd, memfd;
	uint8_t *region;
	EVP_CIPHER_CTX *enc, *dec;
	uint8_t *plain, *cipher, *page;
	uint8_t aad[128], tag[16], iv[12];
	int failed;
};

static struct paging_limit *the_limit; /* for the signal handler */

/* A fault on a hole: open the blob (ELDU's GCM pass), fill the page, map it. */
static void limit_fault(int sig, siginfo_t *info, void *ucv)
{
	struct paging_limit *l = the_limit;
	uint64_t addr = (uint64_t)info->si_addr & ~(PAGE - 1);
	struct uffdio_continue c = { .range = { .start = addr, .len = PAGE } };
	int len, ok;

	ok = EVP_DecryptInit_ex(l->dec, NULL, NULL, NULL, l->iv);
	ok &= EVP_DecryptUpdate(l->dec, NULL, &len, l->aad, sizeof(l->aad));
	ok &= EVP_DecryptUpdate(l->dec, l->page, &len, l->cipher, PAGE);
	ok &= EVP_CIPHER_CTX_ctrl(l->dec, EVP_CTRL_GCM_SET_TAG, 16, l->tag);
	ok &= EVP_DecryptFinal_ex(l->dec, l->page + len, &len) > 0;
	if (!ok)
		l->failed = 1;
	if (pwrite(l->memfd, l->page, PAGE, (off_t)(addr - (uint64_t)l->region)) != PAGE ||
	    (ioctl(l->uffd, UFFDIO_CONTINUE, &c) && errno != EEXIST))
		_exit(99); /* the limit cannot be measured; never loop on the fault */
}

/* LIMIT_PAGES evictions and faults, one page at a time. */
static void limit_round(void *arg)
{
	struct paging_limit *l = arg;
	struct bench_signal_saved saved;

	if (bench_signal_swap(SIGBUS, limit_fault, &saved)) {
		l->failed = 1;
		return;
	}
	for (unsigned int i = 0; i < LIMIT_PAGES; i++) {
		int len, ok;

		/* EWB's GCM pass over the page, then the page leaves memory. */
		l->iv[0] = (uint8_t)i;
		ok = EVP_EncryptInit_ex(l->enc, NULL, NULL, NULL, l->iv);
		ok &= EVP_EncryptUpdate(l->enc, NULL, &len, l->aad, sizeof(l->aad));
		ok &= EVP_EncryptUpdate(l->enc, l->cipher, &len, l->region + i * PAGE, PAGE);
		ok &= EVP_EncryptFinal_ex(l->enc, l->cipher + len, &len);
		ok &= EVP_CIPHER_CTX_ctrl(l->enc, EVP_CTRL_GCM_GET_TAG, 16, l->tag);
		if (!ok || fallocate(l->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				     (off_t)(i * PAGE), PAGE)) {
			l->failed = 1;
			break;
		}
		/* The next access: SIGBUS, open, fill, map. */
		(void)*(volatile uint64_t *)(l->region + i * PAGE);
	}
	bench_signal_restore(&saved);
}

static void nothing(void *arg)
{
}

static int limit_init(struct paging_limit *l)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_SHMEM };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING |
					       UFFDIO_REGISTER_MODE_MINOR };
	uint8_t key[16];

	l->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	l->memfd = memfd_create("bench-paging-limit", MFD_CLOEXEC);
	if (l->uffd < 0 || l->memfd < 0 || ioctl(l->uffd, UFFDIO_API, &api) ||
	    ftruncate(l->memfd, LIMIT_PAGES * PAGE))
		return -1;
	l->region = mmap(NULL, LIMIT_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, l->memfd, 0);
	if (l->region == MAP_FAILED)
		return -1;
	memset(l->region, 0x5a, LIMIT_PAGES * PAGE);
	reg.range.start = (uint64_t)l->region;
	reg.range.len = LIMIT_PAGES * PAGE;
	if (ioctl(l->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	l->enc = EVP_CIPHER_CTX_new();
	l->dec = EVP_CIPHER_CTX_new();
	l->cipher = aligned_alloc(PAGE, PAGE);
	l->page = aligned_alloc(PAGE, PAGE);
	if (!l->enc || !l->dec || !l->cipher || !l->page || RAND_bytes(key, sizeof(key)) != 1 ||
	    !EVP_EncryptInit_ex(l->enc, EVP_aes_128_gcm(), NULL, key, NULL) ||
	    !EVP_DecryptInit_ex(l->dec, EVP_aes_128_gcm(), NULL, key, NULL))
		return -1;
	return 0;
}

static void limit_free(struct paging_limit *l)
{
	if (l->region && l->region != MAP_FAILED)
		munmap(l->region, LIMIT_PAGES * PAGE);
	if (l->memfd >= 0)
		close(l->memfd);
	if (l->uffd >= 0)
		close(l->uffd);
	EVP_CIPHER_CTX_free(l->enc);
	EVP_CIPHER_CTX_free(l->dec);
	free(l->cipher);
	free(l->page);
}

/* ns per eviction + fault at the physical floor (thread CPU, best of ROUNDS). */
static int limit_ns(double *ns, char *err, size_t errlen)
{
	struct paging_limit l = { .uffd = -1, .memfd = -1 };
	double t, unused;
	int ret = -1;

	the_limit = &l;
	if (limit_init(&l)) {
		snprintf(err, errlen, "the limit's setup failed: %s", strerror(errno));
		goto out;
	}
	limit_round(&l); /* the first round pays for the page cache and the contexts */
	bench_best_of_cpu(ROUNDS, limit_round, nothing, &l, &t, &unused);
	if (l.failed) {
		snprintf(err, errlen, "the limit's round failed");
		goto out;
	}
	*ns = t / LIMIT_PAGES * 1e9 + bench_base_writes_ns();
	ret = 0;
out:
	limit_free(&l);
	return ret;
}

/* --- the figures ----------------------------------------------------------------------------- */

#define PAGES_S_EPC (16ULL << 20)

static int run_pages_s(struct bench_result *result, char *err, size_t errlen)
{
	double ns = 0, limit = 0;

	if (measure_steady(PAGES_S_EPC, &ns, err, errlen) || limit_ns(&limit, err, errlen))
		return -1;
	result->value = 1e9 / ns;
	result->limit = 1e9 / limit;
	return 0;
}

static int run_scaling(struct bench_result *result, char *err, size_t errlen)
{
	double ns_small, ns_large;

	if (measure_windows(64ULL << 20, &ns_small, err, errlen) ||
	    measure_windows(4ULL << 30, &ns_large, err, errlen))
		return -1;
	result->value = ns_large / ns_small;
	result->limit = 1.0;
	return 0;
}

const struct bench_figure bench_paging_pages_s = {
	.name = "paging_pages_s",
	.unit = "pages/s",
	.description = "faults served per CPU second, heap 4x a 16 MiB EPC (AEX, ELDU, ERESUME, "
		       "ksgxd's EWB) vs GCM seal + punch + SIGBUS/pwrite/UFFDIO_CONTINUE + GCM "
		       "open + 4 FS/GS base writes",
	.run = run_pages_s,
};

const struct bench_figure bench_paging_scaling = {
	.name = "paging_scaling",
	.unit = "x",
	.lower_is_better = true,
	.description = "CPU per fault with a 4 GiB EPC over the same with 64 MiB (a full EPC, "
		       "windows of 8192 evicted pages) vs 1",
	.run = run_scaling,
};
