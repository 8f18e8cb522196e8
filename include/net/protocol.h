/*
 * The RPC protocol, written once: every opcode with its number and the bounds of its
 * request and its response, in bytes. Everything else is derived from this table or
 * checked against it: enum net_opcode, every monitor's dispatch bounds (RPC_OP in
 * include/net/rpc.h), the response bound rpc_handle() enforces, the names the
 * Wireshark dissector shows and docs/protocol.md's opcode table (both compared by
 * tests/integration/test_docs.py). The prefix says who sends the request to whom: P
 * pmon, M mmon, S smon, G gmon, H a host endpoint, X anyone, ANY anyone to anyone.
 * The messages themselves live beside the role that serves them.
 */
#ifndef NET_PROTOCOL_H
#define NET_PROTOCOL_H

#include <stdint.h>
#include "managers/proto.h"
#include "mcomponent/proto.h"
#include "net/probe.h"
#include "net/stats.h"
#include "net/wire.h"
#include "pcomponent/proto.h"
#include "scomponent/proto.h"

#define NET_SZ(type) sizeof(struct type)
#define NET_U32 sizeof(uint32_t)
#define NET_PAGE_MSG(hdr) (sizeof(struct hdr) + NET_PAGE_SIZE)
#define NET_PATH_REQ(n) (sizeof(struct x2s_path) + (n))
#define NET_PATH2_REQ(n) (sizeof(struct x2s_path2) + (n))
#define NET_VMA_SYNC_MAX (NET_SZ(m2m_vma_sync) + NET_SYNC_VMAS * NET_SZ(wire_vma))

/* X(opcode, number, request min, request max, response max) */
#define NET_OPCODES(X)									\
	/* built into every node (the kernel glue, the host endpoint) */		\
	X(ANY_ECHO, 1, 0, NET_MSG_MAX, NET_MSG_MAX)					\
	X(ANY_NETINFO, 2, 0, 0, NET_SZ(netinfo_resp))					\
	X(ANY_NETSTATS, 3, 1, 1, NET_SZ(net_stats))					\
	X(ANY_PROBE, 4, NET_SZ(probe_req), NET_SZ(probe_req), NET_SZ(probe_resp))	\
	/* gmon: GMM */									\
	X(M2G_MEM_REPORT, 5, NET_SZ(m2g_mem_report), NET_SZ(m2g_mem_report), 0)		\
	X(X2G_PLACE, 6, NET_SZ(x2g_place), NET_SZ(x2g_place), NET_SZ(g2x_place))	\
	X(X2G_RELEASE, 7, NET_U32, NET_U32, 0)						\
	/* a process's life: host, pmon, its home mmon */				\
	X(H2P_SPAWN, 8, NET_SZ(h2p_spawn), NET_SZ(h2p_spawn) + NET_SPAWN_STRINGS,	\
	  NET_SZ(p2h_spawn))								\
	X(H2M_IMAGE, 9, NET_SZ(h2m_image), NET_SZ(h2m_image) + NET_IMAGE_CHUNK, 0)	\
	X(H2P_START, 10, NET_U32, NET_U32, 0)						\
	X(P2H_OUTPUT, 11, NET_SZ(p2h_output), NET_SZ(p2h_output) + NET_OUTPUT_MAX, 0)	\
	X(P2H_EXIT, 12, NET_SZ(p2h_exit), NET_SZ(p2h_exit), 0)				\
	X(P2M_MM_NEW, 13, NET_SZ(p2m_mm_new), NET_SZ(p2m_mm_new) + NET_PATH_MAX, 0)	\
	X(P2M_EXEC, 14, NET_U32, NET_U32, NET_SZ(m2p_exec))				\
	X(P2M_MM_EXIT, 15, NET_U32, NET_U32, 0)						\
	/* memory: pages and vmas */							\
	X(P2M_FETCH, 16, NET_SZ(p2m_fetch), NET_SZ(p2m_fetch),				\
	  NET_PAGE_MSG(m2p_fetch))							\
	X(P2M_WRITEBACK, 17, NET_PAGE_MSG(p2m_writeback), NET_PAGE_MSG(p2m_writeback),	\
	  0)										\
	X(P2M_VM, 18, NET_SZ(p2m_vm), NET_SZ(p2m_vm), NET_SZ(m2p_vm))			\
	X(M2M_VMA_SYNC, 19, NET_SZ(m2m_vma_sync), NET_VMA_SYNC_MAX, 0)			\
	X(M2M_PAGE_PUT, 20, NET_PAGE_MSG(m2m_page), NET_PAGE_MSG(m2m_page), 0)		\
	X(M2M_MM_FREE, 21, NET_U32, NET_U32, 0)						\
	X(X2M_MEMSTATS, 22, 0, 0, NET_SZ(m2x_memstats))					\
	X(X2P_EXSTATS, 23, NET_U32, NET_U32, NET_SZ(p2x_exstats))			\
	X(P2M_MM_FORK, 24, NET_SZ(p2m_mm_fork), NET_SZ(p2m_mm_fork), 0)			\
	X(M2M_MM_COPY, 25, NET_SZ(m2m_mm_copy), NET_SZ(m2m_mm_copy), NET_U32)		\
	X(M2G_MM_COPY, 26, NET_SZ(m2g_mm_copy), NET_SZ(m2g_mm_copy), 0)			\
	/* the terminal of a process */							\
	X(H2P_INPUT, 27, NET_SZ(h2p_input), NET_SZ(h2p_input) + NET_INPUT_MAX,		\
	  NET_U32)									\
	X(H2P_SIGNAL, 28, NET_SZ(h2p_signal), NET_SZ(h2p_signal), 0)			\
	/* gmon: GPM, GSM */								\
	X(P2G_LOAD_REPORT, 29, NET_SZ(p2g_load_report), NET_SZ(p2g_load_report), 0)	\
	X(H2G_PLACE_PROC, 30, NET_SZ(h2g_place_proc), NET_SZ(h2g_place_proc),		\
	  NET_SZ(g2h_place_proc))							\
	X(H2P_WINSIZE, 31, NET_SZ(h2p_winsize), NET_SZ(h2p_winsize), 0)			\
	X(S2G_STORAGE_REPORT, 32, NET_SZ(s2g_storage_report), NET_SZ(s2g_storage_report), \
	  0)										\
	X(X2G_STORAGE, 33, NET_U32, NET_U32, NET_SZ(g2x_storage))			\
	/* files: the vNode's front mmon, and smon behind it */				\
	X(X2S_OPEN, 34, NET_PATH_REQ(1), NET_PATH_REQ(NET_PATH_MAX), NET_SZ(s2x_attr))	\
	X(X2S_STAT, 35, NET_PATH_REQ(1), NET_PATH_REQ(NET_PATH_MAX), NET_SZ(s2x_attr))	\
	X(X2S_GETATTR, 36, NET_SZ(fs_handle), NET_SZ(fs_handle), NET_SZ(s2x_attr))	\
	X(X2S_READ, 37, NET_SZ(x2s_io), NET_SZ(x2s_io), NET_FS_IO_MAX)			\
	X(X2S_WRITE, 38, NET_SZ(x2s_io), NET_SZ(x2s_io) + NET_FS_IO_MAX,		\
	  NET_SZ(s2x_write))								\
	X(X2S_TRUNCATE, 39, NET_SZ(x2s_io), NET_SZ(x2s_io), 0)				\
	X(X2S_FSYNC, 40, NET_SZ(x2s_io), NET_SZ(x2s_io), 0)				\
	X(X2S_READDIR, 41, NET_SZ(x2s_io), NET_SZ(x2s_io),				\
	  NET_SZ(s2x_readdir) + NET_FS_DIRENT_MAX)					\
	X(X2S_MKDIR, 42, NET_PATH_REQ(1), NET_PATH_REQ(NET_PATH_MAX), 0)		\
	X(X2S_UNLINK, 43, NET_PATH_REQ(1), NET_PATH_REQ(NET_PATH_MAX), 0)		\
	X(X2S_RENAME, 44, NET_PATH2_REQ(2), NET_PATH2_REQ(2 * NET_PATH_MAX), 0)		\
	X(X2S_SYMLINK, 45, NET_PATH2_REQ(2), NET_PATH2_REQ(2 * NET_PATH_MAX), 0)	\
	X(X2S_READLINK, 46, NET_PATH_REQ(1), NET_PATH_REQ(NET_PATH_MAX), NET_PATH_MAX)	\
	X(X2S_STATFS, 47, NET_U32, NET_U32, NET_SZ(s2x_statfs))				\
	X(M2G_RESTORE, 48, NET_SZ(m2g_restore), NET_RESTORE_MAX * NET_SZ(m2g_restore), 0)	\
	X(M2M_PAGE_COPY, 49, NET_PAGE_MSG(m2m_page), NET_PAGE_MSG(m2m_page), 0)	\
	X(M2M_PAGE_MOVE, 50, NET_SZ(m2m_page_move), NET_SZ(m2m_page_move), 0)

#define NET_OPCODE_ENUM(op, num, lo, hi, resp) op = num,
enum net_opcode {
	NET_OPCODES(NET_OPCODE_ENUM)
	NET_OPCODE_MAX
};
#undef NET_OPCODE_ENUM

/* op##_REQ_MIN, op##_REQ_MAX, op##_RESP_MAX: one opcode's bounds, as constants. */
#define NET_OPCODE_BOUNDS(op, num, lo, hi, resp) \
	op##_REQ_MIN = (lo), op##_REQ_MAX = (hi), op##_RESP_MAX = (resp),
enum net_opcode_bounds {
	NET_OPCODES(NET_OPCODE_BOUNDS)
};
#undef NET_OPCODE_BOUNDS

/* The opcodes of the file service, which two roles serve: X(opcode). */
#define X2S_REQUESTS(X)									\
	X(X2S_OPEN) X(X2S_STAT) X(X2S_GETATTR) X(X2S_READ) X(X2S_WRITE) X(X2S_TRUNCATE)	\
	X(X2S_FSYNC) X(X2S_READDIR) X(X2S_MKDIR) X(X2S_UNLINK) X(X2S_RENAME)		\
	X(X2S_SYMLINK) X(X2S_READLINK) X(X2S_STATFS)

#endif
