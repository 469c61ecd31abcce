// SPDX-License-Identifier: MIT
/* Operations that exercise memory and the CPU: fault sites, page touching, spinning. */
#include "te.h"

#define SITE(name)                                    \
	extern const char te_site_##name[] TE_HIDDEN; \
	extern const char te_resume_##name[] TE_HIDDEN
SITE(ud2);
SITE(int3);
SITE(div0);
SITE(syscall);
SITE(cpuid);
SITE(write);
SITE(read);
SITE(gp);
SITE(exec);

/* Relocated at the first entry, like every pointer table. */
static const char *const te_sites[TE_FAULT_MAX][2] = {
	[TE_FAULT_UD2] = { te_site_ud2, te_resume_ud2 },
	[TE_FAULT_INT3] = { te_site_int3, te_resume_int3 },
	[TE_FAULT_DIV0] = { te_site_div0, te_resume_div0 },
	[TE_FAULT_SYSCALL] = { te_site_syscall, te_resume_syscall },
	[TE_FAULT_CPUID] = { te_site_cpuid, te_resume_cpuid },
	[TE_FAULT_WRITE] = { te_site_write, te_resume_write },
	[TE_FAULT_READ] = { te_site_read, te_resume_read },
	[TE_FAULT_GP] = { te_site_gp, te_resume_gp },
	[TE_FAULT_EXEC] = { te_site_exec, te_resume_exec },
};

int64_t te_op_fault(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_fault *t = &a->u.fault;
	uint64_t addr = t->addr, before;

	if (t->kind == 0 || t->kind >= TE_FAULT_MAX)
		return TE_ERR_PARAM;
	if (!addr) {
		if (t->kind == TE_FAULT_WRITE || t->kind == TE_FAULT_EXEC)
			addr = (uint64_t)te_ro_page;
		else if (t->kind == TE_FAULT_READ)
			addr = te_base() + te_tls()->image_end;
		else if (t->kind == TE_FAULT_GP)
			addr = 0x8000000000000000ULL;
	}
	t->fault_rip = (uint64_t)te_sites[t->kind][0];
	t->resume_rip = (uint64_t)te_sites[t->kind][1];
	before = te_exception_seq();
	t->rax_out = te_fault_trigger(t->kind, addr, t->seed);
	t->exceptions = te_exception_seq() - before;
	return TE_OK;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Visiting order: i-th page = (start + i * step) mod n with gcd(step, n) = 1, a permutation. */
struct te_order {
	uint64_t n, step, start, cur;
};

static void order_init(struct te_order *o, uint64_t n, uint64_t seed, int random)
{
	o->n = n;
	o->step = 1;
	o->start = 0;
	if (random && n > 1) {
		o->start = te_pattern(seed, 1) % n;
		o->step = te_pattern(seed, 2) % n;
		if (o->step == 0)
			o->step = 1;
		while (gcd(o->step, n) != 1)
			o->step = o->step + 1 == n ? 1 : o->step + 1;
	}
	o->cur = o->start;
}

static uint64_t order_next(struct te_order *o)
{
	uint64_t page = o->cur;

	o->cur += o->step; /* both < n: no overflow */
	if (o->cur >= o->n)
		o->cur -= o->n;
	return page;
}

static void touch_eaccept(struct te_touch *t, uint64_t page)
{
	struct te_secinfo secinfo = {
		.flags = TE_SECINFO_REG | TE_SECINFO_R | TE_SECINFO_W | TE_SECINFO_PENDING,
	};
	struct te_enclu_regs r = { .rax = TE_EACCEPT, .rbx = (uint64_t)&secinfo, .rcx = page };

	te_enclu(&r);
	if (r.rax && !t->eaccept_failures++)
		t->eaccept_status = r.rax;
}

int64_t te_op_touch(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_touch *t = &a->u.touch;
	const struct sgxemu_tls *tls = te_tls();
	uint64_t base = te_base(), addr = t->addr, n = t->npages;
	int random = !!(t->mode & TE_TOUCH_RANDOM);
	struct te_order order;

	if (!addr) {
		addr = base + tls->heap;
		if (!n)
			n = tls->heap_size / TE_PAGE_SIZE;
	}
	if ((addr & (TE_PAGE_SIZE - 1)) || !n || n > tls->enclave_size / TE_PAGE_SIZE ||
	    !te_inside_enclave(addr, n * TE_PAGE_SIZE))
		return TE_ERR_PARAM;
	if (!(t->mode & (TE_TOUCH_WRITE | TE_TOUCH_VERIFY | TE_TOUCH_EACCEPT)))
		return TE_ERR_PARAM;

	t->pages_done = t->mismatches = t->first_mismatch = 0;
	t->eaccept_failures = t->eaccept_status = 0;

	if (t->mode & (TE_TOUCH_WRITE | TE_TOUCH_EACCEPT)) {
		order_init(&order, n, t->seed, random);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t page = addr + order_next(&order) * TE_PAGE_SIZE;
			volatile uint64_t *w = (volatile uint64_t *)page;
			uint64_t failures = t->eaccept_failures;

			if (t->mode & TE_TOUCH_EACCEPT)
				touch_eaccept(t, page);
			if ((t->mode & TE_TOUCH_WRITE) && failures == t->eaccept_failures)
				for (uint64_t k = 0; k < TE_PAGE_SIZE / 8; k++)
					w[k] = te_pattern(t->seed, page - base + 8 * k);
		}
		t->pages_done = n;
	}
	if (t->mode & TE_TOUCH_VERIFY) {
		order_init(&order, n, t->seed, random);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t page = addr + order_next(&order) * TE_PAGE_SIZE;
			volatile uint64_t *w = (volatile uint64_t *)page;

			for (uint64_t k = 0; k < TE_PAGE_SIZE / 8; k++) {
				if (w[k] == te_pattern(t->seed, page - base + 8 * k))
					continue;
				if (!t->mismatches++)
					t->first_mismatch = page + 8 * k;
			}
		}
		t->pages_done = n;
	}
	return TE_OK;
}

int64_t te_op_spin(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_spin *s = &a->u.spin;
	uint64_t x = s->seed, i = 0;

	if (s->stop_addr && !te_outside_enclave(s->stop_addr, sizeof(uint64_t)))
		return TE_ERR_PARAM;
	if (s->flags & ~TE_SPIN_VECTOR)
		return TE_ERR_PARAM;
	if (s->flags & TE_SPIN_VECTOR) {
		s->checksum = te_spin_vector(s->seed, s->iterations, s->stop_addr, &s->done);
		return TE_OK;
	}
	while (i < s->iterations) {
		uint64_t end = s->iterations - i < 1024 ? s->iterations : i + 1024;

		for (; i < end; i++)
			x = te_spin_step(x, i);
		if (s->stop_addr && *(volatile uint64_t *)s->stop_addr)
			break;
	}
	s->done = i;
	s->checksum = x;
	return TE_OK;
}
