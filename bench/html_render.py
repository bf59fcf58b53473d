#!/usr/bin/python3
"""html_render.py - time to first render of bphound's HTML page in headless
Chromium (bench/html_render.sh).

usage: html_render.py PAGE.html [RUNS]

Per run (a fresh browser profile each): the page's own marks (window.
bphTimes, milliseconds from navigation start: firstRender when the graph
is first drawn, layoutDone when the force layout ends; longestChunk, the
longest the page left input waiting while laying out), the wall time of
the navigation as the driver sees it, the host and artifact nodes drawn,
and the time from a click on a row of the member table to the next frame
(the host's evidence panel filled and the graph repainted with it
highlighted). Prints
one JSON object per run. Uses tests/integration/check_html.py's browser
(Debian's chromium and chromedriver, no network).
"""
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import check_html  # noqa: E402

CLICK = """
const rows = document.querySelectorAll('table.members tbody tr');
const t0 = performance.now();
rows[arguments[0] % rows.length].click();
const shown = document.querySelector('.panel h3').textContent;
return new Promise(r => requestAnimationFrame(
    () => r([performance.now() - t0, shown])));
"""


def run(page):
    work = tempfile.mkdtemp(prefix="bph-htmlbench.")
    d = check_html.browser(os.path.join(work, "profile"))
    try:
        t0 = time.time()
        d.get("file://" + os.path.abspath(page))
        loaded = time.time() - t0
        if not check_html.wait_layout(d, 600):
            raise SystemExit("layout did not finish in 600 s")
        wall = time.time() - t0
        t = d.execute_script("return window.bphTimes")
        g = t["graph"]
        clicks = [d.execute_script(CLICK, i)[0] for i in (1, 250, 499)]
        return {"page_bytes": os.path.getsize(page), "hosts": g["hosts"],
                "artifacts": g["artifacts"], "edges": g["edges"],
                "renderer": g["renderer"],
                "first_render_ms": round(t["firstRender"]),
                "layout_done_ms": round(t["layoutDone"]),
                "longest_block_ms": round(t["longestChunk"]),
                "ticks": t["ticks"], "driver_load_s": round(loaded, 2),
                "driver_layout_s": round(wall, 2),
                "click_to_panel_ms": round(max(clicks), 1)}
    finally:
        d.quit()
        shutil.rmtree(work, ignore_errors=True)


def main():
    page = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    for _ in range(runs):
        print(json.dumps(run(page)), flush=True)


if __name__ == "__main__":
    main()
