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
