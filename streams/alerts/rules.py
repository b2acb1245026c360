"""Alert rules: YAML files → a validated, compiled ``RuleSet``.

Conditions are CEL (Google's Common Expression Language, via ``cel-python``): a small,
side-effect-free, always-terminating language with list macros (``exists``, ``all``,
``filter``, ``map``) and a published spec — rule files are configuration that
operators edit, so they must not be able to run code, loop forever or read files.

A rule file::

    lists:                      # named constants, visible to every rule as lists.<name>
      p5: [US, RU, CN, GB, FR]
    rules:
      - id: p5-verbal-conflict
        title: {en: "Verbal conflict: ${actors}", fr: "Conflit verbal : ${actors}"}
        severity: high          # critical | high | medium | low | info
        condition: "size(events) > 0"                    # CEL → bool, over the article
        evidence: "events.filter(e, e.root in ['10','11','12','13','14'])"   # optional
        window: {per: story, count: sources, at_least: 2, within: 6h}      # optional
        cooldown: 30m           # optional (default 10m)

A rule matches an article when ``condition`` is true and, if ``evidence`` is given, it
selects at least one event or quote; the evidence supplies the alert's statement and
actors. Everything is checked when the files are loaded — YAML shape, CEL syntax,
names and fields (against the context's documented shape), result types on a probe
article — and every problem is reported with its file and line (``RuleError``).

Evaluation: each expression's native guard (``guards.py``) decides first; cel-python runs
only for what the guard cannot decide, on CEL values made per article for the fields the
program reads (``Article``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import celpy
import lark
import yaml
from celpy import celtypes

from .context import CONTEXT_FIELDS, PROBE_RECORD, build_context
from .guards import Guard, condition_guard, evidence_guard

log = logging.getLogger(__name__)

DEFAULT_RULES_FILE = Path(__file__).with_name("default_rules.yaml")

SEVERITIES = ("critical", "high", "medium", "low", "info")
WINDOW_PER = ("story", "actor_pair")
WINDOW_COUNT = ("sources", "articles")
DEFAULT_COOLDOWN_S = 600.0
MAX_PAIR_ACTORS = 12  # an article naming 40 actors must not open 780 pair windows

# ${placeholders} a title template may use (filled in by ``matching.title_values``).
TITLE_FIELDS = frozenset(
    {"speakers", "actors", "event", "countries", "topic", "source", "title", "quote", "rule"}
)
_RULE_KEYS = frozenset(
    {
        "id",
        "title",
        "severity",
        "description",
        "condition",
        "evidence",
        "pairs",
        "window",
        "cooldown",
        "enabled",
    }
)
_FILE_KEYS = frozenset({"version", "lists", "rules"})
_WINDOW_KEYS = frozenset({"per", "count", "at_least", "within"})
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
_LIST_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_MACROS = frozenset({"exists", "all", "exists_one", "map", "filter"})


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    rule: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: rule {self.rule!r}: {self.reason}"
            if self.rule
            else f"{where}: {self.reason}"
        )


class RuleError(ValueError):
    """Rule files that cannot be used; ``problems`` says where and why, one per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def parse_duration(value: Any) -> float:
    """'90s', '30m', '6h', '2d', '250ms' or a number of seconds → seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 30m, 6h, 2d)")
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    return seconds


@dataclass(frozen=True)
class Window:
    """≥ ``at_least`` distinct sources (or articles) within ``within_s`` of event time."""

    per: str  # story | actor_pair
    count: str  # sources | articles
    at_least: int
    within_s: float

    def to_record(self) -> dict[str, Any]:
        return {
            "per": self.per,
            "count": self.count,
            "at_least": self.at_least,
            "within_s": self.within_s,
        }


@dataclass(frozen=True)
class Outcome:
    """What one rule says about one article."""

    matched: bool
    evidence: list[dict[str, Any]] = field(default_factory=list)  # context items (events/quotes)
    pairs: list[str] = field(default_factory=list)  # actor ids to pair (actor_pair windows)
    error: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    titles: dict[str, string.Template]  # language → template; "en" always present
    condition: str
    evidence: str | None
    pairs: str | None
    window: Window | None
    cooldown_s: float
    description: str
    file: str
    line: int
    programs: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    # Per expression: the native guard (see guards.py) and the context fields CEL reads.
    guards: dict[str, Guard] = field(repr=False, compare=False, default_factory=dict)
    names: dict[str, frozenset[str]] = field(repr=False, compare=False, default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Changes when the rule's meaning changes (logged with every match)."""
        text = "\x1f".join(
            [
                self.id,
                self.severity,
                self.condition,
                self.evidence or "",
                self.pairs or "",
                repr(self.window),
                str(self.cooldown_s),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def title_for(self, language: str) -> dict[str, string.Template]:
        """The templates to render: English, plus the article's language when written."""
        out = {"en": self.titles["en"]}
        if language and language != "en" and language in self.titles:
            out[language] = self.titles[language]
        return out

    def evaluate(self, article: Article) -> Outcome:
        """Decide the rule on one article (native guards, then CEL); never raises."""
        try:
            if not self._holds("condition", article):
                return Outcome(False)
            evidence: list[dict[str, Any]] = []
            if "evidence" in self.programs:
                evidence = self._evidence(article)
                if not isinstance(evidence, list) or not evidence:
                    return Outcome(False)
            pairs: list[str] = []
            if "pairs" in self.programs:
                pairs = [p for p in from_cel(self._run("pairs", article)) if p]
            return Outcome(True, evidence, pairs)
        except Exception as exc:  # a CEL run-time error (e.g. type mismatch) on this article
            return Outcome(False, error=cel_error_message(exc))

    def _holds(self, key: str, article: Article) -> bool:
        guard = self.guards.get(key)
        verdict = _check(guard, article.context)
        if verdict is False:
            return False  # a conjunct is false: so is the condition, error or not
        if verdict and guard is not None and guard.exact:
            return True
        return _is_true(self._run(key, article))

    def _evidence(self, article: Article) -> Any:
        guard = self.guards.get("evidence")
        verdict = _check(guard, article.context)
        if verdict is False:
            return []  # no item passes the guarded conjuncts: CEL would select nothing
        if verdict and guard is not None and guard.select is not None:
            try:
                return guard.select(article.context)
            except Exception:  # pragma: no cover - as for _check
                log.exception("alert guard failed; falling back to CEL")
        return from_cel(self._run("evidence", article))

    def _run(self, key: str, article: Article) -> Any:
        value = self.programs[key].evaluate(article.cel(self.names[key]))
        if isinstance(value, Exception):
            raise value
        return value


def _check(guard: Guard | None, context: Mapping[str, Any]) -> bool | None:
    """A guard's verdict; None when there is none (or it failed, which it should not)."""
    if guard is None:
        return None
    try:
        return guard.check(context)
    except Exception:  # pragma: no cover - the context's types rule this out; CEL decides
        log.exception("alert guard failed; falling back to CEL")
        return None


class Article:
    """One article being matched: its plain rule context, and its CEL values on demand.

    A CEL value is made once per article and only for the fields a CEL program that
    actually runs reads (most articles are decided by guards and need none); objects the
    context shares (an actor in several events) are converted once.
    """

    __slots__ = ("_lists", "_memo", "_values", "context")

    def __init__(self, context: Mapping[str, Any], lists: Any) -> None:
        self.context = context
        self._lists = lists
        self._values: dict[str, Any] = {}
        self._memo: dict[int, Any] = {}

    def cel(self, names: Iterable[str]) -> dict[str, Any]:
        out = {}
        for name in names:
            value = self._values.get(name)
            if value is None:
                is_lists = name == "lists"
                value = self._lists if is_lists else _to_cel(self.context[name], self._memo)
                self._values[name] = value
            out[name] = value
        return out


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    lists: dict[str, list[Any]]
    files: tuple[str, ...]

    @property
    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def _lists_cel(self) -> Any:
        return celpy.json_to_cel(dict(self.lists))

    def article(self, context: Mapping[str, Any]) -> Article:
        """The per-article evaluation state for a context built with these rules' lists."""
        return Article(context, self._lists_cel)


# ---------------------------------------------------------------------------- CEL helpers


def _is_true(value: Any) -> bool:
    if isinstance(value, Exception):
        raise value
    return isinstance(value, celtypes.BoolType) and bool(value)


def _to_cel(value: Any, memo: dict[int, Any]) -> Any:
    """``celpy.json_to_cel`` for one context value, converting each shared list or map once."""
    kind = type(value)
    if kind is str:
        return celtypes.StringType(value)
    if kind is bool:
        return celtypes.BoolType(value)
    if kind is int:
        return celtypes.IntType(value)
    if kind is float:
        return celtypes.DoubleType(value)
    if kind is list or kind is dict:
        found = memo.get(id(value))
        if found is None:
            if kind is list:
                found = celtypes.ListType([_to_cel(v, memo) for v in value])
            else:
                found = celtypes.MapType(
                    {celtypes.StringType(k): _to_cel(v, memo) for k, v in value.items()}
                )
            memo[id(value)] = found
        return found
    return celpy.json_to_cel(value)


def from_cel(value: Any) -> Any:
    """CEL values → plain Python (str, int, float, bool, list, dict)."""
    if isinstance(value, Exception):
        raise value
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.IntType | celtypes.UintType):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.MapType):
        return {from_cel(k): from_cel(v) for k, v in value.items()}
    if isinstance(value, celtypes.ListType | list | tuple):
        return [from_cel(v) for v in value]
    return value


def cel_error_message(exc: BaseException) -> str:
    """A one-line reason from a cel-python error (which embeds the whole activation)."""
    text = str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc.args[0] if exc.args else None, tuple):  # CELEvalError wraps a tuple
        text = str(exc.args[0][0])
    text = text.split(" (in activation", 1)[0]
    return f"{type(exc).__name__}: {text.strip()}"


def _context_keys(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            out.add(k)
            _context_keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _context_keys(v, out)
    return out


_KNOWN_FIELDS = frozenset(_context_keys(build_context(PROBE_RECORD), set()))


def _names_and_fields(tree: Any) -> tuple[set[str], set[str], set[str], set[str]]:
    """(identifiers, macro-bound variables, member fields, lists.<name> names) of a CEL AST."""
    idents: set[str] = set()
    bound: set[str] = set()
    members: set[str] = set()
    list_names: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "ident":
            idents.add(str(node.children[0]))
        elif node.data == "member_dot":
            target, name = node.children
            members.add(str(name))
            first = target.children[0] if getattr(target, "children", None) else None
            if (
                getattr(first, "data", None) == "primary"
                and getattr(first.children[0], "data", None) == "ident"
                and str(first.children[0].children[0]) == "lists"
            ):
                list_names.add(str(name))
        elif node.data == "member_dot_arg":
            method = str(node.children[1])
            args = node.children[2] if len(node.children) > 2 else None
            if method in _MACROS and args is not None and args.children:
                var = _single_ident(args.children[0])
                if var:
                    bound.add(var)
    return idents, bound, members, list_names


def _single_ident(expr: Any) -> str | None:
    """The identifier if ``expr`` is nothing but one identifier (a macro's variable)."""
    node = expr
    while getattr(node, "children", None) and len(node.children) == 1:
        if node.data == "ident":
            return str(node.children[0])
        node = node.children[0]
    if getattr(node, "data", None) == "ident":
        return str(node.children[0])
    return None


# ------------------------------------------------------------------------------ loading


@dataclass
class _Rules:
    """Accumulates rules and lists across files (defaults first, then user files)."""

    env: Any = field(default_factory=celpy.Environment)
    rules: dict[str, Rule] = field(default_factory=dict)
    layer: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (layer, file)
    disabled: set[str] = field(default_factory=set)
    lists: dict[str, list[Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    pending: list[tuple[dict[str, Any], Any, str, str]] = field(default_factory=list)
    native: bool = True


def load_rules(
    paths: Iterable[str | Path] = (), include_default: bool = True, native: bool = True
) -> RuleSet:
    """Load the default pack (optional) then ``paths`` (files or directories of *.yaml).

    A user rule with the id of a default rule replaces it; ``{id: X, enabled: false}``
    switches a rule off; user lists replace default lists of the same name. Raises
    ``RuleError`` listing every problem found, each with its file and line.
    ``native=False`` leaves every decision to cel-python (the reference the native
    guards are tested against).
    """
    acc = _Rules(native=native)
    files: list[tuple[Path, str]] = []
    if include_default:
        files.append((DEFAULT_RULES_FILE, "default"))
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            files += [(f, "user") for f in sorted(path.iterdir()) if f.suffix in {".yaml", ".yml"}]
        elif path.is_file():
            files.append((path, "user"))
        else:
            acc.problems.append(Problem(str(path), 1, None, "no such rule file or directory"))
    for path, layer in files:
        _read_file(acc, path, layer)
    # Lists first (from every file), then rules: a rule may use a list another file defines.
    for raw, node, file, layer in acc.pending:
        _add_rule(acc, raw, node, file, layer)
    if acc.problems:
        raise RuleError(acc.problems)
    rules = tuple(r for rid, r in acc.rules.items() if rid not in acc.disabled)
    return RuleSet(rules, acc.lists, tuple(str(f) for f, _ in files))


def _line(node: Any) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def _child(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _read_file(acc: _Rules, path: Path, layer: str) -> None:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        acc.problems.append(Problem(file, 1, None, f"cannot read: {exc}"))
        return
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        acc.problems.append(
            Problem(file, mark.line + 1 if mark else 1, None, f"invalid YAML: {problem}")
        )
        return
    finally:
        loader.dispose()
    if data is None:
        return
    if not isinstance(data, dict):
        acc.problems.append(
            Problem(file, _line(node), None, "a rule file is a mapping with `rules:`")
        )
        return
    for key in sorted(set(data) - _FILE_KEYS):
        acc.problems.append(
            Problem(file, _line(_child(node, key)), None, f"unknown top-level key {key!r}")
        )
    lists = data.get("lists") or {}
    lists_node = _child(node, "lists")
    if not isinstance(lists, dict):
        acc.problems.append(Problem(file, _line(lists_node), None, "`lists` must be a mapping"))
        lists = {}
    for name, values in lists.items():
        where = _line(_child(lists_node, name))
        if not isinstance(name, str) or not _LIST_NAME.match(name):
            acc.problems.append(Problem(file, where, None, f"bad list name {name!r}"))
        elif not isinstance(values, list) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in values
        ):
            acc.problems.append(
                Problem(file, where, None, f"list {name!r} must be a list of strings or numbers")
            )
        else:
            acc.lists[name] = values
    rules = data.get("rules") or []
    rules_node = _child(node, "rules")
    if not isinstance(rules, list):
        acc.problems.append(Problem(file, _line(rules_node), None, "`rules` must be a list"))
        return
    for raw, rule_node in zip(rules, rules_node.value if rules_node else [], strict=False):
        acc.pending.append((raw, rule_node, file, layer))


def _add_rule(acc: _Rules, raw: Any, node: Any, file: str, layer: str) -> None:
    problems: list[Problem] = []
    rid = raw.get("id") if isinstance(raw, dict) else None

    def bad(key: str | None, reason: str) -> None:
        where = _child(node, key) if key else None
        problems.append(Problem(file, _line(where if where is not None else node), rid, reason))

    if not isinstance(raw, dict):
        acc.problems.append(Problem(file, _line(node), None, "a rule must be a mapping"))
        return
    if not isinstance(rid, str) or not _ID.match(rid):
        bad("id" if "id" in raw else None, "`id` must be lower-case letters, digits, - _ .")
        acc.problems += problems
        return
    if rid in acc.layer and acc.layer[rid][0] == layer:
        bad("id", f"duplicate rule id (also defined in {acc.layer[rid][1]})")
    acc.layer[rid] = (layer, file)
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        bad("enabled", "`enabled` must be true or false")
    if enabled is False and set(raw) <= {"id", "enabled"}:
        acc.disabled.add(rid)
        acc.problems += problems
        return
    for key in sorted(set(raw) - _RULE_KEYS):
        bad(key, f"unknown key {key!r} (known: {', '.join(sorted(_RULE_KEYS))})")

    severity = raw.get("severity")
    if severity not in SEVERITIES:
        bad(
            "severity" if "severity" in raw else None,
            f"`severity` must be one of {', '.join(SEVERITIES)}",
        )

    titles = _titles(
        raw.get("title"), lambda reason: bad("title" if "title" in raw else None, reason)
    )

    window: Window | None = None
    if "window" in raw:
        window = _window(raw["window"], _child(node, "window"), file, rid, problems)

    cooldown_s = DEFAULT_COOLDOWN_S
    if "cooldown" in raw:
        try:
            cooldown_s = parse_duration(raw["cooldown"])
        except ValueError as exc:
            bad("cooldown", str(exc))

    description = raw.get("description", "")
    if not isinstance(description, str):
        bad("description", "`description` must be text")

    programs: dict[str, Any] = {}
    trees: dict[str, Any] = {}
    sources: dict[str, str | None] = {}
    for key, required in (("condition", True), ("evidence", False), ("pairs", False)):
        src = raw.get(key)
        if src is None:
            if required:
                bad(None, "`condition` is required (a CEL expression)")
            sources[key] = None
            continue
        if not isinstance(src, str) or not src.strip():
            bad(key, f"`{key}` must be a CEL expression (text)")
            sources[key] = None
            continue
        sources[key] = src
        compiled = _compile(acc, key, src, _child(node, key), file, rid, problems)
        if compiled is not None:
            programs[key], trees[key] = compiled
    if sources.get("pairs") and (window is None or window.per != "actor_pair"):
        bad("pairs", "`pairs` only makes sense with `window: {per: actor_pair}`")

    if not problems and len(programs) == sum(1 for s in sources.values() if s):
        _probe(acc, programs, node, file, rid, problems)

    if problems:
        acc.problems += problems
        return
    guards, names = _native(acc, programs, trees)
    rule = Rule(
        id=rid,
        severity=severity,
        titles=titles,
        condition=sources["condition"] or "",
        evidence=sources.get("evidence"),
        pairs=sources.get("pairs"),
        window=window,
        cooldown_s=cooldown_s,
        description=description,
        file=file,
        line=_line(node),
        programs=programs,
        guards=guards,
        names=names,
    )
    acc.rules[rid] = rule
    if enabled is False:
        acc.disabled.add(rid)
    else:
        acc.disabled.discard(rid)


def _titles(value: Any, bad) -> dict[str, string.Template]:
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict) or "en" not in value:
        bad("`title` must be a template, or a mapping of language → template with `en`")
        return {"en": string.Template("")}
    out: dict[str, string.Template] = {}
    for lang, text in value.items():
        if not isinstance(lang, str) or not _LANG.match(lang):
            bad(f"title language {lang!r} is not an ISO 639 code")
            continue
        if not isinstance(text, str) or not text.strip():
            bad(f"title[{lang}] must be non-empty text")
            continue
        template = string.Template(text)
        if not template.is_valid():
            bad(f"title[{lang}] is not a valid template (write $$ for a literal $)")
            continue
        unknown = set(template.get_identifiers()) - TITLE_FIELDS
        if unknown:
            bad(
                f"title[{lang}] uses unknown placeholder(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(TITLE_FIELDS))})"
            )
            continue
        out[lang] = template
    return out if "en" in out else {"en": string.Template("")}


def _window(value: Any, node: Any, file: str, rid: str, problems: list[Problem]) -> Window | None:
    def bad(key: str | None, reason: str) -> None:
        where = _child(node, key) if key else None
        problems.append(Problem(file, _line(where if where is not None else node), rid, reason))

    if not isinstance(value, dict):
        bad(None, "`window` must be a mapping {per, count, at_least, within}")
        return None
    for key in sorted(set(value) - _WINDOW_KEYS):
        bad(key, f"unknown window key {key!r}")
    per = value.get("per", "story")
    count = value.get("count", "sources")
    at_least = value.get("at_least")
    if per not in WINDOW_PER:
        bad("per", f"window.per must be one of {', '.join(WINDOW_PER)}")
    if count not in WINDOW_COUNT:
        bad("count", f"window.count must be one of {', '.join(WINDOW_COUNT)}")
    if not isinstance(at_least, int) or isinstance(at_least, bool) or at_least < 1:
        bad("at_least" if "at_least" in value else None, "window.at_least must be an integer ≥ 1")
    if "within" not in value:
        bad(None, "window.within is required (a duration such as 6h)")
        return None
    try:
        within = parse_duration(value["within"])
        if within <= 0:
            raise ValueError("window.within must be positive")
    except ValueError as exc:
        bad("within", str(exc))
        return None
    if per not in WINDOW_PER or count not in WINDOW_COUNT or not isinstance(at_least, int):
        return None
    return Window(per, count, at_least, within)


def _expression_line(node: Any, cel_line: int | None) -> int:
    """File line of a CEL error: literal blocks keep their lines, others start at the value."""
    base = _line(node)
    style = getattr(node, "style", None)
    if style in ("|", ">"):
        base += 1  # block scalars start on the line after the indicator
    if style == "|" and cel_line:
        return base + cel_line - 1
    return base


def _compile(
    acc: _Rules, key: str, src: str, node: Any, file: str, rid: str, problems: list[Problem]
) -> tuple[Any, Any] | None:
    """(cel-python program, parse tree), or None with the problems recorded."""
    try:
        tree = acc.env.compile(src)
    except celpy.CELParseError as exc:
        line = getattr(exc, "line", None)
        column = getattr(exc, "column", None)
        pointer = str(exc.args[0]).rstrip() if exc.args else ""
        snippet = pointer.splitlines()[0].strip() if pointer else ""
        problems.append(
            Problem(
                file,
                _expression_line(node, line),
                rid,
                f"`{key}` is not valid CEL (column {column}): near {snippet!r}",
            )
        )
        return None
    idents, bound, members, list_names = _names_and_fields(tree)
    reasons: list[tuple[str, str]] = []  # (reason, a pattern locating it in the source)
    unknown_names = idents - set(CONTEXT_FIELDS) - bound
    if unknown_names:
        names = sorted(unknown_names)
        reasons.append(
            (
                f"unknown name(s) {', '.join(names)} (see the rule context in the README)",
                rf"(?<![.\w]){re.escape(names[0])}\b",
            )
        )
    unknown_fields = sorted(members - _KNOWN_FIELDS - set(acc.lists) - {"lists"})
    if unknown_fields:
        reasons.append(
            (
                f"unknown field(s) {', '.join('.' + m for m in unknown_fields)}",
                rf"\.\s*{re.escape(unknown_fields[0])}\b",
            )
        )
    unknown_lists = sorted(list_names - set(acc.lists))
    if unknown_lists:
        reasons.append(
            (
                f"undefined list(s) {', '.join('lists.' + n for n in unknown_lists)}",
                rf"lists\.\s*{re.escape(unknown_lists[0])}\b",
            )
        )
    for reason, pattern in reasons:
        found = re.search(pattern, src)
        cel_line = src.count("\n", 0, found.start()) + 1 if found else None
        problems.append(Problem(file, _expression_line(node, cel_line), rid, f"`{key}`: {reason}"))
    if reasons:
        return None
    try:
        return acc.env.program(tree), tree
    except Exception as exc:  # pragma: no cover - cel-python rejects at compile() first
        problems.append(Problem(file, _line(node), rid, f"`{key}`: {cel_error_message(exc)}"))
        return None


def _probe(
    acc: _Rules, programs: dict[str, Any], node: Any, file: str, rid: str, problems: list[Problem]
) -> None:
    """Evaluate on the probe article: type errors and wrong result types surface now."""
    activation = celpy.json_to_cel(build_context(PROBE_RECORD, acc.lists))
    for key, program in programs.items():
        where = _line(_child(node, key))
        try:
            result = program.evaluate(activation)
            if isinstance(result, Exception):
                raise result
        except Exception as exc:
            problems.append(
                Problem(
                    file, where, rid, f"`{key}` fails on a sample article: {cel_error_message(exc)}"
                )
            )
            continue
        if key == "condition" and not isinstance(result, celtypes.BoolType):
            problems.append(
                Problem(
                    file, where, rid, f"`condition` must be true/false, not {type(result).__name__}"
                )
            )
        elif key == "evidence":
            items = from_cel(result)
            if not isinstance(items, list) or any(
                not isinstance(i, dict) or i.get("kind") not in ("event", "quote") for i in items
            ):
                problems.append(
                    Problem(
                        file,
                        where,
                        rid,
                        "`evidence` must select events or quotes, e.g. events.filter(e, …)",
                    )
                )
        elif key == "pairs":
            items = from_cel(result)
            if not isinstance(items, list) or any(not isinstance(i, str) for i in items):
                problems.append(Problem(file, where, rid, "`pairs` must be a list of actor ids"))


def _context_names(tree: Any) -> frozenset[str]:
    """Every context field a program may read: each identifier token that names one
    (a superset — ``e.source`` counts ``source`` — so nothing it reads is left out)."""
    tokens = tree.scan_values(lambda v: isinstance(v, lark.Token) and v.type == "IDENT")
    return frozenset(str(t) for t in tokens) & frozenset(CONTEXT_FIELDS)


def _native(
    acc: _Rules, programs: dict[str, Any], trees: dict[str, Any]
) -> tuple[dict[str, Guard], dict[str, frozenset[str]]]:
    """Per expression: its native guard and the context fields its CEL program reads.

    A guard is kept only if it agrees with CEL on the probe article (a cheap safety net;
    the tests compare them on hundreds of generated articles).
    """
    names = {key: _context_names(tree) for key, tree in trees.items()}
    guards: dict[str, Guard] = {}
    if not acc.native:
        return guards, names
    derive = {"condition": condition_guard, "evidence": evidence_guard}
    probe = build_context(PROBE_RECORD, acc.lists)
    article = Article(probe, celpy.json_to_cel(dict(acc.lists)))
    for key, make in derive.items():
        guard = make(trees[key], acc.lists) if key in trees else None
        if guard is None:
            continue
        value = programs[key].evaluate(article.cel(names[key]))
        truth = _is_true(value) if key == "condition" else bool(from_cel(value))
        verdict = guard.check(probe)
        wrong_items = guard.select is not None and guard.select(probe) != from_cel(value)
        if (guard.exact and verdict != truth) or (truth and not verdict) or wrong_items:
            log.warning("alert guard for %s disagrees with CEL on the probe; not used", key)
            continue
        guards[key] = guard
    return guards, names
