"""The languages of the reviewer report: gettext catalogs, Babel's number and date formats.

Every sentence a reviewer reads is written in English in the code, wrapped in
:func:`_` (or :func:`ngettext` when it depends on a count), and translated by the
gettext catalog ``locale/<language>/LC_MESSAGES/messages.po``. ``make`` compiles
the catalogs (``pybabel compile``); ``pybabel extract`` (see ``babel.cfg``) lists
the messages of the code and the parameters' descriptions in the notebooks'
parameters cells (the annex shows them).

The active language is set with :func:`language` (a context manager) or
:func:`each` (a loop over the report's languages, used by the notebooks so that
the analysis runs once and only its presentation once per language). A message
missing from a catalog, or marked fuzzy, raises :class:`MissingTranslation`: the
report never falls back to English quietly.

Numbers follow the active language (Babel, CLDR data): ``1,000`` and ``0.007``
in English, ``1.000`` and ``0,007`` in Italian; a negative number takes a true
minus sign (U+2212) in both.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import gettext
import io
import math
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date as _babel_date
from babel.numbers import get_decimal_symbol, get_group_symbol

#: The language the code is written in; it needs no catalog.
SOURCE_LANGUAGE = "en"
#: Every language the report can be written in.
LANGUAGES = ("en", "it")
#: The gettext domain of the project's catalogs.
DOMAIN = "messages"
#: Where the catalogs live: ``<language>/LC_MESSAGES/messages.{po,mo}``.
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Names of the languages, in themselves (for the title page and the CLI's help).
NAMES = {"en": "English", "it": "Italiano"}
MINUS = "\u2212"

_active: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=SOURCE_LANGUAGE)


class MissingTranslation(LookupError):
    """A message has no (or only a fuzzy) translation in the active language's catalog."""


class UnknownLanguage(ValueError):
    """A language the report is not translated into."""


def check_language(code: str) -> str:
    """``code`` itself when the report exists in that language, else :class:`UnknownLanguage`."""
    if code not in LANGUAGES:
        raise UnknownLanguage(
            f"unknown report language {code!r}: expected one of {', '.join(LANGUAGES)}"
        )
    return code


def report_languages(language: str = SOURCE_LANGUAGE, languages: Iterable[str] = ()) -> list[str]:
    """The languages a run presents its results in: ``language`` first, then ``languages``.

    >>> report_languages("en", ["en", "it"]), report_languages("it"), report_languages("en", "it")
    (['en', 'it'], ['it'], ['en', 'it'])
    """
    if isinstance(languages, str):
        languages = [part.strip() for part in languages.split(",") if part.strip()]
    ordered = [check_language(language)]
    for code in languages:
        if check_language(code) not in ordered:
            ordered.append(code)
    return ordered


def current() -> str:
    """The active language."""
    return _active.get()


@contextmanager
def language(code: str) -> Iterator[str]:
    """Make ``code`` the active language inside the ``with`` block."""
    token = _active.set(check_language(code))
    try:
        yield code
    finally:
        _active.reset(token)


def catalog_path(code: str, suffix: str = ".mo") -> Path:
    """The catalog file of language ``code`` (compiled ``.mo`` or source ``.po``)."""
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@cache
def _catalog(code: str, stamp: float) -> gettext.GNUTranslations:
    with catalog_path(code).open("rb") as handle:
        return gettext.GNUTranslations(handle)


def translations(code: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``code``; a clear error when it is missing or older than its source."""
    compiled, source = catalog_path(code), catalog_path(code, ".po")
    if not compiled.exists() or (source.exists() and source.stat().st_mtime > compiled.stat().st_mtime):
        raise MissingTranslation(
            f"the {code!r} catalog {compiled} is missing or older than {source.name}; "
            "compile it with `make setup` (or `make locale` after changing the report's text)"
        )
    return _catalog(code, compiled.stat().st_mtime)


def _lookup(key: str, shown: str) -> str:
    code = current()
    catalog = translations(code)._catalog  # noqa: SLF001 - gettext's only lookup without fallback
    found = catalog.get(key)
    if not found:
        raise MissingTranslation(
            f"no {code!r} translation in {catalog_path(code, '.po')} for the message "
            f"{shown!r}: add it (`make locale` updates the catalog from the code)"
        )
    return found


def _(message: str) -> str:
    """``message`` in the active language."""
    if current() == SOURCE_LANGUAGE:
        return message
    return _lookup(message, message)




def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is defined; translate it with :func:`_` where used."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 - gettext's marker style
    """Mark ``message`` with its ``context`` for the catalog; :func:`word` translates the pair."""
    return context, message


def word(marked: tuple[str, str]) -> str:
    """A message marked with :func:`NP_`, in the active language."""
    return pgettext(*marked)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for a count of ``n`` in the active language."""
    if current() == SOURCE_LANGUAGE:
        return singular if n == 1 else plural
    translated = translations(current())
    index = translated.plural(n)
    catalog = translated._catalog  # noqa: SLF001
    found = catalog.get((singular, index))
    if not found:
        raise MissingTranslation(
            f"no {current()!r} translation in {catalog_path(current(), '.po')} "
            f"for the plural message {singular!r}/{plural!r}"
        )
    return found


def pgettext(context: str, message: str) -> str:
    """``message`` in the active language, told apart from the same words elsewhere by ``context``."""
    if current() == SOURCE_LANGUAGE:
        return message
    return _lookup(f"{context}\x04{message}", f"{context}|{message}")


#: The name of each report language, marked for the catalog.
LANGUAGE_NAMES = {"en": NP_("language", "English"), "it": NP_("language", "Italian")}


def language_name(code: str) -> str:
    """The name of language ``code`` in the active language: "Italian" / "italiano"."""
    return word(LANGUAGE_NAMES[check_language(code)])


def babel_locale() -> str:
    """The Babel (CLDR) locale of the active language."""
    return {"en": "en_GB", "it": "it_IT"}[current()]


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def localize(text: str) -> str:
    r"""A number written the English way (``1,234.5``) in the active language's notation.

    The separators are Babel's (CLDR) for the locale; a hyphen becomes a true minus.

    >>> with language("it"):
    ...     localize("1,234.57"), localize("<\u00a00.001"), localize("-0.5")
    ('1.234,57', '<\xa00,001', '−0,5')
    """
    text = text.replace("-", MINUS)
    if current() == SOURCE_LANGUAGE:
        return text
    symbols = {",": get_group_symbol(babel_locale()), ".": get_decimal_symbol(babel_locale())}
    return "".join(symbols.get(char, char) for char in text)


#: Enough digits for any double exactly (at most 767 significant decimal digits).
_EXACT = Context(prec=800)


def decimal(x: float | Decimal, decimals: int, *, grouping: bool = True) -> str:
    """``x`` with exactly ``decimals`` decimals in the active language's notation.

    Ties round half up (away from zero), as a reader rounds, not to even as
    Python's ``f`` format does: 0.0625 is 0.063, 36.25 is 36.3. A tie is a
    tie of the exact binary value, so 0.15 (stored as 0.1499…) is 0.1.

    >>> decimal(1234.5678, 2), decimal(-0.25, 1), decimal(0.0625, 3)
    ('1,234.57', '−0.3', '0.063')
    >>> with language("it"):
    ...     decimal(1234.5678, 2), decimal(0.0066, 3)
    ('1.234,57', '0,007')
    """
    if _missing(x):
        return "\u2013"
    spec = f"{',' if grouping else ''}.{decimals}f"
    if not math.isfinite(x):
        return localize(format(x, spec))
    exact = x if isinstance(x, Decimal) else Decimal(float(x))
    return localize(format(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP), spec))


def integer(n: int, *, grouping: bool = True) -> str:
    """A whole number with the active language's thousands separator: 1,000 or 1.000."""
    if _missing(n):
        return "\u2013"
    return localize(f"{int(n):{',' if grouping else ''}}")


def percent(x: float, decimals: int = 0) -> str:
    """A proportion as a percentage, rounded as :func:`decimal` rounds: ``0.25`` → ``25%``.

    Ties half up, of the exact binary value times 100: 0.125 is 13% (Python's ``%``
    format, which rounds to even, writes 12%), 0.0625 to one decimal is 6.3%.

    >>> percent(0.125), percent(0.0625, 1), percent(-0.005)
    ('13%', '6.3%', '−1%')
    """
    if _missing(x):
        return "\u2013"
    if not math.isfinite(x):
        return localize(f"{x:.{decimals}%}")
    hundredfold = Decimal(float(x)).scaleb(2, context=_EXACT)  # exact: no digit of the double lost
    return decimal(hundredfold, decimals, grouping=False) + "%"


def date(day: dt.date | dt.datetime) -> str:
    """A date in words: ``27 November 2026``, ``27 novembre 2026``."""
    return _babel_date(day, format="long", locale=babel_locale())


def listed(items: Iterable[str]) -> str:
    """Items joined as a sentence lists them: "a, b and c" / "a, b e c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " " + _("and") + " " + items[-1]


#: A named placeholder of a message: ``{n}``, ``{file}``.
_PLACEHOLDER = re.compile(r"\{(\w*)(?:[:!][^}]*)?\}")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def code_messages(root: Path = PROJECT_ROOT) -> set[str | tuple[str, ...]]:
    r"""Every message of the code, as Babel extracts it (``babel.cfg``: the library's modules).

    A message is its text, a ``(singular, plural)`` pair, or ``(context, text)``
    joined as gettext keys do (``context\x04text``).
    """
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (root / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    from babel.messages.extract import DEFAULT_KEYWORDS

    found: set = set()
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "NP_": ((1, "c"), 2)}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords
    ):
        key = message if isinstance(message, str) else tuple(message)
        found.add(f"{context}\x04{key}" if context and isinstance(key, str) else key)
    return found


def catalog_problems(code: str, root: Path = PROJECT_ROOT) -> list[str]:
    """What keeps the ``code`` catalog from translating the report: one line per problem.

    A message of the code missing from the catalog, untranslated or fuzzy, a
    placeholder lost or invented by the translation. An empty list means every
    word a reviewer reads exists in that language.
    """
    from babel.messages.pofile import read_po

    source = catalog_path(code, ".po")
    if not source.exists():
        return [f"{source}: no catalog for {NAMES.get(code, code)}"]
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    entries = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        entries[f"{message.context}\x04{key}" if message.context and isinstance(key, str) else key] = message
    problems = []
    for key in sorted(code_messages(root), key=str):
        shown = str(key).replace("\x04", " | ")
        message = entries.get(key)
        if message is None:
            problems.append(f"{source.name}: missing {shown!r}")
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if message.fuzzy:
            problems.append(f"{source.name}: fuzzy {shown!r}")
        elif not all(strings):
            problems.append(f"{source.name}: untranslated {shown!r}")
        else:
            ids = [message.id] if isinstance(message.id, str) else list(message.id)
            wanted = {name for text in ids for name in _PLACEHOLDER.findall(text)}
            # a plural's forms: none invents a placeholder; the first (one) keeps those of the English
            # singular and may drop the count, which its words say ("un'affermazione"); the others keep all
            for index, text in enumerate(strings):
                got = set(_PLACEHOLDER.findall(text))
                needed = set(_PLACEHOLDER.findall(ids[0])) if len(ids) > 1 and index == 0 else wanted
                if not needed <= got <= wanted:
                    problems.append(
                        f"{source.name}: placeholders {sorted(got)} instead of {sorted(wanted)} in {shown!r}"
                    )
    return problems


def compile_catalog(source: Path, target: Path) -> int:
    """Compile one ``.po`` catalog into ``.mo`` with Babel, leaving fuzzy entries out; returns their count.

    Babel's ``pybabel compile`` also runs its ``%``-format checker, which takes the
    "95% CI" of the report's sentences for placeholders; the report's messages use
    named braces, which :func:`catalog_problems` checks instead.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as handle:
        catalog = read_po(handle)
    payload = io.BytesIO()
    write_mo(payload, catalog, use_fuzzy=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".mo.tmp")
    tmp.write_bytes(payload.getvalue())
    tmp.replace(target)  # a kernel reading the catalog never sees half of it
    return sum(1 for message in catalog if message.id and message.fuzzy)


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.i18n check`` (exit 1 naming every gap) or ``compile SOURCE.po TARGET.mo``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) == 3 and args[0] == "compile":
        fuzzy = compile_catalog(Path(args[1]), Path(args[2]))
        print(f"compiled {args[1]} to {args[2]}" + (f" ({fuzzy} fuzzy left out)" if fuzzy else ""))
        return 0
    if args != ["check"]:
        print("usage: python -m helpers.i18n check | compile SOURCE.po TARGET.mo", file=sys.stderr)
        return 2
    problems = [line for code in LANGUAGES if code != SOURCE_LANGUAGE for line in catalog_problems(code)]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the catalogs under {LOCALE_DIR}", file=sys.stderr)
        return 1
    print("catalogs complete: " + ", ".join(NAMES[code] for code in LANGUAGES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
