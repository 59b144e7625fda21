"""Session start-up work that must not delay the prompt: speech, the welcome, the model.

It runs in one background thread, in this order: build the announcer (imports numpy), say the
welcome, load the model (numpy, soundfile, LiteRT), then say "Ready." or the model's problem
in one sentence. The prompt is already on screen by then; these lines appear above it.
"""

from __future__ import annotations

import threading

from spoofvoice.session_context import SessionContext

WELCOME = "Welcome to spoofvoice. Type help, or press F1, for help."
WELCOME_BRIEF = "spoofvoice. F1 for help."
PROMPT_WAIT_S = 1.0  # never wait longer than this for the prompt to be drawn


def build_announcer(context: SessionContext):
    """The announcer for this session; text only if speech cannot start at all."""
    from spoofvoice.speech import make_announcer

    print_line = context.output.write_line  # above the prompt when one is shown (line_output.py)
    try:
        return make_announcer(speech=context.speech, print_line=print_line, settings=context.settings)
    except Exception as error:  # speech must never keep the session from starting
        print_line(f"Speech could not start ({error}); lines are printed only.")
        return make_announcer(speech=False, print_line=print_line, settings=context.settings)


def welcome(context: SessionContext) -> None:
    context.say(WELCOME_BRIEF if context.settings.verbosity == "brief" else WELCOME, "message")


def load_model(context: SessionContext) -> None:
    """Load the chosen model and say "Ready.", or say why it cannot be used."""
    context.model_loading()
    try:
        from spoofvoice.detector import ModelError

        detector = context.detector()
    except ModelError as error:
        context.model_failed(str(error))
        context.say(str(error), "important", earcon="error")
        return
    except Exception as error:  # a broken runtime install must not end the session
        sentence = f"The model could not be loaded ({type(error).__name__}: {error}); check will not work until it can."
        context.model_failed(sentence)
        context.say(sentence, "important", earcon="error")
        return
    context.model_ready()
    verbose = context.settings.verbosity == "verbose"
    context.say(f"Ready. Model {detector.name}." if verbose else "Ready.", "message")


def start(context: SessionContext, greet: bool = True, model: bool = True, after: threading.Event | None = None) -> threading.Thread:
    """Start the background start-up; returns its thread (a daemon: quitting never waits).

    `after`: wait for this event (the prompt's first drawing) so the imports here do not
    compete with the prompt for the interpreter lock.
    """

    def run() -> None:
        if after is not None:
            after.wait(PROMPT_WAIT_S)
        announcer = None
        try:
            announcer = build_announcer(context)
        finally:
            context.attach_announcer(announcer)
        if greet:
            welcome(context)
        if model:
            load_model(context)

    thread = threading.Thread(target=run, name="spoofvoice-startup", daemon=True)
    thread.start()
    return thread
