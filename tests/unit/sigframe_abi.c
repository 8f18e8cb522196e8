/*
 * The oracle for the signal frame's layout (tests/unit/sigframe_abi.h): Linux's
 * struct rt_sigframe (arch/x86/include/asm/sigframe.h) rebuilt from the uapi types
 * the host's kernel headers give. Only uapi headers here: no Tessera declaration.
 */
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/siginfo.h>
#include <asm/ucontext.h>
#include "sigframe_abi.h"

struct linux_rt_sigframe {
	char *pretcode;
	struct ucontext uc;
	siginfo_t info;
};

#define UC(f) (offsetof(struct linux_rt_sigframe, uc) + offsetof(struct ucontext, f))
#define MC(f) (UC(uc_mcontext) + offsetof(struct sigcontext, f))
#define SI(f) (offsetof(struct linux_rt_sigframe, info) + offsetof(siginfo_t, f))

const struct sigframe_abi sigframe_abi = {
	.size = sizeof(struct linux_rt_sigframe),
	.uc = offsetof(struct linux_rt_sigframe, uc),
	.info = offsetof(struct linux_rt_sigframe, info),
	.uc_flags = UC(uc_flags), .uc_link = UC(uc_link), .ss_sp = UC(uc_stack.ss_sp),
	.ss_flags = UC(uc_stack.ss_flags), .ss_size = UC(uc_stack.ss_size),
	.sigmask = UC(uc_sigmask),
	.r8 = MC(r8), .r9 = MC(r9), .r10 = MC(r10), .r11 = MC(r11), .r12 = MC(r12),
	.r13 = MC(r13), .r14 = MC(r14), .r15 = MC(r15), .rdi = MC(rdi), .rsi = MC(rsi),
	.rbp = MC(rbp), .rbx = MC(rbx), .rdx = MC(rdx), .rax = MC(rax), .rcx = MC(rcx),
	.rsp = MC(rsp), .rip = MC(rip), .eflags = MC(eflags), .cs = MC(cs), .err = MC(err),
	.trapno = MC(trapno), .oldmask = MC(oldmask), .cr2 = MC(cr2), .fpstate = MC(fpstate),
	.si_signo = SI(si_signo), .si_errno = SI(si_errno), .si_code = SI(si_code),
};
