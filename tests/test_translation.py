"""The zh-CN edition: built from the English notebooks and notebooks/zh-CN/text/, with the
English code (and the outputs of its own run, or the English ones), every Markdown cell
translated from the current English text, the glossary's terms used instead of English ones,
and the lesson's closing sections in Chinese."""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import translate  # noqa: E402

NAMES = translate.names()
CJK = re.compile(r"[\u4e00-\u9fff]")
GLOSSARY = ROOT / "notebooks" / "zh-CN" / "glossary.tsv"


def glossary() -> list[tuple[str, str]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, chinese, *_ = line.split("\t")
            rows.append((english, chinese))
    return rows


def prose(markdown: str) -> str:
    """The Chinese prose of a cell, without what stays in English on purpose: code (fenced
    and in backticks), formulas, URLs and link targets, HTML, an English term given in
    full-width parentheses after its Chinese one, and the further-reading list (papers keep
    their titles)."""
    text = markdown.split("## 延伸阅读")[0]
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"（[\x20-\x7e]+）", " ", text)


def english_terms_in(text: str, terms) -> list[str]:
    found = []
    for term in terms:
        if re.search(rf"(?<![\w-]){re.escape(term)}(s|es)?(?![\w-])", text, re.I):
            found.append(term)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_edition_is_what_the_translations_build(name):
    assert translate.problems(name) == []
    committed = nbformat.read(translate.EDITION / f"{name}.ipynb", as_version=4)
    assert committed == translate.build(name), "run: .venv/bin/python tools/translate.py"


def _text(outputs) -> str:
    parts = []
    for output in outputs:
        parts += output.get("text", []) + output.get("data", {}).get("text/plain", [])
    return "".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_code_is_the_english_cell_by_cell_and_the_outputs_a_run_of_it(name):
    """The code cells are the English ones, so one nbval run of the English notebook tests
    both editions. Their outputs are the English ones, or those of the zh-CN notebook's own
    run, where every check answers in Chinese."""
    en = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
    zh = json.loads((translate.EDITION / f"{name}.ipynb").read_text())
    assert [c["id"] for c in zh["cells"]] == [c["id"] for c in en["cells"]]
    own = zh["metadata"].get(translate.EXECUTED) == translate.LANGUAGE
    checks = 0
    for a, b in zip(en["cells"], zh["cells"], strict=True):
        assert a["cell_type"] == b["cell_type"]
        if a["cell_type"] != "code":
            continue
        if not own:
            assert b == a, b["id"]
            continue
        assert (b["source"], b["metadata"]) == (a["source"], a["metadata"]), b["id"]
        if "exercises.check_" in "".join(b["source"]):
            verdict = _text(b["outputs"])
            assert CJK.search(verdict), f"{b['id']}: {verdict!r}"
            assert not re.search(r"Correct!|Not done yet", verdict), b["id"]
            checks += 1
    assert not own or checks >= 2, "a run of its own, yet no check answered"
    assert zh["metadata"]["language"] == "zh-CN"
    # the try-its in the prose too: the English run executes them (notebooks/conftest.py)
    fences = re.compile(r"```python\n.*?```", re.S)
    for a, b in zip(en["cells"], zh["cells"], strict=True):
        if a["cell_type"] == "markdown":
            assert fences.findall("".join(b["source"])) == fences.findall("".join(a["source"]))


@pytest.mark.parametrize("name", NAMES)
def test_every_markdown_cell_reads_in_chinese_with_the_glossary_terms(name):
    terms = [english for english, _ in glossary()]
    zh = nbformat.read(translate.EDITION / f"{name}.ipynb", as_version=4)
    en = {c.id: c for c in nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells}
    left = {}
    for cell in zh.cells:
        if cell.cell_type != "markdown":
            continue
        if len(re.findall(r"[A-Za-z]{3,}", prose(en[cell.id].source))) >= 3:
            assert CJK.search(cell.source), f"{name}: cell {cell.id!r} is not in Chinese"
        found = english_terms_in(prose(cell.source), terms)
        if found:
            left[cell.id] = found
    assert not left, f"{name}: English terms in the Chinese prose (see glossary.tsv): {left}"


@pytest.mark.parametrize("name", NAMES)
def test_the_closing_sections_and_links_are_the_chinese_editions(name):
    zh = nbformat.read(translate.EDITION / f"{name}.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in zh.cells if c.cell_type == "markdown")
    headings = re.findall(r"^#+\s*(.+)$", markdown, re.M)
    for section in ("小结", "练习", "延伸阅读"):
        assert any(h.startswith(section) for h in headings), f"{name}: no '{section}' heading"
    assert f"blob/main/notebooks/zh-CN/{name}.ipynb" in zh.cells[0].source  # the Colab badge
    following = NAMES[NAMES.index(name) + 1] if name != NAMES[-1] else NAMES[0]
    assert f"]({following}.ipynb)" in markdown  # this edition's next notebook, beside it


def test_the_glossary_pairs_each_english_term_with_one_chinese_term():
    rows = glossary()
    assert len(rows) >= 40
    english = [e for e, _ in rows]
    assert len(set(english)) == len(english)
    assert all(CJK.search(c) for _, c in rows)
    for needed in ("generator", "discriminator", "cycle-consistency loss", "identity loss"):
        assert needed in english
    assert dict(rows)["instance normalization"] == "实例归一化"


def test_prose_keeps_code_formulas_links_and_glossed_terms_out():
    text = (
        "用 `loss` 计算 $\\mathcal{L}_{GAN}$，见 [生成器](generator.md) 与 "
        "https://example.org/loss。实例归一化（instance normalization）\n\n"
        "## 延伸阅读\n- *Image-to-Image Translation*"
    )
    assert (
        english_terms_in(prose(text), ["loss", "generator", "translation", "instance norm"]) == []
    )
    assert english_terms_in("这里的 generators 没有翻译", ["generator"]) == ["generator"]
    assert english_terms_in("the batch_size", ["batch"]) == []  # part of a longer word


def _tool_in(tmp_path, monkeypatch, english_text="Hello, **students**."):
    """translate.py pointed at a one-cell English notebook in tmp_path."""
    books = tmp_path / "notebooks"
    (books / "zh-CN" / "text").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(english_text, id="intro"),
            nbformat.v4.new_code_cell("print(1)", id="code"),
        ]
    )
    nbformat.write(nb, books / "01_intro.ipynb")
    monkeypatch.setattr(translate, "NOTEBOOKS", books)
    monkeypatch.setattr(translate, "EDITION", books / "zh-CN")
    monkeypatch.setattr(translate, "TEXT", books / "zh-CN" / "text")
    return books


def test_a_missing_or_outdated_translation_stops_the_build(tmp_path, monkeypatch):
    books = _tool_in(tmp_path, monkeypatch)
    assert translate.problems("01_intro") == ["01_intro: cell 'intro' is not translated"]
    assert translate.add_missing("01_intro") == 1
    path = books / "zh-CN" / "text" / "01_intro.md"
    path.write_text(path.read_text().replace("Hello, **students**.", "你好，**同学们**。"))
    assert translate.build("01_intro").cells[0].source == "你好，**同学们**。"
    assert translate.add_missing("01_intro") == 0  # nothing appended twice

    nb = nbformat.read(books / "01_intro.ipynb", as_version=4)
    nb.cells[0].source = "Hello, **everyone**."
    nbformat.write(nb, books / "01_intro.ipynb")
    (problem,) = translate.problems("01_intro")
    assert "was translated from an older English text" in problem
    with pytest.raises(ValueError, match="cannot build the zh-CN edition"):
        translate.build("01_intro")


def test_a_cell_translated_twice_is_refused(tmp_path, monkeypatch):
    books = _tool_in(tmp_path, monkeypatch)
    header = f"<!-- cell: intro | en: {translate.english_hash('Hello, **students**.')} -->"
    path = books / "zh-CN" / "text" / "01_intro.md"
    path.write_text(f"{header}\n你好\n\n{header}\n大家好\n")
    with pytest.raises(ValueError, match="cell 'intro' is translated twice"):
        translate.read_sections(path)


def test_unwrap_joins_wrapped_chinese_lines_and_keeps_blocks():
    text = (
        "第一行\n第二行带 `x`\nand more\n\n- 项目\n  续行\n- 第二项\n\n```\na\nb\n```\n| a |\n| b |"
    )
    assert translate.unwrap(text) == (
        "第一行第二行带 `x` and more\n\n- 项目续行\n- 第二项\n\n```\na\nb\n```\n| a |\n| b |"
    )
