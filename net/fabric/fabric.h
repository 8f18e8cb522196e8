/* net/fabric/fabric.h: the emulated datacenter network's shared state.
 * One switch, up to FABRIC_MAX_PORTS ports (unix datagram sockets), a fault
 * pipeline and a control socket; docs/fabric.md is the user's view. */
#ifndef FABRIC_H
#define FABRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define FABRIC_MAX_PORTS	128
#define PORT_NAME_MAX		31
#define ETH_HDR_LEN		14
#define FRAME_MIN		ETH_HDR_LEN
#define FRAME_MAX		65535
#define CTL_MAX_CLIENTS		16
#define NS_PER_MS		1000000ULL
#define NO_DEADLINE		UINT64_MAX

enum drop_cause {
	DROP_LOSS,		/* the loss fault */
	DROP_LINK_DOWN,		/* to or from a port whose link is down */
	DROP_PARTITION,		/* between partition groups */
	DROP_MALFORMED,		/* < 14 or > 65535 bytes, multicast source */
	DROP_SPOOFED,		/* source MAC is not the port's own */
	DROP_NO_ROUTE,		/* destination is the port it came from */
	DROP_NO_PEER,		/* nobody bound at NAME.peer.sock */
	DROP_FULL,		/* peer did not read in time; memory cap */
	DROP_CAUSES,
};

extern const char *const drop_names[DROP_CAUSES];

struct port_stats {
	uint64_t frames_in, bytes_in;
	uint64_t frames_out, bytes_out;
	uint64_t drops[DROP_CAUSES];
	uint64_t duplicated, reordered, delayed, corrupted;
};

/* The faults of one scope: the switch itself, or one port's link. */
struct faults {
	double loss, dup, corrupt, reorder;	/* fractions of frames, 0..1 */
	double hold_ms;				/* reorder: longest hold */
	double delay_ms, jitter_ms;		/* delay uniform in d +- j */
};

/* A frame the fabric keeps for later: delayed, held back or backlogged. */
struct frame {
	struct frame *next;	/* in a port's held or backlog queue */
	uint64_t due;		/* ns: release, hold deadline or expiry */
	uint64_t seq;		/* equal due times leave in arrival order */
	int in, out;		/* ingress and egress port */
	uint64_t hold_ns;	/* reorder: hold back this long at most */
	uint32_t len;
	uint8_t data[];
};

struct frame_queue {
	struct frame *head, *tail;
	unsigned int len;
};

struct port {
	char name[PORT_NAME_MAX + 1];
	uint8_t mac[6];
	int fd;				/* bound to NAME.sock: receives */
	int tx_fd;			/* connected to NAME.peer.sock: sends */
	bool tx_connected;
	struct sockaddr_un peer;	/* NAME.peer.sock */
	bool down;			/* link down */
	int group;			/* partition group; 0: not named */
	struct faults faults;		/* this port's link */
	struct frame_queue held;	/* reorder: waiting to be overtaken */
	struct frame_queue backlog;	/* the peer's queue was full */
	struct port_stats st;
};

struct timer_heap {
	struct frame **v;
	size_t len, cap;
};

struct pcap;
struct ctl_client;
struct pollfd;

/* Everything runs on one thread: no field needs a lock. */
struct fabric {
	struct port ports[FABRIC_MAX_PORTS];
	int nports;
	struct faults global;		/* the switch's own faults */
	bool partitioned;
	uint64_t seed;
	uint64_t rng[4];		/* xoshiro256** state */
	struct timer_heap timers;	/* delayed frames by due time */
	uint64_t next_seq;
	size_t pending_bytes;		/* frames held, headers included */
	struct pcap *pcap;
	char origin[4096];		/* cwd at start: base of relative paths */
	int ctl_fd;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
	bool quit;
};

/* main.c */
void flog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_ns(void);
int fd_nonblock(int fd);
int parse_u64(const char *s, uint64_t *out);
int resolve_path(const struct fabric *f, const char *path, char *out,
		 size_t size);

/* port.c */
bool port_name_valid(const char *name);
int mac_parse(const char *s, uint8_t mac[6]);
void mac_format(const uint8_t mac[6], char out[18]);
int port_add(struct fabric *f, const char *name, const uint8_t mac[6],
	     char *err, size_t errlen);
int port_find(const struct fabric *f, const char *name);
int mac_lookup(const struct fabric *f, const uint8_t mac[6]);
void port_transmit(struct fabric *f, int in, int out, const uint8_t *data,
		   size_t len, struct frame *fr);
void port_retry(struct fabric *f, int port, uint64_t now);
void port_expire(struct fabric *f, uint64_t now);
void port_close_all(struct fabric *f);

/* switch.c */
void switch_receive(struct fabric *f, int in);
int switch_blocked(const struct fabric *f, int in, int out);
void switch_drop(struct fabric *f, int in, int out, int cause);
void switch_send(struct fabric *f, int in, int out, const uint8_t *data,
		 size_t len, struct frame *fr);
void switch_hold(struct fabric *f, struct frame *fr, uint64_t now);
void switch_release(struct fabric *f, struct frame *fr);
void switch_expire_held(struct fabric *f, uint64_t now);

/* fault.c */
void fault_seed(struct fabric *f, uint64_t seed);
void fault_reset(struct faults *fl);
void fault_deliver(struct fabric *f, int in, int out, const uint8_t *data,
		   size_t len);

/* queue.c */
struct frame *frame_new(struct fabric *f, int in, int out,
			const uint8_t *data, size_t len);
void frame_free(struct fabric *f, struct frame *fr);
void fq_push(struct frame_queue *q, struct frame *fr);
struct frame *fq_pop(struct frame_queue *q);
void fq_drain(struct fabric *f, struct frame_queue *q);
int timer_add(struct fabric *f, struct frame *fr);
uint64_t queue_next_due(const struct fabric *f);
void queue_run(struct fabric *f, uint64_t now);
void queue_free_all(struct fabric *f);

/* pcap.c */
struct pcap *pcap_open(const char *path, char *err, size_t errlen);
int pcap_write(struct pcap *p, const uint8_t *data, size_t len);
void pcap_flush(struct pcap *p);
uint64_t pcap_frames(const struct pcap *p);
const char *pcap_path(const struct pcap *p);
void pcap_close(struct pcap *p);

/* control.c */
int ctl_check(void);
int ctl_open(struct fabric *f);
int ctl_pollfds(const struct fabric *f, struct pollfd *pfd);
void ctl_service(struct fabric *f, const struct pollfd *pfd, int n);
void ctl_printf(struct ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ctl_close(struct fabric *f);

/* command.c */
void cmd_run(struct fabric *f, struct ctl_client *c, char *line);

#endif
