"""The desk's addresses, in one place: pages link to them and routes are declared with them."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def board(year: int) -> str:
    return f"/nam/{year}"


def board_fragment(year: int) -> str:
    return f"/nam/{year}/bang"


def agency(year: int, code: str) -> str:
    return f"/nam/{year}/don-vi/{quote(code)}"


def other_files(year: int) -> str:
    return f"/nam/{year}/tep-khac"


def upload(year: int) -> str:
    return f"/nam/{year}/tai-len"


def decide(year: int) -> str:
    return f"/nam/{year}/quyet-dinh"


def check(year: int) -> str:
    return f"/nam/{year}/kiem-tra"


def generate(year: int) -> str:
    return f"/nam/{year}/tao-bieu-mau"


def report(year: int) -> str:
    return f"/nam/{year}/viet-bao-cao"


def download(year: int, relpath: str) -> str:
    """A file of the year's inbox or outbox, by its path relative to the workspace."""
    return f"/nam/{year}/tai?{urlencode({'tep': relpath})}"


def forms_zip(year: int) -> str:
    return f"/nam/{year}/bieu-mau.zip"


def status(year: int) -> str:
    return f"/trang-thai?nam={year}"


STATIC = "/tai-nguyen"
