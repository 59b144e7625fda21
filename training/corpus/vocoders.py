"""Spoof families made by signal processing from a real utterance (all at 16 kHz).

These stand for the vocoder, voice-conversion and concatenation attacks of ASVspoof: the
content and speaker come from real speech, the waveform comes from a machine.
"""

from __future__ import annotations

import numpy as np

from training.corpus.audio import RATE

FRAME_MS = 5.0


def _world_analyse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WORLD analysis (DIO + StoneMask pitch, CheapTrick envelope, D4C aperiodicity)."""
    import pyworld

    xd = x.astype(np.float64)
    f0, t = pyworld.dio(xd, RATE, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(xd, f0, t, RATE)
    sp = pyworld.cheaptrick(xd, f0, t, RATE)
    ap = pyworld.d4c(xd, f0, t, RATE)
    return f0, sp, ap


def _world_synth(f0: np.ndarray, sp: np.ndarray, ap: np.ndarray) -> np.ndarray:
    import pyworld

    return pyworld.synthesize(f0, sp, ap, RATE, frame_period=FRAME_MS).astype(np.float32)


def world_resynthesis(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S01: analyse and resynthesise with the WORLD vocoder, unchanged parameters."""
    return _world_synth(*_world_analyse(x))


def warp_envelope(sp: np.ndarray, alpha: float) -> np.ndarray:
    """Stretch (alpha > 1) or squeeze the spectral envelope along frequency: a vocal-tract change."""
    bins = np.arange(sp.shape[1], dtype=np.float64)
    src = np.clip(bins / alpha, 0, sp.shape[1] - 1)
    return np.stack([np.interp(src, bins, frame) for frame in sp])


def world_conversion(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S03: voice conversion with WORLD: shift F0 and warp the spectral envelope."""
    f0, sp, ap = _world_analyse(x)
    steps = float(rng.choice([-1, 1]) * rng.uniform(2.0, 6.0))
    alpha = float(rng.uniform(0.86, 1.16))
    return _world_synth(f0 * 2 ** (steps / 12.0), warp_envelope(sp, alpha), ap)


def mel_cepstral_vocoder(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S12: statistical-parametric style: envelope coded to a few cepstral dims, smoothed F0."""
    import pyworld
    from scipy.ndimage import uniform_filter1d

    f0, sp, ap = _world_analyse(x)
    dims = int(rng.choice([24, 30, 40]))
    coded = pyworld.code_spectral_envelope(sp, RATE, dims)
    coded = uniform_filter1d(coded, size=int(rng.choice([3, 5, 7])), axis=0)
    sp2 = pyworld.decode_spectral_envelope(np.ascontiguousarray(coded), RATE, (sp.shape[1] - 1) * 2)
    cap = pyworld.code_aperiodicity(ap, RATE)
    ap2 = pyworld.decode_aperiodicity(np.ascontiguousarray(cap), RATE, (sp.shape[1] - 1) * 2)
    voiced = f0 > 0
    f0s = f0.copy()
    if voiced.any():
        f0s[voiced] = uniform_filter1d(f0[voiced], size=9)
    return _world_synth(f0s, sp2, ap2)


def griffin_lim(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S04: keep only the STFT magnitude and rebuild the phase with Griffin-Lim (8-100 iterations)."""
    import librosa

    n_fft = int(rng.choice([512, 1024]))
    hop = n_fft // 4
    mag = np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop))
    n_iter = int(rng.choice([8, 32, 100]))
    y = librosa.griffinlim(
        mag, n_iter=n_iter, hop_length=hop, n_fft=n_fft, random_state=int(rng.integers(1 << 31))
    )
    return y[: len(x)].astype(np.float32)


def lpc_resynthesis(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S05: an LPC vocoder: all-pole filters driven by a pulse train (voiced) or noise."""
    import librosa
    import pyworld
    from scipy.signal import lfilter

    order = int(rng.choice([12, 16, 20]))
    frame, hop = 400, 200
    f0, t = pyworld.dio(x.astype(np.float64), RATE, frame_period=FRAME_MS)
    win = np.hanning(frame).astype(np.float32)
    padded = np.pad(x, (frame // 2, frame))
    out = np.zeros(len(padded), np.float32)
    phase = 0.0
    for start in range(0, len(padded) - frame, hop):
        seg = padded[start : start + frame] * win
        if not np.any(seg):
            continue
        a = librosa.lpc(seg.astype(np.float64) + 1e-9 * rng.standard_normal(frame), order=order)
        if not np.all(np.isfinite(a)):
            continue
        gain = float(np.sqrt(np.mean(lfilter(a, [1.0], seg) ** 2)))
        pitch = f0[min(len(f0) - 1, int((start / RATE) * 1000 / FRAME_MS))]
        if pitch > 0:
            period = RATE / pitch
            exc = np.zeros(frame, np.float32)
            pos = phase
            while pos < frame:
                exc[int(pos)] = np.sqrt(period)
                pos += period
            phase = pos - hop
        else:
            exc = rng.standard_normal(frame).astype(np.float32)
            phase = 0.0
        out[start : start + frame] += lfilter([1.0], a, exc * gain).astype(np.float32) * win
    return out[frame // 2 : frame // 2 + len(x)]


def concatenation(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S06: unit concatenation: cut real speech at energy dips and splice the units in a new order."""
    frame = 160
    n = len(x) // frame
    energy = np.convolve(
        np.square(x[: n * frame]).reshape(n, frame).mean(axis=1), np.ones(3) / 3, mode="same"
    )
    cuts = [0]
    while cuts[-1] < n - 6:
        lo, hi = cuts[-1] + 6, min(n, cuts[-1] + 25)
        cuts.append(lo + int(np.argmin(energy[lo:hi])) if hi > lo else hi)
    cuts.append(n)
    units = [x[a * frame : b * frame] for a, b in zip(cuts[:-1], cuts[1:], strict=False) if b > a]
    order = np.arange(len(units))
    for i in range(0, len(order) - 1, 2):  # swap neighbours at random: new sequences, real units
        if rng.random() < 0.6:
            order[i], order[i + 1] = order[i + 1], order[i]
    fade = 80
    out = units[order[0]].copy()
    for idx in order[1:]:
        unit = units[idx]
        if len(out) > fade and len(unit) > fade:
            ramp = np.linspace(0, 1, fade, dtype=np.float32)
            out[-fade:] = out[-fade:] * (1 - ramp) + unit[:fade] * ramp
            unit = unit[fade:]
        out = np.concatenate([out, unit])
    return out.astype(np.float32)


def phase_vocoder(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S13: pitch shift and tempo change with a phase vocoder (librosa)."""
    import librosa

    steps = float(rng.choice([-1, 1]) * rng.uniform(1.0, 4.0))
    y = librosa.effects.pitch_shift(x, sr=RATE, n_steps=steps)
    return librosa.effects.time_stretch(y, rate=float(rng.uniform(0.85, 1.15))).astype(np.float32)


def harmonic_plus_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S15: a harmonic-plus-noise vocoder: sinusoids at multiples of F0 plus shaped noise."""
    import librosa

    f0, sp, ap = _world_analyse(x)
    n = len(x)
    frames = np.arange(len(f0)) * FRAME_MS / 1000 * RATE
    f0_s = np.interp(np.arange(n), frames, f0)
    voiced = f0_s > 40
    phase = np.cumsum(2 * np.pi * np.where(voiced, f0_s, 0.0) / RATE)
    bins = sp.shape[1]
    out = np.zeros(n, np.float64)
    harmonic_amp = np.sqrt(sp * (1 - np.clip(ap, 0, 1)))
    for h in range(1, 80):
        freq = h * f0
        idx = np.clip(np.round(freq / (RATE / 2) * (bins - 1)).astype(int), 0, bins - 1)
        amp = np.where(
            (f0 > 0) & (freq < RATE / 2 - 200), harmonic_amp[np.arange(len(f0)), idx], 0.0
        )
        if not amp.any():
            break
        out += np.interp(np.arange(n), frames, amp) * np.cos(h * phase)
    noise_spec = librosa.stft(rng.standard_normal(n).astype(np.float32), n_fft=1024, hop_length=80)
    shape = np.sqrt(sp * np.clip(ap, 0, 1)).T
    cols = min(noise_spec.shape[1], shape.shape[1])
    shape_b = np.stack(
        [
            np.interp(np.linspace(0, bins - 1, 513), np.arange(bins), shape[:, c])
            for c in range(cols)
        ],
        axis=1,
    )
    noise = librosa.istft(noise_spec[:, :cols] * shape_b, hop_length=80, length=n)
    # Mix the parts in the proportion of aperiodic energy that the analysis found.
    share = float(np.sum(sp * np.clip(ap, 0, 1)) / (np.sum(sp) + 1e-12))
    harm = out / (np.sqrt(np.mean(out**2)) + 1e-12) * np.sqrt(1 - share)
    noise = noise / (np.sqrt(np.mean(noise**2)) + 1e-12) * np.sqrt(share)
    y = harm + noise
    return (y * np.sqrt(np.mean(x**2)) / (np.sqrt(np.mean(y**2)) + 1e-12)).astype(np.float32)


def loudspeaker_room(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replay: a small loudspeaker (band-pass, soft clipping) in a room, picked up with noise."""
    from scipy.signal import butter, sosfilt

    from training.corpus.channel import reverberate

    lo, hi = float(rng.uniform(150, 450)), float(rng.uniform(4500, 7500))
    y = sosfilt(
        butter(3, [lo, hi], btype="bandpass", fs=RATE, output="sos"), x / (np.max(np.abs(x)) + 1e-9)
    )
    drive = float(rng.uniform(1.5, 4.0))
    y = np.tanh(drive * y) / drive
    y = reverberate(y.astype(np.float32), float(rng.uniform(0.25, 0.9)), rng)
    noise = (
        rng.standard_normal(len(y)).astype(np.float32)
        * float(np.std(y))
        * 10 ** (-float(rng.uniform(18, 32)) / 20)
    )
    return (y + noise).astype(np.float32)


def replay(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """S11: a vocoded copy of the utterance replayed through a loudspeaker and room."""
    base = world_resynthesis if rng.random() < 0.5 else griffin_lim
    return loudspeaker_room(base(x, rng), rng)
