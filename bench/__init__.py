"""Benchmarks behind ``python -m vae bench`` and the app server the end-to-end tests and tools start.

Not part of the library: ``vae`` never imports this package except in ``python -m vae bench``.
Figures go to BENCHMARKS.md; they are measured, never asserted in tests.
"""
