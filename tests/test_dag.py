"""Snakefile and dvc.yaml: one source of truth, same commands, valid for both tools."""

import re
import subprocess
import sys

import pytest
import yaml

from stages.dag import smk
from stages.dag.captions import CAPTION_DIR, write_captions
from stages.dag.cli import main
from stages.dag.registry import jobs
from stages.dag.smk import CPU_PARTITION, GPU_PARTITION

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def test_dvc_yaml_matches_registry(repo_root):
    assert main(["check"]) == 0, "run `python -m stages.dag write` after changing stages/dag/ or an import"


def _dvc_stages(repo_root):
    return yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]


def test_every_stage_is_in_both_front_doors(repo_root):
    dvc = _dvc_stages(repo_root)
    listed = subprocess.run([*SNAKEMAKE, "--list-rules"], cwd=repo_root, capture_output=True, text=True,
                            check=True).stdout.split()
    assert set(dvc) == set(listed) - {"all", "paper", "demo", "proof", "proof_kth"} == {j.name for j in jobs()}


def test_snakemake_runs_the_same_commands_as_dvc(repo_root, tmp_path):
    """Ask Snakemake itself which shell commands it would run, and compare with dvc.yaml's cmd for each rule."""
    out = subprocess.run([*SNAKEMAKE, "-n", "-p", "--forceall", "demo", "proof", "proof_kth", "all"],
                         cwd=repo_root, capture_output=True, text=True, check=True).stdout
    commands = [line.split("Shell command:", 1)[1] for line in out.splitlines()
                if "Shell command:" in line and "python -m stages." in line]
    dvc = _dvc_stages(repo_root)
    by_cmd = {v["cmd"]: k for k, v in dvc.items()}
    seen = set()
    for command in commands:
        core = command.split("2>&1 | tee ")[0].strip()
        assert core in by_cmd, f"Snakemake command not in dvc.yaml: {core}"
        seen.add(by_cmd[core])
    assert seen == set(dvc)


def test_dvc_accepts_the_pipeline(repo_root):
    out = subprocess.run([sys.executable, "-m", "dvc", "stage", "list"], cwd=repo_root, capture_output=True,
                         text=True)
    if "not inside of a DVC repository" in out.stderr:
        import pytest

        pytest.skip("no .dvc folder in this checkout")
    assert out.returncode == 0, out.stderr
    assert "demo_mnist_train" in out.stdout


def test_bad_config_is_refused_in_one_line(repo_root):
    out = subprocess.run([*SNAKEMAKE, "-n", "demo", "--config", "mnist={train: {lr: -1}}"], cwd=repo_root,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "error: params.yaml (with --config): mnist.train.lr: Input should be greater than 0" in out.stderr


def test_config_override_reaches_only_affected_rules(repo_root):
    out = subprocess.run([*SNAKEMAKE, "-n", "-p", "--forceall", "demo", "--config",
                          "demo={mnist: {train: {steps: 7}}}"], cwd=repo_root, capture_output=True, text=True,
                         check=True).stdout
    lines = [x for x in out.splitlines() if "python -m stages." in x]
    train = [x for x in lines if "train_drnet --variant demo --dataset mnist" in x]
    assert len(train) == 1 and "--set demo.mnist.train.steps=7" in train[0]
    # the MNIST figures, the generation, the prediction table, the leakage table and the report stamp their scale
    # (steps) on themselves
    stamps = [x for x in lines if re.search(r"stages\.(paper_report|leakage|generate .*mnist|figures .*/mnist/|"
                                            r"prediction .*--dataset mnist)", x)]
    assert len(stamps) == 5 and all("--set demo.mnist.train.steps=7" in x for x in stamps)
    assert not any("--set " in x for x in lines if x not in train + stamps)


def test_cluster_profile_sends_every_gpu_rule_to_the_gpu_partition(repo_root):
    """Under the SLURM profile, the rules whose stage asks for a GPU (the ten paper training rules) run in the GPU
    partition (their own resource), every other rule in the profile's default partition."""
    gpu_rules = {j.name for j in jobs() if smk.resources(j).get("slurm_partition") == GPU_PARTITION}
    assert gpu_rules == {j.name for j in jobs() if j.stage.gpu and j.variant == "paper"} and len(gpu_rules) == 10
    profile = yaml.safe_load((repo_root / "profiles/slurm/config.yaml").read_text())
    assert profile["default-resources"]["slurm_partition"] == CPU_PARTITION != GPU_PARTITION
    out = subprocess.run([*SNAKEMAKE, "-n", "--forceall", "--profile", "profiles/slurm", "results/kth_inception.csv"],
                         cwd=repo_root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    partition = dict(re.findall(r"^rule (\w+):\n(?:(?!^rule ).*\n)*?\s+resources: .*slurm_partition=(\w+)", out.stdout,
                                re.M))
    assert {"kth_train", "kth_ae", "kth_inception"} <= set(partition)
    assert all((value == GPU_PARTITION) == (name in gpu_rules) for name, value in partition.items()), partition


def test_headline_target_runs_the_whole_kth_chain(repo_root):
    out = subprocess.run([*SNAKEMAKE, "-n", "--forceall", "results/kth_inception.csv"], cwd=repo_root,
                         capture_output=True, text=True, check=True).stdout
    for rule in ("kth_download", "kth_build", "kth_train", "kth_lstm", "kth_ae", "kth_ae_lstm", "kth_classifier",
                 "kth_inception"):
        assert re.search(rf"^{rule}\s+1$", out, re.M), f"{rule} missing from the plan:\n{out[-1500:]}"


def _planned(repo_root, target: str) -> set[str]:
    out = subprocess.run([*SNAKEMAKE, "-n", "--forceall", target], cwd=repo_root, capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"^(proof_\w+)\s+1$", out, re.M))


def test_proof_targets_are_mnist_norb_and_kth_on_one_thread_per_job(repo_root):
    """`snakemake proof` trains MNIST and NORB side by side on a 2-core CPU; `snakemake proof_kth` trains KTH
    (DrNet, its LSTM, the AE-LSTM baseline, the action classifier) in the same proof variant, on its own."""
    planned = _planned(repo_root, "proof")
    assert {"proof_mnist_train", "proof_mnist_lstm", "proof_mnist_disentangle", "proof_norb_train",
            "proof_norb_train_noadv", "proof_norb_classification", "proof_norb_disentangle"} <= planned
    assert not any("kth" in job or "chairs" in job for job in planned)
    planned = _planned(repo_root, "proof_kth")
    assert {"proof_kth_synth", "proof_kth_build", "proof_kth_train", "proof_kth_lstm", "proof_kth_ae",
            "proof_kth_ae_lstm", "proof_kth_classifier", "proof_kth_disentangle", "proof_kth_inception"} <= planned
    assert not any("mnist" in job or "norb" in job or "chairs" in job for job in planned)
    proof_jobs = [j for j in jobs() if j.variant == "proof"]
    assert proof_jobs and all(j.threads == 1 or "--threads" in j.stage.args for j in proof_jobs)
    assert all(j.path("{d}").startswith("data/proof") for j in proof_jobs)


def test_demo_jobs_take_one_thread_so_two_run_side_by_side():
    """`make demo` on 2 cores: every job but the ones that fan out their own processes claims one thread (two
    claiming both cores ran the whole demo one job at a time); paper jobs keep the threads their stage asks."""
    demo = {j.stage.name: j.threads for j in jobs() if j.variant == "demo"}
    fan_out = {"kth_build", "chairs_build"}
    assert fan_out <= set(demo) and all(demo[name] == 2 for name in fan_out)
    assert {"mnist_train", "kth_train", "norb_train"} <= set(demo)
    assert all(threads == 1 for name, threads in demo.items() if name not in fan_out)
    paper = {j.stage.name: j.threads for j in jobs() if j.variant == "paper"}
    assert paper["mnist_train"] == 2


def test_editing_params_yaml_reruns_exactly_the_rules_that_read_it(repo_root, tmp_path):
    """Snakemake front door: a job made under other params.yaml values re-runs (its `values` param, the digest of
    the keys its stage reads for its variant, changed); an edit to a key it does not read leaves it done."""
    import shutil

    for name in ("Snakefile", "params.yaml"):
        shutil.copy2(repo_root / name, tmp_path / name)
    for name in ("workflow", "stages", "drnet"):
        shutil.copytree(repo_root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    target = "data/proof/processed/mnist/train.h5"
    subprocess.run([*SNAKEMAKE, "--cores", "1", target], cwd=tmp_path, capture_output=True, text=True, check=True)

    def plan(edit=None):
        if edit:
            params = yaml.safe_load((tmp_path / "params.yaml").read_text())
            edit(params)
            (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        return subprocess.run([*SNAKEMAKE, "-n", "--cores", "1", target], cwd=tmp_path, capture_output=True,
                              text=True, check=True).stdout

    assert "Nothing to be done" in plan()
    assert "Nothing to be done" in plan(lambda p: p["proof"]["mnist"]["disentangle"].update(n_pairs=7))
    assert "Nothing to be done" in plan(lambda p: p["demo"]["mnist"]["data"].update(test_sequences=9))
    out = plan(lambda p: p["proof"]["mnist"]["data"].update(test_sequences=9))
    assert "proof_mnist_build" in out and "Params have changed" in out


def test_yte_params_file_executes_nothing(repo_root, tmp_path):
    """Snakemake's `configfile:` reads YAML through yte, which evaluates `?expr` values when the file says
    `__use_yte__: true`; params.yaml is read with the safe loader instead, so a dry run runs no code."""
    text = (repo_root / "params.yaml").read_text().replace(
        "seed: 0", "seed: ?__import__('pathlib').Path('PWNED').write_text('ran') and 0")
    (tmp_path / "params.yaml").write_text("__use_yte__: true\n" + text)
    out = subprocess.run([*SNAKEMAKE, "-n", "--snakefile", str(repo_root / "Snakefile"), "--directory", str(tmp_path),
                          "demo"], cwd=tmp_path, capture_output=True, text=True)
    assert not (tmp_path / "PWNED").exists(), "params.yaml ran code"
    assert out.returncode != 0
    assert "error: params.yaml (with --config): unknown section '__use_yte__'" in out.stderr


def test_report_captions_are_per_output_and_mark_the_demo(repo_root):
    """Every reported output of every rule has its own caption file (written when Snakemake parses the workflow,
    into a git-ignored folder); demo captions say SYNTHETIC; the paper index page is in the report."""
    write_captions()
    reported = {}
    for job in jobs():
        marked = smk.outputs(job, directory=lambda path: ("directory", path),
                             report=lambda path, **how: ("report", path, how["caption"]))
        reported.update({m[1]: m[2] for m in marked.values() if isinstance(m, tuple) and m[0] == "report"})
    captions = list(reported.values())
    assert len(captions) == len(set(captions)) > 40, "one caption file per reported output"
    assert {p.name for p in CAPTION_DIR.glob("*.rst")} == {c.split("/")[-1] for c in captions}, "no stale caption"
    for caption in captions:
        text = (repo_root / "workflow" / caption).read_text()
        assert ("SYNTHETIC" in text) == caption.startswith("report/outputs/demo_"), caption
    assert "results/paper_report.html" in reported, "the paper index is in the Snakemake report"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(CAPTION_DIR / "x.rst")], cwd=repo_root)
    assert ignored.returncode == 0, "captions are generated, not kept in git"


class _Parsed(Exception):
    """Raised in place of running a stage once its parser has accepted the arguments."""


def test_every_stage_parser_accepts_exactly_its_registry_command(monkeypatch):
    """A stage's flags are declared in its argparse parser and in its registry entry: for every job, the stage's
    own parser accepts the command both front doors run (no unknown flag, no required flag missing). Only the
    parser runs, not the stage."""
    import argparse
    import importlib

    real_parse = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        self.allow_abbrev = False  # a registry flag must be the parser's own spelling, not a prefix of it
        raise _Parsed(real_parse(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    for job in jobs():
        argv = job.command().split()[3:]  # after `python -m MODULE`
        stage = importlib.import_module(job.stage.module)
        try:
            stage.main(argv)
        except _Parsed:
            continue
        except SystemExit as exc:
            raise AssertionError(f"{job.name}: {job.stage.module}'s parser refuses the registry's command "
                                 f"(see stderr above): {' '.join(argv)}") from exc
        raise AssertionError(f"{job.name}: {job.stage.module} never parsed its arguments")


def test_a_configfile_that_is_not_plain_yaml_is_refused(repo_root, tmp_path):
    """Snakemake reads --configfile through yte (a `__use_yte__: true` file's `?` values run as Python) before the
    workflow starts; such a file, or one with aliases, is refused before any job is planned."""
    for name, text, message in [
            ("yte.yaml", "__use_yte__: true\nseed: ?1 + 1\n", "is a yte template (__use_yte__)"),
            ("alias.yaml", "seed: &s 3\nmnist: {train: {steps: *s}}\n", "uses a YAML alias (alias *s) at line 2")]:
        (tmp_path / name).write_text(text)
        out = subprocess.run([*SNAKEMAKE, "-n", "demo", "--configfile", str(tmp_path / name)], cwd=repo_root,
                             capture_output=True, text=True)
        assert out.returncode != 0 and f"error: --configfile {tmp_path / name} {message}" in out.stderr, out.stderr
        assert "Job stats" not in out.stdout


def _leaves(tree: dict, prefix: str = ""):
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_every_params_key_is_read_by_a_stage(repo_root):
    """Every key of params.yaml (overlays included) is a declared param of some stage, so that `dvc exp run -S`
    on any key re-runs what reads it (DVC runs nothing for a key no stage declares: the value would be dropped)."""
    from drnet.params import load_raw

    raw = load_raw(repo_root / "params.yaml")
    declared = {key for job in jobs() for key in job.params(raw)}
    unread = [leaf for leaf in _leaves(raw) if not any(leaf == k or leaf.startswith(k + ".") for k in declared)]
    assert not unread, f"params.yaml keys no stage declares: {unread}"


def test_config_value_no_stage_reads_is_refused(repo_root):
    from drnet.errors import DrnetError
    from stages.dag.support import check_overrides_reach, merged_config, overrides

    path = str(repo_root / "params.yaml")
    keys = sorted({key for job in jobs() for key in job.stage.params})
    config = merged_config({"runtime": {"precision": "fp32"}}, path)
    check_overrides_reach(config, keys, path)  # read by the training stages now
    train = next(job.stage for job in jobs() if job.name == "mnist_train")
    assert overrides(config, train.params, path) == "--set runtime.precision=fp32"
    figures = next(job.stage for job in jobs() if job.name == "mnist_figures")
    assert overrides(config, figures.params, path) == ""  # read by training, not by the figures
    for value, message in (({"runtime": {"precision": "fp32"}}, "--config sets runtime.precision, which no stage "
                            "reads"), ({"mnist": {"train": {"stepz": "3"}}}, "unknown key mnist.train.stepz")):
        with pytest.raises(DrnetError, match=message):
            check_overrides_reach(merged_config(value, path), [k for k in keys if k != "runtime"], path)
    check_overrides_reach(merged_config({"seed": "0"}, path), [], path)  # the value params.yaml has: no change


def test_snakemake_passes_runtime_config_to_the_training_rules(repo_root):
    out = subprocess.run([*SNAKEMAKE, "-n", "-p", "--forceall", "proof", "--config", "runtime={precision: fp32}"],
                         cwd=repo_root, capture_output=True, text=True, check=True).stdout
    lines = [x for x in out.splitlines() if "python -m stages." in x]
    training = [x for x in lines if "stages.train_" in x]
    assert training and all("--set runtime.precision=fp32" in x for x in training)
    assert not any("--set " in x for x in lines if x not in training)


def test_stages_that_stamp_their_scale_declare_the_paper_keys(repo_root):
    """A figure's or table's scale stamp reads the paper's training steps and width from params.yaml
    (drnet.report.scale.paper_section): every stage that stamps declares them, so that an edit of those values
    re-runs it (a demo figure would keep saying "paper 120000" after the paper value changed)."""
    from stages.dag.registry import DATASETS, scale_keys

    stamping = {job.stage.module for job in jobs()
                if re.search(r"\b(paper_section|leakage_stamp)\(|paper=load_params",
                             (repo_root / (job.stage.module.replace(".", "/") + ".py")).read_text())}
    assert stamping == {"stages.figures", "stages.generate", "stages.kth_inception", "stages.kth_fewshot",
                        "stages.norb_classification", "stages.leakage", "stages.paper_report", "stages.prediction"}
    for job in jobs():
        if job.stage.module in stamping:
            args = job.stage.args
            datasets = [args[args.index("--dataset") + 1]] if "--dataset" in args else \
                [ds for ds in DATASETS if job.stage.name.startswith(ds + "_")] or list(DATASETS)
            assert set(scale_keys(*datasets)) <= set(job.stage.params), job.name
