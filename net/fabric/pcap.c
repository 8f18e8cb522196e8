/* net/fabric/pcap.c: a capture of every frame the fabric delivers, in the
 * classic pcap format (LINKTYPE_ETHERNET, microsecond timestamps). The main
 * loop flushes it before each sleep, so readers see whole records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "fabric.h"

#define PCAP_MAGIC		0xa1b2c3d4u
#define PCAP_SNAPLEN		65535u
#define LINKTYPE_ETHERNET	1u
#define PCAP_BUFFER		(256 << 10)

/* Both headers are written in host byte order, as pcap readers expect:
 * the magic number tells them which order that was. */
struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_record_header {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

_Static_assert(sizeof(struct pcap_file_header) == 24, "pcap header");
_Static_assert(sizeof(struct pcap_record_header) == 16, "pcap record");

struct pcap {
	FILE *file;
	char *path;
	uint64_t frames;
};

struct pcap *pcap_open(const char *path, char *err, size_t errlen)
{
	struct pcap_file_header h = {
		.magic = PCAP_MAGIC, .version_major = 2, .version_minor = 4,
		.snaplen = PCAP_SNAPLEN, .linktype = LINKTYPE_ETHERNET,
	};
	struct pcap *p = calloc(1, sizeof(*p));

	if (!p || !(p->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	p->file = fopen(path, "wbe");
	if (!p->file) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 strerror(errno));
		goto out_free;
	}
	setvbuf(p->file, NULL, _IOFBF, PCAP_BUFFER);
	if (fwrite(&h, sizeof(h), 1, p->file) != 1 || fflush(p->file)) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		fclose(p->file);
		goto out_free;
	}
	return p;
out_free:
	if (p)
		free(p->path);
	free(p);
	return NULL;
}

int pcap_write(struct pcap *p, const uint8_t *data, size_t len)
{
	struct pcap_record_header r;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	r.ts_sec = (uint32_t)tv.tv_sec;
	r.ts_usec = (uint32_t)tv.tv_usec;
	r.incl_len = r.orig_len = (uint32_t)len;
	if (fwrite(&r, sizeof(r), 1, p->file) != 1
	    || fwrite(data, len, 1, p->file) != 1)
		return -1;
	p->frames++;
	return 0;
}

void pcap_flush(struct pcap *p)
{
	if (p)
		fflush(p->file);
}

uint64_t pcap_frames(const struct pcap *p)
{
	return p->frames;
}

const char *pcap_path(const struct pcap *p)
{
	return p->path;
}

void pcap_close(struct pcap *p)
{
	if (!p)
		return;
	fclose(p->file);
	free(p->path);
	free(p);
}
