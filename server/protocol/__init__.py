"""Bytes <-> commands. Imports nothing from gpu/, ml/ or ops/ (tests/test_layers.py checks)."""
