/*
 * kvsnprintf/ksnprintf: C99 snprintf for %d %i %u %x %X %o %c %s %p %% with flags
 * "-0+ #", width, precision and hh h l ll z t j. Used by printk, config.c and host tests.
 */
#include <stdbool.h>
#include <stdint.h>
#include "lib/printf.h"

_Static_assert(sizeof(long) == sizeof(size_t), "%zd fetches the signed size_t as long");

#define F_LEFT 0x01
#define F_ZERO 0x02
#define F_PLUS 0x04
#define F_SPACE 0x08
#define F_ALT 0x10

#define FMT_MAX_WIDTH 0x7fffffffU	/* widths and precisions saturate here */

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

/* One conversion specification, parsed. */
struct spec {
	unsigned flags;
	size_t width;
	size_t prec;
	bool has_prec;
	enum length len;
	char conv;
};

/* The output so far: len counts every character, even those past the buffer. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put_char(struct out *o, char ch)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = ch;
	o->len++;
}

static void put_repeat(struct out *o, char ch, size_t n)
{
	while (n--)
		put_char(o, ch);
}

static void put_mem(struct out *o, const char *s, size_t n)
{
	while (n--)
		put_char(o, *s++);
}

static size_t parse_num(const char **fmt)
{
	size_t n = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		n = n * 10 + (size_t)(**fmt - '0');
		if (n > FMT_MAX_WIDTH)
			n = FMT_MAX_WIDTH;
		(*fmt)++;
	}
	return n;
}

static unsigned parse_flags(const char **fmt)
{
	unsigned flags = 0;

	for (;; (*fmt)++) {
		switch (**fmt) {
		case '-': flags |= F_LEFT; break;
		case '0': flags |= F_ZERO; break;
		case '+': flags |= F_PLUS; break;
		case ' ': flags |= F_SPACE; break;
		case '#': flags |= F_ALT; break;
		default: return flags;
		}
	}
}

static enum length parse_length(const char **fmt)
{
	const char *f = *fmt;
	enum length len = LEN_NONE;

	switch (*f) {
	case 'h': len = f[1] == 'h' ? LEN_HH : LEN_H; break;
	case 'l': len = f[1] == 'l' ? LEN_LL : LEN_L; break;
	case 'z': len = LEN_Z; break;
	case 't': len = LEN_T; break;
	case 'j': len = LEN_J; break;
	default: return LEN_NONE;
	}
	*fmt += (len == LEN_HH || len == LEN_LL) ? 2 : 1;
	return len;
}

/* Parse the specification after a '%'; returns where the conversion character is. */
static const char *parse_spec(const char *fmt, struct spec *sp, va_list *ap)
{
	sp->flags = parse_flags(&fmt);
	if (*fmt == '*') {
		int w = va_arg(*ap, int);

		fmt++;
		if (w < 0)
			sp->flags |= F_LEFT;
		sp->width = w < 0 ? 0U - (unsigned)w : (unsigned)w;
	} else {
		sp->width = parse_num(&fmt);
	}
	sp->has_prec = *fmt == '.';
	sp->prec = 0;
	if (sp->has_prec) {
		fmt++;
		if (*fmt == '*') {
			int p = va_arg(*ap, int);

			fmt++;
			sp->has_prec = p >= 0;
			sp->prec = p >= 0 ? (size_t)p : 0;
		} else {
			sp->prec = parse_num(&fmt);
		}
	}
	sp->len = parse_length(&fmt);
	sp->conv = *fmt;
	return fmt;
}

static long long fetch_signed(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H: return (short)va_arg(*ap, int);
	case LEN_L: return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z: return va_arg(*ap, long);
	case LEN_T: return va_arg(*ap, ptrdiff_t);
	case LEN_J: return va_arg(*ap, intmax_t);
	default: return va_arg(*ap, int);
	}
}

static unsigned long long fetch_unsigned(va_list *ap, enum length len)
{
	switch (len) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned);
	case LEN_H: return (unsigned short)va_arg(*ap, unsigned);
	case LEN_L: return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z: return va_arg(*ap, size_t);
	case LEN_T: return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J: return va_arg(*ap, uintmax_t);
	default: return va_arg(*ap, unsigned);
	}
}

/*
 * Emit prefix, zeros and digits padded to the field width: spaces before them, after
 * them for '-', or more zeros for '0' when no precision was given.
 */
static void put_field(struct out *o, const struct spec *sp, const char *prefix,
		      size_t zeros, const char *digits, size_t ndigits)
{
	size_t nprefix = 0, n, pad;

	while (prefix[nprefix])
		nprefix++;
	n = nprefix + zeros + ndigits;
	pad = sp->width > n ? sp->width - n : 0;
	if ((sp->flags & (F_ZERO | F_LEFT)) == F_ZERO && !sp->has_prec) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & F_LEFT))
		put_repeat(o, ' ', pad);
	put_mem(o, prefix, nprefix);
	put_repeat(o, '0', zeros);
	put_mem(o, digits, ndigits);
	if (sp->flags & F_LEFT)
		put_repeat(o, ' ', pad);
}

/* An integer's magnitude v in base, after prefix (sign or "0x"), per C99's rules. */
static void put_int(struct out *o, const struct spec *sp, unsigned long long v,
		    unsigned base, const char *prefix)
{
	const char *set = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char digits[24];	/* 22 octal digits for 64 bits */
	size_t nd = 0, prec = sp->has_prec ? sp->prec : 1;

	for (; v; v /= base)
		digits[sizeof(digits) - ++nd] = set[v % base];
	if (base == 8 && (sp->flags & F_ALT) && prec <= nd)
		prec = nd + 1;
	put_field(o, sp, prefix, prec > nd ? prec - nd : 0, digits + sizeof(digits) - nd, nd);
}

static void put_signed(struct out *o, const struct spec *sp, long long v)
{
	const char *sign = "";

	if (v < 0)
		sign = "-";
	else if (sp->flags & F_PLUS)
		sign = "+";
	else if (sp->flags & F_SPACE)
		sign = " ";
	put_int(o, sp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, 10, sign);
}

static void put_unsigned(struct out *o, const struct spec *sp, unsigned long long v)
{
	const char *prefix = "";
	unsigned base = 10;

	if (sp->conv == 'o')
		base = 8;
	if (sp->conv == 'x' || sp->conv == 'X') {
		base = 16;
		if ((sp->flags & F_ALT) && v)
			prefix = sp->conv == 'x' ? "0x" : "0X";
	}
	put_int(o, sp, v, base, prefix);
}

/* %p: always "0x" and 16 hex digits, so addresses line up in logs. */
static void put_pointer(struct out *o, const struct spec *sp, const void *p)
{
	struct spec ps = *sp;

	ps.conv = 'x';
	ps.has_prec = true;
	ps.prec = 16;
	put_int(o, &ps, (uintptr_t)p, 16, "0x");
}

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
	size_t n = 0;

	if (!s)
		s = "(null)";
	while ((!sp->has_prec || n < sp->prec) && s[n])
		n++;
	put_field(o, sp, "", 0, s, n);
}

/* Emit one conversion; false if sp->conv is not one we know. */
static bool put_conv(struct out *o, struct spec *sp, va_list *ap)
{
	char ch;

	switch (sp->conv) {
	case 'd':
	case 'i':
		put_signed(o, sp, fetch_signed(ap, sp->len));
		break;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		put_unsigned(o, sp, fetch_unsigned(ap, sp->len));
		break;
	case 'c':
		ch = (char)va_arg(*ap, int);
		sp->flags &= ~F_ZERO;
		put_field(o, sp, "", 0, &ch, 1);
		break;
	case 's':
		sp->flags &= ~F_ZERO;
		put_string(o, sp, va_arg(*ap, const char *));
		break;
	case 'p':
		put_pointer(o, sp, va_arg(*ap, const void *));
		break;
	case '%':
		put_char(o, '%');
		break;
	default:
		return false;
	}
	return true;
}

/*
 * Format into buf, writing at most size bytes including the NUL (always written when
 * size > 0). Returns the length the whole output has, truncated or not (capped at
 * INT_MAX). An unknown or unfinished conversion is copied out literally.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	struct spec sp;
	va_list args;
	const char *start;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put_char(&o, *fmt++);
			continue;
		}
		start = fmt;
		fmt = parse_spec(fmt + 1, &sp, &args);
		if (!put_conv(&o, &sp, &args))
			put_mem(&o, start, (size_t)(fmt - start) + (*fmt != '\0'));
		if (*fmt)
			fmt++;
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > 0x7fffffff ? 0x7fffffff : (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
