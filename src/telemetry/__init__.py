"""Daily telemetry bundle, regression gate, post-close analysis pack and droplet runner (contract 4.7, 4.19-4.21).

Everything here only reads logs and state and writes under telemetry/, analysis_packs/ and
droplet_sync/; nothing in this package can change v1 trading.
"""
