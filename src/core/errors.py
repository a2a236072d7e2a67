"""Typed errors shared across stock-bot, so callers catch a noun, not a string."""


class StockBotError(Exception):
    """Base of every error stock-bot raises on purpose."""


class ConfigError(StockBotError):
    """Bad configuration: raised at start so the process never runs half-configured."""
