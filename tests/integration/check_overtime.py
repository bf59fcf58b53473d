#!/usr/bin/python3
"""check_overtime.py - opens bphound's HTML page in headless Chromium
(browser() of check_html.py) and checks its "over time" as rendered:
one bar per sweep run, in order, whose tooltip names the run and the
size it was given, with bar heights in proportion to the sizes; and the
last diff's events listed, with each expected type among them.

usage: check_overtime.py PAGE.html --runs 1,2,3 --sizes 4,5,5
                         [--event-type T]... [--timeout S]
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_html  # noqa: E402  (browser(): Debian's Chromium, offline)

from selenium.webdriver.common.by import By  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def bars(driver, timeout):
    end = time.time() + timeout
    while time.time() < end:
        got = driver.find_elements(By.CSS_SELECTOR, "svg.history g")
        if got:
            return got
        time.sleep(0.2)
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--runs", required=True)
    ap.add_argument("--sizes", required=True)
    ap.add_argument("--event-type", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    runs = [int(x) for x in a.runs.split(",")]
    sizes = [int(x) for x in a.sizes.split(",")]
    profile = tempfile.mkdtemp(prefix="bph-overtime-")
    driver = check_html.browser(profile)
    try:
        driver.get("file://" + os.path.abspath(a.page))
        gs = bars(driver, a.timeout)
        check(len(gs) == len(runs),
              "%d bars for %d runs" % (len(gs), len(runs)))
        tips = [g.find_element(By.TAG_NAME, "title")
                .get_attribute("textContent") for g in gs]
        heights = [float(g.find_element(By.TAG_NAME, "rect")
                         .get_attribute("height")) for g in gs]
        got = []
        for t in tips:
            r = re.search(r"\brun: (\d+)", t)
            s = re.search(r"\bsize: (\d+)", t)
            got.append((int(r.group(1)) if r else None,
                        int(s.group(1)) if s else None))
        check(got == list(zip(runs, sizes)),
              "bars (run, size) %s, want %s" % (got, list(zip(runs, sizes))))
        top = max(sizes) or 1
        check(all(abs(h - heights[0] * s / (sizes[0] or top)) < 0.5
                  for h, s in zip(heights, sizes)) if heights and sizes[0]
              else False,
              "bar heights %s in proportion to the sizes" % heights)
        items = [li.get_attribute("textContent") for li in
                 driver.find_elements(By.XPATH,
                                      "//h3[starts-with(., 'The last diff')]"
                                      "/following-sibling::ul[1]/li")]
        for t in a.event_type:
            check(any("type: " + t in i for i in items),
                  "the last diff lists a %s event (%d events)" %
                  (t, len(items)))
        severe = [e for e in driver.get_log("browser")
                  if e.get("level") == "SEVERE"]
        check(not severe, "no console error %s" % severe[:2])
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print("check_overtime: %s" % ("PASS" if not failures else
                                   "%d FAILED" % failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
