/*
 * scan_config.c - the opt-out exclusion files and the contact of the HTTP
 * User-Agent that every scan, pivot and sweep run takes (contract in
 * scan_config.h; for the operator, docs/guide.md "Opt-outs and
 * identifying the scanner").
 */
#include "cli/scan_config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/version.h"
#include "fingerprints/err.h"
#include "scanner/targets.h"

/* dir/NAME for the system (user = false) or the user's folder; "" when
 * there is no home. */
static void config_path(bool user, const char *name, char *out, size_t n)
{
	const char *sys = getenv("BPH_SYSCONF_DIR");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	out[0] = '\0';
	if (!user) {
		snprintf(out, n, "%s/%s",
			 sys && sys[0] ? sys : BPH_SYSCONF_DIR_DEFAULT, name);
		return;
	}
	if (!home || !home[0]) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (xdg && xdg[0] == '/')
		snprintf(out, n, "%s/bphound/%s", xdg, name);
	else if (home)
		snprintf(out, n, "%s/.config/bphound/%s", home, name);
}

/* Whether path names something (a missing file is no opt-out). */
static bool exists(const char *path)
{
	struct stat st;

	return path[0] && (stat(path, &st) == 0 || errno != ENOENT);
}

int bph_cli_optout_apply(struct bph_targets *t, bool show)
{
	char path[4096], err[512] = "";

	for (int user = 0; user < 2; user++) {
		config_path(user, "exclude.conf", path, sizeof(path));
		if (!exists(path))
			continue;
		int rc = bph_targets_exclude_file(t, path, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "bphound: opt-out file: %s\n",
				err[0] ? err : bph_strerror(rc));
			return rc;
		}
		if (show)
			printf("opt-out: %s\n", path);
	}
	return 0;
}

static bool contact_ok(const char *c)
{
	size_t n = strlen(c);

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (c[i] <= ' ' || c[i] > '~' || c[i] == '(' || c[i] == ')')
			return false;
	if (!strncmp(c, "https://", 8) || !strncmp(c, "http://", 7))
		return true;
	const char *at = strchr(c, '@');
	return at && at != c && at[1] && !strchr(at + 1, '@');
}

/* The first line of the contact file (user's, else system's) into buf. */
static const char *contact_default(char *buf, size_t n)
{
	char path[4096];

	for (int user = 1; user >= 0; user--) {
		config_path(user, "contact", path, sizeof(path));
		FILE *f = path[0] ? fopen(path, "r") : NULL;
		if (!f)
			continue;
		char *line = fgets(buf, (int)n, f);
		fclose(f);
		if (line) {
			line[strcspn(line, "\r\n")] = '\0';
			return line;
		}
	}
	return NULL;
}

int bph_cli_user_agent(const char *contact, char *ua, size_t n)
{
	char buf[256];

	if (!contact)
		contact = contact_default(buf, sizeof(buf));
	if (contact && !contact_ok(contact)) {
		char shown[64]; /* echoed without raw control bytes */
		size_t i = 0;
		for (; contact[i] && i < sizeof(shown) - 1; i++)
			shown[i] = contact[i] >= ' ' && contact[i] <= '~'
				       ? contact[i]
				       : '?';
		shown[i] = '\0';
		fprintf(stderr,
			"bphound: contact '%s%s' is not a URL (http:// or "
			"https://) or an e-mail address (printable, no spaces "
			"or parentheses, at most 200 characters)\n",
			shown, contact[i] ? "..." : "");
		return BPH_ERR_USAGE;
	}
	if (contact)
		snprintf(ua, n, "bphound/%s (+%s)", bph_version(), contact);
	else
		snprintf(ua, n, "bphound/%s", bph_version());
	return 0;
}
