"""What a message may load: the one policy behind the letter engine's URL fetcher and T013.

Templates arrive by pull request, so a template is untrusted: ``<img src="http://…">`` would
make every render call a stranger's server (from the lender's CI or print host), and
``<a rel="attachment" href="file:///…">`` would embed a file of the build machine into every
debtor's letter. A letter may therefore load only

- inline raster images (``data:image/png|jpeg|gif|webp``): their bytes are in the template
  itself, nothing is fetched;
- files inside the bundled asset folder of the engine, when it has one (WeasyPrint today
  has none: fonts come from the system's fontconfig, which Pango reads without URLs).

Everything else is refused: every other scheme (``file:``, ``http:``, ``https:``, ``ftp:``,
other ``data:`` types such as SVG or HTML, which can refer on), protocol-relative
``//host`` and paths that leave the asset folder (``..``, absolute paths, symlinks).

:func:`refusal` is engine-neutral: any letter engine calls it for every URL before loading
anything. :func:`references` finds the references written in a template's own text, for
validate (rule T013) to report them before anything renders; the engine's check is the
guarantee, T013 is the early, positioned warning.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Where a letter engine's own assets would live; None: nothing is bundled, so no file loads.
LETTER_ASSETS: Path | None = None

_SAFE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp)(;[a-z0-9=._-]+)*(;base64)?,", re.I)
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
# browsers and html5lib drop ASCII tabs and newlines anywhere in a URL, and trim C0 and space
_DROPPED = re.compile(r"[\t\n\r]")
LINK_SCHEMES = frozenset({"mailto", "tel"})


def _clean(url: str) -> str:
    return _DROPPED.sub("", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f \x1f")


def refusal(url: str, asset_root: Path | None = LETTER_ASSETS) -> str | None:
    """Why a letter must not load ``url`` (None: it may). ``asset_root``: the engine's bundled
    asset folder; a file URL or relative path is allowed only when it resolves inside it."""
    url = _clean(url)
    if _SAFE_DATA.match(url):
        return None
    scheme = _SCHEME.match(url)
    if scheme and scheme.group(1).lower() != "file":
        return f"a {scheme.group(1).lower()}: URL"
    if url.startswith(("//", "\\\\")):
        return "a protocol-relative URL (another host)"
    if asset_root is None:
        return "a file (letters bundle no files; use an inline data:image URL)"
    root = asset_root.resolve()
    try:
        if scheme:  # file:
            real = Path(unquote(urlsplit(url).path)).resolve()
        else:
            real = (root / unquote(url.split("?", 1)[0].split("#", 1)[0])).resolve()  # "/x" is /x
    except (OSError, ValueError, RuntimeError):
        return "a path that cannot be resolved"
    if not real.is_relative_to(root):
        return "a file outside the bundled assets"
    return None


@dataclass(frozen=True)
class Reference:
    """A URL written in a template: where its value starts, the URL, and whether it is loaded
    (``src``, ``url()``, ``@import``, an attachment) or only followed when clicked (a link)."""

    offset: int
    url: str
    loaded: bool


_TAG = re.compile(r"<([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = re.compile(r"([^\s=/>\"']+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+))")
# attributes whose value is a URL (or, for srcset, a list of them) that a renderer may load
_URL_ATTRS = frozenset(
    {"src", "href", "srcset", "poster", "data", "background", "action", "formaction", "xlink:href", "cite",
     "longdesc", "manifest", "codebase", "archive", "icon", "lowsrc", "dynsrc", "ping", "profile", "usemap"}
)  # fmt: skip
_CSS_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))", re.I)
_CSS_IMPORT = re.compile(r"@import\s+(?:\"([^\"]*)\"|'([^']*)')", re.I)
_REFRESH = re.compile(r"url\s*=\s*(\S+)", re.I)


def references(text: str) -> Iterator[Reference]:
    """Every URL written in ``text`` (HTML attributes, CSS ``url()`` and ``@import``), in order."""
    found: list[Reference] = []
    for tag in _TAG.finditer(text):
        name = tag.group(1).lower()
        attrs = {m.group(1).lower(): m for m in _ATTR.finditer(tag.group(2))}
        rel = _attr_value(attrs.get("rel")) or ""
        for attr, m in attrs.items():
            value = _attr_value(m)
            if value is None:
                continue
            start = tag.start(2) + m.start(next(g for g in (2, 3, 4) if m.group(g) is not None))
            if attr == "content" and name == "meta":
                refresh = _REFRESH.search(value)
                if refresh:
                    found.append(Reference(start, refresh.group(1), True))
                continue
            if attr not in _URL_ATTRS:
                continue
            link = attr == "href" and name in ("a", "area") and "attachment" not in rel.lower().split()
            urls = (
                [part.strip().split()[0] for part in value.split(",") if part.strip()] if attr == "srcset" else [value]
            )
            for url in urls:
                found.append(Reference(start, url, not link))
    for pattern in (_CSS_URL, _CSS_IMPORT):
        for m in pattern.finditer(text):
            group = next(g for g in (1, 2, 3) if g <= (pattern.groups or 0) and m.group(g) is not None)
            found.append(Reference(m.start(group), html.unescape(m.group(group)), True))
    yield from sorted(found, key=lambda r: r.offset)


def _attr_value(m: re.Match[str] | None) -> str | None:
    if m is None:
        return None
    raw = next((m.group(g) for g in (2, 3, 4) if m.group(g) is not None), None)
    return None if raw is None else html.unescape(raw)


def link_hosts(*urls: str) -> frozenset[str]:
    """The hosts of the company's own web addresses (its website, its unsubscribe page)."""
    hosts = set()
    for url in urls:
        parts = urlsplit(_clean(url))
        if parts.scheme in ("http", "https") and parts.hostname:
            hosts.add(parts.hostname.lower())
    return frozenset(hosts)


def reference_refusal(ref: Reference, company_hosts: frozenset[str]) -> str | None:
    """Why a reference written in a template is not allowed (None: it is), judged on the text
    before the first Jinja tag in it (a URL built from data is the render-time fetcher's)."""
    literal = _clean(re.split(r"\{\{|\{%", ref.url, maxsplit=1)[0])
    if not literal:
        return None
    if ref.loaded:
        return refusal(literal)
    if literal.startswith("#"):
        return None
    scheme = _SCHEME.match(literal)
    if scheme and scheme.group(1).lower() in LINK_SCHEMES:
        return None
    if scheme and scheme.group(1).lower() in ("http", "https"):
        host = urlsplit(literal).hostname
        if host and host.lower() in company_hosts:
            return None
        return "a link to a host that is not the company's website or unsubscribe page"
    if _SAFE_DATA.match(literal):
        return None
    if scheme:
        return f"a {scheme.group(1).lower()}: link"
    return "a link that is not the company's website or unsubscribe page"
