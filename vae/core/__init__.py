"""The numeric core: losses, encoding and decoding in NumPy, exact likelihoods, the Learn, Explore and
Compare numbers, snapshots and curve thinning.

NumPy, SciPy and scikit-learn only: no TensorFlow, no Streamlit, no Plotly. Every number the pages
show comes from here (the training side optimizes the same formulas in TensorFlow).
"""
