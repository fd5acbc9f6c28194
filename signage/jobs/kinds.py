"""Every module that registers job task functions, imported once (web and consumer
must know the same kinds)."""

from ..posters import jobs as posters_jobs  # noqa: F401
