"""The template gallery: every registered template rendered for the synthetic personas in every
locale it has — never for a real account — with the SMS encoding and segment count, the
disclosures it carries and a link to its source.

Rendering goes through the render stage's sandbox, context builder and personas, and SMS counts
through :mod:`dunning.text.sms`, so the gallery shows what render and validate would produce.
Output a template produces as HTML is shown in a sandboxed ``<iframe srcdoc>`` (no scripts, no
access to the handbook page): templates are untrusted input.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dunning.handbook import words
from dunning.handbook.context import HandbookContext, Page, relative, source_page_path
from dunning.handbook.markdown import DASH, code, escape_html, listing, table, text
from dunning.policy.model import Template
from dunning.templating.context_spec import CONTEXT_SPEC, FILTERS
from dunning.templating.personas import Persona, persona_context, personas
from dunning.templating.sandbox import RenderError, TemplateSandbox, is_html
from dunning.text import sms

DIR = "gallery"
INDEX = "templates.md"
PREVIEW_CSS = (
    "body{font-family:'Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif;"
    "font-size:14px;line-height:1.5;margin:12px;color:#222}"
)


def page_path(template_id: str) -> str:
    """The gallery page of one template."""
    return f"{DIR}/{template_id}.md"


@dataclass(frozen=True)
class Rendered:
    """One template rendered for one persona: its parts in order, or the render error."""

    persona: Persona
    parts: tuple[tuple[str, str, bool], ...]  # (block name or "", output, is html)
    error: str | None

    @property
    def plain(self) -> str:
        """All parts as plain text (HTML entities decoded), for disclosure checks."""
        return "\n".join(html.unescape(out) if is_html_ else out for _, out, is_html_ in self.parts)


class Renderer:
    """The render stage's sandbox, with each template's block list parsed once per build."""

    def __init__(self, templates_root: Path) -> None:
        self.sandbox = TemplateSandbox(templates_root)
        self._blocks: dict[str, tuple[str, ...]] = {}

    def blocks(self, name: str) -> tuple[str, ...]:
        """The template's ``{% block %}`` names (RenderError when it does not parse)."""
        if name not in self._blocks:
            self._blocks[name] = self.sandbox.blocks(name)
        return self._blocks[name]


def render_one(renderer: Renderer, template: Template, persona: Persona, context: dict[str, Any]) -> Rendered:
    """Render ``template`` in the persona's locale, block by block when it has blocks."""
    name = template.files.get(persona.locale)
    if name is None:
        return Rendered(persona, (), f"no file for locale {persona.locale}")
    try:
        blocks = renderer.blocks(name)
        sandbox = renderer.sandbox
        parts: list[tuple[str, str, bool]] = []
        if blocks:
            for block in blocks:
                as_html = is_html(template.channel, block) and block != "subject"
                out = sandbox.render(name, context, html=is_html(template.channel, block), block=block)
                if block == "subject" and is_html(template.channel, block):
                    out = html.unescape(out)
                parts.append((block, out, as_html))
        else:
            as_html = is_html(template.channel)
            parts.append(("", sandbox.render(name, context, html=as_html), as_html))
    except RenderError as exc:
        return Rendered(persona, (), str(exc))
    return Rendered(persona, tuple(parts), None)


def disclosures(template: Template, rendered: Rendered, context: dict[str, Any]) -> list[str]:
    """The required texts the rendered message carries (opt-out, mini-Miranda, SMS signature)."""
    if rendered.error:
        return []
    found = []
    plain = rendered.plain
    compliance = context["compliance"]
    if compliance.get("mini_miranda") and str(compliance["mini_miranda"]) in plain:
        found.append("mini-Miranda")
    elif compliance.get("mini_miranda_short") and str(compliance["mini_miranda_short"]) in plain:
        found.append("mini-Miranda (short)")
    if compliance.get("opt_out") and str(compliance["opt_out"]) in plain:
        found.append("opt-out")
    signature = context["company"].get("sms_signature")
    if template.channel == "sms" and signature and f"【{signature}】" in plain:
        found.append("【signature】")
    return found


def _preview(rendered: Rendered, channel: str) -> str:
    locale = rendered.persona.locale
    head = (
        f'<div class="hb-preview" data-locale="{escape_html(locale)}" data-channel="{escape_html(channel)}" '
        f'lang="{escape_html(locale)}"><p class="hb-persona">{escape_html(rendered.persona.label)} · '
        f"<code>{escape_html(rendered.persona.account.account_id)}</code></p>"
    )
    body = []
    if rendered.error:
        body.append(f'<p class="hb-render-error">Render error: {escape_html(rendered.error)}</p>')
    for block, out, as_html in rendered.parts:
        label = f'<p class="hb-block">{escape_html(block)}</p>' if block else ""
        if as_html:
            doc = f"<!doctype html><meta charset='utf-8'><style>{PREVIEW_CSS}</style>{out}"
            body.append(
                f'{label}<iframe class="hb-html" sandbox="" title="{escape_html(block or channel)} preview" '
                f'srcdoc="{escape_html(doc)}"></iframe>'
            )
        else:
            body.append(f'{label}<pre class="hb-text">{escape_html(out).replace(chr(10), "&#10;")}</pre>')
    return head + "".join(body) + "</div>\n"


def template_page(ctx: HandbookContext, renderer: Renderer, template: Template) -> Page:
    """The gallery page of one template."""
    path = page_path(template.id)
    out = [
        f"# {text(template.id)}\n",
        f"[← All templates]({relative(path, INDEX)}) · " + ctx.edit_line(template.source, path),
    ]
    out.append(f"{text(template.description)}\n\n" if template.description else "")
    out.append(
        table(
            ["Channel", "Purpose", "Locales", "Registered at"],
            [
                [
                    text(words.channel(template.channel)),
                    text(template.purpose.replace("_", " ")),
                    listing(template.locales, DASH),
                    ctx.link(template.source, path),
                ]
            ],
        )
    )
    files = []
    for locale in sorted(template.files):
        rel = f"templates/{template.files[locale]}"
        target = Path(ctx.policy.root) / rel
        link = (
            f"[{text(rel)}]({relative(path, source_page_path(rel))})"
            if target.is_file() and not target.is_symlink()
            else f"{code(rel)} (missing)"
        )
        files.append([code(locale), link])
    out.append("\n" + table(["Locale", "File"], files))
    out.append(
        "\nRendered for synthetic sample personas only (invented names, phone numbers and "
        "example.com addresses) — never for real accounts.\n"
    )
    for locale in sorted(template.files):
        out.append(f"\n## {text(locale)} {{ #{locale.lower()} }}\n")
        contexts = [(p, persona_context(ctx.policy, p, template.id)) for p in personas(ctx.policy, locale, ctx.as_of)]
        results = [render_one(renderer, template, persona, context) for persona, context in contexts]
        summary = []
        for r, (_, context) in zip(results, contexts, strict=True):
            row = [text(r.persona.label)]
            if template.channel == "sms":
                message = r.parts[0][1] if r.parts and not r.error else ""
                row += (
                    [sms.encoding(message), str(sms.length(message)), str(sms.segments(message))]
                    if not r.error
                    else [DASH, DASH, DASH]
                )
            found = disclosures(template, r, context)
            row.append("render error" if r.error else (text(", ".join(found)) if found else "none"))
            summary.append(row)
        header = ["Persona"]
        if template.channel == "sms":
            header += ["Encoding", "Characters", "Segments"]
        header.append("Disclosures carried")
        out.append(table(header, summary))
        out.append("\n")
        out.extend(_preview(r, template.channel) for r in results)
    return Page(path, template.id, "\n".join(out), template.source)


def registry_rows(ctx: HandbookContext) -> list[list[str]]:
    """One row per registered template, sorted by id."""
    rows = []
    for tid in sorted(ctx.policy.templates):
        template = ctx.policy.templates[tid]
        rows.append(
            [
                f'<span id="template-{tid}"></span>[{text(tid)}]({page_path(tid)})',
                text(words.channel(template.channel)),
                text(template.purpose.replace("_", " ")),
                listing(template.locales, DASH),
                text(template.description),
                ctx.link(template.source, INDEX),
            ]
        )
    return rows


def context_rows() -> list[list[str]]:
    """The documented template context: every name a template may use, with its meaning."""
    rows = []
    for name, spec in CONTEXT_SPEC.items():
        if isinstance(spec, dict):
            if "__doc__" in spec:
                rows.append([code(name), text(spec["__doc__"])])
            rows.extend([code(f"{name}.{attr}"), text(doc)] for attr, doc in spec.items() if not attr.startswith("__"))
        else:
            rows.append([code(name), text(spec)])
    return rows


def pages(ctx: HandbookContext) -> list[Page]:
    """The template index and one gallery page per template."""
    renderer = Renderer(Path(ctx.policy.root) / "templates")
    first = min((t.source for t in ctx.policy.templates.values()), default=None)
    out = ["# Templates\n"]
    if first is not None:
        out.append(ctx.edit_line(first, INDEX))
    out.append(
        "Every registered message template, with a gallery page that renders it for sample personas in "
        "each of its locales. Collection messages carry the jurisdiction's disclosures "
        "(US: the mini-Miranda; everywhere: the opt-out instruction; CN SMS: the 【signature】).\n\n"
    )
    out.append(table(["Template", "Channel", "Purpose", "Locales", "What it is for", "Source"], registry_rows(ctx)))
    out.append("\n## Template context { #context }\n")
    out.append(
        "Templates are sandboxed Jinja: they may use these names and nothing else (validate reports any "
        "other name at its line), and no file outside `templates/`.\n\n"
    )
    out.append(table(["Name", "Meaning"], context_rows()))
    out.append("\n### Filters\n")
    out.append(table(["Filter", "What it does"], [[code(k), text(v)] for k, v in FILTERS.items()]))
    gallery = [template_page(ctx, renderer, ctx.policy.templates[tid]) for tid in sorted(ctx.policy.templates)]
    return [Page(INDEX, "Templates", "\n".join(out), first), *gallery]
