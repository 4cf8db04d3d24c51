"""The handbook's Chinese search words: jieba's dictionary narrowed to the handbook's characters
cuts every text exactly as the whole dictionary does, and the built search index is the same."""

from __future__ import annotations

import io
import json
import re
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from dunning.handbook import build_handbook
from dunning.handbook.search_words import (
    KNOWN_TOTALS,
    dictionary_total,
    handbook_characters,
    narrowed_tokenizer,
    narrowed_words,
)
from dunning.policy.model import Policy

from .handbook_support import AS_OF

jieba = pytest.importorskip("jieba")

HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


@pytest.fixture(scope="module")
def whole() -> Any:
    """jieba with its whole default dictionary (its own instance: the module's stays untouched)."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def test_every_chinese_run_of_the_handbook_is_cut_as_the_whole_dictionary_cuts_it(built_site: Path, whole: Any) -> None:
    src = built_site.parent / "handbook-src"
    chars = handbook_characters(src)
    narrow = narrowed_tokenizer(jieba, chars)
    runs = sorted({run for p in src.rglob("*.md") for run in HAN_RUN.findall(p.read_text(encoding="utf-8"))})
    assert len(runs) > 250  # the example's CN templates, texts and handbook pages (296)
    assert [list(narrow.cut(r)) for r in runs] == [list(whole.cut(r)) for r in runs]
    # the narrowing is real: the dictionary's 349,046 words down to those of these characters
    known = sum(1 for freq in narrow.FREQ.values() if freq)
    assert 1_000 < known < 35_000
    assert narrow.total == whole.total == 60_101_967  # scored against the whole dictionary


def test_a_text_with_a_character_the_handbook_lacks_is_cut_with_the_whole_dictionary(
    tmp_path: Path, whole: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "index.md").write_text("# 催收\n\n逾期\n", encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    before = jieba.cut
    with narrowed_words(jieba, tmp_path):
        assert list(jieba.cut("催收逾期")) == list(whole.cut("催收逾期"))
        assert list(scratch.iterdir()) == []  # no folder while the narrowed words suffice
        # 还款 and 提醒 are not in the page: the narrowed table cannot know these words
        assert list(jieba.cut("逾期还款提醒".encode())) == list(whole.cut("逾期还款提醒"))
        assert list(jieba.cut("催收逾期")) == list(whole.cut("催收逾期"))
        assert list(jieba.cut("提醒您还款")) == list(whole.cut("提醒您还款"))
        # the whole dictionary's jieba.cache is in the build's own folder while it runs
        assert [path.name for path in scratch.glob("dunning-jieba-*/*")] == ["jieba.cache"]
    assert jieba.cut is before  # given back after the build
    assert list(scratch.iterdir()) == []  # and nothing is left in the temporary folder


def test_the_narrowed_dictionary_reads_and_writes_nothing_in_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    narrow = narrowed_tokenizer(jieba, frozenset("催收逾期还款"))
    assert list(narrow.cut("逾期还款")) == ["逾期", "还款"]
    # jieba's own loading would have written its 9 MB jieba.cache here
    assert list(scratch.iterdir()) == []


def test_the_search_index_is_the_one_the_whole_dictionary_makes(
    built_site: Path,
    example_policy: Policy,
    example_policy_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("dunning.handbook.build.narrowed_words", lambda _jieba, _src: nullcontext())
    site = build_handbook(example_policy, example_policy_root, tmp_path, AS_OF)
    index = "search/search_index.json"
    assert (site / index).read_bytes() == (built_site / index).read_bytes()
    texts = [d["text"] for d in json.loads((site / index).read_text(encoding="utf-8"))["docs"]]
    assert any("\u200b催收\u200b" in t for t in texts)  # jieba did cut


def test_the_known_total_is_the_sum_jieba_makes_of_its_dictionary() -> None:
    with jieba.get_dict_file() as dictionary:
        raw = dictionary.read()
    _freq, total = jieba.Tokenizer.gen_pfdict(io.BytesIO(raw))  # jieba's own loading
    assert total == 60_101_967
    assert dictionary_total(raw) == total
    assert list(KNOWN_TOTALS.values()) == [total]  # the table holds the installed dictionary


def test_a_dictionary_the_table_does_not_know_is_summed() -> None:
    raw = "催收 3 v\n逾期 40\n还款 500 v\n".encode()
    _freq, total = jieba.Tokenizer.gen_pfdict(io.BytesIO(raw))
    assert dictionary_total(raw) == total == 543
