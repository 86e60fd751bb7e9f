"""Write the inputs and outputs tables of every Terraform README between terraform-docs markers.

terraform-docs is not installed here; this reads variables.tf and outputs.tf (the layout every
module follows) and writes the same kind of tables, so no README can drift from the code. Given the
Terraform root, it covers the root module and every directory with .tf files under modules/ and
examples/; each must have a README.md with the markers (the prose around them is written by hand).

    python tools/tf_docs.py terraform            # rewrite the tables of every README
    python tools/tf_docs.py --check terraform    # fail naming each README out of date or missing
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
    """Text safe inside one Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def unquote(text: str | None) -> str:
    """A string literal's value (descriptions are written as "..." or heredocs)."""
    if text and text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('\\"', '"')
    return text or ""


def declared(module: Path, filename: str, kind: str) -> list[tuple[str, str]]:
    """The module's `kind` blocks; none when the file is absent (an example may declare nothing)."""
    path = module / filename
    return blocks(path.read_text(), kind) if path.is_file() else []


def inputs_table(module: Path) -> list[str]:
    """The Inputs section: one row per variable, or "No inputs." as terraform-docs writes it."""
    variables = declared(module, "variables.tf", "variable")
    if not variables:
        return ["## Inputs", "", "No inputs."]
    rows = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in variables:
        default = attribute(body, "default")
        type_ = attribute(body, "type") or "any"
        rows.append(
            f"| `{name}` | {cell(unquote(attribute(body, 'description')))} | `{cell(type_)}` | "
            f"{'n/a' if default is None else '`' + cell(default) + '`'} | {'yes' if default is None else 'no'} |"
        )
    return rows


def outputs_table(module: Path) -> list[str]:
    """The Outputs section: one row per output, or "No outputs."."""
    outputs = declared(module, "outputs.tf", "output")
    if not outputs:
        return ["## Outputs", "", "No outputs."]
    rows = ["## Outputs", "", "| Name | Description |", "|---|---|"]
    rows += [f"| `{name}` | {cell(unquote(attribute(body, 'description')))} |" for name, body in outputs]
    return rows


def tables(module: Path) -> str:
    return "\n".join([*inputs_table(module), "", *outputs_table(module)])


def documented_dirs(root: Path) -> list[Path]:
    """The root and its modules/* and examples/*: every directory with .tf files needs a README."""
    candidates = [root, *sorted(root.glob("modules/*")), *sorted(root.glob("examples/*"))]
    return [d for d in candidates if d.is_dir() and any(d.glob("*.tf"))]


def spliced(text: str, generated: str) -> str | None:
    """The README text with the generated tables between the markers; None without both markers."""
    start = text.find(BEGIN)
    stop = text.find(END, start + len(BEGIN)) if start >= 0 else -1
    if stop < 0:
        return None
    return text[: start + len(BEGIN)] + "\n" + generated + "\n" + text[stop:]


def refresh(module: Path, write: bool) -> str | None:
    """Bring the module's README tables up to date (only compare unless write); what is wrong, if anything.

    A missing README is never created: its title, usage and notes must be written by a person.
    """
    readme = module / "README.md"
    if not readme.is_file():
        return f"{readme}: missing (write it, with the tables between {BEGIN} and {END})"
    text = readme.read_text()
    updated = spliced(text, tables(module))
    if updated is None:
        return f"{readme}: no {BEGIN} ... {END} markers"
    if updated == text:
        return None
    if not write:
        return f"{readme}: out of date (run `make tf-docs`)"
    readme.write_text(updated)
    print(f"updated {readme}")
    return None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if any README is stale")
    parser.add_argument("roots", nargs="+", type=Path, help="Terraform root(s), e.g. terraform")
    args = parser.parse_args(argv)
    problems = []
    for root in args.roots:
        dirs = documented_dirs(root)
        if not dirs:
            problems.append(f"{root}: no Terraform files in it, its modules/ or its examples/")
        problems += [p for d in dirs if (p := refresh(d, write=not args.check))]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
