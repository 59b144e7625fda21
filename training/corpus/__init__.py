"""The open spoofing corpus: real speech from Debian packages, spoofs from many generator families,
one shared randomised channel, written in the ASVspoof 2019 LA layout."""

from training.corpus.build import CorpusError, build_corpus

__all__ = ["CorpusError", "build_corpus"]
