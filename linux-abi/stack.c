/*
 * The initial stack of a new program, as the x86-64 System V ABI and Linux's ELF
 * loader lay it out: argc at the stack pointer, then argv[], NULL, envp[], NULL,
 * the auxiliary vector, and above them the strings and AT_RANDOM's 16 bytes.
 * Written through the ExCache, so the stack's first pages come from its owner.
 */
#include "kernel/arch.h"
#include "kernel/errno.h"
#include "kernel/mm.h"
#include "lib/string.h"
#include "linux-abi/abi.h"
#include "linux-abi/linux.h"
#include "pcomponent/process.h"
#include "pcomponent/signal.h"

#define NAUX 17		/* pairs, AT_NULL included */
#define CLK_TCK 100

/* The auxiliary vector; random and execfn are user addresses. */
static void fill_auxv(const struct process *p, uint64_t *v, uint64_t random, uint64_t execfn)
{
	const uint64_t aux[NAUX][2] = {
		{ AT_PHDR, p->exec.phdr }, { AT_PHENT, p->exec.phent },
		{ AT_PHNUM, p->exec.phnum }, { AT_PAGESZ, NET_PAGE_SIZE }, { AT_BASE, 0 },
		{ AT_FLAGS, 0 }, { AT_ENTRY, p->exec.entry }, { AT_UID, 0 }, { AT_EUID, 0 },
		{ AT_GID, 0 }, { AT_EGID, 0 }, { AT_HWCAP, 0 }, { AT_CLKTCK, CLK_TCK },
		{ AT_SECURE, 0 }, { AT_RANDOM, random }, { AT_EXECFN, execfn }, { AT_NULL, 0 },
	};

	memcpy(v, aux, sizeof(aux));
}

/* argv[] then envp[], each NULL-terminated, pointing into the strings copied to base. */
static uint64_t *fill_pointers(const struct process *p, uint64_t *v, uint64_t base)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < p->argc + p->envc; i++) {
		if (i == p->argc)
			*v++ = 0;
		*v++ = base + off;
		off += (uint32_t)strlen(p->strings + off) + 1;
	}
	if (p->envc == 0)
		*v++ = 0;
	*v++ = 0;
	return v;
}

int abi_initial_stack(struct process *p, uint64_t *rsp)
{
	uint64_t strings = (p->exec.stack_top - p->strings_len) & ~15ULL;
	uint64_t random = strings - 16, words = 1 + p->argc + 1 + p->envc + 1 + 2 * NAUX;
	uint64_t seed[2] = { arch_entropy(), arch_entropy() ^ p->pid };
	uint64_t sp = (random - words * 8) & ~15ULL;
	uint64_t *v = kmalloc(words * 8), *aux;
	int err;

	if (!v)
		return -ENOMEM;
	v[0] = p->argc;
	aux = fill_pointers(p, &v[1], strings);
	fill_auxv(p, aux, random, strings);
	err = mm_copy_out(p->mm, strings, p->strings, p->strings_len);
	if (!err)
		err = mm_copy_out(p->mm, random, seed, sizeof(seed));
	if (!err)
		err = mm_copy_out(p->mm, sp, v, words * 8);
	kfree(v);
	*rsp = sp;
	return err;
}

void abi_exec(struct uthread *t, struct mm *mm, char *strings, uint32_t len, uint16_t argc,
	      uint16_t envc)
{
	struct process *p = t->proc;
	struct user_regs r = { .rip = p->exec.entry };
	int err;

	mm_put(proc_exec(t, mm));
	p->strings = strings;
	p->strings_len = len;
	p->argc = argc;
	p->envc = envc;
	err = abi_initial_stack(p, &r.rsp);
	kfree(p->strings);
	p->strings = NULL;
	if (err)
		proc_kill(SIGSEGV, "no room for the new program's stack", r.rsp);
	arch_user_enter(&r);
}
