"""The "Variables" section of every roles/<role>/README.md, generated from the role's meta/argument_specs.yml.

The rest of each README (purpose, example, dependencies) is written by hand; only the text between the two marker
lines below is generated, so the variables table never drifts from the argument specs that ansible-core checks.
Where a spec gives no default, the table shows the one of defaults/main.yml (the value the role really runs with).

    .venv/bin/python docs/role_readme.py          rewrite the generated sections (make role-readmes)
    .venv/bin/python docs/role_readme.py --check  exit 1 naming every README that is out of date

tests/unit/test_publishable.py fails when a README is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN VARIABLES: generated from meta/argument_specs.yml by docs/role_readme.py, do not edit -->"
END = "<!-- END VARIABLES -->"


def _text(value) -> str:
    """One line of a description: a list of paragraphs joined, newlines folded, table pipes escaped."""
    if isinstance(value, list):
        value = " ".join(str(part) for part in value)
    return " ".join(str(value or "").split()).replace("|", "\\|")


def _code(value) -> str:
    """A default as inline code: YAML flow style for lists and dicts, Jinja expressions as written."""
    if isinstance(value, str):
        shown = " ".join(value.split()) if value else '""'
    else:
        shown = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
        shown = shown.removesuffix("...").strip()
    return "`" + shown.replace("|", "\\|").replace("`", "'") + "`"


def _type(spec: dict) -> str:
    kind = spec.get("type", "str")
    if kind == "list" and spec.get("elements"):
        kind = f"list of {spec['elements']}"
    return kind


def _rows(options: dict, defaults: dict, parent: str) -> list[str]:
    """One table row per option, then one per sub-option (`storage_buckets[].name`)."""
    rows = []
    for name, spec in options.items():
        if "default" in spec:
            default = _code(spec["default"])
        elif not parent and name in defaults:
            default = _code(defaults[name])
        elif spec.get("required"):
            default = "required"
        else:
            default = ""
        description = _text(spec.get("description"))
        if spec.get("choices"):
            description += " Choices: " + ", ".join(_code(choice) for choice in spec["choices"]) + "."
        full = parent + name
        rows.append(f"| `{full}` | {_type(spec)} | {default} | {description.strip()} |")
        if spec.get("options"):
            rows += _rows(spec["options"], {}, full + ("[]." if spec.get("type") == "list" else "."))
    return rows


def variables_section(role_dir: Path) -> str:
    """The generated Markdown between BEGIN and END for one role."""
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    defaults_file = role_dir / "defaults" / "main.yml"
    defaults = (yaml.safe_load(defaults_file.read_text()) or {}) if defaults_file.is_file() else {}
    main = specs["main"]
    lines = [BEGIN, ""]
    others = [name for name in specs if name != "main"]
    same = [name for name in others if specs[name] == main]
    lines.append(
        "Checked by ansible-core against `meta/argument_specs.yml` when the role starts"
        + (
            f"; the entry point{'s' if len(same) > 1 else ''} {', '.join(f'`{name}`' for name in same)}"
            f" take{'' if len(same) > 1 else 's'} the same variables."
            if same
            else "."
        )
    )
    lines += ["", "| Variable | Type | Default | Description |", "| --- | --- | --- | --- |"]
    lines += _rows(main.get("options", {}), defaults, "")
    for name in others:
        if name in same:
            continue
        lines += ["", f"Entry point `{name}`: {_text(specs[name].get('short_description'))}", ""]
        lines += ["| Variable | Type | Description |", "| --- | --- | --- |"]
        for option, spec in specs[name].get("options", {}).items():
            lines.append(f"| `{option}` | {_type(spec)} | {_text(spec.get('description'))} |")
    lines += ["", END]
    return "\n".join(lines)


def render(readme: Path) -> str:
    """The README's text with its generated section brought up to date."""
    text = readme.read_text()
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"{readme}: no generated section ({BEGIN!r} ... {END!r})")
    return text[:start] + variables_section(readme.parent) + text[stop + len(END) :]


def readmes() -> list[Path]:
    return sorted(path / "README.md" for path in (REPO / "roles").iterdir() if (path / "meta").is_dir())


def main(argv: list[str]) -> int:
    stale = []
    for readme in readmes():
        if not readme.is_file():
            stale.append(f"{readme.relative_to(REPO)} (missing)")
            continue
        text = render(readme)
        if text != readme.read_text():
            stale.append(str(readme.relative_to(REPO)))
            if "--check" not in argv:
                readme.write_text(text)
    if "--check" in argv and stale:
        print("out of date (run make role-readmes): " + ", ".join(stale), file=sys.stderr)
        return 1
    print("updated: " + ", ".join(stale) if stale else "up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
