"""Runtime configuration for the trading bot.

Values come from the environment (``.env`` on Railway) and fall back to safe
defaults that point at the offline fake exchange, so the bot and its tests run
without any credentials.
"""

import os
from dataclasses import dataclass, field
from typing import List


def _env_bool(name: str, default: bool) -> bool:
    value = os.getenv(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _env_list(name: str, default: str) -> List[str]:
    raw = os.getenv(name, default)
    return [item.strip().upper() for item in raw.split(",") if item.strip()]


# --- Exchange credentials ---------------------------------------------------
BINANCE_API_KEY = os.getenv("BINANCE_API_KEY", "demo-api-key")
BINANCE_API_SECRET = os.getenv("BINANCE_API_SECRET", "demo-api-secret")
USE_TESTNET = _env_bool("USE_TESTNET", True)
RECV_WINDOW = int(os.getenv("RECV_WINDOW", "5000"))

# --- Retry / resilience -----------------------------------------------------
MAX_RETRY_ATTEMPTS = int(os.getenv("MAX_RETRY_ATTEMPTS", "3"))
RETRY_BASE_DELAY = float(os.getenv("RETRY_BASE_DELAY", "1.0"))
CIRCUIT_BREAKER_FAILURE_THRESHOLD = int(os.getenv("CIRCUIT_BREAKER_FAILURE_THRESHOLD", "5"))
CIRCUIT_BREAKER_RECOVERY_TIMEOUT = float(os.getenv("CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "30"))

# --- Trading ------------------------------------------------------------------
SYMBOLS = _env_list("SYMBOLS", "BTCUSDT,ETHUSDT,DOGEUSDT")
KLINE_INTERVAL = os.getenv("KLINE_INTERVAL", "1m")
KLINE_LIMIT = int(os.getenv("KLINE_LIMIT", "60"))
ORDER_NOTIONAL_USDT = float(os.getenv("ORDER_NOTIONAL_USDT", "50"))
MIN_SIGNAL_STRENGTH = float(os.getenv("MIN_SIGNAL_STRENGTH", "0.05"))
DRY_RUN = _env_bool("DRY_RUN", False)

# --- Scheduler ------------------------------------------------------------------
SCAN_INTERVAL_SECONDS = float(os.getenv("SCAN_INTERVAL_SECONDS", "60"))
HEARTBEAT_INTERVAL_SECONDS = float(os.getenv("HEARTBEAT_INTERVAL_SECONDS", "30"))

LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO")


@dataclass
class Settings:
    """Snapshot of the configuration handed to the bot's components."""

    api_key: str = BINANCE_API_KEY
    api_secret: str = BINANCE_API_SECRET
    testnet: bool = USE_TESTNET
    recv_window: int = RECV_WINDOW
    symbols: List[str] = field(default_factory=lambda: list(SYMBOLS))
    kline_interval: str = KLINE_INTERVAL
    kline_limit: int = KLINE_LIMIT
    order_notional: float = ORDER_NOTIONAL_USDT
    min_signal_strength: float = MIN_SIGNAL_STRENGTH
    dry_run: bool = DRY_RUN
    max_retry_attempts: int = MAX_RETRY_ATTEMPTS
    scan_interval: float = SCAN_INTERVAL_SECONDS
    heartbeat_interval: float = HEARTBEAT_INTERVAL_SECONDS

    def masked_key(self) -> str:
        """API key safe to print in logs."""
        if len(self.api_key) <= 6:
            return "***"
        return self.api_key[:3] + "***" + self.api_key[-3:]


def load_settings() -> Settings:
    """Build a :class:`Settings` from the current module-level values."""
    return Settings()
