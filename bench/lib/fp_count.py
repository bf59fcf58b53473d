#!/usr/bin/python3
"""Counting and reporting for bench/fingerprint.sh (no traffic).

    fp_count.py bphound OUT.jsonl TRUTH.json   -> JSON counts
    fp_count.py nmap OUT.xml TRUTH.json        -> JSON counts
    fp_count.py report RUNS.jsonl META.json OUT.json

A service counts as fingerprinted by bphound when its JSON record holds a
non-empty "tls", "ssh" or "http" object; by nmap when the open port has a
<service> found by probing (method="probed": name/product/version from -sV)
or at least one <script> output. "expected" are the open (ip, port) pairs of
truth.json.
"""
import contextlib
import io
import json
import statistics
import sys
import xml.etree.ElementTree as ET


def truth_pairs(path):
    t = json.load(open(path))
    return {f"{h['ip']}:{p}" for h in t["hosts"] for p in h.get("open_ports", [])}


def count_bphound(out, truth):
    exp = truth_pairs(truth)
    fp, kinds, open_ = set(), {"tls": 0, "ssh": 0, "http": 0}, set()
    bad = 0
    try:
        lines = open(out, errors="replace").read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except ValueError:
            bad += 1
            continue
        key = f"{r.get('ip')}:{r.get('port')}"
        if r.get("state", "open") == "open":
            open_.add(key)
        got = [k for k in ("tls", "ssh", "http") if isinstance(r.get(k), dict) and r.get(k)]
        for k in got:
            kinds[k] += 1
        if got:
            fp.add(key)
    return {"open": len(open_), "fingerprinted": len(fp), "by_kind": kinds,
            "expected": len(exp), "fingerprinted_expected": len(fp & exp),
            "missed": sorted(exp - fp), "unexpected": sorted(fp - exp),
            "bad_lines": bad}


def count_nmap(out, truth):
    exp = truth_pairs(truth)
    fp, open_ = set(), set()
    versions = scripts = 0
    script_ids = {}
    try:
        root = ET.parse(out).getroot()
    except (OSError, ET.ParseError) as e:
        return {"error": f"cannot parse {out}: {e}", "fingerprinted": 0, "open": 0,
                "expected": len(exp), "fingerprinted_expected": 0,
                "missed": sorted(exp), "unexpected": []}
    for host in root.iter("host"):
        addr = None
        for a in host.findall("address"):
            if a.get("addrtype") == "ipv4":
                addr = a.get("addr")
        for port in host.iter("port"):
            st = port.find("state")
            if st is None or st.get("state") != "open":
                continue
            key = f"{addr}:{port.get('portid')}"
            open_.add(key)
            svc = port.find("service")
            probed = svc is not None and svc.get("method") == "probed"
            scr = port.findall("script")
            if probed and (svc.get("product") or svc.get("version")):
                versions += 1
            if scr:
                scripts += 1
            for s in scr:
                script_ids[s.get("id")] = script_ids.get(s.get("id"), 0) + 1
            if probed or scr:
                fp.add(key)
    return {"open": len(open_), "fingerprinted": len(fp),
            "with_product_or_version": versions, "with_script_output": scripts,
            "scripts": script_ids, "expected": len(exp),
            "fingerprinted_expected": len(fp & exp),
            "missed": sorted(exp - fp), "unexpected": sorted(fp - exp)}


def detail(tool, c):
    if tool == "bphound":
        k = c.get("by_kind", {})
        return f"tls {k.get('tls', 0)}, ssh {k.get('ssh', 0)}, http {k.get('http', 0)}"
    if tool == "nmap":
        return (f"version {c.get('with_product_or_version', 0)}, scripts "
                f"{c.get('with_script_output', 0)} ({', '.join(f'{a} {b}' for a, b in sorted(c.get('scripts', {}).items()))})")
    return ""


def report(runs_path, meta_path, out_path):
    runs = [json.loads(l) for l in open(runs_path) if l.strip()]
    meta = json.load(open(meta_path))
    print()
    hdr = (f"{'tool':8} {'run':>3} {'wall s':>8} {'open':>5} {'fingerprinted':>13} {'of truth':>9} "
           f"{'rc':>3} {'load1':>5} {'idle%':>5}  detail")
    print(hdr)
    print("-" * len(hdr))
    for r in runs:
        c = r["counts"]
        print(f"{r['tool']:8} {r['run']:>3} {r['wall_s']:>8.2f} {c.get('open', 0):>5} "
              f"{c.get('fingerprinted', 0):>13} {c.get('fingerprinted_expected', 0):>4}/{c.get('expected', 0):<4} "
              f"{r['rc']:>3} {r.get('load1_before', '?'):>5} {str(r.get('idle_pct_before', '?')):>5}  {detail(r['tool'], c)}")
    summary = {}
    for t in meta["tools"]:
        rs = [r for r in runs if r["tool"] == t]
        if not rs:
            continue
        summary[t] = {
            "runs": len(rs),
            "median_wall_s": statistics.median(r["wall_s"] for r in rs),
            "median_fingerprinted": statistics.median(r["counts"].get("fingerprinted", 0) for r in rs),
            "median_fingerprinted_expected": statistics.median(
                r["counts"].get("fingerprinted_expected", 0) for r in rs),
            "expected": rs[0]["counts"].get("expected"),
        }
    ratio = None
    if "bphound" in summary and "nmap" in summary and summary["bphound"]["median_wall_s"] > 0:
        ratio = round(summary["nmap"]["median_wall_s"] / summary["bphound"]["median_wall_s"], 2)
    print()
    for t, s in summary.items():
        print(f"{t:8} median wall {s['median_wall_s']:.2f} s, fingerprinted {s['median_fingerprinted']:g} "
              f"({s['median_fingerprinted_expected']:g} of {s['expected']} open services in truth.json)")
    print(f"ratio nmap_time / bphound_time: {ratio if ratio is not None else 'n/a'}")
    print()
    print(f"<!-- bench/fingerprint.sh, {meta['date']} -->")
    print(f"Fingerprinting the lab (tests/lab/lab.sh: {meta['lab_hosts']} hosts, "
          f"{meta['expected']} open services, targets {' '.join(meta['targets'])}, "
          f"ports {meta['ports']}); {meta['cpus']} cores, kernel {meta['kernel']}; "
          f"{meta['runs']} alternating runs per tool; medians.")
    if meta.get("note"):
        print()
        print(f"Note: {meta['note']}")
    print()
    print("| tool | version | median wall time (s) | services fingerprinted | of the open services in truth.json |")
    print("|---|---|---:|---:|---:|")
    for t, s in summary.items():
        print(f"| {t} | {meta['versions'].get(t, '?')} | {s['median_wall_s']:.2f} | "
              f"{s['median_fingerprinted']:g} | {s['median_fingerprinted_expected']:g} / {s['expected']} |")
    print()
    print(f"- nmap_time / bphound_time: {ratio if ratio is not None else 'n/a'}")
    print()
    print("Command lines:")
    print()
    for t, c in meta["commands"].items():
        print(f"- {t}: `{c}`")
    json.dump({"meta": meta, "runs": runs, "summary": summary,
               "ratio_nmap_over_bphound": ratio}, open(out_path, "w"), indent=2)
    print()
    print(f"results written to {out_path}")


def main():
    cmd = sys.argv[1]
    if cmd == "bphound":
        print(json.dumps(count_bphound(sys.argv[2], sys.argv[3])))
    elif cmd == "nmap":
        print(json.dumps(count_nmap(sys.argv[2], sys.argv[3])))
    elif cmd == "report":
        # Build the whole text first: the JSON file is written even when
        # stdout is a pipe that closes early.
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            report(sys.argv[2], sys.argv[3], sys.argv[4])
        sys.stdout.write(buf.getvalue())
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
