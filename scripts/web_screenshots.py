"""Screenshots of the desk for the README and the guide: the board and an agency page at 1366x768.

Runs `baocao web` on a copy of the sample workspace and drives Debian's Chromium with Playwright
(no browser download). Usage: .venv/bin/python scripts/web_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        shutil.copy(ROOT / "baocao.toml", ws / "baocao.toml")
        for folder in ("plan", "templates", "inbox"):
            shutil.copytree(ROOT / folder, ws / folder)
        server = subprocess.Popen([sys.executable, "-m", "pipeline", "-w", str(ws), "web", "--no-browser", "--port",
                                   "0", "--year", "2015"], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            base = url.split("/?")[0]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
                page.goto(url)
                page.wait_for_selector("table.board", timeout=60_000)
                expect(page.locator("#job")).to_have_attribute("data-running", "", timeout=60_000)
                time.sleep(0.5)
                page.screenshot(path=str(out / "web-bang-theo-doi.png"))
                page.goto(f"{base}/nam/2015/don-vi/TUPHAP")
                page.wait_for_selector("table.findings")
                page.screenshot(path=str(out / "web-don-vi.png"))
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"Đã chụp vào {out}: web-bang-theo-doi.png, web-don-vi.png")


if __name__ == "__main__":
    main()
