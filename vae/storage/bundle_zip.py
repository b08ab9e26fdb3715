"""Reading a bundle's zip safely: a bounded directory, whitelisted names, capped sizes.

The checks here are the bundle's own rules; zipfile does the rest. It never
returns more than a member's declared size (so capping the declared sizes caps
what is read, and a member whose data run past its declared size fails its
CRC-32 check), verifies every member's CRC-32, and raises on damaged data. The
whitelist of member names is the path check: ``../x``, ``/etc/passwd`` or
``C:x`` is simply not a member name, and nothing is ever extracted to disk.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from vae.storage.bundle_format import (
    ALLOWED_MEMBERS,
    MAX_DIRECTORY_BYTES,
    MAX_JSON_BYTES,
    MEMBERS,
    BundleError,
    one_line,
)

# What zipfile raises on damaged, truncated or tampered data (RuntimeError: also NotImplementedError).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, RuntimeError)


def _damaged(err: BaseException | str) -> BundleError:
    text = err if isinstance(err, str) else one_line(err)
    return BundleError(f"The zip archive is damaged or truncated ({text}); download the bundle again.")


def _check_directory(data: bytes) -> None:
    """Refuse a zip whose central directory is larger than a run bundle's, before it is parsed.

    ``zipfile.ZipFile`` builds a ``ZipInfo`` for every central-directory entry
    when it opens (3 s of CPU per 200,000 members, measured; a 100 MB upload
    holds over a million), so the count and the directory's size are read
    first from the end-of-central-directory record, with zipfile's own reader
    (the one ``ZipFile`` calls). The count alone can lie; the directory's size
    bounds what ``ZipFile`` parses.
    """
    try:
        end = zipfile._EndRecData(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, struct.error) as err:
        raise _damaged(err) from err
    if not end:
        raise _damaged("no central directory")
    count = end[zipfile._ECD_ENTRIES_TOTAL]
    if count > len(ALLOWED_MEMBERS):
        raise BundleError(
            f"The bundle has {count:,} members; a run bundle holds at most {len(ALLOWED_MEMBERS)} "
            f"({', '.join(ALLOWED_MEMBERS)}). Use a bundle saved by Latent Lab."
        )
    if end[zipfile._ECD_SIZE] > MAX_DIRECTORY_BYTES:
        raise BundleError(
            f"The zip's directory is {end[zipfile._ECD_SIZE]:,} bytes, more than a run bundle's "
            f"{len(ALLOWED_MEMBERS)} members need ({MAX_DIRECTORY_BYTES:,}); use a bundle saved by Latent Lab."
        )


def read_members(data: bytes, max_total_bytes: int) -> dict[str, bytes]:
    """The bundle's members by name, each a whitelisted name present once, under the size caps.

    Raises:
        BundleError: with a one-line message saying what is wrong and what to do.
    """
    if len(data) > max_total_bytes:
        raise BundleError(
            f"The bundle is {len(data):,} bytes, over the {max_total_bytes:,}-byte limit; "
            f"this is not a Latent Lab bundle (or a far larger one than it writes)."
        )
    if data[:4] != b"PK\x03\x04":
        raise BundleError("This file is not a zip archive; choose a run bundle (.zip) saved by Latent Lab.")
    _check_directory(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as err:
        raise _damaged(err) from err
    with zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        unknown = [n for n in names if n not in ALLOWED_MEMBERS]
        if unknown:
            raise BundleError(
                f"The bundle has an unknown member {unknown[0][:80]!r}; a run bundle holds "
                f"only {', '.join(ALLOWED_MEMBERS)}."
            )
        twice = [n for n in names if names.count(n) > 1]  # at most 7 names: counted above
        if twice:
            raise BundleError(
                f"The bundle has two members named {twice[0]!r}; it was tampered "
                f"with. Use a bundle saved by Latent Lab."
            )
        missing = [n for n in MEMBERS if n not in names]
        if missing:
            raise BundleError(
                f"The bundle lacks {', '.join(missing)}; it is incomplete. Save the run "
                f"again (Runs page, or python -m vae train ... --out run.zip)."
            )
        declared = sum(info.file_size for info in infos)
        if declared > max_total_bytes:
            raise BundleError(
                f"The bundle would expand to {declared:,} bytes, over the "
                f"{max_total_bytes:,}-byte limit; refusing to extract it (a zip bomb?)."
            )
        out: dict[str, bytes] = {}
        for info in infos:
            # zipfile reads bzip2 and LZMA too, and fails late on encryption; Latent Lab writes neither.
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise BundleError(
                    f"Bundle member {info.filename} is encrypted or uses an unsupported compression; "
                    f"save the run again from Latent Lab."
                )
            if info.filename.endswith(".json") and info.file_size > MAX_JSON_BYTES:
                raise BundleError(
                    f"Bundle member {info.filename} declares {info.file_size:,} bytes, "
                    f"over its {MAX_JSON_BYTES:,}-byte limit; refusing to extract it."
                )
            try:
                out[info.filename] = zf.read(info)  # at most file_size bytes, CRC-checked
            except _ZIP_ERRORS as err:
                raise BundleError(
                    f"Bundle member {info.filename} is damaged or truncated "
                    f"({one_line(err)}); download the bundle again."
                ) from err
    return out
