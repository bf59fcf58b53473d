/*
 * cli_help.c - everything bphound says about its own command line:
 * --help, the man page bphound(1) and the bash and zsh completions, all
 * generated from the tables of cli_opts.c and the registries of cluster/
 * (formats, families), so that none of them can fall out of step with
 * what the parser accepts (tests/integration/cli_docs.sh checks it).
 */
#include "cli/cli.h"

#include <string.h>

#include "cli/version.h"
#include "cluster/cluster.h"
#include "cluster/export.h"
#include "fingerprints/err.h"
#include "ranges/parse.h"

void bph_cli_list_families(FILE *out, const char *sep)
{
	for (int f = 0; f < BPH_FAM_COUNT; f++)
		fprintf(out, "%s%s", f ? sep : "",
			bph_family_name((enum bph_family)f));
}

void bph_cli_list_kinds(FILE *out, const char *sep)
{
	for (int k = 1; k < BPH_KIND_COUNT; k++)
		fprintf(out, "%s%s", k > 1 ? sep : "",
			bph_kind_name((enum bph_kind)k));
}

static bool takes(const struct bph_optdef *d, const struct bph_command *cmd)
{
	return d->cmds & (1u << (unsigned)(cmd - bph_commands));
}

static bool takes_named(const struct bph_command *cmd, const char *name)
{
	for (size_t i = 0; bph_optdefs[i].name; i++)
		if (!strcmp(bph_optdefs[i].name, name))
			return takes(&bph_optdefs[i], cmd);
	return false;
}

static void help_option(FILE *out, const struct bph_optdef *d)
{
	char left[64];

	snprintf(left, sizeof(left), "%c%c%s--%s%s%s",
		 d->short_name ? '-' : ' ', d->short_name ? d->short_name : ' ',
		 d->short_name ? ", " : "  ", d->name, d->metavar ? " " : "",
		 d->metavar ? d->metavar : "");
	if (strlen(left) > 28)
		fprintf(out, "  %s\n  %-28s %s\n", left, "", d->help);
	else
		fprintf(out, "  %-28s %s\n", left, d->help);
}

static void help_command(FILE *out, const struct bph_command *cmd)
{
	fprintf(out, "usage: bphound %s %s\n%s\n\noptions:\n", cmd->name,
		cmd->synopsis, cmd->summary);
	for (size_t i = 0; bph_optdefs[i].name; i++)
		if (takes(&bph_optdefs[i], cmd))
			help_option(out, &bph_optdefs[i]);
	if (cmd == &bph_commands[BPH_CMD_EXPORT] ||
	    takes_named(cmd, "export")) {
		fputs("formats: ", out);
		bph_cli_list_formats(out, " ");
		fputc('\n', out);
	}
	if (takes_named(cmd, "families")) {
		fputs("families: ", out);
		bph_cli_list_families(out, ",");
		fputc('\n', out);
	}
	if (takes_named(cmd, "kind")) {
		fputs("kinds: ", out);
		bph_cli_list_kinds(out, " ");
		fputc('\n', out);
	}
	fputs("see man bphound and docs/guide.md\n", out);
}

void bph_cli_help(FILE *out, const struct bph_command *cmd)
{
	if (cmd) {
		help_command(out, cmd);
		return;
	}
	fputs("usage: bphound COMMAND [OPTION]...\n\ncommands:\n", out);
	for (size_t i = 0; bph_commands[i].name; i++)
		fprintf(out, "  %-8s %s\n  %-8s %s\n", bph_commands[i].name,
			bph_commands[i].synopsis, "", bph_commands[i].summary);
	fputs("  help [COMMAND]     this help, or a command's options\n"
	      "  completion bash|zsh  a shell completion script\n"
	      "  --version          the version\n"
	      "formats: ",
	      out);
	bph_cli_list_formats(out, " ");
	fputs("\nbphound COMMAND --help lists a command's options; man bphound "
	      "has them all\n",
	      out);
}

/* ---- man page ---- */

/* Writes s as roff text: a leading dot or quote is escaped, and so is
 * every backslash and hyphen (a hyphen in an option name is a minus). */
static void roff(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

static void man_option(FILE *out, const struct bph_optdef *d)
{
	fputs(".TP\n", out);
	if (d->short_name)
		fprintf(out, "\\fB\\-%c\\fR, ", d->short_name);
	fputs("\\fB\\-\\-", out);
	roff(out, d->name);
	fputs("\\fR", out);
	if (d->metavar) {
		fputs(" \\fI", out);
		roff(out, d->metavar);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff(out, d->help);
	fputc('\n', out);
}

static void man_commands(FILE *out)
{
	fputs(".SH COMMANDS\n", out);
	for (size_t i = 0; bph_commands[i].name; i++) {
		const struct bph_command *c = &bph_commands[i];
		fprintf(out, ".SS \"%s\"\n\\fBbphound %s\\fR ", c->name,
			c->name);
		roff(out, c->synopsis);
		fputs("\n.PP\n", out);
		roff(out, c->summary);
		fputs(".\n.PP\nOptions:\n", out);
		for (size_t k = 0; bph_optdefs[k].name; k++)
			if (takes(&bph_optdefs[k], c))
				man_option(out, &bph_optdefs[k]);
	}
}

/* The prose of the page; the COMMANDS section between its two halves is
 * generated. */
static const char man_head[] =
    ".SH DESCRIPTION\n"
    "bphound is an active machine\\-fingerprinting scanner for people who "
    "investigate bulletproof hosting.\n"
    "From one confirmed host it sweeps the neighbourhood with raw SYN "
    "packets, fingerprints every open service (TLS certificate and SPKI "
    "hashes, JARM, JA3S, SSH host keys and HASSH, HTTP titles, body and "
    "favicon hashes, TCP stack traits), keeps everything in a store, and "
    "links the hosts that most likely belong to the same provider, with the "
    "evidence for every link.\n"
    ".PP\n"
    "Reserved and special\\-purpose ranges are never scanned unless "
    "\\fB\\-\\-allow\\-reserved\\fR is given, and the default rate is "
    "10,000 packets per second.\n"
    "Sending needs the CAP_NET_RAW capability (root); commands that send "
    "nothing never need it.\n";

static const char man_tail[] =
    ".SH FORMATS\n"
    "Export formats (\\fB\\-\\-format\\fR, \\fB\\-\\-export\\fR): @FORMATS@.\n"
    ".PP\n"
    "Artifact families (\\fB\\-\\-families\\fR): @FAMILIES@.\n"
    ".PP\n"
    "Data file kinds (\\fB\\-\\-kind\\fR of \\fBdata\\fR): @KINDS@.\n"
    ".SH EXIT STATUS\n"
    ".TP\n0\nsuccess\n"
    ".TP\n1\na runtime failure (the network, the store, the system)\n"
    ".TP\n2\nbad usage or bad input (options, targets, files); the message "
    "names the file, line and column where there is one\n"
    ".SH FILES\n"
    ".TP\n\\fI~/.local/share/bphound/bphound.db\\fR\n"
    "the default store (\\fB$XDG_DATA_HOME/bphound/bphound.db\\fR when "
    "XDG_DATA_HOME is set)\n"
    ".TP\n\\fI@DATADIR@/common.yaml\\fR\n"
    "artifacts known to be common defaults, which never link hosts\n"
    ".SH EXAMPLES\n"
    ".nf\n"
    "bphound pivot 203.0.113.7\n"
    "bphound pivot 203.0.113.7 \\-\\-ranges 203.0.113.0/24 \\-p 22,443 "
    "\\-\\-export graphml:bph.graphml\n"
    "bphound scan 192.0.2.0/24 \\-p 22,80,443 \\-o scan.jsonl\n"
    "bphound cluster 203.0.113.7 \\-\\-explain 203.0.113.9\n"
    "bphound export \\-\\-format gexf \\-o bph.gexf\n"
    ".fi\n"
    ".SH SEE ALSO\n"
    "\\fBnmap\\fR(1), \\fBmasscan\\fR(8), \\fBzmap\\fR(1); the guide in "
    "/usr/share/doc/bphound/guide.md or the repository's docs/\n";

/* man_tail with its @NAME@ placeholders filled in. */
static void man_fill(FILE *out, const char *s)
{
	for (const char *at; (at = strchr(s, '@'));
	     s = strchr(at + 1, '@') + 1) {
		fwrite(s, 1, (size_t)(at - s), out);
		if (!strncmp(at, "@FORMATS@", 9))
			bph_cli_list_formats(out, ", ");
		else if (!strncmp(at, "@FAMILIES@", 10))
			bph_cli_list_families(out, ", ");
		else if (!strncmp(at, "@KINDS@", 7))
			bph_cli_list_kinds(out, ", ");
		else if (!strncmp(at, "@DATADIR@", 9))
			fputs(BPH_DATADIR, out);
	}
	fputs(s, out);
}

void bph_cli_man(FILE *out)
{
	fprintf(out,
		".TH BPHOUND 1 \"\" \"bphound %s\" \"User Commands\"\n"
		".SH NAME\nbphound \\- find the hosts of a bulletproof "
		"hosting provider from one of them\n.SH SYNOPSIS\n",
		bph_version());
	for (size_t i = 0; bph_commands[i].name; i++) {
		fprintf(out, "\\fBbphound %s\\fR ", bph_commands[i].name);
		roff(out, bph_commands[i].synopsis);
		fputs("\n.br\n", out);
	}
	fputs(man_head, out);
	man_commands(out);
	man_fill(out, man_tail);
}

/* ---- completions ---- */

static void words_commands(FILE *out)
{
	for (size_t i = 0; bph_commands[i].name; i++)
		fprintf(out, "%s ", bph_commands[i].name);
	fputs("help completion", out);
}

static void words_options(FILE *out, const struct bph_command *cmd)
{
	for (size_t i = 0; bph_optdefs[i].name; i++)
		if (takes(&bph_optdefs[i], cmd))
			fprintf(out, " --%s", bph_optdefs[i].name);
}

static void bash_completion(FILE *out)
{
	fputs("# bash completion for bphound, generated by `bphound "
	      "completion bash`\n_bphound() {\n"
	      "  local cur=${COMP_WORDS[COMP_CWORD]} "
	      "prev=${COMP_WORDS[COMP_CWORD-1]} words\n"
	      "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    words=\"",
	      out);
	words_commands(out);
	fputs("\"\n  else\n    case $prev in\n"
	      "      --format) words=\"",
	      out);
	bph_cli_list_formats(out, " ");
	fputs("\" ;;\n      --families) words=\"", out);
	bph_cli_list_families(out, " ");
	fputs("\" ;;\n      --kind) words=\"", out);
	bph_cli_list_kinds(out, " ");
	fputs("\" ;;\n      --communities) words=\"leiden louvain\" ;;\n"
	      "      --by) words=\"prefix asn org\" ;;\n"
	      "      --to) words=\"provider upstreams provider,upstreams\" ;;\n"
	      "      --db|--exclude|--common|--allowlist|--weights|--rank-file|"
	      "--outdir|-o|--output) "
	      "COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	      "      *) case ${COMP_WORDS[1]} in\n",
	      out);
	for (size_t i = 0; bph_commands[i].name; i++) {
		fprintf(out, "        %s) words=\"", bph_commands[i].name);
		words_options(out, &bph_commands[i]);
		fputs("\" ;;\n", out);
	}
	fputs("        help) words=\"", out);
	words_commands(out);
	fputs("\" ;;\n        completion) words=\"bash zsh\" ;;\n"
	      "      esac ;;\n    esac\n  fi\n"
	      "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\n"
	      "complete -F _bphound bphound\n",
	      out);
}

static void zsh_completion(FILE *out)
{
	fputs("#compdef bphound\n# zsh completion for bphound, generated by "
	      "`bphound completion zsh`\n_bphound() {\n"
	      "  local -a opts\n"
	      "  if (( CURRENT == 2 )); then\n    compadd -- ",
	      out);
	words_commands(out);
	fputs("\n    return\n  fi\n  case ${words[CURRENT-1]} in\n"
	      "    --format) compadd -- ",
	      out);
	bph_cli_list_formats(out, " ");
	fputs("; return ;;\n    --families) compadd -- ", out);
	bph_cli_list_families(out, " ");
	fputs("; return ;;\n    --kind) compadd -- ", out);
	bph_cli_list_kinds(out, " ");
	fputs("; return ;;\n    --communities) compadd -- leiden louvain; "
	      "return ;;\n"
	      "    --by) compadd -- prefix asn org; return ;;\n"
	      "    --to) compadd -- provider upstreams provider,upstreams; "
	      "return ;;\n"
	      "    --db|--exclude|--common|--allowlist|--weights|--rank-file|"
	      "--outdir|-o|--output) "
	      "_files; "
	      "return ;;\n"
	      "  esac\n  case ${words[2]} in\n",
	      out);
	for (size_t i = 0; bph_commands[i].name; i++) {
		fprintf(out, "    %s) opts=(", bph_commands[i].name);
		words_options(out, &bph_commands[i]);
		fputs(") ;;\n", out);
	}
	fputs("    help) opts=(", out);
	words_commands(out);
	fputs(") ;;\n    completion) opts=(bash zsh) ;;\n  esac\n"
	      "  compadd -- $opts\n}\n_bphound \"$@\"\n",
	      out);
}

int bph_cli_completion(FILE *out, const char *shell)
{
	if (shell && !strcmp(shell, "bash"))
		bash_completion(out);
	else if (shell && !strcmp(shell, "zsh"))
		zsh_completion(out);
	else
		return BPH_ERR_USAGE;
	return 0;
}
