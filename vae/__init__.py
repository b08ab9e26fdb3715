"""Latent Lab's library: data, models, losses, training engine and helpers.

Importing this package (or ``vae.config``, ``vae.data``, ``vae.core.decode``) never
imports TensorFlow: the Streamlit process stays light and TensorFlow lives in
the training worker. Modules that need TensorFlow (``models``, ``engine``)
import it themselves.
"""

__version__ = "0.1.0"
