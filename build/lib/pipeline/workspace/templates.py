"""The two templates: the defaults shipped in the package, and the officer's copies that override them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pipeline.workspace.files import write_atomic

SUBMISSION_TEMPLATE = "submission_template.xlsx"
REPORT_TEMPLATE = "bao_cao.docx"
TEMPLATES = (SUBMISSION_TEMPLATE, REPORT_TEMPLATE)


def default_template(name: str) -> bytes:
    """The bytes of the package's default template `name`."""
    return resources.files("pipeline").joinpath("templates", name).read_bytes()


def install_template(name: str, dest: Path) -> None:
    """Copy the package's default template `name` to `dest` (replacing it atomically)."""
    write_atomic(dest, default_template(name))


def ensure_template(folder: Path, name: str) -> tuple[Path, bool]:
    """The workspace's copy of template `name`, copied from the package first if there is none."""
    path = folder / name
    if path.is_file():
        return path, False
    install_template(name, path)
    return path, True
