"""A minimal Django project serving django-helpdesk, the peer of the side-by-side benchmark.

It runs inside its own virtualenv (``.bench/helpdesk-venv``, built by
``bench/bench_vs_helpdesk.py``), never imports Yiwen, and is configured the way
its documentation asks for a production deployment, with the same SQLite
pragmas Yiwen uses so that neither side wins on durability settings.
"""
