"""The README opens with the two commands that set up + run the demo and the tests; its and the docs' snakemake
examples put the target before `--config`."""

import re


def test_readme_commands_exist(repo_root):
    readme = (repo_root / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands[:2] == ["make demo", "make test"]
    makefile = (repo_root / "Makefile").read_text()
    assert re.search(r"^demo: setup$", makefile, re.M) and re.search(r"^test: setup$", makefile, re.M)
    assert "make test" in (repo_root / ".ci/run").read_text()


def test_readme_and_docs_snakemake_examples_put_the_target_before_config(repo_root):
    """`--config` takes every following word as a config entry: a target after it is swallowed."""
    import shlex

    pages = [repo_root / "README.md", *sorted((repo_root / "docs").glob("*.md"))]
    lines = [line.strip().strip("`") for page in pages for line in page.read_text().splitlines()]
    checked = 0
    for line in lines:
        if "swallows" in line:  # the docs' own counter-example
            continue
        for part in line.split("`"):
            if not part.startswith("snakemake ") or "--config" not in part:
                continue
            words = shlex.split(part.split("#")[0])
            after = words[words.index("--config") + 1:]
            assert after and all("=" in w for w in after), f"target after --config in: {part}"
            assert any(not w.startswith("-") and "=" not in w and not w.isdigit() for w in
                       words[1:words.index("--config")]), f"no target before --config in: {part}"
            checked += 1
    assert checked >= 2
