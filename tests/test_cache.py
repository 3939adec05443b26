"""The stage cache: keyed reuse, misses on any change, and survival of a crash mid-write."""

from restitution.cache import StageCache, make_key
from restitution.types import Turn


def test_roundtrip_and_key_change(tmp_path):
    cache = StageCache(tmp_path / ".work")
    key = make_key("diarize", "sha", {"engine": "embedded"})
    calls = []

    def compute():
        calls.append(1)
        return Turn(0.0, 1.5, "S1")

    first, cached1 = cache.get_or_compute("diarize", key, Turn, compute)
    again, cached2 = cache.get_or_compute("diarize", key, Turn, compute)
    assert (cached1, cached2) == (False, True)
    assert first == again and len(calls) == 1
    other = make_key("diarize", "sha", {"engine": "none"})
    assert other != key
    assert cache.load("diarize", other, Turn) is None


def test_partial_file_is_a_miss(tmp_path):
    cache = StageCache(tmp_path)
    cache.path("x").write_text('{"key": "k", "value": {"start"')
    assert cache.load("x", "k", Turn) is None


def test_no_temp_files_left(tmp_path):
    cache = StageCache(tmp_path)
    cache.save("t", "k", Turn(1.0, 2.0, "S2"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]
