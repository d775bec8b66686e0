"""How a transformer runs: ONNX Runtime on CPU by default, int8 only where the probe says it pays, fp32 rechecks,
the ONNX copy cached beside the model folder (checked, rebuilt when damaged or stale, in the user's cache when the
folder cannot be written), every path agreeing with torch fp32 within the recheck rule."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stancekit.errors import ConfigError
from stancekit.margins import top_two_margins
from stancekit.models import DEFAULT_RECHECK_MARGIN, InferenceOptions, load_model
from stancekit.models import onnx_cache, onnx_runtime
from stancekit.models.recheck import RecheckedClassifier
from stancekit.models.runtime import INT8_PAYS, describe, output_runtime
from stancekit.records import Sentence

TORCH_FP32 = InferenceOptions(device="cpu", precision="fp32", backend="torch")


@pytest.fixture(scope="module")
def seed_mentions(seed_text: str, seed_actors_path) -> list[Sentence]:
    from stancekit.actors import ActorDictionary, DictionaryMatcher
    from stancekit.pipeline import iter_sentences
    from stancekit.records import Document

    matcher = DictionaryMatcher(ActorDictionary.load(seed_actors_path))
    return [s for s in iter_sentences([Document(id="seed", text=seed_text)], matcher=matcher) if s.mentions]


@pytest.fixture(scope="module")
def reference(tiny_stance_model_dir, seed_mentions) -> list[np.ndarray]:
    """torch fp32 probabilities of the seed's mentions: what every path is held to."""
    return load_model(tiny_stance_model_dir, TORCH_FP32).mention_probabilities(seed_mentions)


@pytest.fixture
def model_copy(tiny_stance_model_dir, tmp_path) -> Path:
    """A private copy of the tiny model folder (its cache may be damaged at will)."""
    copy = tmp_path / "model"
    shutil.copytree(tiny_stance_model_dir, copy, ignore=shutil.ignore_patterns(onnx_cache.CACHE_FOLDER))
    return copy


def cache_folder(model: Path) -> Path:
    (folder,) = (model / onnx_cache.CACHE_FOLDER).glob("onnx-*")
    return folder


def probe_says(monkeypatch, speedup: float) -> None:
    """Stand in for the probe's measurement (a CPU with or without fast int8 cannot be had on demand)."""
    monkeypatch.setattr(onnx_runtime, "remembered_speedup", lambda cache: (speedup, False))


def test_defaults_run_onnxruntime_and_say_how(tiny_stance_model_dir) -> None:
    model = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu"))
    runtime = model.runtime
    assert runtime["backend"] == "onnxruntime" and runtime["precision"] in ("fp32", "int8")
    assert json.loads(json.dumps(runtime)) == runtime and runtime["threads"] >= 1
    # the choice follows the probe's own figure, printed in chosen_by
    speedup = float(re.search(r"probe (?:only )?([\d.]+)x", runtime["chosen_by"]).group(1))
    record = json.loads((Path(runtime["cache"]) / onnx_runtime.PROBE_RECORD).read_text())
    assert record["cpu"] == onnx_runtime.cpu_identity() and abs(record["speedup"] - speedup) <= 0.051
    assert runtime["precision"] == ("int8" if speedup >= INT8_PAYS else "fp32")
    assert isinstance(model, RecheckedClassifier) == (runtime["precision"] == "int8")
    assert output_runtime(runtime) == {k: runtime[k] for k in ("backend", "precision", "recheck_margin", "version")}
    assert "onnxruntime" in describe(model) and str(tiny_stance_model_dir) in describe(model)


@pytest.mark.parametrize("speedup, precision", [(INT8_PAYS + 1.5, "int8"), (INT8_PAYS - 0.4, "fp32"), (0.05, "fp32")])
def test_auto_takes_int8_only_where_the_probe_says_it_pays(tiny_stance_model_dir, monkeypatch, speedup,
                                                            precision) -> None:
    probe_says(monkeypatch, speedup)
    model = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu"))
    assert model.runtime["precision"] == precision and model.runtime["chosen_by"].startswith("auto: int8 probe")
    assert f"{speedup:.1f}x" in model.runtime["chosen_by"]
    assert model.runtime["recheck_margin"] == (DEFAULT_RECHECK_MARGIN if precision == "int8" else 0.0)


def test_forced_precisions_still_work_on_both_backends(tiny_stance_model_dir, monkeypatch, capsys, seed_mentions,
                                                       reference) -> None:
    probe_says(monkeypatch, 0.5)  # int8 asked for on a CPU where it is slower: done, with a warning
    int8 = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8", recheck_margin=0))
    assert int8.runtime["precision"] == "int8" and int8.name.endswith("+int8")
    assert "slower than fp32" in capsys.readouterr().err
    fp32 = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="fp32"))
    assert fp32.runtime == {**fp32.runtime, "backend": "onnxruntime", "precision": "fp32",
                            "chosen_by": "--precision fp32", "recheck_margin": 0.0}
    torch_int8 = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8", backend="torch"))
    assert torch_int8.runtime["backend"] == "torch" and torch_int8.runtime["precision"] == "int8"
    for model, tolerance in ((fp32, 1e-5), (int8, 0.05)):
        got = model.mention_probabilities(seed_mentions)
        assert max(np.abs(a - b).max() for a, b in zip(got, reference)) < tolerance


def test_every_path_agrees_with_torch_fp32_within_the_recheck_rule(tiny_stance_model_dir, seed_mentions,
                                                                    reference) -> None:
    """A sentence whose int8 margin is below the recheck margin gets fp32's scores; the others keep int8's, whose
    error is far below the margin, so every label is fp32's."""
    alone = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8", recheck_margin=0))
    approx = alone.mention_probabilities(seed_mentions)
    error = max(np.abs(a - b).max() for a, b in zip(approx, reference))
    assert 0 < error < 0.05  # int8 is not fp32, but close
    least_sure = np.array([top_two_margins(p).min() for p in approx])
    margin = float(np.median(least_sure))  # half the sentences redone: both branches of the rule are exercised
    checked = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8",
                                                                 recheck_margin=margin))
    got = checked.mention_probabilities(seed_mentions)
    redone = least_sure < margin
    assert 0 < redone.sum() < len(seed_mentions) and checked.rechecked == redone.sum()
    for g, ref, fast, redo, sure in zip(got, reference, approx, redone, least_sure):
        np.testing.assert_allclose(g, ref if redo else fast, rtol=0, atol=1e-5)
        if sure >= 2 * error:  # kept int8 scores whose margin exceeds twice int8's error: fp32's labels
            assert (g.argmax(1) == ref.argmax(1)).all()
    everything = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8",
                                                                    recheck_margin=1.0))
    labels = [[max(d, key=d.get) for d in s] for s in everything.predict_stance(seed_mentions)]
    assert labels == [[checked.labels[i] for i in p.argmax(1)] for p in reference]


def test_a_sentences_int8_scores_do_not_depend_on_its_batch(tiny_stance_model_dir, seed_mentions) -> None:
    """Per-token scales: a loud, long neighbour in the batch leaves a sentence's scores alone (per-tensor
    dynamic quantization changes them by ~1e-2)."""
    model = load_model(tiny_stance_model_dir, InferenceOptions(device="cpu", precision="int8", recheck_margin=0))
    short = min(seed_mentions, key=lambda s: len(s.text))
    longest = max(seed_mentions, key=lambda s: len(s.text))
    loud = Sentence("loud", 0, 0, 0, ("WAR!!! " * 30) + longest.text,
                    tuple(m.__class__(m.actor, m.start + 7 * 30, m.end + 7 * 30, m.text) for m in longest.mentions))
    alone = model.mention_probabilities([short])[0]
    together = model.mention_probabilities([loud, short, *seed_mentions[:5]])[1]
    np.testing.assert_allclose(alone, together, rtol=0, atol=2e-5)


def test_the_onnx_copy_is_checked_and_rebuilt_when_damaged_or_stale(model_copy, capsys, seed_mentions,
                                                                     reference) -> None:
    options = InferenceOptions(device="cpu", precision="int8", recheck_margin=0)
    first = load_model(model_copy, options).mention_probabilities(seed_mentions)
    folder = cache_folder(model_copy)
    meta = json.loads((folder / onnx_cache.META).read_text())
    assert meta["max_abs_difference"]["fp32.onnx"] <= onnx_runtime.FP32_TOLERANCE
    assert set(meta["files"]) == set(onnx_cache.FILES) and meta["recipe"] == onnx_cache.RECIPE
    capsys.readouterr()

    def damage_and_reload(damage, expected_note: str) -> None:
        damage()
        again = load_model(model_copy, options)
        assert expected_note in capsys.readouterr().err
        assert again.runtime["cache"] == str(folder)
        for a, b in zip(again.mention_probabilities(seed_mentions), first):
            np.testing.assert_array_equal(a, b)
        assert onnx_cache.check(folder, again.manifest)[0] is not None

    int8 = folder / onnx_cache.INT8
    damage_and_reload(lambda: int8.write_bytes(int8.read_bytes()[:1000]), "int8.onnx is missing or cut short")
    data = bytearray((folder / onnx_cache.FP32).read_bytes())
    data[len(data) // 2] ^= 0xFF
    damage_and_reload(lambda: (folder / onnx_cache.FP32).write_bytes(bytes(data)), "fp32.onnx is altered")
    stale = {**json.loads((folder / onnx_cache.META).read_text()), "model_key": "0" * 64}
    damage_and_reload(lambda: (folder / onnx_cache.META).write_text(json.dumps(stale)), "built from another model")
    damage_and_reload(lambda: (folder / onnx_cache.META).write_text("{not json"), "onnx.json is unreadable")
    # a copy from an older recipe (or of the folder before it was retrained) is removed when the new one is built
    older = folder.with_name("onnx-0123456789abcdef-r0")
    shutil.copytree(folder, older)
    shutil.rmtree(folder)
    load_model(model_copy, options)
    assert not older.exists() and cache_folder(model_copy) == folder


def test_a_read_only_model_folder_caches_in_the_users_cache(model_copy, tmp_path, monkeypatch) -> None:
    user_cache = tmp_path / "user-cache"
    monkeypatch.setenv("STANCEKIT_CACHE_DIR", str(user_cache))
    if os.geteuid() == 0:  # root writes through permission bits: refuse the model folder's cache the way a
        real_mkdir = Path.mkdir  # read-only mount would

        def mkdir(self, *args, **kwargs):
            if self == model_copy / onnx_cache.CACHE_FOLDER:
                raise PermissionError(13, "Permission denied", str(self))
            return real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", mkdir)
    else:
        model_copy.chmod(0o555)
    try:
        model = load_model(model_copy, InferenceOptions(device="cpu", precision="fp32"))
    finally:
        model_copy.chmod(0o755)
    assert model.runtime["backend"] == "onnxruntime"
    assert Path(model.runtime["cache"]).parent == user_cache and not (model_copy / onnx_cache.CACHE_FOLDER).exists()


def test_an_export_that_fails_its_check_falls_back_to_torch(model_copy, monkeypatch, capsys) -> None:
    monkeypatch.setattr(onnx_runtime, "INT8_TOLERANCE", 0.0)  # int8 always changes something: the check fails
    model = load_model(model_copy, InferenceOptions(device="cpu", precision="fp32"))
    assert model.runtime["backend"] == "torch"
    assert "runs on torch, not ONNX Runtime" in capsys.readouterr().err
    assert not list((model_copy / onnx_cache.CACHE_FOLDER).glob("*"))  # nothing half-built is left
    with pytest.raises(ConfigError, match="--backend onnxruntime cannot run"):
        load_model(model_copy, InferenceOptions(device="cpu", backend="onnxruntime"))


def test_a_cached_model_loads_without_torch_or_transformers(tiny_stance_model_dir) -> None:
    load_model(tiny_stance_model_dir, InferenceOptions(device="cpu"))  # the copy exists
    code = ("import sys; from stancekit.models import load_model; "
            f"m = load_model({str(tiny_stance_model_dir)!r}); "
            "print(m.runtime['backend'], 'torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["onnxruntime", "False", "False"], out.stderr


def test_baseline_and_gpu_refusals(baseline_stance_model_dir) -> None:
    model = load_model(baseline_stance_model_dir)
    assert model.runtime["backend"] == "scikit-learn" and model.runtime["precision"] == "fp32"
    with pytest.raises(ConfigError, match="baseline model; --backend onnxruntime applies to transformer"):
        load_model(baseline_stance_model_dir, InferenceOptions(backend="onnxruntime"))
    with pytest.raises(ConfigError, match="--backend must be one of auto, onnxruntime, torch"):
        InferenceOptions(backend="tensorrt")


def test_batches_keep_to_a_token_budget() -> None:
    from stancekit.batching import cut_batches

    lengths = [10, 10, 20, 20, 30, 90]
    batches = cut_batches(range(6), [1] * 6, 64, lengths=lengths, token_budget=40)
    assert batches == [[0, 1], [2, 3], [4], [5]]  # rows x longest row <= 40; a longer row alone
    assert all(len(b) * max(lengths[i] for i in b) <= 40 or len(b) == 1 for b in batches)
    assert cut_batches(range(6), [1] * 6, 4) == [[0, 1, 2, 3], [4, 5]]  # without a budget: items only
    assert cut_batches(range(3), [3, 3, 3], 4, lengths=[1, 1, 1], token_budget=100) == [[0], [1], [2]]


def test_the_probe_is_measured_once_per_cpu(model_copy, monkeypatch) -> None:
    """Every run on a machine makes the same choice: the probe's figure is kept beside the ONNX copy; another
    CPU (a copied model folder) measures again."""
    options = InferenceOptions(device="cpu")
    first = load_model(model_copy, options).runtime
    record = Path(first["cache"]) / onnx_runtime.PROBE_RECORD
    saved = json.loads(record.read_text())
    measured = []
    monkeypatch.setattr(onnx_runtime, "int8_speedup", lambda cache: measured.append(1) or 9.0)
    again = load_model(model_copy, options).runtime
    assert again["chosen_by"].endswith("(probed once on this CPU)") and not measured
    assert again["precision"] == first["precision"]
    record.write_text(json.dumps({**saved, "cpu": "another-cpu"}))
    elsewhere = load_model(model_copy, options).runtime
    assert measured == [1] and elsewhere["precision"] == "int8" and "9.0x" in elsewhere["chosen_by"]
    assert json.loads(record.read_text()) == {"cpu": onnx_runtime.cpu_identity(), "speedup": 9.0}


def test_batches_run_on_several_threads_in_order_and_never_nested() -> None:
    """map_batches: results (and the first error) as a loop gives them; the work really runs on other threads
    at once; a call from inside one of its threads stays in that thread (no oversubscribed cores)."""
    import threading
    import time

    from stancekit.batching import map_batches

    seen: dict[int, str] = {}
    running, peak = [0], [0]
    lock = threading.Lock()

    def work(i: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        seen[i] = threading.current_thread().name
        if seen[i] != "MainThread":
            inner = map_batches(lambda j: threading.current_thread().name, range(3), 4)
            assert set(inner) == {seen[i]}  # nested: in the caller's thread
        with lock:
            running[0] -= 1
        return i * i

    assert map_batches(work, range(12), 3) == [i * i for i in range(12)]
    assert peak[0] == 3 and all(name.startswith("stancekit-batches") for name in seen.values())
    seen.clear()
    assert map_batches(work, range(4), 1) == [0, 1, 4, 9] and set(seen.values()) == {"MainThread"}

    def fails(i: int) -> int:
        if i in (5, 7):
            raise ValueError(f"batch {i}")
        return i

    with pytest.raises(ValueError, match="batch 5"):
        map_batches(fails, range(10), 2)


def test_onnx_models_score_batches_in_parallel_with_the_same_bytes(tiny_stance_model_dir, seed_mentions) -> None:
    """An ONNX Runtime model runs one batch per thread, as many at once as --threads: its probabilities are
    those of a one-thread run exactly, and the tag engine takes the same count."""
    from stancekit.models import runtime
    from stancekit.tagging import LocalEngine, Models

    options = InferenceOptions(device="cpu", precision="int8", batch_size=4)
    try:
        runtime.set_threads(1)
        one = load_model(tiny_stance_model_dir, options)
        runtime.set_threads(2)
        two = load_model(tiny_stance_model_dir, options)
    finally:
        runtime.set_threads(None)
    assert (one.parallel_batches, two.parallel_batches, two.runtime["threads"]) == (1, 2, 2)
    assert LocalEngine(Models(stance=two)).workers == 2 and LocalEngine(Models(stance=one)).workers == 1
    many = seed_mentions * 4  # several batches of 4 mentions
    for a, b in zip(one.mention_probabilities(many), two.mention_probabilities(many)):
        np.testing.assert_array_equal(a, b)
    assert load_model(tiny_stance_model_dir, TORCH_FP32).parallel_batches == 1  # torch splits each batch itself
