/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_ADD_PAGES through sgxemu_ioctl: the errno rows of ref §1.5 (those staged
 * against a reclaimer in flight are in test_reclaim_errnos), the partial-progress `count`, the read-only-struct EINVAL-vs-EFAULT distinction, the
 * VM_MAYEXEC rule, and that every failure leaves the EPC accounted for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "kernel/encl.h"
#include "kernel/vma.h"
#include "kernel_fixture.h"

struct ctx {
	struct sgx_platform *p;
	uint64_t free0;
	struct kfix_enclave e;
	struct sgx_secinfo secinfo;
	struct sgx_enclave_add_pages add;
	uint8_t *src; /* 4 pages */
};

static int setup_epc(void **state, const char *epc, uint64_t size)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct kfix_config config = { .epc = epc };

	c->p = kfix_boot(&config);
	c->free0 = kfix_free_pages(c->p);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
	if (size)
		c->e.secs.size = size;
	assert_int_equal(kfix_create(&c->e), 0);
	c->src = aligned_alloc(4096, 4 * 4096);
	memset(c->src, 0x5A, 4 * 4096);
	c->secinfo.flags = KFIX_SECINFO_RW;
	c->add.src = (uint64_t)(uintptr_t)c->src;
	c->add.offset = KFIX_DATA_OFFSET;
	c->add.length = 4096;
	c->add.secinfo = (uint64_t)(uintptr_t)&c->secinfo;
	c->add.flags = SGX_PAGE_MEASURE;
	*state = c;
	return 0;
}

static int setup(void **state)
{
	return setup_epc(state, NULL, 0);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	kfix_check(c->p);
	kfix_close(&c->e);
	assert_int_equal(kfix_free_pages(c->p) + c->p->sections[0].nr_leaked, c->free0);
	kfix_shutdown(c->p);
	free(c->src);
	free(c);
	return 0;
}

static int add(struct ctx *c)
{
	return kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
}

static uint64_t resident(struct ctx *c)
{
	struct sgx_encl *encl = sgx_encl_from_fd(c->e.fd);
	uint64_t n;

	assert_false(IS_ERR(encl));
	n = encl->secs_child_cnt;
	sgx_encl_put(encl);
	return n;
}

/* The page at offset is in the enclave: adding it again is EBUSY. */
static void assert_added(struct ctx *c, uint64_t offset, bool added)
{
	struct sgx_enclave_add_pages probe = c->add;
	struct sgx_secinfo secinfo = { .flags = KFIX_SECINFO_RW };

	probe.offset = offset;
	probe.length = 4096;
	probe.secinfo = (uint64_t)(uintptr_t)&secinfo;
	probe.src = (uint64_t)(uintptr_t)c->src;
	if (added) {
		assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &probe), -EBUSY);
		assert_int_equal(probe.count, 0);
	} else {
		assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &probe), 0);
	}
}

static void add_succeeds_with_count(void **state)
{
	struct ctx *c = *state;

	c->add.length = 3 * 4096;
	c->add.count = 12345; /* input count is ignored */
	assert_int_equal(add(c), 0);
	assert_int_equal(c->add.count, 3 * 4096);
	assert_int_equal(resident(c), 3);
	/* One record per page, with the source advancing page by page. */
	for (int i = 0; i < 3; i++)
		assert_added(c, KFIX_DATA_OFFSET + i * 4096, true);
}

static void add_state_checks(void **state)
{
	struct ctx *c = *state;
	struct kfix_enclave fresh;

	/* Not created: EINVAL, before even looking at the argument. */
	kfix_enclave_init(&fresh, c->p, SGX_ATTR_MODE64BIT);
	assert_int_equal(kfix_ioctl(fresh.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add), -EINVAL);
	assert_int_equal(kfix_ioctl(fresh.fd, SGX_IOC_ENCLAVE_ADD_PAGES, NULL), -EINVAL);
	kfix_close(&fresh);

	/* Initialized: EINVAL. */
	kfix_enclave_create(&fresh, c->p, SGX_ATTR_MODE64BIT);
	c->add.offset = 0x8000;
	assert_int_equal(kfix_ioctl(fresh.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add), -EINVAL);
	kfix_close(&fresh);
}

static void add_bad_arg_is_efault(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, NULL), -EFAULT);
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, kfix_edge(40)), -EFAULT);
}

static void add_unaligned_src_is_einval(void **state)
{
	struct ctx *c = *state;

	c->add.src += 8;
	c->add.count = 777;
	assert_int_equal(add(c), -EINVAL);
	/* Rejected before the loop: nothing is written back. */
	assert_int_equal(c->add.count, 777);
}

static void add_offset_length_rules(void **state)
{
	static const struct {
		uint64_t offset, length;
	} bad[] = {
		{ 0x100, 0x1000 },		   /* offset not aligned */
		{ 0x1000, 0 },			   /* empty */
		{ 0x1000, 0x800 },		   /* length not aligned */
		{ 0x1000, 0x1800 },		   /* length not aligned */
		{ 0xFFFFFFFFFFFFF000ULL, 0x2000 }, /* wraps */
		{ KFIX_SIZE, 0x1000 },		   /* first page outside */
		{ KFIX_SIZE - 0x1000, 0x2000 },	   /* last page outside */
		{ 0, KFIX_SIZE + 0x1000 },	   /* longer than the enclave */
	};
	struct ctx *c = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c->add.offset = bad[i].offset;
		c->add.length = bad[i].length;
		if (add(c) != -EINVAL)
			fail_msg("offset 0x%llx length 0x%llx: expected EINVAL",
				 (unsigned long long)bad[i].offset,
				 (unsigned long long)bad[i].length);
	}
	assert_int_equal(resident(c), 0);
	/* The last page of ELRANGE is fine. */
	c->add.offset = KFIX_SIZE - 0x1000;
	c->add.length = 0x1000;
	assert_int_equal(add(c), 0);
}

static void add_bad_secinfo_pointer_is_efault(void **state)
{
	struct ctx *c = *state;
	uint8_t *edge = kfix_edge(63);

	c->add.secinfo = 0;
	assert_int_equal(add(c), -EFAULT);
	c->add.secinfo = (uint64_t)(uintptr_t)edge;
	assert_int_equal(add(c), -EFAULT);
	/* Any alignment is fine as long as the 64 bytes are readable. */
	edge = kfix_edge(64);
	memcpy(edge, &c->secinfo, 64);
	c->add.secinfo = (uint64_t)(uintptr_t)edge;
	assert_int_equal(add(c), 0);
}

static void add_secinfo_rules(void **state)
{
	static const uint64_t bad[] = {
		SGX_SECINFO_SECS | SGX_SECINFO_R,
		SGX_SECINFO_VA,
		SGX_SECINFO_TRIM | SGX_SECINFO_R,
		(5ULL << 8) | SGX_SECINFO_R,
		0xFF00 | SGX_SECINFO_R,
		SGX_SECINFO_REG | SGX_SECINFO_W,		 /* W without R */
		SGX_SECINFO_REG | SGX_SECINFO_W | SGX_SECINFO_X, /* W without R */
		SGX_SECINFO_TCS | SGX_SECINFO_R,		 /* TCS with permissions */
		SGX_SECINFO_TCS | SGX_SECINFO_X,
		KFIX_SECINFO_RW | SGX_SECINFO_PENDING,
		KFIX_SECINFO_RW | SGX_SECINFO_MODIFIED,
		KFIX_SECINFO_RW | SGX_SECINFO_PR,
		KFIX_SECINFO_RW | (1ULL << 6),
		KFIX_SECINFO_RW | (1ULL << 7),
		KFIX_SECINFO_RW | (1ULL << 16),
		KFIX_SECINFO_RW | (1ULL << 63),
	};
	struct ctx *c = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c->secinfo.flags = bad[i];
		if (add(c) != -EINVAL)
			fail_msg("SECINFO.FLAGS 0x%llx: expected EINVAL",
				 (unsigned long long)bad[i]);
	}
	c->secinfo.flags = KFIX_SECINFO_RW;
	c->secinfo.reserved[0] = 1;
	assert_int_equal(add(c), -EINVAL);
	c->secinfo.reserved[0] = 0;
	c->secinfo.reserved[55] = 0x80;
	assert_int_equal(add(c), -EINVAL);
	c->secinfo.reserved[55] = 0;
	assert_int_equal(resident(c), 0);
	assert_int_equal(add(c), 0);
}

static void add_readonly_struct(void **state)
{
	struct ctx *c = *state;
	struct sgx_enclave_add_pages *ro;

	/* A failure before the loop is just EINVAL: nothing is copied back. */
	c->add.src += 1;
	ro = kfix_readonly_page(&c->add, sizeof(c->add));
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, ro), -EINVAL);

	/* Once pages are added, `count` is copied back: a read-only struct makes that EFAULT ... */
	c->add.src -= 1;
	ro = kfix_readonly_page(&c->add, sizeof(c->add));
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, ro), -EFAULT);
	/* ... although the page was added. */
	assert_int_equal(resident(c), 1);
	assert_added(c, KFIX_DATA_OFFSET, true);
	/* The same for a failing loop: EBUSY is overridden by the copy-back's EFAULT. */
	assert_int_equal(kfix_ioctl(c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, ro), -EFAULT);
}

static void add_duplicate_is_ebusy_with_count(void **state)
{
	struct ctx *c = *state;
	uint64_t free_before;

	assert_int_equal(add(c), 0); /* 0x4000 */
	free_before = kfix_free_pages(c->p);
	c->add.offset = KFIX_DATA_OFFSET - 0x2000;
	c->add.length = 4 * 4096;
	assert_int_equal(add(c), -EBUSY);
	/* 0x2000 and 0x3000 went in, 0x4000 is the duplicate, 0x5000 was never tried. */
	assert_int_equal(c->add.count, 2 * 4096);
	assert_int_equal(resident(c), 3);
	assert_int_equal(kfix_free_pages(c->p), free_before - 2);
	assert_added(c, KFIX_DATA_OFFSET + 0x1000, false);
}

/*
 * No free EPC page: ENOMEM when nothing is reclaimable, else the ioctl reclaims (the partial
 * ENOMEM, with the LRU emptied by a reclaimer holding its pages, is in test_reclaim_errnos).
 */
static void add_without_epc_reclaims_or_is_enomem(void **state)
{
	struct ctx *c = *state;
	struct sgx_platform_stats stats;
	struct kfix_hog hog;

	/* The enclave has no pages yet: the LRU is empty. */
	kfix_hog_epc(c->p, 0, &hog);
	c->add.length = 4 * 4096;
	assert_int_equal(add(c), -ENOMEM);
	assert_int_equal(c->add.count, 0);
	kfix_release_epc(c->p, &hog);

	/* Two free pages for four: the ioctl evicts its own first two to make room. */
	kfix_hog_epc(c->p, 2, &hog);
	assert_int_equal(add(c), 0);
	assert_int_equal(c->add.count, 4 * 4096);
	assert_int_equal(kfix_free_pages(c->p), 0);
	sgx_platform_get_stats(c->p, &stats);
	assert_int_equal(stats.reclaim.evicted, 2);
	assert_int_equal(stats.evicted_pages, 2);
	assert_int_equal(resident(c), 2);
	kfix_check(c->p);
	kfix_release_epc(c->p, &hog);
}

static void add_va_page_rules(void **state)
{
	struct ctx *c = *state;
	struct kfix_hog hog;
	uint64_t count;
	uint64_t seq;

	/* SECS + 511 pages fill the first VA page's 512 slots. */
	assert_int_equal(kfix_add_pages(&c->e, 0, 511, KFIX_SECINFO_RW, NULL, false, &count), 0);
	assert_int_equal(count, 511 * 4096);

	/*
	 * The 512th page needs a second VA page: with one free EPC page and nothing reclaimable
	 * (every page evicted already), that is ENOMEM ...
	 */
	{
		struct sgx_encl *encl = sgx_encl_from_fd(c->e.fd);

		assert_int_equal(sgx_encl_reclaim_range(encl, encl->base, encl->base + encl->size),
				 511);
		sgx_encl_put(encl);
	}
	kfix_hog_epc(c->p, 1, &hog);
	c->add.offset = 511 * 4096;
	assert_int_equal(add(c), -ENOMEM);
	assert_int_equal(c->add.count, 0);
	/* ... and the page's own EPC page went back. */
	assert_int_equal(kfix_free_pages(c->p), 1);
	kfix_release_epc(c->p, &hog);

	/* An EPA fault: EFAULT, with the warning. */
	seq = sgx_log_seq();
	assert_int_equal(sgx_inject_encls(c->p, EPA, SGX_INJECT_ANY_FRAME,
					  SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, 1),
			 0);
	assert_int_equal(add(c), -EFAULT);
	assert_int_equal(kfix_log_count(seq, "EPA returned"), 1);
	kfix_check(c->p);

	/* And with EPC, the second VA page is made. */
	assert_int_equal(add(c), 0);
	{
		struct sgx_encl *encl = sgx_encl_from_fd(c->e.fd);
		struct sgx_encl_va_page *va;
		int n = 0;

		TAILQ_FOREACH(va, &encl->va_pages, list)
		n++;
		assert_int_equal(n, 2);
		assert_int_equal(encl->page_cnt, 513);
		sgx_encl_put(encl);
	}
}

static int setup_big(void **state)
{
	/* 4 MiB of EPC and a 4 MiB enclave, for the VA page test. */
	return setup_epc(state, "4M", 0x400000);
}

static void add_no_vma_is_efault(void **state)
{
	struct ctx *c = *state;
	uint8_t *hole;

	/* Nothing at or above the top of the user address space. */
	c->add.src = (1ULL << 47) - 4096;
	assert_int_equal(add(c), -EFAULT);
	/* page 0: PROT_NONE, page 1: a hole, page 2: readable, page 3: PROT_NONE. */
	hole = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(hole != MAP_FAILED);
	assert_int_equal(munmap(hole + 4096, 4096), 0);
	assert_int_equal(mprotect(hole, 4096, PROT_NONE), 0);
	assert_int_equal(mprotect(hole + 3 * 4096, 4096, PROT_NONE), 0);
	/* A hole below a mapping: find_vma() finds the mapping above, the read fails. */
	c->add.src = (uint64_t)(uintptr_t)(hole + 4096);
	assert_int_equal(add(c), -EFAULT);
	/* An unreadable mapping: get_user_pages fails. */
	c->add.src = (uint64_t)(uintptr_t)hole;
	assert_int_equal(add(c), -EFAULT);
	assert_int_equal(c->add.count, 0);
	/* A range that runs off the end of its readable mapping stops there. */
	c->add.src = (uint64_t)(uintptr_t)(hole + 2 * 4096);
	c->add.length = 2 * 4096;
	assert_int_equal(add(c), -EFAULT);
	assert_int_equal(c->add.count, 4096);
	munmap(hole, 4096);
	munmap(hole + 2 * 4096, 2 * 4096);
	assert_int_equal(resident(c), 1);
}

/* The [vvar] mapping is VM_READ|VM_MAYREAD only: a source there is EACCES, not EFAULT. */
static void add_from_vvar_is_eacces(void **state)
{
	struct ctx *c = *state;
	unsigned long start = 0, end;
	char line[512];
	FILE *maps;

	maps = fopen("/proc/self/maps", "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		if (strstr(line, "[vvar]") && sscanf(line, "%lx-%lx", &start, &end) == 2)
			break;
		start = 0;
	}
	fclose(maps);
	if (!start)
		skip();
	c->add.src = start;
	/* With PROCMAP_QUERY (when the kernel has it) and with the /proc/self/maps parser. */
	for (int query = 1; query >= 0; query--) {
		sgx_vma_use_procmap_query = query;
		assert_int_equal(add(c), -EACCES);
		assert_int_equal(c->add.count, 0);
		assert_int_equal(resident(c), 0);
	}
	sgx_vma_use_procmap_query = true;
}

/*
 * A source page in a file on a noexec mount: do_mmap() clears VM_MAYEXEC, so EACCES. Runs in a
 * child with its own mount namespace holding a noexec tmpfs (as root, or in a user namespace).
 */
static int noexec_child(void)
{
	char dir[] = "/tmp/sgxemu-noexec-XXXXXX";
	struct sgx_platform *p;
	struct kfix_enclave e;
	char path[128];
	uint8_t *src;
	uint64_t count;
	int fd, ret;

	if (unshare(CLONE_NEWNS) && unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 77;
	if (!mkdtemp(dir))
		return 77;
	if (mount("sgxemu", dir, "tmpfs", MS_NOEXEC, "size=1m")) {
		rmdir(dir);
		return 77;
	}
	snprintf(path, sizeof(path), "%s/page", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 4096))
		return 2;
	src = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (src == MAP_FAILED)
		return 3;

	p = kfix_boot(NULL);
	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	if (kfix_create(&e))
		return 4;
	{
		struct sgx_secinfo secinfo = { .flags = KFIX_SECINFO_R };
		struct sgx_enclave_add_pages add = {
			.src = (uint64_t)(uintptr_t)src,
			.offset = 0,
			.length = 4096,
			.secinfo = (uint64_t)(uintptr_t)&secinfo,
			.flags = SGX_PAGE_MEASURE,
		};

		for (int query = 1; query >= 0; query--) {
			sgx_vma_use_procmap_query = query;
			ret = kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add);
			count = add.count;
			if (ret != -EACCES || count != 0)
				return 5;
		}
	}
	/* The same file mapped from a mount without noexec would be fine: remount exec. */
	munmap(src, 4096);
	if (mount(NULL, dir, NULL, MS_REMOUNT, "size=1m"))
		return 77;
	src = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (kfix_add(&e, 0, KFIX_SECINFO_R, NULL, true) != 0)
		return 6;
	{
		struct sgx_secinfo secinfo = { .flags = KFIX_SECINFO_R };
		struct sgx_enclave_add_pages add = {
			.src = (uint64_t)(uintptr_t)src,
			.offset = 0x1000,
			.length = 4096,
			.secinfo = (uint64_t)(uintptr_t)&secinfo,
		};

		if (kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add) != 0)
			return 7;
		sgx_vma_use_procmap_query = true;
		add.offset = 0x2000;
		if (kfix_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add) != 0)
			return 8;
	}
	kfix_close(&e);
	kfix_shutdown(p);
	close(fd);
	umount(dir);
	rmdir(dir);
	return 0;
}

static void add_from_noexec_mount_is_eacces(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(noexec_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void mayexec_classification(void **state)
{
	struct sgx_vma vma;
	void *anon;

	(void)state;
	for (int query = 1; query >= 0; query--) {
		sgx_vma_use_procmap_query = query;
		/* Anonymous memory can always become executable. */
		anon = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_int_equal(sgx_find_vma(NULL, (uint64_t)(uintptr_t)anon, &vma), 0);
		assert_true(vma.mayexec);
		assert_true(vma.start <= (uint64_t)(uintptr_t)anon);
		assert_true(vma.end > (uint64_t)(uintptr_t)anon);
		munmap(anon, 4096);
		/* So can a library's text, from a normal mount. */
		assert_int_equal(sgx_find_vma(NULL, (uint64_t)(uintptr_t)&mmap, &vma), 0);
		assert_true(vma.mayexec);
		/* Nothing above the top of the address space. */
		assert_int_equal(sgx_find_vma(NULL, (1ULL << 47) - 4096, &vma), -EFAULT);
	}
	sgx_vma_use_procmap_query = true;
	/* A device nobody has: executable (an internal mount, like memfd's). */
	assert_true(sgx_file_mapping_mayexec(4095, 4095, "/x"));
}

static void add_eadd_fault_is_eio_and_undone(void **state)
{
	struct ctx *c = *state;
	struct sgx_tcs tcs __attribute__((aligned(4096)));
	uint64_t free_before = kfix_free_pages(c->p);
	uint8_t mrenclave_before[32], mrenclave_after[32];

	/* A TCS with a reserved byte set: EADD #GP. */
	kfix_tcs_image(&tcs, KFIX_SSA_OFFSET, KFIX_NSSA, KFIX_CODE_OFFSET);
	tcs.reserved[10] = 1;
	memcpy(c->src, &tcs, sizeof(tcs));
	c->secinfo.flags = KFIX_SECINFO_TCS;
	c->add.offset = KFIX_TCS_OFFSET;
	kfix_mrenclave(&c->e, mrenclave_before);
	assert_int_equal(add(c), -EIO);
	assert_int_equal(c->add.count, 0);
	assert_int_equal(kfix_free_pages(c->p), free_before);
	assert_int_equal(resident(c), 0);
	kfix_check(c->p);

	/* Nothing was measured and the slot is free again: the real TCS goes in and INIT works. */
	kfix_mrenclave(&c->e, mrenclave_after);
	assert_memory_equal(mrenclave_before, mrenclave_after, 32);
	tcs.reserved[10] = 0;
	assert_int_equal(kfix_add(&c->e, KFIX_TCS_OFFSET, KFIX_SECINFO_TCS, &tcs, true), 0);
	assert_int_equal(kfix_add_pages(&c->e, KFIX_SSA_OFFSET, KFIX_NSSA, KFIX_SECINFO_RW, NULL,
					true, NULL),
			 0);
	kfix_sign(&c->e, NULL);
	assert_int_equal(kfix_init(&c->e), 0);
}

static void add_eextend_fault_is_eio_with_warning(void **state)
{
	struct ctx *c = *state;
	uint64_t free_before = kfix_free_pages(c->p);
	uint64_t seq = sgx_log_seq();

	assert_int_equal(sgx_inject_encls(c->p, EEXTEND, SGX_INJECT_ANY_FRAME,
					  SGX_ENCLS_FAULT_FLAG | X86_TRAP_GP, 1),
			 0);
	c->add.length = 2 * 4096;
	assert_int_equal(add(c), -EIO);
	assert_int_equal(c->add.count, 0);
	assert_int_equal(kfix_log_count(seq, "EEXTEND returned 1073741837 (0x4000000d)"), 1);
	/* The page was EREMOVEd and unlinked ... */
	assert_int_equal(kfix_free_pages(c->p), free_before);
	assert_added(c, KFIX_DATA_OFFSET, false);
	/* ... but, as in the kernel, secs_child_cnt still counts it. */
	assert_int_equal(resident(c), 2);

	/* So at teardown the SECS is never EREMOVEd: the kernel's WARN, and a leaked page. */
	seq = sgx_log_seq();
	kfix_close(&c->e);
	assert_int_equal(kfix_log_count(seq, "WARN_ON_ONCE(encl->secs_child_cnt)"), 1);
	assert_int_equal(kfix_log_count(seq, "WARN_ON_ONCE(encl->secs.epc_page)"), 1);
	assert_int_equal(c->p->sections[0].nr_leaked, 1);
	kfix_check(c->p);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
}

/* An EEXTEND #PF (the EPC was lost under the ioctl) is EIO without a warning. */
static void add_epc_lost_mid_page_is_eio(void **state)
{
	struct ctx *c = *state;
	struct kfix_thread t;
	uint64_t seq = sgx_log_seq();
	struct sgx_encl *encl = sgx_encl_from_fd(c->e.fd);

	sgx_pause_arm(c->p, SGX_PAUSE_ADD_PAGES_EXTEND, encl, 0);
	kfix_thread_start(&t, c->e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &c->add);
	sgx_pause_wait(c->p, SGX_PAUSE_ADD_PAGES_EXTEND);
	/* Between EADD and EEXTEND, no leaf in flight: the machine suspends and resumes. */
	sgx_cpu_power_cycle(c->p->cpu);
	sgx_pause_release(c->p, SGX_PAUSE_ADD_PAGES_EXTEND);
	assert_int_equal(kfix_thread_join(&t), -EIO);
	assert_int_equal(c->add.count, 0);
	assert_int_equal(kfix_log_count(seq, "EEXTEND returned"), 0);
	sgx_encl_put(encl);

	/* Teardown EREMOVEs invalid pages successfully; only the quirk's SECS stays behind. */
	kfix_close(&c->e);
	assert_int_equal(c->p->sections[0].nr_leaked, 1);
	kfix_check(c->p);
	kfix_enclave_init(&c->e, c->p, SGX_ATTR_MODE64BIT);
}

static void add_flags_other_bits_ignored(void **state)
{
	struct ctx *c = *state;
	uint8_t page[4096] __attribute__((aligned(4096)));

	/* Only SGX_PAGE_MEASURE means anything: 0xFE is "not measured", 0xFF is "measured". */
	memset(page, 0x11, sizeof(page));
	memcpy(c->src, page, 4096);
	c->add.offset = 0x6000;
	c->add.flags = 0xFE;
	assert_int_equal(add(c), 0);
	sgx_measure_eadd(&c->e.measurement, 0x6000, KFIX_SECINFO_RW);
	c->add.offset = 0x7000;
	c->add.flags = 0xFF;
	assert_int_equal(add(c), 0);
	sgx_measure_eadd(&c->e.measurement, 0x7000, KFIX_SECINFO_RW);
	for (int o = 0; o < 4096; o += 256)
		sgx_measure_eextend(&c->e.measurement, 0x7000 + o, page + o);
	/* The measurement EINIT checks is exactly that. */
	{
		struct sgx_tcs tcs __attribute__((aligned(4096)));

		kfix_tcs_image(&tcs, KFIX_SSA_OFFSET, KFIX_NSSA, KFIX_CODE_OFFSET);
		assert_int_equal(kfix_add(&c->e, 0, KFIX_SECINFO_TCS, &tcs, true), 0);
		assert_int_equal(kfix_add_pages(&c->e, KFIX_SSA_OFFSET, 2, KFIX_SECINFO_RW, NULL,
						true, NULL),
				 0);
	}
	kfix_sign(&c->e, NULL);
	assert_int_equal(kfix_init(&c->e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_succeeds_with_count, setup, teardown),
		cmocka_unit_test_setup_teardown(add_state_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(add_bad_arg_is_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(add_unaligned_src_is_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(add_offset_length_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(add_bad_secinfo_pointer_is_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(add_secinfo_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(add_readonly_struct, setup, teardown),
		cmocka_unit_test_setup_teardown(add_duplicate_is_ebusy_with_count, setup, teardown),
		cmocka_unit_test_setup_teardown(add_without_epc_reclaims_or_is_enomem, setup,
						teardown),
		cmocka_unit_test_setup_teardown(add_va_page_rules, setup_big, teardown),
		cmocka_unit_test_setup_teardown(add_no_vma_is_efault, setup, teardown),
		cmocka_unit_test_setup_teardown(add_from_vvar_is_eacces, setup, teardown),
		cmocka_unit_test(add_from_noexec_mount_is_eacces),
		cmocka_unit_test(mayexec_classification),
		cmocka_unit_test_setup_teardown(add_eadd_fault_is_eio_and_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(add_eextend_fault_is_eio_with_warning, setup,
						teardown),
		cmocka_unit_test_setup_teardown(add_epc_lost_mid_page_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(add_flags_other_bits_ignored, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
