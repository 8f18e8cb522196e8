/*
 * hello: stdout through stdio, stderr through write(2), arguments and exit codes.
 * Prints a greeting and argv[1..] one per line; if argv[1] is a number, exits with
 * it (so `hello 3` must exit 3 on a vNode as on the host).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int is_number(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	static const char err[] = "to stderr\n";

	printf("hello from tessera\n");
	for (int i = 1; i < argc; i++)
		printf("%s\n", argv[i]);
	if (write(2, err, strlen(err)) != (ssize_t)strlen(err))
		return 120;
	if (argc > 1 && is_number(argv[1]))
		return atoi(argv[1]);
	return 0;
}
