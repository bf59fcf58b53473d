/*
 * import_nmap.h - nmap XML (-oX) into bphound service records.
 *
 * Every open TCP port of an IPv4 host becomes one record; the scripts
 * ssl-cert (the "pem" element: certificate hashes, SPKI and fields via
 * bph_x509_fill), ssh-hostkey (each table's "key" blob: SHA256/MD5 as
 * ssh-keygen prints them) and http-title fill its tls, ssh and http parts.
 * The record's time is the host's starttime. Other scripts and fields are
 * ignored. The XML is read as a stream (memory bounded by the largest
 * <port> element), without network access; a document that declares
 * entities is refused before any is expanded.
 */
#ifndef BPH_STORE_IMPORT_NMAP_H
#define BPH_STORE_IMPORT_NMAP_H

#include <stddef.h>

#include "store/import_common.h"

/* Whether buf (len bytes, the start of a file) looks like XML: after an
 * optional UTF-8 byte order mark and white space, a '<'. Whether it is
 * nmap's is for the parser to say (the root element is <nmaprun>). */
int bph_import_is_nmap(const char *buf, size_t len);

/* Reads up to len bytes into buf: the count, 0 at the end, -1 on error
 * (libxml2's xmlInputReadCallback). */
typedef int (*bph_import_read_fn)(void *ctx, char *buf, int len);

/*
 * Parses nmap XML read through rd(rctx) and calls cb(ctx, s) for every
 * open port, as bph_import_nmap() does for a buffer.
 */
int bph_import_nmap_stream(bph_import_read_fn rd, void *rctx, bph_import_cb cb,
			   void *ctx, size_t *bad, char *err, size_t errlen);

/*
 * Parses nmap XML from buf (len bytes, borrowed) and calls cb(ctx, s) for
 * every open port. *bad counts ports or scripts that were skipped because
 * they did not parse (a message for the last goes into err). Returns 0,
 * BPH_ERR_FORMAT (not well-formed XML, not an nmaprun document, or
 * entities declared; err says why), BPH_ERR_NOMEM, or the callback's
 * error (records before an error have been handed out).
 */
int bph_import_nmap(const char *buf, size_t len, bph_import_cb cb, void *ctx,
		    size_t *bad, char *err, size_t errlen);

#endif
