"""The run bundle's format: its members, the caps on untrusted input, and its error.

A bundle is a zip of plain files a person can open::

    config.json          format version, app and library versions, the data,
                         model and training settings, dataset and run facts
                         (status, message, epochs, and origin: "Compare" for
                         a model Compare trained, "" for the Train page's)
    model.weights.h5     the weights, in the layout Keras 3's
                         ``model.save_weights`` writes for ``vae.training.models.Autoencoder``
                         (so ``model.load_weights("model.weights.h5")`` reads it)
    dataset.csv          the data in original units (labels last)
    standardizer.json    how the data were scaled for training
    history.csv          one row per epoch (losses in nats per point)
    latents.csv          the encoder's z_mean and z_log_var for every row
    snapshots.h5         (optional) the weights at the run's snapshot epochs
                         (``vae.core.snapshots``): ``epochs`` (n,) and each Keras
                         layout array stacked along a first axis of n

Loading treats the bytes as hostile. A zip with more members (or a larger
central directory) than a bundle has is refused before zipfile parses its
directory; then only the six names above are accepted, each once (so no
``..`` or absolute path gets through), and each is read with size caps
(zipfile reads no more than a member declares), never with ``extractall``
(``vae.storage.bundle_zip``). ``config.json`` is parsed strictly
(unknown keys are errors); the weights are read with h5py and every dataset's
path, shape and dtype is checked against the architecture the config implies,
and its storage too (only plain arrays inside the file itself: no external
files, virtual datasets or filters), then checked finite. Nothing is unpickled and no layer is deserialized: the
caller rebuilds the model from the validated config and loads the weights
(Keras's ``load_model`` on an upload can run code; see DESIGN.md).

No bundle module imports TensorFlow (h5py is enough), so the Streamlit
process can call it.
"""

from __future__ import annotations

FORMAT = "latent-lab-run"
FORMAT_VERSION = 2  # 2: config.json run.origin (where the run was trained); 1 lacks it

CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
DATASET = "dataset.csv"
STANDARDIZER = "standardizer.json"
HISTORY = "history.csv"
LATENTS = "latents.csv"
SNAPSHOTS = "snapshots.h5"
MEMBERS = (CONFIG, WEIGHTS, DATASET, STANDARDIZER, HISTORY, LATENTS)  # every bundle has these
OPTIONAL_MEMBERS = (SNAPSHOTS,)  # bundles saved before the epoch timeline lack it
ALLOWED_MEMBERS = MEMBERS + OPTIONAL_MEMBERS

# Caps on untrusted input. The server refuses uploads over 100 MB (compressed);
# these bound what those bytes may expand to.
MAX_TOTAL_BYTES = 400 * 1024 * 1024
MAX_JSON_BYTES = 1024 * 1024  # config.json and standardizer.json are a few kB
MAX_TEXT = 500  # characters in any name or message string from a bundle
# A central-directory entry is 46 bytes plus its name, extra fields and comment; Latent Lab writes
# about 70 per member, other zip tools add timestamps (~30). 1 KiB each leaves room and keeps
# zipfile from parsing more than ~130 entries of a hostile directory.
MAX_DIRECTORY_BYTES = len(ALLOWED_MEMBERS) * 1024
# The dtypes a label column may have (anything else is saved as text).
_INTEGERS = tuple(f"{u}int{bits}" for u in ("", "u") for bits in (8, 16, 32, 64))
LABEL_DTYPES = (*_INTEGERS, "float32", "float64", "bool", "str")


# Where a run may come from (``Run.origin``): the Train page, or Compare. A whitelist, since the
# Runs page shows it in a table and in chart legends.
ORIGINS = ("", "Compare")


class BundleError(ValueError):
    """A run bundle that cannot be saved or loaded, with a one-line message saying what to do."""


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:200]
