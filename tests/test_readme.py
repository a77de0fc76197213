"""The README's first two commands are the ones that set up + run the demo and set up + run the tests."""

import re


def test_readme_commands_exist(repo_root):
    readme = (repo_root / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands[:2] == ["make demo", "make test"]
    makefile = (repo_root / "Makefile").read_text()
    assert re.search(r"^demo: setup$", makefile, re.M) and re.search(r"^test: setup$", makefile, re.M)
    assert "make test" in (repo_root / ".ci/run").read_text()
