"""The broker boundary: one small interface, the alpaca-py implementation, typed errors."""
