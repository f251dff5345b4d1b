"""A training run cut between two checkpoints and resumed ends with the same weights, optimiser
state and training curve, bit for bit, as the run that was never cut (plain script; exits
non-zero on failure).

    /usr/bin/python3 training/test_resume.py [--attention masked]
"""

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

from training.kmax_ref import ATTENTION_MODES  # noqa: E402
from training.train.blas import blas_core  # noqa: E402
from training.train.loop import Run, load_config  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 6
CUT_AT = 5  # the step that never finishes: the last checkpoint is at step 4


class Cut(Exception):
    pass


def short_config(attention: str) -> dict:
    config = load_config(os.path.join(HERE, "configs", "demo.json"))
    config.update(steps=STEPS, checkpoint_every=2, eval_every=3, eval_images=4, attention=attention)
    config["schedule"]["warmup_steps"] = 2
    return config


def states_equal(a: dict, b: dict, what: str) -> list:
    if a.keys() != b.keys():
        return [f"{what}: different keys"]
    return [f"{what}.{k}" for k in a if not torch.equal(a[k], b[k])]


def recalibration_attention(config: dict) -> list:
    """The final BatchNorm recalibration runs the network with the run's attention (it ran
    argmax for every run once, which left a softmax-trained model at PQ 27.8 with softmax)."""
    with tempfile.TemporaryDirectory() as run_dir:
        run = Run(config, run_dir, "cpu")
        seen = []
        forward = run.model.forward
        run.model.forward = lambda images, attention="kmeans": (seen.append(attention), forward(images, attention))[1]
        run.recalibrate_batch_norm(1)
    return [] if seen == [config["attention"]] else [f"batch-norm recalibration ran {seen}, not {config['attention']}"]


def resume_on_other_kernels(config: dict) -> list:
    """A checkpoint records the OpenBLAS kernels it was trained with; resuming on others (which
    round differently) is refused, naming the OPENBLAS_CORETYPE that resumes it."""
    with tempfile.TemporaryDirectory() as run_dir:
        run = Run(dict(config, steps=2), run_dir, "cpu")
        run.train()
        path = os.path.join(run_dir, "last.pt")
        state = torch.load(path)
        if state.get("blas_core") != blas_core():
            return [f"last.pt records blas_core {state.get('blas_core')!r}, this process has {blas_core()!r}"]
        state["blas_core"] = "Atom"
        torch.save(state, path)
        try:
            Run(config, run_dir, "cpu")
        except ValueError as error:
            return [] if "OPENBLAS_CORETYPE=Atom" in str(error) else [f"unhelpful refusal: {error}"]
        return ["a checkpoint of other OpenBLAS kernels was resumed"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attention", choices=ATTENTION_MODES, default="masked")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = short_config(args.attention)
    with tempfile.TemporaryDirectory() as whole_dir, tempfile.TemporaryDirectory() as cut_dir:
        whole = Run(config, whole_dir, "cpu")
        whole.train()

        cut = Run(config, cut_dir, "cpu")
        step = cut.train_step

        def dies_at_cut(images, targets):
            if cut.step == CUT_AT - 1:
                raise Cut()
            return step(images, targets)

        cut.train_step = dies_at_cut
        try:
            cut.train()
            print("FAIL: the cut never happened")
            return 1
        except Cut:
            pass
        resumed = Run(config, cut_dir, "cpu")
        if resumed.step != 4:
            print(f"FAIL: resumed at step {resumed.step}, expected the checkpoint of step 4")
            return 1
        resumed.train()

        failures = states_equal(whole.model.state_dict(), resumed.model.state_dict(), "model")
        opt_a, opt_b = whole.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
        for index in opt_a:
            failures += states_equal(opt_a[index], opt_b[index], f"optimizer[{index}]")
        with open(os.path.join(whole_dir, "curve.json")) as f:
            curve_a = json.load(f)
        with open(os.path.join(cut_dir, "curve.json")) as f:
            curve_b = json.load(f)
        if curve_a != curve_b or [p["step"] for p in curve_a["points"]] != [3, 6]:
            failures.append(f"curve: {curve_a} != {curve_b}")
    failures += recalibration_attention(config)
    failures += resume_on_other_kernels(config)
    if failures:
        print(f"FAIL: {len(failures)} differences, first {failures[:5]}")
        return 1
    print(f"OK: {args.attention} run cut at step {CUT_AT} and resumed from step 4 equals the uncut run "
          f"({len(whole.model.state_dict())} tensors, optimiser state, curve); its BatchNorm recalibration ran {args.attention}; "
          f"a checkpoint of other OpenBLAS kernels than {blas_core()}'s is refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
