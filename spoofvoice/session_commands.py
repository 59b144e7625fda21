"""The session's own commands: history, report, model, threshold, speech controls, status, help.

Each is `run_NAME(args, context) -> status`, named by the command table (commands.py). Every
outcome is one printed line and one short spoken sentence, the important word first; longer
listings print one line per item and speak a summary. Changed settings are saved at once.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from spoofvoice.keys import key_help_lines

HISTORY_DEFAULT = 10
REPORT_LIMIT = 1_000_000_000  # "all of it": the store takes a limit


def _error(context, sentence: str) -> int:
    context.say(sentence, "important", earcon="error")
    return 1


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def _save(context) -> None:
    """Persist settings; a read-only config folder costs one line, not the change."""
    try:
        context.settings.save()
    except OSError as error:
        context.show(f"Could not save settings ({error.strerror}); the change lasts this session.")


# ----- verdict history ------------------------------------------------------------------------


def _recent(context, limit: int) -> list[dict] | None:
    try:
        return context.history_store().recent_verdicts(limit)
    except (OSError, sqlite3.Error) as error:
        _error(context, f"The verdict history cannot be read ({error}).")
        return None


def history_line(row: dict) -> str:
    """`SPOOF 97% interview.wav  2026-11-26T15:40:02Z`, as `check` prints it, plus when."""
    from spoofvoice.verdict_text import line_for

    line = line_for(str(row["label"]), float(row["spoof_probability"]), bool(row.get("uncertain")), Path(row["path"]).name)
    return f"{line}  {row.get('scored_at', '')}".rstrip()


def run_history(args: argparse.Namespace, context) -> int:
    """`history [N]`: the newest verdicts first, one line each, all spoken as one message."""
    from spoofvoice.speech.phrasing import spoken_verdict

    if args.count < 1:
        return _error(context, "history needs a number of verdicts of 1 or more, for example: history 5.")
    rows = _recent(context, args.count)
    if rows is None:
        return 1
    if not rows:
        context.say("No verdicts yet. Check a file first, for example: check recording.wav.")
        return 0
    for row in rows:
        context.show(history_line(row))
    count = "Last verdict" if len(rows) == 1 else f"Last {len(rows)} verdicts, newest first"
    spoken = [spoken_verdict(r["label"], float(r["spoof_probability"]), Path(r["path"]).name, bool(r.get("uncertain"))) for r in rows]
    if context.verbosity == "brief":
        spoken = spoken[:3]
    context.say(f"{count}. " + " ".join(spoken), display=f"{count}.")
    return 0


def run_report(args: argparse.Namespace, context) -> int:
    """`report FILE`: the whole history as CSV or JSON."""
    from spoofvoice.history_export import ReportError, report_format, write_report

    target = Path(args.file).expanduser()
    try:
        report_format(target)
    except ReportError as error:
        return _error(context, str(error))
    rows = _recent(context, REPORT_LIMIT)
    if rows is None:
        return 1
    try:
        kind = write_report(rows, target)
    except ReportError as error:
        return _error(context, str(error))
    noun = "verdict" if len(rows) == 1 else "verdicts"
    context.say(f"Report saved: {len(rows)} {noun} as {kind.upper()} in {target.name}.", display=f"Report saved: {len(rows)} {noun} as {kind.upper()} in {target}.", earcon="done")
    return 0


# ----- model and threshold --------------------------------------------------------------------


def _model_state_sentence(context) -> str:
    from spoofvoice.session_context import FAILED, LOADING

    name = context.settings.model
    state = getattr(context, "model_state", None)
    if name in context.loaded_models():
        return f"Model {name}, ready."
    if state == LOADING:
        return f"Model {name}, still loading."
    if state == FAILED:
        return f"Model {name} is not usable: {context.model_problem}"
    return f"Model {name}, not loaded yet; the first check loads it."


def run_model(args: argparse.Namespace, context) -> int:
    """`model`, `model list`, `model use NAME`, `model info`."""
    from spoofvoice.detector import ModelError, list_models

    if args.action is None:
        context.say(_model_state_sentence(context))
        return 0
    if args.action == "list":
        found = list_models()
        if not found:
            return _error(context, "No models are installed in the models folder.")
        for name in found:
            context.show(f"{name}{'  (in use)' if name == context.settings.model else ''}")
        context.say(f"{len(found)} models: {', '.join(found)}. In use: {context.settings.model}.", display=f"{len(found)} models.")
        return 0
    if args.action == "use":
        if not args.name:
            return _error(context, "model use needs a model name; model list says which exist.")
        try:
            detector = context.detector(args.name)
        except ModelError as error:
            return _error(context, str(error))
        context.settings.model = args.name
        _save(context)
        if hasattr(context, "model_ready"):
            context.model_ready()
        context.say(f"Model {args.name} in use ({detector.name}).", earcon="done")
        return 0
    return _model_info(context, args.name or context.settings.model)


def _model_info(context, name: str) -> int:
    """The card's facts a listener needs: architecture, threshold and its origin, dev results."""
    from spoofvoice.detector import ModelCard, ModelError, resolve_card

    try:
        card = ModelCard.read(resolve_card(name))
    except ModelError as error:
        return _error(context, str(error))
    raw = card.raw
    lines = [f"Model {card.name}: architecture {raw.get('architecture', 'not stated')}."]
    members = [str(m.get("model")) for m in raw.get("members") or [] if isinstance(m, dict)]
    if members:
        lines.append(f"It fuses {len(members)} models in one network: {', '.join(members)}.")
    if len(card.views) > 1:
        from spoofvoice.views import SPOKEN

        ways = " and ".join(SPOKEN[view] for view in card.views)
        lines.append(f"It hears each clip {len(card.views)} ways, {ways}, and averages the scores.")
    method = (raw.get("threshold") or {}).get("method")
    lines.append(f"Threshold {card.threshold:.3g}" + (f", {method}." if method else "."))
    dev = (raw.get("metrics") or {}).get("dev") or {}
    if "eer" in dev:
        lines.append(f"Dev equal error rate {float(dev['eer']) * 100:.1f} percent on {dev.get('clips', 'unknown')} clips.")
    evaluation = (raw.get("metrics") or {}).get("eval") or {}
    if "eer" in evaluation:
        lines.append(f"Eval equal error rate {float(evaluation['eer']) * 100:.1f} percent on {evaluation.get('clips', 'unknown')} clips "
                     "of voices and attacks it never heard in training.")
    train = ((raw.get("training_data") or {}).get("train") or {})
    if train:
        lines.append(f"Trained on {train.get('clips', 'unknown')} clips of {train.get('dataset', 'unknown data')}.")
    if raw.get("created"):
        lines.append(f"Made {raw['created']}.")
    context.say(" ".join(lines if context.verbosity != "brief" else lines[:2]), display="\n".join(lines))
    return 0


def run_threshold(args: argparse.Namespace, context) -> int:
    """`threshold` says it, `threshold VALUE` sets it, `threshold default` returns to the card's."""
    if args.value is None:
        if context.settings.threshold is not None:
            context.say(f"Threshold {context.settings.threshold:g}, your own. Threshold default returns to the model's.")
        else:
            context.say(f"Threshold: the model's own{_card_threshold(context)}.")
        return 0
    if args.value.lower() in ("default", "model", "reset"):
        context.settings.threshold = None
        _save(context)
        context.say(f"Threshold: the model's own{_card_threshold(context)}.")
        return 0
    try:
        value = float(args.value)
    except ValueError:
        return _error(context, f"Threshold {args.value} is not a number; give one such as 0.5, or default.")
    if value != value or value in (float("inf"), float("-inf")):
        return _error(context, "Threshold must be a finite number, such as 0.5.")
    context.settings.threshold = value
    _save(context)
    context.say(f"Threshold {value:g}. Scores below it are spoof.")
    return 0


def _card_threshold(context) -> str:
    """`, 0.12` when the model is loaded (without loading it), else nothing."""
    if context.settings.model not in context.loaded_models():
        return ""
    return f", {context.detector().threshold:.3g}"


# ----- speech controls ------------------------------------------------------------------------


def run_repeat(args: argparse.Namespace, context) -> int:
    context.announcer.repeat()
    return 0


def run_stop(args: argparse.Namespace, context) -> int:
    """`stop` silences speech; `stop training` / `stop evaluation` ends background work."""
    what = getattr(args, "what", None)
    if what in ("training", "evaluation"):
        job = context.jobs.stop(what)
        if job is None:
            context.say(f"No {what} is running.")
            return 1
        keep = " The best model so far will be kept." if what == "training" else ""
        context.say(f"Stopping {what} after the current batch.{keep}", "important")
        return 0
    context.announcer.stop()
    context.show("Speech stopped.")
    return 0


def run_results(args: argparse.Namespace, context) -> int:
    """`results`: the last evaluation summary again."""
    if not context.last_results:
        context.say("No results yet. Run eval first.")
        return 1
    context.say(" ".join(context.last_results))
    return 0


def run_mute(args: argparse.Namespace, context) -> int:
    context.announcer.mute()
    context.show("Muted. Lines are still printed; unmute turns speech back on.")
    return 0


def run_unmute(args: argparse.Namespace, context) -> int:
    context.announcer.unmute()
    context.say("Speech on.")
    return 0


def run_rate(args: argparse.Namespace, context) -> int:
    value = context.announcer.set_rate(args.value)
    note = "" if value == args.value else " The range is 0.5 to 2."
    context.say(f"Rate {value:g} times.{note}")
    return 0


def run_volume(args: argparse.Namespace, context) -> int:
    """0..1, or a percent (`volume 80`) because that is how people say it."""
    requested = args.value / 100 if args.value > 1 else args.value
    value = context.announcer.set_volume(requested)
    note = "" if value == requested else " The range is 0 to 100 percent."
    context.say(f"Volume {round(value * 100)} percent.{note}")
    return 0


def run_voice(args: argparse.Namespace, context) -> int:
    from spoofvoice.speech.engines import ENGINE_NAMES, normalise_engine_name

    announcer = context.announcer
    if args.engine is None:
        context.say(f"Voice {announcer.engine_name}. Choices: {', '.join(ENGINE_NAMES)}.")
        return 0
    try:
        normalise_engine_name(args.engine)
    except ValueError as error:
        return _error(context, str(error))
    context.say(f"Voice {announcer.set_engine(args.engine)}.")
    return 0


def run_verbosity(args: argparse.Namespace, context) -> int:
    context.say(f"Verbosity {context.announcer.set_verbosity(args.level)}.")
    return 0


def run_earcons(args: argparse.Namespace, context) -> int:
    context.announcer.set_earcons(args.state == "on")
    context.say(f"Earcons {args.state}.")
    return 0


def run_typing_interrupts(args: argparse.Namespace, context) -> int:
    context.settings.typing_interrupts = args.state == "on"
    _save(context)
    context.say("Typing now stops speech." if args.state == "on" else "Typing no longer stops speech.")
    return 0


# ----- where am I -----------------------------------------------------------------------------


def status_lines(context) -> list[str]:
    """Background work first (epoch, time spent, time left), then model, threshold, voice and
    the other settings, the watch queue, the history size."""
    s = context.settings
    announcer = context.announcer
    threshold = f"{s.threshold:g}, your own" if s.threshold is not None else f"the model's own{_card_threshold(context)}"
    job = context.jobs.current
    lines = [job.status_sentence()] if job is not None else []
    lines += [
        _model_state_sentence(context),
        f"Threshold: {threshold}.",
        f"Voice {announcer.engine_name}, rate {s.rate:g} times, volume {round(s.volume * 100)} percent{', muted' if s.muted else ''}.",
        f"Verbosity {s.verbosity}. Earcons {_on_off(s.earcons)}. Typing stops speech: {_on_off(s.typing_interrupts)}.",
    ]
    try:
        store = context.history_store()
        waiting = store.pending_count()
        lines.append(f"Watch queue: {waiting} clip{'s' if waiting != 1 else ''} waiting.")
    except (OSError, sqlite3.Error) as error:
        lines.append(f"Watch queue and history: unreadable ({error}).")
    return lines


def run_status(args: argparse.Namespace, context) -> int:
    lines = status_lines(context)
    context.say(" ".join(lines[:2] if context.verbosity == "brief" else lines), display="\n".join(lines))
    return 0


# ----- help and leaving -----------------------------------------------------------------------


def help_topics() -> list[str]:
    """What `help` accepts after it: command names and `keys`."""
    from spoofvoice.commands import names

    return [*names("repl"), "keys"]


def speak_overview(context) -> None:
    """`help` alone (and F1): every command with its summary printed; names and how to go on spoken."""
    from spoofvoice.commands import COMMANDS

    commands = [c for c in COMMANDS if c.repl]
    lines = [f"{command.name}: {command.summary}" for command in commands]
    lines.append("Type help COMMAND for more, or help keys for the keys.")
    listed = ", ".join(c.name for c in commands)
    context.say(f"Commands: {listed}. Type help and a command name for more, or help keys for the keys.", display="\n".join(lines))


def run_help(args: argparse.Namespace, context) -> int:
    """`help`, `help keys`, `help COMMAND`."""
    from spoofvoice.commands import session_parser
    from spoofvoice.session_dispatch import resolve, unknown_command_sentence

    if args.topic is None:
        speak_overview(context)
        return 0
    if args.topic.lower() == "keys":
        lines = key_help_lines(context.settings.typing_interrupts)
        context.say(" ".join(lines), display="\n".join(lines))
        return 0
    command = resolve(args.topic)
    if command is None:
        return _error(context, unknown_command_sentence(args.topic))
    usage = " ".join(session_parser(command).format_usage().split()).removeprefix("usage: ")
    context.say(command.details, display=f"{command.details}\nUsage: {usage}")
    return 0


def run_quit(args: argparse.Namespace, context) -> int:
    context.quit_requested = True
    context.say("Goodbye.")
    return 0
