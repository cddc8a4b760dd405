"""The Simplified Chinese edition, made from the English notebooks and the translations of
their prose (one file a notebook, ``notebooks/zh-CN/text/NN_name.md``, keyed by cell id).

    .venv/bin/python tools/translate.py            # writes notebooks/zh-CN/*.ipynb
    .venv/bin/python tools/translate.py --status   # which cells are missing or out of date
    .venv/bin/python tools/translate.py --add NN_name   # appends the cells a file lacks

A translation file is Markdown, one section per Markdown cell of the English notebook:

    <!-- cell: title | en: 3f2a91c0 -->
    # 输入管线
    ...

``en`` is the first eight hex digits of the sha256 of the English cell's text when it was
translated: when the English changes, the section is out of date and the build stops until it
is translated again (and its ``en`` updated). Code cells are copied from the English notebook
unchanged, so the two editions run the same code (``tests/test_translation.py`` checks it)
and one nbval run of the English notebooks tests both. Their stored outputs come from the
zh-CN notebook's own run (``tools/execute_notebooks.py notebooks/zh-CN/NN_name.ipynb``), in
which the checks answer in Chinese, as long as that run was of the same code; otherwise the
English outputs are copied, and ``--status`` lists the notebooks to run again.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LANGUAGE = "zh-CN"
EDITION = NOTEBOOKS / LANGUAGE
TEXT = EDITION / "text"
# set in a notebook's metadata by tools/execute_notebooks.py when it ran in this edition
EXECUTED = "executed_in"
HEADER = re.compile(r"^<!-- cell: (?P<id>[\w-]+) \| en: (?P<en>[0-9a-f]{8}) -->$", re.M)
# the Colab badge opens this edition's copy of the notebook
BADGE = re.compile(
    r"(colab\.research\.google\.com/github/[^)]+/blob/main/notebooks/)(\d\d_\w+\.ipynb)"
)


CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms
PUNCTUATION = "\u3000-\u303f\uff00-\uffef"
BLOCK_START = re.compile(r"^\s*([-*+] |\d+\. |#|\||>|```|\$\$|<)")


def unwrap(text: str) -> str:
    """Join the lines of each paragraph where Chinese text was wrapped: Markdown renders a
    line break as a space, which Chinese does not put between characters. A break between
    two Chinese characters goes; one beside Latin text becomes a space. Code blocks, formulas
    and the start of a list item, heading, table row or quote keep their lines."""
    out: list[str] = []
    fenced = False
    for line in text.split("\n"):
        stripped = line.strip()
        one_line_formula = (
            len(stripped) > 2 and stripped.startswith("$$") and stripped.endswith("$$")
        )
        if stripped.startswith("```") or (stripped.startswith("$$") and not one_line_formula):
            fenced = not fenced  # a code block or a formula opens or closes here
            out.append(line)
            continue
        previous = out[-1] if out else ""
        joinable = (
            not fenced
            and previous.strip()
            and line.strip()
            and not BLOCK_START.match(line)
            and not previous.lstrip().startswith(("```", "$$", "|", "#"))
            and not previous.endswith("  ")  # a hard break
        )
        if not joinable:
            out.append(line)
            continue
        left, right = previous.rstrip(), line.strip()
        # no space beside full-width punctuation or between two Chinese characters
        tight = re.match(f"[{PUNCTUATION}]", left[-1]) or re.match(f"[{PUNCTUATION}]", right[0])
        tight = tight or (re.match(f"[{CJK}]", left[-1]) and re.match(f"[{CJK}]", right[0]))
        out[-1] = left + ("" if tight else " ") + right
    return "\n".join(out)


def english_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


@dataclass
class Section:
    cell_id: str
    en: str  # english_hash of the English text it translates
    text: str


def read_sections(path: Path) -> dict[str, Section]:
    """The sections of a translation file, by cell id (a ValueError names a repeated id)."""
    raw = path.read_text(encoding="utf-8") if path.exists() else ""
    headers = list(HEADER.finditer(raw))
    sections = {}
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(raw)
        cell_id = match["id"]
        if cell_id in sections:
            raise ValueError(f"{path}: cell {cell_id!r} is translated twice")
        text = raw[match.end() : end].strip("\n")
        sections[cell_id] = Section(cell_id, match["en"], text)
    return sections


def english(name: str):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def names() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def problems(name: str) -> list[str]:
    """What keeps ``name`` from being built: Markdown cells with no translation, or one made
    from an older English text."""
    sections = read_sections(TEXT / f"{name}.md")
    found = []
    for cell in english(name).cells:
        if cell.cell_type != "markdown":
            continue
        section = sections.get(cell.id)
        if section is None:
            found.append(f"{name}: cell {cell.id!r} is not translated")
        elif section.en != english_hash(cell.source):
            found.append(
                f"{name}: cell {cell.id!r} was translated from an older English text "
                f"(en: {section.en}, now {english_hash(cell.source)})"
            )
    return found


def own_execution(name: str, nb=None):
    """The committed zh-CN notebook when it holds a run of its own (``execute_notebooks.py``
    marks it) of exactly the English code cells, else ``None``: its outputs then say what
    the code prints in Chinese (the checks' verdicts and hints)."""
    path = EDITION / f"{name}.ipynb"
    if not path.exists():
        return None
    zh = nbformat.read(path, as_version=4)
    if zh.metadata.get(EXECUTED) != LANGUAGE:
        return None
    nb = nb or english(name)

    def code(cells):
        return [(c.id, c.source, c.metadata) for c in cells if c.cell_type == "code"]

    return zh if code(zh.cells) == code(nb.cells) else None


def build(name: str):
    """The zh-CN notebook: the English one with its Markdown cells translated, and the
    outputs of its own run where it has one of the same code (else the English outputs)."""
    found = problems(name)
    if found:
        raise ValueError("cannot build the zh-CN edition:\n  " + "\n  ".join(found))
    sections = read_sections(TEXT / f"{name}.md")
    nb = copy.deepcopy(english(name))
    own = own_execution(name, nb)
    ran = {c.id: c for c in own.cells} if own else {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = unwrap(sections[cell.id].text)
            cell.source = BADGE.sub(rf"\g<1>{LANGUAGE}/\g<2>", text)
        elif cell.id in ran:
            cell.outputs = ran[cell.id].outputs
            cell.execution_count = ran[cell.id].execution_count
    if own:
        nb.metadata.pop("widgets", None)
        if "widgets" in own.metadata:
            nb.metadata["widgets"] = own.metadata["widgets"]
        nb.metadata[EXECUTED] = LANGUAGE
    nb.metadata["language"] = LANGUAGE
    return nb


def add_missing(name: str) -> int:
    """Append a section, with the English text to translate, for each cell the file lacks."""
    path = TEXT / f"{name}.md"
    sections = read_sections(path)
    added = []
    for cell in english(name).cells:
        if cell.cell_type == "markdown" and cell.id not in sections:
            added.append(
                f"<!-- cell: {cell.id} | en: {english_hash(cell.source)} -->\n{cell.source}\n"
            )
    if added:
        path.parent.mkdir(parents=True, exist_ok=True)
        before = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" if path.exists() else ""
        path.write_text(before + "\n".join(added), encoding="utf-8")
    return len(added)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--status", action="store_true", help="list what is missing or stale")
    parser.add_argument("--add", metavar="NAME", help="append the cells NAME's file lacks")
    args = parser.parse_args(argv)
    if args.add:
        print(f"{TEXT / args.add}.md: {add_missing(args.add)} sections added")
        return 0
    found = [p for name in names() for p in problems(name)]
    if args.status or found:
        print("\n".join(found) or "every cell is translated", file=sys.stderr if found else None)
        if args.status:
            for name in names():
                if own_execution(name) is None:
                    again = f"tools/execute_notebooks.py notebooks/{LANGUAGE}/{name}.ipynb"
                    print(f"{name}: the stored outputs are the English run's; run {again}")
        return 1 if found else 0
    for name in names():
        path = EDITION / f"{name}.ipynb"
        nbformat.write(build(name), path)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
