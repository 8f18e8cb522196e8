/*
 * Linux's x86-64 signal frame as the host's own uapi headers lay it out
 * (tests/unit/sigframe_abi.c), for checking the frame pcomponent/signal.c builds
 * against something it did not write: offsets from the frame's start (the rsp a
 * handler is entered with).
 */
#ifndef TESTS_UNIT_SIGFRAME_ABI_H
#define TESTS_UNIT_SIGFRAME_ABI_H

#include <stddef.h>

struct sigframe_abi {
	size_t size;			/* struct rt_sigframe, without the FPU state */
	size_t uc, info;		/* the ucontext and the siginfo */
	size_t uc_flags, uc_link, ss_sp, ss_flags, ss_size, sigmask;
	/* uc_mcontext's fields */
	size_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx;
	size_t rsp, rip, eflags, cs, err, trapno, oldmask, cr2, fpstate;
	size_t si_signo, si_errno, si_code;
};

extern const struct sigframe_abi sigframe_abi;

#endif
