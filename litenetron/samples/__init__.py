"""The bundled sample model and the script that builds it."""
