#!/usr/bin/python3
"""check_html.py - opens bphound's HTML page in headless Chromium and
checks what it renders (tests/integration/exports_lab.sh).

usage: check_html.py [--page PAGE.html EXPORT.json SEED|-]...
                     [--expect-text T]... [--screenshot PNG] [--timeout S]

Every page is opened in one browser. EXPORT.json is bphound's JSON export
of the same store (with the same seed): the page must draw one host node per member of the seed's cluster
(without a seed: of every cluster of two hosts or more) and one artifact
node per distinct artifact in the evidence of those clusters' links, each
labelled with its text as the page escapes it (escape() below, written
from docs/output.md). Also checked: no console message of level SEVERE,
no request from the page but the page itself (the DevTools performance
log's Network.requestWillBeSent; a control page that does load an image
proves the log sees requests), only the page's own three script
elements, only the element types the page creates, each --expect-text
present as text in the evidence panel of every page whose seed is alone
(a one-host cluster's panel opens by itself), and the member table sorts
and selects. The screenshot is of the first page.

Chromium is Debian's (/usr/bin/chromium with /usr/bin/chromedriver,
python3-selenium), headless, with a fresh profile and every background
service off; --host-resolver-rules resolves no name, so even a regression
could not reach the network.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1400,1000"]
# what the page's own markup and script create (cluster/html/)
ALLOWED_TAGS = {"html", "head", "meta", "link", "title", "style", "body",
                "header", "h1", "h2", "h3", "p", "div", "span", "noscript",
                "main", "footer", "code", "details", "summary", "pre",
                "script", "svg", "g", "line", "circle", "rect", "table",
                "thead", "tbody", "tr", "th", "td", "a", "button", "canvas",
                "strong", "text", "ul", "li"}
BIDI = {0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def escape(s):
    """The page's escape of valid UTF-8 text (docs/output.md, HTML page)."""
    out = []
    for ch in s:
        cp = ord(ch)
        if ch == "\\" or cp < 0x20 or cp == 0x7F:
            out.append("\\x%02x" % cp)
        elif 0x80 <= cp < 0xA0 or cp in BIDI:
            out.append("\\u%04x" % cp)
        else:
            out.append(ch)
    return "".join(out)


def expected(export, seed):
    """Host labels and artifact labels the page must draw."""
    clusters = export["clusters"]
    if seed:
        clusters = [c for c in clusters if seed in c["hosts"]]
    else:
        clusters = [c for c in clusters if len(c["hosts"]) > 1]
    hosts, arts = [], []
    for c in clusters:
        hosts.append(sorted(c["hosts"]))
        seen = set()
        for link in c["links"]:
            for e in link["evidence"]:
                seen.add(e["kind"] + ": " + escape(e["value"]))
        arts.append(sorted(seen))
    return hosts, arts


def browser(profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in FLAGS + ["--user-data-dir=" + profile]:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs",
                        {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                            options=opts)


def requests_of(driver, url):
    """URLs the page at url asked for, itself and data: URLs aside."""
    got = []
    for entry in driver.get_log("performance"):
        m = json.loads(entry["message"])["message"]
        if m.get("method") != "Network.requestWillBeSent":
            continue
        p = m["params"]
        if p.get("documentURL") != url:
            continue
        u = p["request"]["url"]
        if u != url and not u.startswith("data:"):
            got.append(u)
    return got


def control(driver, work):
    """A page that loads an image: the log must see that request."""
    path = os.path.join(work, "control.html")
    with open(path, "w") as f:
        f.write('<!DOCTYPE html><img src="http://bphound.invalid/x.png">')
    url = "file://" + path
    driver.get(url)
    time.sleep(0.5)
    driver.get_log("browser")
    check(any("bphound.invalid" in u for u in requests_of(driver, url)),
          "control: the request log sees a page's request")


def wait_layout(driver, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if driver.execute_script(
                "return document.documentElement.getAttribute('data-layout')") == "done":
            return True
        time.sleep(0.1)
    return False


def node_labels(driver, cls):
    """Labels of the graph's nodes of class cls, per cluster section."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('details.cluster'))
          .filter(d => d.querySelector('svg'))
          .map(d => Array.from(d.querySelectorAll('g.node.' + arguments[0] + ' > title'))
                         .map(t => t.textContent).sort());""", cls)


def check_dom(driver, hosts, arts, seed):
    # sections: one per cluster; draw the closed ones to count their nodes
    driver.execute_script("""
        document.querySelectorAll('details.cluster').forEach(d => d.open = true);""")
    time.sleep(0.5)
    n = driver.execute_script("return document.querySelectorAll('details.cluster').length")
    check(n == len(hosts), "one section per cluster (%d, want %d)" % (n, len(hosts)))
    got_h, got_a = node_labels(driver, "host"), node_labels(driver, "art")
    js_sort = lambda xs: [sorted(x) for x in xs]
    check(js_sort(got_h) == hosts,
          "one host node per member: %s" % [len(h) for h in hosts])
    check(js_sort(got_a) == arts,
          "one artifact node per linking artifact: %s" % [len(a) for a in arts])
    if not got_a or got_a[0] != sorted(arts[0] if arts else []):
        print("    page:", got_a[:1], "\n    want:", arts[:1])
    tags = set(driver.execute_script(
        "return Array.from(document.querySelectorAll('*')).map(e => e.localName)"))
    check(tags <= ALLOWED_TAGS, "only the page's own element types (extra: %s)"
          % sorted(tags - ALLOWED_TAGS))
    scripts = driver.execute_script(
        "return Array.from(document.scripts).map(s => s.type || 'js')")
    check(scripts == ["application/json", "js", "js"],
          "only the page's three script elements: %s" % scripts)
    if seed:
        root = driver.execute_script(
            "return document.querySelector('g.node.seed > title').textContent")
        check(root == seed, "the seed is marked (%s)" % root)


def check_table(driver):
    """Sorting by host descending, then a click on the first row."""
    rows = lambda: driver.execute_script("""
        return Array.from(document.querySelectorAll('details.cluster')[0]
          .querySelectorAll('table.members tbody tr td:first-child'))
          .map(td => td.textContent);""")
    before = rows()
    th = driver.find_elements(By.CSS_SELECTOR, "table.members th")[0]
    th.click()
    th.click()
    after = rows()
    key = lambda ip: tuple(int(x) for x in ip.split("."))
    check(after == sorted(before, key=key, reverse=True),
          "the member table sorts by host (descending after two clicks)")
    driver.find_elements(By.CSS_SELECTOR, "table.members tbody tr")[0].click()
    shown = driver.execute_script(
        "return document.querySelector('.panel h3').textContent")
    check(shown.split()[0] == after[0], "a row click opens that host's evidence (%s)" % shown)


def check_page(driver, page, export_path, seed, texts, timeout, shot):
    print("== %s (seed %s)" % (page, seed or "none"))
    export = json.load(open(export_path, encoding="utf-8"))
    hosts, arts = expected(export, seed)
    url = "file://" + os.path.abspath(page)
    t0 = time.time()
    driver.get(url)
    check(wait_layout(driver, timeout) or not hosts,
          "the graph is laid out (%.1f s)" % (time.time() - t0))
    if len(hosts) == 1 and len(hosts[0]) == 1:
        panel = driver.execute_script(
            "const p = document.querySelector('.panel'); return p ? p.innerText : ''")
        for t in texts:
            check(escape(t) in panel,
                  "shown as text in the evidence panel: %r" % escape(t))
    check_dom(driver, hosts, arts, seed)
    if hosts and len(hosts[0]) > 1:
        check_table(driver)
    if shot:
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(shot)
        print("screenshot:", shot)
    reqs = requests_of(driver, url)
    check(not reqs, "no request but the page itself: %s" % reqs[:5])
    logs = driver.get_log("browser")
    for e in logs:
        print("    console:", e["level"], e["message"][:300])
    check(not [e for e in logs if e["level"] == "SEVERE"], "no console error")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--page", nargs=3, action="append", default=[],
                    metavar=("HTML", "JSON", "SEED"))
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--screenshot")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bph-chromium.")
    driver = browser(os.path.join(work, "profile"))
    try:
        control(driver, work)
        for i, (page, export, seed) in enumerate(a.page):
            check_page(driver, page, export, None if seed == "-" else seed,
                       a.expect_text, a.timeout, a.screenshot if i == 0 else None)
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)
    print("check_html: %d failed checks" % failures if failures
          else "check_html: all page checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
