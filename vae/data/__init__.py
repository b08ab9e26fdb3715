"""Data: the Dataset, preset generators, the CSV reader, column roles, spreadsheet export, views.

NumPy and pandas only (no TensorFlow, no Streamlit). This ``__init__`` imports nothing, so importing
one module does not import the others.
"""
