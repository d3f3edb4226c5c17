"""The Python protocol validator against the golden lines that vitest checks with the zod schema."""

import json
from pathlib import Path

import pytest

from xlab.protocol import REQUIRED, validate_message

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "protocol"


def _lines(name):
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("msg", _lines("valid.jsonl"), ids=lambda m: m["type"])
def test_valid_messages(msg):
    assert validate_message(msg) == []


@pytest.mark.parametrize("msg", _lines("invalid.jsonl"), ids=lambda m: str(m.get("type")))
def test_invalid_messages(msg):
    assert validate_message(msg) != []


def test_fixtures_cover_every_type():
    assert {m["type"] for m in _lines("valid.jsonl")} == set(REQUIRED)


@pytest.mark.parametrize("job", _lines("jobs.jsonl"), ids=lambda j: j["kind"])
def test_job_fixtures_parse(job):
    from xlab.jobs import PARAMS_BY_KIND, load_job, parse_dataclass
    parsed = load_job(json.dumps(job))
    if parsed.kind in PARAMS_BY_KIND:
        parse_dataclass(PARAMS_BY_KIND[parsed.kind], parsed.params, "params")
