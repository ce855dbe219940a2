"""The stand-in's "processing", shared with the check that reads the result back."""

UPLOADS_PREFIX = "uploads/"
PROCESSED_PREFIX = "processed/"


def processed_key(upload_key: str) -> str:
    return PROCESSED_PREFIX + upload_key.removeprefix(UPLOADS_PREFIX)


def processed_body(original: bytes) -> bytes:
    """A result a check can recognise from its original."""
    return b"processed:" + original
