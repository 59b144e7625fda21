"""The result of scoring one clip, shared by the CLI, the REPL, the watch folder and the store."""

from __future__ import annotations

from dataclasses import dataclass, field

BONAFIDE = "bonafide"
SPOOF = "spoof"


@dataclass(frozen=True)
class Segment:
    """One scored window of a long clip, so a listener can ask where a splice was."""

    start_s: float
    end_s: float
    score: float


@dataclass(frozen=True)
class Verdict:
    """What the detector concluded about one clip.

    `score` follows the ASVspoof convention (higher means more bonafide; it is the model's
    log-odds of bonafide); `spoof_probability` is the calibrated probability of spoof.
    `uncertain` is set when the score lies inside the model's uncertainty band around the
    threshold: `label` still says which side it fell on.
    """

    label: str
    score: float
    spoof_probability: float
    duration_s: float
    model: str
    threshold: float
    uncertain: bool = False
    segments: tuple[Segment, ...] = field(default=())

    @property
    def confidence(self) -> float:
        """Probability of the stated label, 0..1 (what a listener hears as a percent)."""
        return self.spoof_probability if self.label == SPOOF else 1.0 - self.spoof_probability

    def to_json(self, path: str) -> dict:
        """The `check --json` object (DESIGN.md's CLI contract)."""
        record = {
            "path": path,
            "label": self.label,
            "score": round(self.score, 6),
            "spoof_probability": round(self.spoof_probability, 6),
            "duration_s": round(self.duration_s, 3),
            "model": self.model,
        }
        if self.uncertain:
            record["uncertain"] = True
        return record
