"""Every text shown to users, in Indonesian (default, the old tracker's labels) and English."""

from __future__ import annotations

from enum import StrEnum

from sigtrack.core.errors import InvalidInput

NO_VALUE = "—"


class Lang(StrEnum):
    ID = "id"
    EN = "en"


TEXTS: dict[str, dict[Lang, str]] = {
    "winrate.title": {
        Lang.ID: "📊 WINRATE SIGNAL ({days} HARI)",
        Lang.EN: "📊 SIGNAL WINRATE ({days} DAYS)",
    },
    "winrate.stats": {Lang.ID: "📈 STATISTIK:", Lang.EN: "📈 STATISTICS:"},
    "winrate.total": {Lang.ID: "• Total Signal: {n}", Lang.EN: "• Total Signals: {n}"},
    "winrate.wins": {Lang.ID: "• Win: {n} ✅", Lang.EN: "• Win: {n} ✅"},
    "winrate.losses": {Lang.ID: "• Loss: {n} ❌", Lang.EN: "• Loss: {n} ❌"},
    "winrate.rate": {Lang.ID: "• Winrate: {rate} 🎯", Lang.EN: "• Winrate: {rate} 🎯"},
    "winrate.interval": {
        Lang.ID: "• Interval 95%: {low} – {high}",
        Lang.EN: "• 95% interval: {low} – {high}",
    },
    "winrate.avg_pnl": {Lang.ID: "• Avg PnL: {pnl}", Lang.EN: "• Avg PnL: {pnl}"},
    "winrate.expired": {Lang.ID: "• Expired: {n} ⌛", Lang.EN: "• Expired: {n} ⌛"},
    "winrate.breakeven": {Lang.ID: "• Breakeven: {n} ➖", Lang.EN: "• Breakeven: {n} ➖"},
    "winrate.cancelled": {
        Lang.ID: "• Dibatalkan (tidak termasuk total): {n}",
        Lang.EN: "• Cancelled (not in the total): {n}",
    },
    "winrate.open": {
        Lang.ID: "⏳ Masih aktif (belum dihitung): {n}",
        Lang.EN: "⏳ Still open (not counted): {n}",
    },
    "winrate.small_sample": {
        Lang.ID: "⚠️ Sampel kecil ({n} signal selesai): angka masih bisa berubah jauh.",
        Lang.EN: "⚠️ Small sample ({n} settled signals): the rate can still move a lot.",
    },
    "winrate.nothing": {
        Lang.ID: "Belum ada signal WIN/LOSS pada periode ini.",
        Lang.EN: "No WIN/LOSS signals in this period yet.",
    },
    "winrate.period": {
        Lang.ID: "🗓 {since} – {until} ({zone})",
        Lang.EN: "🗓 {since} – {until} ({zone})",
    },
    "settle.summary": {
        Lang.ID: "🔎 {checked} signal aktif dicek ({symbols} koin): {closed} selesai, "
        "{hits} TP tercapai, {open} masih aktif.",
        Lang.EN: "🔎 {checked} open signals checked ({symbols} coins): {closed} closed, "
        "TP hits: {hits}, {open} still open.",
    },
    "settle.results": {
        Lang.ID: "   {wins} win, {losses} loss, {expired} kedaluwarsa; "
        "selesai dalam {seconds} dtk.",
        Lang.EN: "   {wins} wins, {losses} losses, {expired} expired; done in {seconds} s.",
    },
    "settle.elsewhere": {
        Lang.ID: "   {count} koin lain diselesaikan monitor lain pada putaran ini.",
        Lang.EN: "   {count} other coins settled by other monitors this pass.",
    },
    "settle.more": {
        Lang.ID: "… dan {count} lainnya (--json memuat semuanya)",
        Lang.EN: "… and {count} more (--json lists them all)",
    },
    "settle.closed": {
        Lang.ID: "• {signal_id}: {result} ({reason}) PnL {pnl} pada {at}{ambiguous}",
        Lang.EN: "• {signal_id}: {result} ({reason}) PnL {pnl} at {at}{ambiguous}",
    },
    "settle.tp_hit": {
        Lang.ID: "• {signal_id}: TP{target} tercapai pada {at}",
        Lang.EN: "• {signal_id}: TP{target} reached at {at}",
    },
    "settle.ambiguous": {
        Lang.ID: " ⚠️ candle ambigu ({rule})",
        Lang.EN: " ⚠️ ambiguous candle ({rule})",
    },
    "settle.failed": {
        Lang.ID: "⚠️ {symbol}: candle tidak terbaca kali ini: {reason}",
        Lang.EN: "⚠️ {symbol}: no candles this pass: {reason}",
    },
    "settle.rule": {Lang.ID: "Aturan: {rule}", Lang.EN: "Rule: {rule}"},
    "stats.title": {
        Lang.ID: "📊 PERFORMA PER {by} ({since} – {until}, {zone})",
        Lang.EN: "📊 PERFORMANCE BY {by} ({since} – {until}, {zone})",
    },
    "stats.too_few": {Lang.ID: "terlalu sedikit", Lang.EN: "too few"},
    "stats.best": {Lang.ID: "🏆 Terbaik: {keys}", Lang.EN: "🏆 Best: {keys}"},
    "stats.worst": {Lang.ID: "⚠️ Terburuk: {keys}", Lang.EN: "⚠️ Worst: {keys}"},
    "stats.ranking": {
        Lang.ID: "Peringkat menurut batas interval 95%, minimal {n} signal WIN/LOSS per baris.",
        Lang.EN: "Ranked by the 95% interval's bounds, at least {n} WIN/LOSS signals a row.",
    },
    "compare.title": {Lang.ID: "⚖️ PERBANDINGAN A vs B", Lang.EN: "⚖️ COMPARISON A vs B"},
    "compare.side": {
        Lang.ID: "{side} ({filter}): {wins} win / {losses} loss, winrate {rate} "
        "({low} – {high}), avg PnL {pnl}, ekspektasi {r}",
        Lang.EN: "{side} ({filter}): {wins} win / {losses} loss, winrate {rate} "
        "({low} – {high}), avg PnL {pnl}, expectancy {r}",
    },
    "compare.tests": {
        Lang.ID: "Selisih winrate (B − A): {diff}, p Fisher = {p}; selisih PnL rata-rata: "
        "{pnl} (interval 95%: {pnl_ci})",
        Lang.EN: "Winrate difference (B − A): {diff}, Fisher p = {p}; mean PnL difference: "
        "{pnl} (95% interval: {pnl_ci})",
    },
    "compare.verdict": {Lang.ID: "Kesimpulan: {verdict}", Lang.EN: "Verdict: {verdict}"},
    "verdict.B is better": {Lang.ID: "{b} lebih baik", Lang.EN: "{b} is better"},
    "verdict.A is better": {Lang.ID: "{a} lebih baik", Lang.EN: "{a} is better"},
    "side.this_week": {Lang.ID: "minggu ini", Lang.EN: "this week"},
    "side.last_week": {Lang.ID: "minggu lalu", Lang.EN: "last week"},
    "verdict.no detectable difference": {
        Lang.ID: "tidak ada perbedaan yang terdeteksi",
        Lang.EN: "no detectable difference",
    },
    "verdict.not enough data": {
        Lang.ID: "data belum cukup",
        Lang.EN: "not enough data",
    },
    "verdict.more": {
        Lang.ID: "data belum cukup: kira-kira {n} signal lagi per sisi untuk power 80% "
        "pada efek sebesar ini",
        Lang.EN: "not enough data: about {n} more signals per side for 80% power at this "
        "effect size",
    },
    "advice.title": {Lang.ID: "💡 REKOMENDASI", Lang.EN: "💡 RECOMMENDATIONS"},
    "advice.none": {
        Lang.ID: "Tidak ada rekomendasi: tidak ada yang jelas lebih baik atau lebih buruk.",
        Lang.EN: "No recommendation: nothing is clearly better or worse.",
    },
    "advice.not_enough_data": {
        Lang.ID: "Data belum cukup untuk memberi saran: {n} signal selesai, "
        "perlu minimal {needed}.",
        Lang.EN: "Not enough data to advise: {n} settled signals, at least {needed} needed.",
    },
    "advice.confidence_threshold": {
        Lang.ID: "Kirim hanya signal dengan confidence ≥ {threshold}: {n} signal, winrate "
        "{winrate}, ekspektasi {expectancy} (semua: {baseline_n} signal, {baseline_expectancy}).",
        Lang.EN: "Send only signals with confidence ≥ {threshold}: {n} signals, winrate "
        "{winrate}, expectancy {expectancy} (all: {baseline_n} signals, {baseline_expectancy}).",
    },
    "advice.exclude": {
        Lang.ID: "Pertimbangkan untuk berhenti mengirim {subject}: ekspektasi {expectancy} "
        "(interval 95%: {interval_low} … {interval_high}) dari {n} signal.",
        Lang.EN: "Consider no longer sending {subject}: expectancy {expectancy} "
        "(95% interval: {interval_low} … {interval_high}) over {n} signals.",
    },
    "report.title": {
        Lang.ID: "📋 LAPORAN MINGGUAN SIGNAL — {week}",
        Lang.EN: "📋 WEEKLY SIGNAL REPORT — {week}",
    },
    "report.period": {
        Lang.ID: "🗓 {since} – {until} ({zone})",
        Lang.EN: "🗓 {since} – {until} ({zone})",
    },
    "report.empty": {
        Lang.ID: "Tidak ada signal yang dibuat minggu ini.",
        Lang.EN: "No signals were created this week.",
    },
    "report.performance": {Lang.ID: "📈 PERFORMA SIGNAL", Lang.EN: "📈 SIGNAL PERFORMANCE"},
    "report.totals": {
        Lang.ID: "• Total: {total} selesai ({wins} win, {losses} loss, {expired} expired, "
        "{breakeven} breakeven) · {open} aktif · {cancelled} dibatalkan",
        Lang.EN: "• Total: {total} closed ({wins} win, {losses} loss, {expired} expired, "
        "{breakeven} breakeven) · {open} open · {cancelled} cancelled",
    },
    "report.winrate": {
        Lang.ID: "• Winrate: {rate} (interval 95%: {low} – {high}) · ketat: {strict}",
        Lang.EN: "• Winrate: {rate} (95% interval: {low} – {high}) · strict: {strict}",
    },
    "report.pnl": {
        Lang.ID: "• PnL: rata-rata {avg}, median {median}, total {total} · drawdown maks {dd}",
        Lang.EN: "• PnL: mean {avg}, median {median}, total {total} · max drawdown {dd}",
    },
    "report.edge": {
        Lang.ID: "• Ekspektasi: {r} · profit factor: {pf} · winrate impas: {be}",
        Lang.EN: "• Expectancy: {r} · profit factor: {pf} · break-even winrate: {be}",
    },
    "report.vs_week": {
        Lang.ID: "• vs minggu lalu: winrate {prev} → {now} ({verdict})",
        Lang.EN: "• vs last week: winrate {prev} → {now} ({verdict})",
    },
    "report.vs_strategy": {
        Lang.ID: "• Strategi {previous} → {current}: winrate {prev} → {now} ({verdict})",
        Lang.EN: "• Strategy {previous} → {current}: winrate {prev} → {now} ({verdict})",
    },
    "report.analysis": {Lang.ID: "🔍 ANALISIS", Lang.EN: "🔍 ANALYSIS"},
    "report.best": {Lang.ID: "• Koin terbaik: {rows}", Lang.EN: "• Best coins: {rows}"},
    "report.worst": {Lang.ID: "• Koin terburuk: {rows}", Lang.EN: "• Worst coins: {rows}"},
    "report.no_ranking": {
        Lang.ID: "• Belum ada koin dengan minimal {n} signal WIN/LOSS untuk diperingkat.",
        Lang.EN: "• No coin has the {n} WIN/LOSS signals needed to be ranked yet.",
    },
    "report.sides": {Lang.ID: "• LONG vs SHORT: {rows}", Lang.EN: "• LONG vs SHORT: {rows}"},
    "report.tags": {Lang.ID: "• Per tag: {rows}", Lang.EN: "• By tag: {rows}"},
    "report.timeframes": {Lang.ID: "• Per timeframe: {rows}", Lang.EN: "• By timeframe: {rows}"},
    "report.confidence": {
        Lang.ID: "• Per confidence: {rows}",
        Lang.EN: "• By confidence: {rows}",
    },
    "report.activity": {Lang.ID: "👥 AKTIVITAS USER", Lang.EN: "👥 USER ACTIVITY"},
    "report.activity_total": {
        Lang.ID: "• {total} perintah dari {users} user",
        Lang.EN: "• {total} commands from {users} users",
    },
    "report.activity_top": {
        Lang.ID: "• Perintah terbanyak: {rows}",
        Lang.EN: "• Most used: {rows}",
    },
    "whatif.title": {
        Lang.ID: "🧪 WHAT-IF TP/SL ({signals} signal; dipilih pada 60% awal, dinilai pada "
        "40% akhir sejak {split})",
        Lang.EN: "🧪 TP/SL WHAT-IF ({signals} signals; chosen on the earlier 60%, judged on "
        "the later 40% from {split})",
    },
    "whatif.recorded": {
        Lang.ID: "Level tercatat pada bagian akhir: rata-rata PnL {pnl} per signal ({n} signal).",
        Lang.EN: "Recorded levels on the later part: mean PnL {pnl} per signal ({n} signals).",
    },
    "whatif.cell": {
        Lang.ID: "• TP {target} / SL {stop}: awal {pnl_in} ({n_in}), akhir {pnl_out} ({n_out}), "
        "untung {share}",
        Lang.EN: "• TP {target} / SL {stop}: earlier {pnl_in} ({n_in}), later {pnl_out} "
        "({n_out}), profitable {share}",
    },
    "whatif.none": {
        Lang.ID: "Data belum cukup: tidak ada sel dengan minimal {n} signal di bagian awal.",
        Lang.EN: "Not enough data: no cell has {n} signals in the earlier part.",
    },
    "advice.tp_sl_whatif": {
        Lang.ID: "Coba TP {target:g}{unit_label} dan SL {stop:g}{unit_label}: dipilih pada "
        "{n_in} signal awal, pada {n_out} signal berikutnya rata-rata {expectancy} per signal "
        "vs {recorded_expectancy} dengan level yang tercatat.",
        Lang.EN: "Try TP {target:g}{unit_label} and SL {stop:g}{unit_label}: chosen on "
        "{n_in} earlier signals, on the {n_out} later ones it made {expectancy} per signal vs "
        "{recorded_expectancy} with the recorded levels.",
    },
    "stats.empty": {
        Lang.ID: "Belum ada signal pada periode ini.",
        Lang.EN: "No signals in this period.",
    },
    # --- the Telegram bot (adapters/telegram, core/render/bot.py) ---------------------
    "bot.refused": {
        Lang.ID: "⛔ Perintah ini hanya untuk admin.",
        Lang.EN: "⛔ This command is for admins only.",
    },
    "bot.button_refused": {
        Lang.ID: "⛔ Hanya untuk admin.",
        Lang.EN: "⛔ Admins only.",
    },
    "bot.button_unknown": {
        Lang.ID: "Tombol ini tidak dikenal atau sudah tidak berlaku.",
        Lang.EN: "This button is unknown or no longer valid.",
    },
    "bot.error": {
        Lang.ID: "⚠️ Gagal: {reason}",
        Lang.EN: "⚠️ Failed: {reason}",
    },
    "bot.unavailable": {
        Lang.ID: "⚠️ Data tidak bisa dibaca saat ini. Coba lagi sebentar lagi.",
        Lang.EN: "⚠️ The data cannot be read right now. Please try again shortly.",
    },
    "bot.usage.winrate": {
        Lang.ID: "Pakai: /winrate [hari] — hari 1–365, misalnya /winrate 30",
        Lang.EN: "Usage: /winrate [days] — days 1–365, e.g. /winrate 30",
    },
    "bot.usage.weekly_report": {
        Lang.ID: "Pakai: /weekly_report [YYYY-Www] — misalnya /weekly_report 2026-W47",
        Lang.EN: "Usage: /weekly_report [YYYY-Www] — e.g. /weekly_report 2026-W47",
    },
    "bot.usage.stats": {
        Lang.ID: "Pakai: /stats <{keys}> [hari] — misalnya /stats symbol 30",
        Lang.EN: "Usage: /stats <{keys}> [days] — e.g. /stats symbol 30",
    },
    "bot.usage.close": {
        Lang.ID: "Pakai: /close <signal_id> <win|loss|breakeven> [pnl%] [catatan…] "
        "(tambahkan override untuk mengubah signal yang sudah ditutup)",
        Lang.EN: "Usage: /close <signal_id> <win|loss|breakeven> [pnl%] [note…] "
        "(add override to change a closed signal)",
    },
    "bot.usage.cancel": {
        Lang.ID: "Pakai: /cancel <signal_id> [catatan…]",
        Lang.EN: "Usage: /cancel <signal_id> [note…]",
    },
    "bot.usage.feedback": {
        Lang.ID: "Pakai: /feedback [hari] — hari 1–365",
        Lang.EN: "Usage: /feedback [days] — days 1–365",
    },
    "bot.not_found": {
        Lang.ID: "Signal {signal_id} tidak ditemukan.",
        Lang.EN: "No signal {signal_id}.",
    },
    "bot.already_closed": {
        Lang.ID: "Signal {signal_id} sudah ditutup ({result}). Untuk mengubahnya: "
        "/close {signal_id} {suggested} override",
        Lang.EN: "Signal {signal_id} is already closed ({result}). To change it: "
        "/close {signal_id} {suggested} override",
    },
    "bot.closed": {
        Lang.ID: "✅ Signal {signal_id} ditutup: {result}, PnL {pnl} (oleh {actor})",
        Lang.EN: "✅ Signal {signal_id} closed: {result}, PnL {pnl} (by {actor})",
    },
    "bot.cancelled": {
        Lang.ID: "🚫 Signal {signal_id} dibatalkan (oleh {actor})",
        Lang.EN: "🚫 Signal {signal_id} cancelled (by {actor})",
    },
    "journal.kept": {
        Lang.ID: "⏳ Database tidak terjangkau: dicatat di jurnal, diterapkan saat database "
        "kembali.",
        Lang.EN: "⏳ The database does not answer: kept in the journal, applied when it is back.",
    },
    "journal.backlog": {
        Lang.ID: "📒 Jurnal: {n} operasi menunggu ({signals} signal)",
        Lang.EN: "📒 Journal: {n} operation(s) waiting ({signals} signal(s))",
    },
    "journal.down": {
        Lang.ID: "⚠️ Database tidak terjangkau sejak {since}: {error}",
        Lang.EN: "⚠️ The database has not answered since {since}: {error}",
    },
    "journal.bad": {
        Lang.ID: "⚠️ {n} baris jurnal rusak akan disisihkan",
        Lang.EN: "⚠️ {n} damaged journal line(s) will be set aside",
    },
    "journal.set_aside": {
        Lang.ID: "• baris yang disisihkan: {path}",
        Lang.EN: "• lines set aside: {path}",
    },
    "journal.replayed": {
        Lang.ID: "📒 Jurnal diterapkan: {applied} operasi, {already} sudah ada, {refused} ditolak",
        Lang.EN: "📒 Journal replayed: {applied} applied, {already} already applied, "
        "{refused} refused",
    },
    "journal.line_set_aside": {
        Lang.ID: "• baris {line} disisihkan: {reason}",
        Lang.EN: "• line {line} set aside: {reason}",
    },
    "journal.still_down": {
        Lang.ID: "⚠️ Database masih tidak terjangkau: {error} (sisanya menunggu)",
        Lang.EN: "⚠️ The database still does not answer: {error} (the rest waits)",
    },
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
    "bot.help.title": {Lang.ID: "🤖 PERINTAH", Lang.EN: "🤖 COMMANDS"},
    "bot.help.winrate": {
        Lang.ID: "/winrate [hari] — winrate signal (default 7 hari)",
        Lang.EN: "/winrate [days] — signal winrate (7 days by default)",
    },
    "bot.help.signal_stats": {
        Lang.ID: "/signal_stats — status pencatatan signal",
        Lang.EN: "/signal_stats — the state of signal tracking",
    },
    "bot.help.weekly_report": {
        Lang.ID: "/weekly_report [YYYY-Www] — laporan mingguan",
        Lang.EN: "/weekly_report [YYYY-Www] — the weekly report",
    },
    "bot.help.stats": {
        Lang.ID: "/stats <symbol|timeframe|side|tag|strategy|confidence|hour|weekday> [hari] "
        "— performa per kelompok",
        Lang.EN: "/stats <symbol|timeframe|side|tag|strategy|confidence|hour|weekday> [days] "
        "— performance by group",
    },
    "bot.help.open": {
        Lang.ID: "/open — signal yang masih aktif",
        Lang.EN: "/open — the signals still open",
    },
    "bot.help.close": {
        Lang.ID: "/close <signal_id> <win|loss|breakeven> [pnl%] [catatan…] — tutup manual",
        Lang.EN: "/close <signal_id> <win|loss|breakeven> [pnl%] [note…] — close by hand",
    },
    "bot.help.cancel": {
        Lang.ID: "/cancel <signal_id> [catatan…] — batalkan signal",
        Lang.EN: "/cancel <signal_id> [note…] — cancel a signal",
    },
    "bot.help.feedback": {
        Lang.ID: "/feedback [hari] — signal yang diambil vs dilewati penerima",
        Lang.EN: "/feedback [days] — signals receivers took vs skipped",
    },
    "bot.help.upload_logs": {
        Lang.ID: "/upload_logs — backup sekarang (dan verifikasi)",
        Lang.EN: "/upload_logs — back up now (and verify)",
    },
    "bot.help.admin": {Lang.ID: "/admin — panel admin", Lang.EN: "/admin — the admin panel"},
    "bot.help.help": {
        Lang.ID: "/help — daftar perintah ini",
        Lang.EN: "/help — this list",
    },
    "bot.status.title": {
        Lang.ID: "📡 STATUS SIGNAL TRACKING",
        Lang.EN: "📡 SIGNAL TRACKING STATUS",
    },
    "bot.status.open": {Lang.ID: "• Signal aktif: {n}", Lang.EN: "• Open signals: {n}"},
    "bot.status.closed": {Lang.ID: "• Signal selesai: {n}", Lang.EN: "• Closed signals: {n}"},
    "bot.status.today": {
        Lang.ID: "• Signal hari ini: {n} (sejak {since}, {zone})",
        Lang.EN: "• Signals today: {n} (since {since}, {zone})",
    },
    "bot.status.commands": {
        Lang.ID: "• Perintah tercatat: {n}",
        Lang.EN: "• Commands logged: {n}",
    },
    "bot.status.pass": {
        Lang.ID: "• Settling terakhir: {at} ({source}) — {checked} dicek, {closed} selesai "
        "({wins} win, {losses} loss, {expired} kedaluwarsa), {hits} TP, {seconds} dtk",
        Lang.EN: "• Last settling pass: {at} ({source}) — {checked} checked, {closed} closed "
        "({wins} wins, {losses} losses, {expired} expired), {hits} TP hits, {seconds} s",
    },
    "bot.status.pass_failures": {
        Lang.ID: "  ⚠️ {n} koin tanpa candle pada pass itu",
        Lang.EN: "  ⚠️ {n} coins had no candles in that pass",
    },
    "bot.status.no_pass": {
        Lang.ID: "• Settling terakhir: belum pernah",
        Lang.EN: "• Last settling pass: none yet",
    },
    "bot.status.outbox": {
        Lang.ID: "• Pengumuman: {pending} menunggu, {failed} gagal",
        Lang.EN: "• Announcements: {pending} waiting, {failed} failed",
    },
    "bot.status.store": {Lang.ID: "• Penyimpanan: {store}", Lang.EN: "• Store: {store}"},
    "bot.open.title": {
        Lang.ID: "⏳ SIGNAL AKTIF ({n})",
        Lang.EN: "⏳ OPEN SIGNALS ({n})",
    },
    "bot.open.none": {Lang.ID: "Tidak ada signal aktif.", Lang.EN: "No open signals."},
    "bot.open.row": {
        Lang.ID: "• {symbol} {side} {timeframe} · {age} · entry {entry}",
        Lang.EN: "• {symbol} {side} {timeframe} · {age} · entry {entry}",
    },
    "bot.open.distances": {
        Lang.ID: "  harga {price} · TP{n} {to_target} · SL {to_stop}",
        Lang.EN: "  price {price} · TP{n} {to_target} · SL {to_stop}",
    },
    "bot.open.no_price": {
        Lang.ID: "  belum ada harga (menunggu settling)",
        Lang.EN: "  no price yet (waiting for a settling pass)",
    },
    "bot.open.more": {
        Lang.ID: "… dan {n} lainnya",
        Lang.EN: "… and {n} more",
    },
    "bot.age.days": {Lang.ID: "{d} hari {h} jam", Lang.EN: "{d} d {h} h"},
    "bot.age.hours": {Lang.ID: "{h} jam {m} mnt", Lang.EN: "{h} h {m} min"},
    "bot.age.minutes": {Lang.ID: "{m} mnt", Lang.EN: "{m} min"},
    "bot.announce.tp_hit": {
        Lang.ID: "🎯 {symbol} {side} {timeframe} — TP{target} tercapai di {price}",
        Lang.EN: "🎯 {symbol} {side} {timeframe} — TP{target} reached at {price}",
    },
    "bot.announce.closed": {
        Lang.ID: "{icon} {symbol} {side} {timeframe} — {result} ({reason})",
        Lang.EN: "{icon} {symbol} {side} {timeframe} — {result} ({reason})",
    },
    "bot.announce.pnl": {
        Lang.ID: "PnL {pnl} · {r} · ditahan {held}",
        Lang.EN: "PnL {pnl} · {r} · held {held}",
    },
    "bot.announce.held": {
        Lang.ID: "⏱ {held} setelah signal",
        Lang.EN: "⏱ {held} after the signal",
    },
    "bot.announce.ambiguous": {
        Lang.ID: "⚠️ candle ambigu: TP dan SL dalam satu candle",
        Lang.EN: "⚠️ ambiguous candle: TP and SL in one candle",
    },
    "bot.panel.title": {Lang.ID: "🛠 PANEL ADMIN", Lang.EN: "🛠 ADMIN PANEL"},
    "bot.panel.tracking": {Lang.ID: "📊 Signal Tracking", Lang.EN: "📊 Signal Tracking"},
    "bot.panel.tracking_title": {
        Lang.ID: "📊 SIGNAL TRACKING — pilih:",
        Lang.EN: "📊 SIGNAL TRACKING — choose:",
    },
    "bot.panel.winrate7": {Lang.ID: "Winrate 7 hari", Lang.EN: "Winrate 7d"},
    "bot.panel.winrate30": {Lang.ID: "Winrate 30 hari", Lang.EN: "Winrate 30d"},
    "bot.panel.weekly": {Lang.ID: "Laporan mingguan", Lang.EN: "Weekly report"},
    "bot.panel.open": {Lang.ID: "Signal aktif", Lang.EN: "Open signals"},
    "bot.panel.coins": {Lang.ID: "Per koin", Lang.EN: "Breakdown by coin"},
    "bot.panel.back": {Lang.ID: "⬅️ Kembali", Lang.EN: "⬅️ Back"},
    "bot.panel.backup": {
        Lang.ID: "💾 Upload logs / Backup sekarang",
        Lang.EN: "💾 Upload logs / Backup now",
    },
    "bot.backup.title": {Lang.ID: "💾 BACKUP {backup_id}", Lang.EN: "💾 BACKUP {backup_id}"},
    "bot.backup.verified": {
        Lang.ID: "• {target}: {location} ✅ terverifikasi",
        Lang.EN: "• {target}: {location} ✅ verified",
    },
    "bot.backup.unverified": {
        Lang.ID: "• {target}: {location} ⚠️ tidak terverifikasi",
        Lang.EN: "• {target}: {location} ⚠️ not verified",
    },
    "bot.backup.failed": {Lang.ID: "• {target}: ❌ {error}", Lang.EN: "• {target}: ❌ {error}"},
    "bot.backup.none": {
        Lang.ID: "Backup tidak tersedia di bot ini.",
        Lang.EN: "Backups are not available in this bot.",
    },
    "bot.panel.more": {
        Lang.ID: "… (terpotong; kirim perintahnya untuk teks lengkap)",
        Lang.EN: "… (cut short; send the command for the whole text)",
    },
    "bot.stats.mark_best": {Lang.ID: "▲ terbaik", Lang.EN: "▲ best"},
    "bot.stats.mark_worst": {Lang.ID: "▼ terburuk", Lang.EN: "▼ worst"},
    "bot.feedback.took": {Lang.ID: "✅ Ambil", Lang.EN: "✅ Took it"},
    "bot.feedback.skipped": {Lang.ID: "⏭ Lewati", Lang.EN: "⏭ Skipped"},
    "bot.feedback.saved": {
        Lang.ID: "Tercatat: {answer}",
        Lang.EN: "Saved: {answer}",
    },
    "bot.feedback.changed": {
        Lang.ID: "Diubah: {previous} → {answer}",
        Lang.EN: "Changed: {previous} → {answer}",
    },
    "bot.feedback.answer.took": {Lang.ID: "diambil", Lang.EN: "took it"},
    "bot.feedback.answer.skipped": {Lang.ID: "dilewati", Lang.EN: "skipped"},
    "bot.feedback.unknown": {
        Lang.ID: "Signal ini tidak dikenal.",
        Lang.EN: "This signal is not known.",
    },
    "bot.feedback.title": {
        Lang.ID: "👥 FEEDBACK PENERIMA ({days} HARI)",
        Lang.EN: "👥 RECEIVERS' FEEDBACK ({days} DAYS)",
    },
    "bot.feedback.group": {
        Lang.ID: "• {label}: {n} signal — winrate {rate} ({low} – {high}), avg PnL {pnl}",
        Lang.EN: "• {label}: {n} signals — winrate {rate} ({low} – {high}), avg PnL {pnl}",
    },
    "bot.feedback.taken": {Lang.ID: "Diambil", Lang.EN: "Taken"},
    "bot.feedback.skipped_group": {Lang.ID: "Dilewati", Lang.EN: "Skipped"},
    "bot.feedback.row": {
        Lang.ID: "• {symbol} {signal_id}: {took}/{base} ambil ({share}), {skipped} lewati",
        Lang.EN: "• {symbol} {signal_id}: {took}/{base} took it ({share}), {skipped} skipped",
    },
    "bot.feedback.none": {
        Lang.ID: "Belum ada feedback pada periode ini.",
        Lang.EN: "No feedback in this period yet.",
    },
    # --- the automatic jobs (services/jobs.py, core/render/jobs.py) -------------------
    "jobs.name.weekly_report": {Lang.ID: "Laporan mingguan", Lang.EN: "Weekly report"},
    "jobs.name.backup": {Lang.ID: "Backup", Lang.EN: "Backup"},
    "jobs.missed": {
        Lang.ID: "⚠️ {job} jadwal {slot} terlewat: sigtrack tidak berjalan sampai {grace_end}.",
        Lang.EN: "⚠️ {job} of {slot} was missed: sigtrack was not running until {grace_end}.",
    },
    "jobs.failed": {
        Lang.ID: "❌ {job} jadwal {slot} gagal setelah {attempts} percobaan: {error}",
        Lang.EN: "❌ {job} of {slot} failed after {attempts} attempts: {error}",
    },
    "jobs.state.running": {Lang.ID: "berjalan", Lang.EN: "running"},
    "jobs.state.done": {Lang.ID: "selesai", Lang.EN: "done"},
    "jobs.state.failed": {Lang.ID: "gagal", Lang.EN: "failed"},
    "jobs.state.missed": {Lang.ID: "terlewat", Lang.EN: "missed"},
    "jobs.line": {
        Lang.ID: "• {job}: {slot} — {state}{extra}",
        Lang.EN: "• {job}: {slot} — {state}{extra}",
    },
    "jobs.never": {Lang.ID: "• {job}: belum pernah", Lang.EN: "• {job}: not run yet"},
}

SMALL_SAMPLE = 30


def parse_lang(value: object) -> Lang:
    try:
        return Lang(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("lang", f"must be id or en (got {value!r})") from None


def text(key: str, lang: Lang, **values: object) -> str:
    return TEXTS[key][lang].format(**values)


def format_pct(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    if value is None:
        return NO_VALUE
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"
