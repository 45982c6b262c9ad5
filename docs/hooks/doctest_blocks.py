"""MkDocs hook: show docstrings' ``>>>`` examples as code, and their Sphinx roles as code.

The library's docstrings carry their examples as bare doctest lines, which the test suite runs.
Markdown would read a line starting with ``>>>`` as three nested block quotes (and an output line
such as ``[0.02, 0.03]`` as a link). Before Markdown parses a page or a docstring, this hook
fences each run of doctest lines outside an existing code block as a ``pycon`` block, the way
doctest itself reads them: from a ``>>>`` line up to the next blank line.

Some docstrings also name objects with Sphinx roles (``:class:`~programma.Ref```), which
Markdown would show as they are; outside code blocks the hook shows them as code (``Ref``).
"""

from __future__ import annotations

import re
from typing import Any

try:
    from mkdocs.plugins import event_priority
except ImportError:  # imported outside a docs build (e.g. by pytest's module collection)

    def event_priority(priority: float) -> Any:
        return lambda function: function


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_PROMPT = re.compile(r"^(\s*)>>>(?: |$)")
_FLAGS = re.compile(r"\s*#\s*doctest:.+$")
_ROLE = re.compile(r":(?:class|data|attr|func|meth|mod|exc|obj):`(~?)([^`]+)`")


def _role_as_code(match: re.Match[str]) -> str:
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


def plain_roles(line: str) -> str:
    """Show Sphinx cross-reference roles as code spans.

    >>> plain_roles("raises :class:`~programma.ValidationError`; see :func:`loads`.")
    'raises `ValidationError`; see `loads`.'
    """
    return _ROLE.sub(_role_as_code, line)


def fence_doctests(lines: list[str]) -> list[str]:
    """Wrap each run of doctest lines outside a fenced block in a ``pycon`` fence.

    Sphinx roles outside code blocks become code spans (:func:`plain_roles`).

    >>> fence_doctests(["Text.", ">>> 1 + 1", "2", "", "More."])
    ['Text.', '', '```pycon', '>>> 1 + 1', '2', '```', '', '', 'More.']
    """
    out: list[str] = []
    fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            out.append(line)
            index += 1
            continue
        if opening:
            fence = opening.group(1)
            out.append(line)
            index += 1
            continue
        prompt = _PROMPT.match(line)
        if not prompt:
            out.append(plain_roles(line))
            index += 1
            continue
        indent = prompt.group(1)
        block: list[str] = []
        while index < len(lines) and lines[index].strip():
            text = lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index]
            text = "" if text.strip() == "<BLANKLINE>" else _FLAGS.sub("", text)
            block.append(indent + text)
            index += 1
        if out and out[-1].strip():
            out.append("")
        out.extend([f"{indent}```pycon", *block, f"{indent}```", ""])
    return out


@event_priority(100)  # before mkdocstrings takes the list of Markdown extensions
def on_config(config: Any, **kwargs: Any) -> Any:
    """Add the doctest-fencing preprocessor to every Markdown conversion of the site."""
    from markdown import Extension, Markdown
    from markdown.preprocessors import Preprocessor

    class DoctestBlocks(Preprocessor):
        def run(self, lines: list[str]) -> list[str]:
            return fence_doctests(lines)

    class DoctestBlocksExtension(Extension):
        def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Markdown's API
            # after whitespace normalisation (30), before fenced code blocks (25)
            md.preprocessors.register(DoctestBlocks(md), "programma_doctest_blocks", 27)

    config.markdown_extensions.append(DoctestBlocksExtension())
    return config
