"""Pinned training numerics, so one config and seed give one model on other x86 machines too.

The seed and TensorFlow's op determinism make a run repeatable on one machine only. Two
things still change the floating-point sums from machine to machine, and a few changed bits
in the first step grow into a different model (measured: 10.7% and 13.2% dev EER for one
config trained on two machines):

- oneDNN picks its kernels for the widest vector unit it finds (AVX, AVX2, AVX-512);
- the number of intra-op threads decides how each sum is split.

Both are fixed here, before TensorFlow starts its thread pools: oneDNN is capped at AVX2, which
every x86 CPU since 2013 (Intel Haswell, AMD Zen) has, and the thread count comes from the
config. The cap costs little where AVX-512 is there (measured in the README), and a CPU
without AVX2 still trains, only not bit for bit like the others.
"""

from __future__ import annotations

import os
import platform

ONEDNN_ISA = "AVX2"
_X86 = ("x86_64", "amd64", "i686", "x86")


def pin(threads: int) -> dict:
    """Fix the kernel set and thread count for this process; returns what the card records.

    Call before TensorFlow runs its first op. In a process where it already has (a second
    training in one session), the pools cannot change and the record says what they use.
    """
    if threads < 1:
        raise ValueError("threads must be at least 1")
    if platform.machine().lower() in _X86:
        os.environ["ONEDNN_MAX_CPU_ISA"] = ONEDNN_ISA
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # this is TensorFlow's first import in training
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # the pools exist already; get_intra_op_parallelism_threads says with how many
    in_use = tf.config.threading.get_intra_op_parallelism_threads()
    return {
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "not capped (not an x86 machine)"),
        "intra_op_threads": in_use,
        "pinned": in_use == threads,
    }


def describe(record: dict) -> str:
    """One plain sentence for the training log."""
    threads = record["intra_op_threads"]
    if not record["pinned"]:
        return (f"TensorFlow was already running with {threads or 'its default'} threads, so this run "
                "may not repeat exactly elsewhere; train in a fresh process to pin the numerics.")
    unit = "thread" if threads == 1 else "threads"
    return f"Numerics pinned for repeatable training: oneDNN kernels up to {record['onednn_max_cpu_isa']}, {threads} {unit}."
