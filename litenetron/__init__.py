"""litenetron: a lightweight, pure-Python neural-network model viewer."""

__version__ = "0.1.0"
