"""Core ML reader (in progress)."""


def match(path, header):
    return False
