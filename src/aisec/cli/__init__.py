"""Command-line interface (Typer). Thin: parse, call one core/face function, render."""
