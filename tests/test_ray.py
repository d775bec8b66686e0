"""`--engine ray`: Ray Data actors give the same records as the local engine. Without Ray installed: see
tests/test_install_profiles.py (a real environment with the core only)."""

from __future__ import annotations

import pytest

from stancekit.errors import ConfigError
from stancekit.models import InferenceOptions
from stancekit.tagging import TagConfig, tag
from test_tagging import make_coverage


@pytest.mark.slow
def test_ray_engine_gives_the_same_records_as_the_local_one(tmp_path, seed_text, tiny_stance_model_dir,
                                                            seed_actors_path):
    import ray  # in the dev extra

    corpus = make_coverage(tmp_path / "news.jsonl", seed_text, 5)
    outputs = {}
    for engine in ("local", "ray"):
        outputs[engine] = tmp_path / f"{engine}.jsonl"
        tag(TagConfig(inputs=[corpus], model=tiny_stance_model_dir, actors=seed_actors_path, output=outputs[engine],
                      engine=engine, ray_actors=2, inference=InferenceOptions(device="cpu", batch_size=16),
                      progress=False))
    try:
        assert ray.is_initialized() and ray.cluster_resources().get("CPU", 0) >= 1
    finally:
        ray.shutdown()
    local, distributed = outputs["local"].read_bytes(), outputs["ray"].read_bytes()
    assert local.count(b'"stance"') > 20
    assert distributed == local


def test_tag_config_rejects_unknown_engine(tmp_path, tiny_stance_model_dir, seed_actors_path):
    with pytest.raises(ConfigError, match="--engine must be one of local, ray"):
        TagConfig(inputs=[tmp_path], model=tiny_stance_model_dir, actors=seed_actors_path,
                  output=tmp_path / "t.jsonl", engine="spark")
