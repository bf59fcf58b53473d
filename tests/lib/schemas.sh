# schemas.sh - sourced by the tests that validate outputs against the
# published schemas (GEXF 1.2 XSD, STIX 2.1 and XARF v4 JSON schemas).
# The schemas are not part of the repository: they are read from the
# directory named by BPH_SCHEMAS, else from shared/schemas beside the
# clone (where CI puts it). With neither, bph_schemas prints nothing and
# the test prints one visible SKIP line per check it cannot make, while
# every other check of the outputs still runs.
#
#   . "$top/tests/lib/schemas.sh"; schemas=$(bph_schemas "$top")
bph_schemas() { # bph_schemas REPO_TOP: the schemas directory, or nothing
	if [ -n "${BPH_SCHEMAS:-}" ]; then
		[ -d "$BPH_SCHEMAS" ] || { echo "BPH_SCHEMAS=$BPH_SCHEMAS is not a directory" >&2; return 1; }
		echo "$BPH_SCHEMAS"
	elif [ -d "$1/../shared/schemas" ]; then
		(cd "$1/../shared/schemas" && pwd)
	fi
}
