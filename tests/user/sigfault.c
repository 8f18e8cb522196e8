/*
 * Faults a program handles itself: SIGSEGV from a write through NULL and from a
 * write to a read-only page, on the alternate stack (sigaltstack), and SIGFPE from
 * an integer division by zero, each left by siglongjmp; then a fault with the
 * handler blocked, which ends the process with SIGSEGV as on Linux.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf back;
static volatile sig_atomic_t caught, on_alt;
static char altstack[64 * 1024];
static volatile int *volatile nowhere;	/* NULL, opaque to the compiler */
static volatile int zero;

static void handler(int sig, siginfo_t *si, void *uc)
{
	char here;

	(void)si, (void)uc;
	caught = sig;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
	siglongjmp(back, 1);
}

static void expect(const char *what, int sig, void (*fault)(void))
{
	caught = 0;
	if (!sigsetjmp(back, 1))
		fault();
	printf("%s: signal %d caught%s\n", what, caught, on_alt ? " on the alternate stack" : "");
	if (caught != sig)
		exit(1);
}

static void write_null(void)
{
	*nowhere = 1;
}

static char *ro;

static void write_read_only(void)
{
	ro[0] = 1;
}

static void divide_by_zero(void)
{
	printf("%d\n", 7 / zero);
}

int main(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	sigset_t block;

	setvbuf(stdout, NULL, _IONBF, 0);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED || sigaltstack(&ss, NULL))
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	expect("write through NULL", SIGSEGV, write_null);
	expect("write to a read-only page", SIGSEGV, write_read_only);
	expect("divide by zero", SIGFPE, divide_by_zero);
	sigemptyset(&block);
	sigaddset(&block, SIGSEGV);
	sigprocmask(SIG_BLOCK, &block, NULL);
	printf("blocked: the next fault ends the process\n");
	write_null();
	printf("still here\n");
	return 0;
}
