"""Drawing backends for a Scene: PNG (Pillow), SVG, and the Tk canvas (the app's).

The headless modules here (fonts, png, svg, export) never import tkinter.
"""
