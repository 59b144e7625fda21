"""spoofvoice: tells genuine human speech from machine-made speech, out loud."""

__version__ = "0.1.0"
