"""``stancekit serve`` against hostile input, as a real process: every request error is a 4xx JSON answer
(random JSON and random Label Studio-shaped bodies through hypothesis, deeply nested JSON, lone surrogates,
wrong types and content types, huge bodies, every route); an actor the dictionary lacks never comes back as
its own label; one server per versions folder; a damaged current.json; START_TRAINING with no Label Studio
to pull from. (Retraining against a real Label Studio: test_serve_studio.py.)"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.main import get_command
from typer.testing import CliRunner

from stancekit.actors import ActorDictionary
from stancekit.cli import app
from stancekit.options import flag
from stancekit.serve.config import ServeConfig
from stancekit.studio.controls import controls_from_config
from stancekit.studio.config import OTHER_ACTOR, LabelingConfig
from stancekit.studio.server import free_port
from serve_process import ServeProcess, serve_command, serve_env, start_serve

pytestmark = pytest.mark.slow

AUTH = ("label-studio", secrets.token_urlsafe(12))
SENTENCE = "Azerbaijan accused Armenia of shelling, and Russia called for calm."
WORDS = ("Azerbaijan", "Armenia", "Russia", "Putin", "Aliyev", "Baku", "Yerevan", "Moscow", "shelled", "the",
         "town", "and", "said", ".", ",", "!", "?", "\n", "Mr.", "Dr.", "\u00e9", "\U0001f600", "\u200b", " ")
ENTITIES = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
XML_BOMB = (f'<?xml version="1.0"?><!DOCTYPE v [<!ENTITY e0 "lol">{ENTITIES}]><View><Text name="t" value="$text"/>'
            '<Labels name="l" toName="t"><Label value="&e9;"/></Labels></View>')  # a billion "lol"s
PROPERTY = settings(max_examples=120, deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def labeling_xml(seed_actors_path: Path) -> str:
    return LabelingConfig(ActorDictionary.load(seed_actors_path)).xml()


@pytest.fixture(scope="module")
def server(tiny_stance_model_dir: Path, seed_actors_path: Path, tmp_path_factory) -> Iterator[ServeProcess]:
    process = start_serve(tiny_stance_model_dir, tmp_path_factory.mktemp("hostile"), "--actors",
                          str(seed_actors_path), auth=AUTH)
    try:
        yield process
    finally:
        process.stop()


def answer_is_json_4xx(response: httpx.Response) -> None:
    """The server's answer to a bad request: a 4xx whose body is a JSON object with an 'error' message."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:2000])
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error, str) and error


def post(server: ServeProcess, route: str, body: bytes, content_type: str | None = "application/json"
         ) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return server.http.post(route, content=body, headers=headers)


# -- random input: never a 500 ----------------------------------------------------------------
TEXT = st.text(st.characters(exclude_categories=()), max_size=40)  # lone surrogates too
SENTENCES = st.lists(st.sampled_from(WORDS), min_size=1, max_size=14).map(" ".join)
LEAVES = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10 ** 120, max_value=10 ** 140)
          | st.floats(allow_nan=True, allow_infinity=True) | TEXT | SENTENCES)
ANY_JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                        max_leaves=12)


CLEAN_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10 ** 6, 10 ** 6) | st.floats(allow_nan=False,
                          allow_infinity=False) | st.text(max_size=20) | SENTENCES,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3), max_leaves=8)


def maybe(strategy: st.SearchStrategy, odds: int = 8) -> st.SearchStrategy:
    """What Label Studio sends; one time in ``odds`` a value of another shape (rarely one that is not even
    valid JSON or Unicode: NaN, a 130-digit number, a lone surrogate)."""
    # sampled_from, not integers: hypothesis draws the ends of an integer range far more often than 1 in odds
    noise = st.sampled_from(range(4)).flatmap(lambda pick: ANY_JSON if pick == 2 else CLEAN_JSON)
    return st.sampled_from(range(odds)).flatmap(lambda pick: noise if pick == odds // 2 else strategy)


ACTOR_IDS = ("russia", "armenia", "azerbaijan", "no-such-actor", OTHER_ACTOR, "")


@st.composite
def task_data(draw: st.DrawFn) -> dict:
    """A task's data: text, and often the mentions `ls push` would put there (spans of its words), some of them
    with actors the dictionary lacks, offsets that miss, or values of the wrong type."""
    text = draw(maybe(st.one_of(SENTENCES, st.just(SENTENCE), TEXT)))
    data: dict = {"text": text}
    if draw(st.booleans()):
        words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)] if isinstance(text, str) else []
        mentions = []
        for _ in range(draw(st.integers(0, 4))):
            start, end = draw(st.sampled_from(words)) if words and draw(st.booleans()) else \
                (draw(st.integers(-3, 80)), draw(st.integers(-3, 80)))
            mention = {"actor": draw(maybe(st.sampled_from(ACTOR_IDS))), "start": draw(maybe(st.just(start))),
                       "end": draw(maybe(st.just(end)))}
            if draw(st.booleans()):
                mention["text"] = draw(maybe(st.just(text[start:end] if isinstance(text, str) else "")))
            mentions.append(mention)
        data["mentions"] = draw(maybe(st.just(mentions)))
    for key in draw(st.lists(st.sampled_from(["doc_id", "meta", "title"]), unique=True, max_size=2)):
        data[key] = draw(maybe(CLEAN_JSON))
    return data


TASK = st.fixed_dictionaries({"id": maybe(st.integers(1, 10 ** 6)), "data": maybe(task_data())},
                             optional={"annotations": ANY_JSON, "predictions": ANY_JSON, "project": ANY_JSON})


def predict_bodies(labeling_xml: str) -> st.SearchStrategy:
    configs = st.sampled_from([labeling_xml, labeling_xml.replace('value="other"', 'value="others"'),
                               '<View><Text name="t" value="$text"/><Labels name="l" toName="t">'
                               '<Label value="russia"/></Labels></View>', "<View>", ""])
    base = st.fixed_dictionaries(
        {"tasks": maybe(st.lists(TASK, min_size=1, max_size=4))},
        optional={"project": maybe(st.sampled_from(["7.1700000000", "7"])), "label_config": maybe(configs),
                  "params": maybe(st.fixed_dictionaries({"login": st.none(), "password": st.none(),
                                                         "context": st.none()})),
                  "model_version": maybe(st.text(max_size=20))})
    unknown = st.sampled_from(range(10)).flatmap(  # a field Label Studio never sends, now and then
        lambda pick: st.fixed_dictionaries({"colour": CLEAN_JSON}) if pick == 5 else st.just({}))
    return st.tuples(base, unknown).map(lambda parts: {**parts[0], **parts[1]})


def encoded(value: object) -> bytes:
    """JSON as a client may send it: NaN, Infinity, and surrogates as \\u escapes included."""
    return json.dumps(value, allow_nan=True).encode()


def check_predictions(response: httpx.Response, body: dict, allowed: set[str]) -> None:
    """A 200 answers every task, with span labels the project's config can show and offsets into its text."""
    results = response.json()["results"]
    assert len(results) == len(body["tasks"])
    for task, prediction in zip(body["tasks"], results):
        text = task["data"]["text"]
        for item in prediction["result"]:
            value = item["value"]
            if "labels" in value:
                assert set(value["labels"]) <= allowed, (value, allowed)
                assert text[value["start"]:value["end"]] == value["text"]


def allowed_labels(body: dict, dictionary_ids: set[str]) -> set[str]:
    config = body.get("label_config")
    return set(controls_from_config(config).actor_values) if config else dictionary_ids | {OTHER_ACTOR}


@given(data=st.data())
@PROPERTY
def test_random_label_studio_shaped_predict_bodies_never_get_a_500(server: ServeProcess, labeling_xml: str,
                                                                   seed_actors_path: Path, data) -> None:
    body = data.draw(predict_bodies(labeling_xml))
    response = post(server, "/predict", encoded(body))
    event(f"HTTP {response.status_code}")
    if response.status_code == 200:
        ids = {actor.id for actor in ActorDictionary.load(seed_actors_path)}
        check_predictions(response, body, allowed_labels(body, ids))
    else:
        answer_is_json_4xx(response)


@given(route=st.sampled_from(["/predict", "/setup", "/webhook"]), body=ANY_JSON)
@PROPERTY
def test_random_json_on_every_post_route_never_gets_a_500(server: ServeProcess, route: str, body: object) -> None:
    response = post(server, route, encoded(body))
    event(f"{route}: HTTP {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        answer_is_json_4xx(response)


@given(route=st.sampled_from(["/predict", "/setup", "/webhook", "/health", "/versions", "/", "/train", "/x"]),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]), body=st.binary(max_size=200),
       content_type=st.one_of(st.none(), st.sampled_from(["application/json", "text/plain", "application/x-www-form-"
                                                          "urlencoded", "multipart/form-data; boundary=x",
                                                          "application/json; charset=latin-1",
                                                          "application/vnd.api+json"]),
                              st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(str.strip)))
@PROPERTY
def test_random_bytes_methods_and_content_types_never_get_a_500(server: ServeProcess, route: str, method: str,
                                                               body: bytes, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = server.http.request(method, route, content=body, headers=headers)
    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        answer_is_json_4xx(response)


# -- the cases of the issue, one by one ------------------------------------------------------
def test_deeply_nested_json_is_a_400(server: ServeProcess) -> None:
    for route in ("/predict", "/setup", "/webhook"):
        response = post(server, route, b'{"tasks": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        answer_is_json_4xx(response)
        assert response.status_code == 400 and "nested too deeply" in response.json()["error"]
    # nested as deeply as the parser reads, in every place a value is read or named
    deep = json.loads("[" * 400 + "]" * 400)
    for task in ({"id": deep, "data": {"text": SENTENCE}}, {"id": 1, "data": {"text": SENTENCE, "meta": deep}},
                 {"id": 1, "data": {"text": SENTENCE, "mentions": [{"actor": deep, "start": 0, "end": 3}]}},
                 {"id": 1, "data": {"text": deep}}):
        response = post(server, "/predict", encoded({"tasks": [task]}))
        assert response.status_code in (200, 422), response.text


def test_a_lone_surrogate_is_refused_as_tag_refuses_it(server: ServeProcess, tmp_path: Path,
                                                       tiny_stance_model_dir: Path, seed_actors_path: Path) -> None:
    body = b'{"tasks": [{"id": 7, "data": {"text": "Putin \\ud800 Armenia"}}]}'
    response = post(server, "/predict", body)
    answer_is_json_4xx(response)
    error = response.json()["error"]
    assert "task 7" in error and "lone surrogate '\\ud800' in data.text at character 6" in error
    coverage = tmp_path / "news.jsonl"  # the same text through `stancekit tag`: the same reason
    coverage.write_bytes(b'{"id": "a", "text": "Putin \\ud800 Armenia"}\n')
    tagged = CliRunner().invoke(app, ["tag", str(coverage), "--model", str(tiny_stance_model_dir), "--actors",
                                      str(seed_actors_path), "-o", str(tmp_path / "out.jsonl"), "--threads", "1"])
    assert tagged.exit_code != 0 and "lone surrogate '\\ud800' in text at character 6" in tagged.output
    for route, where in (("/webhook", '{"action": "X\\udc00"}'), ("/setup", '{"schema": "\\ud83d"}'),
                         ("/predict", '{"tasks": [{"id": 1, "data": {"text": "ok", "mentions": '
                                      '[{"actor": "\\udfff", "start": 0, "end": 2}]}}]}')):
        answer_is_json_4xx(post(server, route, where.encode()))


@pytest.mark.parametrize(("route", "body", "says"), [
    ("/predict", {"tasks": {"id": 1}}, "'tasks' must be array"),
    ("/predict", {"tasks": [1, 2]}, "a non-empty list of task objects"),
    ("/predict", {"tasks": [{"id": 1, "data": "Russia"}]}, "expected a 'data' object"),
    ("/predict", {"tasks": [{"id": 1, "data": {"text": 5}}]}, "data.text must be a non-empty string"),
    ("/predict", {"tasks": [{"id": 1, "data": {"text": SENTENCE}}], "label_config": 5}, "'label_config' must be"),
    ("/predict", {"tasks": [{"id": 1, "data": {"text": SENTENCE}}], "project": {"id": 1}}, "'project' must be"),
    ("/predict", {"tasks": [{"id": 1, "data": {"text": SENTENCE}}], "params": []}, "'params' must be object"),
    ("/predict", {"tasks": [{"id": 3, "data": {"text": SENTENCE, "mentions": {"actor": "russia"}}}]},
     "task 3: data.mentions must be a list"),
    ("/predict", {"tasks": [{"id": 3, "data": {"text": SENTENCE, "mentions": [{"actor": "russia", "start": True,
                                                                                "end": 50}]}}]},
     "whole-number 'start' and 'end'"),
    ("/predict", {"tasks": [{"id": 3, "data": {"text": SENTENCE, "mentions": [{"actor": "russia", "start": 44.0,
                                                                                "end": 50}]}}]},
     "whole-number 'start' and 'end'"),
    ("/predict", {"tasks": [{"id": 3, "data": {"text": SENTENCE, "mentions": [{"actor": 7, "start": 44,
                                                                                "end": 50}]}}]},
     "non-empty string 'actor'"),
    ("/predict", {"tasks": [{"id": 3, "data": {"text": SENTENCE, "mentions": [{"actor": "russia", "start": 44,
                                                                                "end": 50, "text": "Armenia"}]}}]},
     "says 'Armenia', but the text has 'Russia' at [44, 50)"),
    ("/predict", {"tasks": [{"id": 3, "data": {"text": SENTENCE, "mentions": [
        {"actor": "russia", "start": 44, "end": 50}, {"actor": "russia", "start": 44, "end": 50}]}}]}, "listed twice"),
    ("/predict", {"tasks": [{"id": [1], "data": {}}]}, "task #1 of the request: data.text"),
    ("/setup", {"schema": ["<View/>"]}, "'schema' must be string"),
    ("/setup", {"hostname": 8080}, "'hostname' must be string"),
    ("/setup", {"schema": "<View>"}, "not valid XML"),
    ("/setup", {"schema": XML_BOMB}, "amplification"),
    ("/predict", {"tasks": [{"id": 1, "data": {"text": SENTENCE}}], "label_config": XML_BOMB}, "amplification"),
    ("/webhook", {"action": 1}, "'action' must be string"),
    ("/webhook", {"action": "START_TRAINING", "project": "NK"}, "'project' must be object"),
    ("/webhook", {"action": "START_TRAINING", "project": {"title": 5}}, "project.title must be a string"),
    ("/webhook", {"action": ""}, "needs 'action'"),
    ("/webhook", {"action": "START_TRAINING", "project": {"title": "NK" * 600}}, "project.title of 1200 characters"),
])
def test_wrong_types_are_a_422_naming_the_field(server: ServeProcess, route: str, body: dict, says: str) -> None:
    response = post(server, route, encoded(body))
    answer_is_json_4xx(response)
    assert response.status_code == 422 and says in response.json()["error"]


@pytest.mark.parametrize(("body", "content_type", "status", "says"), [
    (b'{"tasks": []}', "text/plain", 415, "Content-Type: application/json"),
    (b"tasks=1", "application/x-www-form-urlencoded", 415, "found 'application/x-www-form-urlencoded'"),
    (b'{"tasks": []}', None, 415, "no Content-Type"),
    (b"", "application/json", 400, "expected a JSON object, found null"),
    (b"[1, 2]", "application/json", 400, "found array"),
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b'{"tasks": [], "x": NaN}', "application/json", 400, "NaN is not JSON"),
    (b'{"tasks": [], "x": -Infinity}', "application/json", 400, "-Infinity is not JSON"),
    (b'{"project": ' + b"9" * 5000 + b"}", "application/json", 400, "a number of 5000 digits"),
    (b'\xff\xfe{"tasks": []}', "application/json", 400, "not UTF-8 (byte 0xff at offset 0)"),
    ('{"tasks": []}'.encode("utf-16"), "application/json", 400, "not UTF-8"),
    (b'{"tasks": "\xc3\x28"}', "application/json", 400, "not UTF-8 (byte 0xc3 at offset 11)"),
    (b'{"tasks": [{"id": 1, "data": {"text": "a \xed\xa0\x80"}}]}', "application/json", 400, "not UTF-8"),
    (b'\xef\xbb\xbf[1]', "application/json", 400, "expected a JSON object, found array"),  # a BOM is read
])
def test_bodies_that_are_not_json_objects(server: ServeProcess, body: bytes, content_type: str | None, status: int,
                                          says: str) -> None:
    for route in ("/predict", "/setup", "/webhook"):
        response = post(server, route, body, content_type)
        answer_is_json_4xx(response)
        assert response.status_code == status and says in response.json()["error"], response.text


def test_huge_bodies_are_a_413(server: ServeProcess) -> None:
    limit = ServeConfig.max_body_bytes
    huge = encoded({"tasks": [{"id": 1, "data": {"text": "Russia. " * (limit // 8 + 10)}}]})
    response = post(server, "/predict", huge)  # with its Content-Length
    answer_is_json_4xx(response)
    assert response.status_code == 413 and f"the limit is {limit}" in response.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it streams
        for start in range(0, len(huge), 1 << 20):
            yield huge[start:start + (1 << 20)]
    response = server.http.post("/predict", content=chunks(), headers={"Content-Type": "application/json"})
    answer_is_json_4xx(response)
    assert response.status_code == 413 and f"over {limit} bytes" in response.json()["error"]
    assert server.health()["status"] == "UP"


def test_every_route_answers_json(server: ServeProcess) -> None:
    for method, route, status in (("GET", "/predict", 405), ("POST", "/health", 405), ("DELETE", "/webhook", 405),
                                  ("GET", "/train", 404), ("POST", "/versions", 405), ("GET", "/%ff%00", 404)):
        response = server.http.request(method, route)
        answer_is_json_4xx(response)
        assert response.status_code == status
    refused = httpx.get(f"{server.url}/health")  # no basic auth
    answer_is_json_4xx(refused)
    assert refused.status_code == 401
    assert server.http.get("/versions").json()["versions"][0] == server.health()["model_version"]


# -- an actor the served dictionary lacks ----------------------------------------------------
def test_a_pushed_actor_the_dictionary_lacks_comes_back_as_other(server: ServeProcess, labeling_xml: str) -> None:
    mentions = [{"actor": "no-such-actor", "start": 44, "end": 50, "text": "Russia"},
                {"actor": "armenia", "start": 19, "end": 26, "text": "Armenia"}]
    task = {"id": 11, "data": {"text": SENTENCE, "mentions": mentions}}
    for config in (None, labeling_xml):  # Label Studio sends its config; a hand-made request may not
        body = {"tasks": [task], **({"label_config": config} if config else {})}
        (prediction,) = server.http.post("/predict", json=body).json()["results"]
        spans = [(r["value"]["start"], r["value"]["labels"]) for r in prediction["result"] if r["type"] == "labels"]
        assert spans == [(19, ["armenia"]), (44, [OTHER_ACTOR])]
        stances = [r for r in prediction["result"] if r["type"] == "choices" and "start" in r["value"]]
        assert len(stances) == 2  # the 'other' span keeps its stance, for the annotator to judge
    without_other = labeling_xml.replace(f'<Label value="{OTHER_ACTOR}"', '<Label value="x-other"')
    assert 'value="x-other"' in without_other
    (prediction,) = server.http.post("/predict", json={"tasks": [task], "label_config": without_other}
                                     ).json()["results"]
    assert [r["value"]["labels"] for r in prediction["result"] if r["type"] == "labels"] == [["armenia"]]


# -- webhooks and START_TRAINING without a Label Studio ----------------------------------------
def test_webhook_actions_it_does_not_handle_are_answered_and_ignored(server: ServeProcess) -> None:
    for action in ("TASKS_CREATED", "PROJECT_UPDATED", "no such action", "é" * 1000):
        answer = server.http.post("/webhook", json={"action": action, "project": {"id": 1, "title": "NK"}})
        assert answer.status_code == 200 and answer.json()["status"] == "ignored"
        assert answer.json()["action"] == action[:100]
    answer = server.http.post("/webhook", json={"action": "ANNOTATION_CREATED", "annotation": {"id": 1}})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"  # --train-every 0: not counted


def test_start_training_with_no_label_studio_known_writes_nothing_and_names_serves_option(
        server: ServeProcess) -> None:
    studio_flag = flag(ServeConfig, "studio_url")
    response = server.http.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1, "title": "NK"}})
    answer_is_json_4xx(response)
    error = response.json()["error"]
    assert response.status_code == 409 and "no Label Studio address" in error and f"{studio_flag} URL" in error
    assert "--url" not in error.replace(studio_flag, "")
    state = server.health()["training"]
    assert state["state"] == "idle" and state["runs"] == 0 and error in state["last_error"]
    assert not (server.versions / "jobs").exists()

    # an address but no token: refused too, naming where a token comes from
    assert server.http.post("/setup", json={"project": "9.1", "hostname": f"http://127.0.0.1:{free_port()}"}
                            ).status_code == 200
    response = server.http.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 9, "title": "NK"}})
    assert response.status_code == 409 and "LABEL_STUDIO_API_KEY" in response.json()["error"]

    # an address where no Label Studio answers: the run ends before any job folder, saying so
    assert server.http.post("/setup", json={"project": "9.1", "access_token": "t" * 40}).status_code == 200
    response = server.http.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 9, "title": "NK"}})
    assert response.status_code == 201 and response.json()["status"] == "started"
    state = server.wait_idle(runs=1, timeout=60)
    assert "no Label Studio answers at http://127.0.0.1:" in state["last_error"] and studio_flag in state["last_error"]
    assert "--url " not in state["last_error"] and "--token" not in state["last_error"]
    assert not (server.versions / "jobs").exists()
    assert server.health()["model_version"] == server.http.get("/versions").json()["versions"][0]


def test_the_flags_named_in_errors_are_serves_own() -> None:
    serve_params = get_command(app).commands["serve"].params
    own = {opt for param in serve_params for opt in param.opts}
    assert {flag(ServeConfig, "studio_url"), flag(ServeConfig, "versions_dir")} <= own


# -- one server per versions folder -----------------------------------------------------------
def test_two_servers_on_one_versions_folder(server: ServeProcess, tiny_stance_model_dir: Path, tmp_path: Path
                                            ) -> None:
    command = serve_command(tiny_stance_model_dir, "--versions-dir", str(server.versions), port=free_port())
    second = subprocess.run(command, capture_output=True, text=True, env=serve_env(), timeout=300)
    assert second.returncode == 1
    (line,) = [line for line in second.stderr.splitlines() if line.strip()]
    assert line.startswith("error: ") and f"pid {server.process.pid}" in line
    assert flag(ServeConfig, "versions_dir") in line and "Traceback" not in second.stderr
    assert server.health()["status"] == "UP"

    # the default folder (MODEL/versions): the same; and once the first stops, the folder is free again
    model = tmp_path / "model"
    shutil.copytree(tiny_stance_model_dir, model)
    first = start_serve(model, tmp_path, versions=model / "versions", name="first")
    try:
        second = subprocess.run(serve_command(model, port=free_port()), capture_output=True, text=True,
                                env=serve_env(), timeout=300)
        assert second.returncode == 1 and f"pid {first.process.pid}" in second.stderr
    finally:
        first.stop()
    again = start_serve(model, tmp_path, versions=model / "versions", name="again")
    again.stop()


# -- a damaged versions folder ------------------------------------------------------------------
@pytest.mark.parametrize(("pointer", "says"), [
    (b"{not json", "the version pointer is not JSON"),
    (b"\xff\xfe\x00", "the version pointer is not JSON"),
    (b"[" * 50_000, "the version pointer is not JSON"),
    (b'["tiny-stance-r1@00000000"]', 'expected {"version": "<folder name in'),
    (b'{"version": 5}', 'expected {"version": "<folder name in'),
    (b'{"version": "../../etc"}', 'expected {"version": "<folder name in'),
    (b'{"version": "/etc"}', 'expected {"version": "<folder name in'),
    (b'{"version": "tiny-stance-r9@00000000"}', "is not a model folder"),
    (b'{"version": "tiny-stance-r9@00000000", "model": "elsewhere@12345678"}', "were retrained from 'elsewhere@"),
    (None, "cannot read the version pointer"),  # a folder where the file should be
])
def test_a_damaged_current_json_stops_the_server_with_one_line(tiny_stance_model_dir: Path, tmp_path: Path,
                                                               pointer: bytes | None, says: str) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    if pointer is None:
        (versions / "current.json").mkdir()
    else:
        (versions / "current.json").write_bytes(pointer)
    before = sorted(p.name for p in versions.iterdir())
    command = serve_command(tiny_stance_model_dir, "--versions-dir", str(versions), port=free_port())
    result = subprocess.run(command, capture_output=True, text=True, env=serve_env(), timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert says in line and f"delete {versions / 'current.json'}" in line, line
    assert sorted(p.name for p in versions.iterdir()) == before  # nothing rewritten or removed
