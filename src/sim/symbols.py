"""The simulated market's named symbols: real tickers with plausible prices and sectors.

Any other ticker is synthesized deterministically by the market model, so a 500-symbol universe
works; these give the demo familiar names.
"""

SECTORS = (
    "Basic Materials", "Communication Services", "Consumer Cyclical", "Consumer Defensive", "Energy",
    "Financial Services", "Healthcare", "Industrials", "Real Estate", "Technology", "Utilities",
)

# symbol, full name, sector, reference price, issue type, flow activity
NAMED_SYMBOLS: tuple[tuple[str, str, str, float, str, float], ...] = (
    ("SPY", "SPDR S&P 500 ETF", "Financial Services", 590.0, "ETF", 4.0),
    ("QQQ", "INVESCO QQQ TRUST", "Technology", 510.0, "ETF", 3.5),
    ("IWM", "ISHARES RUSSELL 2000", "Financial Services", 225.0, "ETF", 2.0),
    ("AAPL", "APPLE", "Technology", 230.0, "Common Stock", 3.0),
    ("MSFT", "MICROSOFT", "Technology", 430.0, "Common Stock", 2.5),
    ("NVDA", "NVIDIA", "Technology", 140.0, "Common Stock", 3.5),
    ("AMZN", "AMAZON COM", "Consumer Cyclical", 205.0, "Common Stock", 2.5),
    ("GOOGL", "ALPHABET CL A", "Communication Services", 175.0, "Common Stock", 2.0),
    ("META", "META PLATFORMS", "Communication Services", 580.0, "Common Stock", 2.2),
    ("TSLA", "TESLA", "Consumer Cyclical", 330.0, "Common Stock", 3.5),
    ("AMD", "ADVANCED MICRO DEVICES", "Technology", 140.0, "Common Stock", 2.2),
    ("AVGO", "BROADCOM", "Technology", 170.0, "Common Stock", 1.6),
    ("NFLX", "NETFLIX", "Communication Services", 890.0, "Common Stock", 1.4),
    ("JPM", "JPMORGAN CHASE", "Financial Services", 240.0, "Common Stock", 1.2),
    ("BAC", "BANK OF AMERICA", "Financial Services", 45.0, "Common Stock", 1.2),
    ("GS", "GOLDMAN SACHS", "Financial Services", 580.0, "Common Stock", 0.9),
    ("XOM", "EXXON MOBIL", "Energy", 115.0, "Common Stock", 1.0),
    ("CVX", "CHEVRON", "Energy", 155.0, "Common Stock", 0.8),
    ("UNH", "UNITEDHEALTH GROUP", "Healthcare", 560.0, "Common Stock", 1.0),
    ("LLY", "ELI LILLY", "Healthcare", 780.0, "Common Stock", 1.1),
    ("PFE", "PFIZER", "Healthcare", 26.0, "Common Stock", 0.9),
    ("JNJ", "JOHNSON & JOHNSON", "Healthcare", 150.0, "Common Stock", 0.7),
    ("WMT", "WALMART", "Consumer Defensive", 90.0, "Common Stock", 0.9),
    ("KO", "COCA-COLA", "Consumer Defensive", 63.0, "Common Stock", 0.6),
    ("PG", "PROCTER & GAMBLE", "Consumer Defensive", 165.0, "Common Stock", 0.6),
    ("COST", "COSTCO WHOLESALE", "Consumer Defensive", 920.0, "Common Stock", 0.8),
    ("HD", "HOME DEPOT", "Consumer Cyclical", 400.0, "Common Stock", 0.8),
    ("NKE", "NIKE", "Consumer Cyclical", 75.0, "Common Stock", 0.9),
    ("DIS", "WALT DISNEY", "Communication Services", 110.0, "Common Stock", 0.9),
    ("BA", "BOEING", "Industrials", 170.0, "Common Stock", 1.2),
    ("CAT", "CATERPILLAR", "Industrials", 370.0, "Common Stock", 0.8),
    ("GE", "GENERAL ELECTRIC", "Industrials", 185.0, "Common Stock", 0.8),
    ("UBER", "UBER TECHNOLOGIES", "Technology", 70.0, "Common Stock", 1.2),
    ("PLTR", "PALANTIR", "Technology", 75.0, "Common Stock", 2.5),
    ("COIN", "COINBASE", "Financial Services", 260.0, "Common Stock", 2.0),
    ("MARA", "MARA HOLDINGS", "Financial Services", 19.0, "Common Stock", 1.5),
    ("SOFI", "SOFI TECHNOLOGIES", "Financial Services", 14.0, "Common Stock", 1.4),
    ("INTC", "INTEL", "Technology", 21.0, "Common Stock", 1.3),
    ("MU", "MICRON TECHNOLOGY", "Technology", 100.0, "Common Stock", 1.4),
    ("SMCI", "SUPER MICRO COMPUTER", "Technology", 35.0, "Common Stock", 1.8),
    ("NEE", "NEXTERA ENERGY", "Utilities", 72.0, "Common Stock", 0.5),
    ("DUK", "DUKE ENERGY", "Utilities", 110.0, "Common Stock", 0.4),
    ("AMT", "AMERICAN TOWER", "Real Estate", 200.0, "Common Stock", 0.4),
    ("PLD", "PROLOGIS", "Real Estate", 115.0, "Common Stock", 0.4),
    ("LIN", "LINDE", "Basic Materials", 450.0, "Common Stock", 0.4),
    ("FCX", "FREEPORT-MCMORAN", "Basic Materials", 42.0, "Common Stock", 0.8),
    ("BABA", "ALIBABA GROUP", "Consumer Cyclical", 88.0, "ADR", 1.3),
    ("TSM", "TAIWAN SEMICONDUCTOR", "Technology", 195.0, "ADR", 1.2),
    ("RIVN", "RIVIAN AUTOMOTIVE", "Consumer Cyclical", 12.0, "Common Stock", 1.0),
    ("HOOD", "ROBINHOOD MARKETS", "Financial Services", 38.0, "Common Stock", 1.5),
)
HARD_TO_BORROW = frozenset({"SMCI", "MARA", "RIVN"})
