-- Wireshark/tshark dissector for the Tessera message layer (docs/protocol.md).
-- Use: tshark -X lua_script:tools/wireshark/tessera.lua -r capture.pcap
-- Every multi-byte field is little-endian (add_le). The tables below are the
-- packet types and message kinds of include/net/wire.h and the opcodes of
-- include/net/protocol.h; tests/integration/test_docs.py checks that they agree.

local tessera = Proto("tessera", "Tessera message layer")

local pkt_types = {
	[1] = "DATA", [2] = "ACK", [3] = "NAK", [4] = "RESET",
	[5] = "ECHO_REQ", [6] = "ECHO_REPLY", [7] = "CHALLENGE", [8] = "PROOF",
}
local kinds = {
	[1] = "RPC_REQ", [2] = "RPC_RESP", [3] = "SEND", [4] = "READ_REQ",
	[5] = "READ_RESP", [6] = "WRITE_REQ", [7] = "WRITE_RESP", [8] = "HEARTBEAT",
	[9] = "NODE_DOWN", [10] = "NODE_UP",
}
local opcodes = {
	[1] = "ANY_ECHO", [2] = "ANY_NETINFO", [3] = "ANY_NETSTATS", [4] = "ANY_PROBE",
	[5] = "M2G_MEM_REPORT", [6] = "X2G_PLACE", [7] = "X2G_RELEASE", [8] = "H2P_SPAWN",
	[9] = "H2M_IMAGE", [10] = "H2P_START", [11] = "P2H_OUTPUT", [12] = "P2H_EXIT",
	[13] = "P2M_MM_NEW", [14] = "P2M_EXEC", [15] = "P2M_MM_EXIT", [16] = "P2M_FETCH",
	[17] = "P2M_WRITEBACK", [18] = "P2M_VM", [19] = "M2M_VMA_SYNC",
	[20] = "M2M_PAGE_PUT", [21] = "M2M_MM_FREE", [22] = "X2M_MEMSTATS",
	[23] = "X2P_EXSTATS", [24] = "P2M_MM_FORK", [25] = "M2M_MM_COPY",
	[26] = "M2G_MM_COPY", [27] = "H2P_INPUT", [28] = "H2P_SIGNAL",
	[29] = "P2G_LOAD_REPORT", [30] = "H2G_PLACE_PROC", [31] = "H2P_WINSIZE",
	[32] = "S2G_STORAGE_REPORT", [33] = "X2G_STORAGE", [34] = "X2S_OPEN",
	[35] = "X2S_STAT", [36] = "X2S_GETATTR", [37] = "X2S_READ", [38] = "X2S_WRITE",
	[39] = "X2S_TRUNCATE", [40] = "X2S_FSYNC", [41] = "X2S_READDIR", [42] = "X2S_MKDIR",
	[43] = "X2S_UNLINK", [44] = "X2S_RENAME", [45] = "X2S_SYMLINK",
	[46] = "X2S_READLINK", [47] = "X2S_STATFS", [48] = "M2G_RESTORE",
	[49] = "M2M_PAGE_COPY", [50] = "M2M_PAGE_MOVE",
}
local F_FIRST, F_LAST, F_SYNC, F_ACK, F_PROBE = 0x01, 0x02, 0x04, 0x08, 0x10
local PKT_HDR, MSG_HDR, DATA = 32, 24, 1

local f = tessera.fields
f.version = ProtoField.uint8("tessera.version", "Version")
f.type = ProtoField.uint8("tessera.type", "Type", base.DEC, pkt_types)
f.flags = ProtoField.uint8("tessera.flags", "Flags", base.HEX)
f.first = ProtoField.bool("tessera.flags.first", "First fragment", 8, nil, F_FIRST)
f.last = ProtoField.bool("tessera.flags.last", "Last fragment", 8, nil, F_LAST)
f.sync = ProtoField.bool("tessera.flags.sync", "Stream start", 8, nil, F_SYNC)
f.ackf = ProtoField.bool("tessera.flags.ack", "Ack valid", 8, nil, F_ACK)
f.probe = ProtoField.bool("tessera.flags.probe", "Probe", 8, nil, F_PROBE)
f.tag = ProtoField.uint8("tessera.tag", "Transmission tag")
f.src = ProtoField.uint8("tessera.src", "Source node")
f.dst = ProtoField.uint8("tessera.dst", "Destination node")
f.len = ProtoField.uint16("tessera.len", "Payload length")
f.src_epoch = ProtoField.uint32("tessera.src_epoch", "Source epoch", base.HEX)
f.dst_epoch = ProtoField.uint32("tessera.dst_epoch", "Destination epoch", base.HEX)
f.psn = ProtoField.uint32("tessera.psn", "Sequence number")
f.ack = ProtoField.uint32("tessera.ack", "Cumulative ack")
f.window = ProtoField.uint16("tessera.window", "Window")
f.echo = ProtoField.uint8("tessera.echo", "Echoed tag")
f.crc = ProtoField.uint32("tessera.crc", "CRC32C", base.HEX)
f.kind = ProtoField.uint16("tessera.msg.kind", "Message kind", base.DEC, kinds)
f.opcode = ProtoField.uint16("tessera.msg.opcode", "Opcode", base.DEC, opcodes)
f.msg_len = ProtoField.uint32("tessera.msg.len", "Message length")
f.id = ProtoField.uint64("tessera.msg.id", "Message/RPC id")
f.status = ProtoField.int32("tessera.msg.status", "Status")

-- The message header that opens the first fragment of every message.
local function dissect_msg(buf, tree)
	local m = tree:add(tessera, buf(0, MSG_HDR), "Message header")
	m:add_le(f.kind, buf(0, 2))
	m:add_le(f.opcode, buf(2, 2))
	m:add_le(f.msg_len, buf(4, 4))
	m:add_le(f.id, buf(8, 8))
	m:add_le(f.status, buf(16, 4))
	local kind = buf(0, 2):le_uint()
	local s = " " .. (kinds[kind] or ("kind " .. kind))
	if kind == 1 or kind == 2 then
		local op = buf(2, 2):le_uint()
		s = s .. " " .. (opcodes[op] or ("op " .. op)) .. " id=" .. tostring(buf(8, 8):le_uint64())
	end
	return s
end

function tessera.dissector(buf, pinfo, tree)
	if buf:len() < PKT_HDR then
		return 0
	end
	pinfo.cols.protocol = "TESSERA"
	local t = tree:add(tessera, buf(0, PKT_HDR))
	t:add_le(f.version, buf(0, 1))
	t:add_le(f.type, buf(1, 1))
	local fl = t:add(f.flags, buf(2, 1))
	for _, bit in ipairs({ f.first, f.last, f.sync, f.ackf, f.probe }) do
		fl:add(bit, buf(2, 1))
	end
	t:add(f.tag, buf(3, 1))
	t:add_le(f.src, buf(4, 1))
	t:add_le(f.dst, buf(5, 1))
	t:add_le(f.len, buf(6, 2))
	t:add_le(f.src_epoch, buf(8, 4))
	t:add_le(f.dst_epoch, buf(12, 4))
	t:add_le(f.psn, buf(16, 4))
	t:add_le(f.ack, buf(20, 4))
	t:add_le(f.window, buf(24, 2))
	t:add(f.echo, buf(26, 1))
	t:add_le(f.crc, buf(28, 4))

	local ptype = buf(1, 1):uint()
	local flags = buf(2, 1):uint()
	local info = string.format("%s %u->%u psn=%u ack=%u", pkt_types[ptype] or ("type " .. ptype),
		buf(4, 1):uint(), buf(5, 1):uint(), buf(16, 4):le_uint(), buf(20, 4):le_uint())
	if ptype == DATA and bit32.band(flags, F_FIRST) ~= 0 and buf:len() >= PKT_HDR + MSG_HDR then
		info = info .. dissect_msg(buf(PKT_HDR), tree)
	end
	pinfo.cols.info = info
	return buf:len()
end

DissectorTable.get("ethertype"):add(0x88b5, tessera)
