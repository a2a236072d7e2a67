"""Fake network peers (Unusual Whales and Alpaca) for `sim` mode, the demo and the tests.

Product code never imports this package: the real `uw_client` and alpaca-py talk to these
servers over HTTP exactly as they would talk to the vendors.
"""
