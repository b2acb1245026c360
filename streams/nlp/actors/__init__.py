"""Canonical actors: the ``ww_actors`` spaCy component and its alias table.

Importing this package registers the factory (``streams.nlp.actors.resolver``); the
table in ``data/actors.json.gz`` is rebuilt with ``build_aliases`` (see its docstring).
"""

from .resolver import ActorResolver, make_actor_resolver

__all__ = ["ActorResolver", "make_actor_resolver"]
