/*
 * 4-level x86-64 page tables: the kernel's own tables (a direct map of RAM and the
 * image with W^X permissions), the map/unmap/protect/walk API every address space
 * uses, ioremap for device registers, and TLB shootdown across CPUs.
 */
#define LOG_SUBSYS "paging"
#include <stdbool.h>
#include "kernel/arch.h"
#include "kernel/boot.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "kernel/paging.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "internal.h"
#include "x86.h"

#define PTE_NX		(1ULL << 63)
#define PTE_ADDR	0x000ffffffffff000ULL
#define LARGE_PAGE	(1UL << 21)

extern char _kernel_start[], _etext[], _data[], _kernel_end[];

static uint64_t kernel_root;
static struct spinlock pt_lock = SPINLOCK_INIT("page tables");	/* every table update */
static struct spinlock mmio_lock = SPINLOCK_INIT("ioremap");	/* mmio_next */
static uintptr_t mmio_next = MMIO_BASE;

static struct spinlock shootdown_lock = SPINLOCK_INIT("shootdown");	/* one at a time */
static volatile uintptr_t shootdown_va;
static volatile int shootdown_pending;

uint64_t pgtable_kernel_root(void)
{
	return kernel_root;
}

static uint64_t pte_bits(unsigned flags)
{
	uint64_t bits = PTE_P;

	if (flags & PG_WRITE)
		bits |= PTE_W;
	if (flags & PG_USER)
		bits |= PTE_U;
	else
		bits |= PTE_G;
	if (!(flags & PG_EXEC))
		bits |= PTE_NX;
	if (flags & PG_NOCACHE)
		bits |= PTE_PCD | PTE_PWT;
	return bits;
}

static unsigned vm_flags(uint64_t pte)
{
	unsigned flags = 0;

	if (pte & PTE_W)
		flags |= PG_WRITE;
	if (pte & PTE_U)
		flags |= PG_USER;
	if (!(pte & PTE_NX))
		flags |= PG_EXEC;
	if (pte & PTE_PCD)
		flags |= PG_NOCACHE;
	if (pte & PTE_A)
		flags |= PG_ACCESSED;
	if (pte & PTE_D)
		flags |= PG_DIRTY;
	return flags;
}

/*
 * Find the entry that maps va at the given level (0: 4 KiB page, 1: 2 MiB page),
 * allocating missing tables when create is set. Returns NULL when a table is
 * missing (and not created), when allocation fails, or when a large page covers va;
 * *large says which of the last two it was.
 */
static uint64_t *walk(uint64_t root, uintptr_t va, int level, bool create, bool *large)
{
	uint64_t *table = phys_to_virt(root);

	*large = false;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &table[(va >> (12 + 9 * l)) & 511];

		if (!(*e & PTE_P)) {
			void *page;

			if (!create || !(page = page_alloc(0)))
				return NULL;
			*e = virt_to_phys(page) | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			*large = true;
			return e;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[(va >> (12 + 9 * level)) & 511];
}

static int map_at(uint64_t root, uintptr_t va, uint64_t pa, unsigned flags, int level)
{
	bool large;
	uint64_t *e;
	int err = 0;

	spin_lock(&pt_lock);
	e = walk(root, va, level, true, &large);
	if (!e)
		err = -ENOMEM;
	else if (large || (*e & PTE_P))
		err = -EEXIST;
	else
		*e = pa | pte_bits(flags) | (level ? PTE_PS : 0);
	spin_unlock(&pt_lock);
	return err;
}

int pgtable_map(uint64_t root, uintptr_t va, uint64_t pa, unsigned flags)
{
	if ((va | pa) & (PAGE_SIZE - 1))
		return -EINVAL;
	return map_at(root, va, pa, flags, 0);
}

/* Look up the present 4 KiB leaf for va; large pages are not split, so they fail. */
static uint64_t *leaf(uint64_t root, uintptr_t va)
{
	bool large;
	uint64_t *e = walk(root, va, 0, false, &large);

	return (e && !large && (*e & PTE_P)) ? e : NULL;
}

/*
 * Remove va's mapping and shoot its translation down on every CPU. *flags gets the
 * entry's last state (PG_DIRTY: written since it was mapped), read as it is cleared.
 */
int pgtable_unmap(uint64_t root, uintptr_t va, uint64_t *pa, unsigned *flags)
{
	uint64_t *e, old = 0;

	spin_lock(&pt_lock);
	e = leaf(root, va);
	if (e) {
		old = __atomic_exchange_n(e, 0, __ATOMIC_SEQ_CST);
		if (pa)
			*pa = old & PTE_ADDR;
	}
	spin_unlock(&pt_lock);
	if (!e)
		return -ENOENT;
	tlb_shootdown(va);
	/* A CPU may have set D between our exchange and its flush: it wrote, so keep it. */
	if (flags)
		*flags = vm_flags(old);
	return 0;
}

int pgtable_protect(uint64_t root, uintptr_t va, unsigned flags)
{
	uint64_t *e;

	spin_lock(&pt_lock);
	e = leaf(root, va);
	if (e)
		*e = (*e & PTE_ADDR) | pte_bits(flags);
	spin_unlock(&pt_lock);
	if (!e)
		return -ENOENT;
	tlb_shootdown(va);
	return 0;
}

int pgtable_walk(uint64_t root, uintptr_t va, uint64_t *pa, unsigned *flags)
{
	bool large;
	uint64_t *e, entry = 0, offset_mask = PAGE_SIZE - 1;

	spin_lock(&pt_lock);
	e = walk(root, va, 0, false, &large);
	if (e)
		entry = *e;
	spin_unlock(&pt_lock);
	if (!(entry & PTE_P))
		return -ENOENT;
	if (large)
		offset_mask = LARGE_PAGE - 1;
	if (pa)
		*pa = (entry & PTE_ADDR & ~offset_mask) | (va & offset_mask);
	if (flags)
		*flags = vm_flags(entry);
	return 0;
}

/*
 * Clear va's accessed bit and say whether it was set. No TLB flush (as Linux's
 * ptep_clear_flush_young on x86): a CPU still holding the translation may skip
 * setting the bit again until it refills, which only makes the sample lag.
 */
bool pgtable_test_clear_accessed(uint64_t root, uintptr_t va)
{
	uint64_t *e;
	bool young = false;

	spin_lock(&pt_lock);
	e = leaf(root, va);
	if (e)
		young = __atomic_fetch_and(e, ~(uint64_t)PTE_A, __ATOMIC_SEQ_CST) & PTE_A;
	spin_unlock(&pt_lock);
	return young;
}

/* A user address space: empty below the kernel half, which it shares with every other. */
uint64_t pgtable_create(void)
{
	uint64_t *root = page_alloc(0);
	const uint64_t *kernel = phys_to_virt(kernel_root);

	if (!root)
		return 0;
	for (int i = 256; i < 512; i++)
		root[i] = kernel[i];
	return virt_to_phys(root);
}

/* Free the user half's tables, level by level (the frames they map are the caller's). */
static void free_tables(uint64_t *table, int level)
{
	for (int i = 0; level > 0 && i < 512; i++)
		if ((table[i] & PTE_P) && !(table[i] & PTE_PS))
			free_tables(phys_to_virt(table[i] & PTE_ADDR), level - 1);
	page_free(table);
}

/* The space must not be loaded on any CPU. */
void pgtable_destroy(uint64_t root)
{
	uint64_t *top = phys_to_virt(root);

	for (int i = 0; i < 256; i++)
		if (top[i] & PTE_P)
			free_tables(phys_to_virt(top[i] & PTE_ADDR), 2);
	page_free(top);
}

void *ioremap(uint64_t pa, size_t len)
{
	uint64_t base = pa & ~(PAGE_SIZE - 1);
	size_t n = PAGE_ALIGN_UP(len + (pa - base)) / PAGE_SIZE;
	uintptr_t va;

	spin_lock(&mmio_lock);
	va = mmio_next;
	mmio_next += (n + 1) * PAGE_SIZE;	/* leave an unmapped guard page */
	spin_unlock(&mmio_lock);
	for (size_t i = 0; i < n; i++)
		if (pgtable_map(kernel_root, va + i * PAGE_SIZE, base + i * PAGE_SIZE,
			   PG_WRITE | PG_NOCACHE))
			panic("ioremap %#lx: out of memory for page tables", pa);
	return (void *)(va + (pa - base));
}

/* Map a physical range into the direct map, with 2 MiB pages where alignment allows. */
static void map_direct(uint64_t base, uint64_t len)
{
	uint64_t pa = PAGE_ALIGN_DOWN(base), end = base + len;

	while (pa < end) {
		bool big = !(pa & (LARGE_PAGE - 1)) && pa + LARGE_PAGE <= end;
		int err = map_at(kernel_root, DIRECT_MAP + pa, pa, PG_WRITE, big ? 1 : 0);

		if (err)
			panic("direct map of %#lx failed (%d)", pa, err);
		pa += big ? LARGE_PAGE : PAGE_SIZE;
	}
}

/* Map the kernel image: text read+exec, rodata read-only, data and bss read+write. */
static void map_image(void)
{
	for (uintptr_t va = (uintptr_t)_kernel_start; va < (uintptr_t)_kernel_end; va += PAGE_SIZE) {
		unsigned flags = 0;

		if (va < (uintptr_t)_etext)
			flags = PG_EXEC;
		else if (va >= (uintptr_t)_data)
			flags = PG_WRITE;
		if (pgtable_map(kernel_root, va, va - KERNEL_VMA, flags))
			panic("cannot map the kernel image at %#lx", va);
	}
}

/*
 * Build the kernel's page tables and switch to them. The boot tables stay as they
 * are: application processors start on them (they identity-map the trampoline).
 */
void paging_init(void)
{
	void *root = page_alloc(0);

	if (!root)
		panic("no memory for the kernel page tables");
	kernel_root = virt_to_phys(root);
	for (unsigned i = 0; i < boot_info.nram; i++)
		map_direct(boot_info.ram[i].base, boot_info.ram[i].len);
	map_image();
	paging_init_cpu();
}

/* Load the kernel tables on this CPU, with global pages enabled. */
void paging_init_cpu(void)
{
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3(kernel_root);
}

void tlb_shootdown_ipi(void)
{
	invlpg(shootdown_va);
	__atomic_fetch_sub(&shootdown_pending, 1, __ATOMIC_RELEASE);
}

/*
 * Must be called with interrupts enabled once other CPUs run: a CPU waiting here
 * must still answer the shootdown another CPU may have sent it first.
 */
void tlb_shootdown(uintptr_t va)
{
	unsigned others = smp_online_count() - 1;

	invlpg(va);
	if (others == 0)
		return;
	spin_lock(&shootdown_lock);
	shootdown_va = va;
	__atomic_store_n(&shootdown_pending, (int)others, __ATOMIC_RELEASE);
	apic_send_ipi_others(VEC_SHOOTDOWN);
	while (__atomic_load_n(&shootdown_pending, __ATOMIC_ACQUIRE) > 0)
		cpu_relax();
	spin_unlock(&shootdown_lock);
}

/*
 * Is va mapped in the kernel tables? Takes no lock: the panic path uses it to
 * check an untrusted frame chain while another CPU may hold pt_lock forever.
 */
bool pgtable_kernel_mapped(uintptr_t va)
{
	const uint64_t *table = phys_to_virt(kernel_root);

	for (int l = 3; l >= 0; l--) {
		uint64_t e = table[(va >> (12 + 9 * l)) & 511];

		if (!(e & PTE_P))
			return false;
		if (l == 0 || (e & PTE_PS))
			return true;
		table = phys_to_virt(e & PTE_ADDR);
	}
	return false;
}
