#!/usr/bin/python3
"""check_layout.py - the dependency rules of docs/architecture.md, checked.

usage: tests/check_layout.py BUILD_DIR | --selftest

1. Includes: a file of each library folder includes only the folders its
   row of RULES allows (a header counts for the folder it lives in); store/
   reaches cluster/ through cluster/graph.h alone.
2. Private headers: at most one *_int.h per folder, included only from
   inside that folder.
3. Calls: inside each folder the file-level call graph (from the object
   files' defined and undefined symbols, so macros and comments cannot
   fool it) has no cycle; in cli/ the command files (cmd_*.c) never call
   each other.
4. Every top-level folder holding C sources has a row in RULES: a new
   folder states its rules here and in docs/architecture.md.
Prints every breach and exits 1 if there is one.
"""
import os
import re
import subprocess
import sys

# folder -> the folders of ours it may include (besides itself).
RULES = {
    "fingerprints": set(),
    "probes": {"fingerprints"},
    "cluster": {"fingerprints"},
    "scanner": {"fingerprints", "probes"},
    "store": {"fingerprints", "cluster/graph.h"},
    "ranges": {"fingerprints"},
    "sweep": {"fingerprints", "cluster", "store"},
    "abuse": {"fingerprints", "cluster", "ranges"},
    "cli": None,  # the binary: everything
}
# Folders that hold C but are not libraries of the binary.
NOT_LIBRARIES = {"tests", "bench", "build", "debian", "dist", "docs"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([A-Za-z0-9_.]+)"', re.M)
breaches = []
quiet = []  # non-empty during the selftest


def breach(msg):
    breaches.append(msg)
    if not quiet:
        print("FAIL " + msg)


def sources(top, folder):
    d = os.path.join(top, folder)
    return sorted(f for f in os.listdir(d) if f.endswith((".c", ".h")))


def check_includes(top, folder, allowed):
    for f in sources(top, folder):
        text = open(os.path.join(top, folder, f), encoding="utf-8").read()
        for dep, header in INCLUDE.findall(text):
            if dep == folder or allowed is None:
                continue
            if dep in allowed or "%s/%s" % (dep, header) in allowed:
                continue
            breach("%s/%s includes %s/%s (%s/ may include: %s)" % (
                folder, f, dep, header, folder,
                ", ".join(sorted(allowed)) or "none of ours"))


def check_private_headers(top, folders):
    for folder in folders:
        ints = [f for f in sources(top, folder) if f.endswith("_int.h")]
        if len(ints) > 1:
            breach("%s/ has %d private headers (%s): one at most" % (
                folder, len(ints), ", ".join(ints)))
        for h in ints:
            for other in folders:
                if other == folder:
                    continue
                for f in sources(top, other):
                    text = open(os.path.join(top, other, f), encoding="utf-8").read()
                    if '"%s/%s"' % (folder, h) in text:
                        breach("%s/%s includes %s/%s, private to %s/" % (
                            other, f, folder, h, folder))


def symbols(obj):
    """(defined functions, undefined) global symbol names of an object file.
    Only functions count as targets: a registry that lists other files'
    const descriptors (probes/registry.c, cluster/export.c) depends on
    them as data, the way a table does, and is not a call."""
    out = subprocess.run(["nm", "-g", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TW":
            defined.add(parts[2])
    return defined, undefined


def objects(build, folder):
    """file name -> object path, for the folder's sources in the build."""
    found = {}
    for root, _, files in os.walk(os.path.join(build, "CMakeFiles")):
        if os.path.basename(root) != folder:
            continue
        if not root.endswith(os.path.join("bph_%s.dir" % folder, folder)) and \
           not root.endswith(os.path.join("bphound.dir", folder)):
            continue
        for f in files:
            if f.endswith(".c.o"):
                found[f[:-2]] = os.path.join(root, f)
    return found


def call_graph(build, folder):
    objs = objects(build, folder)
    syms = {name: symbols(path) for name, path in objs.items()}
    owner = {}
    for name, (defined, _) in syms.items():
        for s in defined:
            owner[s] = name
    edges = {name: set() for name in syms}
    for name, (_, undefined) in syms.items():
        for s in undefined:
            if s in owner and owner[s] != name:
                edges[name].add(owner[s])
    return edges


def cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def check_calls(build, folder):
    edges = call_graph(build, folder)
    if not edges:
        breach("%s/: no object files under %s (build it first)" % (folder, build))
        return
    for comp in cycles(edges):
        breach("%s/: files call each other in a cycle: %s" % (folder, " <-> ".join(comp)))
    if folder == "cli":
        for a, targets in edges.items():
            for b in targets:
                if a.startswith("cmd_") and b.startswith("cmd_"):
                    breach("cli/%s calls cli/%s: command files never call each other" % (a, b))


def check_tree(top, build):
    folders = sorted(d for d in os.listdir(top)
                     if os.path.isdir(os.path.join(top, d)) and not d.startswith(".")
                     and d not in NOT_LIBRARIES
                     and any(f.endswith(".c") for f in os.listdir(os.path.join(top, d))))
    for folder in folders:
        if folder not in RULES:
            breach("%s/ holds C sources but has no dependency rule: add it to "
                   "tests/check_layout.py and docs/architecture.md" % folder)
            continue
        check_includes(top, folder, RULES[folder])
        check_calls(build, folder)
    check_private_headers(top, folders)
    return folders


def selftest():
    """A tree that breaks each rule once must give exactly those breaches,
    so that a checker that silently passes everything fails here."""
    import tempfile
    quiet.append(True)
    with tempfile.TemporaryDirectory() as top:
        files = {
            "fingerprints/a.c": '#include "scanner/x.h"\nvoid a(void);\n'
                                'void b(void);\nvoid a(void) { b(); }\n',
            "fingerprints/b.c": "void a(void);\nvoid b(void);\n"
                                "void b(void) { a(); }\n",
            "fingerprints/one_int.h": "", "fingerprints/two_int.h": "",
            "store/s.c": '#include "cluster/cluster.h"\n'
                         '#include "cluster/graph.h"\n'
                         '#include "fingerprints/one_int.h"\n',
            "cli/cmd_a.c": "void cb(void);\nvoid ca(void) { cb(); }\n",
            "cli/cmd_b.c": "void cb(void) {}\n",
            "newlib/n.c": "",
        }
        for path, text in files.items():
            os.makedirs(os.path.join(top, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(top, path), "w") as f:
                f.write(text)
        build = os.path.join(top, "build")
        for path in files:
            if not path.endswith(".c") or path.startswith(("store", "newlib")):
                continue
            folder = os.path.dirname(path)
            lib = "bphound" if folder == "cli" else "bph_" + folder
            out = os.path.join(build, "CMakeFiles", lib + ".dir", folder)
            os.makedirs(out, exist_ok=True)
            src = os.path.join(top, path)
            text = open(src).read().replace('#include "scanner/x.h"\n', "")
            subprocess.run(["cc", "-x", "c", "-c", "-", "-o",
                            os.path.join(out, os.path.basename(path) + ".o")],
                           input=text, text=True, check=True)
        open(os.path.join(top, "store", "s.c.o"), "w").close()
        check_tree(top, build)
    want = ["fingerprints/a.c includes scanner/x.h",
            "fingerprints/: files call each other in a cycle: a.c <-> b.c",
            "store/s.c includes cluster/cluster.h",
            "store/s.c includes fingerprints/one_int.h",
            "cli/cmd_a.c calls cli/cmd_b.c",
            "newlib/ holds C sources but has no dependency rule",
            "fingerprints/ has 2 private headers",
            "store/: no object files"]
    missing = [w for w in want if not any(b.startswith(w) for b in breaches)]
    extra = [b for b in breaches if not any(b.startswith(w) for w in want)]
    if missing or extra:
        sys.exit("selftest: missing %s, unexpected %s" % (missing, extra))
    print("selftest: each of the %d planted breaches found, nothing else" % len(want))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--selftest":
        selftest()
        return
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folders = check_tree(top, os.path.abspath(sys.argv[1]))
    if breaches:
        print("%d layout breaches" % len(breaches))
        sys.exit(1)
    print("layout: %s follow the rules; no file-level call cycle" % ", ".join(
        f + "/" for f in folders))


main()
