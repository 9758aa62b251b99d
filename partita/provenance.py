"""Provenance: a signed record of what made a render, and the check that it still holds.

Every render folder the pipeline writes holds ``provenance.json``::

    {"record": {...}, "signature": {"algorithm": "Ed25519", "key_id": "...", "public_key": "...",
                                    "value": "..."}}

The record names the software versions, the prompt, the plan, the seed, the settings of every
stage, the canonical hash of the score, the sha256 of every weight file used, and the sha256 of
every file in the folder (stems, mix, score, MIDI, REAPER project, manifests), plus a
timestamp. The signature is Ed25519 over the record's canonical JSON (sorted keys, no spaces,
UTF-8), made with a key kept on this machine:

* the key folder is ``key_dir=``, else ``$PARTITA_KEY_DIR``, else
  ``$XDG_CONFIG_HOME/partita/keys`` (default ``~/.config/partita/keys``);
* ``ed25519.key`` (PKCS#8 PEM, mode 0600) and ``ed25519.pub`` are created on first use.

:func:`verify` checks the signature against the local public key (or one given) and then every
file hash, and names each file that changed.

``mix.wav`` carries a short record in a RIFF ``LIST/INFO`` chunk (see
:func:`partita.render.wavfile.add_info_chunk`): software, score hash, seed, targets. It is written
before the file is hashed and its text depends only on the inputs (no time, no hashes of other
files), so it is inside the file's hash and a re-mix reproduces it byte for byte. The stems are
hashed exactly as the renderer wrote them (their sha256 also stands in ``render.json``, and the
renderer uses a stem that still matches it as its cache entry), so they carry no chunk.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from partita._fileio import atomic_write_text, sha256_file
from partita.errors import PartitaError

__all__ = [
    "PROVENANCE_FILE",
    "ProvenanceError",
    "VerifyReport",
    "default_key_dir",
    "load_or_create_key",
    "load_public_key",
    "key_id",
    "sha256_file",
    "folder_hashes",
    "software_versions",
    "canonical_json",
    "sign_record",
    "write_provenance",
    "read_provenance",
    "verify",
    "c2pa_available",
    "c2pa_sign_wav",
    "c2pa_read",
]

PROVENANCE_FILE = "provenance.json"
FORMAT = "partita-provenance"
FORMAT_VERSION = 1
_PRIVATE = "ed25519.key"
_PUBLIC = "ed25519.pub"
#: Packages whose versions every record names (those absent are recorded as None).
_PACKAGES = ("numpy", "scipy", "numba", "soundfile", "pedalboard", "pyloudnorm", "music21", "mido",
             "pretty_midi", "miditok", "symusic", "torch", "safetensors", "cryptography")  # fmt: skip


class ProvenanceError(PartitaError):
    """A folder that is not a signed partita render, a missing key, or a signature that fails."""


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` found.

    ``changed``: recorded files whose sha256 differs; ``missing``: recorded files that are gone;
    ``unrecorded``: stems present in ``stems/`` that the record does not name.
    """

    out_dir: Path
    key_id: str
    n_files: int
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unrecorded: tuple[str, ...] = ()
    reproduced: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.unrecorded)


# ---------------------------------------------------------------------------------------------
# keys


def default_key_dir(key_dir: str | os.PathLike[str] | None = None) -> Path:
    """The key folder: ``key_dir``, else ``$PARTITA_KEY_DIR``, else ``~/.config/partita/keys``.

    >>> default_key_dir("/tmp/k")
    PosixPath('/tmp/k')
    """
    if key_dir is not None:
        return Path(key_dir).expanduser()
    env = os.environ.get("PARTITA_KEY_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "partita" / "keys"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 from its first byte on, atomically."""
    fd, tmp = tempfile.mkstemp(prefix=".ed25519.", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_or_create_key(key_dir: str | os.PathLike[str] | None = None) -> Any:
    """The Ed25519 private key in the key folder, created (mode 0600) if there is none.

    Returns
    -------
    cryptography.hazmat.primitives.asymmetric.ed25519.Ed25519PrivateKey
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    d = default_key_dir(key_dir)
    path = d / _PRIVATE
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ProvenanceError(f"cannot read the signing key: {exc}", file=str(path)) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ProvenanceError("the signing key is not an Ed25519 key", file=str(path))
        return key
    d.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(d, 0o700)
    except OSError:
        pass
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_private(path, pem)
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    atomic_write_text(d / _PUBLIC, pub.decode("ascii"))
    return key


def load_public_key(source: str | os.PathLike[str] | None = None) -> Any:
    """A trusted Ed25519 public key: a ``.pub``/PEM file, or a key folder (its ``ed25519.pub``,
    else the public half of its ``ed25519.key``); default: the local key folder.

    Raises
    ------
    ProvenanceError
        No key there (one line naming the place).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    p = Path(source).expanduser() if source is not None else default_key_dir()
    if not p.is_file():  # a key folder (existing or not)
        if (p / _PUBLIC).exists():
            p = p / _PUBLIC
        elif (p / _PRIVATE).exists():
            return load_or_create_key(p).public_key()
        else:
            raise ProvenanceError("no signing key here (set PARTITA_KEY_DIR or pass --key-dir / --public-key)",
                                  file=str(p))  # fmt: skip
    try:
        key = serialization.load_pem_public_key(p.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise ProvenanceError(f"cannot read the public key: {exc}", file=str(p)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ProvenanceError("the public key is not an Ed25519 key", file=str(p))
    return key


def _raw_public(pub: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(pub: Any) -> str:
    """First 16 hex digits of the sha256 of the raw 32-byte public key."""
    return hashlib.sha256(_raw_public(pub)).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# the record


def canonical_json(obj: Any) -> bytes:
    """The bytes that are signed: JSON with sorted keys, no whitespace, UTF-8.

    >>> canonical_json({"b": 1, "a": [1.5, "é"]})
    b'{"a":[1.5,"\\xc3\\xa9"],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def folder_hashes(out_dir: str | os.PathLike[str]) -> dict[str, str]:
    """Relative POSIX path -> sha256 of every regular file in ``out_dir``, except
    ``provenance.json`` and hidden files and folders (the render cache, staging files)."""
    out = Path(out_dir)
    found = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if any(part.startswith(".") for part in rel.parts) or rel.as_posix() == PROVENANCE_FILE:
            continue
        if path.is_file() and not path.is_symlink():
            found[rel.as_posix()] = sha256_file(path)
    return found


def software_versions() -> dict[str, str | None]:
    """partita, Python and the versions of the packages that shape the output."""
    from importlib import metadata

    from partita._version import __version__

    out: dict[str, str | None] = {"partita": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def sign_record(record: Mapping[str, Any], *, key_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``{"record": record, "signature": {...}}`` signed with the local key (created if needed)."""
    key = load_or_create_key(key_dir)
    pub = key.public_key()
    sig = key.sign(canonical_json(record))
    return {
        "record": dict(record),
        "signature": {
            "algorithm": "Ed25519",
            "key_id": key_id(pub),
            "public_key": base64.b64encode(_raw_public(pub)).decode("ascii"),
            "value": base64.b64encode(sig).decode("ascii"),
        },
    }


def write_provenance(
    out_dir: str | os.PathLike[str],
    record: Mapping[str, Any],
    *,
    key_dir: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> Path:
    """Hash every file of ``out_dir``, add the hashes, versions and time to ``record``, sign it
    and write ``out_dir/provenance.json`` atomically.

    Parameters
    ----------
    record
        What made the render (prompt, plan, seed, settings, score hash, weights ...).
    key_dir
        Key folder (see :func:`default_key_dir`).
    now
        The timestamp to record (default: the current UTC time).

    Examples
    --------
    >>> import tempfile
    >>> d, k = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (d / "render.json").write_text('{"format": "partita-render", "stems": []}')
    >>> _ = write_provenance(d, {"seed": 0}, key_dir=k)
    >>> verify(d, public_key=k).ok
    True
    """
    out = Path(out_dir)
    full = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        **dict(record),
        "software": software_versions(),
        "created_utc": (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": folder_hashes(out),
    }
    signed = sign_record(full, key_dir=key_dir)
    path = out / PROVENANCE_FILE
    atomic_write_text(path, json.dumps(signed, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def read_provenance(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """``provenance.json`` of a render folder, checked for shape (not yet for its signature)."""
    out = Path(out_dir)
    if not out.is_dir():
        raise ProvenanceError("not a folder", file=str(out))
    path = out / PROVENANCE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvenanceError("not a partita render (no provenance.json)", file=str(out)) from None
    except (OSError, ValueError) as exc:
        raise ProvenanceError(f"provenance.json is not readable JSON ({exc})", file=str(path)) from None
    rec = data.get("record") if isinstance(data, dict) else None
    sig = data.get("signature") if isinstance(data, dict) else None
    if (not isinstance(rec, dict) or rec.get("format") != FORMAT or not isinstance(sig, dict)
            or not isinstance(rec.get("files"), dict)):  # fmt: skip
        raise ProvenanceError("not a partita provenance record", file=str(path))
    if rec.get("version") != FORMAT_VERSION:
        raise ProvenanceError(f"provenance version {rec.get('version')!r} is not known", file=str(path))
    return data


def verify(
    out_dir: str | os.PathLike[str],
    *,
    key_dir: str | os.PathLike[str] | None = None,
    public_key: str | os.PathLike[str] | None = None,
) -> VerifyReport:
    """Check ``out_dir/provenance.json``'s signature, then the sha256 of every file it names.

    Parameters
    ----------
    out_dir
        A render folder.
    key_dir, public_key
        The trusted key: a public key file or key folder (``public_key``), else the key folder
        ``key_dir`` (default: see :func:`default_key_dir`).

    Returns
    -------
    VerifyReport
        ``ok`` when every file matches.

    Raises
    ------
    ProvenanceError
        Not a render folder; no trusted key; signed by another key; a signature that does not
        match the record (provenance.json edited, or its signature swapped).
    """
    from cryptography.exceptions import InvalidSignature

    out = Path(out_dir)
    data = read_provenance(out)
    rec, sig = data["record"], data["signature"]
    path = out / PROVENANCE_FILE
    trusted = load_public_key(public_key if public_key is not None else default_key_dir(key_dir))
    kid = key_id(trusted)
    if sig.get("algorithm") != "Ed25519":
        raise ProvenanceError(f"signature algorithm {sig.get('algorithm')!r} is not Ed25519", file=str(path))
    if sig.get("key_id") != kid:
        raise ProvenanceError(f"signed by key {sig.get('key_id')}, which is not the trusted key {kid}", file=str(path))
    try:
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
        trusted.verify(value, canonical_json(rec))
    except (InvalidSignature, ValueError, TypeError):
        raise ProvenanceError("the signature does not match the record (provenance.json was changed)",
                              file=str(path)) from None  # fmt: skip
    changed, missing = [], []
    for rel, digest in sorted(rec["files"].items()):
        p = out / rel
        if not p.is_file():
            missing.append(rel)
        elif sha256_file(p) != digest:
            changed.append(rel)
    unrecorded = sorted(
        p.relative_to(out).as_posix() for p in (out / "stems").glob("*.wav")
        if not p.name.startswith(".") and p.relative_to(out).as_posix() not in rec["files"]
    ) if (out / "stems").is_dir() else []  # fmt: skip
    return VerifyReport(out, kid, len(rec["files"]), tuple(changed), tuple(missing), tuple(unrecorded))


def weight_entries(paths: Iterable[tuple[str, str | os.PathLike[str]]]) -> list[dict[str, str]]:
    """``[{"role", "file", "sha256"}]`` of weight files (role, path) as the record lists them."""
    return [{"role": role, "file": Path(p).name, "sha256": sha256_file(p)} for role, p in paths]


# ---------------------------------------------------------------------------------------------
# C2PA: the industry manifest, embedded in a copy of the mix


def c2pa_available() -> bool:
    """Whether the c2pa-python bindings are installed."""
    try:
        import c2pa  # noqa: F401
    except ImportError:
        return False
    return True


def _c2pa_chain(key_dir: str | os.PathLike[str] | None) -> tuple[bytes, bytes]:
    """(certificate chain PEM, private key PEM) for C2PA: a leaf certificate for the local
    Ed25519 signing key, issued by a local CA (its own Ed25519 key, ``ca.key``, mode 0600), both
    created on first use in the key folder. C2PA needs X.509 certificates; this CA is on no
    public trust list, so readers report the credential as untrusted but the manifest as valid."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    d = default_key_dir(key_dir)
    key = load_or_create_key(d)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    chain_path = d / "c2pa-chain.pem"
    if chain_path.exists():
        chain = chain_path.read_bytes()
        leaf = x509.load_pem_x509_certificates(chain)[0]
        if _raw_public(leaf.public_key()) == _raw_public(key.public_key()):
            return chain, pem
    if (d / "ca.key").exists():
        ca_key = serialization.load_pem_private_key((d / "ca.key").read_bytes(), password=None)
    else:
        ca_key = Ed25519PrivateKey.generate()
        _write_private(d / "ca.key", ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))  # fmt: skip
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"partita local CA {key_id(ca_key.public_key())}"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "partita (local)")])  # fmt: skip
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, None))  # fmt: skip
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"partita signer {key_id(key.public_key())}"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "partita (local)")])  # fmt: skip
    leaf = (x509.CertificateBuilder().subject_name(name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, None))  # fmt: skip
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    atomic_write_text(chain_path, chain.decode("ascii"))
    return chain, pem


def c2pa_sign_wav(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    title: str,
    partita: Mapping[str, Any],
    key_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``dst``: the WAV ``src`` with an embedded C2PA manifest, signed offline (Ed25519).

    The manifest says the audio was created by partita (``c2pa.created``, IPTC digital source
    type *trainedAlgorithmicMedia*) and carries ``partita`` (score hash, seed, mix sha256 ...)
    as the assertion ``org.partita.provenance``; C2PA's hard binding covers the audio. No time
    stamp authority is asked (offline), so the manifest's own time is not attested.
    """
    import io

    import c2pa

    from partita._version import __version__

    chain, pem = _c2pa_chain(key_dir)
    manifest = {
        "claim_generator_info": [{"name": "partita", "version": __version__}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
                "softwareAgent": {"name": "partita", "version": __version__}}]}},
            {"label": "org.partita.provenance", "data": dict(partita)},
        ],
    }  # fmt: skip
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(alg=b"ed25519", sign_cert=chain, private_key=pem, ta_url=None))
    out = io.BytesIO()
    try:
        with open(src, "rb") as fh:
            c2pa.Builder(json.dumps(manifest)).sign(signer, "audio/wav", fh, out)
    except Exception as exc:  # c2pa's own errors
        raise ProvenanceError(f"C2PA signing failed: {exc}", file=str(src)) from None
    from partita._fileio import atomic_write_bytes

    atomic_write_bytes(dst, out.getvalue())
    return Path(dst)


def c2pa_read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The active C2PA manifest of a WAV file and its validation: ``{"manifest", "state",
    "status"}`` (state ``"Valid"`` when the binding and signature hold; ``status`` lists codes
    such as ``signingCredential.untrusted`` for the local CA)."""
    import io

    import c2pa

    try:
        reader = c2pa.Reader("audio/wav", io.BytesIO(Path(path).read_bytes()))
        data = json.loads(reader.json())
    except Exception as exc:  # c2pa's own errors
        raise ProvenanceError(f"no readable C2PA manifest: {exc}", file=str(path)) from None
    return {"manifest": data["manifests"][data["active_manifest"]], "state": data.get("validation_state"),
            "status": [s.get("code") for s in data.get("validation_status") or []]}  # fmt: skip
