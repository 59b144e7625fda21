"""The shipping rule: the default is chosen on dev only, and a fused model, whose weights were
fitted on dev, is judged by its cross-fitted dev numbers, not by the ones it was fitted on."""

from __future__ import annotations

from training.ship import choose, selection_key


def _single(name: str, unseen: float | None, overall: float) -> dict:
    return {"name": name, "metrics": {"dev_evaluation": {"eer_unseen_attacks": unseen, "eer": overall}}}


def _fused(name: str, fitted_unseen: float, crossed_unseen: float | None, crossed: float) -> dict:
    card = _single(name, fitted_unseen, fitted_unseen)
    card["training"] = {"fusion": {"dev_eer_unseen_attacks_cross_fitted": crossed_unseen, "dev_eer_cross_fitted": crossed}}
    return card


def test_lowest_dev_unseen_attack_eer_wins_then_overall():
    cards = [_single("a", 0.20, 0.18), _single("b", 0.15, 0.19), _single("c", 0.15, 0.17)]
    assert choose(cards)["name"] == "c"
    assert selection_key(_single("d", None, 0.3)) == (0.3, 0.3)  # no unseen attacks in dev: overall EER


def test_a_fusion_is_judged_on_its_cross_fitted_dev_numbers():
    optimistic = _fused("fusion", fitted_unseen=0.10, crossed_unseen=0.19, crossed=0.18)
    assert selection_key(optimistic) == (0.19, 0.18)
    assert choose([_single("lcnn", 0.17, 0.17), optimistic])["name"] == "lcnn"
    assert choose([_single("lcnn", 0.17, 0.17), _fused("fusion", 0.10, 0.16, 0.15)])["name"] == "fusion"


def test_every_candidate_has_a_config_and_the_fused_ones_are_candidates():
    from training.config import load_config
    from training.ship import BASELINE, CANDIDATES, FUSION

    for name in (*CANDIDATES, BASELINE):
        assert load_config(name).name == name
    assert set(FUSION) <= set(CANDIDATES) and len(FUSION) >= 2


def _measured(name: str, unseen: float, overall: float, eval_eer: float) -> dict:
    card = _single(name, unseen, overall)
    card["metrics"]["eval"] = {"eer": eval_eer}
    return card


def _shipped_default(models_dir, source: dict, earlier: dict) -> None:
    import json

    for suffix in ("tflite", "keras"):
        (models_dir / f"default.{suffix}").write_bytes(b"old " + suffix.encode())
    card = {**source, "name": "default", "selected": {"from": source["name"], "rule": "dev", "candidates": earlier}}
    (models_dir / "default.json").write_text(json.dumps(card))
    (models_dir / "seed-mlp.json").write_text(json.dumps({"name": "seed-mlp", "metrics": {"eval": {"eer": 0.37}}}))


def test_an_added_candidate_that_loses_on_dev_is_only_recorded(tmp_path):
    import json

    from training.ship import add_candidate

    old = _measured("lcnn-a", 0.107, 0.118, 0.140)
    _shipped_default(tmp_path, old, {"lcnn-a": {"dev": old["metrics"]["dev_evaluation"], "eval": old["metrics"]["eval"]}})
    newcomer = _measured("lcnn-b", 0.115, 0.110, 0.100)  # better on eval, worse on dev unseen attacks: eval never chooses
    shipped = add_candidate(newcomer, tmp_path)
    assert shipped["selected"]["from"] == "lcnn-a" and shipped["selected"]["added"] == ["lcnn-b"]
    assert (tmp_path / "default.tflite").read_bytes() == b"old tflite"
    on_disk = json.loads((tmp_path / "default.json").read_text())
    assert set(on_disk["selected"]["candidates"]) == {"lcnn-a", "lcnn-b"}
    assert on_disk["selected"]["candidates"]["lcnn-b"]["eval"]["eer"] == 0.100


def test_an_added_candidate_that_wins_on_dev_becomes_the_default(tmp_path):
    import json

    from training.ship import add_candidate

    old = _measured("lcnn-a", 0.107, 0.118, 0.140)
    _shipped_default(tmp_path, old, {"lcnn-a": {"dev": old["metrics"]["dev_evaluation"], "eval": old["metrics"]["eval"]},
                                     "fusion": {"dev": {"eer_unseen_attacks": 0.133, "eer": 0.133}, "eval": {"eer": 0.11}}})
    newcomer = _measured("lcnn-c", 0.095, 0.120, 0.130)
    newcomer["files"] = {}
    for suffix in ("tflite", "keras"):
        (tmp_path / f"lcnn-c.{suffix}").write_bytes(b"new " + suffix.encode())
    shipped = add_candidate(newcomer, tmp_path)
    assert (tmp_path / "default.tflite").read_bytes() == b"new tflite"
    on_disk = json.loads((tmp_path / "default.json").read_text())
    assert on_disk["name"] == "default" and on_disk["selected"]["from"] == "lcnn-c" == shipped["selected"]["from"]
    assert on_disk["selected"]["replaced"] == "lcnn-a" and on_disk["selected"]["added"] == ["lcnn-c"]
    assert set(on_disk["selected"]["candidates"]) == {"lcnn-a", "fusion", "lcnn-c"}
    assert on_disk["files"]["tflite"]["bytes"] == len(b"new tflite")
    assert json.loads((tmp_path / "seed-mlp.json").read_text())["compared_with"]["default_is"] == "lcnn-c"
