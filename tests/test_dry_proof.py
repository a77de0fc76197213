"""The dry proof's pieces: which jobs a target runs, the --config that cuts their steps, and the schedule."""

import json

from benchmarks.dry_proof import critical_path, dependencies, dry_overrides, schedule, steps_key, target_jobs
from drnet.params import load_params


def test_proof_target_runs_its_training_jobs_and_nothing_of_other_targets():
    names = {j.name for j in target_jobs("proof")}
    assert {"proof_mnist_train", "proof_mnist_lstm", "proof_norb_train", "proof_norb_train_noadv",
            "proof_mnist_build", "proof_norb_classification"} <= names
    assert not any("kth" in n for n in names)
    kth = {j.name for j in target_jobs("proof_kth")}
    assert {"proof_kth_train", "proof_kth_ae", "proof_kth_lstm", "proof_kth_ae_lstm", "proof_kth_inception"} <= kth


def test_dry_overrides_cut_exactly_the_training_steps_and_are_valid_params():
    jobs = target_jobs("proof")
    overlay, steps = dry_overrides(jobs, "proof", 0.02)
    assert steps[("mnist", "train")] == {"full": 40000, "dry": 800}
    assert steps[("norb", "train")]["dry"] == 120 and ("mnist", "lstm") in steps
    assert {steps_key(j) for j in jobs if steps_key(j)} == set(steps)
    params = load_params(variant="proof", overrides=[f"proof.{ds}.{sec}.{k}={v}" for ds, secs in overlay.items()
                                                     for sec, kv in secs.items() for k, v in kv.items()])
    assert params["mnist"]["train"]["steps"] == 800 and params["mnist"]["train"]["checkpoint_every"] == 800
    json.dumps(overlay)  # what --config receives


def test_schedule_respects_dependencies_and_cores():
    """The list scheduler on abstract job lengths (units, not measured time): a job waits for its inputs and for
    free cores; the makespan is the end of the last job."""
    lengths = {"a": 10, "b": 4, "c": 3, "d": 1}
    deps = {"a": set(), "b": set(), "c": {"b"}, "d": {"a", "c"}}
    threads = dict.fromkeys(lengths, 1)
    assert schedule(lengths, deps, threads, cores=2) == 10 + 1  # a beside b then c; d after a
    assert schedule(lengths, deps, threads, cores=1) == 10 + 4 + 3 + 1  # one after another
    assert schedule(lengths, deps, {**threads, "a": 2}, cores=2) == 10 + 4 + 3 + 1  # a holds both cores
    assert critical_path(lengths, deps) == 10 + 1


def test_proof_dependencies_chain_training_before_evaluation():
    jobs = target_jobs("proof")
    deps = dependencies(jobs)
    assert "proof_mnist_train" in deps["proof_mnist_lstm"] and "proof_mnist_build" in deps["proof_mnist_train"]
