"""Story clustering on texts we write: copies join, unrelated stories do not."""

from streams.nlp.clustering import (
    MAX_BUCKET,
    WINDOW_MS,
    BandIndex,
    assign_story,
    band_keys,
    content_hash,
    shingles,
    signature,
    similarity,
)

WIRE = (
    "Le gouvernement a annoncé mardi un plan de rénovation des écoles publiques, doté de "
    "deux milliards d'euros sur cinq ans, qui doit concerner en priorité les bâtiments les "
    "plus anciens des zones rurales. Le ministre de l'Éducation a précisé que les premiers "
    "chantiers commenceraient au printemps et que les collectivités locales seraient "
    "associées au choix des établissements. Les syndicats d'enseignants ont salué une "
    "annonce attendue, tout en jugeant le montant insuffisant face à l'ampleur des besoins."
)
EDITED = WIRE.replace("a annoncé mardi", "a présenté mardi").replace(
    " Les syndicats d'enseignants ont salué une annonce attendue, tout en jugeant le montant "
    "insuffisant face à l'ampleur des besoins.",
    "",
)
OTHER = (
    "The central bank kept its key interest rate unchanged on Thursday, saying inflation "
    "had eased for a third month but remained above its target, and signalled that cuts "
    "were unlikely before the summer as wage growth stayed strong across the economy."
)


def _index():
    return {}, BandIndex()


def test_shingles_ignore_case_and_punctuation():
    assert shingles("Le Monde, dit-il.") == shingles("le monde dit il")


def test_edited_copy_joins_the_story_and_unrelated_article_does_not():
    articles, buckets = _index()
    first = assign_story("a", signature(WIRE), content_hash(WIRE), 0, articles, buckets)
    copy = assign_story("b", signature(EDITED), content_hash(EDITED), 60_000, articles, buckets)
    other = assign_story("c", signature(OTHER), content_hash(OTHER), 120_000, articles, buckets)
    assert first.new_story
    assert copy.story_id == first.story_id and not copy.new_story
    assert copy.matched_article == "a" and copy.similarity >= 0.5
    assert other.new_story and other.story_id != first.story_id


def test_redelivered_article_keeps_its_story():
    articles, buckets = _index()
    assign_story("a", signature(WIRE), content_hash(WIRE), 0, articles, buckets)
    copy = assign_story("b", signature(EDITED), content_hash(EDITED), 0, articles, buckets)
    again = assign_story("b", signature(EDITED), content_hash(EDITED), 0, articles, buckets)
    assert again == copy


def test_copies_far_apart_in_time_are_separate_stories():
    articles, buckets = _index()
    first = assign_story("a", signature(WIRE), content_hash(WIRE), 0, articles, buckets)
    late = assign_story(
        "b", signature(EDITED), content_hash(EDITED), WINDOW_MS + 1, articles, buckets
    )
    assert late.new_story and late.story_id != first.story_id


def test_similarity_estimates_jaccard():
    assert similarity(signature(WIRE), signature(WIRE)) == 1.0
    assert similarity(signature(WIRE), signature(OTHER)) < 0.1


def test_same_id_with_new_text_is_a_correction_of_the_same_article():
    articles, buckets = _index()
    first = assign_story("a", signature(WIRE), content_hash(WIRE), 0, articles, buckets)
    fixed = WIRE.replace("deux milliards", "trois milliards")
    correction = assign_story("a", signature(fixed), content_hash(fixed), 0, articles, buckets)
    assert correction.version == 2 and first.version == 1
    assert correction.story_id == first.story_id
    again = assign_story("a", signature(fixed), content_hash(fixed), 0, articles, buckets)
    assert again.version == 2  # a re-delivery of the correction is not a third version


def test_the_index_forgets_articles_the_window_left_behind():
    from streams.nlp.clustering import expired, forget

    articles, buckets = _index()
    assign_story("old", signature(WIRE), content_hash(WIRE), 0, articles, buckets)
    assign_story("new", signature(OTHER), content_hash(OTHER), WINDOW_MS, articles, buckets)
    assert expired(articles, WINDOW_MS + 1) == ["old"]
    forget("old", articles, buckets)
    assert set(articles) == {"new"}
    bands = buckets.snapshot()
    assert all("old" not in members for members in bands.values())
    assert len(bands) == 32  # only the new article's bands remain
    # A copy of the forgotten article now starts a story of its own.
    again = assign_story(
        "copy", signature(EDITED), content_hash(EDITED), WINDOW_MS, articles, buckets
    )
    assert again.new_story


def _variant(i: int) -> str:
    """WIRE with one sentence changed: near-copies that share most bands."""
    return WIRE.replace("au printemps", f"au printemps (phase {i})")


def test_rebuilding_from_the_articles_gives_the_index_kept_article_by_article():
    """The band index is not stored: after a recovery it is rebuilt from the articles'
    signatures and order (``seq``), and must equal the one the stream kept up to date —
    through more copies than a band compares, a correction and forgotten articles."""
    from streams.nlp.clustering import forget

    articles, index = _index()
    for i in range(MAX_BUCKET + 12):
        assign_story(f"v{i}", signature(_variant(i)), content_hash(_variant(i)), 0, articles, index)
    # A correction re-indexes an early article: newest in its bands, yet it stays at
    # its place in the store (a dict, like the Faust table), so store order is not seq order.
    fixed = _variant(3).replace("deux milliards", "trois milliards")
    assign_story("v3", signature(fixed), content_hash(fixed), 0, articles, index)
    assign_story("other", signature(OTHER), content_hash(OTHER), 0, articles, index)
    for gone in ("v0", "v7", "other"):
        forget(gone, articles, index)

    rebuilt = BandIndex()
    assert rebuilt.rebuild(articles.items()) == len(articles)
    assert rebuilt.snapshot() == index.snapshot()
    # And the two go on alike: the next article is the newest member in both.
    for ix in (index, rebuilt):
        assign_story(
            "next", signature(_variant(99)), content_hash(_variant(99)), 0, {**articles}, ix
        )
    assert rebuilt.snapshot() == index.snapshot()


def test_a_correction_leaves_the_bands_of_its_old_text():
    articles, index = _index()
    assign_story("a", signature(WIRE), content_hash(WIRE), 0, articles, index)
    assign_story("a", signature(OTHER), content_hash(OTHER), 0, articles, index)
    bands = {key for key, members in index.snapshot().items() if "a" in members}
    assert bands == set(band_keys(signature(OTHER)))
    # A copy of the old text no longer finds it.
    copy = assign_story("b", signature(EDITED), content_hash(EDITED), 0, articles, index)
    assert copy.new_story


def test_a_band_compares_only_its_newest_members():
    index = BandIndex()
    for i in range(MAX_BUCKET + 10):
        index.add(f"x{i}", ["0:shared", f"1:own{i}"])
    index.add("x5", ["0:shared"])  # re-indexed: the newest again
    newest = list(index.newest("0:shared"))
    assert len(newest) == MAX_BUCKET
    assert newest[0] == "x5" and newest[1] == f"x{MAX_BUCKET + 9}"
    assert "x0" not in newest and "x10" not in newest
    assert list(index.newest("1:own0")) == ["x0"] and list(index.newest("absent")) == []


def test_a_sweep_forgets_the_oldest_expired_articles_first_and_at_most_its_limit():
    """Each forgotten article is a changelog tombstone; a sweep is capped so that it
    cannot flood Faust's producer buffer, and what it leaves is the newest."""
    from streams.nlp.clustering import expired

    articles, index = _index()
    for aid, t in (("c", 3_000), ("a", 1_000), ("live", WINDOW_MS), ("b", 2_000)):
        text = _variant(len(articles))
        assign_story(aid, signature(text), content_hash(text), t, articles, index)
    watermark = WINDOW_MS + 3_500
    assert expired(articles, watermark) == ["a", "b", "c"]
    assert expired(articles, watermark, limit=2) == ["a", "b"]
