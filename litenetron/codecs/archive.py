"""Zip and tar member access for model containers (`torch.save` zips, `.keras` zips, legacy torch tars).

Nothing is ever extracted to disk. Member names are normalised and names that would escape the archive
(`..`, absolute paths, drive letters) are refused. Reads are capped: a member larger than the caller's limit,
or a compressed member whose declared size is implausibly larger than its compressed size (a zip bomb), is an
`ArchiveError` before any byte is inflated. Stored (uncompressed) zip members can be located by byte range so
weights are read lazily straight from the file.
"""

from __future__ import annotations

import posixpath
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, Dict, Optional, Tuple, Union

from .errors import CodecError

MAX_MEMBERS = 200_000
MAX_RATIO = 1000  # inflated / compressed size beyond which a member is treated as a zip bomb
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., file name length, extra field length
_LOCAL_SIGNATURE = b"PK\x03\x04"


class ArchiveError(CodecError):
    """A damaged archive, a missing member, or a member that breaks the size limits."""


def safe_name(name: str) -> Optional[str]:
    """`name` normalised to a relative POSIX path inside the archive, or None when it would escape it."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal == "." or normal == ".." or normal.startswith("../"):
        return None
    return normal


def is_zip(header: bytes) -> bool:
    return header.startswith(_LOCAL_SIGNATURE) or header.startswith(b"PK\x05\x06")


def open_zip(path: Union[str, Path, IO[bytes]]) -> zipfile.ZipFile:
    """Open a zip file for reading; a damaged or oversized directory is an ArchiveError."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        raise ArchiveError(f"damaged zip archive ({error})") from error
    except NotImplementedError as error:  # a member that needs a newer zip version ("zip file version 12.8")
        raise ArchiveError(f"zip archive this reader cannot open ({error})") from error
    except UnicodeDecodeError as error:  # a member name flagged UTF-8 that is not
        raise ArchiveError(f"damaged zip archive (a member name is not valid {error.encoding})") from error
    if len(archive.infolist()) > MAX_MEMBERS:
        archive.close()
        raise ArchiveError(f"zip archive lists more than {MAX_MEMBERS} members")
    if any(info.header_offset < 0 for info in archive.infolist()):
        archive.close()  # a central directory that claims to start later than it does
        raise ArchiveError("damaged zip archive (members placed before the start of the file)")
    return archive


def zip_members(archive: zipfile.ZipFile) -> Dict[str, zipfile.ZipInfo]:
    """Safe member name → entry, in archive order; directories and escaping names are left out."""
    members: Dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = safe_name(info.filename)
        if name is not None and not info.is_dir():
            members.setdefault(name, info)
    return members


def _zip_info(archive: zipfile.ZipFile, name: Union[str, zipfile.ZipInfo]) -> zipfile.ZipInfo:
    if isinstance(name, zipfile.ZipInfo):
        return name
    info = zip_members(archive).get(safe_name(name) or "")
    if info is None:
        raise ArchiveError(f"archive has no member '{name}'")
    return info


def read_member(archive: zipfile.ZipFile, name: Union[str, zipfile.ZipInfo], limit: int) -> bytes:
    """The bytes of one member, refused when it declares more than `limit` bytes or a bomb-like ratio."""
    info = _zip_info(archive, name)
    if info.file_size > limit:
        raise ArchiveError(f"member '{info.filename}' holds {info.file_size} bytes, more than the {limit} allowed")
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ArchiveError(f"member '{info.filename}' inflates {info.compress_size} bytes to {info.file_size}")
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error) as error:
        raise ArchiveError(f"cannot read member '{info.filename}' ({error})") from error
    except UnicodeDecodeError as error:  # its local header's name, flagged UTF-8, is not
        raise ArchiveError(f"member '{info.filename}' has a local name that is not valid {error.encoding}") \
            from error
    if len(data) > limit:
        raise ArchiveError(f"member '{info.filename}' is larger than it declares")
    return data


def member_range(archive: zipfile.ZipFile, name: Union[str, zipfile.ZipInfo]) -> Optional[Tuple[int, int]]:
    """(offset, size) of a stored, unencrypted member's bytes in the zip file, or None when it is compressed."""
    info = _zip_info(archive, name)
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1 or archive.fp is None:
        return None
    archive.fp.seek(info.header_offset)
    header = archive.fp.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise ArchiveError(f"member '{info.filename}' lies beyond the end of the archive")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        raise ArchiveError(f"member '{info.filename}' has a damaged local header")
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length, info.file_size


def read_range(path: Union[str, Path], offset: int, size: int) -> bytes:
    """Exactly `size` bytes at `offset` of a file; a short read is an ArchiveError."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        data = stream.read(size)
    if len(data) != size:
        raise ArchiveError(f"{size} bytes at offset {offset} run past the end of the file")
    return data


def tar_members(archive: tarfile.TarFile) -> Dict[str, tarfile.TarInfo]:
    """Safe name → regular file member, in archive order (links, devices and escaping names left out)."""
    members: Dict[str, tarfile.TarInfo] = {}
    for count, info in enumerate(archive):
        if count >= MAX_MEMBERS:
            raise ArchiveError(f"tar archive lists more than {MAX_MEMBERS} members")
        name = safe_name(info.name)
        if name is not None and info.isfile():
            members.setdefault(name, info)
    return members


def read_tar_member(archive: tarfile.TarFile, name: str, limit: int) -> bytes:
    """The bytes of one regular tar member, refused when it declares more than `limit` bytes."""
    info = tar_members(archive).get(safe_name(name) or "")
    if info is None:
        raise ArchiveError(f"archive has no member '{name}'")
    if info.size > limit:
        raise ArchiveError(f"member '{name}' holds {info.size} bytes, more than the {limit} allowed")
    stream = archive.extractfile(info)
    if stream is None:
        raise ArchiveError(f"member '{name}' is not a regular file")
    data = stream.read(info.size)
    if len(data) != info.size:
        raise ArchiveError(f"member '{name}' is truncated")
    return data
