/*
 * record_json.c - one record to one JSON object and back (jansson), and
 * the JSON Lines writer, with every network string cleaned. Contract in
 * record_json.h; the fields in docs/output.md.
 */
#include "fingerprints/record_json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/text.h"
#include "fingerprints/err.h"

/* Scalar field kinds the tables below describe. */
enum ftype {
	F_STR,	/* char *, heap */
	F_FIX,	/* char[size], text */
	F_HEX,	/* char[size], lower-case hex */
	F_BOOL, /* bool */
	F_INT,	/* int */
	F_I32,	/* int32_t */
	F_U8,	/* uint8_t */
	F_I8,	/* int8_t */
	F_U16,	/* uint16_t */
	F_SIZE, /* size_t */
};

struct field {
	const char *name;
	enum ftype type;
	size_t off;
	size_t size; /* F_FIX / F_HEX: the array size */
};

#define FS(st, f)    #f, F_STR, offsetof(st, f), 0
#define FX(st, f)    #f, F_FIX, offsetof(st, f), sizeof(((st *)0)->f)
#define FH(st, f)    #f, F_HEX, offsetof(st, f), sizeof(((st *)0)->f)
#define FN(st, f, t) #f, t, offsetof(st, f), 0

static const struct field tcp_fields[] = {
    {FN(struct bph_tcp_traits, ttl, F_U8)},
    {FN(struct bph_tcp_traits, ittl, F_U8)},
    {FN(struct bph_tcp_traits, hops, F_U8)},
    {FN(struct bph_tcp_traits, window, F_U16)},
    {FN(struct bph_tcp_traits, mss, F_U16)},
    {FN(struct bph_tcp_traits, wscale, F_I8)},
    {FN(struct bph_tcp_traits, df, F_BOOL)},
    {FN(struct bph_tcp_traits, ipid, F_U16)},
    {FN(struct bph_tcp_traits, olen, F_U8)},
    {FX(struct bph_tcp_traits, options)},
    {FX(struct bph_tcp_traits, quirks)},
    {FX(struct bph_tcp_traits, sig)},
    {NULL, 0, 0, 0},
};

static const struct field tls_fields[] = {
    {FS(struct bph_tls_info, error)},
    {FS(struct bph_tls_info, version)},
    {FS(struct bph_tls_info, cipher)},
    {FS(struct bph_tls_info, alpn)},
    {FH(struct bph_tls_info, cert_sha256)},
    {FH(struct bph_tls_info, cert_sha1)},
    {FH(struct bph_tls_info, spki_sha256)},
    {FS(struct bph_tls_info, subject)},
    {FS(struct bph_tls_info, issuer)},
    {FS(struct bph_tls_info, serial)},
    {FS(struct bph_tls_info, not_before)},
    {FS(struct bph_tls_info, not_after)},
    {FN(struct bph_tls_info, self_signed, F_BOOL)},
    {FS(struct bph_tls_info, key_type)},
    {FN(struct bph_tls_info, key_bits, F_INT)},
    {FS(struct bph_tls_info, sig_alg)},
    {FN(struct bph_tls_info, chain_len, F_INT)},
    {FH(struct bph_tls_info, jarm)},
    {FS(struct bph_tls_info, jarm_raw)},
    {FH(struct bph_tls_info, ja3s)},
    {FS(struct bph_tls_info, ja3s_full)},
    {FS(struct bph_tls_info, sh_extensions)},
    {NULL, 0, 0, 0},
};

static const struct field ssh_fields[] = {
    {FS(struct bph_ssh_info, error)},
    {FS(struct bph_ssh_info, banner)},
    {FH(struct bph_ssh_info, hassh_server)},
    {FS(struct bph_ssh_info, hassh_server_algorithms)},
    {NULL, 0, 0, 0},
};

static const struct field hostkey_fields[] = {
    {FS(struct bph_ssh_hostkey, type)},
    {FX(struct bph_ssh_hostkey, sha256)},
    {FX(struct bph_ssh_hostkey, md5)},
    {FN(struct bph_ssh_hostkey, bits, F_INT)},
    {NULL, 0, 0, 0},
};

static const struct field http_fields[] = {
    {FS(struct bph_http_info, error)},
    {FN(struct bph_http_info, tls, F_BOOL)},
    {FN(struct bph_http_info, status, F_INT)},
    {FS(struct bph_http_info, status_line)},
    {FS(struct bph_http_info, server)},
    {FS(struct bph_http_info, powered_by)},
    {FS(struct bph_http_info, location)},
    {FS(struct bph_http_info, title)},
    {FX(struct bph_http_info, header_hash)},
    {FH(struct bph_http_info, body_sha256)},
    {FN(struct bph_http_info, body_mmh3, F_I32)},
    {FN(struct bph_http_info, body_len, F_SIZE)},
    {FH(struct bph_http_info, favicon_sha256)},
    {FS(struct bph_http_info, favicon_url)},
    {NULL, 0, 0, 0},
};

static const struct field banner_fields[] = {
    {FS(struct bph_banner_info, error)},
    {FS(struct bph_banner_info, text)},
    {FH(struct bph_banner_info, sha256)},
    {FN(struct bph_banner_info, len, F_SIZE)},
    {NULL, 0, 0, 0},
};

const char *bph_state_name(enum bph_port_state st)
{
	switch (st) {
	case BPH_STATE_OPEN:
		return "open";
	case BPH_STATE_CLOSED:
		return "closed";
	case BPH_STATE_FILTERED:
		return "filtered";
	case BPH_STATE_UNKNOWN:
		break;
	}
	return "unknown";
}

/* ---- writing: one walk of the record, into a tree or into text ---- */

/*
 * Where the walk puts the record. The walk (walk_service below) is the one
 * definition of what is written in which order; the tree sink builds the
 * jansson object, the text sink writes the compact text json_dumps gives
 * that object with JSON_COMPACT | JSON_PRESERVE_ORDER. key is NULL for an
 * array's element. Once err is set every call does nothing.
 */
struct sink;
struct sink_ops {
	void (*open)(struct sink *k, const char *key, char bracket);
	void (*close)(struct sink *k);
	void (*text)(struct sink *k, const char *key, const char *s);
	void (*num)(struct sink *k, const char *key, json_int_t v);
	void (*flag)(struct sink *k, const char *key, bool v);
};

#define SINK_DEPTH 4 /* record, ssh, hostkeys, one hostkey */

struct sink {
	const struct sink_ops *ops;
	int err; /* BPH_ERR_NOMEM or BPH_ERR_FORMAT */
	int depth;
	json_t *open[SINK_DEPTH]; /* tree: the open containers, root first */
	char close[SINK_DEPTH];	  /* text: their closing brackets */
	struct bph_sbuf *buf;	  /* text */
	bool first;		  /* text: nothing yet in the open container */
};

/* n as two digits at p (n < 100). */
static void two_digits(char *p, unsigned n)
{
	p[0] = (char)('0' + n / 10);
	p[1] = (char)('0' + n % 10);
}

/* "seen" is RFC 3339 UTC ("2026-11-26T19:40:02Z"), as every other time;
 * false when t has no such form. From 1970 to 9999 the date is computed
 * here (the proleptic Gregorian calendar from a day count, as gmtime
 * does; strftime was a tenth of writing the record), else by gmtime_r
 * and strftime. */
static bool seen_text(time_t t, char buf[32])
{
	struct tm tm;

	if (t < 0 || (long long)t > 253402300799LL)
		return gmtime_r(&t, &tm) &&
		       strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	unsigned long long secs = (unsigned long long)t;
	unsigned day_secs = (unsigned)(secs % 86400);
	/* days since 0000-03-01, in 400-year eras of 146,097 days */
	unsigned long long z = secs / 86400 + 719468;
	unsigned era = (unsigned)(z / 146097);
	unsigned doe = (unsigned)(z - (unsigned long long)era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153; /* from March */
	unsigned day = doy - (153 * mp + 2) / 5 + 1;
	unsigned month = mp < 10 ? mp + 3 : mp - 9;
	unsigned year = yoe + era * 400 + (month <= 2);

	two_digits(buf, year / 100);
	two_digits(buf + 2, year % 100);
	buf[4] = '-';
	two_digits(buf + 5, month);
	buf[7] = '-';
	two_digits(buf + 8, day);
	buf[10] = 'T';
	two_digits(buf + 11, day_secs / 3600);
	buf[13] = ':';
	two_digits(buf + 14, day_secs / 60 % 60);
	buf[16] = ':';
	two_digits(buf + 17, day_secs % 60);
	memcpy(buf + 19, "Z", 2);
	return true;
}

static void hex_low(const char *s, char low[256])
{
	size_t i;

	for (i = 0; s[i] && i + 1 < 256; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
}

static json_int_t field_int(const struct field *f, const char *p)
{
	switch (f->type) {
	case F_INT:
		return *(const int *)p;
	case F_I32:
		return *(const int32_t *)p;
	case F_U8:
		return *(const uint8_t *)p;
	case F_I8:
		return *(const int8_t *)p;
	case F_U16:
		return *(const uint16_t *)p;
	default: /* F_SIZE */
		return (json_int_t) * (const size_t *)p;
	}
}

/* Every present field of tab from base; empty strings are omitted. */
static void walk_fields(struct sink *k, const struct field *tab,
			const void *base)
{
	char low[256];

	for (const struct field *f = tab; f->name; f++) {
		const char *p = (const char *)base + f->off;
		const char *s = f->type == F_STR ? *(char *const *)p : p;
		switch (f->type) {
		case F_STR:
		case F_FIX:
			if (s && s[0])
				k->ops->text(k, f->name, s);
			break;
		case F_HEX:
			hex_low(p, low);
			if (low[0])
				k->ops->text(k, f->name, low);
			break;
		case F_BOOL:
			k->ops->flag(k, f->name, *(const bool *)p);
			break;
		default:
			k->ops->num(k, f->name, field_int(f, p));
			break;
		}
	}
}

/* An array of strings, NULL entries as "". */
static void walk_strv(struct sink *k, const char *key, char *const *v, size_t n)
{
	k->ops->open(k, key, '[');
	for (size_t i = 0; i < n; i++)
		k->ops->text(k, NULL, v[i] ? v[i] : "");
	k->ops->close(k);
}

static void walk_simple(struct sink *k, const char *key,
			const struct field *tab, const void *base)
{
	k->ops->open(k, key, '{');
	walk_fields(k, tab, base);
	k->ops->close(k);
}

static void walk_tls(struct sink *k, const struct bph_tls_info *t)
{
	k->ops->open(k, "tls", '{');
	walk_fields(k, tls_fields, t);
	if (t->n_san)
		walk_strv(k, "san", t->san, t->n_san);
	k->ops->close(k);
}

static void walk_ssh(struct sink *k, const struct bph_ssh_info *s)
{
	int any_kex = 0;

	for (int i = 0; i < 10; i++)
		any_kex |= s->kexinit[i] != NULL;
	k->ops->open(k, "ssh", '{');
	walk_fields(k, ssh_fields, s);
	if (any_kex)
		walk_strv(k, "kexinit", s->kexinit, 10);
	if (s->n_hostkeys) {
		k->ops->open(k, "hostkeys", '[');
		for (size_t i = 0; i < s->n_hostkeys; i++)
			walk_simple(k, NULL, hostkey_fields, &s->hostkeys[i]);
		k->ops->close(k);
	}
	k->ops->close(k);
}

static void walk_http(struct sink *k, const struct bph_http_info *h)
{
	k->ops->open(k, "http", '{');
	walk_fields(k, http_fields, h);
	if (h->has_favicon)
		k->ops->num(k, "favicon_mmh3", h->favicon_mmh3);
	if (h->n_headers)
		walk_strv(k, "headers", h->headers, h->n_headers);
	k->ops->close(k);
}

static void walk_service(struct sink *k, const struct bph_service *s)
{
	char ip[16], seen[32];

	bph_ip_str(s->ip, ip);
	k->ops->open(k, NULL, '{');
	k->ops->text(k, "ip", ip);
	k->ops->num(k, "port", s->port);
	k->ops->text(k, "state", bph_state_name(s->state));
	if (s->seen && !seen_text(s->seen, seen))
		k->err = k->err ? k->err : BPH_ERR_FORMAT;
	else if (s->seen)
		k->ops->text(k, "seen", seen);
	if (s->proto && s->proto[0])
		k->ops->text(k, "proto", s->proto);
	if (s->tcp.present)
		walk_simple(k, "tcp", tcp_fields, &s->tcp);
	if (s->tls)
		walk_tls(k, s->tls);
	if (s->ssh)
		walk_ssh(k, s->ssh);
	if (s->http)
		walk_http(k, s->http);
	if (s->banner)
		walk_simple(k, "banner", banner_fields, s->banner);
	k->ops->close(k);
}

/* -- the tree -- */

/* Adds v (stolen) to the open container; NULL v is ENOMEM. */
static void tree_put(struct sink *k, const char *key, json_t *v)
{
	json_t *parent = k->depth ? k->open[k->depth - 1] : NULL;

	if (!k->err && !v)
		k->err = BPH_ERR_NOMEM;
	if (k->err || !parent) {
		json_decref(v);
		return;
	}
	if (key ? json_object_set_new(parent, key, v)
		: json_array_append_new(parent, v))
		k->err = BPH_ERR_NOMEM;
}

static void tree_open(struct sink *k, const char *key, char bracket)
{
	json_t *v = k->err	     ? NULL
		    : bracket == '{' ? json_object()
				     : json_array();

	if (k->depth == SINK_DEPTH) { /* deeper than walk_service goes */
		json_decref(v);
		k->err = BPH_ERR_NOMEM;
		return;
	}
	if (k->depth)
		tree_put(k, key, json_incref(v)); /* the stack keeps a ref */
	else if (!v)
		k->err = k->err ? k->err : BPH_ERR_NOMEM;
	k->open[k->depth++] = v;
}

static void tree_close(struct sink *k)
{
	if (k->depth > 1) /* the root stays for the caller */
		json_decref(k->open[--k->depth]);
}

/* A JSON string for untrusted text (see the header); NULL on ENOMEM. */
static void tree_text(struct sink *k, const char *key, const char *s)
{
	char *clean = k->err ? NULL : bph_text_clean(s, BPH_TEXT_UTF8);

	tree_put(k, key, clean ? json_string(clean) : NULL);
	free(clean);
}

static void tree_num(struct sink *k, const char *key, json_int_t v)
{
	tree_put(k, key, k->err ? NULL : json_integer(v));
}

static void tree_flag(struct sink *k, const char *key, bool v)
{
	tree_put(k, key, k->err ? NULL : json_boolean(v));
}

static const struct sink_ops tree_ops = {
    .open = tree_open,
    .close = tree_close,
    .text = tree_text,
    .num = tree_num,
    .flag = tree_flag,
};

json_t *bph_service_to_json(const struct bph_service *s)
{
	struct sink k = {.ops = &tree_ops};

	walk_service(&k, s);
	while (k.depth > 1) /* only after a failure */
		tree_close(&k);
	if (k.err) {
		json_decref(k.open[0]);
		return NULL;
	}
	return k.open[0];
}

/* -- the text -- */

/* bph_sbuf_put, with the copy into room the buffer has inline (a
 * record is some sixty small pieces). */
static void put(void *buf, const char *p, size_t n)
{
	struct bph_sbuf *b = buf;

	if (!n || b->cap - b->len < n || b->err) {
		bph_sbuf_put(b, p, n);
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

#define ITEM_MAX 64 /* ,"key": of the longest name in the tables, and more */

/* The comma before all but the first member, then "key": (the names are
 * the tables' identifiers, nothing to escape) into item[ITEM_MAX + 24]
 * (room for a number after it); returns its length, or 0 after writing
 * it out itself (a longer key than the tables hold). */
static size_t text_item_at(struct sink *k, const char *key, char *item)
{
	size_t n = 0;

	if (!k->first)
		item[n++] = ',';
	k->first = false;
	if (!key)
		return n;
	item[n++] = '"';
	for (const char *c = key; *c; c++) {
		if (n == ITEM_MAX - 2) { /* no such key in the tables */
			put(k->buf, item, n);
			put(k->buf, c, strlen(c));
			put(k->buf, "\":", 2);
			return 0;
		}
		item[n++] = *c;
	}
	item[n++] = '"';
	item[n++] = ':';
	return n;
}

static void text_item(struct sink *k, const char *key)
{
	char item[ITEM_MAX + 24];

	put(k->buf, item, text_item_at(k, key, item));
}

static void text_open(struct sink *k, const char *key, char bracket)
{
	if (k->depth == SINK_DEPTH) {
		k->err = BPH_ERR_NOMEM;
		return;
	}
	text_item(k, key);
	put(k->buf, &bracket, 1);
	k->close[k->depth++] = bracket == '{' ? '}' : ']';
	k->first = true;
}

static void text_close(struct sink *k)
{
	if (k->depth)
		put(k->buf, &k->close[--k->depth], 1);
	k->first = false;
}

static void text_text(struct sink *k, const char *key, const char *s)
{
	text_item(k, key);
	bph_json_quote(s, put, k->buf);
}

/* The member and its number in one piece. */
static void text_num(struct sink *k, const char *key, json_int_t v)
{
	char item[ITEM_MAX + 24];
	size_t n = text_item_at(k, key, item);

	n += bph_json_int_str(v, item + n);
	put(k->buf, item, n);
}

static void text_flag(struct sink *k, const char *key, bool v)
{
	char item[ITEM_MAX + 24];
	size_t n = text_item_at(k, key, item);

	memcpy(item + n, v ? "true" : "false", v ? 4 : 5);
	put(k->buf, item, n + (v ? 4 : 5));
}

static const struct sink_ops text_ops = {
    .open = text_open,
    .close = text_close,
    .text = text_text,
    .num = text_num,
    .flag = text_flag,
};

int bph_service_json_text(struct bph_sbuf *b, const struct bph_service *s)
{
	struct sink k = {.ops = &text_ops, .buf = b, .first = true};

	walk_service(&k, s);
	return k.err ? k.err : b->err;
}

int bph_jsonl_write(FILE *f, const struct bph_service *s)
{
	struct bph_sbuf b;
	int rc;

	bph_sbuf_init(&b);
	rc = bph_service_json_text(&b, s);
	bph_sbuf_put(&b, "\n", 1);
	if (!rc && b.err)
		rc = b.err;
	if (!rc && fwrite(b.p, 1, b.len, f) != b.len)
		rc = BPH_ERR_IO;
	bph_sbuf_free(&b);
	return rc;
}

/* ---- reading ---- */

struct rctx {
	char *err;
	size_t errlen;
	const char *where; /* "", "tls.", "ssh.hostkeys[]." ... */
};

__attribute__((format(printf, 3, 4))) static int
fail(struct rctx *c, const char *field, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s%s: %s", c->where, field, msg);
	}
	return BPH_ERR_FORMAT;
}

static int read_int(struct rctx *c, const char *name, const json_t *v,
		    long long lo, long long hi, long long *out)
{
	if (!json_is_integer(v))
		return fail(c, name, "expected an integer");
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return fail(c, name, "%lld out of range [%lld, %lld]", *out, lo,
			    hi);
	return 0;
}

static int read_fixed(struct rctx *c, const struct field *f, const json_t *v,
		      char *dst)
{
	const char *s = json_string_value(v);
	size_t n;

	if (!s)
		return fail(c, f->name, "expected a string");
	n = strlen(s);
	if (n >= f->size)
		return fail(c, f->name, "longer than %zu bytes", f->size - 1);
	if (f->type == F_FIX) {
		memcpy(dst, s, n + 1);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return fail(c, f->name, "not hexadecimal");
	for (size_t i = 0; i < n; i++) /* tolower() of a hex digit */
		dst[i] = s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] + 32) : s[i];
	dst[n] = '\0';
	return 0;
}

static int read_str(struct rctx *c, const char *name, const json_t *v,
		    char **dst)
{
	const char *s = json_string_value(v);

	if (!s)
		return fail(c, name, "expected a string");
	free(*dst);
	*dst = bph_strndup_cap(s, json_string_length(v), BPH_JSON_STR_MAX);
	return *dst ? 0 : BPH_ERR_NOMEM;
}

/* RFC 3339 UTC as written by seen_text; an integer (Unix time) is accepted
 * too, for records from other tools. */
static int read_seen(struct rctx *c, const json_t *v, time_t *out)
{
	struct tm tm;
	const char *s = json_string_value(v);
	const char *end;

	if (json_is_integer(v)) {
		/* up to 9999-12-31T23:59:59Z, the last time RFC 3339 can write
		 */
		json_int_t t = json_integer_value(v);
		if (t < 0 || t > 253402300799LL)
			return fail(c, "seen", "time out of range");
		*out = (time_t)t;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	if (!end || *end)
		return fail(c, "seen", "expected an RFC 3339 UTC time");
	*out = timegm(&tm);
	return 0;
}

static int read_num(struct rctx *c, const struct field *f, const json_t *v,
		    char *p)
{
	static const long long lim[][2] = {
	    [F_INT] = {INT_MIN, INT_MAX}, [F_I32] = {INT32_MIN, INT32_MAX},
	    [F_U8] = {0, UINT8_MAX},	  [F_I8] = {INT8_MIN, INT8_MAX},
	    [F_U16] = {0, UINT16_MAX},	  [F_SIZE] = {0, LLONG_MAX},
	};
	long long n = 0;
	int rc = read_int(c, f->name, v, lim[f->type][0], lim[f->type][1], &n);

	if (rc)
		return rc;
	if (f->type == F_INT)
		*(int *)p = (int)n;
	else if (f->type == F_I32)
		*(int32_t *)p = (int32_t)n;
	else if (f->type == F_U8)
		*(uint8_t *)p = (uint8_t)n;
	else if (f->type == F_I8)
		*(int8_t *)p = (int8_t)n;
	else if (f->type == F_U16)
		*(uint16_t *)p = (uint16_t)n;
	else
		*(size_t *)p = (size_t)n;
	return 0;
}

static int read_field(struct rctx *c, const struct field *f, const json_t *v,
		      void *base)
{
	char *p = (char *)base + f->off;

	switch (f->type) {
	case F_STR:
		return read_str(c, f->name, v, (char **)p);
	case F_FIX:
	case F_HEX:
		return read_fixed(c, f, v, p);
	case F_BOOL:
		if (!json_is_boolean(v))
			return fail(c, f->name, "expected true or false");
		*(bool *)p = json_is_true(v);
		return 0;
	default:
		return read_num(c, f, v, p);
	}
}

#define TAB_MAX 32 /* fields of the longest table, and more */
#define TAB_FITS(t)                                                            \
	_Static_assert(sizeof(t) / sizeof((t)[0]) <= TAB_MAX + 1, #t)
TAB_FITS(tcp_fields);
TAB_FITS(tls_fields);
TAB_FITS(ssh_fields);
TAB_FITS(hostkey_fields);
TAB_FITS(http_fields);
TAB_FITS(banner_fields);

/* Every field of tab that obj holds, read in tab's order (so that the
 * first bad field by that order is the one reported). The members are
 * matched to tab in one pass over obj rather than by a lookup of every
 * name in tab, most of which a record does not hold. */
static int get_fields(struct rctx *c, const json_t *obj,
		      const struct field *tab, void *base)
{
	const json_t *val[TAB_MAX] = {0};
	const char *key;
	json_t *v;
	size_t n = 0;

	while (tab[n].name && n < TAB_MAX)
		n++;
	json_object_foreach((json_t *)obj, key, v)
	{
		for (size_t i = 0; i < n; i++) {
			if (tab[i].name[0] == key[0] &&
			    !strcmp(tab[i].name, key)) {
				val[i] = v;
				break;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		int rc = val[i] && !json_is_null(val[i])
			     ? read_field(c, &tab[i], val[i], base)
			     : 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* Reads an array of strings of at most max entries into a new vector. */
static int get_strv(struct rctx *c, const json_t *obj, const char *name,
		    size_t max, char ***out, size_t *n)
{
	const json_t *a = json_object_get(obj, name);
	size_t i, len;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return fail(c, name, "expected an array");
	len = json_array_size(a);
	if (len > max)
		return fail(c, name, "more than %zu entries", max);
	*out = calloc(len ? len : 1, sizeof(char *));
	if (!*out)
		return BPH_ERR_NOMEM;
	*n = len;
	for (i = 0; i < len; i++) {
		int rc = read_str(c, name, json_array_get(a, i), &(*out)[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* o (the member name, may be NULL) if it is an object; NULL and *rc 0
 * when absent or null; NULL and *rc set when something else. */
static const json_t *subobj(struct rctx *c, const json_t *o, const char *name,
			    int *rc)
{
	*rc = 0;
	if (!o || json_is_null(o))
		return NULL;
	if (!json_is_object(o)) {
		*rc = fail(c, name, "expected an object");
		return NULL;
	}
	return o;
}

static int get_tls(struct rctx *c, const json_t *o, struct bph_service *s)
{
	s->tls = bph_tls_info_new();
	if (!s->tls)
		return BPH_ERR_NOMEM;
	c->where = "tls.";
	int rc = get_fields(c, o, tls_fields, s->tls);
	if (!rc)
		rc = get_strv(c, o, "san", 4096, &s->tls->san, &s->tls->n_san);
	return rc;
}

static int get_hostkeys(struct rctx *c, const json_t *o,
			struct bph_ssh_info *ssh)
{
	const json_t *a = json_object_get(o, "hostkeys");
	size_t len;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 64)
		return fail(c, "hostkeys", "expected an array of <= 64 keys");
	len = json_array_size(a);
	ssh->hostkeys = calloc(len ? len : 1, sizeof(*ssh->hostkeys));
	if (!ssh->hostkeys)
		return BPH_ERR_NOMEM;
	ssh->n_hostkeys = len;
	c->where = "ssh.hostkeys[].";
	for (size_t i = 0; i < len; i++) {
		const json_t *k = json_array_get(a, i);
		if (!json_is_object(k))
			return fail(c, "", "expected an object");
		int rc = get_fields(c, k, hostkey_fields, &ssh->hostkeys[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int get_ssh(struct rctx *c, const json_t *o, struct bph_service *s)
{
	char **kex = NULL;
	size_t n = 0;
	int rc;

	s->ssh = bph_ssh_info_new();
	if (!s->ssh)
		return BPH_ERR_NOMEM;
	c->where = "ssh.";
	rc = get_fields(c, o, ssh_fields, s->ssh);
	if (!rc)
		rc = get_strv(c, o, "kexinit", 10, &kex, &n);
	for (size_t i = 0; i < n; i++)
		s->ssh->kexinit[i] = kex[i];
	free(kex);
	if (!rc)
		rc = get_hostkeys(c, o, s->ssh);
	return rc;
}

static int get_http(struct rctx *c, const json_t *o, struct bph_service *s)
{
	struct bph_http_info *h = bph_http_info_new();
	const json_t *fav;
	long long v = 0;
	int rc;

	if (!h)
		return BPH_ERR_NOMEM;
	s->http = h;
	c->where = "http.";
	rc = get_fields(c, o, http_fields, h);
	if (!rc)
		rc =
		    get_strv(c, o, "headers", 1024, &h->headers, &h->n_headers);
	fav = json_object_get(o, "favicon_mmh3");
	if (!rc && fav && !json_is_null(fav)) {
		rc = read_int(c, "favicon_mmh3", fav, INT32_MIN, INT32_MAX, &v);
		h->has_favicon = rc == 0;
		h->favicon_mmh3 = (int32_t)v;
	}
	return rc;
}

/* The members of a record that bph_service_from_json reads, found in
 * one pass over the record (NULL: absent). */
struct head {
	const json_t *ip, *port, *state, *seen, *proto;
	const json_t *tcp, *tls, *ssh, *http, *banner;
};

static void head_members(const json_t *j, struct head *h)
{
	const struct {
		const char *name;
		size_t off;
	} names[] = {
	    {"ip", offsetof(struct head, ip)},
	    {"port", offsetof(struct head, port)},
	    {"state", offsetof(struct head, state)},
	    {"seen", offsetof(struct head, seen)},
	    {"proto", offsetof(struct head, proto)},
	    {"tcp", offsetof(struct head, tcp)},
	    {"tls", offsetof(struct head, tls)},
	    {"ssh", offsetof(struct head, ssh)},
	    {"http", offsetof(struct head, http)},
	    {"banner", offsetof(struct head, banner)},
	};
	const char *key;
	json_t *v;

	memset(h, 0, sizeof(*h));
	json_object_foreach((json_t *)j, key, v)
	{
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (key[0] == names[i].name[0] &&
			    !strcmp(key, names[i].name)) {
				*(const json_t **)((char *)h + names[i].off) =
				    v;
				break;
			}
		}
	}
}

static int get_state(struct rctx *c, const json_t *v, struct bph_service *s)
{
	const char *st = json_string_value(v);
	static const enum bph_port_state all[] = {
	    BPH_STATE_OPEN, BPH_STATE_CLOSED, BPH_STATE_FILTERED,
	    BPH_STATE_UNKNOWN};

	if (!st)
		return v ? fail(c, "state", "expected a string") : 0;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(st, bph_state_name(all[i]))) {
			s->state = all[i];
			return 0;
		}
	}
	return fail(c, "state", "unknown state");
}

static int get_head(struct rctx *c, const struct head *h, struct bph_service *s)
{
	const char *ip = json_string_value(h->ip);
	struct in_addr a;
	long long n = 0;
	int rc;

	if (!ip || inet_pton(AF_INET, ip, &a) != 1)
		return fail(c, "ip", "expected a dotted-quad IPv4 string");
	s->ip = ntohl(a.s_addr);
	rc = read_int(c, "port", h->port, 0, 65535, &n);
	if (rc)
		return rc;
	s->port = (uint16_t)n;
	if ((rc = get_state(c, h->state, s)))
		return rc;
	if (h->seen && (rc = read_seen(c, h->seen, &s->seen)))
		return rc;
	return h->proto ? read_str(c, "proto", h->proto, &s->proto) : 0;
}

int bph_service_from_json(const json_t *j, struct bph_service *out, char *err,
			  size_t errlen)
{
	struct rctx c = {err, errlen, ""};
	struct head h;
	const json_t *o;
	int rc;

	if (!json_is_object(j))
		return fail(&c, "record", "expected a JSON object");
	head_members(j, &h);
	if ((rc = get_head(&c, &h, out)))
		return rc;
	if ((o = subobj(&c, h.tcp, "tcp", &rc))) {
		out->tcp.present = true;
		c.where = "tcp.";
		rc = get_fields(&c, o, tcp_fields, &out->tcp);
	}
	if (!rc && (o = subobj(&c, h.tls, "tls", &rc)))
		rc = get_tls(&c, o, out);
	if (!rc && (o = subobj(&c, h.ssh, "ssh", &rc)))
		rc = get_ssh(&c, o, out);
	if (!rc && (o = subobj(&c, h.http, "http", &rc)))
		rc = get_http(&c, o, out);
	if (!rc && (o = subobj(&c, h.banner, "banner", &rc))) {
		if (!(out->banner = bph_banner_info_new()))
			return BPH_ERR_NOMEM;
		c.where = "banner.";
		rc = get_fields(&c, o, banner_fields, out->banner);
	}
	return rc;
}

/* ---- the round trip without the tree ---- */

/* s as the writer's cleaning and the reader's cap give it back. */
static int norm_text(const char *s, char **dst)
{
	char *clean;

	if (bph_text_is_clean(s, BPH_TEXT_UTF8)) {
		*dst = bph_strndup_cap(s, strlen(s), BPH_JSON_STR_MAX);
		return *dst ? 0 : BPH_ERR_NOMEM;
	}
	clean = bph_text_clean(s, BPH_TEXT_UTF8);
	*dst = clean ? bph_strndup_cap(clean, strlen(clean), BPH_JSON_STR_MAX)
		     : NULL;
	free(clean);
	return *dst ? 0 : BPH_ERR_NOMEM;
}

/* A char[size] field: cleaned, and refused (as read_fixed refuses it)
 * when cleaning makes it too long or, for hex, when it is not hex. */
static int norm_fixed(const struct field *f, const char *src, char *dst)
{
	char *clean;
	size_t n;

	if (f->type == F_HEX) {
		for (n = 0; src[n]; n++) {
			if (!isxdigit((unsigned char)src[n]))
				return BPH_ERR_FORMAT;
			dst[n] = (char)tolower((unsigned char)src[n]);
		}
		dst[n] = '\0';
		return 0;
	}
	if (bph_text_is_clean(src, BPH_TEXT_UTF8)) {
		memcpy(dst, src, strlen(src) + 1);
		return 0;
	}
	if (!(clean = bph_text_clean(src, BPH_TEXT_UTF8)))
		return BPH_ERR_NOMEM;
	n = strlen(clean);
	if (n < f->size)
		memcpy(dst, clean, n + 1);
	free(clean);
	return n < f->size ? 0 : BPH_ERR_FORMAT;
}

static int norm_field(const struct field *f, const void *src, void *dst)
{
	const char *s = (const char *)src + f->off;
	char *d = (char *)dst + f->off;
	static const size_t width[] = {
	    [F_BOOL] = sizeof(bool),   [F_INT] = sizeof(int),
	    [F_I32] = sizeof(int32_t), [F_U8] = sizeof(uint8_t),
	    [F_I8] = sizeof(int8_t),   [F_U16] = sizeof(uint16_t),
	    [F_SIZE] = sizeof(size_t),
	};

	switch (f->type) {
	case F_STR: {
		const char *str = *(char *const *)s;
		return str && str[0] ? norm_text(str, (char **)d) : 0;
	}
	case F_FIX:
	case F_HEX:
		return s[0] ? norm_fixed(f, s, d) : 0;
	case F_SIZE: /* written as a json_int_t, refused when negative */
		if (*(const size_t *)s > (size_t)LLONG_MAX)
			return BPH_ERR_FORMAT;
		break;
	default:
		break;
	}
	memcpy(d, s, width[f->type]);
	return 0;
}

static int norm_fields(const struct field *tab, const void *src, void *dst)
{
	int rc = 0;

	for (const struct field *f = tab; !rc && f->name; f++)
		rc = norm_field(f, src, dst);
	return rc;
}

/* An array of strings: NULL entries become "", none at all NULL. */
static int norm_strv(char *const *v, size_t n, size_t max, char ***out,
		     size_t *n_out)
{
	int rc = 0;

	if (!n)
		return 0;
	if (n > max)
		return BPH_ERR_FORMAT;
	if (!(*out = calloc(n, sizeof(char *))))
		return BPH_ERR_NOMEM;
	*n_out = n;
	for (size_t i = 0; !rc && i < n; i++)
		rc = norm_text(v[i] ? v[i] : "", &(*out)[i]);
	return rc;
}

static int norm_tls(const struct bph_tls_info *t, struct bph_service *out)
{
	int rc;

	if (!(out->tls = bph_tls_info_new()))
		return BPH_ERR_NOMEM;
	rc = norm_fields(tls_fields, t, out->tls);
	return rc ? rc
		  : norm_strv(t->san, t->n_san, 4096, &out->tls->san,
			      &out->tls->n_san);
}

static int norm_hostkeys(const struct bph_ssh_info *s, struct bph_ssh_info *o)
{
	int rc = 0;

	if (!s->n_hostkeys)
		return 0;
	if (s->n_hostkeys > 64)
		return BPH_ERR_FORMAT;
	if (!(o->hostkeys = calloc(s->n_hostkeys, sizeof(*o->hostkeys))))
		return BPH_ERR_NOMEM;
	o->n_hostkeys = s->n_hostkeys;
	for (size_t i = 0; !rc && i < s->n_hostkeys; i++)
		rc = norm_fields(hostkey_fields, &s->hostkeys[i],
				 &o->hostkeys[i]);
	return rc;
}

static int norm_ssh(const struct bph_ssh_info *s, struct bph_service *out)
{
	struct bph_ssh_info *o = bph_ssh_info_new();
	int any_kex = 0, rc;

	if (!(out->ssh = o))
		return BPH_ERR_NOMEM;
	rc = norm_fields(ssh_fields, s, o);
	for (int i = 0; i < 10; i++)
		any_kex |= s->kexinit[i] != NULL;
	for (int i = 0; !rc && any_kex && i < 10; i++)
		rc = norm_text(s->kexinit[i] ? s->kexinit[i] : "",
			       &o->kexinit[i]);
	return rc ? rc : norm_hostkeys(s, o);
}

static int norm_http(const struct bph_http_info *h, struct bph_service *out)
{
	struct bph_http_info *o = bph_http_info_new();
	int rc;

	if (!(out->http = o))
		return BPH_ERR_NOMEM;
	rc = norm_fields(http_fields, h, o);
	o->has_favicon = h->has_favicon;
	o->favicon_mmh3 = h->has_favicon ? h->favicon_mmh3 : 0;
	return rc ? rc
		  : norm_strv(h->headers, h->n_headers, 1024, &o->headers,
			      &o->n_headers);
}

/* Head and tcp: the state by its name, seen as RFC 3339 can write and
 * strptime read it (years 0 to 9999), tcp only the fields written. */
static int norm_head(const struct bph_service *in, struct bph_service *out)
{
	out->ip = in->ip;
	out->port = in->port;
	out->state = strcmp(bph_state_name(in->state), "unknown")
			 ? in->state
			 : BPH_STATE_UNKNOWN;
	if (in->seen && ((long long)in->seen < -62167219200LL ||
			 (long long)in->seen > 253402300799LL))
		return BPH_ERR_FORMAT;
	out->seen = in->seen;
	if (in->tcp.present) {
		out->tcp.present = true;
		int rc = norm_fields(tcp_fields, &in->tcp, &out->tcp);
		if (rc)
			return rc;
	}
	return in->proto && in->proto[0] ? norm_text(in->proto, &out->proto)
					 : 0;
}

int bph_service_normalize(const struct bph_service *in, struct bph_service *out)
{
	int rc = norm_head(in, out);

	if (!rc && in->tls)
		rc = norm_tls(in->tls, out);
	if (!rc && in->ssh)
		rc = norm_ssh(in->ssh, out);
	if (!rc && in->http)
		rc = norm_http(in->http, out);
	if (!rc && in->banner) {
		if (!(out->banner = bph_banner_info_new()))
			return BPH_ERR_NOMEM;
		rc = norm_fields(banner_fields, in->banner, out->banner);
	}
	return rc;
}
