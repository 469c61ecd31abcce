// SPDX-License-Identifier: MIT
/* Operations that need no SGX instruction: echo, info, the buffer, raw reads and writes. */
#include "te.h"

uint8_t te_buffer[TE_BUFFER_SIZE] __attribute__((aligned(4096)));

/* A read-only page of the image with known, non-zero contents (write-fault and exec tests). */
const uint8_t te_ro_page[TE_PAGE_SIZE] __attribute__((aligned(4096))) = {
	[0] = 0x5a,
	[TE_PAGE_SIZE - 1] = 0xa5,
};

int64_t te_op_echo(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_echo *e = &a->u.echo;

	e->echo = e->a;
	e->sum = e->a + e->b;
	e->difference = e->a - e->b;
	e->product = e->a * e->b;
	return TE_OK;
}

int64_t te_op_info(struct te_args *a, const struct te_entry_frame *f)
{
	const struct sgxemu_tls *tls = te_tls();
	struct te_info *i = &a->u.info;
	uint64_t base = te_base();

	i->base = base;
	i->enclave_size = tls->enclave_size;
	i->tcs = f->tcs;
	i->tls = base + tls->self;
	i->ssa = base + tls->ssa;
	i->nssa = tls->nssa;
	i->ssa_frame_size = tls->ssa_frame_size;
	i->thread_index = tls->thread_index;
	i->nr_threads = tls->nr_threads;
	i->stack_top = base + tls->stack_top;
	i->stack_bottom = base + tls->stack_bottom;
	i->heap = base + tls->heap;
	i->heap_size = tls->heap_size;
	i->image_end = base + tls->image_end;
	i->buffer = (uint64_t)te_buffer;
	i->ro_page = (uint64_t)te_ro_page;
	i->cssa = f->cssa;
	i->entries = te_thread()->entries;
	i->relocations = te_relocation_count();
	return TE_OK;
}

static int buf_range_ok(const struct te_buf *b)
{
	return b->len <= TE_XFER_MAX && b->offset <= TE_BUFFER_SIZE &&
	       b->len <= TE_BUFFER_SIZE - b->offset;
}

int64_t te_op_buf_put(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_buf *b = &a->u.buf;

	if (!buf_range_ok(b))
		return TE_ERR_PARAM;
	memcpy(te_buffer + b->offset, b->data, b->len);
	return TE_OK;
}

int64_t te_op_buf_get(struct te_args *a, const struct te_entry_frame *f)
{
	struct te_buf *b = &a->u.buf;

	if (!buf_range_ok(b))
		return TE_ERR_PARAM;
	memcpy(b->data, te_buffer + b->offset, b->len);
	return TE_OK;
}

/* Deliberately unchecked: tests read and write any address (EPCM and paging rules apply). */
int64_t te_op_read(struct te_args *a, const struct te_entry_frame *f)
{
	a->u.mem.value = *(volatile uint64_t *)a->u.mem.addr;
	return TE_OK;
}

int64_t te_op_write(struct te_args *a, const struct te_entry_frame *f)
{
	*(volatile uint64_t *)a->u.mem.addr = a->u.mem.value;
	return TE_OK;
}
