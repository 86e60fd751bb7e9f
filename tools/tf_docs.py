"""Write a module's inputs and outputs tables into its README between terraform-docs markers.

terraform-docs is not installed here; this reads variables.tf and outputs.tf (the layout every
module follows) and writes the same kind of tables, so the README cannot drift from the code.

    python tools/tf_docs.py terraform            # rewrite terraform/README.md
    python tools/tf_docs.py --check terraform    # fail when the README is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def blocks(text: str, kind: str) -> list[tuple[str, str]]:
    """Top-level `kind "name" { ... }` blocks as (name, body)."""
    found = []
    for m in re.finditer(rf'^{kind} "([^"]+)" \{{\n', text, flags=re.MULTILINE):
        end = text.index("\n}\n", m.end()) if "\n}\n" in text[m.end() :] else len(text)
        found.append((m.group(1), text[m.end() : end]))
    return found


def attribute(body: str, name: str) -> str | None:
    """The raw expression of a top-level attribute of the block (balanced brackets, heredocs)."""
    m = re.search(rf"^  {name}\s*=\s*", body, flags=re.MULTILINE)
    if m is None:
        return None
    rest = body[m.end() :]
    heredoc = re.match(r"<<-?(\w+)\n", rest)
    if heredoc:
        stop = re.search(rf"^\s*{heredoc.group(1)}$", rest, flags=re.MULTILINE)
        return " ".join(rest[heredoc.end() : stop.start()].split())
    depth, out, in_string = 0, [], False
    for i, ch in enumerate(rest):
        if ch == '"' and (i == 0 or rest[i - 1] != "\\"):
            in_string = not in_string
        elif not in_string and ch in "({[":
            depth += 1
        elif not in_string and ch in ")}]":
            depth -= 1
        elif ch == "\n" and depth == 0 and not in_string:
            break
        out.append(ch)
    return re.sub(r"\s+", " ", re.sub(r"#[^\n]*", "", "".join(out))).strip()


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def unquote(text: str | None) -> str:
    if text and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('\\"', '"')
    return text or ""


def tables(module: Path) -> str:
    rows = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in blocks((module / "variables.tf").read_text(), "variable"):
        default = attribute(body, "default")
        type_ = attribute(body, "type") or "any"
        rows.append(
            f"| `{name}` | {cell(unquote(attribute(body, 'description')))} | `{cell(type_)}` | "
            f"{'n/a' if default is None else '`' + cell(default) + '`'} | {'yes' if default is None else 'no'} |"
        )
    rows += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, body in blocks((module / "outputs.tf").read_text(), "output"):
        rows.append(f"| `{name}` | {cell(unquote(attribute(body, 'description')))} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true")
    parser.add_argument("modules", nargs="+", type=Path)
    args = parser.parse_args(argv)
    stale = []
    for module in args.modules:
        readme = module / "README.md"
        text = readme.read_text()
        start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
        updated = text[:start] + "\n" + tables(module) + "\n" + text[stop:]
        if updated != text:
            stale.append(str(readme))
            if not args.check:
                readme.write_text(updated)
    if stale and args.check:
        print(f"out of date (run `make tf-docs`): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
