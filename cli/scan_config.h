/*
 * scan_config.h - what every scan, pivot and sweep run takes from the
 * machine's and the user's configuration (cli/scan_run.c): the opt-out
 * exclusion files and the contact named in the HTTP User-Agent. How to
 * handle an opt-out request is in docs/guide.md ("Opt-outs and
 * identifying the scanner").
 */
#ifndef BPH_CLI_SCAN_CONFIG_H
#define BPH_CLI_SCAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct bph_targets;

/* The system-wide folder: $BPH_SYSCONF_DIR when set (tests, packagers),
 * else /etc/bphound. */
#define BPH_SYSCONF_DIR_DEFAULT "/etc/bphound"

/*
 * Excludes from t (not finalized) the addresses of the opt-out files that
 * exist: the system-wide SYSCONF/exclude.conf, then the user's
 * $XDG_CONFIG_HOME/bphound/exclude.conf (else
 * ~/.config/bphound/exclude.conf); the format of --exclude. A missing
 * file is skipped; one that cannot be read or has a bad line is an error
 * (BPH_ERR_USAGE or BPH_ERR_IO, message printed: never scan when an
 * opt-out cannot be honoured). show: print "opt-out: PATH" on stdout for
 * each file applied (--dry-run). Returns 0 or the error.
 */
int bph_cli_optout_apply(struct bph_targets *t, bool show);

/*
 * The HTTP User-Agent of the probes into ua (n bytes): "bphound/VERSION"
 * or, with a contact (contact, else the first line of the file contact
 * beside the opt-out files, user's before system's),
 * "bphound/VERSION (+CONTACT)". A contact is a URL (http:// or https://)
 * or an e-mail address, at most 200 printable ASCII characters without
 * spaces; anything else is BPH_ERR_USAGE (message printed). Returns 0.
 */
int bph_cli_user_agent(const char *contact, char *ua, size_t n);

#endif
