/* net/fabric/main.c: the fabric program: command line, setup, the poll loop
 * and a clean exit. scripts/tessera starts one per cluster; tests start
 * their own. The loop sleeps in poll() until a frame, a command or a timer. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fabric.h"

static const char usage[] =
"usage: fabric --dir DIR [--seed N] [--port NAME=MAC]... [--pcap FILE]\n"
"\n"
"The Tessera fabric: an Ethernet switch between unix datagram sockets that\n"
"injects faults on command. docs/fabric.md describes it in full.\n"
"\n"
"  --dir DIR          where the sockets live (created if missing); the\n"
"                     fabric runs with DIR as its working directory\n"
"  --seed N           seed of every random choice (0..2^64-1, default 1);\n"
"                     the same seed and traffic replay the same faults\n"
"  --port NAME=MAC    a port: binds DIR/NAME.sock, sends to DIR/NAME.peer.sock\n"
"                     and delivers frames for MAC (aa:bb:cc:dd:ee:ff) there.\n"
"                     NAME is 1..31 of [A-Za-z0-9_-]. Repeat for each port;\n"
"                     more can join later with the control command port add\n"
"  --pcap FILE        write every delivered frame to FILE (pcap, Ethernet)\n"
"  -h, --help         this text\n"
"\n"
"Control: connect to DIR/control.sock (unix stream), send one command per\n"
"line, read one reply per command; `help` lists the commands. SIGTERM,\n"
"SIGINT or `quit` stop the fabric and remove its sockets.\n";

static int signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stop_signal;

void flog(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "[fabric] %s\n", buf);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Relative paths given to the fabric mean the directory it was started in,
 * not DIR, its working directory. */
int resolve_path(const struct fabric *f, const char *path, char *out,
		 size_t size)
{
	int n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else
		n = snprintf(out, size, "%s/%s", f->origin, path);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void on_signal(int sig)
{
	int saved = errno;
	char c = 0;

	stop_signal = sig;
	if (write(signal_pipe[1], &c, 1) < 0)
		(void)0;	/* pipe full: a wakeup is pending anyway */
	errno = saved;
}

/* A signal only sets a flag and writes to a pipe that poll() watches, so it
 * can never interrupt half an update of the fabric's state. */
static int signals_init(void)
{
	struct sigaction sa;
	int i;

	if (pipe(signal_pipe) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fd_nonblock(signal_pipe[i]) < 0)
			return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0
	    || sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* A decimal 0..2^64-1, nothing else: strtoull alone would take "-1". */
int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* NAME=MAC, split in a copy: argv stays as ps shows it. */
static int add_port_arg(struct fabric *f, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char name[PORT_NAME_MAX + 2], err[200];
	uint8_t mac[6];

	if (!eq) {
		fprintf(stderr, "fabric: --port %s: expected NAME=MAC\n", arg);
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	if (mac_parse(eq + 1, mac) < 0) {
		fprintf(stderr, "fabric: --port %s: '%s' is not a unicast MAC "
			"like 52:54:00:7e:00:01\n", arg, eq + 1);
		return -1;
	}
	if (port_add(f, name, mac, err, sizeof(err)) < 0) {
		fprintf(stderr, "fabric: --port %s: %s\n", arg, err);
		return -1;
	}
	return 0;
}

struct options {
	const char *dir;
	const char *pcap;
	char **ports;
	int nports;
};

static int parse_options(struct fabric *f, int argc, char **argv,
			 struct options *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "pcap", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 's':
			if (parse_u64(optarg, &f->seed) < 0) {
				fprintf(stderr, "fabric: --seed %s: expected an "
					"integer 0..2^64-1\n", optarg);
				return 2;
			}
			break;
		case 'p':
			o->ports[o->nports++] = optarg;
			break;
		case 'c':
			o->pcap = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind < argc || !o->dir) {
		fprintf(stderr, "fabric: %s\n%s", optind < argc ?
			"unexpected argument" : "--dir is required", usage);
		return 2;
	}
	return -1;
}

/* Enter DIR (so socket paths stay short: sun_path holds 107 bytes) after
 * noting where we came from. */
static int enter_dir(struct fabric *f, const char *dir)
{
	if (!getcwd(f->origin, sizeof(f->origin))) {
		fprintf(stderr, "fabric: getcwd: %s\n", strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fabric: mkdir %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (chdir(dir) < 0) {
		fprintf(stderr, "fabric: cd %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int start_pcap(struct fabric *f, const char *path)
{
	char full[4096], err[300];

	if (resolve_path(f, path, full, sizeof(full)) < 0) {
		fprintf(stderr, "fabric: --pcap %s: path too long\n", path);
		return -1;
	}
	f->pcap = pcap_open(full, err, sizeof(err));
	if (!f->pcap) {
		fprintf(stderr, "fabric: --pcap: %s\n", err);
		return -1;
	}
	flog("pcap: writing %s", full);
	return 0;
}

static int setup(struct fabric *f, struct options *o)
{
	int i;

	if (signals_init() < 0) {
		fprintf(stderr, "fabric: signals: %s\n", strerror(errno));
		return -1;
	}
	if (enter_dir(f, o->dir) < 0 || ctl_check() < 0)
		return -1;
	for (i = 0; i < o->nports; i++) {
		if (add_port_arg(f, o->ports[i]) < 0)
			return -1;
	}
	if (o->pcap && start_pcap(f, o->pcap) < 0)
		return -1;
	return ctl_open(f);
}

/* poll() timeout in ms until the next frame is due: -1 (sleep until a
 * socket stirs) when none is, so an idle fabric uses no CPU at all. */
static int poll_timeout(const struct fabric *f)
{
	uint64_t due = queue_next_due(f), now = now_ns(), ms;

	if (due == NO_DEADLINE)
		return -1;
	if (due <= now)
		return 0;
	ms = (due - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
}

/* pfd: the signal pipe, each port's receiving socket, each port's sending
 * socket (only while it has a backlog: a negative fd is ignored), then the
 * control sockets. Returns how many there are. */
static int pollfds(const struct fabric *f, struct pollfd *pfd)
{
	const struct port *p;
	int i, n = f->nports;

	pfd[0] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
	for (i = 0; i < n; i++) {
		p = &f->ports[i];
		pfd[1 + i] = (struct pollfd){ .fd = p->fd, .events = POLLIN };
		pfd[1 + n + i] = (struct pollfd){
			.fd = p->backlog.len ? p->tx_fd : -1,
			.events = POLLOUT,
		};
	}
	return 1 + 2 * n + ctl_pollfds(f, pfd + 1 + 2 * n);
}

static int run(struct fabric *f)
{
	struct pollfd pfd[1 + 2 * FABRIC_MAX_PORTS + 1 + CTL_MAX_CLIENTS];
	int i, n, nports;

	while (!f->quit && !stop_signal) {
		pcap_flush(f->pcap);
		nports = f->nports;
		n = pollfds(f, pfd);
		if (poll(pfd, (nfds_t)n, poll_timeout(f)) < 0) {
			if (errno == EINTR)
				continue;
			flog("poll: %s", strerror(errno));
			return 1;
		}
		queue_run(f, now_ns());
		for (i = 0; i < nports; i++) {
			if (pfd[1 + nports + i].revents)
				port_retry(f, i, now_ns());
			if (pfd[1 + i].revents)
				switch_receive(f, i);
		}
		ctl_service(f, pfd + 1 + 2 * nports, n - 1 - 2 * nports);
	}
	if (stop_signal)
		flog("%s: stopping", signal_name(stop_signal));
	return 0;
}

static void teardown(struct fabric *f)
{
	if (f->pcap) {
		flog("pcap: closed %s after %llu frames", pcap_path(f->pcap),
		     (unsigned long long)pcap_frames(f->pcap));
		pcap_close(f->pcap);
		f->pcap = NULL;
	}
	ctl_close(f);
	port_close_all(f);
	queue_free_all(f);
}

int main(int argc, char **argv)
{
	static struct fabric fab = { .seed = 1, .ctl_fd = -1 };
	struct options o = { 0 };
	int code;

	o.ports = calloc((size_t)argc, sizeof(*o.ports));
	if (!o.ports)
		return 1;
	code = parse_options(&fab, argc, argv, &o);
	if (code >= 0)
		goto out;
	fault_seed(&fab, fab.seed);
	fault_reset(&fab.global);
	code = 1;
	if (setup(&fab, &o) == 0) {
		flog("ready: %d ports, control %s/control.sock, seed %llu",
		     fab.nports, o.dir, (unsigned long long)fab.seed);
		code = run(&fab);
	}
	teardown(&fab);
	flog("exit %d", code);
out:
	free(o.ports);
	return code;
}
