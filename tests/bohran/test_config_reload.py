from prometheus_client import REGISTRY

from bohran.config import load_config
from bohran.config_reload import ConfigReloader

GOOD = "brands:\n  - {id: a, name: A, aliases: [alpha]}\n"
GOOD2 = "brands:\n  - {id: a, name: A, aliases: [alpha]}\n  - {id: b, name: B, aliases: [beta]}\n"
BAD = "brands:\n  - {id: a, name: A, aliases: [alpha], colour: red}\n"


def reloads(result: str) -> float:
    return REGISTRY.get_sample_value("bohran_config_reloads_total", {"result": result}) or 0.0


def test_valid_change_applies_invalid_change_keeps_old(tmp_path):
    path = tmp_path / "bohran.yaml"
    path.write_text(GOOD, encoding="utf-8")
    applied = []
    reloader = ConfigReloader(path, load_config(path), [applied.append])
    assert reloader.check() is None  # unchanged file: nothing to do

    path.write_text(GOOD2, encoding="utf-8")
    before = reloads("applied")
    assert reloader.check() is True
    assert [b.id for b in applied[-1].brands] == ["a", "b"]
    assert reloads("applied") == before + 1

    path.write_text(BAD, encoding="utf-8")
    before = reloads("rejected")
    assert reloader.check() is False
    assert len(applied) == 1 and [b.id for b in reloader.current.brands] == ["a", "b"]
    assert reloads("rejected") == before + 1
    assert "brands[0].colour (line 2)" in reloader.last_error[0]

    assert reloader.check() is None  # the same bad file is not re-reported every poll
    assert reloader.check(force=True) is False  # SIGHUP re-reads it anyway
