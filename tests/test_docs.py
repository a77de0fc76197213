"""The README and docs/ pages say only what the repository does: every relative link resolves, every command names
a Makefile target, a stage module with the flags its parser defines, a workflow rule or a DVC stage, and every
repository path they mention exists. Parsers are asked of the stage modules themselves (run as ``python -m``
would, stopped at ``parse_args``), so the check follows a stage wherever its plumbing lives."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import re
import runpy
import shlex
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
INLINE = re.compile(r"`([^`]+)`")  # a span may wrap onto the next line
PROGRAMS = ("make", "python", "snakemake", "dvc", "torchrun")
# Repository paths a page may name, by first component (data/, results/, logs/ and .venv/ are outputs).
TRACKED_DIRS = {"drnet", "stages", "tests", "tools", "workflow", "benchmarks", "profiles", "docs", ".dvc", ".ci"}
TRACKED_FILES = {"params.yaml", "Snakefile", "dvc.yaml", "Makefile", "requirements.lock", "pyproject.toml",
                 "LICENSE", "CITATION.cff", ".dvcignore", "README.md"}
PLACEHOLDER = re.compile(r"<[\w-]+>|\.\.\.|YOUR_|XYZ|\bNAME\b")


# --- what the pages contain -------------------------------------------------------------------------------------

def split_fences(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The page's prose (fenced blocks blanked out) and its fenced blocks as (language, body)."""
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    return FENCE.sub("", text), blocks


def commands(text: str) -> list[str]:
    """Command lines: lines of shell-like fenced blocks (continuations joined) and inline code spans that start
    with a program the project runs."""
    prose, blocks = split_fences(text)
    found = []
    for lang, body in blocks:
        if lang in ("python", "bibtex", "yaml"):
            continue
        found += body.replace("\\\n", " ").splitlines()
    found += [" ".join(span.split()) for span in INLINE.findall(prose)]
    lines = []
    for line in found:
        line = line.strip()
        line = re.sub(r"^\.venv/bin/", "", line)
        if line.split(" ")[0] in PROGRAMS:
            lines.append(line)
    return lines


def words(line: str) -> list[list[str]]:
    """A command line as its simple commands (split at ; && ||, pipes), each a list of words, comments dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    out, current = [], []
    for token in lexer:
        if set(token) <= set(";&|"):
            out.append(current)
            current = []
        else:
            current.append(token)
    out.append(current)
    return [c for c in out if c]


def repo_paths(text: str) -> list[str]:
    """Inline code spans that name a repository file or folder (brace alternatives expanded)."""
    prose, _ = split_fences(text)
    paths = []
    for span in INLINE.findall(prose):
        span = " ".join(span.split()).rstrip(",.;:")
        if " " in span or "*" in span or PLACEHOLDER.search(span):
            continue
        first = span.split("/")[0]
        if not ((first in TRACKED_DIRS and "/" in span) or span in TRACKED_FILES):
            continue
        paths += expand_braces(span)
    return paths


def expand_braces(path: str) -> list[str]:
    m = re.search(r"\{([^{}]*)\}", path)
    if not m:
        return [path]
    return [p for alt in m.group(1).split(",")
            for p in expand_braces(path[:m.start()] + alt + path[m.end():])]


# --- what the repository has ------------------------------------------------------------------------------------

def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    prose, _ = split_fences(page.read_text())
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", prose, re.M)}


@cache
def make_targets() -> set[str]:
    return set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), re.M))


@cache
def workflow_targets() -> tuple[set[str], set[str]]:
    """(rule names, output files) of the workflow: the stage table's jobs and the Snakefile's own rules."""
    from stages.dag.registry import jobs

    rules = {job.name for job in jobs()}
    rules |= set(re.findall(r"^rule (\w+):", (ROOT / "Snakefile").read_text(), re.M))
    files = {path for job in jobs() for path in (*job.outs().values(), *job.persist().values())}
    return rules, files


@cache
def dvc_stages() -> set[str]:
    return set(yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"])


@cache
def params_tree() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


class _Parser(BaseException):
    """Raised from parse_args to carry the parser out of a stage's main (not an Exception: nothing catches it)."""

    def __init__(self, parser: argparse.ArgumentParser):
        self.parser = parser


@cache
def module_parser(module: str) -> argparse.ArgumentParser | None:
    """The parser ``python -m module`` builds, stopped before it parses anything; None if it builds none."""
    original = argparse.ArgumentParser.parse_known_args

    def capture(self, args=None, namespace=None):
        raise _Parser(self)

    argparse.ArgumentParser.parse_known_args = capture
    argv, root = sys.argv, logging.getLogger()
    handlers, level = root.handlers[:], root.level  # a stage's main sets up logging before it parses
    try:
        sys.argv = [module]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except _Parser as captured:
        return captured.parser
    except SystemExit:
        return None
    finally:
        argparse.ArgumentParser.parse_known_args = original
        sys.argv = argv
        root.handlers[:] = handlers
        root.setLevel(level)
    return None


# --- the checks -------------------------------------------------------------------------------------------------

def check_python_args(module: str, args: list[str]) -> list[str]:
    """Flags and positional choices of ``python -m module args`` against the module's own parser."""
    parser = module_parser(module)
    if parser is None:
        return [f"python -m {module}: builds no argparse parser to check its arguments against"]
    problems, positionals, i = [], None, 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "...":
            continue
        actions = {s: a for a in parser._actions for s in a.option_strings}
        if word.startswith("-") and len(word) > 1 and not re.fullmatch(r"-\d+(\.\d+)?", word):
            flag = word.split("=")[0]
            if flag not in actions:
                problems.append(f"python -m {module}: no flag {flag} (has {', '.join(sorted(actions))})")
                continue
            action = actions[flag]
            if action.nargs == 0 or "=" in word:
                continue
            values = []
            while i < len(args) and not args[i].startswith("--") and (action.nargs in ("*", "+") or not values):
                values.append(args[i])
                i += 1
            if flag == "--set":
                problems += [p for v in values for p in check_params_key(v, f"python -m {module}")]
            continue
        if positionals is None:
            positionals = [a for a in parser._actions if not a.option_strings and a.dest != "help"]
        if not positionals:
            continue  # a value of a flag whose count we could not tell, or an extra word argparse would refuse
        action = positionals.pop(0) if positionals[0].nargs not in ("*", "+") else positionals[0]
        if isinstance(action, argparse._SubParsersAction):
            if word not in action.choices:
                problems.append(f"python -m {module}: no command {word!r} (has {', '.join(action.choices)})")
                return problems
            parser, positionals = action.choices[word], None
        elif action.choices is not None and word not in action.choices:
            problems.append(f"python -m {module}: {word!r} is not one of {', '.join(map(str, action.choices))}")
    return problems


def check_params_key(assignment: str, where: str) -> list[str]:
    key = assignment.split("=")[0]
    if PLACEHOLDER.search(key):
        return []
    tree = params_tree()
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return [f"{where}: params.yaml has no key {key}"]
        tree = tree[part]
    return []


def check_command(cmd: list[str]) -> list[str]:
    program, args = cmd[0], cmd[1:]
    if program == "make":
        return [f"make {t}: no such Makefile target" for t in args if not t.startswith("-") and "=" not in t
                and t not in make_targets()]
    if program == "torchrun":
        if "-m" not in args:
            return []
        program, args = "python", args[args.index("-m"):]
    if program == "python":
        if args[:1] == ["-m"] and len(args) > 1:
            module = args[1]
            if PLACEHOLDER.search(module):
                return []
            try:
                found = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:  # its package is missing
                found = False
            if not found:
                return [f"python -m {module}: no such module"]
            return check_python_args(module, args[2:])
        if args and args[0].endswith(".py") and not (ROOT / args[0]).exists():
            return [f"python {args[0]}: no such file"]
        return []
    if program == "snakemake":
        return check_snakemake(args)
    if program == "dvc":
        return check_dvc(args)
    return []


SNAKEMAKE_VALUE = {"--cores", "-c", "--jobs", "-j", "--profile", "--report", "--configfile", "--snakefile", "-s",
                   "--directory", "-d"}
SNAKEMAKE_ASSIGNMENTS = {"--config", "-C", "--default-resources", "--set-threads", "--set-resources"}


@cache
def snakemake_flags() -> set[str]:
    from snakemake.cli import get_argument_parser

    return {s for action in get_argument_parser()._actions for s in action.option_strings}


def check_snakemake(args: list[str]) -> list[str]:
    rules, files = workflow_targets()
    problems = [f"snakemake: no flag {w.split('=')[0]}" for w in args
                if w.startswith("-") and w.split("=")[0] not in snakemake_flags()]
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word in SNAKEMAKE_VALUE and i < len(args):
            if word == "--profile" and not (ROOT / args[i]).is_dir():
                problems.append(f"snakemake --profile {args[i]}: no such profile folder")
            i += 1
        elif word in SNAKEMAKE_ASSIGNMENTS:
            while i < len(args) and "=" in args[i] and not args[i].startswith("-"):
                i += 1
        elif not word.startswith("-") and word != "..." and word not in rules and word not in files:
            problems.append(f"snakemake {word}: neither a rule of the workflow nor an output of one")
    return problems


def check_dvc(args: list[str]) -> list[str]:
    positional = [a for a in args if not a.startswith("-")]
    if positional[:2] == ["exp", "run"]:
        problems = [p for a, b in zip(args, args[1:]) if a in ("-S", "--set-param")
                    for v in b.split(",")[:1] for p in check_params_key(v, "dvc exp run -S")]
        return problems + [f"dvc exp run {s}: no such stage in dvc.yaml" for s in positional[2:]
                           if "=" not in s and s not in dvc_stages()]
    if positional[:1] in (["repro"], ["status"], ["commit"]):
        return [f"dvc {positional[0]} {s}: no such stage in dvc.yaml" for s in positional[1:]
                if s not in dvc_stages()]
    return []


def check_links(text: str, page: Path) -> list[str]:
    prose, _ = split_fences(text)
    problems = []
    for target in LINK.findall(prose):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            shown = resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else resolved
            problems.append(f"link {target}: {shown} does not exist")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"link {target}: no heading #{anchor} in {resolved.name}")
    return problems


def check_python_blocks(text: str) -> list[str]:
    """Python examples compile, and the ``api.X`` they call exist in drnet.api."""
    from drnet import api

    problems = []
    for lang, body in split_fences(text)[1]:
        if lang != "python":
            continue
        try:
            compile(body, "<docs>", "exec")
        except SyntaxError as exc:
            problems.append(f"python example does not compile: {exc}")
        problems += [f"python example: drnet.api has no {name}" for name in re.findall(r"\bapi\.(\w+)", body)
                     if not hasattr(api, name)]
    return problems


def problems_in(text: str, page: Path) -> list[str]:
    found = check_links(text, page) + check_python_blocks(text)
    found += [f"`{p}` does not exist" for p in repo_paths(text) if not (ROOT / p).exists()]
    for line in commands(text):
        for cmd in words(line):
            found += [f"{p}   (in: {line})" for p in check_command(cmd)]
    return found


# --- tests ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_links_commands_and_paths_are_valid(page):
    assert problems_in(page.read_text(), page) == []


def test_pages_are_checked_at_all():
    """The extractors see what the pages hold: a test that finds nothing would pass on any page."""
    text = "\n".join(p.read_text() for p in PAGES)
    lines = commands(text)
    assert {line.split()[0] for line in lines} >= {"make", "python", "snakemake", "dvc", "torchrun"}
    assert sum(line.startswith("python -m stages.") for line in lines) >= 8
    assert len(LINK.findall(split_fences(text)[0])) >= 20
    assert len(repo_paths(text)) >= 20


def test_readme_is_a_front_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert max(len(line) for line in readme.splitlines()) <= 120
    for page in PAGES[1:]:
        assert f"docs/{page.name}" in readme or page.name == "README.md", f"README does not link {page.name}"
    assert "KTH proof" in readme and "KTH proof" in (ROOT / "docs" / "results.md").read_text()


@pytest.mark.parametrize("text, expected", [
    ("see [the data page](docs/dta.md)", "docs/dta.md does not exist"),
    ("![grid](docs/no_such_image.png)", "does not exist"),
    ("[faults](docs/faults.md#no-such-heading)", "no heading #no-such-heading"),
    ("```bash\npython -m stages.train_drnet --dataset mnist --trian x.h5\n```", "no flag --trian"),
    ("`python -m stages.dag wrte`", "'wrte' is not one of"),
    ("`python -m stages.own_video swapp --out o`", "no command 'swapp'"),
    ("`python -m stages.no_such_stage`", "no such module"),
    ("`python -m drnet.no_such_package.cli`", "no such module"),
    ("`python -m stages.train_lstm --set mnist.train.stepz=5 ...`", "params.yaml has no key mnist.train.stepz"),
    ("```bash\nmake dmeo\n```", "no such Makefile target"),
    ("`snakemake --cores 2 prof`", "neither a rule"),
    ("`snakemake --core 2 proof`", "snakemake: no flag --core"),
    ("`dvc repro mnist_prob`", "no such stage in dvc.yaml"),
    ("`dvc exp run -S mnist.train.lrr=1`", "params.yaml has no key mnist.train.lrr"),
    ("`python tools/no_such_tool.py`", "no such file"),
    ("the table is in `drnet/eval/no_such_module.py`", "does not exist"),
])
def test_a_broken_link_or_command_is_caught(text, expected):
    found = problems_in(text, ROOT / "README.md")
    assert any(expected in p for p in found), found


def test_valid_commands_pass():
    text = ("```bash\nmake demo\n.venv/bin/python -m stages.train_drnet --dataset mnist --train t.h5 ...\n"
            "torchrun --nproc_per_node=4 -m stages.train_lstm --dataset kth --drnet d.pt \\\n"
            "    --set kth.train.steps=5\n"
            "snakemake --cores 8 paper --config 'mnist={train: {steps: 1}}'\nsnakemake results/mnist_probe.json\n"
            "dvc repro mnist_probe; dvc metrics show\n```\n`python -m stages.own_video swap --drnet m.pt --out o`"
            " and [faults](docs/faults.md#bad-inputs-tried), `drnet/eval/{mnist,object,kth}_disentangle.py`")
    assert problems_in(text, ROOT / "README.md") == []
