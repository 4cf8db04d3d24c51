"""A letter template from a pull request can make the renderer fetch nothing: no URL is
requested, no file of the machine ends up in a letter. Written against the CLI and the
output files only, so it holds for any letter engine."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.resources import Reference, reference_refusal, references, refusal

from .letter_fetch_support import recording_server

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "TOP-SECRET-7f3a9c-DO-NOT-EMBED"
LETTER = "templates/letter/letter-plan.en-US.j2"


def _hostile_repo(root: Path, example_root: Path, port: int) -> Path:
    """The example policy with one letter template that reaches for the network and a file."""
    repo = root / "repo"
    for name in ("policies", "templates"):
        shutil.copytree(example_root / name, repo / name)
    secret = root / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    letter = repo / LETTER
    text = letter.read_text(encoding="utf-8")
    hostile = (
        f'<img src="http://127.0.0.1:{port}/pixel.png">\n'
        f'<a rel="attachment" href="file://{secret}">terms</a>\n'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">\n'
        f'<style>@import "http://127.0.0.1:{port}/import.css";\n'
        f"p {{ background: url(//127.0.0.1:{port}/bg) }}</style>\n"
        f'<img src="{secret}">\n'
    )
    letter.write_text(text.replace("{% block body %}", "{% block body %}" + hostile, 1), encoding="utf-8")
    return repo


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_a_hostile_letter_template_fetches_nothing_and_embeds_nothing(tmp_path: Path, example_root: Path) -> None:
    with recording_server() as (port, requests):
        repo = _hostile_repo(tmp_path, example_root, port)
        shutil.copytree(FIXTURES, tmp_path / "case")
        plans = tmp_path / "case" / "plan"

        validated = CliRunner().invoke(main, ["validate", str(repo), "--format", "text"])
        assert validated.exit_code == 1
        t013 = [line for line in validated.output.splitlines() if " T013 " in line]
        assert [line.split(" ", 1)[0] for line in t013] == [
            f"{LETTER}:2:27:",
            f"{LETTER}:3:27:",
            f"{LETTER}:4:30:",
            f"{LETTER}:5:17:",
            f"{LETTER}:6:21:",
            f"{LETTER}:7:11:",
        ]
        assert SECRET not in validated.output

        rendered = CliRunner().invoke(main, ["render", "--plans", str(plans), "--jobs", "1", str(repo)])
        assert rendered.exit_code == 1, rendered.output
        assert requests == []

    with (plans / "messages" / "render-rejects.csv").open(encoding="utf-8", newline="") as handle:
        rejects = list(csv.reader(handle))
    assert rejects[1:] == [
        ["LN-CN-0005-reminder-email3-20261128", "LN-CN-0005", "", "", "the account is not in the accounts file"],
        [
            "LN-US-0002-mid-letter45-20261130",
            "LN-US-0002",
            "letter/letter-plan.en-US.j2",
            "",
            "the letter refers to a http: URL, which letters may not load "
            "(4 reference(s) refused; `dunning validate` reports them as T013)",
        ],
    ]
    letters = plans / "messages" / "letters"
    assert not (letters / "LN-US-0002-mid-letter45-20261130.pdf").exists()
    pdfs = sorted(letters.glob("*.pdf"))
    assert [p.name for p in pdfs] == [
        "LN-CN-0001-early-letter21-20261130.pdf",
        "LN-US-0003-recovery-letter91-20261130.pdf",
    ]
    for pdf in pdfs:
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert SECRET not in text
        if shutil.which("pdfdetach"):
            listing = subprocess.run(["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True)
            assert listing.stdout.strip() == "0 embedded files"
    # nothing dunning wrote holds the secret or a byte the test server served
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.name != "secret.txt":
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert b"SERVED-BY-THE-TEST-SERVER" not in data, path


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("data:image/png;base64,iVBORw0KGgo=", None),
        ("DATA:image/JPEG,xyz", None),
        ("data:image/svg+xml,<svg/>", "a data: URL"),
        ("data:text/html,<b>x</b>", "a data: URL"),
        ("http://127.0.0.1/x", "a http: URL"),
        ("\thtt\np://127.0.0.1/x", "a http: URL"),
        ("HTTPS://example.com/x", "a https: URL"),
        ("ftp://example.com/x", "a ftp: URL"),
        ("file:///etc/passwd", "a file (letters bundle no files; use an inline data:image URL)"),
        ("//evil.example/x", "a protocol-relative URL (another host)"),
        ("/etc/passwd", "a file (letters bundle no files; use an inline data:image URL)"),
        ("logo.png", "a file (letters bundle no files; use an inline data:image URL)"),
    ],
)
def test_what_a_letter_may_load(url: str, why: str | None) -> None:
    assert refusal(url) == why


def test_bundled_assets_only_inside_their_folder(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "logo.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_text("x", encoding="utf-8")
    (assets / "leak.png").symlink_to(tmp_path / "secret.txt")
    assert refusal("logo.png", assets) is None
    assert refusal(f"file://{assets}/logo.png", assets) is None
    assert refusal("../secret.txt", assets) == "a file outside the bundled assets"
    assert refusal("leak.png", assets) == "a file outside the bundled assets"
    assert refusal(f"file://{tmp_path}/secret.txt", assets) == "a file outside the bundled assets"
    assert refusal("%2e%2e/secret.txt", assets) == "a file outside the bundled assets"
    assert refusal(f"{tmp_path}/secret.txt", assets) == "a file outside the bundled assets"
    assert refusal("http://127.0.0.1/logo.png", assets) == "a http: URL"


def test_references_found_in_html_and_css() -> None:
    text = (
        '<p><a href="https://example-finance.com/pay">pay</a> <a href=mailto:x@example.com>mail</a>\n'
        '<img srcset=\'a.png 1x, http://x.example/b.png 2x\'> <a rel="attachment" href="x.pdf">a</a>\n'
        '<img src="{{ company.logo }}"> <meta http-equiv="refresh" content="0; url=http://x.example/">\n'
        '<style>@import \'y.css\'; p { background: URL( "z.png" ) }</style> <img src="&#104;ttp://e.example/">'
    )
    found = [(r.url, r.loaded) for r in references(text)]
    assert found == [
        ("https://example-finance.com/pay", False),
        ("mailto:x@example.com", False),
        ("a.png", True),
        ("http://x.example/b.png", True),
        ("x.pdf", True),
        ("{{ company.logo }}", True),
        ("http://x.example/", True),
        ("y.css", True),
        ("z.png", True),
        ("http://e.example/", True),
    ]
    hosts = frozenset({"example-finance.com"})
    verdicts = [reference_refusal(r, hosts) for r in references(text)]
    assert verdicts == [
        None,
        None,
        "a file (letters bundle no files; use an inline data:image URL)",
        "a http: URL",
        "a file (letters bundle no files; use an inline data:image URL)",
        None,  # built from data: the render-time check decides
        "a http: URL",
        "a file (letters bundle no files; use an inline data:image URL)",
        "a file (letters bundle no files; use an inline data:image URL)",
        "a http: URL",
    ]
    assert reference_refusal(Reference(0, "https://evil.example/pay", False), hosts) == (
        "a link to a host that is not the company's website or unsubscribe page"
    )
    assert reference_refusal(Reference(0, "javascript:alert(1)", False), hosts) == "a javascript: link"
