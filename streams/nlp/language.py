"""Language identification (py3langid: a small model shipped in its wheel, no downloads)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str
    confidence: float
    method: str  # "declared" (from the producer) or "detected"


# Languages news is commonly published in. Restricting the identifier to them
# avoids exotic answers on short, name-heavy texts ("Donald Trump met Vladimir
# Putin in Da Nang" is Bikol to an unrestricted model). Configurable.
DEFAULT_CANDIDATES = (
    "en",
    "fr",
    "de",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "uk",
    "pl",
    "cs",
    "ro",
    "hu",
    "el",
    "sv",
    "da",
    "no",
    "fi",
    "tr",
    "ar",
    "fa",
    "he",
    "zh",
    "ja",
    "ko",
    "hi",
    "id",
    "vi",
)


class LanguageDetector:
    """Detect an article's language from its title and first few thousand characters."""

    name = "py3langid"
    sample_chars = 3000

    def __init__(self, candidates: tuple[str, ...] = DEFAULT_CANDIDATES) -> None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        self._ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
        if candidates:
            self._ident.set_languages(list(candidates))
        self.candidates = tuple(candidates)
        self.version = version("py3langid")

    def detect(
        self, text: str, title: str | None = None, declared: str | None = None
    ) -> LanguageGuess:
        if declared:
            return LanguageGuess(declared.split("-")[0].lower(), 1.0, "declared")
        sample = ((title or "") + "\n" + text[: self.sample_chars]).strip()
        lang, prob = self._ident.classify(sample)
        return LanguageGuess(str(lang), round(float(prob), 4), "detected")
