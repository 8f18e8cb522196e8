/*
 * Host tests for net/wire.c: CRC32C against known vectors, the frame checks (one
 * test per reason a frame is refused) and the raw echo helpers.
 */
#include "check.h"
#include "net/stats.h"
#include "net/wire.h"
#include "net_sim.h"

static uint8_t frame[NET_HDRS + 2048];

static struct net_pkt_hdr *hdr(void)
{
	return (struct net_pkt_hdr *)(frame + sizeof(struct net_eth_hdr));
}

/* A valid DATA frame from node 2 to node 1 with len payload bytes; returns its length. */
static size_t data_frame(size_t len)
{
	uint8_t payload[1024];

	memset(payload, 0xab, sizeof(payload));
	return sim_frame(frame, 2, 1, 0x2222, 0x1111, NET_PKT_DATA, NET_F_FIRST | NET_F_LAST,
			 5, 0, payload, len);
}

/* wire_check's verdict on frame[0..len): true, or false with *why. */
static unsigned why_refused(size_t len)
{
	unsigned why = NET_C_MAX;

	if (wire_check(frame, len, NULL, &why))
		return NET_C_MAX;
	return why;
}

static void reseal(void)
{
	wire_seal(frame, NULL);
}

static void wire_crc32c_matches_known_vectors(void)
{
	static const uint8_t zeros[32], ones[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	CHECK(crc32c(0, "123456789", 9) == 0xe3069283);
	CHECK(crc32c(0, zeros, sizeof(zeros)) == 0x8a9136aa);	/* RFC 3720 B.4 */
	CHECK(crc32c(0, ones, sizeof(ones)) == 0x62a8ab43);
	CHECK(crc32c(0, NULL, 0) == 0);
}

static void wire_crc32c_chains(void)
{
	CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xe3069283);
}

static void wire_structs_have_their_wire_sizes(void)
{
	CHECK(NET_HDRS == 46);
	CHECK(sizeof(struct net_msg_hdr) == 24);
	CHECK(sizeof(struct net_node_change) == 40);
	/* a 4 KiB page and every header fit one jumbo frame */
	CHECK(sizeof(struct net_pkt_hdr) + sizeof(struct net_msg_hdr) + 4096 <= 9000);
}

static void wire_accepts_a_sealed_frame(void)
{
	size_t len = data_frame(100);

	CHECK(len == NET_HDRS + 100);
	CHECK(why_refused(len) == NET_C_MAX);
	/* Ethernet padding after the payload is allowed */
	CHECK(why_refused(len + 20) == NET_C_MAX);
}

static void wire_refuses_a_frame_shorter_than_the_headers(void)
{
	data_frame(0);
	CHECK(why_refused(0) == NET_C_TRUNCATED);
	CHECK(why_refused(13) == NET_C_TRUNCATED);
	CHECK(why_refused(NET_HDRS - 1) == NET_C_TRUNCATED);
}

static void wire_refuses_another_ethertype(void)
{
	size_t len = data_frame(10);

	frame[12] = 0x08;
	frame[13] = 0x00;
	CHECK(why_refused(len) == NET_C_BAD_ETHERTYPE);
}

static void wire_refuses_a_length_field_beyond_the_frame(void)
{
	size_t len = data_frame(100);

	CHECK(why_refused(len - 1) == NET_C_BAD_LEN);
	hdr()->len = 0xffff;
	CHECK(why_refused(len) == NET_C_BAD_LEN);
}

static void wire_refuses_a_bad_crc_wherever_the_damage_is(void)
{
	size_t len = data_frame(100), i;

	for (i = sizeof(struct net_eth_hdr); i < len; i++) {
		if (i == sizeof(struct net_eth_hdr) + 1)
			continue;	/* the type byte: turned into echo, it skips the CRC */
		if (i == sizeof(struct net_eth_hdr) + offsetof(struct net_pkt_hdr, len) ||
		    i == sizeof(struct net_eth_hdr) + offsetof(struct net_pkt_hdr, len) + 1)
			continue;	/* the length: refused as bad_len first */
		frame[i] ^= 0x10;
		CHECK(why_refused(len) == NET_C_BAD_CRC);
		frame[i] ^= 0x10;
	}
	CHECK(why_refused(len) == NET_C_MAX);
}

static void wire_refuses_another_version(void)
{
	size_t len = data_frame(10);

	hdr()->version = 2;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_VERSION);
}

static void wire_refuses_an_unknown_packet_type(void)
{
	size_t len = data_frame(10);

	hdr()->type = 0;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_TYPE);
	hdr()->type = NET_PKT_TYPE_MAX;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_TYPE);
	hdr()->type = 0xff;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_TYPE);
}

static void wire_refuses_unknown_flags_reserved_bits_tags_and_a_zero_epoch(void)
{
	size_t len = data_frame(10);

	hdr()->flags |= 0x80;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_HDR);
	data_frame(10);
	hdr()->rsvd = 1;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_HDR);
	data_frame(10);
	hdr()->src_epoch = 0;
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_HDR);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_ACK, 0, 0, 0, NULL, 0);
	hdr()->tag = 1;			/* tags belong to DATA */
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_HDR);
	len = data_frame(10);
	hdr()->flags |= NET_F_PROBE;	/* PROBE belongs to ACK */
	reseal();
	CHECK(why_refused(len) == NET_C_BAD_HDR);
}

static void wire_refuses_fragment_flags_outside_data(void)
{
	size_t len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_ACK, NET_F_FIRST, 0, 0, NULL, 0);

	CHECK(why_refused(len) == NET_C_BAD_HDR);
}

static void wire_refuses_payload_lengths_wrong_for_the_type(void)
{
	uint8_t junk[16] = { 0 };
	size_t len;

	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_DATA, 0, 0, 0, NULL, 0);
	CHECK(why_refused(len) == NET_C_BAD_LEN);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_ACK, 0, 0, 0, junk, 1);
	CHECK(why_refused(len) == NET_C_BAD_LEN);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_NAK, 0, 0, 0, junk, 7);
	CHECK(why_refused(len) == NET_C_BAD_LEN);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_RESET, 0, 0, 0, junk, 16);
	CHECK(why_refused(len) == NET_C_BAD_LEN);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_CHALLENGE, 0, 0, 0, junk, 4);
	CHECK(why_refused(len) == NET_C_BAD_LEN);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_PROOF, 0, 0, 0, NULL, 0);
	CHECK(why_refused(len) == NET_C_BAD_LEN);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_PROOF, 0, 0, 0, junk, 8);
	CHECK(why_refused(len) == NET_C_MAX);
	len = sim_frame(frame, 2, 1, 1, 0, NET_PKT_NAK, NET_F_ACK, 0, 0, junk, 8);
	CHECK(why_refused(len) == NET_C_MAX);
}

static void wire_echo_is_built_and_turned_around(void)
{
	uint8_t m1[6], m2[6];
	size_t len;

	sim_mac(1, m1);
	sim_mac(2, m2);
	len = wire_echo_build(frame, sizeof(frame), m2, m1, 1, 2, 77, 64);
	CHECK(len == NET_HDRS + 64);
	CHECK(why_refused(len) == NET_C_MAX);
	CHECK(hdr()->type == NET_PKT_ECHO_REQ && hdr()->psn == 77);
	CHECK(wire_echo_turn(frame, len));
	CHECK(hdr()->type == NET_PKT_ECHO_REPLY && hdr()->src == 2 && hdr()->dst == 1);
	CHECK(memcmp(frame, m1, 6) == 0 && memcmp(frame + 6, m2, 6) == 0);
	/* a reply is not turned again; nor is anything malformed */
	CHECK(!wire_echo_turn(frame, len));
	wire_echo_build(frame, sizeof(frame), m2, m1, 1, 2, 77, 64);
	CHECK(!wire_echo_turn(frame, len - 1));
	CHECK(!wire_echo_turn(frame, NET_HDRS - 1));
	CHECK(wire_echo_build(frame, NET_HDRS + 63, m2, m1, 1, 2, 77, 64) == 0);
	CHECK(wire_echo_build(frame, sizeof(frame), m2, m1, 1, 2, 77, NET_MTU_MAX) == 0);
}

static const struct unit_test tests[] = {
	TEST(wire_crc32c_matches_known_vectors),
	TEST(wire_crc32c_chains),
	TEST(wire_structs_have_their_wire_sizes),
	TEST(wire_accepts_a_sealed_frame),
	TEST(wire_refuses_a_frame_shorter_than_the_headers),
	TEST(wire_refuses_another_ethertype),
	TEST(wire_refuses_a_length_field_beyond_the_frame),
	TEST(wire_refuses_a_bad_crc_wherever_the_damage_is),
	TEST(wire_refuses_another_version),
	TEST(wire_refuses_an_unknown_packet_type),
	TEST(wire_refuses_unknown_flags_reserved_bits_tags_and_a_zero_epoch),
	TEST(wire_refuses_fragment_flags_outside_data),
	TEST(wire_refuses_payload_lengths_wrong_for_the_type),
	TEST(wire_echo_is_built_and_turned_around),
};

CHECK_MAIN("net_wire", tests)
