"""The desk's pages and actions: each route reads the last check from the desk, or asks it for work.

Pages are plain HTML forms that work without JavaScript; the page script only adds dropping
files, progress and refreshing the board when a new check is in. Every change is a POST that
answers with a redirect (or JSON for the page script), so reloading a page never repeats it.
"""

from __future__ import annotations

import datetime as dt
import io
import mimetypes
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.workspace.outbox import DRAFTS_DIR, SEND_LIST, WORKBOOKS_DIR
from pipeline.intake.limits import Limits
from pipeline.model.errors import BaocaoError
from pipeline.model.numbers import vn_number
from pipeline.web import urls
from pipeline.web.desk import GENERATE, REPORT, Desk, Snapshot, log_unexpected
from pipeline.web.uploads import MIB, Received, UploadRefused, receive_uploads, too_large
from pipeline.web.views import (FILTERS, SORTS, agency_downloads, agency_files, board_rows, findings_of, forms_made,
                                select_rows, totals, year_downloads)
from pipeline.workspace.decisions import DECISIONS_FILE, Override, load_decisions, record_decision, withdraw_decision
from pipeline.workspace.outbox import Busy
from pipeline.workspace.settings import load_settings

MAX_REASON = 500
MAX_FORM = 16 * 1024
_MEDIA = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".eml": "message/rfc822", ".csv": "text/csv", ".zip": "application/zip"}


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%d/%m/%Y}"


def _time(value: dt.datetime | None) -> str:
    return f"{value:%H:%M %d/%m/%Y}" if value is not None else ""


def environment() -> Environment:
    """Templates from the package; every value escaped (agency text is data, never markup)."""
    env = Environment(loader=PackageLoader("pipeline.web", "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["ngay"] = _date
    env.filters["gio"] = _time
    env.filters["so"] = vn_number
    env.globals["urls"] = urls
    return env


@dataclass
class Pages:
    """The routes' shared state: the desk, the templates, and messages waiting for the next page."""

    desk: Desk
    env: Environment = field(default_factory=environment)
    limits: Limits = field(default_factory=Limits)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (tone, text), shown once on the next page
    drafts: dict[tuple[int, str, str], str] = field(default_factory=dict)  # a reason typed when the desk was busy

    @property
    def upload_limit(self) -> int:
        return self.limits.max_file_bytes

    def notice(self, tone: str, text: str) -> None:
        self.notices.append((tone, text))
        del self.notices[:-8]

    def render(self, name: str, request: Request, year: int, **context: Any) -> HTMLResponse:
        desk = self.desk
        snap = desk.snapshot(year)
        notices, self.notices[:] = list(self.notices), []
        try:
            settings = snap.ws.settings if snap else load_settings(desk.root)
            department, province = settings.department, settings.locality
        except BaocaoError:
            department = province = ""
        plan = snap.ws.plan if snap else None
        years = list(range(plan.start_year, plan.end_year + 1)) if plan else [year]
        if year not in years:
            years = sorted({*years, year})
        html = self.env.get_template(name).render(
            year=year, years=years, snap=snap, department=department, province=province, job=desk.running(),
            last=desk.last(), problem=desk.problem(year), notices=notices, version=snap.version if snap else 0,
            upload_limit=self.upload_limit, upload_limit_mb=self.upload_limit // MIB, path=request.url.path,
            too_large=too_large("{name}", self.upload_limit),
            **context)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    # -- pages -----------------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        asked = request.query_params.get("nam", "")
        year = int(asked) if asked.isdigit() and 1990 <= int(asked) <= 2100 else self.desk.year
        return RedirectResponse(urls.board(year), status_code=303)

    def _board_context(self, request: Request, year: int) -> dict[str, Any]:
        self.desk.look(year)
        snap = self.desk.snapshot(year)
        q = request.query_params
        state, query, sort = q.get("loc", ""), q.get("tim", "")[:100], q.get("xep", "")
        state = state if state in FILTERS else ""
        sort = sort if sort in SORTS else ""
        descending = q.get("giam", "") == "1"
        context: dict[str, Any] = {"filters": FILTERS, "sorts": SORTS, "state": state, "query": query, "sort": sort,
                                   "descending": descending, "rows": [], "totals": None, "others": 0,
                                   "downloads": [], "forms": 0, "shown": 0}
        if snap is not None:
            rows = board_rows(snap.ws, snap.result)
            expected = {r.code for r in rows}
            context.update(rows=select_rows(rows, state, query, sort, descending),
                           totals=totals(rows, snap.result, dt.date.today()),
                           others=sum(1 for o in snap.result.outcomes if o.agency not in expected),
                           downloads=year_downloads(snap.ws, year), forms=forms_made(snap.ws, year))
        return context

    def board(self, request: Request) -> Response:
        year = _year(request)
        return self.render("board.html", request, year, **self._board_context(request, year))

    def board_fragment(self, request: Request) -> Response:
        year = _year(request)
        context = self._board_context(request, year)
        snap = self.desk.snapshot(year)
        html = self.env.get_template("_board.html").render(year=year, snap=snap, version=snap.version if snap else 0,
                                                           problem=self.desk.problem(year), part="all", **context)
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    def _decisions(self, snap: Snapshot) -> tuple[list[Override], str]:
        try:
            return load_decisions(snap.ws.settings.root, snap.year), ""
        except BaocaoError as exc:
            return [], str(exc)

    def agency(self, request: Request) -> Response:
        year = _year(request)
        code = request.path_params["code"]
        self.desk.look(year)
        snap = self.desk.snapshot(year)
        if snap is None:
            return self.render("waiting.html", request, year, title="Đơn vị")
        if code not in snap.ws.registry:
            raise HTTPException(404)
        agency = snap.ws.registry.get(code)
        status = next((a for a in snap.result.agencies if a.agency == code), None)
        decisions, broken = self._decisions(snap)
        files = agency_files(snap.ws, snap.result, code, decisions)
        return self.render("agency.html", request, year, agency=agency, status=status, files=files,
                           findings=findings_of(snap.ws, snap.result, files), downloads=agency_downloads(snap.ws, year, code),
                           broken=broken, drafts=self.drafts, back=urls.agency(year, code), title=agency.name,
                           expected=status is not None)

    def others(self, request: Request) -> Response:
        year = _year(request)
        self.desk.look(year)
        snap = self.desk.snapshot(year)
        if snap is None:
            return self.render("waiting.html", request, year, title="Tệp khác")
        decisions, broken = self._decisions(snap)
        files = agency_files(snap.ws, snap.result, None, decisions, others=True)
        return self.render("agency.html", request, year, agency=None, status=None, files=files,
                           findings=findings_of(snap.ws, snap.result, files), downloads=[], broken=broken,
                           drafts=self.drafts, back=urls.other_files(year), title="Tệp chưa gắn với đơn vị nào",
                           expected=False)

    def status(self, request: Request) -> Response:
        try:
            year = int(request.query_params.get("nam", self.desk.year))
        except ValueError:
            raise HTTPException(404) from None
        self.desk.look(year)
        return JSONResponse(self.desk.status(year), headers={"cache-control": "no-store"})

    # -- actions ---------------------------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        year = _year(request)
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            settings = load_settings(self.desk.root)
            folder = settings.inbox(year)
            received = await receive_uploads(request, folder, self.upload_limit, 4 * self.upload_limit)
        except UploadRefused as exc:
            return self._after_upload(year, [], str(exc), wants_json)
        except BaocaoError as exc:
            return self._after_upload(year, [], f"Lỗi: {exc}", wants_json)
        if any(r.saved is not None and not r.saved.same_as for r in received):
            self.desk.request_check(year)
        return self._after_upload(year, received, "", wants_json)

    def _after_upload(self, year: int, received: list[Received], refused: str, wants_json: bool) -> Response:
        where = f"inbox/{year}/"
        lines: list[tuple[str, str]] = []
        for r in received:
            if r.saved is None:
                lines.append(("bad", r.refused))
            elif r.saved.same_as:
                lines.append(("warn", f"“{r.client_name}” giống hệt tệp “{r.saved.same_as}” đã có trong {where}; "
                                      "không lưu thêm."))
            elif r.saved.name != r.client_name:
                lines.append(("ok", f"Đã lưu “{r.client_name}” vào {where} với tên “{r.saved.name}”."))
            else:
                lines.append(("ok", f"Đã lưu “{r.saved.name}” vào {where}."))
        if refused:
            lines.append(("bad", refused))
        if not received and not refused:
            lines.append(("warn", "Chưa chọn tệp nào để tải lên."))
        if wants_json:
            return JSONResponse({"messages": [{"tone": t, "text": x} for t, x in lines],
                                 "saved": [r.saved.name for r in received if r.saved and not r.saved.same_as]},
                                status_code=413 if refused and not received else 200)
        for tone, text in lines:
            self.notice(tone, text)
        return RedirectResponse(urls.board(year), status_code=303)

    async def decide(self, request: Request) -> Response:
        year = _year(request)
        form = await _small_form(request)
        action, file = str(form.get("action", "")), str(form.get("file", ""))
        reason = " ".join(str(form.get("reason", "")).split())[:MAX_REASON]
        back = str(form.get("back", ""))
        back = back if back.startswith(f"/nam/{year}/") else urls.board(year)
        snap = self.desk.snapshot(year)
        if snap is None or file not in {o.path for o in snap.result.outcomes} | {f.file for f in
                                                                                   self._decisions(snap)[0]}:
            self.notice("bad", "Không tìm thấy tệp này trong kết quả kiểm tra mới nhất; hãy tải lại trang rồi làm lại.")
            return RedirectResponse(back, status_code=303)
        if action in ("exclude", "choose") and not reason:
            self.notice("bad", "Cần ghi lý do trước khi ghi quyết định.")
            return RedirectResponse(back, status_code=303)
        settings = snap.ws.settings
        try:
            if action == "exclude":
                await _threaded(record_decision, settings.root, settings.outbox_dir, Override("exclude", year, file,
                                                                                               reason))
                done = f"Đã ghi vào {DECISIONS_FILE}: loại “{file}” khỏi tổng hợp (lý do: {reason})."
            elif action == "choose":
                outcome = next(o for o in snap.result.outcomes if o.path == file)
                siblings = [o.path for o in snap.result.outcomes if o.agency == outcome.agency and o.path != file]
                await _threaded(record_decision, settings.root, settings.outbox_dir, Override("choose", year, file,
                                                                                               reason), siblings)
                done = f"Đã ghi vào {DECISIONS_FILE}: dùng bản “{file}” để tổng hợp (lý do: {reason})."
            elif action in ("withdraw-exclude", "withdraw-choose"):
                await _threaded(withdraw_decision, settings.root, settings.outbox_dir, action.split("-")[1], year, file)
                done = f"Đã bỏ quyết định về “{file}” trong {DECISIONS_FILE}."
            else:
                raise HTTPException(400)
        except Busy as exc:
            self.drafts[(year, file, action)] = reason
            self.notice("warn", f"Đang bận, chưa ghi được quyết định: {exc} Lý do đã gõ vẫn giữ trong ô; hãy bấm lại "
                                "sau ít giây.")
            return RedirectResponse(back, status_code=303)
        except BaocaoError as exc:
            self.drafts[(year, file, action)] = reason
            self.notice("bad", f"Chưa ghi được quyết định. Lỗi: {exc}")
            return RedirectResponse(back, status_code=303)
        self.drafts.pop((year, file, action), None)
        self.notice("ok", done + " Đang kiểm tra lại…")
        self.desk.request_check(year)
        return RedirectResponse(back, status_code=303)

    async def start(self, request: Request, kind: str) -> Response:
        year = _year(request)
        form = await _small_form(request)
        back = str(form.get("back", ""))
        back = back if back.startswith(f"/nam/{year}") else urls.board(year)
        if kind == "check":
            self.desk.request_check(year)
            busy = ""
        else:
            busy = self.desk.start(kind, year)
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"busy": busy, **self.desk.status(year)})
        if busy:
            self.notice("warn", busy)
        return RedirectResponse(back, status_code=303)

    async def check(self, request: Request) -> Response:
        return await self.start(request, "check")

    async def generate(self, request: Request) -> Response:
        return await self.start(request, GENERATE)

    async def report(self, request: Request) -> Response:
        return await self.start(request, REPORT)

    # -- downloads -------------------------------------------------------------------------------------

    def download(self, request: Request) -> Response:
        year = _year(request)
        rel = request.query_params.get("tep", "")
        settings = load_settings(self.desk.root)
        path = inside(settings.root, rel, (settings.outbox(year), settings.inbox(year)))
        if path is None:
            raise HTTPException(404)
        media = _MEDIA.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        # always an attachment: an agency's file (even one that is really a web page) is never shown by the browser
        return FileResponse(path, media_type=media, filename=path.name, content_disposition_type="attachment",
                            headers={"cache-control": "no-store"})

    def forms_zip(self, request: Request) -> Response:
        year = _year(request)
        settings = load_settings(self.desk.root)
        folder = settings.outbox(year)
        members = [p for d in (WORKBOOKS_DIR, DRAFTS_DIR) if (folder / d).is_dir()
                   for p in sorted((folder / d).iterdir()) if p.is_file() and not p.name.startswith(".")]
        if (folder / SEND_LIST).is_file():
            members.append(folder / SEND_LIST)
        if not members:
            self.notice("warn", f"Chưa có biểu mẫu năm {year}: hãy bấm “Tạo biểu mẫu” trước.")
            return RedirectResponse(urls.board(year), status_code=303)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in members:
                zf.write(p, p.relative_to(folder).as_posix())
        name = f"bieu-mau-{year}.zip"
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


async def _small_form(request: Request) -> FormData:
    """The fields of a button's or a decision's form; anything larger is no form of the desk's."""
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > MAX_FORM:
        raise HTTPException(400)
    return await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM)


async def _threaded(fn: Any, *args: Any) -> None:
    """Run a blocking call (it may wait for the workspace lock) off the event loop."""
    import anyio.to_thread

    await anyio.to_thread.run_sync(lambda: fn(*args))


def _year(request: Request) -> int:
    year = int(request.path_params["year"])
    if not 1990 <= year <= 2100:
        raise HTTPException(404)
    return year


def inside(root: Path, rel: str, bases: tuple[Path, ...]) -> Path | None:
    """The file `rel` (relative to the workspace) if it is a regular file inside one of `bases`, else None."""
    if not rel or "\x00" in rel or os.path.isabs(rel) or rel.startswith(("/", "\\")):
        return None
    parts = Path(rel).parts
    if any(p in ("..", "") or p.startswith(".") for p in parts):
        return None
    try:
        path = (root / rel).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    for base in bases:
        try:
            real = base.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if path.is_relative_to(real) and path.is_file():
            return path
    return None


def routes(pages: Pages) -> list[BaseRoute]:
    """Every address of the desk."""
    y = "/nam/{year:int}"
    return [
        Route("/", pages.home),
        Route(y, pages.board),
        Route(f"{y}/bang", pages.board_fragment),
        Route(y + "/don-vi/{code}", pages.agency),
        Route(f"{y}/tep-khac", pages.others),
        Route(f"{y}/tai-len", pages.upload, methods=["POST"]),
        Route(f"{y}/quyet-dinh", pages.decide, methods=["POST"]),
        Route(f"{y}/kiem-tra", pages.check, methods=["POST"]),
        Route(f"{y}/tao-bieu-mau", pages.generate, methods=["POST"]),
        Route(f"{y}/viet-bao-cao", pages.report, methods=["POST"]),
        Route(f"{y}/tai", pages.download),
        Route(f"{y}/bieu-mau.zip", pages.forms_zip),
        Route("/trang-thai", pages.status),
        Mount(urls.STATIC, StaticFiles(packages=[("pipeline.web", "static")]), name="static"),
    ]


def error_page(pages: Pages, request: Request, status: int) -> HTMLResponse:
    """A Vietnamese page for a missing address or a refused action."""
    texts = {404: ("Không tìm thấy", "Không có trang hay tệp này (có thể tệp đã được tạo lại). Hãy quay lại bảng theo "
                                     "dõi."),
             405: ("Thao tác không được phép", "Trang này không nhận thao tác đó."),
             400: ("Yêu cầu không hợp lệ", "Hãy quay lại trang trước và làm lại."),
             500: ("Lỗi không mong đợi", log_unexpected() if status == 500 else "")}
    title, text = texts.get(status, texts[400])
    html = pages.env.get_template("error.html").render(title=title, text=text, year=pages.desk.year)
    return HTMLResponse(html, status_code=status)

