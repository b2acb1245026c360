"""Who multiplies the models' matrices (``nlp_matmul``): same annotations, one BLAS thread."""

from pathlib import Path

import orjson
import pytest
from threadpoolctl import threadpool_info

from streams.config import ConfigError, load_settings
from streams.nlp.pipeline import LanguageConfig, build_nlp, load_pipeline_configs

SAMPLES = Path(__file__).resolve().parents[2] / "streams" / "samples" / "sample-stream.jsonl"


def _texts() -> list[str]:
    """The sample stream's texts, French and English: any text exercises every matrix."""
    rows = [orjson.loads(line) for line in SAMPLES.read_bytes().splitlines() if line.strip()]
    texts = [r["text"] for r in rows if r.get("text")]
    assert len(texts) >= 5
    return texts


def _model_only(language: str, matmul: str):
    """The language's model pipes, without Wirewatch's components."""
    base = load_pipeline_configs()[language]
    return build_nlp(LanguageConfig(language, base.model, base.pipes, ()), matmul)


def _annotations(doc) -> tuple:
    tokens = [(t.pos_, str(t.morph), t.lemma_, t.dep_, t.head.i) for t in doc]
    return tokens, [(e.start, e.end, e.label_) for e in doc.ents]


def _maxout_blis(nlp) -> set[bool]:
    """How the models' maxout layers (most of tok2vec's time) multiply: with blis?

    Not every layer: the parser's and NER's output layer is multiplied by spaCy's own
    Cython loop through thinc's CBlas, which is blis whatever the ops say.
    """
    models = [getattr(pipe, "model", None) for _, pipe in nlp.pipeline]
    layers = [layer for m in models if hasattr(m, "walk") for layer in m.walk()]
    return {layer.ops.use_blis for layer in layers if layer.name == "maxout"}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_numpy_and_blis_annotate_alike(language):
    numpy_nlp, blis_nlp = _model_only(language, "numpy"), _model_only(language, "blis")
    # Each model really multiplies with the backend asked for.
    assert _maxout_blis(numpy_nlp) == {False}
    assert _maxout_blis(blis_nlp) == {True}
    texts = _texts()
    pairs = list(zip(numpy_nlp.pipe(texts), blis_nlp.pipe(texts), strict=True))
    for a, b in pairs:
        assert _annotations(a) == _annotations(b)
    assert sum(len(a.ents) for a, _ in pairs) >= 20


def test_numpy_backend_runs_blas_on_one_thread():
    _model_only("en", "numpy")
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert blas, "numpy's BLAS is not loaded"
    assert {lib["num_threads"] for lib in blas} == {1}


def test_unknown_backend_is_refused():
    with pytest.raises(ConfigError, match="nlp_matmul"):
        load_settings(env={"WIREWATCH_NLP_MATMUL": "mkl"})
    with pytest.raises(ValueError, match="matmul"):
        _model_only("en", "mkl")
    assert load_settings(env={}).nlp_matmul == "numpy"
