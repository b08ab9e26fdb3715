"""Storage: run bundles (zip files of a run), shared links and reproduce commands.

No TensorFlow here (h5py reads and writes the weights), so the Streamlit process can use all of it.
"""
