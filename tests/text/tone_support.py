"""The tone lint scored on the labelled corpus (``tone_corpus.tsv``): per locale, how many
abusive texts it flags (recall) and how many of its flags are abusive (precision).

``python tests/text/tone_support.py`` prints the table ``docs/validate.md`` quotes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dunning.text.tone import find

CORPUS = Path(__file__).with_name("tone_corpus.tsv")


@dataclass(frozen=True)
class Sample:
    """One labelled text."""

    locale: str
    abusive: bool
    text: str
    held_out: bool  # written after the patterns, never tuned on


@dataclass(frozen=True)
class Score:
    """The lint's flags on one locale's samples."""

    locale: str
    abusive: int
    courteous: int
    true_positives: int
    false_positives: int
    missed: tuple[str, ...]
    false_alarms: tuple[str, ...]

    @property
    def precision(self) -> float:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.abusive if self.abusive else 1.0


def samples() -> list[Sample]:
    """The corpus, in file order."""
    out = []
    held_out = False
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        held_out = held_out or line.startswith("# held-out")
        if not line or line.startswith("#"):
            continue
        locale, label, text = line.split("\t")
        assert label in ("abusive", "courteous"), line
        out.append(Sample(locale, label == "abusive", text, held_out))
    return out


def score(locale: str, held_out: bool | None = None) -> Score:
    """The lint's score on ``locale``'s samples (only the held-out ones, only the others, or all)."""
    mine = [s for s in samples() if s.locale == locale and held_out in (None, s.held_out)]
    flagged = {s.text: bool(find(s.text, locale)) for s in mine}
    return Score(
        locale=locale,
        abusive=sum(s.abusive for s in mine),
        courteous=sum(not s.abusive for s in mine),
        true_positives=sum(s.abusive and flagged[s.text] for s in mine),
        false_positives=sum(not s.abusive and flagged[s.text] for s in mine),
        missed=tuple(s.text for s in mine if s.abusive and not flagged[s.text]),
        false_alarms=tuple(s.text for s in mine if not s.abusive and flagged[s.text]),
    )


def table() -> str:
    """The Markdown table of the scores."""
    rows = [
        "| locale | texts | abusive | courteous | flagged right | false alarms | precision | recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for locale in ("en-US", "zh-CN"):
        for part, held_out in (("written with the patterns", False), ("held out", True), ("all", None)):
            s = score(locale, held_out)
            rows.append(
                f"| {locale} | {part} | {s.abusive} | {s.courteous} | {s.true_positives} | {s.false_positives} "
                f"| {s.precision:.2f} | {s.recall:.2f} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
    for locale in ("en-US", "zh-CN"):
        for text in score(locale).missed:
            print(f"missed ({locale}): {text}")
