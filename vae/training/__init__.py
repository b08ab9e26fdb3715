"""Training: the only package that imports TensorFlow and Keras.

The engine, the models and the worker child import TensorFlow; the parent side
(``vae.training.worker``: jobs and the warm pool) does not, and neither does this
``__init__``, so the Streamlit process may import ``vae.training.worker``.
"""
