"""Exceptions a user can act on. The CLI turns each into one line and exit code 2."""


class AisecError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class InputError(AisecError):
    """An input file or record cannot be read as asked (missing, binary, bad encoding, malformed)."""


class PolicyError(AisecError):
    """A policy file is missing, malformed or names something unknown."""


class LexiconError(AisecError):
    """A keyword library cannot be loaded or imported."""


class RedactionError(AisecError):
    """A redaction or restoration cannot be carried out (for example a missing or wrong key)."""


class PackError(AisecError):
    """Bundled rule data (taxonomy, gazetteers, lexicon) is missing or corrupt."""
