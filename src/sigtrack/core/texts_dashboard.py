"""The dashboard's texts (adapters/http/static, served by GET /ui/texts); `core/texts.py` holds
them with every other text shown to users."""

from __future__ import annotations

from sigtrack.core.lang import Lang

DASHBOARD_TEXTS: dict[str, dict[Lang, str]] = {
    "dashboard.title": {Lang.ID: "Dasbor Signal", Lang.EN: "Signal dashboard"},
    "dashboard.zone": {Lang.ID: "Zona waktu", Lang.EN: "Time zone"},
    "dashboard.window": {Lang.ID: "Jendela", Lang.EN: "Window"},
    "dashboard.days": {Lang.ID: "{n} hari", Lang.EN: "{n} days"},
    "dashboard.custom": {Lang.ID: "Rentang sendiri", Lang.EN: "Custom range"},
    "dashboard.from": {Lang.ID: "Dari", Lang.EN: "From"},
    "dashboard.to": {Lang.ID: "Sampai", Lang.EN: "To"},
    "dashboard.apply": {Lang.ID: "Terapkan", Lang.EN: "Apply"},
    "dashboard.winrate_7": {Lang.ID: "Winrate 7 hari", Lang.EN: "7-day winrate"},
    "dashboard.winrate_30": {Lang.ID: "Winrate 30 hari", Lang.EN: "30-day winrate"},
    "dashboard.winrate_window": {Lang.ID: "Winrate jendela", Lang.EN: "Window winrate"},
    "dashboard.interval": {
        Lang.ID: "interval 95%: {low} – {high}",
        Lang.EN: "95% interval: {low} – {high}",
    },
    "dashboard.decided": {
        Lang.ID: "{wins} win / {losses} loss dari {total} selesai",
        Lang.EN: "{wins} win / {losses} loss of {total} closed",
    },
    "dashboard.avg_pnl": {Lang.ID: "Rata-rata PnL", Lang.EN: "Average PnL"},
    "dashboard.expectancy": {Lang.ID: "Ekspektansi (R)", Lang.EN: "Expectancy (R)"},
    "dashboard.expectancy_n": {
        Lang.ID: "dari {n} signal yang disettle dari candle",
        Lang.EN: "over {n} signals settled from candles",
    },
    "dashboard.open": {Lang.ID: "Signal aktif", Lang.EN: "Open signals"},
    "dashboard.open_note": {
        Lang.ID: "tidak dihitung dalam winrate",
        Lang.EN: "not counted in the winrate",
    },
    "dashboard.equity": {
        Lang.ID: "Kurva ekuitas (PnL kumulatif %)",
        Lang.EN: "Equity curve (cumulative PnL %)",
    },
    "dashboard.by_coin": {
        Lang.ID: "Winrate per koin dengan interval 95%",
        Lang.EN: "Winrate by coin with 95% interval",
    },
    "dashboard.calibration": {
        Lang.ID: "Kalibrasi confidence: winrate per pita",
        Lang.EN: "Confidence calibration: winrate by band",
    },
    "dashboard.result_mix": {Lang.ID: "Komposisi hasil", Lang.EN: "Result mix"},
    "dashboard.open_table": {Lang.ID: "Signal aktif", Lang.EN: "Open signals"},
    "dashboard.closes": {Lang.ID: "Penutupan terbaru", Lang.EN: "Recent closes"},
    "dashboard.no_data": {Lang.ID: "belum ada data", Lang.EN: "no data yet"},
    "dashboard.col_symbol": {Lang.ID: "Koin", Lang.EN: "Coin"},
    "dashboard.col_side": {Lang.ID: "Arah", Lang.EN: "Side"},
    "dashboard.col_tf": {Lang.ID: "TF", Lang.EN: "TF"},
    "dashboard.col_entry": {Lang.ID: "Entry", Lang.EN: "Entry"},
    "dashboard.col_price": {Lang.ID: "Harga", Lang.EN: "Price"},
    "dashboard.col_target": {Lang.ID: "Target", Lang.EN: "Target"},
    "dashboard.col_stop": {Lang.ID: "Stop", Lang.EN: "Stop"},
    "dashboard.col_to_target": {Lang.ID: "Ke target", Lang.EN: "To target"},
    "dashboard.col_to_stop": {Lang.ID: "Ke stop", Lang.EN: "To stop"},
    "dashboard.col_age": {Lang.ID: "Umur (jam)", Lang.EN: "Age (h)"},
    "dashboard.col_created": {Lang.ID: "Dibuat", Lang.EN: "Created"},
    "dashboard.col_closed": {Lang.ID: "Ditutup", Lang.EN: "Closed"},
    "dashboard.col_result": {Lang.ID: "Hasil", Lang.EN: "Result"},
    "dashboard.col_reason": {Lang.ID: "Alasan keluar", Lang.EN: "Exit reason"},
    "dashboard.col_pnl": {Lang.ID: "PnL", Lang.EN: "PnL"},
    "dashboard.col_r": {Lang.ID: "R", Lang.EN: "R"},
    "dashboard.wins": {Lang.ID: "Win", Lang.EN: "Win"},
    "dashboard.losses": {Lang.ID: "Loss", Lang.EN: "Loss"},
    "dashboard.expired": {Lang.ID: "Expired", Lang.EN: "Expired"},
    "dashboard.breakeven": {Lang.ID: "Breakeven", Lang.EN: "Breakeven"},
    "dashboard.cancelled": {Lang.ID: "Dibatalkan", Lang.EN: "Cancelled"},
    "dashboard.still_open": {Lang.ID: "Aktif", Lang.EN: "Open"},
    "dashboard.band": {Lang.ID: "Pita confidence", Lang.EN: "Confidence band"},
    "dashboard.perfect": {Lang.ID: "Kalibrasi sempurna", Lang.EN: "Perfectly calibrated"},
    "dashboard.too_few": {Lang.ID: "terlalu sedikit", Lang.EN: "too few"},
    "dashboard.more_open": {Lang.ID: "… dan {n} lagi", Lang.EN: "… and {n} more"},
    "dashboard.unauthorized": {
        Lang.ID: "Perlu token: buka dasbor dengan ?token=… (SIGTRACK_API_READ_TOKEN)",
        Lang.EN: "A token is needed: open the dashboard with ?token=… (SIGTRACK_API_READ_TOKEN)",
    },
    "dashboard.failed": {
        Lang.ID: "Gagal memuat data: {reason}",
        Lang.EN: "Could not load the data: {reason}",
    },
    "dashboard.updated": {Lang.ID: "Diperbarui {at}", Lang.EN: "Updated {at}"},
}
