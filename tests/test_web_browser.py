"""The desk in a real browser: Debian's Chromium driven by Playwright (no browser download), as the officer uses it."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Desk, desk_workspace, filled_return, start_desk
from corpus import row_of, setcell

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SCRIPT = "<script>alert(1)</script>"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's "
                                                         "chromium package)")
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    running = start_desk(desk_workspace(tmp_path_factory.mktemp("browser") / "ws"))
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def page(desk: Desk) -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", accept_downloads=True)
        tab = context.new_page()
        dialogs: list[str] = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.dialogs = dialogs  # type: ignore[attr-defined]
        yield tab
        browser.close()


def _no_sideways_scroll(page: object) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")  # type: ignore


def test_the_officers_day_on_the_desk(desk: Desk, page: object, tmp_path: Path) -> None:
    p = page  # a Playwright Page
    expect = sync_api.expect
    p.goto(desk.url)  # type: ignore[attr-defined]
    row = p.locator("tr[data-code=KHDT]")  # type: ignore[attr-defined]
    expect(row).to_contain_text("Chưa gửi", timeout=60_000)
    expect(p.locator("#job")).to_have_attribute("data-running", "", timeout=60_000)  # type: ignore[attr-defined]
    _no_sideways_scroll(p)

    # drop a return in through the file input: it is saved into the inbox and checked, the board follows
    name, data = filled_return("KHDT", setcell("Báo cáo", lambda book: f"K{row_of(book)}", SCRIPT))
    cell = f"K{_first_row('KHDT', data)}"
    p.set_input_files("#tep", files=[{"name": name, "mimeType": "application/octet-stream",  # type: ignore
                                      "buffer": data}])
    expect(p.locator("#upload-messages")).to_contain_text(f"Đã lưu “{name}”", timeout=30_000)  # type: ignore
    expect(row).to_contain_text("Gửi nhưng bị từ chối", timeout=60_000)
    assert (desk.root / "inbox" / "2015" / name).read_bytes() == data

    # its page: the finding at its cell, the agency's text shown as text
    p.click("tr[data-code=KHDT] a")  # type: ignore[attr-defined]
    finding = p.locator("table.findings tr[data-code=not-a-number]")  # type: ignore[attr-defined]
    expect(finding.locator("td.cell")).to_have_text(cell)
    expect(finding.locator("td.message")).to_contain_text(SCRIPT)
    assert p.dialogs == []  # type: ignore[attr-defined]
    _no_sideways_scroll(p)

    # exclude it, with a reason: decisions.toml and the board change
    p.click("text=Loại tệp này khỏi tổng hợp…")  # type: ignore[attr-defined]
    p.fill("textarea[name=reason]", "Sở KH&ĐT gửi nhầm bản nháp")  # type: ignore[attr-defined]
    p.click("text=Ghi quyết định loại tệp")  # type: ignore[attr-defined]
    expect(p.locator(".notices")).to_contain_text("Đã ghi vào decisions.toml")  # type: ignore[attr-defined]
    decided = tomllib.loads((desk.root / "decisions.toml").read_text(encoding="utf-8"))
    assert decided["exclude"] == [{"year": 2015, "file": name, "reason": "Sở KH&ĐT gửi nhầm bản nháp"}]
    expect(p.locator(".decided")).to_contain_text("Đã loại khỏi tổng hợp", timeout=60_000)  # type: ignore
    p.click("text=← Bảng theo dõi năm 2015")  # type: ignore[attr-defined]
    expect(row).to_contain_text("đã loại 1 tệp", timeout=60_000)
    expect(row.locator("td.num").nth(1)).to_have_text("0")  # nothing left to act on

    # build the report and download it
    expect(p.locator("#job")).to_have_attribute("data-running", "", timeout=60_000)  # type: ignore[attr-defined]
    p.click("text=Kiểm tra và viết báo cáo")  # type: ignore[attr-defined]
    link = p.locator("#job-links a", has_text="báo cáo Word")  # type: ignore[attr-defined]
    expect(link).to_be_visible(timeout=90_000)
    with p.expect_download() as info:  # type: ignore[attr-defined]
        link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == "bao-cao-2015.docx"
    import docx

    text = "\n".join(par.text for par in docx.Document(str(saved)).paragraphs)
    assert "2015" in text and len(text) > 500
    expect(p.locator("#year-downloads")).to_contain_text("Dự thảo báo cáo Word")  # type: ignore[attr-defined]


def _first_row(code: str, data: bytes) -> int:
    import io

    import openpyxl

    return row_of(openpyxl.load_workbook(io.BytesIO(data)))
