# spoofvoice: `make run` opens the session, `make test` runs the suite.
# Each target installs what it needs first; stamp files make a second run skip the installs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

# Debian packages the program needs to run: libsndfile (decoding), espeak-ng (offline voice).
APT_RUN := libsndfile1 espeak-ng
# Extra packages the tests need: real speech to test on, ffmpeg for M4A/AAC, flite as a second voice.
APT_TEST := asterisk-core-sounds-en-wav asterisk-core-sounds-en ffmpeg flite asterisk-prompt-es-co asterisk-prompt-fr-armelle
# Sources and generators for the full corpus (make corpus).
APT_CORPUS := $(APT_TEST) asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav \
	asterisk-prompt-it-menardi-wav pocketsphinx-testdata klettres-data ktuberling-data \
	tuxpaint-stamps-default hedgewars-data festival festvox-kallpc16k festvox-kdlpc16k \
	festvox-itapc16k festvox-italp16k festvox-us-slt-hts festvox-ca-ona-hts gcin-voice \
	drascula drascula-spanish drascula-italian fillets-ng-data-cs fillets-ng-data-nl
# The voices reserved for independent evaluation (make heldout), never for training.
APT_HELDOUT := asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav alsa-utils
# A game cast's real English voices, the FOTAQ probe (make fotaq).
APT_FOTAQ := flight-of-the-amazon-queen

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench lint corpus corpus-large corpus-large-games heldout fotaq models clean

run: $(STAMPS)/apt-run $(STAMPS)/venv
	$(BIN)/spoofvoice

test: $(STAMPS)/apt-run $(STAMPS)/apt-test $(STAMPS)/venv
	$(BIN)/python -m pytest -q

bench: $(STAMPS)/apt-run $(STAMPS)/apt-test $(STAMPS)/venv
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/bench -s

lint: $(STAMPS)/venv
	$(BIN)/ruff check spoofvoice training tests

$(STAMPS)/apt-%: Makefile
	@mkdir -p $(STAMPS)
	@pkgs="$(APT_$(shell echo $* | tr a-z A-Z))"; \
	missing=$$(for p in $$pkgs; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@touch $@

$(STAMPS)/venv: setup.cfg pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# The full open corpus (about 10,500 clips, ASVspoof 2019 LA layout) in corpus/full.
corpus: $(STAMPS)/apt-run $(STAMPS)/apt-corpus $(STAMPS)/venv
	$(BIN)/python -m training.corpus build --out corpus/full --size full --seed 0

# Twice the training clips of corpus/full, the same dev and eval, for the configs that name
# "corpus": "large" (about 25 minutes on 2 cores).
corpus-large: $(STAMPS)/apt-run $(STAMPS)/apt-corpus $(STAMPS)/venv
	$(BIN)/python -m training.corpus build --out corpus/large --size large --seed 0

# corpus/large with game voice acting added to train alone (Drascula, Fish Fillets' dubs); the
# same dev and eval, for the configs that name "corpus": "large-games".
corpus-large-games: $(STAMPS)/apt-run $(STAMPS)/apt-corpus $(STAMPS)/venv
	$(BIN)/python -m training.corpus build --out corpus/large-games --size large --seed 0 --extra games

# The held-out set (300 clips of the reserved voices and spoofs made from them) in
# corpus/heldout, and the FOTAQ probe (223 real clips) in corpus/fotaq: README, "Held-out voices".
heldout: $(STAMPS)/apt-run $(STAMPS)/apt-heldout $(STAMPS)/venv
	$(BIN)/python -m training.corpus heldout --out corpus/heldout

fotaq: $(STAMPS)/apt-run $(STAMPS)/apt-fotaq $(STAMPS)/venv
	$(BIN)/python -m training.corpus fotaq --out corpus/fotaq

# The shipped models: the full corpus (built by `make corpus` when missing) and any other corpus
# a candidate config names, then the candidates in training/ship.py trained, fused and evaluated,
# the best on dev copied to models/default.*, and seed-mlp retrained beside it; then the default
# asked through the telephone view as well (training/views.py), which replaces it if it ranks
# better on dev. Reports go to corpus/reports/. Timings: see README.
models: $(STAMPS)/apt-run $(STAMPS)/venv
	test -f corpus/full/corpus.json || $(MAKE) corpus
	for name in $$($(BIN)/python -m training.ship --data corpus/full --corpora); do \
	  test -f corpus/$$name/corpus.json || $(MAKE) corpus-$$name || exit 1; \
	done
	TF_CPP_MIN_LOG_LEVEL=3 MALLOC_MMAP_THRESHOLD_=131072 $(BIN)/python -m training.ship --data corpus/full --dataset asvspoof2019-la
	TF_CPP_MIN_LOG_LEVEL=3 $(BIN)/python -m training.ship --data corpus/full --dataset asvspoof2019-la --add-views as-is telephone

clean:
	rm -rf $(STAMPS) $(VENV) *.egg-info
