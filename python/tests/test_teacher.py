"""jepasnn.Teacher: bitwise the CLI's teacher, its checkpoints both ways, progress, Ctrl-C and
bad configs."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import jepasnn
from conftest import SMALL_TEACHER, cli

SMALL = SMALL_TEACHER


@pytest.fixture(scope="module")
def fitted(small_cohort):
    return jepasnn.Teacher(**SMALL).fit(small_cohort, progress=False)


def test_fit_is_bitwise_the_clis_teacher(small_cohort, fitted, tmp_path):
    config = {**SMALL, "data": {**SMALL["data"], "cohort": str(small_cohort.directory)},
              "output": str(tmp_path / "run")}
    (tmp_path / "teacher.json").write_text(json.dumps(config))
    subprocess.run([cli(), "train-teacher", "--config", str(tmp_path / "teacher.json"),
                    "--latents", "--quiet"], check=True, capture_output=True)
    run = tmp_path / "run"
    assert json.loads((run / "metrics.json").read_text()) == fitted.metrics_
    np.testing.assert_array_equal(jepasnn.Teacher.load(run / "teacher.ckpt").parameters_,
                                  fitted.parameters_)
    assert sorted(fitted.latents_) == ["session_000", "session_001", "session_002"]
    for name, z in fitted.latents_.items():
        np.testing.assert_array_equal(np.load(run / f"latents_{name}.npy"), z)


def test_saved_teacher_embeds_as_the_cli_does(small_cohort, fitted, tmp_path):
    fitted.save(tmp_path / "teacher.ckpt")
    loaded = jepasnn.Teacher.load(tmp_path / "teacher.ckpt")
    np.testing.assert_array_equal(loaded.parameters_, fitted.parameters_)
    held_out = small_cohort.sessions[2]
    z = loaded.transform(held_out, progress=False)
    np.testing.assert_array_equal(z, fitted.latents_["session_002"])
    np.testing.assert_array_equal(fitted.transform(jepasnn.Session(small_cohort.sessions[0])),
                                  fitted.latents_["session_000"])
    subprocess.run([cli(), "embed", str(tmp_path / "teacher.ckpt"), str(held_out), "--out",
                    str(tmp_path / "z.npy")], check=True, capture_output=True)
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), z)


def test_progress_reaches_the_callback_and_its_exception_stops_the_run(small_cohort, tmp_path):
    seen = []
    jepasnn.Teacher(**SMALL).fit(small_cohort, progress=lambda *a: seen.append(a),
                                 keep_latents=False)
    steps = [done for label, done, total, _ in seen if label == "train-teacher"]
    assert steps[-1] == SMALL["train"]["steps"] and steps == sorted(steps)

    class Stop(Exception):
        pass

    def stop_at_10(label, done, total, status):
        if done == 10:
            raise Stop(label)

    checkpoint = tmp_path / "train.ckpt"
    config = {**SMALL, "train": {**SMALL["train"], "checkpoint": str(checkpoint)}}
    with pytest.raises(Stop, match="train-teacher"):
        jepasnn.Teacher(**config).fit(small_cohort, progress=stop_at_10)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_interrupts_training_promptly(small_cohort, tmp_path):
    script = textwrap.dedent(f"""
        import json, os, signal, threading, time, jepasnn
        config = json.loads({json.dumps(json.dumps(SMALL))})
        config["train"]["steps"] = 10**7
        threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
        start = time.monotonic()
        try:
            jepasnn.Teacher(**config).fit({str(small_cohort.directory)!r}, progress=False)
        except KeyboardInterrupt:
            print("interrupted after", round(time.monotonic() - start, 1), "s")
    """)
    package_root = os.path.dirname(os.path.dirname(jepasnn.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("interrupted after"), out.stdout + out.stderr
    assert float(out.stdout.split()[2]) < 60
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("config, message", [
    ({"encoder": "transformer"}, "encoder is 'transformer'"),
    ({"train": {"steps": 10, "stepz": 3}}, "stepz"),
    ({"model": {"hidden": -1}}, "hidden"),
])
def test_bad_configs_raise_value_errors(small_cohort, config, message):
    with pytest.raises(ValueError, match=message):
        jepasnn.Teacher(**{**SMALL, **config}).fit(small_cohort, progress=False)


def test_unfitted_missing_and_foreign_checkpoints(tmp_path, vbn_like_small):
    with pytest.raises(RuntimeError, match="not fitted"):
        jepasnn.Teacher().transform(vbn_like_small)
    with pytest.raises(FileNotFoundError, match="absent.ckpt"):
        jepasnn.Teacher.load(tmp_path / "absent.ckpt")
    with pytest.raises(ValueError, match="vbn_like_small"):
        jepasnn.Teacher.load(vbn_like_small)
    with pytest.raises(FileNotFoundError, match="absent.nwb"):
        jepasnn.Teacher(**SMALL).fit([tmp_path / "absent.nwb"], progress=False)
