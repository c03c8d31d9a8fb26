"""The operator documentation window: Markdown rendered into a Tk Text widget (headings, emphasis, inline and
fenced code in monospace, bullet and numbered lists). Esc closes it."""

from __future__ import annotations

import re
import tkinter
from tkinter import ttk
from typing import List, Tuple

# `code`, **strong**, *emphasis* / _emphasis_ (not inside words: snake_case names stay as they are)
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])|(?<!\w)_([^_\s][^_]*)_(?!\w)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d+)[.)]\s+(.*)$")


def inline_spans(text: str) -> List[Tuple[str, str]]:
    """`a **b** `c`` → [("a ", ""), ("b", "strong"), (" ", ""), ("c", "code")]."""
    spans: List[Tuple[str, str]] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.start() > position:
            spans.append((text[position:match.start()], ""))
        code, strong, emphasis, underscored = match.groups()
        if code is not None:
            spans.append((code, "code"))
        elif strong is not None:
            spans.append((strong, "strong"))
        else:
            spans.append((emphasis if emphasis is not None else underscored, "emphasis"))
        position = match.end()
    if position < len(text):
        spans.append((text[position:], ""))
    return spans


def blocks(markdown: str) -> List[Tuple[str, str]]:
    """The Markdown as (kind, text) blocks: heading1…3, paragraph, bullet, code."""
    result: List[Tuple[str, str]] = []
    paragraph: List[str] = []
    lines = markdown.replace("\r\n", "\n").split("\n")

    def flush() -> None:
        if paragraph:
            result.append(("paragraph", " ".join(line.strip() for line in paragraph)))
            paragraph.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code: List[str] = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith("```"):
                code.append(lines[index])
                index += 1
            result.append(("code", "\n".join(code)))
        elif _HEADING.match(stripped):
            flush()
            hashes, title = _HEADING.match(stripped).groups()
            result.append((f"heading{min(3, len(hashes))}", title.strip()))
        elif _BULLET.match(line):
            flush()
            result.append(("bullet", "•  " + _BULLET.match(line).group(2)))
        elif _NUMBERED.match(line):
            flush()
            _, number, text = _NUMBERED.match(line).groups()
            result.append(("bullet", f"{number}.  {text}"))
        elif line.startswith("    ") and not paragraph:   # an indented code block
            result.append(("code", line[4:]))
        elif not stripped:
            flush()
        elif result and result[-1][0] == "bullet" and line.startswith("  ") and not paragraph:
            result[-1] = ("bullet", result[-1][1] + " " + stripped)   # a list item's continued line
        else:
            paragraph.append(line)
        index += 1
    flush()
    merged: List[Tuple[str, str]] = []
    for kind, text in result:   # consecutive indented code lines are one block
        if kind == "code" and merged and merged[-1][0] == "code" and not text.startswith("```"):
            merged[-1] = ("code", merged[-1][1] + "\n" + text)
        else:
            merged.append((kind, text))
    return merged


def render(text: tkinter.Text, markdown: str) -> None:
    """Fill `text` with the rendered Markdown (the widget's tags carry the fonts)."""
    base = tkinter.font.nametofont("TkDefaultFont")
    family, size = base.actual("family"), abs(int(base.actual("size"))) or 10
    fixed = tkinter.font.nametofont("TkFixedFont").actual("family")
    text.tag_configure("heading1", font=(family, size + 6, "bold"), spacing1=6, spacing3=6)
    text.tag_configure("heading2", font=(family, size + 3, "bold"), spacing1=10, spacing3=4)
    text.tag_configure("heading3", font=(family, size + 1, "bold"), spacing1=8, spacing3=2)
    text.tag_configure("paragraph", font=(family, size), spacing1=6, spacing3=6)   # apart from a list above
    text.tag_configure("bullet", font=(family, size), lmargin1=12, lmargin2=30, spacing3=3)
    text.tag_configure("code", font=(fixed, size), background="#f0f0f0", lmargin1=12, lmargin2=12, spacing3=6)
    text.tag_configure("inline-code", font=(fixed, size), background="#f0f0f0")
    text.tag_configure("strong", font=(family, size, "bold"))
    text.tag_configure("emphasis", font=(family, size, "italic"))
    text.configure(state="normal")
    text.delete("1.0", "end")
    for kind, content in blocks(markdown):
        if kind == "code":
            text.insert("end", content + "\n", ("code",))
            continue
        for span, style in inline_spans(content):
            tags = (kind,) + (({"code": "inline-code"}.get(style, style),) if style else ())
            text.insert("end", span, tags)
        text.insert("end", "\n", (kind,))
    text.configure(state="disabled")


class DocumentationWindow(tkinter.Toplevel):
    """One operator's documentation; the title names the operator."""

    def __init__(self, parent: tkinter.Misc, title: str, markdown: str):
        super().__init__(parent)
        self.title(title)
        self.geometry("720x560")
        frame = ttk.Frame(self)
        frame.pack(fill="both", expand=True)
        self.text = tkinter.Text(frame, wrap="word", padx=12, pady=10, relief="flat", highlightthickness=0)
        scroll = ttk.Scrollbar(frame, orient="vertical", command=self.text.yview)
        self.text.configure(yscrollcommand=scroll.set)
        scroll.pack(side="right", fill="y")
        self.text.pack(side="left", fill="both", expand=True)
        render(self.text, f"# {title.split(' — ')[0]}\n\n{markdown}")
        self.bind("<Escape>", lambda _event: self.destroy())
        self.text.focus_set()
