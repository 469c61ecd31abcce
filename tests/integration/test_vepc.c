/* SPDX-License-Identifier: MIT */
/*
 * Virtual EPC (/dev/sgx_vepc, ref §1.5, §3.5, §4.10; seeds 001 and 004). The test plays the
 * hypervisor and the guest kernel: it maps vEPC files through sgxemu_mmap, finds the frames
 * behind guest pages as KVM finds PFNs (sgx_virt_user_epc), runs the guest's ENCLS leaves on
 * them through the CPU, and the trapped ones (ECREATE, EINIT) through sgx_virt_ecreate/einit.
 * Then it tears the guest down the way QEMU and the guest do: SGX_IOC_VEPC_REMOVE_ALL on every
 * vEPC and again on those that answered more than 0, or close (the two-pass release and the
 * zombie SECS list). The invariant checker runs after every scenario: EPC accounting is exact.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <asm/sgx.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sgxemu/sgxemu.h>

#include "common/log.h"
#include "cpu/encls.h"
#include "cpu/sigstruct.h"
#include "kernel/driver.h"
#include "kernel/launch.h"
#include "kernel/virt.h"
#include "kernel_fixture.h"
#include "leaf_hold.h"

#define PAGE 4096UL
#define G_BASE 0x200000000ULL /* the guest enclave's ELRANGE (guest linear addresses) */
#define G_SIZE 0x10000ULL
#define G_SECINFO_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

/* --- the hypervisor's side --------------------------------------------------------------- */

struct vepc {
	int fd;
	uint8_t *map;
	size_t pages;
};

static void vepc_open(struct vepc *v, struct sgx_platform *p, size_t pages)
{
	v->fd = sgx_platform_open(p, "/dev/sgx_vepc", O_RDWR);
	assert_true(v->fd >= 0);
	assert_int_equal(sgxemu_fd_device(v->fd), SGXEMU_DEVICE_VEPC);
	v->pages = pages;
	v->map = sgxemu_mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	assert_true(v->map != MAP_FAILED);
}

/* munmap + close: the vEPC is released when both are gone, as QEMU's teardown does it. */
static void vepc_close(struct vepc *v)
{
	if (v->map)
		assert_int_equal(sgxemu_munmap(v->map, v->pages * PAGE), 0);
	assert_int_equal(sgxemu_close(v->fd), 0);
	v->map = NULL;
	v->fd = -1;
}

static long remove_all(struct vepc *v)
{
	int ret = sgxemu_ioctl(v->fd, SGX_IOC_VEPC_REMOVE_ALL, 0UL);

	return ret < 0 ? -errno : ret;
}

/* The frame behind a host address, faulted in if needed (KVM's hva_to_pfn). */
static sgx_paddr_t frame_of(struct sgx_platform *p, const void *hva)
{
	sgx_paddr_t pa;

	assert_int_equal(sgx_virt_user_epc(p, (uint64_t)(uintptr_t)hva, &pa), 0);
	return pa;
}

static bool frame_valid(struct sgx_platform *p, sgx_paddr_t pa, unsigned int *type)
{
	struct sgx_epcm_info info;

	assert_true(sgx_cpu_epcm_read(p->cpu, pa, &info));
	if (type)
		*type = info.page_type;
	return info.valid;
}

/* --- the guest kernel's side ------------------------------------------------------------- */

struct guest {
	struct sgx_platform *p;
	sgx_paddr_t secs_pa;
	struct kfix_enclave sig; /* only the side measurement, SIGSTRUCT fields and SIGSTRUCT */
};

/* The guest's ECREATE traps; KVM hands it to sgx_virt_ecreate with the SECS's host address. */
static int guest_ecreate(struct guest *g, struct sgx_platform *p, void *secs_hva, int *trapnr)
{
	static struct sgx_secs secs __attribute__((aligned(4096)));
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { .flags = SGX_SECINFO_SECS };
	struct sgx_pageinfo pi __attribute__((aligned(32))) = {
		.contents = (uint64_t)(uintptr_t)&secs,
		.metadata = (uint64_t)(uintptr_t)&secinfo,
	};
	int ret;

	memset(&secs, 0, sizeof(secs));
	secs.base = G_BASE;
	secs.size = G_SIZE;
	secs.ssa_frame_size = 1;
	secs.attributes.flags = SGX_ATTR_MODE64BIT;
	secs.attributes.xfrm = 3;
	memset(g, 0, sizeof(*g));
	g->p = p;
	g->sig.fd = -1;
	ret = sgx_virt_ecreate(p, &pi, (uint64_t)(uintptr_t)secs_hva, trapnr);
	if (ret)
		return ret;
	g->secs_pa = frame_of(p, secs_hva);
	sgx_measure_init(&g->sig.measurement);
	sgx_measure_ecreate(&g->sig.measurement, 1, G_SIZE);
	sgxemu_sign_fields_default(&g->sig.fields, false);
	g->sig.fields.attributes = secs.attributes;
	g->sig.fields.attributes_mask.flags = ~0ULL;
	g->sig.fields.attributes_mask.xfrm = ~0ULL;
	return 0;
}

/* The guest's EADD does not trap: it runs on the frame directly (EPT maps it). */
static void guest_eadd(struct guest *g, void *page_hva, uint64_t offset, uint64_t flags)
{
	static uint8_t src[4096] __attribute__((aligned(4096)));
	struct sgx_secinfo secinfo __attribute__((aligned(64))) = { .flags = flags };
	struct sgx_pageinfo pi __attribute__((aligned(32))) = {
		.addr = G_BASE + offset,
		.contents = (uint64_t)(uintptr_t)src,
		.metadata = (uint64_t)(uintptr_t)&secinfo,
		.secs = g->secs_pa,
	};
	sgx_paddr_t pa = frame_of(g->p, page_hva);
	struct sgx_lp *lp;

	memset(src, 0, sizeof(src));
	if ((flags & SGX_SECINFO_PAGE_TYPE_MASK) == SGX_SECINFO_TCS) {
		struct sgx_tcs *tcs = (struct sgx_tcs *)src;

		kfix_tcs_image(tcs, 0x1000, 1, 0x2000);
	} else {
		memset(src, (int)(offset >> 12) + 1, sizeof(src));
	}
	lp = sgx_cpu_get_lp(g->p->cpu);
	assert_int_equal(sgx_encls(lp, EADD, (uint64_t)(uintptr_t)&pi, pa, 0, NULL), 0);
	sgx_cpu_put_lp(lp);
	sgx_measure_eadd(&g->sig.measurement, offset, flags);
}

/* The guest's EINIT traps; KVM runs it with the guest's virtual launch-key hash. */
static int guest_einit(struct guest *g, void *secs_hva, EVP_PKEY *key, const uint64_t *hash,
		       int *trapnr)
{
	struct sgx_sigstruct *sig = aligned_alloc(4096, 4096);
	uint8_t *token = aligned_alloc(512, 512);
	uint64_t signer[4];
	int ret;

	assert_non_null(sig);
	assert_non_null(token);
	kfix_sign(&g->sig, key);
	memcpy(sig, &g->sig.sigstruct, sizeof(*sig));
	memset(token, 0, 512);
	sgx_sigstruct_mrsigner(sig, (uint8_t *)signer);
	ret = sgx_virt_einit(g->p, (uint64_t)(uintptr_t)sig, (uint64_t)(uintptr_t)token,
			     (uint64_t)(uintptr_t)secs_hva, hash ? hash : signer, trapnr);
	free(token);
	free(sig);
	return ret;
}

/* A guest enclave: SECS at secs_hva, a TCS and n_reg REG pages at the other addresses. */
static void guest_build(struct guest *g, struct sgx_platform *p, void *secs_hva, void **pages,
			unsigned int n)
{
	int trapnr = -1;

	assert_int_equal(guest_ecreate(g, p, secs_hva, &trapnr), 0);
	for (unsigned int i = 0; i < n; i++)
		guest_eadd(g, pages[i], (uint64_t)i << 12, i ? G_SECINFO_RW : SGX_SECINFO_TCS);
}

/* --- the device file --------------------------------------------------------------------- */

static void vepc_device(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	int fd = sgx_platform_open(p, "/dev/sgx_vepc", O_RDWR);
	int path_fd = sgx_platform_open(p, "/dev/sgx_vepc", O_PATH);

	assert_true(fd >= 0);
	assert_true(path_fd >= 0);
	assert_int_equal(sgx_platform_open(p, "/dev/sgx_vepc/", O_RDWR), -ENOTDIR);
	/* An empty vEPC: nothing to remove; the argument must be 0; no other command. */
	assert_int_equal(sgxemu_ioctl(fd, SGX_IOC_VEPC_REMOVE_ALL, 0UL), 0);
	assert_int_equal(kfix_ioctl(fd, SGX_IOC_VEPC_REMOVE_ALL, (void *)1), -EINVAL);
	assert_int_equal(kfix_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, NULL), -ENOTTY);
	assert_int_equal(kfix_ioctl(fd, SGX_IOC_ENCLAVE_INIT, NULL), -ENOTTY);
	assert_int_equal(kfix_ioctl(path_fd, SGX_IOC_VEPC_REMOVE_ALL, NULL), -EBADF);
	/* No EPC is used at open. */
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_check(p);
	assert_int_equal(sgxemu_close(path_fd), 0);
	assert_int_equal(sgxemu_close(fd), 0);
	kfix_shutdown(p);
}

/* mmap: MAP_SHARED only; frames on first touch, one per file offset, never reclaimable. */
static void vepc_mmap_and_fault(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	struct sgx_vepc *vp;
	struct vepc v;
	uint8_t *alias, *off2;
	sgx_paddr_t f0, f1;

	vepc_open(&v, p, 8);
	assert_true(sgxemu_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, v.fd, 0) ==
		    MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	assert_true(sgxemu_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, v.fd, 100) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	assert_true(sgxemu_mmap(NULL, 0, PROT_READ, MAP_SHARED, v.fd, 0) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);

	/* The mapping itself allocates nothing. */
	assert_int_equal(kfix_free_pages(p), free_before);
	vp = sgx_vepc_from_fd(v.fd);
	assert_false(IS_ERR(vp));
	assert_int_equal(sgx_vepc_frame(vp, 0), 0);

	/* The first touch of a page allocates exactly one frame; a second touch nothing. */
	v.map[0] = 0x5A;
	assert_int_equal(kfix_free_pages(p), free_before - 1);
	assert_int_equal(v.map[0], 0x5A);
	(void)*(volatile uint8_t *)(v.map + 3 * PAGE);
	assert_int_equal(kfix_free_pages(p), free_before - 2);
	f0 = frame_of(p, v.map);
	f1 = frame_of(p, v.map + 3 * PAGE);
	assert_true(sgx_cpu_is_epc(p->cpu, f0) && sgx_cpu_is_epc(p->cpu, f1) && f0 != f1);
	assert_int_equal(sgx_vepc_frame(vp, 0), f0);
	assert_int_equal(sgx_vepc_frame(vp, 3), f1);
	sgx_vepc_put(vp);
	kfix_check(p); /* guest frames are owned by the vEPC and off the reclaimer's LRU */

	/* A second mapping of the same file offsets finds the same frames (and contents). */
	alias = sgxemu_mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, v.fd, 0);
	assert_true(alias != MAP_FAILED);
	assert_int_equal(alias[0], 0x5A);
	assert_int_equal(frame_of(p, alias + 3 * PAGE), f1);
	/* A mapping at a file offset: page 2 of it is file page 5. */
	off2 = sgxemu_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, v.fd, 3 * PAGE);
	assert_true(off2 != MAP_FAILED);
	assert_int_equal(frame_of(p, off2), f1);
	off2[2 * PAGE] = 1;
	assert_int_equal(kfix_free_pages(p), free_before - 3);
	assert_int_equal(v.map[5 * PAGE], 1);

	/* Unmapping gives nothing back: the frames belong to the file until it is released. */
	assert_int_equal(sgxemu_munmap(alias, 4 * PAGE), 0);
	assert_int_equal(sgxemu_munmap(off2, 4 * PAGE), 0);
	assert_int_equal(kfix_free_pages(p), free_before - 3);
	kfix_check(p);

	/* The file is released with its last mapping: closing first keeps it alive. */
	assert_int_equal(sgxemu_close(v.fd), 0);
	assert_int_equal(kfix_free_pages(p), free_before - 3);
	assert_int_equal(v.map[5 * PAGE], 1);
	assert_int_equal(sgxemu_munmap(v.map, v.pages * PAGE), 0);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_shutdown(p);
}

/* VM_DONTCOPY: a forked child has no vEPC mapping at all. */
static void vepc_not_inherited_by_fork(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct vepc v;
	int status;
	pid_t pid;

	vepc_open(&v, p, 2);
	v.map[0] = 7;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* msync answers ENOMEM for an unmapped range. */
		_exit(msync(v.map, PAGE, MS_ASYNC) == -1 && errno == ENOMEM ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(v.map[0], 7);
	vepc_close(&v);
	kfix_shutdown(p);
}

/* An EPC with no free frame and nothing to reclaim: the guest's fault is SIGBUS. */
static sigjmp_buf sigbus_jmp;
static volatile int sigbus_code;

static void on_sigbus(int sig, siginfo_t *info, void *uc)
{
	sigbus_code = info->si_code;
	siglongjmp(sigbus_jmp, 1);
}

static void vepc_fault_without_epc(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;
	struct kfix_hog hog;
	struct vepc v;

	vepc_open(&v, p, 2);
	v.map[0] = 1;
	kfix_hog_epc(p, 0, &hog);
	assert_int_equal(sigaction(SIGBUS, &sa, &old), 0);
	sigbus_code = 0;
	if (!sigsetjmp(sigbus_jmp, 1)) {
		v.map[PAGE] = 1;
		fail_msg("a vEPC page without a frame was written");
	}
	assert_int_equal(sigaction(SIGBUS, &old, NULL), 0);
	assert_int_equal(sigbus_code, BUS_ADRERR);
	/* The page that had its frame still works. */
	assert_int_equal(v.map[0], 1);
	kfix_release_epc(p, &hog);
	v.map[PAGE] = 2;
	vepc_close(&v);
	kfix_shutdown(p);
}

/* --- REMOVE_ALL ------------------------------------------------------------------------- */

/* One vEPC: the SECS (file page 0) is tried before its children and answers CHILD_PRESENT. */
static void remove_all_one_vepc(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	void *pages[3];
	struct guest g;
	struct vepc v;
	unsigned int type;
	int trapnr = -1;

	vepc_open(&v, p, 4);
	for (unsigned int i = 0; i < 3; i++)
		pages[i] = v.map + (i + 1) * PAGE;
	guest_build(&g, p, v.map, pages, 3);
	assert_true(frame_valid(p, g.secs_pa, &type) && type == SGX_PAGE_TYPE_SECS);
	assert_int_equal(kfix_free_pages(p), free_before - 4);

	/* Round 1: one SECS with children; round 2: nothing left. */
	assert_int_equal(remove_all(&v), 1);
	assert_true(frame_valid(p, g.secs_pa, NULL));
	for (unsigned int i = 0; i < 3; i++)
		assert_false(frame_valid(p, frame_of(p, pages[i]), NULL));
	assert_int_equal(remove_all(&v), 0);
	assert_false(frame_valid(p, g.secs_pa, NULL));
	assert_int_equal(remove_all(&v), 0);

	/* The pages stay allocated and mapped, reset to uninitialised: the guest can start over. */
	assert_int_equal(kfix_free_pages(p), free_before - 4);
	kfix_check(p);
	guest_build(&g, p, v.map, pages, 2);
	assert_int_equal(guest_ecreate(&g, p, v.map, &trapnr), -EFAULT);
	assert_int_equal(trapnr, X86_TRAP_PF); /* ECREATE on a valid page */
	vepc_close(&v);
	assert_int_equal(kfix_free_pages(p), free_before);
	assert_int_equal(sgx_vepc_nr_zombies(p), 0);
	kfix_shutdown(p);
}

/* A SECS in vEPC A with children in A and in B: QEMU's two rounds over every vEPC. */
static void remove_all_two_vepcs(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	struct vepc a, b;
	struct guest g;
	void *pages[3];

	vepc_open(&a, p, 2);
	vepc_open(&b, p, 2);
	pages[0] = a.map + PAGE; /* TCS */
	pages[1] = b.map;	 /* REG */
	pages[2] = b.map + PAGE; /* REG */
	guest_build(&g, p, a.map, pages, 3);

	/* Round 1: A's SECS still has B's children; B empties. */
	assert_int_equal(remove_all(&a), 1);
	assert_int_equal(remove_all(&b), 0);
	assert_true(frame_valid(p, g.secs_pa, NULL));
	/* Round 2, on the vEPCs that answered more than 0: nothing left anywhere. */
	assert_int_equal(remove_all(&a), 0);
	assert_false(frame_valid(p, g.secs_pa, NULL));
	assert_int_equal(kfix_free_pages(p), free_before - 4);
	kfix_check(p);
	vepc_close(&a);
	vepc_close(&b);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_shutdown(p);
}

/* -EBUSY: EREMOVE answered #GP (another EREMOVE holds the page): no warning, the walk stops. */
static int eremove_on_lp(void *arg)
{
	struct sgx_platform *p = ((void **)arg)[0];
	sgx_paddr_t pa = (sgx_paddr_t)(uintptr_t)((void **)arg)[1];
	struct sgx_lp *lp = sgx_cpu_get_lp_id(p->cpu, 1);
	int ret = __eremove(lp, pa);

	sgx_cpu_put_lp(lp);
	return ret;
}

static void remove_all_busy(void **state)
{
	struct kfix_config cfg = { .lps = 2 };
	struct sgx_platform *p = kfix_boot(&cfg);
	uint64_t seq = sgx_log_seq();
	struct leaf_hold *hold;
	struct vepc v;
	struct guest g;
	void *pages[2], *arg[2];

	vepc_open(&v, p, 4);
	pages[0] = v.map + PAGE;
	pages[1] = v.map + 2 * PAGE;
	guest_build(&g, p, v.map, pages, 2);

	/* The guest (another vCPU) is EREMOVEing page 2 right now. */
	arg[0] = p;
	arg[1] = (void *)(uintptr_t)frame_of(p, pages[1]);
	hold = leaf_hold_start(p->cpu, SGX_LEAF_CLASS_ENCLS, EREMOVE, eremove_on_lp, arg);
	assert_non_null(hold);
	assert_int_equal(remove_all(&v), -EBUSY);
	assert_int_equal(leaf_hold_release(hold), 0);
	/* The SECS and the TCS were tried before page 2; the walk stopped there. */
	assert_true(frame_valid(p, g.secs_pa, NULL));
	assert_false(frame_valid(p, frame_of(p, pages[0]), NULL));
	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	assert_int_equal(remove_all(&v), 0);
	assert_false(frame_valid(p, g.secs_pa, NULL));

	/*
	 * An EREMOVE that keeps failing with something other than CHILD_PRESENT (injected: a
	 * vCPU inside the guest's enclave): REMOVE_ALL is EBUSY every time, and release warns
	 * with the leak message and keeps the page on the zombie list.
	 */
	guest_build(&g, p, v.map, pages, 2);
	assert_int_equal(
		sgx_inject_encls(p, EREMOVE, frame_of(p, pages[0]), SGX_ENCLAVE_ACT, UINT32_MAX),
		0);
	assert_int_equal(remove_all(&v), -EBUSY);
	assert_int_equal(remove_all(&v), -EBUSY);
	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	vepc_close(&v);
	assert_int_equal(
		kfix_log_count(seq, "EREMOVE returned 14 (0xe) and an EPC page was leaked"), 1);
	/* The TCS (EREMOVE failing) and its SECS (children present) are zombies now. */
	assert_int_equal(sgx_vepc_nr_zombies(p), 2);
	kfix_check(p);

	/*
	 * Once EREMOVE works again, releases of other vEPCs retry the zombies, one pass each: the
	 * SECS (first on the list) still has the TCS, which goes; the next release takes the SECS.
	 */
	sgx_inject_clear(p);
	vepc_open(&v, p, 1);
	vepc_close(&v);
	assert_int_equal(sgx_vepc_nr_zombies(p), 1);
	kfix_check(p);
	vepc_open(&v, p, 1);
	vepc_close(&v);
	assert_int_equal(sgx_vepc_nr_zombies(p), 0);
	kfix_shutdown(p);
}

/* --- release ---------------------------------------------------------------------------- */

/* Children after their SECS, or before it, in one vEPC: release frees all in its two passes. */
static void release_one_vepc(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	uint64_t seq = sgx_log_seq();
	struct guest g;
	struct vepc v;
	void *pages[3];

	vepc_open(&v, p, 8);
	pages[0] = v.map + 2 * PAGE;
	pages[1] = v.map + 3 * PAGE;
	pages[2] = v.map + 7 * PAGE;
	guest_build(&g, p, v.map + 5 * PAGE, pages, 3); /* SECS between its children */
	vepc_close(&v);
	assert_int_equal(kfix_free_pages(p), free_before);
	assert_int_equal(sgx_vepc_nr_zombies(p), 0);
	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 0);
	kfix_shutdown(p);
}

/*
 * A SECS in vEPC A whose children live in B: releasing A first leaves a zombie on the platform's
 * list; it is carried across the release of an unrelated vEPC C, and freed by B's release.
 */
static void release_zombie_secs(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	uint64_t seq = sgx_log_seq();
	struct vepc a, b, c;
	struct guest g;
	void *pages[3];
	sgx_paddr_t secs_pa;

	vepc_open(&a, p, 2);
	vepc_open(&b, p, 2);
	vepc_open(&c, p, 1);
	pages[0] = a.map + PAGE;
	pages[1] = b.map;
	pages[2] = b.map + PAGE;
	guest_build(&g, p, a.map, pages, 3);
	c.map[0] = 1;
	secs_pa = g.secs_pa;
	assert_int_equal(kfix_free_pages(p), free_before - 5);

	/* A goes: its TCS is removed, its SECS cannot be (B's children pin it). */
	vepc_close(&a);
	assert_int_equal(sgx_vepc_nr_zombies(p), 1);
	assert_true(frame_valid(p, secs_pa, NULL));
	assert_int_equal(kfix_free_pages(p), free_before - 4);
	kfix_check(p);

	/* C goes: the zombie is retried and stays (B is still there). */
	vepc_close(&c);
	assert_int_equal(sgx_vepc_nr_zombies(p), 1);
	assert_int_equal(kfix_free_pages(p), free_before - 3);
	kfix_check(p);

	/* B goes: its children are removed, then the zombie SECS with them. */
	vepc_close(&b);
	assert_int_equal(sgx_vepc_nr_zombies(p), 0);
	assert_false(frame_valid(p, secs_pa, NULL));
	assert_int_equal(kfix_free_pages(p), free_before);
	/* Expected failures (SGX_CHILD_PRESENT) are not warned about. */
	assert_int_equal(kfix_log_count(seq, "EREMOVE returned"), 0);
	kfix_shutdown(p);
}

/* --- the trapped leaves ------------------------------------------------------------------ */

static void virt_ecreate_errors(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t seq = sgx_log_seq();
	void *plain = aligned_alloc(4096, 4096);
	struct guest g;
	struct vepc v;
	int trapnr = -1;

	vepc_open(&v, p, 2);
	/* Not a user address at all: KVM's bug, EINVAL and a one-time warning. */
	assert_int_equal(guest_ecreate(&g, p, (void *)0xffff888000000000ULL, &trapnr), -EINVAL);
	assert_int_equal(guest_ecreate(&g, p, (void *)0xffff888000000000ULL, &trapnr), -EINVAL);
	assert_int_equal(trapnr, -1);
	assert_int_equal(kfix_log_count(seq, "!access_ok"), 1);
	/* Ordinary memory is not EPC: ECREATE's EPC check faults (#PF). */
	assert_int_equal(guest_ecreate(&g, p, plain, &trapnr), -EFAULT);
	assert_int_equal(trapnr, X86_TRAP_PF);
	/* Misaligned SECS address: #GP, from ECREATE itself. */
	trapnr = -1;
	assert_int_equal(guest_ecreate(&g, p, v.map + 8, &trapnr), -EFAULT);
	assert_int_equal(trapnr, X86_TRAP_GP);
	/* The real one. */
	assert_int_equal(guest_ecreate(&g, p, v.map, &trapnr), 0);
	/* EINIT on a page that is not a SECS: the guest gets the fault. */
	trapnr = -1;
	v.map[PAGE] = 0;
	assert_int_equal(guest_einit(&g, v.map + PAGE, NULL, NULL, &trapnr), -EFAULT);
	assert_int_equal(trapnr, X86_TRAP_PF);
	/* The real one. */
	assert_int_equal(guest_einit(&g, v.map, NULL, NULL, &trapnr), 0);
	free(plain);
	vepc_close(&v);
	kfix_shutdown(p);
}

/*
 * ECREATE as KVM runs it, with the guest's SECS image and SECINFO at the given (host) addresses:
 * the guest's own memory, nothing the kernel copied.
 */
static int virt_ecreate_from(struct sgx_platform *p, void *contents, void *secinfo, void *secs_hva,
			     int *trapnr)
{
	struct sgx_pageinfo pi __attribute__((aligned(32))) = {
		.contents = (uint64_t)(uintptr_t)contents,
		.metadata = (uint64_t)(uintptr_t)secinfo,
	};

	return sgx_virt_ecreate(p, &pi, (uint64_t)(uintptr_t)secs_hva, trapnr);
}

/*
 * The trapped leaves take guest memory: user addresses KVM derived from the guest's. They run
 * without the kernel-operand promise (sgx_get_lp sets it for the kernel's own copies), so the CPU
 * reads them through its checked copies and a pointer into nothing is the leaf's #PF, reflected to
 * the guest (-EFAULT, trapnr 14) — never a crash of the host, never a SECS left half made.
 */
static void virt_bad_guest_pointers(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t seq = sgx_log_seq();
	struct sgx_secinfo *secinfo = aligned_alloc(64, 64);
	struct sgx_secs *image = aligned_alloc(4096, 4096);
	void *unreadable = kfix_edge(0);	    /* the start of a PROT_NONE page */
	void *unmapped = (void *)(uintptr_t)0x1000; /* a user address with nothing there */
	uint8_t *token = aligned_alloc(512, 512);
	uint64_t signer[4];
	struct guest g;
	struct vepc v;
	int trapnr;

	assert_non_null(secinfo);
	assert_non_null(image);
	assert_non_null(token);
	vepc_open(&v, p, 2);
	memset(secinfo, 0, sizeof(*secinfo));
	secinfo->flags = SGX_SECINFO_SECS;
	memset(image, 0, sizeof(*image));
	image->base = G_BASE;
	image->size = G_SIZE;
	image->ssa_frame_size = 1;
	image->attributes.flags = SGX_ATTR_MODE64BIT;
	image->attributes.xfrm = 3;

	/* ECREATE: the SECS image, then the SECINFO, unreadable or unmapped. */
	void *bad_contents[] = { unreadable, unmapped };
	for (unsigned int i = 0; i < 2; i++) {
		trapnr = -1;
		assert_int_equal(virt_ecreate_from(p, bad_contents[i], secinfo, v.map, &trapnr),
				 -EFAULT);
		assert_int_equal(trapnr, X86_TRAP_PF);
		trapnr = -1;
		assert_int_equal(virt_ecreate_from(p, image, bad_contents[i], v.map, &trapnr),
				 -EFAULT);
		assert_int_equal(trapnr, X86_TRAP_PF);
	}
	/* Nothing happened to the page: the guest's ECREATE with good operands works. */
	assert_false(frame_valid(p, frame_of(p, v.map), NULL));
	trapnr = -1;
	assert_int_equal(virt_ecreate_from(p, image, secinfo, v.map, &trapnr), 0);
	assert_int_equal(trapnr, -1);

	/* The same SECS through the test's guest, with a TCS, and a SIGSTRUCT for it. */
	assert_int_equal(remove_all(&v), 0);
	guest_build(&g, p, v.map, (void *[]){ v.map + PAGE }, 1);
	kfix_sign(&g.sig, NULL);
	sgx_sigstruct_mrsigner(&g.sig.sigstruct, (uint8_t *)signer);
	memset(token, 0, 512);

	/* EINIT: the SIGSTRUCT, then the token, unreadable or unmapped. */
	void *bad_einit[] = { unreadable, unmapped };
	for (unsigned int i = 0; i < 2; i++) {
		struct sgx_sigstruct *sig = aligned_alloc(4096, 4096);

		assert_non_null(sig);
		memcpy(sig, &g.sig.sigstruct, sizeof(*sig));
		trapnr = -1;
		assert_int_equal(sgx_virt_einit(p, (uint64_t)(uintptr_t)bad_einit[i],
						(uint64_t)(uintptr_t)token,
						(uint64_t)(uintptr_t)v.map, signer, &trapnr),
				 -EFAULT);
		assert_int_equal(trapnr, X86_TRAP_PF);
		trapnr = -1;
		assert_int_equal(sgx_virt_einit(p, (uint64_t)(uintptr_t)sig,
						(uint64_t)(uintptr_t)bad_einit[i],
						(uint64_t)(uintptr_t)v.map, signer, &trapnr),
				 -EFAULT);
		assert_int_equal(trapnr, X86_TRAP_PF);
		free(sig);
	}
	/* Not initialised by any of that: the good EINIT works (a second one would be #GP). */
	trapnr = -1;
	assert_int_equal(guest_einit(&g, v.map, NULL, NULL, &trapnr), 0);
	assert_int_equal(trapnr, -1);
	assert_int_equal(guest_einit(&g, v.map, NULL, NULL, &trapnr), -EFAULT);
	assert_int_equal(trapnr, X86_TRAP_GP);

	/* A guest's bad pointer is the guest's business: no warning on the host. */
	assert_int_equal(kfix_log_count(seq, "WARNING"), 0);
	kfix_check(p);
	vepc_close(&v);
	free(token);
	free(image);
	free(secinfo);
	kfix_shutdown(p);
}

static uint64_t msr_writes(struct sgx_platform *p)
{
	struct sgx_cpu_stats stats;

	sgx_cpu_get_stats(p->cpu, &stats);
	return stats.msr_writes;
}

/* A host enclave signed by the fixture's key: INIT's answer and its MSR writes. */
static int host_init(struct sgx_platform *p, uint64_t *writes)
{
	struct kfix_enclave e;
	uint64_t before;
	int ret;

	kfix_enclave_init(&e, p, SGX_ATTR_MODE64BIT);
	kfix_build_standard(&e);
	kfix_sign(&e, NULL);
	before = msr_writes(p);
	ret = kfix_init(&e);
	*writes = msr_writes(p) - before;
	kfix_close(&e);
	return ret;
}

/* A guest enclave signed by the second key, with that key's hash in the guest's MSRs. */
static int guest_init(struct sgx_platform *p, const uint64_t *hash)
{
	struct guest g;
	struct vepc v;
	void *pages[1];
	int trapnr = -1, ret;

	vepc_open(&v, p, 2);
	pages[0] = v.map + PAGE;
	guest_build(&g, p, v.map, pages, 1);
	ret = guest_einit(&g, v.map, kfix_second_key(), hash, &trapnr);
	vepc_close(&v);
	return ret;
}

/*
 * The guest's EINIT writes the launch-key MSRs behind the host's back (seed 000). With the
 * host's per-LP cache, sgx_virt_einit must invalidate it; one LP makes the LP certain.
 */
static void guest_einit_and_launch_cache(void **state)
{
	struct kfix_config cfg = { .lps = 1, .launch_cache = true };
	struct sgx_platform *p = kfix_boot(&cfg);
	uint64_t writes, wrong[4] = { 1, 2, 3, 4 };

	/* The host warms its cache; the same signer again writes nothing. */
	assert_int_equal(host_init(p, &writes), 0);
	assert_int_equal(writes, 4);
	assert_int_equal(host_init(p, &writes), 0);
	assert_int_equal(writes, 0);

	/* A guest with the wrong hash in its virtual MSRs: EINIT's code goes back to the guest. */
	assert_int_equal(guest_init(p, wrong), SGX_INVALID_EINITTOKEN);
	/* The guest's own signer: EINIT succeeds. */
	assert_int_equal(guest_init(p, NULL), 0);

	/* The host's next EINIT on that LP rewrites all four MSRs and succeeds. */
	assert_int_equal(host_init(p, &writes), 0);
	assert_int_equal(writes, 4);

	/* Without the invalidation, the stale cache skips the writes and EINIT fails. */
	p->test_hooks.virt_einit_keeps_launch_cache = true;
	assert_int_equal(guest_init(p, NULL), 0);
	assert_int_equal(host_init(p, &writes), -EPERM);
	assert_int_equal(writes, 0);
	p->test_hooks.virt_einit_keeps_launch_cache = false;
	kfix_shutdown(p);
}

/* Mainline writes before every EINIT: a guest's EINIT in between does not matter. */
static void guest_einit_mainline(void **state)
{
	struct kfix_config cfg = { .lps = 1 };
	struct sgx_platform *p = kfix_boot(&cfg);
	uint64_t writes;

	p->test_hooks.virt_einit_keeps_launch_cache = true;
	assert_int_equal(host_init(p, &writes), 0);
	assert_int_equal(guest_init(p, NULL), 0);
	assert_int_equal(host_init(p, &writes), 0);
	assert_int_equal(writes, 4);
	kfix_shutdown(p);
}

/* Without flexible launch control the MSRs are locked: the guest's hash is not written. */
static void guest_einit_without_flc(void **state)
{
	struct kfix_config cfg = { .no_flc = true };
	struct sgx_platform *p = kfix_boot(&cfg);
	uint64_t before = msr_writes(p);

	/* Intel's hash is in the MSRs, so only a token could launch it: none is given. */
	assert_int_equal(guest_init(p, NULL), SGX_INVALID_EINITTOKEN);
	assert_int_equal(msr_writes(p), before);
	kfix_shutdown(p);
}

/* --- EPC loss ------------------------------------------------------------------------ */

/* The host sleeps: the guest's EPC is gone ("sudden loss of EPC"), its frames stay allocated. */
static void vepc_across_suspend(void **state)
{
	struct sgx_platform *p = kfix_boot(NULL);
	uint64_t free_before = kfix_free_pages(p);
	struct vepc a, b;
	struct guest g;
	void *pages[3];

	vepc_open(&a, p, 2);
	vepc_open(&b, p, 2);
	pages[0] = a.map + PAGE;
	pages[1] = b.map;
	pages[2] = b.map + PAGE;
	guest_build(&g, p, a.map, pages, 3);
	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_suspend(p), -EBUSY);
	assert_int_equal(sgx_platform_resume(p), 0);
	assert_int_equal(sgx_platform_resume(p), -EINVAL);

	assert_false(frame_valid(p, g.secs_pa, NULL));
	for (unsigned int i = 0; i < 3; i++)
		assert_false(frame_valid(p, frame_of(p, pages[i]), NULL));
	assert_int_equal(kfix_free_pages(p), free_before - 4);
	kfix_check(p);
	/* Nothing to remove any more; the guest rebuilds on the same frames. */
	assert_int_equal(remove_all(&a), 0);
	assert_int_equal(remove_all(&b), 0);
	guest_build(&g, p, a.map, pages, 3);
	/* A zombie that the EPC loss frees: the next release finds its EREMOVE succeeds. */
	vepc_close(&a);
	assert_int_equal(sgx_vepc_nr_zombies(p), 1);
	assert_int_equal(sgx_platform_suspend(p), 0);
	assert_int_equal(sgx_platform_resume(p), 0);
	kfix_check(p);
	vepc_close(&b);
	assert_int_equal(sgx_vepc_nr_zombies(p), 0);
	assert_int_equal(kfix_free_pages(p), free_before);
	kfix_shutdown(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vepc_device),
		cmocka_unit_test(vepc_mmap_and_fault),
		cmocka_unit_test(vepc_not_inherited_by_fork),
		cmocka_unit_test(vepc_fault_without_epc),
		cmocka_unit_test(remove_all_one_vepc),
		cmocka_unit_test(remove_all_two_vepcs),
		cmocka_unit_test(remove_all_busy),
		cmocka_unit_test(release_one_vepc),
		cmocka_unit_test(release_zombie_secs),
		cmocka_unit_test(virt_ecreate_errors),
		cmocka_unit_test(virt_bad_guest_pointers),
		cmocka_unit_test(guest_einit_and_launch_cache),
		cmocka_unit_test(guest_einit_mainline),
		cmocka_unit_test(guest_einit_without_flc),
		cmocka_unit_test(vepc_across_suspend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
